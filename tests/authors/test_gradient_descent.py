"""QHM against its authors' package (qhoptim) and AggMo against the paper's Algorithm 1."""

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


# Ma & Yarats. Quasi-hyperbolic momentum and Adam for deep learning. 2018.
# https://arxiv.org/abs/1810.06801; the authors' package is qhoptim (coupled decay by default).
def test_qhm_matches_qhoptim():
    pytest.importorskip("torch")
    qhoptim = pytest.importorskip("qhoptim.pyt")
    kw = dict(momentum=0.9, nu=0.7)
    theirs = R.run_torch(lambda p: qhoptim.QHM(p, lr=0.05, weight_decay=WD, **kw))
    ours = R.run_optzoo(
        optzoo.create("qhm", preset="authors", learning_rate=0.05, weight_decay=WD, **kw)
    )
    R.check("qhm", R.displacement_error(ours, theirs), "qhoptim 1.1.0")


# Lucas, Sun, Zemel, Grosse. Aggregated Momentum: Stability Through Passive Damping. 2018.
# https://arxiv.org/abs/1804.00325, Algorithm 1: v_i <- beta_i v_i - grad; x <- x + lr/K sum v_i.
def test_aggmo_matches_algorithm_1():
    lr, betas = 0.02, (0.0, 0.9, 0.99)

    def step(x, g, v, t):
        v = {k: [b * vi - g[k] for b, vi in zip(betas, v[k], strict=True)] for k in x}
        x = {k: x[k] + lr / len(betas) * sum(v[k]) for k in x}
        return x, v

    v0 = {k: [np.zeros_like(a) for _ in betas] for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, v0)
    ours = R.run_optzoo(optzoo.create("aggmo", preset="authors", learning_rate=lr, betas=betas))
    err = R.displacement_error(ours, theirs)
    R.check("aggmo", err, "NumPy transcription of Algorithm 1", kind="transcription")


# Xie, Yuan, Zhu, Sugiyama. Positive-Negative Momentum. 2021. https://arxiv.org/abs/2103.17182,
# Algorithm 1: m_t = b1^2 m_{t-2} + (1 - b1^2) g_t;
# x -= lr ((1 + b0) m_t - b0 m_{t-1}) / sqrt((1 + b0)^2 + b0^2), decoupled decay.
def test_pnm_matches_algorithm_1():
    lr, b1, b0, wd = 0.02, 0.9, 1.0, WD

    def step(x, g, s, t):
        fed, other = s  # the buffer fed at t-2 and the one fed at t-1
        fed = {k: b1**2 * fed[k] + (1 - b1**2) * g[k] for k in x}
        norm = np.sqrt((1 + b0) ** 2 + b0**2)
        x = {k: x[k] * (1 - lr * wd) - lr * ((1 + b0) * fed[k] - b0 * other[k]) / norm for k in x}
        return x, (other, fed)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros))
    ours = R.run_optzoo(
        optzoo.create("pnm", preset="authors", learning_rate=lr, b1=b1, b0=b0, weight_decay=wd)
    )
    err = R.displacement_error(ours, theirs)
    R.check("pnm", err, "NumPy transcription of Algorithm 1", kind="transcription")


# Loshchilov & Hutter. Decoupled Weight Decay Regularization. 2017.
# https://arxiv.org/abs/1711.05101, Algorithm 1 (SGDW) with eta_t = 1:
# m_t = b m_{t-1} + a g_t; x_t = x_{t-1} - m_t - lambda x_{t-1}.
def test_sgdw_matches_algorithm_1():
    a, b, lam = 0.02, 0.9, 0.02 * WD

    def step(x, g, m, t):
        m = {k: b * m[k] + a * g[k] for k in x}
        return {k: x[k] - m[k] - lam * x[k] for k in x}, m

    zeros = {k: np.zeros_like(v) for k, v in R.init_params().items()}
    theirs = R.run_numpy(step, zeros)
    ours = R.run_optzoo(
        optzoo.create("sgdw", preset="authors", learning_rate=a, momentum=b, weight_decay=lam / a)
    )
    err = R.displacement_error(ours, theirs)
    R.check("sgdw", err, "NumPy transcription of Algorithm 1", kind="transcription")


# ------------------------------------------------- optax's optimistic GD and noisy SGD


# Mokhtari, Ozdaglar, Pattathil. A Unified Analysis of Extra-gradient and Optimistic Gradient
# Methods for Saddle Point Problems: Proximal Point Approach. 2019.
# https://arxiv.org/abs/1901.08511, Eq. (5) (OGDA) with the generalised coefficients of its
# Section 4: x_{t+1} = x_t - (alpha + beta) eta g_t + beta eta g_{t-1}; g_0 := g_1.
def test_optimistic_gradient_descent_matches_the_papers_update():
    lr, alpha, beta = 0.05, 1.0, 0.5

    def step(x, g, prev, t):
        prev = g if prev is None else prev
        x = {k: x[k] - lr * ((alpha + beta) * g[k] - beta * prev[k]) for k in x}
        return x, g

    theirs = R.run_numpy(step, None)
    ours = R.run_optzoo(
        optzoo.create(
            "optimistic_gradient_descent",
            preset="authors",
            learning_rate=lr,
            alpha=alpha,
            beta=beta,
        )
    )
    err = R.displacement_error(ours, theirs)
    R.check(
        "optimistic_gradient_descent",
        err,
        "NumPy transcription of Eq. (5) (generalised OGDA)",
        kind="transcription",
    )


# Neelakantan et al. Adding Gradient Noise Improves Learning for Very Deep Networks. 2015.
# https://arxiv.org/abs/1511.06807, Section 2: g_t <- g_t + N(0, sigma_t^2),
# sigma_t^2 = eta / (1 + t)^gamma (t from 0), x -= lr g_t. The standard normal draws are
# replayed from jax.random with optzoo's documented key schedule (optzoo.add_noise), so the
# transcription sees the same xi_t.
def test_noisy_sgd_matches_section_2():
    import jax

    lr, eta, gamma = 0.05, 0.3, 0.55
    names = sorted(R.SHAPES)  # the pytree's leaf order
    xis, key = [], jax.random.key(7)
    with jax.enable_x64(True):
        for _ in range(R.STEPS):
            key, sample = jax.random.split(key)
            leaf_keys = jax.random.split(sample, len(names))
            xis.append(
                {
                    k: np.asarray(jax.random.normal(lk, R.SHAPES[k], "float64"))
                    for k, lk in zip(names, leaf_keys, strict=True)
                }
            )

    def step(x, g, state, t):
        sigma = np.sqrt(eta / (1 + (t - 1)) ** gamma)
        return {k: x[k] - lr * (g[k] + sigma * xis[t - 1][k]) for k in x}, state

    theirs = R.run_numpy(step, None)
    ours = R.run_optzoo(
        optzoo.create(
            "noisy_sgd",
            preset="authors",
            learning_rate=lr,
            eta=eta,
            gamma=gamma,
            key=jax.random.key(7),
        )
    )
    err = R.displacement_error(ours, theirs)
    R.check("noisy_sgd", err, "NumPy transcription of Section 2", kind="transcription")
