"""Assorted Adam-family optimizers against their papers' algorithm boxes (no packages)."""

from __future__ import annotations

import pathlib
import sys

import numpy as np

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402


def _norm(a):
    return np.sqrt((a**2).sum())


# Wang et al. AdaGC: Improving Training Stability for Large Language Model Pretraining. 2025.
# https://arxiv.org/abs/2502.11034, Algorithm 1: warm-up (t < T): global clipping at
# lambda_abs, gamma = min(gamma, ||g_hat||); then per tensor h = min(lambda_rel gamma / ||g||, 1),
# gamma = beta gamma + (1 - beta) ||g_hat||; AdamW on g_hat.
def test_adagc_matches_algorithm_1():
    lr, b1, b2, beta, eps, wd = 1e-2, 0.9, 0.999, 0.98, 1e-8, 0.1
    lam_abs, lam_rel, warmup = 1.0, 1.05, 10

    def step(x, g, s, t):
        m, v, gamma = s
        m, v, gamma = dict(m), dict(v), dict(gamma)
        total = np.sqrt(sum((a**2).sum() for a in g.values()))
        new = {}
        for k in x:
            if t < warmup or t == 1:
                gh = g[k] * min(lam_abs / (total + eps), 1.0)
                gamma[k] = _norm(gh) if t == 1 else min(gamma[k], _norm(gh))
            else:
                gh = g[k] * min(lam_rel * max(gamma[k], eps) / max(_norm(g[k]), eps), 1.0)
                gamma[k] = beta * gamma[k] + (1 - beta) * _norm(gh)
            m[k] = b1 * m[k] + (1 - b1) * gh
            v[k] = b2 * v[k] + (1 - b2) * gh**2
            mh, vh = m[k] / (1 - b1**t), v[k] / (1 - b2**t)
            new[k] = x[k] - lr * (mh / (np.sqrt(vh) + eps) + wd * x[k])
        return new, (m, v, gamma)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros, {k: 0.0 for k in zeros}))
    ours = R.run_optzoo(
        optzoo.create("adagc", preset="authors", learning_rate=lr, warmup_steps=warmup)
    )
    err = R.displacement_error(ours, theirs)
    R.check("adagc", err, "NumPy transcription of Algorithm 1", kind="transcription")
