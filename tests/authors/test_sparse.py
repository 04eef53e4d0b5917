"""SaRA against a NumPy transcription of its authors' masked AdamW (source files, no package)."""

from __future__ import annotations

import pathlib
import sys

import numpy as np

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402


# Hu et al. SaRA: High-Efficient Diffusion Model Fine-tuning with Progressive Sparse Low-Rank
# Adaptation. 2024. https://arxiv.org/abs/2409.06633; the authors' optim/adamw2.py
# (sjtuplayer/SaRA): AdamW (decoupled decay, bias-corrected moments) on the weights with
# |x_0| < threshold only, the mask refined once before step progressive_iter + 1.
def test_sara_matches_the_authors_masked_adamw():
    lr, b1, b2, eps, wd, tau, k = 1e-2, 0.9, 0.999, 1e-8, 1e-2, 0.8, 30
    mask = {key: np.abs(x) < tau for key, x in R.init_params().items()}

    def step(x, g, s, t):
        m, v = s
        if t == k + 1:
            for key in x:
                mask[key] &= np.abs(x[key]) < tau
        m = {key: b1 * m[key] + (1 - b1) * g[key] for key in x}
        v = {key: b2 * v[key] + (1 - b2) * g[key] ** 2 for key in x}
        new = {}
        for key in x:
            den = np.sqrt(v[key]) / np.sqrt(1 - b2**t) + eps
            step_ = lr / (1 - b1**t) * m[key] / den
            moved = x[key] * (1 - lr * wd) - step_
            new[key] = np.where(mask[key], moved, x[key])
        return new, (m, v)

    zeros = {key: np.zeros_like(a) for key, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, dict(zeros)))
    ours = R.run_optzoo(
        optzoo.create(
            "sara",
            preset="authors",
            learning_rate=lr,
            weight_decay=wd,
            threshold=tau,
            progressive_iter=k,
        )
    )
    R.check(
        "sara",
        R.displacement_error(ours, theirs),
        "NumPy transcription of the authors' masked AdamW",
        kind="transcription",
    )
