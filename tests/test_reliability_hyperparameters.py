"""Every registered factory rejects an out-of-range concrete hyperparameter.

The cases come from each factory's signature: a parameter's name says what range it
has (a decay rate, a momentum, an epsilon, a weight decay, a count ...), and every
floating hyperparameter must reject NaN. Each case must raise a ValueError that names
the parameter. Traced values and schedules pass through (checked once at the end).
"""

from __future__ import annotations

import inspect
import math

import jax
import jax.numpy as jnp
import optax
import pytest

import optzoo
from optzoo import registry

DECAYS = {"b1", "b2", "b3", "beta", "beta1", "beta2", "graft_beta2", "shampoo_beta"}
DECAYS |= {"adam_b1", "adam_b2", "decay", "momentum"}
NONNEGATIVE = {"eps", "eps_root", "eps1", "eps2", "matrix_eps", "graft_eps", "adam_eps_root"}
NONNEGATIVE |= {"weight_decay", "adam_weight_decay", "alpha", "gamma", "delta", "wd_ratio"}
NONNEGATIVE |= {"l1_regularization_strength", "l2_regularization_strength"}
NONNEGATIVE |= {"initial_accumulator_value", "trust_coefficient", "weight_lr_power", "r"}
NONNEGATIVE |= {"threshold", "final_lr", "d0", "estim_lr0", "s_init", "damping", "cg_tol"}
NONNEGATIVE |= {"clip_threshold", "clipping_threshold", "estim_lr_coef", "max_step_size"}
NONNEGATIVE |= {"min_step_size", "slow_step_size", "preconditioner_lr", "clip_rms", "scale"}
COUNTS = {"ns_steps", "sync_period", "precondition_frequency", "update_interval"}
COUNTS |= {"memory_size", "cg_maxiter", "num_betas", "max_precondition_dim"}
# Names whose negative values are meaningful (FTRL's power is <= 0; seeds are any integer).
NOT_SIGNED = {"learning_rate", "learning_rate_power", "seed", "decay_offset"}

# FTRL's and A2Grad's beta are non-negative constants in a denominator, not decay rates.
OVERRIDES = {("ftrl", "beta"): [-1.0, math.nan], ("a2grad", "beta"): [-1.0, math.nan]}
# Optimistic GD's beta is a non-negative weight of the negative momentum (2 is fine).
OVERRIDES[("optimistic_gradient_descent", "beta")] = [-1.0, math.nan]


def _bad_values(param, default):
    """Out-of-range values for ``param``: by its name, plus NaN for any float."""
    if param in COUNTS:
        return [0, -1]
    bad = []
    if param in DECAYS:
        bad += [-0.1, 1.5]
    elif param in NONNEGATIVE or param == "rho":
        bad += [-1.0]
    is_float = isinstance(default, float) or (default is None and bad)
    if param == "learning_rate" or is_float:
        bad += [math.nan]
    if param == "learning_rate":
        bad += [math.inf]
    return bad


def _cases():
    cases = []
    for name in registry.names():
        record = registry.info(name)
        for param in inspect.signature(record.factory).parameters:
            default = record.hyperparameters.get(param)
            if isinstance(default, bool) or param in NOT_SIGNED - {"learning_rate"}:
                continue
            if param == "betas":  # (beta1, beta2) pairs
                for bad in (-0.1, 1.5, math.nan):
                    cases.append((name, param, (bad, 0.999), "beta1"))
                    cases.append((name, param, (0.9, bad), "beta2"))
                continue
            for bad in OVERRIDES.get((name, param)) or _bad_values(param, default):
                cases.append((name, param, bad, param))
    return cases


CASES = _cases()


@pytest.mark.parametrize("name,param,bad,named", CASES)
def test_out_of_range_hyperparameter_is_rejected_by_name(name, param, bad, named):
    with pytest.raises(ValueError, match=rf"\b{named}\b"):
        optzoo.create(name, **{param: bad})


def test_the_table_covers_every_optimizer_and_the_common_hyperparameters():
    covered = {c.values[0] if hasattr(c, "values") else c[0] for c in CASES}
    assert covered == set(registry.names())
    assert len(CASES) > 300


def test_negative_learning_rate_stays_legal():
    for name in ("sgd", "adam", "lion"):
        optzoo.create(name, learning_rate=-1e-3)


@pytest.mark.parametrize("name", ["adam", "sgd", "lion", "prodigy", "rmsprop"])
def test_traced_and_scheduled_hyperparameters_pass_through(name):
    record = registry.info(name)
    static = tuple(
        k for k, v in record.hyperparameters.items() if isinstance(v, (bool, int)) or callable(v)
    )
    hyper = {k: v for k, v in record.hyperparameters.items() if k not in static}
    params = {"w": jnp.ones(3)}

    @jax.jit
    def traced(lr):
        tx = optax.inject_hyperparams(record.factory, static_args=static)(
            **{**hyper, "learning_rate": lr}
        )
        return tx.update(params, tx.init(params), params)[0]

    assert jnp.all(jnp.isfinite(traced(1e-3)["w"]))
    optzoo.create(name, learning_rate=optax.linear_schedule(1e-3, 0.0, 100))
