"""Learning-rate-free optimizers against their authors' own packages (issue #14).

Each optimizer runs in its authors' configuration (``optzoo.create(name, preset="authors")``)
against the authors' published PyTorch package with its defaults, the same learning rate and
weight decay, on the shared problem of ``_reference.py``, in float64.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402

torch = pytest.importorskip("torch")


def _prodigy(params, **kw):
    prodigyopt = pytest.importorskip("prodigyopt")
    return prodigyopt.Prodigy(params, **kw)


def _dadapt_adam(params, **kw):
    dadaptation = pytest.importorskip("dadaptation")
    return dadaptation.DAdaptAdam(params, **kw)


def _dadapt_sgd(params, **kw):
    dadaptation = pytest.importorskip("dadaptation")
    return dadaptation.DAdaptSGD(params, **kw)


def _dadapt_adagrad(params, **kw):
    dadaptation = pytest.importorskip("dadaptation")
    return dadaptation.DAdaptAdaGrad(params, **kw)


def _dadapt_adan(params, **kw):
    dadaptation = pytest.importorskip("dadaptation")
    return dadaptation.DAdaptAdan(params, **kw)


def _dadapt_lion(params, **kw):
    dadaptation = pytest.importorskip("dadaptation")
    return dadaptation.DAdaptLion(params, **kw)


def _dog(params, **kw):
    dog = pytest.importorskip("dog")
    return dog.DoG(params, **kw)


def _cocob(params, **kw):
    parameterfree = pytest.importorskip("parameterfree")
    return parameterfree.COCOB(params, **kw)


def _mechanic(params, **kw):
    mechanic_pytorch = pytest.importorskip("mechanic_pytorch")
    lr = kw.pop("lr")
    return mechanic_pytorch.mechanize(torch.optim.Adam, **kw)(params, lr=lr)


# name: (optzoo hyperparameters, torch constructor, its hyperparameters, reference)
CASES = {
    "prodigy": (
        dict(learning_rate=1.0, weight_decay=0.1),
        _prodigy,
        dict(lr=1.0, weight_decay=0.1),
        "prodigyopt 1.1.2",
    ),
    "dadapt_adam": (
        dict(learning_rate=1.0, weight_decay=0.1),
        _dadapt_adam,
        dict(lr=1.0, weight_decay=0.1),
        "dadaptation 3.2",
    ),
    "dadapt_sgd": (
        dict(learning_rate=1.0, weight_decay=0.1),
        _dadapt_sgd,
        dict(lr=1.0, weight_decay=0.1),
        "dadaptation 3.2",
    ),
    "dadapt_adagrad": (
        dict(learning_rate=1.0, weight_decay=0.1),
        _dadapt_adagrad,
        dict(lr=1.0, weight_decay=0.1),
        "dadaptation 3.2",
    ),
    "dadapt_adan": (
        dict(learning_rate=1.0, weight_decay=0.1),
        _dadapt_adan,
        dict(lr=1.0, weight_decay=0.1),
        "dadaptation 3.2",
    ),
    "dadapt_lion": (
        dict(learning_rate=1.0, weight_decay=0.1),
        _dadapt_lion,
        dict(lr=1.0, weight_decay=0.1),
        "dadaptation 3.2",
    ),
    "dog": (
        dict(learning_rate=1.0, weight_decay=0.1),
        _dog,
        dict(lr=1.0, weight_decay=0.1),
        "dog-optimizer 1.0.3",
    ),
    "cocob": (
        dict(weight_decay=0.1),
        _cocob,
        dict(weight_decay=0.1),
        "parameterfree 0.0.1",
    ),
    "mechanic": (
        dict(learning_rate=1e-2, weight_decay=0.1),
        _mechanic,
        dict(lr=1e-2, s_decay=0.1),
        "mechanic-pytorch 0.0.1",
    ),
}


@pytest.fixture
def torch_float64():
    """Some packages make their scalar state with torch's default dtype: run them in float64."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


@pytest.mark.parametrize("name", sorted(CASES))
def test_authors_package(name, torch_float64):
    ours_kw, make, theirs_kw, reference = CASES[name]
    theirs = R.run_torch(lambda params: make(params, **theirs_kw))
    ours = R.run_optzoo(optzoo.create(name, preset="authors", **ours_kw))
    R.check(name, R.displacement_error(ours, theirs), reference)


# Flags beyond the authors' defaults: (registry name, optzoo extra, the package's extra).
FLAGS = [
    ("prodigy", dict(decouple=False), dict(decouple=False)),
    ("prodigy", dict(use_bias_correction=True), dict(use_bias_correction=True)),
    (
        "prodigy",
        dict(safeguard_warmup=True, betas=(0.8, 0.99)),
        dict(safeguard_warmup=True, betas=(0.8, 0.99)),
    ),
    ("dadapt_adam", dict(decouple=True), dict(decouple=True)),
    ("dadapt_adam", dict(use_bias_correction=True), dict(use_bias_correction=True)),
    ("dadapt_adam", dict(growth_rate=1.02), dict(growth_rate=1.02)),
    ("dadapt_sgd", dict(momentum=0.9), dict(momentum=0.9)),
    ("dadapt_sgd", dict(growth_rate=1.05), dict(growth_rate=1.05)),
    ("dog", dict(init_step=("learning_rate", 1e-3)), dict(init_eta=1e-3)),
    ("cocob", dict(alpha=20.0), dict(alpha=20.0)),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "ours_extra", "theirs_extra"), FLAGS)
def test_authors_package_flags(name, ours_extra, theirs_extra, torch_float64):
    ours_kw, make, theirs_kw, _ = CASES[name]
    theirs = R.run_torch(lambda params: make(params, **theirs_kw, **theirs_extra))
    ours = R.run_optzoo(optzoo.create(name, preset="authors", **ours_kw, **ours_extra))
    err = R.displacement_error(ours, theirs)
    assert err <= R.TOL["float64"], (name, ours_extra, err)


# --------------------------------------------------------------- ALI-G and AdamG (no package)


def _loss_value(x, t):
    """A positive loss for ALI-G's Polyak step (the shared loss plus a constant; the
    interpolation setting assumes a minimum near 0, the gradient is unchanged)."""
    return float(R.loss(x, t)) + 10.0


@pytest.mark.parametrize("adjusted", [False, True])
def test_alig_matches_the_authors_step(adjusted):
    """Transcription of the authors' ``AliG.step`` (oval-group/ali-g, alig/th/alig.py):
    ``gamma = min(f / (|g|^2 + eps), max_lr)``, ``x -= gamma g``, then standard
    (``z = mu z - gamma g; x += mu z``) or adjusted (``z = mu z - g; x += gamma mu z``)
    momentum."""
    import jax.numpy as jnp

    max_lr, mu, eps = 0.1, 0.9, 1e-5

    def step(x, g, z, t):
        sq = sum(float(np.sum(g[k] ** 2)) for k in g)
        gamma = min(_loss_value(x, t - 1) / (sq + eps), max_lr)
        for k in x:
            x[k] = x[k] - gamma * g[k]
            if adjusted:
                z[k] = mu * z[k] - g[k]
                x[k] = x[k] + gamma * mu * z[k]
            else:
                z[k] = mu * z[k] - gamma * g[k]
                x[k] = x[k] + mu * z[k]
        return x, z

    theirs = R.run_numpy(step, {k: np.zeros_like(a) for k, a in R.init_params().items()})
    tx = optzoo.create(
        "alig", preset="authors", learning_rate=max_lr, momentum=mu, adjusted_momentum=adjusted
    )
    ours = R.run_optzoo(
        tx, extra=lambda p, t: {"value": R.loss(p, t, lambda a: jnp.asarray(a)) + 10.0}
    )
    err = R.displacement_error(ours, theirs)
    if adjusted:
        assert err <= 1e-10, err
    else:
        R.check(
            "alig",
            err,
            "NumPy transcription of the authors' AliG.step",
            kind="transcription",
        )


def test_adamg_matches_algorithm_1():
    """AdamG, Algorithm 1 of Pan et al. 2024 (the authors published no code), with the
    coupled decay: ``v = b2 v + (1-b2) g^2``, ``r = b3 r + (1-b3) p v^q``,
    ``m = b1 m + (1-b1) r g``, ``x -= min(lr, 1/sqrt(t)) m_hat / (sqrt(v_hat) + eps)``."""
    lr, b1, b2, b3, p, q, eps, wd = 1.0, 0.95, 0.999, 0.95, 0.2, 0.24, 1e-8, 1e-2

    def step(x, g, state, t):
        m, v, r = state
        for k in x:
            gk = g[k] + wd * x[k]
            v[k] = b2 * v[k] + (1 - b2) * gk * gk
            r[k] = b3 * r[k] + (1 - b3) * p * v[k] ** q
            m[k] = b1 * m[k] + (1 - b1) * r[k] * gk
            m_hat = m[k] / (1 - b1**t)
            v_hat = v[k] / (1 - b2**t)
            x[k] = x[k] - min(lr, 1 / np.sqrt(t)) * m_hat / (np.sqrt(v_hat) + eps)
        return x, (m, v, r)

    zeros = lambda: {k: np.zeros_like(a) for k, a in R.init_params().items()}  # noqa: E731
    theirs = R.run_numpy(step, (zeros(), zeros(), zeros()))
    ours = R.run_optzoo(optzoo.create("adamg", preset="authors", weight_decay=wd))
    R.check(
        "adamg",
        R.displacement_error(ours, theirs),
        "NumPy transcription of Algorithm 1",
        kind="transcription",
    )


# ------------------------------------------------------ L-DoG (the authors' package)


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_ldog_matches_the_authors_package(weight_decay):
    """``dog.LDoG`` (dog-optimizer 1.0.3): DoG's step size per parameter tensor."""
    dog = pytest.importorskip("dog")
    theirs = R.run_torch(lambda ps: dog.LDoG(ps, reps_rel=1e-2, weight_decay=weight_decay))
    tx = optzoo.create("ldog", preset="authors", reps_rel=1e-2, weight_decay=weight_decay)
    err = R.displacement_error(R.run_optzoo(tx), theirs)
    if weight_decay:
        R.check("ldog", err, "dog-optimizer 1.0.3 (LDoG)")
    else:
        assert err <= 1e-10, err


# ------------------------------------------------------ DoWG, MoMo, MoMo-Adam (optax.contrib)


# Khaled, Mishchenko, Jin. DoWG Unleashed: An Efficient Universal Parameter-Free Gradient
# Descent Method. 2023. https://arxiv.org/abs/2305.16284, Algorithm 1 (DoWG):
# r_t = max(||x_t - x_0||, r_{t-1}), v_t = v_{t-1} + r_t^2 ||g_t||^2, x -= r_t^2 / sqrt(v_t) g_t,
# with r_{-1} = r_eps; eps (optax's safeguard in the denominator) is 1e-14 here.
def test_dowg_matches_algorithm_1():
    r_eps_sq = 1e-4
    x0 = R.init_params()

    def step(x, g, state, t):
        r_sq, v = state
        dist_sq = sum(float(np.sum((x[k] - x0[k]) ** 2)) for k in x)
        r_sq = max(r_sq, dist_sq)
        v = v + r_sq * sum(float(np.sum(g[k] ** 2)) for k in x)
        eta = r_sq / np.sqrt(v)
        return {k: x[k] - eta * g[k] for k in x}, (r_sq, v)

    theirs = R.run_numpy(step, (r_eps_sq, 0.0))
    ours = R.run_optzoo(
        optzoo.create("dowg", preset="authors", init_estim_sq_dist=r_eps_sq, eps=1e-14)
    )
    R.check(
        "dowg",
        R.displacement_error(ours, theirs),
        "NumPy transcription of Algorithm 1",
        kind="transcription",
    )


# Schaipp, Ohana, Eickenberg, Defazio, Gower. MoMo: Momentum Models for Adaptive Learning
# Rates. 2023. https://arxiv.org/abs/2305.07583, Algorithm 1 (MoMo) with the proximal weight
# decay: d_k = b d_{k-1} + (1-b) g_k, f_k = b f_{k-1} + (1-b) f(x_k),
# gamma_k = b gamma_{k-1} + (1-b) <g_k, x_k> (the first step takes d, f, gamma from x_0, as
# the authors' code), c = 1 + lr wd, tau = min(lr, (c (f_k - f_* - gamma_k) + <d_k, x_k>)_+
# / |d_k|^2), x_{k+1} = (x_k - c tau d_k) / c. The loss is the shared one plus 10 (f_* = 0).
def test_momo_matches_algorithm_1():
    import jax.numpy as jnp

    lr, b, wd = 1.0, 0.9, 1e-2

    def step(x, g, state, t):
        d, f, gam = state
        rho = 0.0 if t == 1 else b
        d = {k: rho * d[k] + (1 - rho) * g[k] for k in x}
        f = rho * f + (1 - rho) * _loss_value(x, t - 1)
        gam = rho * gam + (1 - rho) * sum(float(np.sum(g[k] * x[k])) for k in x)
        d_sq = sum(float(np.sum(d[k] ** 2)) for k in x)
        d_x = sum(float(np.sum(d[k] * x[k])) for k in x)
        c = 1 + lr * wd
        tau = min(lr, max(c * (f - gam) + d_x, 0.0) / d_sq)
        return {k: (x[k] - c * tau * d[k]) / c for k in x}, (d, f, gam)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, 0.0, 0.0))
    tx = optzoo.create("momo", preset="authors", learning_rate=lr, beta=b, weight_decay=wd)
    ours = R.run_optzoo(
        tx, extra=lambda p, t: {"value": R.loss(p, t, lambda a: jnp.asarray(a)) + 10.0}
    )
    R.check(
        "momo",
        R.displacement_error(ours, theirs),
        "NumPy transcription of Algorithm 1",
        kind="transcription",
    )


# The same paper, its MoMo-Adam algorithm box: Adam's d_k and v_k,
# D_k = eps + sqrt(v_k / (1 - b2^k)), f_k and gamma_k averaged with b1 from 0,
# rho_k = 1 - b1^k, h_k = f_k + <d_k, x_k> - gamma_k,
# tau = min(lr / rho_k, (h_k - rho_k f_*)_+ / <d_k, d_k / D_k>), x -= tau d_k / D_k.
def test_momo_adam_matches_the_algorithm_box():
    import jax.numpy as jnp

    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8

    def step(x, g, state, t):
        d, v, f, gam = state
        d = {k: b1 * d[k] + (1 - b1) * g[k] for k in x}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in x}
        f = b1 * f + (1 - b1) * _loss_value(x, t - 1)
        gam = b1 * gam + (1 - b1) * sum(float(np.sum(g[k] * x[k])) for k in x)
        big_d = {k: eps + np.sqrt(v[k] / (1 - b2**t)) for k in x}
        rho = 1 - b1**t
        d_sq = sum(float(np.sum(d[k] ** 2 / big_d[k])) for k in x)
        h = f + sum(float(np.sum(d[k] * x[k])) for k in x) - gam
        tau = min(lr / rho, max(h, 0.0) / d_sq)
        return {k: x[k] - tau * d[k] / big_d[k] for k in x}, (d, v, f, gam)

    zeros = lambda: {k: np.zeros_like(a) for k, a in R.init_params().items()}  # noqa: E731
    theirs = R.run_numpy(step, (zeros(), zeros(), 0.0, 0.0))
    tx = optzoo.create("momo_adam", preset="authors", learning_rate=lr, b1=b1, b2=b2, eps=eps)
    ours = R.run_optzoo(
        tx, extra=lambda p, t: {"value": R.loss(p, t, lambda a: jnp.asarray(a)) + 10.0}
    )
    R.check(
        "momo_adam",
        R.displacement_error(ours, theirs),
        "NumPy transcription of the MoMo-Adam algorithm box",
        kind="transcription",
    )


# Malitsky, Mishchenko. Adaptive Gradient Descent without Descent. 2020.
# https://arxiv.org/abs/1910.09529, Algorithm 1 (AdGD): x_1 = x_0 - lambda_0 g_0, theta_0 = inf;
# then lambda_k = min(sqrt(1 + theta_{k-1}) lambda_{k-1},
# |x_k - x_{k-1}| / (2 |g_k - g_{k-1}|)), x_{k+1} = x_k - lambda_k g_k,
# theta_k = lambda_k / lambda_{k-1} (norms over all leaves). The authors' code
# (ymalitsky/adaptive_GD) is source files, no package. AdGD is a deterministic method: on
# this problem's noisy gradients |g_k - g_{k-1}| stays at the noise's size while the steps
# shrink, so lambda_k decays geometrically (1e-9 by step 40, exactly 0 near step 70, where
# the algorithm box divides 0 by 0): 40 steps.
def test_adgd_matches_algorithm_1():
    lam0 = 0.1

    def norm(tree):
        return float(np.sqrt(sum(np.sum(v**2) for v in tree.values())))

    def step(x, g, state, t):
        x_prev, g_prev, lam_prev, theta = state
        if t == 1:
            lam = lam0
        else:
            dx = norm({k: x[k] - x_prev[k] for k in x})
            dg = norm({k: g[k] - g_prev[k] for k in x})
            lam = min(np.sqrt(1 + theta) * lam_prev, dx / (2 * dg))
            theta = lam / lam_prev
        return {k: x[k] - lam * g[k] for k in x}, (x, g, lam, theta)

    steps = 40
    theirs = R.run_numpy(step, (None, None, lam0, np.inf), steps=steps)
    ours = R.run_optzoo(optzoo.create("adgd", preset="authors", learning_rate=lam0), steps=steps)
    R.check(
        "adgd",
        R.displacement_error(ours, theirs),
        "NumPy transcription of Algorithm 1",
        kind="transcription",
    )
