"""flat(): packed layouts give the unpacked optimizer's numbers for elementwise optimizers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo
from optzoo import registry
from optzoo.core.flat import ELEMENTWISE, GLOBAL_SUMS, flat, pack, packing_plan, unpack


def _tree():
    shapes = [(3, 4), (3, 4), (7,), (2, 3, 5), (7,), (3, 4), (40, 30), ()]
    key = jax.random.PRNGKey(0)
    tree = {}
    for i, shape in enumerate(shapes):
        tree[f"p{i}"] = jax.random.normal(jax.random.fold_in(key, i), shape)
    tree["half"] = {"a": jnp.ones((5,), jnp.bfloat16), "b": jnp.full((3, 3), 2.0, jnp.bfloat16)}
    tree["frozen"] = None
    return tree


def _grads(tree, step):
    return jax.tree.map(lambda x: jnp.sin(x * (step + 1.0) + 0.5).astype(x.dtype), tree)


def _run(tx, params, steps=4):
    state = tx.init(params)
    step = jax.jit(tx.update)
    out = []
    for k in range(steps):
        updates, state = step(_grads(params, k), state, params)
        params = optax.apply_updates(params, updates)
        out.append(updates)
    return out, params


CASES = [
    ("adam", {}),
    ("adamw", {"weight_decay": 0.1}),
    ("sgd", {"momentum": 0.9}),
    ("nesterov", {}),
    ("rmsprop", {"centered": True}),
    ("adagrad", {}),
    ("nadam", {}),
    ("amsgrad", {}),
]


# Every optimizer in the default layout; adam in every layout; the full grid is slow.
GRID = [(name, kw, "flat", 100) for name, kw in CASES] + [
    ("adam", {}, layout, size) for layout, size in [("flat", None), ("grouped", None)]
]
FULL_GRID = [
    pytest.param(name, kw, layout, size, marks=pytest.mark.slow)
    for name, kw in CASES[1:]
    for layout, size in [("flat", None), ("grouped", None), ("grouped", 100)]
]


@pytest.mark.parametrize(("name", "kwargs", "layout", "max_leaf_size"), GRID + FULL_GRID)
def test_packed_equals_unpacked(name, kwargs, layout, max_leaf_size):
    params = _tree()
    ref, ref_params = _run(optzoo.create(name, **kwargs), params)
    got, got_params = _run(flat(name, layout=layout, max_leaf_size=max_leaf_size, **kwargs), params)
    for r, g in zip(ref, got, strict=True):
        assert jax.tree.structure(r) == jax.tree.structure(g)
        for a, b in zip(jax.tree.leaves(r), jax.tree.leaves(g), strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_allclose(
                np.asarray(a, np.float32), np.asarray(b, np.float32), rtol=1e-6, atol=1e-7
            )
    # Elementwise: bitwise equal in practice on this backend (float32 leaves).
    for a, b in zip(jax.tree.leaves(ref_params), jax.tree.leaves(got_params), strict=True):
        if a.dtype == jnp.float32:
            np.testing.assert_array_equal(a, b)


def test_state_is_packed():
    params = _tree()
    state = flat("adam", learning_rate=1e-3, max_leaf_size=None).init(params)
    mu = state.inner_state[0].mu
    # One float32 buffer (every float32 leaf) and one bfloat16 buffer.
    assert sorted(b.shape for b in mu["packed"]) == [(14,), (12 + 12 + 7 + 30 + 7 + 12 + 1200 + 1,)]
    assert mu["loose"] == ()
    state = flat("adam", learning_rate=1e-3, max_leaf_size=100).init(params)
    assert [x.shape for x in state.inner_state[0].mu["loose"]] == [(40, 30)]


def test_buffers_hold_at_most_max_leaves():
    params = [jnp.full((3,), float(i)) for i in range(70)]
    state = flat("sgd", learning_rate=0.1, momentum=0.9).init(params)
    trace = state.inner_state[0].trace
    assert [b.shape for b in trace["packed"]] == [(96,), (96,), (18,)]
    updates, _ = flat("sgd", learning_rate=0.1, momentum=0.9).update(params, state)
    np.testing.assert_array_equal(updates[69], jnp.full((3,), -6.9))


@pytest.mark.parametrize("layout", ["flat", "grouped"])
def test_pack_unpack_round_trip(layout):
    tree = _tree()
    plan = packing_plan(tree, layout)
    back = unpack(pack(tree, plan), plan)
    assert jax.tree.structure(back) == jax.tree.structure(tree)
    jax.tree.map(np.testing.assert_array_equal, back, tree)


def test_composes_with_chain_masked_multisteps():
    params = _tree()
    ref = optax.MultiSteps(optax.chain(optax.clip_by_global_norm(1.0), optzoo.adam(1e-2)), 2)
    tx = optax.MultiSteps(
        optax.chain(optax.clip_by_global_norm(1.0), flat(optzoo.adam(1e-2), max_leaf_size=None)),
        2,
    )
    for r, g in zip(_run(ref, params)[0], _run(tx, params)[0], strict=True):
        # Global norm sums in another order: equal to float rounding, not bitwise.
        jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8), r, g)
    mask = jax.tree.map(lambda x: x.ndim == 2, params)
    masked_ref, _ = _run(optax.masked(optzoo.adam(1e-2), mask), params, steps=2)
    masked, _ = _run(optax.masked(flat(optzoo.adam(1e-2)), mask), params, steps=2)
    jax.tree.map(np.testing.assert_array_equal, masked_ref, masked)


def test_rejects_non_elementwise_names():
    with pytest.raises(ValueError, match="elementwise"):
        flat("lamb")
    with pytest.raises(ValueError, match="layout"):
        flat("adam", layout="diagonal")
    with pytest.raises(ValueError, match="registered name"):
        flat(optzoo.adam(1e-3), learning_rate=1e-3)


def test_elementwise_names_are_registered():
    assert ELEMENTWISE | GLOBAL_SUMS <= set(registry.names())


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ELEMENTWISE | GLOBAL_SUMS))
def test_every_listed_optimizer_packs(name):
    params = {k: v for k, v in _tree().items() if k != "half"}  # float32 leaves
    ref, _ = _run(optzoo.create(name), params)
    got, _ = _run(flat(name, max_leaf_size=None), params)
    # atol: a couple of ulps of the O(1) parameters, for updates formed as differences
    # of parameter-sized numbers (schedule-free); fusion may round those differently.
    for r, g in zip(ref, got, strict=True):
        jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=3e-7), r, g)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["lamb", "lars", "novograd", "adafactor", "stable_adamw"])
def test_per_leaf_optimizers_change_when_packed(name):
    # Why these are refused: packed, their per-leaf statistics span several leaves.
    params = {k: v for k, v in _tree().items() if k != "half"}
    ref, _ = _run(optzoo.create(name), params, steps=2)
    got, _ = _run(flat(optzoo.create(name), max_leaf_size=None), params, steps=2)
    diff = max(
        float(np.max(np.abs(a - b)))
        for a, b in zip(jax.tree.leaves(ref), jax.tree.leaves(got), strict=True)
    )
    assert diff > 1e-4
    with pytest.raises(ValueError, match="elementwise"):
        flat(name)
