"""Mismatched gradient trees: the strict layer raises a ValueError naming the first
mismatched path; by default an error that actually happens gets a note naming it."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax
import pytest

import optzoo
from optzoo.core.tree_checks import first_mismatch

PARAMS = {"dense": {"w": jnp.ones((3, 2)), "b": jnp.zeros(2)}, "scale": jnp.ones(())}


def _grads(**changes):
    g = jax.tree.map(jnp.ones_like, PARAMS)
    g["dense"] = {**g["dense"], **changes}
    return g


@pytest.mark.parametrize(
    "grads,match",
    [
        (
            _grads(w=jnp.ones((2, 3))),
            r"\['dense'\]\['w'\] has shape \(2, 3\) in the updates but \(3, 2\)",
        ),
        (_grads(extra=jnp.ones(2)), r"updates have a leaf at \['dense'\]\['extra'\]"),
        (
            _grads(b=jnp.ones(2, jnp.int32)),
            r"\['dense'\]\['b'\] is integer in the updates but float",
        ),
    ],
)
@pytest.mark.parametrize("jit", [False, True])
def test_mismatch_with_params_names_the_path(grads, match, jit):
    tx = optzoo.create("sgd", learning_rate=0.1, momentum=0.9, strict=True)
    state = tx.init(PARAMS)
    update = jax.jit(tx.update) if jit else tx.update
    with pytest.raises(ValueError, match=match):
        update(grads, state, PARAMS)


def test_missing_leaf_without_params_is_diagnosed_from_the_state():
    tx = optzoo.momentum(0.1)
    state = tx.init(PARAMS)
    grads = {"dense": {"w": jnp.ones((3, 2))}, "scale": jnp.ones(())}
    with pytest.raises(ValueError, match=r"state from init\(\).*\['dense'\]\['b'\]"):
        tx.update(grads, state)


def test_matching_trees_pass_and_numbers_are_unchanged():
    ours, theirs = optzoo.sgd(0.1, momentum=0.9), optax.sgd(0.1, momentum=0.9)
    g = _grads()
    u1, _ = ours.update(g, ours.init(PARAMS), PARAMS)
    u2, _ = theirs.update(g, theirs.init(PARAMS), PARAMS)
    jax.tree.map(lambda a, b: assert_equal(a, b), u1, u2)


def assert_equal(a, b):
    assert jnp.array_equal(a, b)


def test_first_mismatch_is_none_for_equal_trees():
    assert first_mismatch(PARAMS, PARAMS) is None
    assert "other node types" in first_mismatch([jnp.ones(1)], (jnp.ones(1),))
