"""Learning-rate-free optimizers: COCOB, DoG, Prodigy, D-Adaptation and Mechanic against
optax.contrib (100 steps); the rest (D-Adapt variants, DoWG, L-DoG, AdamG, AliG, MoMo, AdGD...)
against pytorch_optimizer 4.1.0 (float64, 60 steps)."""

from __future__ import annotations

import pathlib
import sys

import jax
import optax
import optax.contrib as contrib
import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import (  # noqa: E402
    OPTAX_STEPS,
    TOL,
    TORCH_STEPS,
    check_matches_optax,
    check_matches_pytorch_optimizer,
    make_problem,
    max_rel_err,
    slow_marked,
    torch_trajectory,
    trajectory,
)

# name -> (optzoo factory, kwargs, optax reference, kwargs); non-default hyperparameters.
OPTAX_CASES = {
    "cocob": (optzoo.cocob, dict(alpha=50.0, weight_decay=1e-3), contrib.cocob, None),
    "dog": (
        optzoo.dog,
        dict(learning_rate=0.8, init_step=("heuristic", 1e-4), weight_decay=1e-3),
        contrib.dog,
        None,
    ),
    "dog_lr_init": (optzoo.dog, dict(init_step=("learning_rate", 1e-3)), contrib.dog, None),
    "prodigy": (
        optzoo.prodigy,
        dict(betas=(0.8, 0.99), weight_decay=0.01, estim_lr0=1e-4),
        contrib.prodigy,
        None,
    ),
    "prodigy_safeguard": (
        optzoo.prodigy,
        dict(learning_rate=optax.linear_schedule(0.1, 1.0, 20), safeguard_warmup=True, beta3=0.9),
        contrib.prodigy,
        None,
    ),
    "dadapt_adamw": (
        optzoo.dadapt_adamw,
        dict(betas=(0.8, 0.99), weight_decay=0.01, estim_lr0=1e-4),
        contrib.dadapt_adamw,
        None,
    ),
    "mechanize_sgd": (
        lambda **k: optzoo.mechanize(optax.sgd(0.1), **k),
        dict(weight_decay=1e-3, s_init=1e-5, num_betas=4),
        lambda **k: contrib.mechanize(optax.sgd(0.1), **k),
        None,
    ),
    "mechanic": (
        optzoo.mechanic,
        dict(learning_rate=1e-2, weight_decay=1e-3),
        lambda learning_rate, weight_decay: contrib.mechanize(
            optax.adam(learning_rate), weight_decay=weight_decay
        ),
        None,
    ),
}


# Second configurations of an optimizer already covered: run with the slow tests.
OPTAX_SLOW = {"dog_lr_init", "mechanize_sgd", "prodigy_safeguard"}


@pytest.mark.parametrize("name", slow_marked(OPTAX_CASES, OPTAX_SLOW))
def test_matches_optax(name):
    check_matches_optax(name, OPTAX_CASES)


# name -> (optzoo factory, kwargs, pytorch_optimizer class name, kwargs, problem kwargs)
TORCH_CASES = {
    "dadapt_sgd": (
        optzoo.dadapt_sgd,
        dict(learning_rate=0.5, momentum=0.8, d0=1e-3, weight_decay=1e-3, growth_rate=1.5),
        "DAdaptSGD",
        dict(lr=0.5, momentum=0.8, d0=1e-3, weight_decay=1e-3, growth_rate=1.5),
        {},
    ),
}


TORCH_SLOW: set[str] = set()


@pytest.mark.parametrize("name", slow_marked(TORCH_CASES, TORCH_SLOW))
def test_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, TORCH_CASES)


def test_mechanic_rejects_an_unknown_variant():
    with pytest.raises(ValueError, match="variant"):
        optzoo.mechanic(variant="paper")


def test_dadapt_adamw_rejects_a_nonpositive_growth_rate():
    with pytest.raises(ValueError, match="growth_rate"):
        optzoo.dadapt_adamw(growth_rate=0.0)


# ------------------------------------------------------ DoWG, MoMo, MoMo-Adam (optax.contrib)

# name -> (optzoo factory, kwargs, optax reference, kwargs); non-default hyperparameters.
OPTAX_CONTRIB_CASES = {
    "dowg": (
        optzoo.dowg,
        dict(weight_decay=1e-3, init_estim_sq_dist=1e-3, eps=1e-6),
        contrib.dowg,
        None,
    ),
    "dowg_defaults": (optzoo.dowg, dict(), contrib.dowg, None),
}


@pytest.mark.parametrize("name", sorted(OPTAX_CONTRIB_CASES))
def test_contrib_matches_optax(name):
    check_matches_optax(name, OPTAX_CONTRIB_CASES)


import jax.numpy as jnp  # noqa: E402


def _value_trajectory(tx, params, loss, steps):
    """Jitted updates that pass the loss (``update(..., value=loss)``)."""

    @jax.jit
    def step(p, s):
        value, g = jax.value_and_grad(loss)(p)
        u, s = tx.update(g, s, p, value=value)
        return optax.apply_updates(p, u), s

    state, out, p = tx.init(params), [params], params
    for _ in range(steps):
        p, state = step(p, state)
        out.append(p)
    return out, state


# name -> (optzoo factory, optax factory, kwargs): the optimizers that take ``value=``.
MOMO_CASES = {
    "momo": (optzoo.momo, contrib.momo, dict(learning_rate=0.5, beta=0.8, weight_decay=1e-3)),
    "momo_adaptive": (
        optzoo.momo,
        contrib.momo,
        dict(
            learning_rate=optax.linear_schedule(1.0, 0.1, 50),
            lower_bound=-1.0,
            adapt_lower_bound=True,
        ),
    ),
    "momo_adam": (
        optzoo.momo_adam,
        contrib.momo_adam,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, weight_decay=1e-3),
    ),
    "momo_adam_adaptive": (
        optzoo.momo_adam,
        contrib.momo_adam,
        dict(learning_rate=0.05, lower_bound=-1.0, adapt_lower_bound=True),
    ),
}


@pytest.mark.parametrize("name", sorted(MOMO_CASES))
def test_momo_matches_optax(name):
    ours, ref, kwargs = MOMO_CASES[name]
    params, loss = make_problem()
    traj, state = _value_trajectory(ours(**kwargs), params, loss, OPTAX_STEPS)
    ref_traj, ref_state = _value_trajectory(ref(**kwargs), params, loss, OPTAX_STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref_traj, strict=True))
    assert err <= TOL, f"{name}: max rel err {err:.3g}"
    assert jax.tree.structure(state) == jax.tree.structure(ref_state)
    assert type(state) is type(ref_state)
    assert max_rel_err(traj[-1], traj[0]) > 1e-3


def test_momo_needs_the_loss():
    params = {"w": jnp.ones(2)}
    for tx in (optzoo.momo(), optzoo.momo_adam()):
        with pytest.raises(ValueError, match="loss value"):
            tx.update(params, tx.init(params), params, value=None)


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
