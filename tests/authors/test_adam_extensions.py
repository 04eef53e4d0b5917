"""More Adam-family members against their papers' algorithm boxes (NumPy transcriptions):
Adai, ..."""

from __future__ import annotations

import pathlib
import sys

import numpy as np

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402

WD = 0.01


def _zeros():
    return {k: np.zeros_like(a) for k, a in R.init_params().items()}


# Xie, Wang, Zhang, Sato, Sugiyama. Adaptive Inertia: Disentangling the Effects of Adaptive
# Learning Rate and Momentum. 2020. https://arxiv.org/abs/2006.15815, the Adai algorithm box:
# g <- g + lambda x; v = b2 v + (1 - b2) g^2; v_hat = v / (1 - b2^t); v_bar = mean(v_hat);
# b1 = clip(1 - b0 v_hat / v_bar, 0, 1 - eps); m = b1 m + (1 - b1) g;
# m_hat = m / (1 - prod b1); x -= lr m_hat.
def test_adai_matches_the_algorithm_box():
    lr, b0, b2, eps = 0.5, 0.1, 0.99, 1e-3

    def step(x, g, s, t):
        m, v, prod = s
        g = {k: g[k] + WD * x[k] for k in x}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in x}
        v_hat = {k: v[k] / (1 - b2**t) for k in x}
        v_bar = sum(a.sum() for a in v_hat.values()) / sum(a.size for a in v_hat.values())
        b1 = {k: np.clip(1 - b0 * v_hat[k] / v_bar, 0.0, 1 - eps) for k in x}
        m = {k: b1[k] * m[k] + (1 - b1[k]) * g[k] for k in x}
        prod = {k: prod[k] * b1[k] for k in x}
        x = {k: x[k] - lr * m[k] / (1 - prod[k]) for k in x}
        return x, (m, v, prod)

    ones = {k: np.ones_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (_zeros(), _zeros(), ones))
    ours = R.run_optzoo(
        optzoo.create("adai", preset="authors", learning_rate=lr, b0=b0, weight_decay=WD)
    )
    err = R.displacement_error(ours, theirs)
    R.check("adai", err, "NumPy transcription of the Adai algorithm box", kind="transcription")
