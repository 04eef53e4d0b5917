"""QHAdam and AdaMod against their authors' packages (qhoptim, adamod); diffGrad against the
paper's Algorithm 1."""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402

WD = 0.01


def test_qhadam_matches_qhoptim():
    pytest.importorskip("torch")
    qhoptim = pytest.importorskip("qhoptim.pyt")
    theirs = R.run_torch(
        lambda p: qhoptim.QHAdam(p, lr=1e-2, nus=(0.7, 0.9), betas=(0.9, 0.99), weight_decay=WD)
    )
    ours = R.run_optzoo(
        optzoo.create(
            "qhadam",
            preset="authors",
            learning_rate=1e-2,
            nu1=0.7,
            nu2=0.9,
            b2=0.99,
            weight_decay=WD,
        )
    )
    R.check("qhadam", R.displacement_error(ours, theirs), "qhoptim 1.1.0")


def test_adamod_matches_the_authors_package():
    # The authors' AdaMod decays decoupled (x <- x - lr wd x), as optzoo's default.
    pytest.importorskip("torch")
    adamod = pytest.importorskip("adamod")
    theirs = R.run_torch(lambda p: adamod.AdaMod(p, lr=1e-2, beta3=0.99, weight_decay=WD))
    ours = R.run_optzoo(
        optzoo.create("adamod", preset="authors", learning_rate=1e-2, b3=0.99, weight_decay=WD)
    )
    R.check("adamod", R.displacement_error(ours, theirs), "adamod 0.0.3")


# Dubey et al. diffGrad: An Optimization Method for Convolutional Neural Networks. 2019.
# https://arxiv.org/abs/1909.11015, Algorithm 1; eps = 1e-12 on both sides, where the box's
# placement (after the bias correction) and the authors' code's (before it) agree.
def test_diffgrad_matches_algorithm_1():
    lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-12

    def step(x, g, s, t):
        m, v, prev = s
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in x}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in x}
        xi = {k: 1 / (1 + np.exp(-np.abs(prev[k] - g[k]))) for k in x}
        x = {
            k: x[k] - lr * xi[k] * (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + eps)
            for k in x
        }
        return x, (m, v, g)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros, zeros))
    ours = R.run_optzoo(optzoo.create("diffgrad", preset="authors", learning_rate=lr, eps=eps))
    err = R.displacement_error(ours, theirs)
    R.check("diffgrad", err, "NumPy transcription of Algorithm 1", kind="transcription")


# ------------------------------------------------------------- optimistic Adam (optax)


# Daskalakis, Ilyas, Syrgkanis, Zeng. Training GANs with Optimism. 2017.
# https://arxiv.org/abs/1711.00141, Algorithm 1 (Optimistic Adam): Adam's moments and
# debiasing, then x_t = x_{t-1} - 2 eta m_hat_t / (sqrt(v_hat_t) + eps)
#                               + eta m_hat_{t-1} / (sqrt(v_hat_{t-1}) + eps);
# at t = 1 there is no previous direction: optax (and optzoo) take r_0 := r_1.
def test_optimistic_adam_matches_algorithm_1():
    lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-8

    def step(x, g, state, t):
        m, v, prev = state
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in x}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in x}
        r = {k: (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + eps) for k in x}
        prev = r if prev is None else prev
        x = {k: x[k] - 2 * lr * r[k] + lr * prev[k] for k in x}
        return x, (m, v, r)

    zeros = lambda: {k: np.zeros_like(a) for k, a in R.init_params().items()}  # noqa: E731
    theirs = R.run_numpy(step, (zeros(), zeros(), None))
    ours = R.run_optzoo(optzoo.create("optimistic_adam", preset="authors", learning_rate=lr))
    R.check(
        "optimistic_adam",
        R.displacement_error(ours, theirs),
        "NumPy transcription of Algorithm 1",
        kind="transcription",
    )


# Zhuang, Ding, Tang, Dvornek, Tatikonda, Duncan. Momentum Centering and Asynchronous Update
# for Adaptive Gradient Methods. 2021. https://arxiv.org/abs/2110.05454. The asynchronous
# centred update in optax's form: m_t = b1 m_{t-1} + (1-b1) g_t,
# s_t = b2 s_{t-1} + (1-b2) (g_t - m_{t-1})^2 + eps_root, x -= lr g_t / (sqrt(s_{t-1} /
# (1 - b2^(t-1))) + eps), the first step g_1 / (1 + eps); decay lambda x added to the step.
def test_acprop_matches_the_asynchronous_centred_update():
    lr, b1, b2, eps, eps_root = 1e-2, 0.9, 0.999, 1e-16, 1e-16

    def step(x, g, state, t):
        m, s = state
        if t == 1:
            den = {k: np.ones_like(x[k]) for k in x}
        else:
            den = {k: np.sqrt(s[k] / (1 - b2 ** (t - 1))) for k in x}
        new_x = {k: x[k] - lr * (g[k] / (den[k] + eps) + WD * x[k]) for k in x}
        s = {k: b2 * s[k] + (1 - b2) * (g[k] - m[k]) ** 2 + eps_root for k in x}
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in x}
        return new_x, (m, s)

    zeros = lambda: {k: np.zeros_like(a) for k, a in R.init_params().items()}  # noqa: E731
    theirs = R.run_numpy(step, (zeros(), zeros()))
    ours = R.run_optzoo(
        optzoo.create("acprop", preset="authors", learning_rate=lr, weight_decay=WD)
    )
    R.check(
        "acprop",
        R.displacement_error(ours, theirs),
        "NumPy transcription of the asynchronous centred update (optax's form)",
        kind="transcription",
    )
