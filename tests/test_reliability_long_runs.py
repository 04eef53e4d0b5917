"""Long runs: step counters never overflow and updates stay finite.

A million-step ``lax.scan`` of representative optimizers (a plain adaptive method,
SGD with a schedule, schedule-free, a lookahead wrapper, a learning-rate-free
method) ends with finite parameters and exact counters. Counters use
``optax.safe_increment``: started a few steps below the int32 maximum, they stop
there instead of wrapping to negative values, and the updates stay finite.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo

INT32_MAX = int(np.iinfo(np.int32).max)
SCHEDULE = optax.cosine_decay_schedule(0.1, 10_000)

CASES = {
    "adam": {},
    "sgd+schedule": {"learning_rate": SCHEDULE, "momentum": 0.9},
    "schedule_free_adamw": {},
    "schedule_free_sgd": {},
    "lookahead_adam": {},
    "prodigy": {},
    "ademamix": {},
    "adamw_8bit": {},
    "mechanic": {},
    "adan": {},
}


def _tx(case):
    return optzoo.create(case.split("+")[0], **CASES[case])


def _loss(params):
    return 0.5 * jnp.sum(params["w"] ** 2) + 0.5 * jnp.sum((params["m"] - 1.0) ** 2)


PARAMS = {"w": jnp.array([1.0, -2.0]), "m": jnp.zeros((2, 2))}


def _scan(tx, state, steps):
    def step(carry, _):
        params, state = carry
        updates, state = tx.update(jax.grad(_loss)(params), state, params)
        return (optax.apply_updates(params, updates), state), None

    return jax.lax.scan(step, (PARAMS, state), None, length=steps)[0]


def _is_counter(path, x):
    # Monotonic step counters are the integer scalars named ``count`` (optax) or ``t`` (Adan);
    # cyclic ones such as lookahead's ``steps_since_sync`` stay in [0, k) by design.
    return (
        jnp.issubdtype(x.dtype, jnp.integer)
        and x.ndim == 0
        and ("count" in jax.tree_util.keystr(path) or jax.tree_util.keystr(path).endswith(".t"))
    )


def _counters(state):
    return [x for path, x in jax.tree_util.tree_leaves_with_path(state) if _is_counter(path, x)]


def _finite(tree):
    return all(np.all(np.isfinite(np.asarray(x))) for x in jax.tree.leaves(tree))


@pytest.mark.parametrize("case", sorted(CASES))
def test_million_steps_stay_finite_with_exact_counters(case):
    tx = _tx(case)
    steps = 1_000_000
    params, state = jax.jit(lambda s: _scan(tx, s, steps))(tx.init(PARAMS))
    assert _finite(params) and _finite(state), case
    counters = _counters(state)
    assert counters, f"{case}: no step counter in the state"
    # Every counter counts updates (schedule-free's also counts its first step from 1).
    assert all(steps <= int(c) <= steps + 1 for c in counters), (case, counters)
    assert float(_loss(params)) < float(_loss(PARAMS)), case


@pytest.mark.parametrize("case", sorted(CASES))
def test_counters_saturate_at_int32_max(case):
    tx = _tx(case)
    state = tx.init(PARAMS)
    near_max = jax.tree_util.tree_map_with_path(
        lambda path, x: jnp.full_like(x, INT32_MAX - 3) if _is_counter(path, x) else x, state
    )
    params, state = jax.jit(lambda s: _scan(tx, s, 10))(near_max)
    assert all(int(c) == INT32_MAX for c in _counters(state)), (case, _counters(state))
    assert _finite(params) and _finite(state), case
