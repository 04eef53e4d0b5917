"""Magma against its paper's algorithm on AdamW (the authors published source files, no
package); the Bernoulli masks are drawn as optzoo draws them (jax.random, seed 0)."""

from __future__ import annotations

import pathlib
import sys

import jax
import numpy as np

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402


# Momentum-Aligned Gradient Masking (Magma). 2026. https://arxiv.org/abs/2602.15322,
# Algorithm 1 on AdamW: the base step dx; per tensor s = a s + (1 - a) sigmoid(cos(m, g) / tau)
# (s_0 = 1, m AdamW's first moment); x += s b dx with b ~ Bernoulli(p).
def test_magma_matches_algorithm_1():
    lr, b1, b2, eps, wd, p, tau, a = 1e-2, 0.9, 0.999, 1e-8, 0.01, 0.5, 2.0, 0.9
    names = sorted(R.SHAPES)  # jax.tree order of the leaves
    keys = [jax.random.PRNGKey(0)]
    masks = []
    for _ in range(R.STEPS):
        key, sub = jax.random.split(keys[-1])
        keys.append(key)
        masks.append(np.asarray(jax.random.uniform(sub, (len(names),), "float32") < p))

    def step(x, g, s, t):
        m, v, align = (dict(d) for d in s)
        new = {}
        for i, k in enumerate(names):
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
            mh, vh = m[k] / (1 - b1**t), v[k] / (1 - b2**t)
            dx = -lr * (mh / (np.sqrt(vh) + eps) + wd * x[k])
            cos = (m[k] * g[k]).sum() / (
                max(np.linalg.norm(m[k]), 1e-8) * max(np.linalg.norm(g[k]), 1e-8)
            )
            align[k] = a * align[k] + (1 - a) / (1 + np.exp(-cos / tau))
            new[k] = x[k] + align[k] * masks[t - 1][i] * dx
        return new, (m, v, align)

    zeros = {k: np.zeros_like(v) for k, v in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros, {k: 1.0 for k in names}))
    ours = R.run_optzoo(optzoo.create("magma", preset="authors", learning_rate=lr))
    err = R.displacement_error(ours, theirs)
    R.check("magma", err, "NumPy transcription of Algorithm 1", kind="transcription")
