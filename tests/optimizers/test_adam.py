"""The Adam family against optax (100 steps) where optax ships the optimizer, and against
pytorch_optimizer 4.1.0 (float64, 60 steps, the shared regression problem with a vector, a
matrix and a rank-3 leaf); Adam-mini against a NumPy transcription of the paper."""

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
    TORCH_STEPS,
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


try:  # pytorch_optimizer's FAdam keeps float32 states unless told otherwise
    import torch

    FADAM_F64 = {"momentum_dtype": torch.float64, "fim_dtype": torch.float64}
except ImportError:  # the torch tests skip
    FADAM_F64 = {}


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
    # Decoupled decay on both sides (pytorch_optimizer's default weight_decouple=True); a
    # warm-up of 10 of the 60 steps, so both phases of the clipping run.
    "adagc": (
        optzoo.adagc,
        dict(learning_rate=1e-2, warmup_steps=10, weight_decay=1e-2),
        "AdaGC",
        dict(lr=1e-2, warmup_steps=10, weight_decay=1e-2),
        {},
    ),
    "adagc_tight": (
        optzoo.adagc,
        dict(
            learning_rate=1e-2,
            b1=0.8,
            b2=0.99,
            beta=0.9,
            lambda_abs=0.3,
            lambda_rel=1.01,
            warmup_steps=5,
            weight_decay=0.1,
        ),
        "AdaGC",
        dict(
            lr=1e-2,
            betas=(0.8, 0.99),
            beta=0.9,
            lambda_abs=0.3,
            lambda_rel=1.01,
            warmup_steps=5,
            weight_decay=0.1,
        ),
        {},
    ),
    # Aida: L2 decay (pytorch_optimizer's default weight_decouple=False) and decoupled.
    "aida": (
        optzoo.aida,
        dict(learning_rate=1e-2, weight_decay=1e-2),
        "Aida",
        dict(lr=1e-2, weight_decay=1e-2),
        {},
    ),
    "aida_k3_decoupled": (
        optzoo.aida,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, k=3, weight_decay=1e-2, weight_decouple=True),
        "Aida",
        dict(lr=1e-2, betas=(0.8, 0.99), k=3, weight_decay=1e-2, weight_decouple=True),
        {},
    ),
    # Coupled L2 decay (pytorch_optimizer's default weight_decouple=False).
    "adai": (
        optzoo.adai,
        dict(learning_rate=0.1, b0=0.1, b2=0.99, eps=1e-3, weight_decay=1e-2),
        "Adai",
        dict(lr=0.1, betas=(0.1, 0.99), eps=1e-3, weight_decay=1e-2),
        {},
    ),
    "adai_decoupled": (
        optzoo.adai,
        dict(learning_rate=0.1, b0=0.2, b2=0.9, weight_decay=1e-2, decouple=True),
        "Adai",
        dict(lr=0.1, betas=(0.2, 0.9), weight_decay=1e-2, weight_decouple=True),
        {},
    ),
    "adai_dampening": (
        optzoo.adai,
        dict(learning_rate=0.05, b0=0.1, b2=0.99, dampening=0.5, weight_decay=1e-2),
        "Adai",
        dict(lr=0.05, betas=(0.1, 0.99), dampening=0.5, weight_decay=1e-2),
        {},
    ),
    # pytorch_optimizer's per-tensor switch; eps and b2 chosen so that it switches to SGD
    # within the 60 steps (test_swats_switches checks that it does).
    "swats": (
        optzoo.swats,
        dict(
            learning_rate=1e-2,
            b2=0.9,
            eps=1e-2,
            eps_root=1e-15,
            convention="pytorch_optimizer",
            weight_decay=1e-2,
        ),
        "SWATS",
        dict(lr=1e-2, betas=(0.9, 0.9), eps=1e-2, weight_decay=1e-2),
        {},
    ),
    "swats_amsgrad": (
        optzoo.swats,
        dict(
            learning_rate=1e-2,
            b2=0.99,
            eps=0.2,
            eps_root=1e-15,
            amsgrad=True,
            convention="pytorch_optimizer",
        ),
        "SWATS",
        dict(lr=1e-2, betas=(0.9, 0.99), eps=0.2, ams_bound=True),
        {},
    ),
    # pytorch_optimizer's MSVAG has no weight decay.
    "msvag": (
        optzoo.msvag,
        dict(learning_rate=0.05, beta=0.9),
        "MSVAG",
        dict(lr=0.05, beta=0.9),
        {},
    ),
    "msvag_beta": (
        optzoo.msvag,
        dict(learning_rate=0.05, beta=0.5),
        "MSVAG",
        dict(lr=0.05, beta=0.5),
        {},
    ),
    # Decoupled decay on both sides (pytorch_optimizer's default weight_decouple=True).
    "adatam": (
        optzoo.adatam,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, decay_rate=0.8, weight_decay=1e-2),
        "AdaTAM",
        dict(lr=1e-2, betas=(0.9, 0.99), decay_rate=0.8, weight_decay=1e-2),
        {},
    ),
    "adatam_coupled": (
        optzoo.adatam,
        dict(learning_rate=1e-2, weight_decay=1e-2, decouple=False),
        "AdaTAM",
        dict(lr=1e-2, weight_decay=1e-2, weight_decouple=False),
        {},
    ),
    # switch_rate 0.05: the inverse step's weight reaches 0 within the 60 steps, so both
    # regimes are compared. Coupled L2 decay (pytorch_optimizer's default).
    "dualadam": (
        optzoo.dualadam,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, switch_rate=0.05, weight_decay=1e-2),
        "DualAdam",
        dict(lr=1e-2, betas=(0.9, 0.99), switch_rate=0.05, weight_decay=1e-2),
        {},
    ),
    "dualadam_decoupled": (
        optzoo.dualadam,
        dict(learning_rate=1e-2, switch_rate=0.03, weight_decay=1e-2, decouple=True),
        "DualAdam",
        dict(lr=1e-2, switch_rate=0.03, weight_decay=1e-2, weight_decouple=True),
        {},
    ),
    # extra_l2 = 0: pytorch_optimizer 4.1.0 writes the extra term as (gamma - l2) / 2, the
    # authors as gamma / 2 + l2.
    "amos": (
        optzoo.amos,
        dict(learning_rate=0.05, beta=0.99),
        "Amos",
        dict(lr=0.05, beta=0.99),
        {},
    ),
    "amos_momentum": (
        optzoo.amos,
        dict(learning_rate=0.05, beta=0.9, momentum=0.9, c_coef=0.5, d_coef=0.1),
        "Amos",
        dict(lr=0.05, beta=0.9, momentum=0.9, c_coef=0.5, d_coef=0.1),
        {},
    ),
    # sn=True puts every tensor in subsets (pytorch_optimizer reads the group's "sn" key);
    # pytorch_optimizer decays the updated weights.
    "adamwsn": (
        optzoo.adamwsn,
        dict(
            learning_rate=1e-2,
            b2=0.99,
            weight_decay=1e-2,
            subset_norm=True,
            decay_updated_weights=True,
        ),
        "AdamWSN",
        dict(lr=1e-2, betas=(0.9, 0.99), weight_decay=1e-2, sn=True),
        {},
    ),
    "adamwsn_subset_size": (
        optzoo.adamwsn,
        dict(learning_rate=1e-2, subset_size=4, subset_norm=True, decay_updated_weights=True),
        "AdamWSN",
        dict(lr=1e-2, subset_size=4, sn=True),
        {},
    ),
    "adamwsn_adam": (
        optzoo.adamwsn,
        dict(learning_rate=1e-2, weight_decay=1e-2, subset_norm=False, decay_updated_weights=True),
        "AdamWSN",
        dict(lr=1e-2, weight_decay=1e-2),
        {},
    ),
    # A constant rate: AdamC is AdamW (test_adamc_schedule_matches_pytorch_optimizer checks
    # the corrected decay under a schedule).
    "adamc": (
        optzoo.adamc,
        dict(learning_rate=1e-2, b2=0.99, weight_decay=0.1, eps_root=1e-15, normalized=True),
        "AdamC",
        dict(lr=1e-2, betas=(0.9, 0.99), weight_decay=0.1, normalized=True),
        {},
    ),
    "adamc_amsgrad": (
        optzoo.adamc,
        dict(learning_rate=1e-2, weight_decay=0.1, eps_root=1e-15, amsgrad=True),
        "AdamC",
        dict(lr=1e-2, weight_decay=0.1, ams_bound=True),
        {},
    ),
    # Coupled L2 decay (pytorch_optimizer's default weight_decouple=False).
    "qhadam": (
        optzoo.qhadam,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, nu1=0.7, nu2=0.9, eps=1e-8, weight_decay=1e-2),
        "QHAdam",
        dict(lr=1e-2, betas=(0.9, 0.99), nus=(0.7, 0.9), eps=1e-8, weight_decay=1e-2),
        {},
    ),
    # Decoupled decay on both sides (pytorch_optimizer's default weight_decouple=True).
    "adamod": (
        optzoo.adamod,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, b3=0.9, eps=1e-8, weight_decay=1e-2),
        "AdaMod",
        dict(lr=1e-2, betas=(0.9, 0.99, 0.9), eps=1e-8, weight_decay=1e-2),
        {},
    ),
    "diffgrad": (
        optzoo.diffgrad,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, eps=1e-8, weight_decay=1e-2),
        "DiffGrad",
        dict(lr=1e-2, betas=(0.9, 0.99), eps=1e-8, weight_decay=1e-2),
        {},
    ),
    # Decoupled decay on both sides (pytorch_optimizer's default weight_decouple=True).
    "adanorm": (
        optzoo.adanorm,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, r=0.9, eps=1e-8, weight_decay=1e-2),
        "AdaNorm",
        dict(lr=1e-2, betas=(0.9, 0.99), r=0.9, eps=1e-8, weight_decay=1e-2),
        {},
    ),
    "adanorm_coupled_ams": (
        optzoo.adanorm,
        dict(learning_rate=1e-2, r=0.99, weight_decay=1e-2, decouple=False, ams_bound=True),
        "AdaNorm",
        dict(lr=1e-2, r=0.99, weight_decay=1e-2, weight_decouple=False, ams_bound=True),
        {},
    ),
    "adapnm": (
        optzoo.adapnm,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, b0=1.0, weight_decay=1e-2),
        "AdaPNM",
        dict(lr=1e-2, betas=(0.9, 0.99, 1.0), weight_decay=1e-2),
        {},
    ),
    "adapnm_coupled_no_ams": (
        optzoo.adapnm,
        dict(learning_rate=1e-2, b0=0.5, weight_decay=1e-2, decouple=False, ams_bound=False),
        "AdaPNM",
        dict(
            lr=1e-2,
            betas=(0.9, 0.999, 0.5),
            weight_decay=1e-2,
            weight_decouple=False,
            ams_bound=False,
        ),
        {},
    ),
    # pytorch_optimizer's AdaShift has no weight decay; block-wise max and element-wise.
    "adashift": (
        optzoo.adashift,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, keep_num=5, eps=1e-10),
        "AdaShift",
        dict(lr=1e-2, betas=(0.9, 0.99), keep_num=5, eps=1e-10),
        {},
    ),
    "adashift_elementwise": (
        optzoo.adashift,
        dict(learning_rate=1e-2, keep_num=3, reduce_fn=None),
        "AdaShift",
        dict(lr=1e-2, keep_num=3, reduce_func=None),
        {},
    ),
    "avagrad": (
        optzoo.avagrad,
        dict(learning_rate=0.1, b1=0.9, b2=0.99, eps=0.1, weight_decay=1e-2),
        "AvaGrad",
        dict(lr=0.1, betas=(0.9, 0.99), eps=0.1, weight_decay=1e-2),
        {},
    ),
    "avagrad_coupled": (
        optzoo.avagrad,
        dict(learning_rate=0.05, eps=1e-3, weight_decay=1e-2, decouple=False),
        "AvaGrad",
        dict(lr=0.05, eps=1e-3, weight_decay=1e-2, weight_decouple=False),
        {},
    ),
    # The Fisher-preconditioned, clipped decay of both sides; clip=0.5 makes clipping bite.
    "fadam": (
        optzoo.fadam,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, clip=0.5, weight_decay=0.1),
        "FAdam",
        dict(lr=1e-2, betas=(0.9, 0.99), clip=0.5, weight_decay=0.1, **FADAM_F64),
        {},
    ),
    # Adaptive epsilon where eps_2 RMS(g) < eps, and another Fisher power.
    "fadam_adaptive_eps_p": (
        optzoo.fadam,
        dict(learning_rate=1e-2, eps=0.05, eps_2=0.01, p=0.4, weight_decay=0.0),
        "FAdam",
        dict(lr=1e-2, eps=0.05, eps_2=0.01, p=0.4, weight_decay=0.0, **FADAM_F64),
        {},
    ),
    # eps=1e-3 makes the cross-moment ratios v / (v + eps) differ from 1.
    "exadam": (
        optzoo.exadam,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, eps=1e-3, weight_decay=1e-2),
        "EXAdam",
        dict(lr=1e-2, betas=(0.9, 0.99), eps=1e-3, weight_decay=1e-2),
        {},
    ),
    "exadam_coupled": (
        optzoo.exadam,
        dict(learning_rate=1e-2, weight_decay=1e-2, decouple=False),
        "EXAdam",
        dict(lr=1e-2, weight_decay=1e-2, weight_decouple=False),
        {},
    ),
    "adams": (
        optzoo.adams,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, weight_decay=0.05),
        "AdamS",
        dict(lr=1e-2, betas=(0.9, 0.99), weight_decay=0.05),
        {},
    ),
    "adams_coupled_ams": (
        optzoo.adams,
        dict(learning_rate=1e-2, weight_decay=1e-2, decouple=False, ams_bound=True),
        "AdamS",
        dict(lr=1e-2, weight_decay=1e-2, weight_decouple=False, ams_bound=True),
        {},
    ),
    # Coupled L2 decay (pytorch_optimizer's default weight_decouple=False).
    "padam": (
        optzoo.padam,
        dict(learning_rate=0.05, b1=0.9, b2=0.99, partial=0.125, weight_decay=1e-2),
        "PAdam",
        dict(lr=0.05, betas=(0.9, 0.99), partial=0.125, weight_decay=1e-2),
        {},
    ),
    "padam_decoupled": (
        optzoo.padam,
        dict(learning_rate=0.05, partial=0.25, weight_decay=1e-2, decouple=True),
        "PAdam",
        dict(lr=0.05, partial=0.25, weight_decay=1e-2, weight_decouple=True),
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


@pytest.mark.parametrize("name", ["swats", "swats_amsgrad"])
def test_swats_switches(name):
    """The reference cases reach the SGD phase, so both phases are compared."""
    ours, kwargs, *_ = TORCH_CASES[name]
    params, loss = make_problem()
    _, state = trajectory(ours(**kwargs), params, loss, TORCH_STEPS)
    swats_state = [s for s in state if isinstance(s, optzoo.ScaleBySWATSState)][0]
    assert bool(swats_state.sgd) and float(swats_state.sgd_rate) > 0


def test_adamc_schedule_matches_pytorch_optimizer():
    """Under a decaying rate the normalized leaves ("w", "k") decay by lr_t^2 / lr_max * wd,
    the others ("b") by lr_t * wd, as pytorch_optimizer's AdamC with a LambdaLR schedule."""
    torch = pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    import jax
    import numpy as np

    peak, wd, steps = 2e-2, 0.5, TORCH_STEPS

    def factor(t):
        return 1.0 / (1.0 + 0.1 * t)

    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jax.numpy.float64)
        tx = optzoo.adamc(
            lambda t: peak * factor(t),
            weight_decay=wd,
            eps_root=1e-15,
            normalized={"w": True, "b": False, "k": True},
            max_learning_rate=peak,
        )
        traj, _ = trajectory(tx, params, loss, steps)
        tp = {k: torch.tensor(np.asarray(params[k]), requires_grad=True) for k in params}
        groups = [
            {"params": [tp["w"], tp["k"]], "normalized": True},
            {"params": [tp["b"]], "normalized": False},
        ]
        opt = pto.AdamC(groups, lr=peak, weight_decay=wd)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        grad = jax.jit(jax.grad(loss))
        for i in range(steps):
            g = grad({k: jax.numpy.asarray(tp[k].detach().numpy()) for k in tp})
            for k in tp:
                tp[k].grad = torch.tensor(np.array(g[k]))
            opt.step()
            sched.step()
            for k in tp:
                ref = tp[k].detach().numpy()
                err = np.max(np.abs(np.asarray(traj[i + 1][k]) - ref)) / np.max(np.abs(ref))
                assert err < 1e-6, (i, k, err)
    # The schedule matters: AdamW's decay (none normalized) lands elsewhere.
    with jax.enable_x64(True):
        other, _ = trajectory(
            optzoo.adamc(lambda t: peak * factor(t), weight_decay=wd, max_learning_rate=peak),
            params,
            loss,
            steps,
        )
    assert np.max(np.abs(np.asarray(other[-1]["w"]) - np.asarray(traj[-1]["w"]))) > 1e-4


def test_qhadam_with_unit_nus_is_adam():
    params = {"w": jnp.array([1.0, -2.0, 0.5])}
    grads = [{"w": jnp.array([0.5, 0.1, -0.3]) * (i + 1)} for i in range(5)]

    def run(tx):
        state, out = tx.init(params), []
        for g in grads:
            u, state = tx.update(g, state, params)
            out.append(np.asarray(u["w"]))
        return np.stack(out)

    ours = run(optzoo.qhadam(1e-2, b1=0.9, b2=0.999, nu1=1.0, nu2=1.0))
    np.testing.assert_allclose(ours, run(optax.adam(1e-2)), rtol=1e-5)


def test_adamod_coupled_decay_matches_pytorch_optimizer():
    cases = {
        "adamod_coupled": (
            optzoo.adamod,
            dict(learning_rate=1e-2, b3=0.9, weight_decay=1e-2, decouple=False),
            "AdaMod",
            dict(lr=1e-2, betas=(0.9, 0.999, 0.9), weight_decay=1e-2, weight_decouple=False),
            {},
        )
    }
    check_matches_pytorch_optimizer("adamod_coupled", cases)
