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


# AdaNorm, AdaPNM, AdaShift, AvaGrad, FAdam, EXAdam, AdamS and Padam: no packages by their
# authors, so NumPy transcriptions of the papers' algorithm boxes.


# Dubey, Singh, Chaudhuri. AdaNorm: Adaptive Gradient Norm Correction based Optimizer for
# CNNs. 2022. https://arxiv.org/abs/2210.06364, AdamNorm: e_t = r e_{t-1} + (1 - r) ||g_t||;
# s_t = e_t g_t / ||g_t|| if e_t > ||g_t|| else g_t; m_t from s_t, v_t from g_t;
# x -= lr m_hat / (sqrt(v_hat) + eps). eps = 1e-12, where the placements agree.
def test_adanorm_matches_the_algorithm():
    lr, b1, b2, r, eps = 1e-2, 0.9, 0.999, 0.95, 1e-12

    def step(x, g, s, t):
        m, v, e = s
        m, v, e = dict(m), dict(v), dict(e)
        for k in x:
            n = np.linalg.norm(g[k])
            e[k] = r * e[k] + (1 - r) * n
            sg = e[k] * g[k] / n if e[k] > n else g[k]
            m[k] = b1 * m[k] + (1 - b1) * sg
            v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
        x = {k: x[k] - lr * (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + eps) for k in x}
        return x, (m, v, e)

    params = R.init_params()
    zeros = {k: np.zeros_like(a) for k, a in params.items()}
    theirs = R.run_numpy(step, (zeros, zeros, {k: 0.0 for k in params}))
    ours = R.run_optzoo(optzoo.create("adanorm", preset="authors", learning_rate=lr, r=r, eps=eps))
    err = R.displacement_error(ours, theirs)
    R.check("adanorm", err, "NumPy transcription of the AdamNorm algorithm", kind="transcription")


# Xie, Yuan, Zhu, Sugiyama. Positive-Negative Momentum. 2021. https://arxiv.org/abs/2103.17182,
# Algorithm 2 (AdaPNM): m_t = b1^2 m_{t-2} + (1 - b1^2) g_t;
# m_hat = ((1 + b0) m_t - b0 m_{t-1}) / (1 - b1^t); v_max = max(v_max, v_t);
# x -= lr m_hat / (sqrt((1 + b0)^2 + b0^2) (sqrt(v_max / (1 - b2^t)) + eps)), decoupled decay.
def test_adapnm_matches_algorithm_2():
    lr, b1, b2, b0, eps, wd = 1e-2, 0.9, 0.999, 1.0, 1e-12, WD

    def step(x, g, s, t):
        fed, other, v, vmax = s  # the momentum fed at t-2, the one fed at t-1
        fed = {k: b1**2 * fed[k] + (1 - b1**2) * g[k] for k in x}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in x}
        vmax = {k: np.maximum(vmax[k], v[k]) for k in x}
        norm = np.sqrt((1 + b0) ** 2 + b0**2)
        x = {
            k: x[k] * (1 - lr * wd)
            - lr
            * (((1 + b0) * fed[k] - b0 * other[k]) / (1 - b1**t))
            / (norm * (np.sqrt(vmax[k] / (1 - b2**t)) + eps))
            for k in x
        }
        return x, (other, fed, v, vmax)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros, zeros, zeros))
    ours = R.run_optzoo(
        optzoo.create("adapnm", preset="authors", learning_rate=lr, b0=b0, eps=eps, weight_decay=wd)
    )
    err = R.displacement_error(ours, theirs)
    R.check("adapnm", err, "NumPy transcription of Algorithm 2", kind="transcription")


# Zhou, Zhang, Lu, Wang, Zhang, Yu. AdaShift: Decorrelation and Convergence of Adaptive Learning
# Rate Methods. 2018. https://arxiv.org/abs/1810.00143, Algorithm 1 with phi = max over the
# leaf: m_t = sum_{i<n} b1^i g_{t-i} / sum_{i<n} b1^i; v_t = b2 v_{t-1} + (1 - b2) max(g_{t-n}^2);
# x -= lr m_t / (sqrt(v_t / (1 - b2^(t-n))) + eps) once t > n (the bias correction and eps
# as optzoo and pytorch_optimizer; the box has neither), decoupled decay on every step.
def test_adashift_matches_algorithm_1():
    lr, b1, b2, n, eps, wd = 1e-2, 0.9, 0.999, 4, 1e-10, WD
    weights = b1 ** np.arange(n) / np.sum(b1 ** np.arange(n))

    def step(x, g, s, t):
        history, v = s  # history: every gradient so far
        history = history + [g]
        if t <= n:  # the window fills; only the decay moves x
            return {k: x[k] * (1 - lr * wd) for k in x}, (history, v)
        v = {k: b2 * v[k] + (1 - b2) * np.max(history[-n - 1][k] ** 2) for k in x}
        m = {k: sum(w * history[-1 - i][k] for i, w in enumerate(weights)) for k in x}
        x = {
            k: x[k] * (1 - lr * wd) - lr * m[k] / (np.sqrt(v[k] / (1 - b2 ** (t - n))) + eps)
            for k in x
        }
        return x, (history, v)

    theirs = R.run_numpy(step, ([], {k: 0.0 for k in R.init_params()}))
    ours = R.run_optzoo(
        optzoo.create("adashift", preset="authors", learning_rate=lr, keep_num=n, weight_decay=wd)
    )
    err = R.displacement_error(ours, theirs)
    R.check("adashift", err, "NumPy transcription of Algorithm 1", kind="transcription")


# Savarese, McAllester, Babu, Maire. Domain-independent Dominance of Adaptive Methods. 2019.
# https://arxiv.org/abs/1912.01823, Algorithm 2 (AvaGrad): eta_t = 1 / (sqrt(v_{t-1}) + eps);
# x -= lr (sqrt(d) / ||eta_t||) eta_t m_t; then v_t. With Adam's bias corrections (m_t / (1 -
# b1^t), v_{t-1} / (1 - b2^(t-1))) and the first step skipped, as optzoo and pytorch_optimizer;
# d and the norm over all parameters; decoupled decay.
def test_avagrad_matches_algorithm_2():
    lr, b1, b2, eps, wd = 0.1, 0.9, 0.999, 0.1, WD

    def step(x, g, s, t):
        m, v = s
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in x}
        x = {k: x[k] * (1 - lr * wd) for k in x}
        if t > 1:
            eta = {k: 1 / (np.sqrt(v[k] / (1 - b2 ** (t - 1))) + eps) for k in x}
            flat = np.concatenate([e.ravel() for e in eta.values()])
            gamma = np.sqrt(flat.size) / np.linalg.norm(flat)
            x = {k: x[k] - lr * gamma * eta[k] * m[k] / (1 - b1**t) for k in x}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in x}
        return x, (m, v)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros))
    ours = R.run_optzoo(
        optzoo.create("avagrad", preset="authors", learning_rate=lr, eps=eps, weight_decay=wd)
    )
    err = R.displacement_error(ours, theirs)
    R.check("avagrad", err, "NumPy transcription of Algorithm 2", kind="transcription")


def test_avagrad_paper_norm_differs_from_pytorch_optimizers():
    # The two normalizers give different trajectories (else the flag would be pointless).
    a = R.run_optzoo(optzoo.avagrad(0.1, paper_norm=True), steps=5)
    b = R.run_optzoo(optzoo.avagrad(0.1, paper_norm=False), steps=5)
    assert R.displacement_error(a, b) > 1e-3


# Hwang. FAdam: Adam is a natural gradient optimizer using diagonal empirical Fisher
# information. 2024. https://arxiv.org/abs/2405.12807, Algorithm 1: rho = b2 (1 - b2^(t-1)) /
# (1 - b2^t); f = rho f + (1 - rho) g^2; g_bar = clip(g / (f^p + eps_t^(2p))); m = b1 m +
# (1 - b1) g_bar; x -= lr (m + wd clip(x / (f^p + eps_t^(2p)))), clip(z) = z / max(1, RMS(z) /
# c), with the adaptive epsilon eps_t = min(eps, eps_2 RMS(g)).
def test_fadam_matches_algorithm_1():
    lr, b1, b2, eps, eps_2, c, p, wd = 1e-2, 0.9, 0.999, 0.05, 0.01, 0.5, 0.5, 0.1

    def rms(z):
        return np.sqrt(np.mean(z**2))

    def clip(z):
        return z / max(1.0, rms(z) / c)

    def step(x, g, s, t):
        m, f = s
        rho = b2 * (1 - b2 ** (t - 1)) / (1 - b2**t)
        f = {k: rho * f[k] + (1 - rho) * g[k] ** 2 for k in x}
        d = {k: f[k] ** p + min(eps, eps_2 * rms(g[k])) ** (2 * p) for k in x}
        m = {k: b1 * m[k] + (1 - b1) * clip(g[k] / d[k]) for k in x}
        x = {k: x[k] - lr * (m[k] + wd * clip(x[k] / d[k])) for k in x}
        return x, (m, f)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros))
    ours = R.run_optzoo(
        optzoo.create(
            "fadam",
            preset="authors",
            learning_rate=lr,
            eps=eps,
            eps_2=eps_2,
            clip=c,
            weight_decay=wd,
        )
    )
    err = R.displacement_error(ours, theirs)
    R.check("fadam", err, "NumPy transcription of Algorithm 1", kind="transcription")


# Adly. EXAdam: The Power of Adaptive Cross-Moments. 2024. https://arxiv.org/abs/2412.20302
# (v2), Algorithm 1: m_tilde = m / (1 - b1^t) (1 + v / (v + eps) b2^t); v_tilde = v / (1 - b2^t)
# (1 + m^2 / (m^2 + eps) b1^t); g_tilde = g / (1 - b1^t) (1 + v / (v + eps) b2^t);
# x -= lr (m_tilde + g_tilde) / (sqrt(v_tilde) + eps).
def test_exadam_matches_algorithm_1():
    lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-4

    def step(x, g, s, t):
        m, v = s
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in x}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in x}
        new = {}
        for k in x:
            m_t = m[k] / (1 - b1**t) * (1 + v[k] / (v[k] + eps) * b2**t)
            v_t = v[k] / (1 - b2**t) * (1 + m[k] ** 2 / (m[k] ** 2 + eps) * b1**t)
            g_t = g[k] / (1 - b1**t) * (1 + v[k] / (v[k] + eps) * b2**t)
            new[k] = x[k] - lr * (m_t + g_t) / (np.sqrt(v_t) + eps)
        return new, (m, v)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros))
    ours = R.run_optzoo(optzoo.create("exadam", preset="authors", learning_rate=lr, eps=eps))
    err = R.displacement_error(ours, theirs)
    R.check("exadam", err, "NumPy transcription of Algorithm 1", kind="transcription")


# Xie, Xu, Zhang, Sato, Sugiyama. On the Overlooked Pitfalls of Weight Decay and How to
# Mitigate Them: A Gradient-Norm Perspective. 2020. https://arxiv.org/abs/2011.11152,
# Algorithm 2 (AdamS): m_hat, v_hat as Adam; v_bar = mean(v_hat) over all parameters;
# x -= lr m_hat / (sqrt(v_hat) + eps) + lr wd x / sqrt(v_bar). eps = 1e-12 (the decay's root
# has none in the box).
def test_adams_matches_algorithm_2():
    lr, b1, b2, eps, wd = 1e-2, 0.9, 0.999, 1e-12, 0.05

    def step(x, g, s, t):
        m, v = s
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in x}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in x}
        v_hat = {k: v[k] / (1 - b2**t) for k in x}
        v_bar = np.mean(np.concatenate([a.ravel() for a in v_hat.values()]))
        x = {
            k: x[k]
            - lr * (m[k] / (1 - b1**t)) / (np.sqrt(v_hat[k]) + eps)
            - lr * wd * x[k] / np.sqrt(v_bar)
            for k in x
        }
        return x, (m, v)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros))
    ours = R.run_optzoo(
        optzoo.create("adams", preset="authors", learning_rate=lr, eps=eps, weight_decay=wd)
    )
    err = R.displacement_error(ours, theirs)
    R.check("adams", err, "NumPy transcription of Algorithm 2", kind="transcription")


# Chen, Zhou, Tang, Yang, Cao, Gu. Closing the Generalization Gap of Adaptive Gradient Methods
# in Training Deep Neural Networks. 2018. https://arxiv.org/abs/1806.06763, Algorithm 1
# (Padam): m_t = b1 m + (1 - b1) g; v_t = b2 v + (1 - b2) g^2; v_hat = max(v_hat, v_t);
# x -= lr m_t / v_hat^p (eps = 0; pytorch_optimizer's form differs, see paper_form), L2 decay.
def test_padam_matches_algorithm_1():
    lr, b1, b2, p, wd = 0.05, 0.9, 0.999, 0.125, WD

    def step(x, g, s, t):
        m, v, v_hat = s
        g = {k: g[k] + wd * x[k] for k in x}
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in x}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in x}
        v_hat = {k: np.maximum(v_hat[k], v[k]) for k in x}
        return {k: x[k] - lr * m[k] / v_hat[k] ** p for k in x}, (m, v, v_hat)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros, zeros))
    ours = R.run_optzoo(
        optzoo.create("padam", preset="authors", learning_rate=lr, eps=0.0, weight_decay=wd)
    )
    err = R.displacement_error(ours, theirs)
    R.check("padam", err, "NumPy transcription of Algorithm 1", kind="transcription")


def test_padam_paper_form_differs_from_pytorch_optimizers():
    a = R.run_optzoo(optzoo.padam(0.05, paper_form=True), steps=5)
    b = R.run_optzoo(optzoo.padam(0.05, paper_form=False), steps=5)
    assert R.displacement_error(a, b) > 1e-3


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
