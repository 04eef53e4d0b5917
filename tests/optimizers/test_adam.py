"""Adam family: the variants against optax (100 steps) and pytorch_optimizer (float64, 60 steps),
Adam-mini against a NumPy transcription of the paper."""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import optax.contrib as contrib
import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import (  # noqa: E402
    check_matches_optax,
    check_matches_pytorch_optimizer,
    check_transform_matches_optax,
    make_problem,
    max_rel_err,
    slow_marked,
    trajectory,
)

STEPS = 60
TOL = 1e-6


def _adam_mini_numpy(params, grad_fn, steps, lr, b1, b2, eps, wd):
    """Adam-mini, Algorithm 1 of Zhang et al. (2024), with the partition rule of optzoo:
    one block per index of the last axis for leaves with >= 2 axes, one block per vector."""

    def block_mean(a):
        if a.ndim < 2:
            return np.mean(a) * np.ones_like(a)
        axes = tuple(range(a.ndim - 1))
        return np.broadcast_to(np.mean(a, axis=axes, keepdims=True), a.shape)

    x = {k: np.array(v, np.float64) for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in x.items()}
    v = {k: np.zeros_like(val) for k, val in x.items()}
    out = [{k: a.copy() for k, a in x.items()}]
    for t in range(1, steps + 1):
        g = {
            k: np.asarray(a) for k, a in grad_fn({k: jnp.asarray(a) for k, a in x.items()}).items()
        }
        for k in x:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * block_mean(g[k] ** 2)
            m_hat = m[k] / (1 - b1**t)
            v_hat = v[k] / (1 - b2**t)
            x[k] = x[k] - lr * (m_hat / (np.sqrt(v_hat) + eps) + wd * x[k])
        out.append({k: a.copy() for k, a in x.items()})
    return out


def test_adam_mini_matches_numpy_transcription():
    kw = dict(learning_rate=1e-2, b1=0.8, b2=0.95, eps=1e-7, weight_decay=1e-2)
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jnp.float64)
        traj, state = trajectory(optzoo.adam_mini(**kw), params, loss, STEPS)
        ref = _adam_mini_numpy(
            params,
            jax.jit(jax.grad(loss)),
            STEPS,
            kw["learning_rate"],
            kw["b1"],
            kw["b2"],
            kw["eps"],
            kw["weight_decay"],
        )
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    assert err <= TOL, err
    # One second-moment scalar per output neuron / per vector.
    nu = state[0].nu
    assert nu["w"].shape == (1, 3) and nu["b"].shape == (1,) and nu["k"].shape == (1, 1, 4)


@pytest.mark.slow
def test_adam_mini_block_axis():
    params, loss = make_problem()
    _, state = trajectory(optzoo.adam_mini(1e-2, block_axis=0), params, loss, 2)
    assert state[0].nu["w"].shape == (5, 1)


# name -> (optzoo factory, kwargs, optax reference, kwargs); non-default hyperparameters.
OPTAX_CASES = {
    "adabelief": (
        optzoo.adabelief,
        dict(learning_rate=1e-2, b1=0.85, b2=0.99, eps=1e-8),
        optax.adabelief,
        None,
    ),
    "adabelief_nesterov": (
        optzoo.adabelief,
        dict(learning_rate=1e-2, nesterov=True),
        optax.adabelief,
        None,
    ),
    "radam": (
        optzoo.radam,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, threshold=4.0),
        optax.radam,
        None,
    ),
    "radam_nesterov": (optzoo.radam, dict(learning_rate=1e-2, nesterov=True), optax.radam, None),
    "adan": (
        optzoo.adan,
        dict(learning_rate=1e-2, b1=0.9, b2=0.9, b3=0.95, weight_decay=0.01),
        optax.adan,
        None,
    ),
    "yogi": (optzoo.yogi, dict(learning_rate=2e-2, b1=0.8, b2=0.99, eps=1e-4), optax.yogi, None),
    # optax.contrib counterparts.
    "ademamix": (
        optzoo.ademamix,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, b3=0.999, alpha=3.0, weight_decay=0.01),
        contrib.ademamix,
        None,
    ),
    "ademamix_schedules": (
        optzoo.ademamix,
        dict(
            learning_rate=1e-2,
            b3=optax.linear_schedule(0.9, 0.999, 50),
            alpha=optax.linear_schedule(0.0, 4.0, 50),
        ),
        contrib.ademamix,
        None,
    ),
    "simplified_ademamix": (
        optzoo.simplified_ademamix,
        dict(learning_rate=1e-3, b1=0.95, b2=0.9, alpha=2.0, weight_decay=0.01),
        contrib.simplified_ademamix,
        None,
    ),
    "adopt": (
        optzoo.adopt,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, eps=1e-5),
        contrib.adopt,
        None,
    ),
    "adopt_nesterov_noclip": (
        optzoo.adopt,
        dict(learning_rate=1e-2, nesterov=True, use_clipping=False),
        contrib.adopt,
        None,
    ),
}


# Second configurations of an optimizer already covered: run with the slow tests.
OPTAX_SLOW = {"adabelief_nesterov", "ademamix_schedules", "adopt_nesterov_noclip", "radam_nesterov"}


@pytest.mark.parametrize("name", slow_marked(OPTAX_CASES, OPTAX_SLOW))
def test_matches_optax(name):
    check_matches_optax(name, OPTAX_CASES)


# Building blocks with non-default arguments that the optimizers above do not reach.
TRANSFORM_CASES = {
    "scale_by_yogi": (dict(eps_root=1e-8, initial_accumulator_value=1e-3), "scale_by_yogi"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TRANSFORM_CASES))
def test_transform_matches_optax(name):
    check_transform_matches_optax(name, TRANSFORM_CASES)


# name -> (optzoo factory, kwargs, pytorch_optimizer class name, kwargs, problem kwargs)
TORCH_CASES = {
    # pytorch_optimizer adds 1e-15 under the square root and divides eps by sqrt(1 - b2^t);
    # with eps=1e-15 both vanish. Its weight decay is applied after the step (tested at 0).
    "laprop": (
        optzoo.laprop,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, eps=1e-15),
        "LaProp",
        dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-15),
        {},
    ),
    "stable_adamw": (
        optzoo.stable_adamw,
        dict(learning_rate=1e-2, b1=0.8, b2=0.95, weight_decay=0.05, eps=1e-7),
        "StableAdamW",
        dict(lr=1e-2, betas=(0.8, 0.95), weight_decay=0.05, eps=1e-7, kahan_sum=False),
        {},
    ),
    "grams": (
        optzoo.grams,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, eps=1e-7, weight_decay=0.01),
        "Grams",
        dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-7, weight_decay=0.01),
        {},
    ),
    # Coupled L2 weight decay as in the authors' code (weight_decouple=False).
    "adabound": (
        optzoo.adabound,
        dict(
            learning_rate=1e-2,
            final_lr=0.05,
            b1=0.8,
            b2=0.99,
            gamma=1e-2,
            eps=1e-12,
            weight_decay=1e-3,
        ),
        "AdaBound",
        dict(
            lr=1e-2,
            final_lr=0.05,
            betas=(0.8, 0.99),
            gamma=1e-2,
            eps=1e-12,
            weight_decay=1e-3,
            weight_decouple=False,
        ),
        {},
    ),
    # PyTorch layout: channels on axis 0. The scale-invariant problem triggers the projection.
    "adamp": (
        optzoo.adamp,
        dict(
            learning_rate=1e-2,
            b1=0.8,
            b2=0.99,
            eps=1e-12,
            weight_decay=1e-2,
            wd_ratio=0.2,
            nesterov=True,
            channel_axis=0,
        ),
        "AdamP",
        dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-12, weight_decay=1e-2, wd_ratio=0.2, nesterov=True),
        dict(scale_invariant=True),
    ),
    "adamp_plain": (
        optzoo.adamp,
        dict(learning_rate=1e-2, eps=1e-12, delta=0.05, channel_axis=0),
        "AdamP",
        dict(lr=1e-2, eps=1e-12, delta=0.05),
        {},
    ),
    # optimize_1d=True: MARS on every leaf (the paper's algorithm).
    "mars_adamw": (
        optzoo.mars_adamw,
        dict(learning_rate=1e-2, b1=0.9, b2=0.95, gamma=0.05, eps=1e-12, weight_decay=1e-2),
        "MARS",
        dict(
            lr=1e-2,
            betas=(0.9, 0.95),
            gamma=0.05,
            eps=1e-12,
            weight_decay=1e-2,
            mars_type="adamw",
            optimize_1d=True,
        ),
        {},
    ),
}


TORCH_SLOW = {"adamp_plain"}


@pytest.mark.parametrize("name", slow_marked(TORCH_CASES, TORCH_SLOW))
def test_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, TORCH_CASES)


# ------------------------------------ optimistic Adam (optax) and ACProp (optax.contrib)

# name -> (optzoo factory, kwargs, optax reference, kwargs); non-default hyperparameters.
OPTIMISTIC_CASES = {
    "optimistic_adam": (
        optzoo.optimistic_adam,
        dict(learning_rate=1e-2, optimism=0.02, b1=0.8, b2=0.99, eps_root=1e-12),
        optax.optimistic_adam,
        None,
    ),
    "optimistic_adam_plain": (
        optzoo.optimistic_adam,
        dict(learning_rate=1e-2, nesterov=False),
        optax.optimistic_adam,
        None,
    ),
    "optimistic_adam_v2": (
        optzoo.optimistic_adam_v2,
        dict(learning_rate=optax.linear_schedule(1e-2, 1e-3, 50), alpha=0.7, beta=1.5),
        optax.optimistic_adam_v2,
        None,
    ),
    "acprop": (
        optzoo.acprop,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, weight_decay=1e-3, eps=1e-12),
        contrib.acprop,
        None,
    ),
}


@pytest.mark.parametrize("name", sorted(OPTIMISTIC_CASES))
def test_optimistic_adam_and_acprop_match_optax(name):
    check_matches_optax(name, OPTIMISTIC_CASES)


def test_optimistic_adam_v1_is_v2_reparametrised():
    """optimistic_adam(lr, o) == optimistic_adam_v2(1, alpha=lr, beta=o): one algorithm."""
    params, loss = make_problem()
    v1, _ = trajectory(optzoo.optimistic_adam(1e-2, optimism=3e-2), params, loss, 30)
    v2, _ = trajectory(optzoo.optimistic_adam_v2(1.0, alpha=1e-2, beta=3e-2), params, loss, 30)
    assert max(max_rel_err(a, b) for a, b in zip(v1, v2, strict=True)) <= 1e-6


def test_optimistic_adam_rejects_a_schedule_as_optax_does():
    with pytest.raises(ValueError, match="optimistic_adam_v2"):
        optzoo.optimistic_adam(optax.constant_schedule(1e-2))
