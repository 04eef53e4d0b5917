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


# Chen, Kuzina, Esmaeili, Tomczak. Variational Stochastic Gradient Descent for Deep Neural
# Networks. 2024. https://arxiv.org/abs/2404.06549, Algorithm 1: a = 1 + 2 ps (+1e-4); the
# variances' expectations b / a (the prior's b / (a - 1) at t = 1); mu = (s_hg mu + s_g g) /
# (s_g + s_hg); sigma^2 = s_g s_hg / (s_g + s_hg); the rates move towards their SVI targets
# with step sizes t^-tau; x -= lr mu / (sqrt(mu^2 + sigma^2) + eps), decoupled decay.
def test_vsgd_matches_algorithm_1():
    lr, ghattg, ps, tau1, tau2, eps, wd = 0.05, 30.0, 1e-8, 0.81, 0.9, 1e-8, WD
    a = 2 * ps + 1 + 1e-4
    pg, phg = 2 * ps, 2 * ghattg * ps

    def step(x, g, s, t):
        mu, bg, bhg = (dict(d) for d in s)
        rho1, rho2 = t**-tau1, t**-tau2
        new = {}
        for k in x:
            sg = pg / (a - 1) if t == 1 else bg[k] / a
            shg = phg / (a - 1) if t == 1 else bhg[k] / a
            prev = mu[k]
            mu[k] = (shg * prev + sg * g[k]) / (sg + shg)
            q = mu[k] ** 2 + sg * shg / (sg + shg)
            bg[k] = (1 - rho1) * bg[k] + rho1 * (pg + q - 2 * mu[k] * prev + prev**2)
            bhg[k] = (1 - rho2) * bhg[k] + rho2 * (phg + q - 2 * g[k] * mu[k] + g[k] ** 2)
            new[k] = x[k] * (1 - lr * wd) - lr * mu[k] / (np.sqrt(q) + eps)
        return new, (mu, bg, bhg)

    init = R.init_params()
    zeros = {k: np.zeros_like(v) for k, v in init.items()}
    full = lambda c: {k: np.full_like(v, c) for k, v in init.items()}  # noqa: E731
    theirs = R.run_numpy(step, (zeros, full(pg), full(phg)))
    ours = R.run_optzoo(optzoo.create("vsgd", preset="authors", learning_rate=lr, weight_decay=wd))
    err = R.displacement_error(ours, theirs)
    R.check("vsgd", err, "NumPy transcription of Algorithm 1", kind="transcription")
