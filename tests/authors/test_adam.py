"""The Adam family against its authors' code: each test names its reference.

Where the authors published a package that installs here (``adabelief-pytorch``, ``adabound``,
``adamp``, ``madgrad``, ``came-pytorch``, ``torch-adopt``, ``qhoptim``, ``adamod``,
``adam-mini``, ``grams-pytorch``, ...) the test runs it with the same learning rate and weight
decay; where they published source files only, a short transcription of that code is the
reference; where they published no code, a NumPy transcription of the paper's algorithm box
(cited above each test). Each runs ``optzoo.create(name, preset="authors")`` on the shared
problem of ``_reference.py``.
"""

from __future__ import annotations

import math
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402

WD = 0.1

# --------------------------------------------------------------------------- packages


def _adabelief(ts, lr, wd):
    from adabelief_pytorch import AdaBelief

    return AdaBelief(ts, lr=lr, weight_decay=wd, print_change_log=False)


def _adabound(ts, lr, wd):
    from adabound import AdaBound

    return AdaBound(ts, lr=lr, weight_decay=wd)


def _adamp(ts, lr, wd):
    from adamp import AdamP

    return AdamP(ts, lr=lr, weight_decay=wd)


def _madgrad(ts, lr, wd):
    from madgrad import MADGRAD

    return MADGRAD(ts, lr=lr, weight_decay=wd)


def _came(ts, lr, wd):
    from came_pytorch import CAME

    return CAME(ts, lr=lr, weight_decay=wd)


def _adopt(ts, lr, wd):
    from adopt import ADOPT

    return ADOPT(ts, lr=lr, weight_decay=wd)


# name: (import name, distribution and version, torch factory, learning rate)
PACKAGES = {
    "adabelief": ("adabelief_pytorch", "adabelief-pytorch 0.2.1", _adabelief, 0.02),
    "adabound": ("adabound", "adabound 0.0.5", _adabound, 0.02),
    "adamp": ("adamp", "adamp 0.3.0", _adamp, 0.02),
    "madgrad": ("madgrad", "madgrad 1.3", _madgrad, 0.01),
    "came": ("came_pytorch", "came-pytorch 0.1.3", _came, 0.02),
    "adopt": ("adopt", "torch-adopt 0.1.0", _adopt, 0.02),
}


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_matches_the_authors_package(name):
    module, reference, make, lr = PACKAGES[name]
    pytest.importorskip(module)
    theirs = R.run_torch(lambda ts: make(ts, lr, WD))
    ours = R.run_optzoo(optzoo.create(name, preset="authors", learning_rate=lr, weight_decay=WD))
    R.check(name, R.displacement_error(ours, theirs), reference)


@pytest.mark.slow
def test_adopt_decoupled_decay_matches_torch_adopt():
    adopt = pytest.importorskip("adopt")
    lr = 0.02
    theirs = R.run_torch(lambda ts: adopt.ADOPT(ts, lr=lr, weight_decay=WD, decouple=True))
    ours = R.run_optzoo(optzoo.create("adopt", learning_rate=lr, weight_decay=WD, decouple=True))
    assert R.displacement_error(ours, theirs) <= R.TOL["float64"]


@pytest.mark.slow
@pytest.mark.parametrize("degenerated_to_sgd", [True, False])
def test_adabelief_rectification_without_decay_matches_the_package(degenerated_to_sgd):
    AdaBelief = pytest.importorskip("adabelief_pytorch").AdaBelief
    lr = 0.02
    theirs = R.run_torch(
        lambda ts: AdaBelief(
            ts, lr=lr, degenerated_to_sgd=degenerated_to_sgd, print_change_log=False
        )
    )
    ours = R.run_optzoo(optzoo.adabelief(lr, rectify=True, degenerated_to_sgd=degenerated_to_sgd))
    assert R.displacement_error(ours, theirs) <= R.TOL["float64"]


# --------------------------------------------------------------------------- transcriptions


def _adan_step(lr, b1, b2, b3, eps, wd):
    # Xie, Zhou, Li, Lin, Yan. Adan: Adaptive Nesterov Momentum Algorithm for Faster
    # Optimizing Deep Models. 2022. https://arxiv.org/abs/2208.06677, Algorithm 1 (the paper's
    # betas are 1 - these decays, so its 1 - beta2 is b2), with the bias correction and
    # g_0 - g_{-1} = 0 of the authors' adan.py; proximal weight decay (their no_prox=False).
    def step(params, grads, state, t):
        out = {}
        for k, x in params.items():
            g = grads[k]
            m, v, n, prev = state.get(k, (0.0 * g, 0.0 * g, 0.0 * g, g))
            d = g - prev
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * d
            n = b3 * n + (1 - b3) * (g + b2 * d) ** 2
            direction = m / (1 - b1**t) + b2 * v / (1 - b2**t)
            x = x - lr * direction / (np.sqrt(n / (1 - b3**t)) + eps)
            out[k] = x / (1 + lr * wd)
            state[k] = (m, v, n, g)
        return out, state

    return step


def _ademamix_step(lr, b1, b2, b3, alpha, eps, wd):
    # Pagliardini, Ablin, Grangier. The AdEMAMix Optimizer: Better, Faster, Older. 2024.
    # https://arxiv.org/abs/2409.03137, Algorithm 1 (without the alpha / beta3 warm-ups).
    def step(params, grads, state, t):
        out = {}
        for k, x in params.items():
            g = grads[k]
            m1, m2, nu = state.get(k, (0.0 * g, 0.0 * g, 0.0 * g))
            m1 = b1 * m1 + (1 - b1) * g
            m2 = b3 * m2 + (1 - b3) * g
            nu = b2 * nu + (1 - b2) * g * g
            u = (m1 / (1 - b1**t) + alpha * m2) / (np.sqrt(nu / (1 - b2**t)) + eps)
            out[k] = x - lr * (u + wd * x)
            state[k] = (m1, m2, nu)
        return out, state

    return step


def _simplified_ademamix_step(lr, b1, b2, alpha, eps, wd):
    # Morwani, Vyas, Zhang, Kakade. Connections between Schedule-Free Optimizers, AdEMAMix,
    # and Accelerated SGD Variants. 2025. https://arxiv.org/abs/2502.02431: the update of the
    # authors' simplified_AdEMAMix.py (SimAdEMAMix.step, defaults: no beta1 warm-up, a
    # momentum summed without 1 - beta1 and not bias-corrected, a bias-corrected denominator).
    def step(params, grads, state, t):
        out = {}
        for k, x in params.items():
            g = grads[k]
            m, nu = state.get(k, (0.0 * g, 0.0 * g))
            m = b1 * m + g
            nu = b2 * nu + (1 - b2) * g * g
            c2 = 1 - b2**t
            u = (alpha * g + m) / (np.sqrt(nu) + eps * np.sqrt(c2)) * np.sqrt(c2)
            out[k] = x - lr * (u + wd * x)
            state[k] = (m, nu)
        return out, state

    return step


def _laprop_step(lr, b1, b2, eps, wd):
    # Ziyin, Wang, Ueda. LaProp: Separating Momentum and Adaptivity in Adam. 2020.
    # https://arxiv.org/abs/2002.04839, Algorithm 1, with the weight decay of the authors'
    # laprop.py: the stepped weights are multiplied by 1 - wd.
    def step(params, grads, state, t):
        out = {}
        for k, x in params.items():
            g = grads[k]
            m, nu = state.get(k, (0.0 * g, 0.0 * g))
            nu = b2 * nu + (1 - b2) * g * g
            m = b1 * m + (1 - b1) * lr * g / (np.sqrt(nu / (1 - b2**t)) + eps)
            out[k] = (1 - wd) * (x - m / (1 - b1**t))
            state[k] = (m, nu)
        return out, state

    return step


# name: (transcription, its citation, learning rate); the authors' default hyperparameters.
TRANSCRIPTIONS = {
    "adan": (
        lambda lr: _adan_step(lr, 0.98, 0.92, 0.99, 1e-8, WD),
        "NumPy transcription of Algorithm 1",
        0.02,
    ),
    "ademamix": (
        lambda lr: _ademamix_step(lr, 0.9, 0.999, 0.9999, 2.0, 1e-8, WD),
        "NumPy transcription of Algorithm 1",
        0.01,
    ),
    "simplified_ademamix": (
        lambda lr: _simplified_ademamix_step(lr, 0.99, 0.95, 0.0, 1e-8, WD),
        "NumPy transcription of the authors' SimAdEMAMix.step",
        0.002,
    ),
    "laprop": (
        lambda lr: _laprop_step(lr, 0.9, 0.999, 1e-15, 0.01),
        "NumPy transcription of Algorithm 1 with laprop.py's weight decay",
        0.02,
    ),
}


@pytest.mark.parametrize("name", sorted(TRANSCRIPTIONS))
def test_matches_the_transcription_of_the_authors_algorithm(name):
    make, reference, lr = TRANSCRIPTIONS[name]
    wd = 0.01 if name == "laprop" else WD  # LaProp's decay is per step, not times lr
    theirs = R.run_numpy(make(lr), {})
    ours = R.run_optzoo(optzoo.create(name, preset="authors", learning_rate=lr, weight_decay=wd))
    R.check(name, R.displacement_error(ours, theirs), reference, kind="transcription")


# --------------------------------------------------------------------------- extra flags


@pytest.mark.slow
def test_adamp_projection_on_scale_invariant_weights_matches_the_package():
    """The shared problem never triggers AdamP's projection; here each leaf enters the loss
    only through its channels' directions (rows, PyTorch's axis 0), so the gradient is
    orthogonal to every channel and the authors' code projects at every step."""
    torch = pytest.importorskip("torch")
    adamp = pytest.importorskip("adamp")
    lr, steps = 0.02, 50
    names = list(R.SHAPES)

    def loss(params, t, as_array):
        total = 0.0
        for k, p in params.items():
            c, target = as_array(R.CURVATURE[k]), as_array(R.TARGET[k])
            noise = as_array(R.NOISE[k])[t]
            if p.ndim > 1:  # rows of unit length: only the directions matter
                rows = p.reshape(p.shape[0], -1)
                p = (rows / ((rows**2).sum(1) ** 0.5)[:, None]).reshape(p.shape)
            total = total + (0.5 * c * (p - target) ** 2 + noise * p).sum()
        return total

    tensors = [torch.tensor(R.INIT[k], dtype=torch.float64, requires_grad=True) for k in names]
    opt = adamp.AdamP(tensors, lr=lr, weight_decay=WD)
    theirs = []
    for t in range(steps):
        opt.zero_grad()
        loss(dict(zip(names, tensors, strict=True)), t, torch.from_numpy).backward()
        opt.step()
        theirs.append({k: x.detach().numpy().copy() for k, x in zip(names, tensors, strict=True)})

    import jax
    import jax.numpy as jnp

    tx = optzoo.create("adamp", preset="authors", learning_rate=lr, weight_decay=WD)
    with jax.enable_x64(True):
        params = {k: jnp.asarray(R.INIT[k]) for k in names}
        state, ours = tx.init(params), []
        grad = jax.jit(jax.grad(lambda p, t: loss(p, t, jnp.asarray)))
        for t in range(steps):
            u, state = tx.update(grad(params, t), state, params)
            params = jax.tree.map(lambda p, d: p + d, params, u)
            ours.append({k: np.asarray(v) for k, v in params.items()})
    assert R.displacement_error(ours, theirs) <= R.TOL["float64"]
    # Flax's channel axis (the last) gives other numbers on this problem.
    tx = optzoo.create("adamp", learning_rate=lr, weight_decay=WD)
    with jax.enable_x64(True):
        params = {k: jnp.asarray(R.INIT[k]) for k in names}
        state = tx.init(params)
        for t in range(steps):
            u, state = tx.update(grad(params, t), state, params)
            params = jax.tree.map(lambda p, d: p + d, params, u)
    gap = max(np.abs(np.asarray(params[k]) - theirs[-1][k]).max() for k in names)
    assert gap > 1e-6


def test_adan_rejects_an_unknown_diff_weight_by_name():
    with pytest.raises(ValueError, match="diff_weight"):
        optzoo.adan(1e-3, diff_weight="1-b1")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["adan", "laprop"])
def test_masked_weight_decay_of_the_authors_forms(name):
    """With a mask, decayed leaves follow the transcription with weight decay and the
    others the transcription without it (Adan's proximal, LaProp's after-step decay)."""
    make, _, lr = TRANSCRIPTIONS[name]
    wd = 0.01 if name == "laprop" else WD
    with_decay = R.run_numpy(make(lr), {})
    plain = {
        "adan": lambda: _adan_step(lr, 0.98, 0.92, 0.99, 1e-8, 0.0),
        "laprop": lambda: _laprop_step(lr, 0.9, 0.999, 1e-15, 0.0),
    }[name]
    without = R.run_numpy(plain(), {})
    mask = {"vector": False, "matrix": True, "tensor": True}
    ours = R.run_optzoo(
        optzoo.create(name, preset="authors", learning_rate=lr, weight_decay=wd, mask=mask)
    )
    theirs = [
        {k: (w if mask[k] else p)[k] for k in R.SHAPES}
        for w, p in zip(with_decay, without, strict=True)
    ]
    assert R.displacement_error(ours, theirs) <= R.TOL["float64"]


@pytest.mark.slow
def test_adabelief_rectification_in_float32_matches_the_package():
    """rho_t is a difference of two numbers near 2 / (1 - b2); computed from a float32
    b2 it was off by ~1e-2 (1.5e-4 of the displacement)."""
    AdaBelief = pytest.importorskip("adabelief_pytorch").AdaBelief
    lr = 0.02
    theirs = R.run_torch(
        lambda ts: AdaBelief(ts, lr=lr, weight_decay=WD, print_change_log=False), dtype="float32"
    )
    tx = optzoo.create("adabelief", preset="authors", learning_rate=lr, weight_decay=WD)
    ours = R.run_optzoo(tx, dtype="float32")
    assert R.displacement_error(ours, theirs) <= R.TOL["float32"]


SMALL_WD = 0.01


def test_qhadam_matches_qhoptim():
    pytest.importorskip("torch")
    qhoptim = pytest.importorskip("qhoptim.pyt")
    theirs = R.run_torch(
        lambda p: qhoptim.QHAdam(
            p, lr=1e-2, nus=(0.7, 0.9), betas=(0.9, 0.99), weight_decay=SMALL_WD
        )
    )
    ours = R.run_optzoo(
        optzoo.create(
            "qhadam",
            preset="authors",
            learning_rate=1e-2,
            nu1=0.7,
            nu2=0.9,
            b2=0.99,
            weight_decay=SMALL_WD,
        )
    )
    R.check("qhadam", R.displacement_error(ours, theirs), "qhoptim 1.1.0")


def test_adamod_matches_the_authors_package():
    # The authors' AdaMod decays decoupled (x <- x - lr wd x), as optzoo's default.
    pytest.importorskip("torch")
    adamod = pytest.importorskip("adamod")
    theirs = R.run_torch(lambda p: adamod.AdaMod(p, lr=1e-2, beta3=0.99, weight_decay=SMALL_WD))
    ours = R.run_optzoo(
        optzoo.create(
            "adamod", preset="authors", learning_rate=1e-2, b3=0.99, weight_decay=SMALL_WD
        )
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
    lr, b1, b2, b0, eps, wd = 1e-2, 0.9, 0.999, 1.0, 1e-12, SMALL_WD

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
    lr, b1, b2, n, eps, wd = 1e-2, 0.9, 0.999, 4, 1e-10, SMALL_WD
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
    lr, b1, b2, eps, wd = 0.1, 0.9, 0.999, 0.1, SMALL_WD

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
    lr, b1, b2, p, wd = 0.05, 0.9, 0.999, 0.125, SMALL_WD

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
        new_x = {k: x[k] - lr * (g[k] / (den[k] + eps) + SMALL_WD * x[k]) for k in x}
        s = {k: b2 * s[k] + (1 - b2) * (g[k] - m[k]) ** 2 + eps_root for k in x}
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in x}
        return new_x, (m, s)

    zeros = lambda: {k: np.zeros_like(a) for k, a in R.init_params().items()}  # noqa: E731
    theirs = R.run_numpy(step, (zeros(), zeros()))
    ours = R.run_optzoo(
        optzoo.create("acprop", preset="authors", learning_rate=lr, weight_decay=SMALL_WD)
    )
    R.check(
        "acprop",
        R.displacement_error(ours, theirs),
        "NumPy transcription of the asynchronous centred update (optax's form)",
        kind="transcription",
    )


# Xie, Wang, Zhang, Sato, Sugiyama. Adaptive Inertia: Disentangling the Effects of Adaptive
# Learning Rate and Momentum. 2020. https://arxiv.org/abs/2006.15815, the Adai algorithm box:
# g <- g + lambda x; v = b2 v + (1 - b2) g^2; v_hat = v / (1 - b2^t); v_bar = mean(v_hat);
# b1 = clip(1 - b0 v_hat / v_bar, 0, 1 - eps); m = b1 m + (1 - b1) g;
# m_hat = m / (1 - prod b1); x -= lr m_hat.
def test_adai_matches_the_algorithm_box():
    lr, b0, b2, eps = 0.5, 0.1, 0.99, 1e-3

    def step(x, g, s, t):
        m, v, prod = s
        g = {k: g[k] + SMALL_WD * x[k] for k in x}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in x}
        v_hat = {k: v[k] / (1 - b2**t) for k in x}
        v_bar = sum(a.sum() for a in v_hat.values()) / sum(a.size for a in v_hat.values())
        b1 = {k: np.clip(1 - b0 * v_hat[k] / v_bar, 0.0, 1 - eps) for k in x}
        m = {k: b1[k] * m[k] + (1 - b1[k]) * g[k] for k in x}
        prod = {k: prod[k] * b1[k] for k in x}
        x = {k: x[k] - lr * m[k] / (1 - prod[k]) for k in x}
        return x, (m, v, prod)

    ones = {k: np.ones_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (R.zeros(), R.zeros(), ones))
    ours = R.run_optzoo(
        optzoo.create("adai", preset="authors", learning_rate=lr, b0=b0, weight_decay=SMALL_WD)
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
    zeros = R.zeros()
    theirs = R.run_numpy(_swats_step(lr, b1, b2, eps), (zeros, zeros, zeros, 0.0, "adam", 0.0))
    ours = R.run_optzoo(optzoo.create("swats", preset="authors", learning_rate=lr, b2=b2, eps=eps))
    err = R.displacement_error(ours, theirs)
    R.check("swats", err, "NumPy transcription of Algorithm 1", kind="transcription")


def test_swats_transcription_switches():
    step, zeros, switched = _swats_step(0.1, 0.9, 0.9, 1e-3), R.zeros(), []
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

    theirs = R.run_numpy(step, (R.zeros(), R.zeros()))
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
        x = {k: x[k] * (1 - lr * SMALL_WD) for k in x}
        sm = {k: gamma * sm[k] + (1 - gamma) * unit(m[k]) * unit(g[k]) for k in x}
        m = {k: b1 * m[k] + ((1 + sm[k]) / 2 + eps) * g[k] for k in x}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in x}
        return {k: x[k] - lr * m[k] / (np.sqrt(v[k]) + eps) for k in x}, (sm, m, v)

    theirs = R.run_numpy(step, (R.zeros(), R.zeros(), R.zeros()))
    ours = R.run_optzoo(
        optzoo.create("adatam", preset="authors", learning_rate=lr, weight_decay=SMALL_WD)
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
        g = {k: g[k] + SMALL_WD * x[k] for k in x}
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in x}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in x}
        d = {k: np.sqrt(v[k] / (1 - b2**t)) + eps for k in x}
        a = max(0.0, 1 - xi * t)
        w = {k: (1 - a) / d[k] + a * d[k] if a >= xi else 1 / d[k] for k in x}
        return {k: x[k] - lr * m[k] / (1 - b1**t) * w[k] for k in x}, (m, v)

    theirs = R.run_numpy(step, (R.zeros(), R.zeros()))
    ours = R.run_optzoo(
        optzoo.create(
            "dualadam", preset="authors", learning_rate=lr, switch_rate=xi, weight_decay=SMALL_WD
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
    theirs = R.run_numpy(step, (dict(scalars), dict(scalars), R.zeros()))
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
            out[n] = x[n] * (1 - lr * SMALL_WD) - f * u
        return out, (m, v)

    x0 = R.init_params()
    v0 = {n: np.zeros((a.size // k[n], 1)) if n in k else np.zeros_like(a) for n, a in x0.items()}
    theirs = R.run_numpy(step, (R.zeros(), v0))
    ours = R.run_optzoo(
        optzoo.create("adamwsn", preset="authors", learning_rate=lr, weight_decay=SMALL_WD)
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

    theirs = R.run_numpy(step, (R.zeros(), R.zeros()))
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


# Zhang, Niwa, Kleijn. A DNN Optimizer that Improves over AdaBelief by Suppression of the
# Adaptive Stepsize Range. 2022. https://arxiv.org/abs/2203.13273, Algorithm 1 as in the
# authors' code (guoqiang-x-zhang/AidaOptimizer): L2 decay; m = b1 m + (1 - b1) g; K mutual
# projections of g and m; v = b2 v + (1 - b2) (m~ - g~)^2 + eps;
# x -= lr / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t)).
def test_aida_matches_algorithm_1():
    lr, b1, b2, eps, wd, K, xi = 1e-2, 0.9, 0.999, 1e-8, 1e-2, 2, 1e-20

    def step(x, g, s, t):
        m, v = dict(s[0]), dict(s[1])
        new = {}
        for key in x:
            gk = g[key] + wd * x[key]
            m[key] = b1 * m[key] + (1 - b1) * gk
            pg, pm = gk.copy(), m[key].copy()
            for _ in range(K):
                sg = (pg * pm).sum() / ((pg**2).sum() + xi)
                sm = (pg * pm).sum() / ((pm**2).sum() + xi)
                pg, pm = pg * sg, pm * sm
            v[key] = b2 * v[key] + (1 - b2) * (pm - pg) ** 2 + eps
            denom = np.sqrt(v[key]) / np.sqrt(1 - b2**t)
            new[key] = x[key] - lr / (1 - b1**t) * m[key] / denom
        return new, (m, v)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros))
    ours = R.run_optzoo(optzoo.create("aida", preset="authors", learning_rate=lr, weight_decay=wd))
    err = R.displacement_error(ours, theirs)
    R.check(
        "aida", err, "NumPy transcription of Algorithm 1 (the authors' code)", kind="transcription"
    )


B1, B2 = 0.9, 0.999


def _each(fn, *trees):
    return {k: fn(*(tree[k] for tree in trees)) for k in trees[0]}


# Gradient descent: Ruder, "An overview of gradient descent optimization algorithms", 2016,
# https://arxiv.org/abs/1609.04747, Section 2.1: theta = theta - eta * grad J(theta).
# Robbins & Monro, "A Stochastic Approximation Method", 1951,
# https://doi.org/10.1214/aoms/1177729586: x_{n+1} = x_n + a_n (alpha - y_n), here alpha = 0
# and y_n the noisy gradient (a root of the gradient is sought).
def gradient_descent(eta):
    def step(x, g, state, t):
        return _each(lambda x, g: x - eta * g, x, g), state

    return step, None


# Polyak, "Some methods of speeding up the convergence of iteration methods", 1964,
# https://doi.org/10.1016/0041-5553(64)90137-5: the heavy ball
# x_{k+1} = x_k - a grad f(x_k) + b (x_k - x_{k-1}); the state is x_{k-1} (x_{-1} = x_0).
def heavy_ball(a, b):
    def step(x, g, previous, t):
        previous = x if previous is None else previous
        return _each(lambda x, g, p: x - a * g + b * (x - p), x, g, previous), x

    return step, None


# Sutskever, Martens, Dahl, Hinton, "On the importance of initialization and momentum in deep
# learning", 2013, https://proceedings.mlr.press/v28/sutskever13.html, Eqs. (3)-(4):
# v_{t+1} = mu v_t - eps grad f(theta_t + mu v_t), theta_{t+1} = theta_t + v_{t+1}.
# The runner takes gradients at the point it carries, so it carries the look-ahead point
# theta_t + mu v_t (where the paper takes its gradient) and the state holds v_t.
def sutskever_nag(eps, mu):
    def step(lookahead, g, v, t):
        theta = _each(lambda y, v: y - mu * v, lookahead, v)
        v = _each(lambda v, g: mu * v - eps * g, v, g)
        theta = _each(lambda th, v: th + v, theta, v)
        return _each(lambda th, v: th + mu * v, theta, v), v

    return step, R.zeros()


# Kingma & Ba, "Adam: A Method for Stochastic Optimization", 2014,
# https://arxiv.org/abs/1412.6980, Algorithm 1 (Adam). With ``lam``: Loshchilov & Hutter,
# "Decoupled Weight Decay Regularization", 2017, https://arxiv.org/abs/1711.05101,
# Algorithm 2 (AdamW, schedule multiplier eta_t = 1): theta -= alpha * adam_step + lam * theta.
def kingma_ba_adam(alpha, lam=0.0, eps=1e-8):
    def step(theta, g, state, t):
        m, v = state
        m = _each(lambda m, g: B1 * m + (1 - B1) * g, m, g)
        v = _each(lambda v, g: B2 * v + (1 - B2) * g * g, v, g)

        def update(th, m, v):
            m_hat, v_hat = m / (1 - B1**t), v / (1 - B2**t)
            return th - alpha * m_hat / (np.sqrt(v_hat) + eps) - lam * th

        return _each(update, theta, m, v), (m, v)

    return step, (R.zeros(), R.zeros())


# Kingma & Ba 2014 (above), Algorithm 2 (AdaMax): u_t = max(b2 u_{t-1}, |g_t|),
# theta -= alpha / (1 - b1^t) * m_t / u_t; ``lam`` adds Loshchilov & Hutter's decoupled decay.
def kingma_ba_adamax(alpha, lam=0.0):
    def step(theta, g, state, t):
        m, u = state
        m = _each(lambda m, g: B1 * m + (1 - B1) * g, m, g)
        u = _each(lambda u, g: np.maximum(B2 * u, np.abs(g)), u, g)
        theta = _each(lambda th, m, u: th - alpha / (1 - B1**t) * m / u - lam * th, theta, m, u)
        return theta, (m, u)

    return step, (R.zeros(), R.zeros())


# Reddi, Kale, Kumar, "On the Convergence of Adam and Beyond", 2018,
# https://arxiv.org/abs/1904.09237, Algorithm 2 (AMSGrad), constant alpha and beta_1, no
# projection (unconstrained): v_hat_t = max(v_hat_{t-1}, v_t), x -= alpha m_t / sqrt(v_hat_t).
def reddi_amsgrad(alpha):
    def step(x, g, state, t):
        m, v, v_max = state
        m = _each(lambda m, g: B1 * m + (1 - B1) * g, m, g)
        v = _each(lambda v, g: B2 * v + (1 - B2) * g * g, v, g)
        v_max = _each(np.maximum, v_max, v)
        return _each(lambda x, m, vm: x - alpha * m / np.sqrt(vm), x, m, v_max), (m, v, v_max)

    return step, (R.zeros(), R.zeros(), R.zeros())


# Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop,
# https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ, Algorithm 2 (Nadam), for the momentum
# sequence mu_t = beta_1 or (``warm``) the experiments' mu_t = beta_1 (1 - 0.5 * 0.96^(t/250));
# the moving average itself decays by the constant beta_1. ``lam`` adds Loshchilov & Hutter's
# decoupled decay.
def dozat_nadam(alpha, lam=0.0, eps=1e-8, warm=False):
    def mu(t):
        return B1 * (1 - 0.5 * 0.96 ** (t / 250)) if warm else B1

    def step(theta, g, state, t):
        m, n, product = state
        product = product * mu(t)  # prod_{i <= t} mu_i
        m = _each(lambda m, g: B1 * m + (1 - B1) * g, m, g)
        n = _each(lambda n, g: B2 * n + (1 - B2) * g * g, n, g)

        def update(th, g, m, n):
            g_hat = g / (1 - product)
            m_hat = m / (1 - product * mu(t + 1))
            m_bar = (1 - mu(t)) * g_hat + mu(t + 1) * m_hat
            return th - alpha * m_bar / (np.sqrt(n / (1 - B2**t)) + eps) - lam * th

        return _each(update, theta, g, m, n), (m, n, product)

    return step, (R.zeros(), R.zeros(), 1.0)


# Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond", 2020,
# https://arxiv.org/abs/1908.03265, Algorithm 2 (RAdam; the box's "1/beta_2 v_{t-1}" is read
# as beta_2 v_{t-1}, as in the text). ``lam``: the decoupled decay of the authors' code,
# theta -= alpha * lam * theta alongside each step.
def liu_radam(alpha, lam=0.0):
    rho_inf = 2 / (1 - B2) - 1

    def step(theta, g, state, t):
        m, v = state
        v = _each(lambda v, g: B2 * v + (1 - B2) * g * g, v, g)
        m = _each(lambda m, g: B1 * m + (1 - B1) * g, m, g)
        rho = rho_inf - 2 * t * B2**t / (1 - B2**t)

        def update(th, m, v):
            m_hat = m / (1 - B1**t)
            if rho > 4:
                lr_adapt = np.sqrt((1 - B2**t) / v)
                r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
                return th - alpha * r * m_hat * lr_adapt - alpha * lam * th
            return th - alpha * m_hat - alpha * lam * th

        return _each(update, theta, m, v), (m, v)

    return step, (R.zeros(), R.zeros())


# Zaheer, Reddi, Sachan, Kale, Kumar, "Adaptive Methods for Nonconvex Optimization", 2018,
# https://papers.nips.cc/paper/2018/hash/90365351ccc7437a1309dc64e4db32a3-Abstract.html,
# Algorithm 2 (Yogi), with m_0 = 0 and the experiments' v_0 = 1e-6, eps = 1e-3.
def zaheer_yogi(eta, eps=1e-3, v0=1e-6):
    def step(x, g, state, t):
        m, v = state
        m = _each(lambda m, g: B1 * m + (1 - B1) * g, m, g)
        v = _each(lambda v, g: v - (1 - B2) * np.sign(v - g * g) * g * g, v, g)
        return _each(lambda x, m, v: x - eta * m / (np.sqrt(v) + eps), x, m, v), (m, v)

    return step, (R.zeros(), {k: np.full_like(a, v0) for k, a in R.INIT.items()})


ALPHA, LAM = 1e-2, 1e-3  # Loshchilov & Hutter's lambda; optzoo's weight_decay = LAM / ALPHA


T = "NumPy transcription of "


# name -> (optzoo.create arguments on top of preset="authors", the transcription, its source)
CASES = {
    "gd": ({"learning_rate": 0.1}, lambda: gradient_descent(0.1), "Ruder 2016, Section 2.1"),
    "sgd": ({"learning_rate": 0.1}, lambda: gradient_descent(0.1), "Robbins & Monro 1951"),
    "momentum": (
        {"learning_rate": 0.05, "momentum": 0.9},
        lambda: heavy_ball(0.05, 0.9),
        "Polyak 1964, heavy ball",
    ),
    "nesterov": (
        {"learning_rate": 0.05, "momentum": 0.9},
        lambda: sutskever_nag(0.05, 0.9),
        "Sutskever et al. 2013, Eqs. (3)-(4)",
    ),
    # the preset's learning rate is the paper's alpha = 1e-3 (AdaMax: 2e-3)
    "adam": ({}, lambda: kingma_ba_adam(1e-3), "Kingma & Ba 2014, Algorithm 1"),
    "adamax": ({}, lambda: kingma_ba_adamax(2e-3), "Kingma & Ba 2014, Algorithm 2"),
    "adamw": (
        {"learning_rate": ALPHA, "weight_decay": LAM / ALPHA},
        lambda: kingma_ba_adam(ALPHA, LAM),
        "Loshchilov & Hutter 2017, Algorithm 2",
    ),
    "adamaxw": (
        {"learning_rate": ALPHA, "weight_decay": LAM / ALPHA},
        lambda: kingma_ba_adamax(ALPHA, LAM),
        "Kingma & Ba 2014, Algorithm 2 + Loshchilov & Hutter 2017 decay",
    ),
    "amsgrad": (
        {"learning_rate": ALPHA},
        lambda: reddi_amsgrad(ALPHA),
        "Reddi et al. 2018, Algorithm 2",
    ),
    "nadam": (
        {"learning_rate": ALPHA},
        lambda: dozat_nadam(ALPHA),
        "Dozat 2016, Algorithm 2, mu_t = b1",
    ),
    "nadamw": (
        {"learning_rate": ALPHA, "weight_decay": LAM / ALPHA},
        lambda: dozat_nadam(ALPHA, LAM),
        "Dozat 2016, Algorithm 2, mu_t = b1, + Loshchilov & Hutter 2017 decay",
    ),
    "radam": (
        {"learning_rate": ALPHA, "weight_decay": 0.1},
        lambda: liu_radam(ALPHA, 0.1),
        "Liu et al. 2020, Algorithm 2 + the authors' decay",
    ),
    "yogi": (
        {"learning_rate": ALPHA},
        lambda: zaheer_yogi(ALPHA),
        "Zaheer et al. 2018, Algorithm 2",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_the_papers_algorithm(name):
    kwargs, transcription, source = CASES[name]
    theirs = R.run_numpy(*transcription())
    ours = R.run_optzoo(optzoo.create(name, preset="authors", **kwargs))
    R.check(name, R.displacement_error(ours, theirs), T + source, kind="transcription")


@pytest.mark.parametrize("name", ["amsgrad", "radam", "yogi"])
def test_the_preset_is_what_matches_the_paper(name):
    # With optzoo's (optax's) defaults in place of the preset, the trajectories part.
    kwargs, transcription, _ = CASES[name]
    ours = R.run_optzoo(optzoo.create(name, **kwargs))
    assert R.displacement_error(ours, R.run_numpy(*transcription())) > 1e-2


def _nadam_schedule(decay):
    # Dozat's warming momentum schedule, which optax's nadam signature has no argument for.
    tail = [optzoo.add_decayed_weights(LAM / ALPHA)] if decay else []
    return optax.chain(optzoo.scale_by_nadam(), *tail, optzoo.scale_by_learning_rate(ALPHA))


@pytest.mark.parametrize("decay", [False, True], ids=["nadam", "nadamw"])
def test_scale_by_nadam_is_the_papers_momentum_schedule(decay):
    ours = R.run_optzoo(_nadam_schedule(decay))
    warm = R.run_numpy(*dozat_nadam(ALPHA, LAM if decay else 0.0, warm=True))
    constant = R.run_numpy(*dozat_nadam(ALPHA, LAM if decay else 0.0))
    assert R.displacement_error(ours, warm) < 1e-12
    assert R.displacement_error(constant, warm) > 1e-2  # the schedule matters here


def test_scale_by_nadam_rejects_a_negative_momentum_decay():
    with pytest.raises(ValueError, match="momentum_decay"):
        optzoo.scale_by_nadam(momentum_decay=-1.0)


@pytest.mark.slow
@pytest.mark.parametrize("decay", [False, True], ids=["nadam", "nadamw"])
def test_scale_by_nadam_matches_torch_nadam(decay):
    # A second, independent implementation of Dozat's schedule: torch.optim.NAdam.
    import torch

    theirs = R.run_torch(
        lambda ps: torch.optim.NAdam(
            ps,
            lr=ALPHA,
            momentum_decay=0.004,
            weight_decay=LAM / ALPHA if decay else 0.0,
            decoupled_weight_decay=decay,
        )
    )
    # torch keeps the step count and the product of the momenta as float32 scalars
    # (its default dtype), hence 1e-8 rather than rounding level.
    assert R.displacement_error(R.run_optzoo(_nadam_schedule(decay)), theirs) < 1e-8


NAMES = list(R.SHAPES)


def test_grams_matches_grams_pytorch():
    grams_pytorch = pytest.importorskip("grams")
    lr = 0.02
    theirs = R.run_torch(lambda ts: grams_pytorch.Grams(ts, lr=lr, weight_decay=WD))
    ours = R.run_optzoo(optzoo.create("grams", preset="authors", learning_rate=lr, weight_decay=WD))
    R.check("grams", R.displacement_error(ours, theirs), "grams-pytorch 0.0.2")


def _mars_step(mode, lr, wd, b1=0.95, b2=0.99, gamma=0.025, eps=1e-8, betas_1d=(0.9, 0.95)):
    # Yuan, Liu, Wu, Zhou, Gu, MARS: Unleashing the Power of Variance Reduction for Training
    # Large Models, 2024, https://arxiv.org/abs/2411.10438, Algorithm 1 (approximate form),
    # as the authors' MARS/optimizers/mars.py runs it with its defaults: matrices get MARS,
    # every other leaf AdamW with betas_1d, lr_1d = lr and weight_decay_1d = 0.1.
    def step(params, grads, state, t):
        out = {}
        for k, x in params.items():
            g = grads[k]
            if x.ndim != 2:
                m, v = R.adam_moments(state, k, g, *betas_1d)
                denom = (np.sqrt(v) / math.sqrt(1 - betas_1d[1] ** t) + eps) * (
                    1 - betas_1d[0] ** t
                )
                out[k] = x - lr * (0.1 * x + m / denom)
                continue
            m, v, last = state.get(k, (np.zeros_like(x),) * 3)
            c = g + gamma * (b1 / (1 - b1)) * (g - last)
            c = c / max(np.linalg.norm(c), 1.0)
            m = b1 * m + (1 - b1) * c
            if mode == "adamw":
                v = b2 * v + (1 - b2) * c * c
                denom = (np.sqrt(v) / math.sqrt(1 - b2**t) + eps) * (1 - b1**t)
                out[k] = x - lr * (wd * x + m / denom)
            else:
                out[k] = x - lr * (wd * x + np.sign(m))
            state[k] = (m, v, g)
        return out, state

    return step


@pytest.mark.parametrize(("mode", "lr"), [("adamw", 3e-3), ("lion", 3e-3)])
def test_mars_matches_the_authors_code(mode, lr):
    name = f"mars_{mode}"
    theirs = R.run_numpy(_mars_step(mode, lr, WD), {})
    tx = optzoo.create(name, preset="authors", learning_rate=lr, weight_decay=WD)
    R.check(
        name,
        R.displacement_error(R.run_optzoo(tx), theirs),
        "NumPy transcription of MARS/optimizers/mars.py (Algorithm 1)",
        kind="transcription",
    )


def _stable_adamw_step(lr, wd, b1=0.9, b2=0.99, eps=1e-8):
    # Wortsman, Dettmers, Zettlemoyer, Morcos, Farhadi, Schmidt, Stable and low-precision
    # training for large-scale vision-language models, 2023, https://arxiv.org/abs/2304.13013,
    # Algorithm 2: debiased betas, per-tensor RMS of g^2 / max(u, eps^2) limits the step.
    def step(params, grads, state, t):
        b1h = b1 * (1 - b1 ** (t - 1)) / (1 - b1**t)
        b2h = b2 * (1 - b2 ** (t - 1)) / (1 - b2**t)
        out = {}
        for k, x in params.items():
            g = grads[k]
            v, u = state.get(k, (np.zeros_like(x), np.zeros_like(x)))
            v, u = b1h * v + (1 - b1h) * g, b2h * u + (1 - b2h) * g * g
            rms = math.sqrt(np.mean(g * g / np.maximum(u, eps**2)))
            eta = lr / max(1.0, rms)
            out[k] = x - eta * wd * x - eta * v / (np.sqrt(u) + eps)
            state[k] = (v, u)
        return out, state

    return step


def test_stable_adamw_matches_the_papers_algorithm():
    lr = 0.02
    theirs = R.run_numpy(_stable_adamw_step(lr, WD), {})
    tx = optzoo.create("stable_adamw", preset="authors", learning_rate=lr, weight_decay=WD)
    R.check(
        "stable_adamw",
        R.displacement_error(R.run_optzoo(tx), theirs),
        "NumPy transcription of Algorithm 2",
        kind="transcription",
    )


def test_adam_mini_matches_the_authors_package():
    pytest.importorskip("torch")
    adam_mini = pytest.importorskip("adam_mini")
    lr = 0.02

    def make(ts):
        named = list(zip(NAMES, ts, strict=True))
        return adam_mini.Adam_mini(named, lr=lr, weight_decay=WD, verbose=False)

    theirs = R.run_torch(make)
    tx = optzoo.create("adam_mini", preset="authors", learning_rate=lr, weight_decay=WD)
    R.check("adam_mini", R.displacement_error(R.run_optzoo(tx), theirs), "adam-mini 1.1.1")


@pytest.mark.slow
def test_adam_mini_name_based_partition_matches_the_package():
    # Transformer-like names (PyTorch layout, dim 8, 2 heads): embedding and value rows,
    # query/key heads, bias entries, a norm as one block, no decay on norm and bias.
    torch = pytest.importorskip("torch")
    adam_mini = pytest.importorskip("adam_mini")
    import functools

    shapes = {
        "embed_tokens.weight": (6, 8),
        "layers.0.self_attn.q_proj.weight": (8, 8),
        "layers.0.self_attn.k_proj.weight": (4, 8),
        "layers.0.self_attn.v_proj.weight": (8, 8),
        "layers.0.mlp.up.weight": (5, 8),
        "layers.0.mlp.up.bias": (5,),
        "layers.0.input_layernorm.weight": (8,),
        "lm_head.weight": (6, 8),
    }
    rng = np.random.default_rng(0)
    init = {k: rng.normal(size=s) for k, s in shapes.items()}
    curv = {k: rng.uniform(0.5, 2.0, s) for k, s in shapes.items()}
    lr, steps = 0.02, 30

    ts = {k: torch.tensor(v, requires_grad=True) for k, v in init.items()}
    opt = adam_mini.Adam_mini(
        list(ts.items()), lr=lr, weight_decay=WD, dim=8, n_heads=2, n_kv_heads=1, verbose=False
    )
    with jax.enable_x64(True):
        params = {k: jnp.asarray(v, jnp.float64) for k, v in init.items()}
        part = functools.partial(optzoo.adam_mini_partition, dim=8, n_heads=2)
        tx = optzoo.create(
            "adam_mini", preset="authors", learning_rate=lr, weight_decay=WD, partition=part
        )
        state = tx.init(params)
        for _ in range(steps):
            for k, p in ts.items():
                p.grad = torch.from_numpy(curv[k] * (p.detach().numpy() - 1.0))
            opt.step()
            grads = {k: jnp.asarray(curv[k]) * (p - 1.0) for k, p in params.items()}
            u, state = tx.update(grads, state, params)
            params = jax.tree.map(lambda p, d: p + d, params, u)
        theirs = {k: p.detach().numpy() for k, p in ts.items()}
        for k in shapes:
            np.testing.assert_allclose(np.asarray(params[k]), theirs[k], rtol=1e-10, atol=1e-12)
