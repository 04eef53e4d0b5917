"""optzoo's own implementations of optax's optimizers give optax's numbers (100 steps)."""

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
from _helpers import make_problem, max_rel_err, trajectory  # noqa: E402

STEPS = 100
TOL = 1e-6

# name -> (optzoo factory, kwargs, optax reference, kwargs); non-default hyperparameters.
CASES = {
    "lion": (
        optzoo.lion,
        dict(learning_rate=3e-3, b1=0.8, b2=0.95, weight_decay=0.1),
        optax.lion,
        None,
    ),
    "lamb": (
        optzoo.lamb,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, weight_decay=0.05),
        optax.lamb,
        None,
    ),
    "lars": (
        optzoo.lars,
        dict(
            learning_rate=0.5,
            weight_decay=1e-3,
            momentum=0.8,
            nesterov=True,
            trust_coefficient=0.01,
        ),
        optax.lars,
        None,
    ),
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
    "novograd": (
        optzoo.novograd,
        dict(learning_rate=1e-2, b1=0.8, b2=0.5, weight_decay=0.01),
        optax.novograd,
        None,
    ),
    "sign_sgd": (optzoo.sign_sgd, dict(learning_rate=3e-3), optax.sign_sgd, None),
    "signum": (optzoo.signum, dict(learning_rate=3e-3, beta=0.7), optax.signum, None),
    "rprop": (
        optzoo.rprop,
        dict(learning_rate=1e-2, eta_minus=0.4, eta_plus=1.3, max_step_size=0.5),
        optax.rprop,
        None,
    ),
    "sm3": (optzoo.sm3, dict(learning_rate=0.05, momentum=0.8), optax.sm3, None),
    "adafactor": (
        optzoo.adafactor,
        dict(learning_rate=3e-2, min_dim_size_to_factor=3, decay_rate=0.7, clipping_threshold=0.5),
        optax.adafactor,
        None,
    ),
    "adafactor_momentum_wd": (
        optzoo.adafactor,
        dict(
            learning_rate=3e-2,
            min_dim_size_to_factor=4,
            momentum=0.8,
            weight_decay_rate=1e-3,
            multiply_by_parameter_scale=False,
        ),
        optax.adafactor,
        None,
    ),
    "adafactor_unfactored": (
        optzoo.adafactor,
        dict(learning_rate=None, factored=False),
        optax.adafactor,
        None,
    ),
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
    "madgrad": (
        optzoo.madgrad,
        dict(learning_rate=2e-2, momentum=0.8, weight_decay=1e-3),
        contrib.madgrad,
        None,
    ),
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
    "schedule_free_sgd": (
        optzoo.schedule_free_sgd,
        dict(learning_rate=0.3, b1=0.8, weight_decay=1e-3, warmup_steps=10),
        contrib.schedule_free_sgd,
        None,
    ),
    "schedule_free_adamw": (
        optzoo.schedule_free_adamw,
        dict(
            learning_rate=1e-2,
            b1=0.8,
            b2=0.99,
            weight_decay=1e-2,
            warmup_steps=10,
            weight_lr_power=1.0,
        ),
        contrib.schedule_free_adamw,
        None,
    ),
    "schedule_free_wrapper": (
        lambda **k: optzoo.schedule_free(optax.adam(1e-2, b1=0.0), **k),
        dict(learning_rate=1e-2, b1=0.7),
        lambda **k: contrib.schedule_free(optax.adam(1e-2, b1=0.0), **k),
        None,
    ),
}


# Second configurations of an optimizer already covered: run with the slow tests.
SLOW = {
    "adabelief_nesterov",
    "radam_nesterov",
    "adafactor_momentum_wd",
    "adafactor_unfactored",
    "ademamix_schedules",
    "adopt_nesterov_noclip",
    "dog_lr_init",
    "prodigy_safeguard",
    "mechanize_sgd",
    "schedule_free_wrapper",
}


def _params(cases, slow):
    return [pytest.param(n, marks=pytest.mark.slow) if n in slow else n for n in sorted(cases)]


def _tree_types(state):
    return [
        type(s).__name__
        for s in jax.tree.leaves(
            state, is_leaf=lambda x: isinstance(x, tuple) and hasattr(x, "_fields")
        )
    ]


@pytest.mark.parametrize("name", _params(CASES, SLOW))
def test_matches_optax(name):
    ours, kwargs, ref, ref_kwargs = CASES[name]
    params, loss = make_problem()
    traj, state = trajectory(ours(**kwargs), params, loss, STEPS)
    ref_traj, ref_state = trajectory(ref(**(ref_kwargs or kwargs)), params, loss, STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref_traj, strict=True))
    assert err <= TOL, f"{name}: max rel err {err:.3g}"
    # Same state classes, same tree structure.
    assert jax.tree.structure(state) == jax.tree.structure(ref_state)
    assert _tree_types(state) == _tree_types(ref_state)
    # The trajectory moved: the comparison is not vacuous.
    assert max_rel_err(traj[-1], traj[0]) > 1e-3


def test_schedule_free_eval_params_matches_optax():
    params, loss = make_problem()
    kwargs = dict(learning_rate=0.2, b1=0.8)
    _, state = trajectory(optzoo.schedule_free_sgd(**kwargs), params, loss, 30)
    traj, _ = trajectory(optzoo.schedule_free_sgd(**kwargs), params, loss, 30)
    ours = optzoo.schedule_free_eval_params(state, traj[-1])
    ref = contrib.schedule_free_eval_params(state, traj[-1])
    assert max_rel_err(ours, ref) <= TOL
    # x differs from y, and x has a lower loss than the start.
    assert max_rel_err(ours, traj[-1]) > 1e-4
    assert loss(ours) < loss(params)
    with pytest.raises(ValueError):
        optzoo.schedule_free_eval_params(optax.EmptyState(), params)


# Building blocks with non-default arguments that the optimizers above do not reach.
TRANSFORM_CASES = {
    "scale_by_lion_smooth": (dict(b1=0.8, mode="smooth", smooth_beta=3.0), "scale_by_lion"),
    "scale_by_lion_refined": (dict(b2=0.9, mode="refined"), "scale_by_lion"),
    "scale_by_trust_ratio": (
        dict(min_norm=0.1, trust_coefficient=0.5, eps=1e-3),
        "scale_by_trust_ratio",
    ),
    "scale_by_yogi": (dict(eps_root=1e-8, initial_accumulator_value=1e-3), "scale_by_yogi"),
    "scale_by_novograd": (dict(eps=1e-6, mu_dtype=jax.numpy.float32), "scale_by_novograd"),
    "scale_by_sm3": (dict(b1=0.5, b2=0.9), "scale_by_sm3"),
    "scale_by_factored_rms": (
        dict(min_dim_size_to_factor=2, step_offset=3, epsilon=1e-20),
        "scale_by_factored_rms",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TRANSFORM_CASES))
def test_transform_matches_optax(name):
    kwargs, attr = TRANSFORM_CASES[name]
    params, loss = make_problem()
    ours = optax.chain(getattr(optzoo, attr)(**kwargs), optax.scale(-1e-2))
    ref = optax.chain(getattr(optax, attr)(**kwargs), optax.scale(-1e-2))
    assert getattr(optzoo, attr) is not getattr(optax, attr)
    traj, _ = trajectory(ours, params, loss, STEPS)
    ref_traj, _ = trajectory(ref, params, loss, STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref_traj, strict=True))
    assert err <= TOL, f"{name}: max rel err {err:.3g}"
