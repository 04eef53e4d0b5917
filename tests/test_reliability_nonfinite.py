"""Non-finite gradients: every registered optimizer composes with a skip-non-finite wrapper.

A NaN or an Inf gradient must leave the parameters and the inner optimizer state
bit-identical, and the next finite gradient must give exactly the update the bare
optimizer would have given had the bad step never happened. Both ``optax.apply_if_finite``
and ``optzoo.skip_nonfinite`` are checked; ``skip_nonfinite`` also skips steps whose
gradient is finite but whose update is not.
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
        if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):  # a PRNG key in the state
            x, y = jax.random.key_data(x), jax.random.key_data(y)
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape, what
        assert np.array_equal(x, y, equal_nan=True), f"{what}: {x} != {y}"


WRAPPERS = {
    "apply_if_finite": lambda tx: optax.apply_if_finite(tx, max_consecutive_errors=5),
    "skip_nonfinite": lambda tx: optzoo.skip_nonfinite(tx, max_consecutive=5),
}
CASES = [(w, n) for w in WRAPPERS for n in DEFAULT[: 12 if w == "apply_if_finite" else 6]]
# Every other optimizer under optzoo's wrapper. What the test asks of an optimizer (a state
# that a select can keep bit for bit, and the same next update) is the same under both
# wrappers, so optax's runs on the twelve above only.
SLOW_CASES = [("skip_nonfinite", n) for n in registry.names() if ("skip_nonfinite", n) not in CASES]


@pytest.mark.parametrize(
    "wrapper,name", CASES + [pytest.param(*c, marks=pytest.mark.slow) for c in SLOW_CASES]
)
def test_skip_nonfinite_leaves_params_and_state_untouched(wrapper, name):
    tx = WRAPPERS[wrapper](optzoo.create(name))
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


def test_skip_nonfinite_catches_a_nonfinite_update_from_a_finite_gradient():
    # SAM evaluates the loss at a perturbed point; here that point lies in a NaN region.
    def loss(p):
        return jnp.sum(p["w"] ** 2) + jnp.sqrt(1.0 - p["w"][0])  # NaN past w[0] = 1

    params = {"w": jnp.array([0.9, 0.0])}
    g = jax.grad(loss)(params)
    extra = {"value": loss(params), "grad": g, "value_fn": loss}
    plain = optax.apply_if_finite(optzoo.sam(0.1, rho=0.5), 5)
    u, _ = plain.update(g, plain.init(params), params, **extra)
    assert np.isnan(np.asarray(u["w"])).any()  # the input check alone lets it through
    tx = optzoo.skip_nonfinite(optzoo.sam(0.1, rho=0.5))
    state = tx.init(params)
    u, new = tx.update(g, state, params, **extra)
    assert np.all(np.asarray(u["w"]) == 0) and int(new.total_notfinite) == 1
    _assert_identical(new.inner_state, state.inner_state, "sam state")
    # float16 Adam on a zero gradient: the inner update is 0 / 0.
    half = {"w": jnp.ones(3, jnp.float16)}
    tx = optzoo.skip_nonfinite(optzoo.adam(1e-2))
    u, new = tx.update(jax.tree.map(jnp.zeros_like, half), tx.init(half), half)
    assert np.all(np.asarray(u["w"]) == 0) and not bool(new.last_finite)


def test_skip_nonfinite_gives_up_after_max_consecutive_and_counts_like_optax():
    params = {"w": jnp.ones(2)}
    bad = {"w": jnp.array([jnp.nan, 1.0])}
    ours = optzoo.skip_nonfinite(optzoo.sgd(0.1), max_consecutive=2)
    theirs = optax.apply_if_finite(optzoo.sgd(0.1), max_consecutive_errors=2)
    s1, s2 = ours.init(params), theirs.init(params)
    for step in range(4):
        u1, s1 = ours.update(bad, s1, params)
        u2, s2 = theirs.update(bad, s2, params)
        _assert_identical(u1, u2, f"step {step}")
        assert int(s1.notfinite_count) == int(s2.notfinite_count) == step + 1
        assert int(s1.total_notfinite) == int(s2.total_notfinite)
    assert np.isnan(np.asarray(u1["w"])).any()  # third and later: applied anyway
    with pytest.raises(ValueError, match="max_consecutive"):
        optzoo.skip_nonfinite(optzoo.sgd(0.1), max_consecutive=-1)
