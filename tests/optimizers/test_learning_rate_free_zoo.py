"""Reference tests of the newer learning-rate-free optimizers: float64 trajectories on the
vector/matrix/rank-3 problem against the authors' package (``dadaptation`` 3.2) where it has
the class, else against ``pytorch_optimizer``."""

from __future__ import annotations

import pathlib
import sys

import jax
import pytest

import optzoo

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import (  # noqa: E402
    TOL,
    TORCH_STEPS,
    make_problem,
    max_rel_err,
    torch_trajectory,
    trajectory,
)

# name -> (optzoo factory, kwargs, (module, class name), reference kwargs)
CASES = {
    "dadapt_adagrad": (
        optzoo.dadapt_adagrad,
        dict(learning_rate=0.5, d0=1e-3, weight_decay=1e-2, eps=1e-5),
        ("dadaptation", "DAdaptAdaGrad"),
        dict(lr=0.5, d0=1e-3, weight_decay=1e-2, eps=1e-5),
    ),
    "dadapt_adagrad_momentum": (
        optzoo.dadapt_adagrad,
        dict(learning_rate=0.5, momentum=0.7, d0=1e-3, weight_decay=1e-2, growth_rate=1.5),
        ("dadaptation", "DAdaptAdaGrad"),
        dict(lr=0.5, momentum=0.7, d0=1e-3, weight_decay=1e-2, growth_rate=1.5),
    ),
    "adamg": (
        optzoo.adamg,
        dict(learning_rate=0.5, b1=0.9, b2=0.99, b3=0.9, p=0.3, q=0.2, weight_decay=1e-2),
        ("pytorch_optimizer", "AdamG"),
        dict(lr=0.5, betas=(0.9, 0.99, 0.9), p=0.3, q=0.2, weight_decay=1e-2),
    ),
    "adamg_defaults": (
        optzoo.adamg,
        dict(),
        ("pytorch_optimizer", "AdamG"),
        dict(),
    ),
    # D-Adapt Adan's d_hat is a difference of two close sums: at lr >= 0.1 this problem takes
    # steps of size ~d ~ 10 and rounding in the summation order (1e-14) grows to O(1) after
    # ~25 steps; lr 0.05 keeps it tame (d ~ 0.04).
    "dadapt_adan": (
        optzoo.dadapt_adan,
        dict(learning_rate=0.05, d0=1e-3, weight_decay=1e-2, growth_rate=1.5),
        ("dadaptation", "DAdaptAdan"),
        dict(lr=0.05, d0=1e-3, weight_decay=1e-2, growth_rate=1.5),
    ),
    "dadapt_adan_no_prox": (
        optzoo.dadapt_adan,
        dict(learning_rate=0.05, b1=0.9, b2=0.9, b3=0.95, d0=1e-3, weight_decay=1e-2, no_prox=True),
        ("dadaptation", "DAdaptAdan"),
        dict(lr=0.05, betas=(0.9, 0.9, 0.95), d0=1e-3, weight_decay=1e-2, no_prox=True),
    ),
    "dadapt_lion": (
        optzoo.dadapt_lion,
        dict(learning_rate=0.5, b1=0.8, b2=0.95, d0=1e-3, weight_decay=1e-2),
        ("dadaptation", "DAdaptLion"),
        dict(lr=0.5, betas=(0.8, 0.95), d0=1e-3, weight_decay=1e-2),
    ),
    "dadapt_lion_pytorch_optimizer": (
        optzoo.dadapt_lion,
        dict(learning_rate=0.5, b1=0.8, b2=0.95, d0=1e-3, weight_decay=1e-2),
        ("pytorch_optimizer", "DAdaptLion"),
        dict(lr=0.5, betas=(0.8, 0.95), d0=1e-3, weight_decay=1e-2, weight_decouple=True),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_reference(name):
    pytest.importorskip("torch")
    ours, kwargs, (module, cls), ref_kwargs = CASES[name]
    ref_cls = getattr(pytest.importorskip(module), cls)
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jax.numpy.float64)
        traj, _ = trajectory(ours(**kwargs), params, loss, TORCH_STEPS)
        ref = torch_trajectory(ref_cls, ref_kwargs, params, loss, TORCH_STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    print(f"{name}: max rel err {err:.3g}")
    assert err <= TOL, f"{name}: max rel err {err:.3g}"
    assert max_rel_err(traj[-1], traj[0]) > 1e-3  # it moved


# AliG needs the loss: (optzoo kwargs, pytorch_optimizer.AliG kwargs).
ALIG_CASES = {
    "alig": (dict(learning_rate=0.5), dict(max_lr=0.5)),
    "alig_momentum": (dict(learning_rate=0.5, momentum=0.8), dict(max_lr=0.5, momentum=0.8)),
    "alig_adjusted_momentum": (
        dict(learning_rate=0.5, momentum=0.8, adjusted_momentum=True),
        dict(max_lr=0.5, momentum=0.8, adjusted_momentum=True),
    ),
    "alig_unclipped": (dict(momentum=0.5), dict(momentum=0.5)),
}


def _float64_squared_norm(param_groups, *args, **kwargs):
    import torch

    grads = [p.grad for g in param_groups for p in g["params"] if p.grad is not None]
    return sum(torch.sum(g.double() ** 2) for g in grads).reshape(1)


@pytest.mark.parametrize("name", sorted(ALIG_CASES))
def test_alig_matches_pytorch_optimizer(name, monkeypatch):
    torch = pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    import numpy as np

    # pytorch_optimizer sums the squared gradient norms in float32 even for float64 tensors
    # (3e-4 apart after 60 unclipped steps); the same sum in float64 isolates the rule.
    from pytorch_optimizer.optimizer import alig as alig_module

    monkeypatch.setattr(alig_module, "get_global_gradient_norm", _float64_squared_norm)

    ours, theirs = ALIG_CASES[name]
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jax.numpy.float64)
        tx = optzoo.alig(**ours)
        value_and_grad = jax.jit(jax.value_and_grad(loss))

        @jax.jit
        def step(p, s):
            v, g = value_and_grad(p)
            u, s = tx.update(g, s, p, value=v)
            return jax.tree.map(lambda a, b: a + b, p, u), s

        p, s = params, tx.init(params)
        traj = [p]
        for _ in range(TORCH_STEPS):
            p, s = step(p, s)
            traj.append(p)

        names = sorted(params)
        tp = {k: torch.tensor(np.asarray(params[k]), requires_grad=True) for k in names}
        opt = pto.AliG([tp[k] for k in names], **theirs)
        ref = [{k: np.asarray(params[k]) for k in names}]
        for _ in range(TORCH_STEPS):
            v, g = value_and_grad({k: jax.numpy.asarray(tp[k].detach().numpy()) for k in names})
            for k in names:
                tp[k].grad = torch.tensor(np.array(g[k]))
            opt.step(lambda v=v: float(v))
            ref.append({k: tp[k].detach().numpy().copy() for k in names})
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    print(f"{name}: max rel err {err:.3g}")
    assert err <= TOL, f"{name}: max rel err {err:.3g}"
    assert max_rel_err(traj[-1], traj[0]) > 1e-3  # it moved


def test_alig_needs_the_loss():
    tx = optzoo.alig(1.0)
    params = {"w": jax.numpy.ones(2)}
    with pytest.raises(ValueError, match="value"):
        tx.update(params, tx.init(params), params)


# AdGD (Malitsky & Mishchenko 2020) against pytorch_optimizer.ASGD, which is
# adgd(..., difference_of_norms=True) with its defaults below: (optzoo kwargs, ASGD kwargs).
# The learning rates are large enough that the curvature estimate fires (both norms grow);
# at small ones ASGD only grows the step. Its step size is a ratio of differences of close
# norms, so float64 rounding (1e-16) grows ~10x every few steps once it fires: 40 steps.
_ASGD = dict(amplifier=0.02, theta=1.0, dampening=1.0, eps=1e-5, difference_of_norms=True)
ADGD_STEPS = 40
ADGD_CASES = {
    "adgd_asgd": (dict(_ASGD, learning_rate=2.0), dict(lr=2.0)),
    "adgd_asgd_weight_decay": (
        dict(_ASGD, learning_rate=0.3, amplifier=0.5, weight_decay=1e-2),
        dict(lr=0.3, amplifier=0.5, weight_decay=1e-2),
    ),
    "adgd_asgd_coupled_decay": (
        dict(_ASGD, learning_rate=0.3, amplifier=0.5, weight_decay=1e-2),
        dict(lr=0.3, amplifier=0.5, weight_decay=1e-2, weight_decouple=False),
    ),
    "adgd_asgd_fixed_decay": (
        dict(
            learning_rate=1.0,
            amplifier=1.0,
            theta=0.5,
            dampening=1.5,
            eps=1e-4,
            weight_decay=1e-2,
            fixed_decay=True,
            difference_of_norms=True,
        ),
        dict(
            lr=1.0,
            amplifier=1.0,
            theta=0.5,
            dampening=1.5,
            eps=1e-4,
            weight_decay=1e-2,
            fixed_decay=True,
        ),
    ),
}


def _float64_norms(group, device):
    import torch

    ps = [p for p in group["params"] if p.grad is not None]
    p_norm = sum(torch.sum(p.double() ** 2) for p in ps).sqrt().reshape(1)
    g_norm = sum(torch.sum(p.grad.double() ** 2) for p in ps).sqrt().reshape(1)
    return p_norm, g_norm


@pytest.mark.parametrize("name", sorted(ADGD_CASES))
def test_adgd_matches_pytorch_optimizer_asgd(name, monkeypatch):
    pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    # ASGD sums the parameter and gradient norms in float32 even for float64 tensors; the
    # same norms in float64 isolate the rule.
    monkeypatch.setattr(pto.ASGD, "get_norms_by_group", staticmethod(_float64_norms))
    ours, theirs = ADGD_CASES[name]
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jax.numpy.float64)
        traj, _ = trajectory(optzoo.adgd(**ours), params, loss, ADGD_STEPS)
        ref = torch_trajectory(pto.ASGD, theirs, params, loss, ADGD_STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    print(f"{name}: max rel err {err:.3g}")
    assert err <= TOL, f"{name}: max rel err {err:.3g}"
    assert max_rel_err(traj[-1], traj[0]) > 1e-3  # it moved


def test_adgd_curvature_step_on_a_quadratic():
    # f = 0.5 * c * x^2: the paper's estimate |dx| / (2 |dg|) is 1 / (2c) from the second step.
    c = 4.0
    tx = optzoo.adgd(0.01)
    x = jax.numpy.array([1.0, -2.0])
    state = tx.init(x)
    for _ in range(2):
        u, state = tx.update(c * x, state, x)
        x = x + u
    assert abs(float(state[0].step_size) - 1 / (2 * c)) < 1e-6
