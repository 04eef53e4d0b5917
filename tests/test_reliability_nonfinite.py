"""Non-finite gradients: every registered optimizer composes with a skip-non-finite wrapper.

A NaN or an Inf gradient must leave the parameters and the inner optimizer state
bit-identical, and the next finite gradient must give exactly the update the bare
optimizer would have given had the bad step never happened.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo
from optzoo import registry

# One of each family in the default run (state outside update, value_fn, quantized state,
# matrix preconditioning, wrappers); every other registered optimizer runs in the slow suite.
DEFAULT = [
    "adam",
    "sgd",
    "lion",
    "adafactor",
    "prodigy",
    "mechanic",
    "schedule_free_adamw",
    "lookahead_adam",
    "adamw_8bit",
    "muon",
    "sam",
    "bfgs",
]
SLOW = [n for n in registry.names() if n not in DEFAULT]


def _loss(params):
    scales = jnp.linspace(1.0, 5.0, params["w"].size).reshape(params["w"].shape)
    return 0.5 * jnp.sum(scales * params["w"] ** 2) + 0.5 * jnp.sum((params["b"] - 1.0) ** 2)


PARAMS = {"w": jnp.linspace(-1.0, 1.0, 12).reshape(4, 3), "b": jnp.full((3,), -1.0)}


def _step_fn(tx, name):
    needs = registry.info(name).needs

    @jax.jit
    def step(params, state, grads):
        extra = {"value": _loss(params), "grad": grads, "value_fn": _loss} if needs else {}
        updates, state = tx.update(grads, state, params, **extra)
        return optax.apply_updates(params, updates), state, updates

    return step


def _poison(grads, value):
    w = grads["w"].at[1, 2].set(value)
    return {**grads, "w": w}


def _assert_identical(a, b, what):
    la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
    assert jax.tree.structure(a) == jax.tree.structure(b), what
    for x, y in zip(la, lb, strict=True):
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape, what
        assert np.array_equal(x, y, equal_nan=True), f"{what}: {x} != {y}"


@pytest.mark.parametrize("name", DEFAULT + [pytest.param(n, marks=pytest.mark.slow) for n in SLOW])
def test_skip_nonfinite_leaves_params_and_state_untouched(name):
    tx = optax.apply_if_finite(optzoo.create(name), max_consecutive_errors=5)
    step = _step_fn(tx, name)
    grad = jax.grad(_loss)

    # Reference: two finite steps.
    state = tx.init(PARAMS)
    p1, s1, _ = step(PARAMS, state, grad(PARAMS))
    p2_ref, s2_ref, u2_ref = step(p1, s1, grad(p1))

    # Same, with a NaN and an Inf gradient in between.
    p, s = p1, s1
    for k, bad in enumerate([jnp.nan, jnp.inf, -jnp.inf], start=1):
        p_new, s_new, u = step(p, s, _poison(grad(p), bad))
        assert all(np.all(np.asarray(x) == 0) for x in jax.tree.leaves(u)), f"{name}: {bad}"
        _assert_identical(p_new, p1, f"{name}: params after a {bad} gradient")
        _assert_identical(s_new.inner_state, s1.inner_state, f"{name}: state after {bad}")
        assert int(s_new.notfinite_count) == k and not bool(s_new.last_finite)
        p, s = p_new, s_new
    p2, s2, u2 = step(p, s, grad(p))
    assert int(s2.notfinite_count) == 0 and int(s2.total_notfinite) == 3
    _assert_identical(u2, u2_ref, f"{name}: first finite update after the bad steps")
    _assert_identical(p2, p2_ref, f"{name}: params after recovery")
    _assert_identical(s2.inner_state, s2_ref.inner_state, f"{name}: state after recovery")
