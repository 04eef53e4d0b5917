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


# Keskar & Socher. Improving Generalization Performance by Switching from Adam to SGD. 2017.
# https://arxiv.org/abs/1712.07628, Algorithm 1 (SWATS), dot products over all parameters:
# Adam phase: p = -lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(a) + eps); x += p;
# if p.g != 0: gamma = p.p / (-p.g); lam = b2 lam + (1 - b2) gamma;
# if t > 1 and |lam / (1 - b2^t) - gamma| < eps: SGD phase at Lambda = lam / (1 - b2^t).
# SGD phase: v = b1 v + g; x -= (1 - b1) Lambda v.
def _swats_step(lr, b1, b2, eps):
    def step(x, g, s, t):
        m, a, v, lam, phase, rate = s
        if phase == "sgd":
            v = {k: b1 * v[k] + g[k] for k in x}
            x = {k: x[k] - (1 - b1) * rate * v[k] for k in x}
            return x, (m, a, v, lam, phase, rate)
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in x}
        a = {k: b2 * a[k] + (1 - b2) * g[k] ** 2 for k in x}
        f = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        p = {k: -f * m[k] / (np.sqrt(a[k]) + eps) for k in x}
        x = {k: x[k] + p[k] for k in x}
        pg = sum(np.sum(p[k] * g[k]) for k in x)
        if pg != 0:
            gamma = sum(np.sum(p[k] ** 2) for k in x) / -pg
            lam = b2 * lam + (1 - b2) * gamma
            if t > 1 and abs(lam / (1 - b2**t) - gamma) < eps:
                phase, rate = "sgd", lam / (1 - b2**t)
        return x, (m, a, v, lam, phase, rate)

    return step


def test_swats_matches_algorithm_1():
    lr, b1, b2, eps = 0.1, 0.9, 0.9, 1e-3
    zeros = _zeros()
    theirs = R.run_numpy(_swats_step(lr, b1, b2, eps), (zeros, zeros, zeros, 0.0, "adam", 0.0))
    ours = R.run_optzoo(optzoo.create("swats", preset="authors", learning_rate=lr, b2=b2, eps=eps))
    err = R.displacement_error(ours, theirs)
    R.check("swats", err, "NumPy transcription of Algorithm 1", kind="transcription")


def test_swats_transcription_switches():
    step, zeros, switched = _swats_step(0.1, 0.9, 0.9, 1e-3), _zeros(), []
    state = (zeros, zeros, zeros, 0.0, "adam", 0.0)
    x = R.init_params()
    for t in range(R.STEPS):
        x, state = step(x, R.grad(x, t), state, t + 1)
        switched.append(state[4] == "sgd")
    assert 5 < switched.index(True) < R.STEPS - 5


# Balles & Hennig. Dissecting Adam: The Sign, Magnitude and Variance of Stochastic Gradients.
# 2017. https://arxiv.org/abs/1705.07774, the M-SVAG algorithm box:
# m = b m + (1 - b) g; v = b v + (1 - b) g^2; m~ = m / (1 - b^t); v~ = v / (1 - b^t);
# rho = (1 - b)(1 + b^t) / ((1 + b)(1 - b^t)); s = (v~ - m~^2) / (1 - rho);
# x -= lr m~^2 / (m~^2 + rho s) m~. At t = 1 (rho = 1, s = 0/0) the step is lr g, as optzoo's
# rho cap gives.
def test_msvag_matches_the_algorithm_box():
    lr, b = 0.05, 0.9

    def step(x, g, s, t):
        m, v = s
        m = {k: b * m[k] + (1 - b) * g[k] for k in x}
        v = {k: b * v[k] + (1 - b) * g[k] ** 2 for k in x}
        if t == 1:
            return {k: x[k] - lr * g[k] for k in x}, (m, v)
        mt = {k: m[k] / (1 - b**t) for k in x}
        vt = {k: v[k] / (1 - b**t) for k in x}
        rho = (1 - b) * (1 + b**t) / ((1 + b) * (1 - b**t))
        var = {k: (vt[k] - mt[k] ** 2) / (1 - rho) for k in x}
        x = {k: x[k] - lr * mt[k] ** 2 / (mt[k] ** 2 + rho * var[k]) * mt[k] for k in x}
        return x, (m, v)

    theirs = R.run_numpy(step, (_zeros(), _zeros()))
    ours = R.run_optzoo(optzoo.create("msvag", preset="authors", learning_rate=lr, beta=b))
    err = R.displacement_error(ours, theirs)
    R.check("msvag", err, "NumPy transcription of the M-SVAG algorithm box", kind="transcription")


# Malviya et al. Torque-Aware Momentum. 2024. https://arxiv.org/abs/2412.18790, AdaTAM:
# c = normalize(m) * normalize(g) (each along axis 0); s = gamma s + (1 - gamma) c;
# m = b1 m + ((1 + s) / 2 + eps) g; v = b2 v + (1 - b2) g^2; x -= lr m / (sqrt(v) + eps);
# decoupled decay x -= lr wd x first.
def test_adatam_matches_the_update_rule():
    lr, b1, b2, gamma, eps = 1e-2, 0.9, 0.999, 0.9, 1e-8

    def unit(a):
        return a / np.maximum(np.sqrt(np.sum(a**2, axis=0, keepdims=True)), 1e-12)

    def step(x, g, s, t):
        sm, m, v = s
        x = {k: x[k] * (1 - lr * WD) for k in x}
        sm = {k: gamma * sm[k] + (1 - gamma) * unit(m[k]) * unit(g[k]) for k in x}
        m = {k: b1 * m[k] + ((1 + sm[k]) / 2 + eps) * g[k] for k in x}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in x}
        return {k: x[k] - lr * m[k] / (np.sqrt(v[k]) + eps) for k in x}, (sm, m, v)

    theirs = R.run_numpy(step, (_zeros(), _zeros(), _zeros()))
    ours = R.run_optzoo(
        optzoo.create("adatam", preset="authors", learning_rate=lr, weight_decay=WD)
    )
    err = R.displacement_error(ours, theirs)
    R.check("adatam", err, "NumPy transcription of the AdaTAM update rule", kind="transcription")


# Shi, Chen, Jin, Zhou. Combining Adam and its Inverse Counterpart to Enhance Generalization of
# Deep Learning Optimizers. 2026. https://arxiv.org/abs/2603.07122, DualAdam:
# Adam's m_hat, v_hat; d = sqrt(v_hat) + eps; a = max(0, 1 - xi t);
# x -= lr m_hat ((1 - a) / d + a d) while a >= xi, then x -= lr m_hat / d.
def test_dualadam_matches_the_update_rule():
    lr, b1, b2, xi, eps = 1e-2, 0.9, 0.999, 0.02, 1e-8

    def step(x, g, s, t):
        m, v = s
        g = {k: g[k] + WD * x[k] for k in x}
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in x}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in x}
        d = {k: np.sqrt(v[k] / (1 - b2**t)) + eps for k in x}
        a = max(0.0, 1 - xi * t)
        w = {k: (1 - a) / d[k] + a * d[k] if a >= xi else 1 / d[k] for k in x}
        return {k: x[k] - lr * m[k] / (1 - b1**t) * w[k] for k in x}, (m, v)

    theirs = R.run_numpy(step, (_zeros(), _zeros()))
    ours = R.run_optzoo(
        optzoo.create(
            "dualadam", preset="authors", learning_rate=lr, switch_rate=xi, weight_decay=WD
        )
    )
    err = R.displacement_error(ours, theirs)
    R.check(
        "dualadam", err, "NumPy transcription of the DualAdam update rule", kind="transcription"
    )


# Tian & Parikh. Amos: An Adam-style Optimizer with Adaptive Weight Decay towards
# Model-Oriented Scale. 2022. https://arxiv.org/abs/2210.11693. The authors' package
# (jestimator 0.3.3) fails to import with current JAX; this transcribes its scale_by_amos with
# shape_fn -> () (one v and b per leaf) and amos's momentum (optax.ema, no debiasing):
# v = beta v + (1 - beta) mean(g^2); r = (1 - beta^t) / max(v, eps);
# gamma = xi^2 r mean(g^2) / sqrt(1 + c sqrt(xi) b); lr_0 = xi eta;
# u = ((-gamma / 2 - l2) x - lr_0 sqrt(r) g) / (1 + d sqrt(lr_0) b); b += gamma (1 + b);
# s = mom s + (1 - mom) u; x += s.
def test_amos_matches_the_authors_scale_by_amos():
    xi, beta, mom, l2, c, d, eps = 0.05, 0.99, 0.9, 1e-3, 0.25, 0.25, 2.0**-125
    eta = {"vector": 0.5, "matrix": 0.3, "tensor": 0.2}

    def step(x, g, s, t):
        v, b, avg = s
        v = {k: beta * v[k] + (1 - beta) * np.mean(g[k] ** 2) for k in x}
        u, new_b = {}, {}
        for k in x:
            r = (1 - beta**t) / max(v[k], eps)
            g2 = np.mean(g[k] ** 2)
            gamma = xi**2 * r * g2 / np.sqrt(1 + c * np.sqrt(xi) * b[k])
            lr0 = xi * eta[k]
            u[k] = ((-gamma / 2 - l2) * x[k] - lr0 * np.sqrt(r) * g[k]) / (
                1 + d * np.sqrt(lr0) * b[k]
            )
            new_b[k] = b[k] + gamma * (1 + b[k])
        avg = {k: mom * avg[k] + (1 - mom) * u[k] for k in x}
        return {k: x[k] + avg[k] for k in x}, (v, new_b, avg)

    scalars = {k: 0.0 for k in R.SHAPES}
    theirs = R.run_numpy(step, (dict(scalars), dict(scalars), _zeros()))
    by_rank = {1: 0.5, 2: 0.3, 3: 0.2}
    ours = R.run_optzoo(
        optzoo.create(
            "amos",
            preset="authors",
            learning_rate=xi,
            beta=beta,
            momentum=mom,
            extra_l2=l2,
            eta=lambda shape: by_rank[len(shape)],
        )
    )
    err = R.displacement_error(ours, theirs)
    R.check(
        "amos",
        err,
        "NumPy transcription of jestimator 0.3.3 scale_by_amos",
        kind="transcription",
    )


# Nguyen & Nguyen. Subset-Norm and Subspace-Momentum: Faster Memory-Efficient Adaptive
# Optimization with Convergence Guarantees. 2024. https://arxiv.org/abs/2411.07120, AdamW with
# the subset-norm second moment: each leaf of rank >= 2 flattened into rows of k entries
# (k the largest divisor of its size <= sqrt(size)); v_i = b2 v_i + (1 - b2) ||g_i||^2;
# x = x (1 - lr wd) - lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v_i) + eps).
def test_adamwsn_matches_the_update_rule():
    lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-8
    k = {"matrix": 3, "tensor": 4}  # 12 -> sqrt 3.46 -> 3; 24 -> sqrt 4.9 -> 4

    def step(x, g, s, t):
        m, v = s
        m = {n: b1 * m[n] + (1 - b1) * g[n] for n in x}
        sq = {
            n: (g[n].reshape(-1, k[n]) ** 2).sum(axis=1, keepdims=True) if n in k else g[n] ** 2
            for n in x
        }
        v = {n: b2 * v[n] + (1 - b2) * sq[n] for n in x}
        f = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        out = {}
        for n in x:
            mm = m[n].reshape(-1, k[n]) if n in k else m[n]
            u = (mm / (np.sqrt(v[n]) + eps)).reshape(x[n].shape)
            out[n] = x[n] * (1 - lr * WD) - f * u
        return out, (m, v)

    x0 = R.init_params()
    v0 = {n: np.zeros((a.size // k[n], 1)) if n in k else np.zeros_like(a) for n, a in x0.items()}
    theirs = R.run_numpy(step, (_zeros(), v0))
    ours = R.run_optzoo(
        optzoo.create("adamwsn", preset="authors", learning_rate=lr, weight_decay=WD)
    )
    err = R.displacement_error(ours, theirs)
    R.check("adamwsn", err, "NumPy transcription of AdamW-SN", kind="transcription")


# Defazio, Mishchenko, Raman, Shi, Xiao. Why Gradients Rapidly Increase Near the End of
# Training. 2025. https://arxiv.org/abs/2506.02285, AdamC: AdamW whose decay on normalized
# layers is lr_t^2 / lr_max * wd (lr_t * wd elsewhere); here "matrix" and "tensor" are the
# normalized leaves and the rate decays linearly:
# x = x (1 - c_t) - lr_t m_hat / (sqrt(v_hat) + eps) (PyTorch's eps placement).
def test_adamc_matches_the_update_rule():
    peak, b1, b2, eps, wd = 2e-2, 0.9, 0.999, 1e-8, 0.5
    normalized = {"vector": False, "matrix": True, "tensor": True}

    def lr_at(t):  # t counted from 0
        return peak * (1 - t / R.STEPS)

    def step(x, g, s, t):
        m, v = s
        lr = lr_at(t - 1)
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in x}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in x}
        f = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        c = {k: lr**2 / peak * wd if normalized[k] else lr * wd for k in x}
        return {k: x[k] * (1 - c[k]) - f * m[k] / (np.sqrt(v[k]) + eps) for k in x}, (m, v)

    theirs = R.run_numpy(step, (_zeros(), _zeros()))
    ours = R.run_optzoo(
        optzoo.create(
            "adamc",
            preset="authors",
            learning_rate=lambda t: peak * (1 - t / R.STEPS),
            weight_decay=wd,
            normalized=normalized,
            max_learning_rate=peak,
        )
    )
    err = R.displacement_error(ours, theirs)
    R.check("adamc", err, "NumPy transcription of the AdamC update", kind="transcription")
