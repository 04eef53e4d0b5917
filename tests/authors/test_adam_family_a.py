"""Adam-family optimizers against their authors' code (issue #14), part A.

Where the authors published a package (``adabelief-pytorch``, ``adabound``, ``adamp``,
``madgrad``, ``came-pytorch``, ``torch-adopt``) the test runs it with its defaults and the
same learning rate and weight decay; where they did not (Adan, AdEMAMix, simplified AdEMAMix,
LaProp), a short NumPy transcription of the paper's algorithm box is the reference (cited
per test).
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
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
