"""QHM against its authors' package (qhoptim) and AggMo against the paper's Algorithm 1."""

from __future__ import annotations

import pathlib
import sys

import jax
import numpy as np
import optax
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


# Kidambi, Netrapalli, Jain, Kakade. On the insufficiency of existing momentum schemes for
# Stochastic Optimization. 2018. https://arxiv.org/abs/1803.05591, Algorithm 1:
# alpha = 1 - 0.7^2 xi / kappa; wbar <- alpha wbar + (1 - alpha)(w - kappa delta / 0.7 g);
# w <- 0.7 / (0.7 + 1 - alpha) (w - delta g) + (1 - alpha) / (0.7 + 1 - alpha) wbar.
def test_accsgd_matches_algorithm_1():
    delta, kappa, xi = 0.02, 1000.0, 10.0
    alpha = 1 - 0.7**2 * xi / kappa

    def step(x, g, wbar, t):
        wbar = {k: alpha * wbar[k] + (1 - alpha) * (x[k] - kappa * delta / 0.7 * g[k]) for k in x}
        c = 0.7 + 1 - alpha
        x = {k: 0.7 / c * (x[k] - delta * g[k]) + (1 - alpha) / c * wbar[k] for k in x}
        return x, wbar

    theirs = R.run_numpy(step, R.init_params())
    ours = R.run_optzoo(optzoo.create("accsgd", preset="authors", learning_rate=delta))
    err = R.displacement_error(ours, theirs)
    R.check("accsgd", err, "NumPy transcription of Algorithm 1", kind="transcription")


# Heo et al. AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant
# Weights. 2021. https://arxiv.org/abs/2006.08217; the authors' package adamp ships SGDP.
def test_sgdp_matches_adamp_package():
    pytest.importorskip("torch")
    adamp = pytest.importorskip("adamp")
    kw = dict(momentum=0.9, nesterov=True, weight_decay=WD)
    theirs = R.run_torch(lambda p: adamp.SGDP(p, lr=0.02, **kw))
    ours = R.run_optzoo(optzoo.create("sgdp", preset="authors", learning_rate=0.02, **kw))
    R.check("sgdp", R.displacement_error(ours, theirs), "adamp 0.3.0")


# Polyak & Juditsky. Acceleration of Stochastic Approximation by Averaging. 1992.
# https://doi.org/10.1137/0330046: SGD iterates x_t = x_{t-1} - eta_t (g_t + lambda x_{t-1})
# with eta_t = eta / (1 + lambda eta (t - 1))^alpha (Bottou's schedule, as torch.optim.ASGD).
def test_asgd_matches_the_averaged_sgd_iterates():
    lr, lambd, alpha = 0.05, 0.05, 0.75

    def step(x, g, _, t):
        eta = lr / (1 + lambd * lr * (t - 1)) ** alpha
        return {k: x[k] - eta * (g[k] + lambd * x[k]) for k in x}, None

    theirs = R.run_numpy(step, None)
    ours = R.run_optzoo(
        optzoo.create("asgd", preset="authors", learning_rate=lr, lambd=lambd, alpha=alpha)
    )
    err = R.displacement_error(ours, theirs)
    R.check("asgd", err, "NumPy transcription of averaged SGD", kind="transcription")


# An, Wang, Sun, Xu, Dai, Zhang. A PID Controller Approach for Stochastic Optimization of
# Deep Networks. 2018 (CVPR). The authors' PIDOptimizer.py (tensorboy/PIDOptimizer):
# I = mu I + g; D = mu D + (1 - mu)(g - g_prev) (from step 2); x -= lr (g + K_i I + K_d D).
def test_pid_matches_the_authors_code():
    lr, mu, ki, kd = 0.01, 0.9, 5.0, 10.0

    def step(x, g, s, t):
        prev, i, d = s
        i = {k: mu * i[k] + g[k] for k in x}
        d = {k: mu * d[k] + ((1 - mu) * (g[k] - prev[k]) if t > 1 else 0.0) for k in x}
        x = {k: x[k] - lr * (g[k] + ki * i[k] + kd * d[k]) for k in x}
        return x, (g, i, d)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros, zeros))
    ours = R.run_optzoo(optzoo.create("pid", preset="authors", learning_rate=lr, momentum=mu))
    err = R.displacement_error(ours, theirs)
    R.check("pid", err, "NumPy transcription of the authors' PIDOptimizer.py", kind="transcription")


# Xu, Xiang, Cai, Wen. No More Adam: Learning Rate Scaling at Initialization is All You Need.
# 2024. https://arxiv.org/abs/2412.11768; the authors' package is sgd-sai.
def test_sgdsai_matches_sgd_sai():
    pytest.importorskip("torch")
    sgd_sai = pytest.importorskip("sgd_sai")
    theirs = R.run_torch(lambda p: sgd_sai.SGD_sai(p, lr=1e-3, momentum=0.9, weight_decay=WD))
    ours = R.run_optzoo(
        optzoo.create("sgdsai", preset="authors", learning_rate=1e-3, weight_decay=WD)
    )
    R.check("sgdsai", R.displacement_error(ours, theirs), "sgd-sai 1.0.3")


# Bahrami & Zadeh. Gravity Optimizer: a Kinematic Approach on Optimization in Deep Learning.
# 2021. https://arxiv.org/abs/2101.09192, Algorithm 1: M = 1 / max|g|; zeta = g / (1 + (g/M)^2);
# beta_t = (beta t + 1) / (t + 2); V = beta_t V + (1 - beta_t) zeta; x -= lr V (V_0 random:
# optzoo's draw is used as the transcription's V_0).
def test_gravity_matches_algorithm_1():
    lr, alpha, beta = 0.1, 0.01, 0.9
    tx = optzoo.create("gravity", preset="authors", learning_rate=lr, alpha=alpha, beta=beta)
    with jax.enable_x64(True):  # run_optzoo draws V_0 in float64
        v0 = optax.tree.get(tx.init(R.init_params()), "velocity")
    v0 = {k: np.asarray(v) for k, v in v0.items()}

    def step(x, g, v, t):
        zeta = {k: g[k] / (1 + (g[k] / (1 / np.max(np.abs(g[k])))) ** 2) for k in x}
        b = (beta * t + 1) / (t + 2)
        v = {k: b * v[k] + (1 - b) * zeta[k] for k in x}
        return {k: x[k] - lr * v[k] for k in x}, v

    theirs = R.run_numpy(step, v0)
    ours = R.run_optzoo(tx)
    err = R.displacement_error(ours, theirs)
    R.check("gravity", err, "NumPy transcription of Algorithm 1", kind="transcription")


# Lyu. Stochastic regularized majorization-minimization with weakly convex and multi-convex
# surrogates. 2022. https://arxiv.org/abs/2201.01652: with prox-linear surrogates and weights
# w_n = n^-beta (w_1 = 1), x_n = xbar_n - lr gbar_n for the w-averaged iterates and gradients.
def test_srmm_matches_the_prox_linear_update():
    lr, beta = 0.05, 0.5

    def step(x, g, s, t):
        gbar, xbar = s
        w = float(t) ** -beta
        gbar = {k: (1 - w) * gbar[k] + w * g[k] for k in x}
        xbar = {k: (1 - w) * xbar[k] + w * x[k] for k in x}
        return {k: xbar[k] - lr * gbar[k] for k in x}, (gbar, xbar)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros))
    ours = R.run_optzoo(
        optzoo.create("srmm", preset="authors", learning_rate=lr, beta=beta, memory_length=None)
    )
    err = R.displacement_error(ours, theirs)
    R.check("srmm", err, "NumPy transcription of SRMM (prox-linear)", kind="transcription")


# Malviya et al. Torque-Aware Momentum. 2024. https://arxiv.org/abs/2412.18790, the SGD form:
# s = rho s + (1 - rho) mhat * ghat (normalised along dim 0); m = mu m + ((1 + s) / 2 + eps) g,
# m_0 = g_1; x -= lr m.
def test_tam_matches_the_update():
    lr, mu, rho, eps = 0.02, 0.9, 0.9, 1e-8

    def unit(a):
        return a / np.maximum(np.linalg.norm(a, axis=0, keepdims=True), 1e-12)

    def step(x, g, st, t):
        m, s = st
        m = {k: g[k] if t == 1 else m[k] for k in x}
        s = {k: rho * s[k] + (1 - rho) * unit(m[k]) * unit(g[k]) for k in x}
        m = {k: mu * m[k] + ((1 + s[k]) / 2 + eps) * g[k] for k in x}
        return {k: x[k] - lr * m[k] for k in x}, (m, s)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros))
    ours = R.run_optzoo(optzoo.create("tam", preset="authors", learning_rate=lr))
    err = R.displacement_error(ours, theirs)
    R.check("tam", err, "NumPy transcription of the TAM update", kind="transcription")


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


# Deng, Cheng, Lan. Optimal Adaptive and Accelerated Stochastic Gradient Descent. 2018.
# https://arxiv.org/abs/1810.00553, A2Grad in its three-sequence form: the gradient at
# xlow_k = (1 - a_k) xbar_{k-1} + a_k x_{k-1}; x_k = x_{k-1} - g / (gamma_k + beta h_k);
# xbar_k = (1 - a_k) xbar_{k-1} + a_k x_k; h_k^2 sums |g - mean g|^2 (uniform weights).
# Coefficients as in the optzoo docstring: a_1 = 1, a_k = 2 / (k + 2), gamma_k = 2 L / (k + 1).
def test_a2grad_matches_the_three_sequence_form():
    beta, lips = 10.0, 10.0
    keys = list(R.init_params())

    def step(xlow, g, s, t):
        x, xbar, avg, v = s
        a = 1.0 if t == 1 else 2.0 / (t + 2)
        avg = {k: avg[k] + (g[k] - avg[k]) / t for k in keys}
        v = {k: v[k] + np.sum((g[k] - avg[k]) ** 2) for k in keys}
        c = {k: 1.0 / (2 * lips / (t + 1) + beta * np.sqrt(v[k])) for k in keys}
        x = {k: x[k] - c[k] * g[k] for k in keys}
        xbar = {k: (1 - a) * xbar[k] + a * x[k] for k in keys}
        a_next = 2.0 / (t + 3)
        xlow = {k: (1 - a_next) * xbar[k] + a_next * x[k] for k in keys}
        return xlow, (x, xbar, avg, v)

    x0 = R.init_params()
    zeros = {k: np.zeros_like(a) for k, a in x0.items()}
    theirs = R.run_numpy(step, (x0, R.init_params(), zeros, {k: 0.0 for k in keys}))
    ours = R.run_optzoo(optzoo.create("a2grad", preset="authors"))
    err = R.displacement_error(ours, theirs)
    R.check("a2grad", err, "NumPy transcription of the three-sequence A2Grad", kind="transcription")
