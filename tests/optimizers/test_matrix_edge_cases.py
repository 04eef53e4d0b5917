"""Matrix optimizers on awkward leaves: zero-size and scalar leaves, mixed half precision.

* A zero-size leaf (any rank) gets a zero-size update and state of matching structure,
  and leaves the updates of the other leaves exactly as without it.
* A scalar leaf takes each optimizer's rank-1 path: its update equals that of the same
  value held in a shape ``(1,)`` vector (Muon: AdamW, checked against ``optax.adamw``;
  Scion: the bias-RMS normalisation, checked against its formula).
* A tree mixing ``bfloat16`` and ``float16`` leaves runs bare (no ``upcast``).
* The hyperparameters validated here reject out-of-range values by name and let
  injected (traced) values through.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo
from optzoo import registry

NAMES = ["muon", "scion", "shampoo", "soap", "psgd_kron"]
# Small settings so that every path (preconditioner refresh, factor update) runs in 3 steps.
KWARGS = {
    "muon": {"learning_rate": 0.02},
    "scion": {"learning_rate": 0.01},
    "shampoo": {"learning_rate": 1e-2, "precondition_frequency": 2},
    "soap": {"learning_rate": 3e-3, "precondition_frequency": 2},
    "psgd_kron": {"learning_rate": 1e-2},
}


def _loss(p):
    return sum(
        (jnp.sum(jnp.cos(x.astype(jnp.float32)) + 0.3 * x.astype(jnp.float32) ** 2))
        for x in jax.tree.leaves(p)
    )


def _signature(tree):
    return jax.tree.structure(tree), [
        (jnp.shape(x), jnp.asarray(x).dtype) for x in jax.tree.leaves(tree)
    ]


def _run(tx, params, steps=3):
    """Updates of ``steps`` jitted steps; checks that state keeps its structure."""
    state0 = tx.init(params)

    @jax.jit
    def step(p, s):
        u, s = tx.update(jax.grad(_loss)(p), s, p)
        return optax.apply_updates(p, u), s, u

    p, s, out = params, state0, []
    for _ in range(steps):
        p, s, u = step(p, s)
        assert _signature(s) == _signature(state0)
        assert _signature(u) == _signature(params)
        out.append(jax.tree.map(np.asarray, u))
    assert step._cache_size() == 1
    return out


def _base():
    k = jax.random.split(jax.random.PRNGKey(0), 3)
    return {
        "a": jax.random.normal(k[0], (5, 3)),
        "b": jax.random.normal(k[1], (4,)),
        "c": jax.random.normal(k[2], (2, 3, 4)),
    }


# Zero-size leaves sort after the others, so the others keep their leaf index (PSGD's
# probe vectors are drawn per leaf index).
EMPTY = {"z0": (0,), "z1": (0, 3), "z2": (3, 0), "z3": (2, 0, 4), "z4": (0, 0)}


@pytest.mark.parametrize("name", NAMES)
def test_zero_size_leaves_get_empty_updates_and_leave_the_others_alone(name):
    base = _base()
    params = {**base, **{k: jnp.zeros(s) for k, s in EMPTY.items()}}
    with_empty = _run(optzoo.create(name, **KWARGS[name]), params)
    without = _run(optzoo.create(name, **KWARGS[name]), base)
    for u, ref in zip(with_empty, without, strict=True):
        for k in base:
            np.testing.assert_array_equal(u[k], ref[k])
            assert np.all(np.isfinite(u[k]))
        for k, s in EMPTY.items():
            assert u[k].shape == s


@pytest.mark.parametrize("name", ["muon", "scion", "shampoo"])
def test_zero_size_leaves_with_the_batch_rule(name):
    params = {"a": jnp.ones((2, 3, 4)), "z": jnp.zeros((0, 3, 3)), "y": jnp.zeros((2, 0, 3))}
    (u, *_) = _run(optzoo.create(name, higher_rank="batch", **KWARGS[name]), params, steps=2)
    assert u["z"].shape == (0, 3, 3) and u["y"].shape == (2, 0, 3)
    assert np.all(np.isfinite(u["a"])) and np.any(u["a"] != 0)


@pytest.mark.parametrize("name", NAMES)
def test_scalar_leaf_takes_the_rank_one_path(name):
    w = jax.random.normal(jax.random.PRNGKey(1), (4, 3))
    scalar = _run(optzoo.create(name, **KWARGS[name]), {"s": jnp.asarray(0.7, jnp.float32), "w": w})
    vector = _run(
        optzoo.create(name, **KWARGS[name]), {"s": jnp.asarray([0.7], jnp.float32), "w": w}
    )
    for us, uv in zip(scalar, vector, strict=True):
        assert us["s"].shape == ()
        np.testing.assert_allclose(us["s"], uv["s"][0], rtol=1e-6, atol=0)
        np.testing.assert_allclose(us["w"], uv["w"], rtol=1e-6, atol=0)
    assert any(u["s"] != 0 for u in scalar)


def test_muon_scalar_leaf_is_adamw():
    p = {"s": jnp.asarray(0.7, jnp.float32), "w": jnp.ones((4, 3))}
    got = _run(optzoo.muon(0.02, weight_decay=0.1, adam_weight_decay=0.05), p)
    ref = _run(optax.adamw(0.02, eps=1e-8, weight_decay=0.05, nesterov=True), {"s": p["s"]})
    for u, r in zip(got, ref, strict=True):
        np.testing.assert_allclose(u["s"], r["s"], rtol=1e-6)


def test_scion_scalar_leaf_is_normalised_by_its_magnitude():
    x, lr, alpha, eps = 0.7, 0.01, 0.1, 1e-8
    (u, *_) = _run(optzoo.scion(lr, momentum=alpha), {"s": jnp.asarray(x, jnp.float32)}, steps=1)
    d = alpha * float(jax.grad(_loss)({"s": jnp.asarray(x, jnp.float32)})["s"])  # d_1 = alpha g_1
    np.testing.assert_allclose(u["s"], -lr * d / (abs(d) + eps), rtol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_mixed_bfloat16_and_float16_tree_runs_bare(name):
    k = jax.random.split(jax.random.PRNGKey(2), 4)
    params = {
        "a": jax.random.normal(k[0], (4, 3)).astype(jnp.bfloat16),
        "b": jax.random.normal(k[1], (3, 5)).astype(jnp.float16),
        "c": jax.random.normal(k[2], (3,)).astype(jnp.float16),
        "d": jax.random.normal(k[3], (6,)).astype(jnp.bfloat16),
    }
    for u in _run(optzoo.create(name, **KWARGS[name]), params):
        for k_, x in u.items():
            assert x.dtype == params[k_].dtype
            assert np.all(np.isfinite(np.asarray(x, np.float32)))
        assert any(np.any(np.asarray(x, np.float32) != 0) for x in u.values())


@pytest.mark.parametrize(
    "factory,kwargs,named",
    [
        (optzoo.scale_by_shampoo, {"precondition_frequency": 0}, "precondition_frequency"),
        (optzoo.scale_by_shampoo, {"precondition_frequency": 2.5e-1}, "precondition_frequency"),
        (optzoo.scale_by_shampoo, {"graft_beta2": 1.0}, "graft_beta2"),
        (optzoo.scale_by_shampoo, {"graft_eps": -1e-8}, "graft_eps"),
        (optzoo.scale_by_soap, {"max_precondition_dim": -3}, "max_precondition_dim"),
        (optzoo.scale_by_soap, {"shampoo_beta": 1.0}, "shampoo_beta"),
        (optzoo.scale_by_kron, {"clip_rms": 0.0}, "clip_rms"),
        (optzoo.muon, {"learning_rate": 0.02, "adam_b2": 1.0}, "adam_b2"),
        (optzoo.scion, {"learning_rate": 0.01, "scale": -2.0}, "scale"),
        (optzoo.shampoo, {"learning_rate": 1e-3, "beta1": 1.0}, "beta1"),
    ],
)
def test_out_of_range_matrix_hyperparameters_are_rejected(factory, kwargs, named):
    with pytest.raises(ValueError, match=rf"\b{named}\b"):
        factory(**kwargs)


@pytest.mark.parametrize(
    "name,hyper",
    [
        ("muon", {"adam_b1": 0.8, "adam_b2": 0.99, "adam_weight_decay": 0.01}),
        ("scion", {"scale": 2.0}),
        ("shampoo", {"beta1": 0.8, "graft_beta2": 0.99, "graft_eps": 1e-6}),
        ("soap", {"shampoo_beta": 0.9}),
        ("psgd_kron", {"clip_rms": 1.5}),
    ],
)
def test_injected_hyperparameters_pass_validation_and_match(name, hyper):
    kwargs = {**KWARGS[name], **hyper}
    params = {"w": jax.random.normal(jax.random.PRNGKey(3), (4, 3)), "b": jnp.ones(3)}
    factory = getattr(optzoo, name)
    # Counts and sizes shape the state or the program: kept static, as inject_hyperparams needs.
    defaults = registry.info(name).hyperparameters
    static = tuple(k for k, v in {**defaults, **kwargs}.items() if isinstance(v, (bool, int)))
    injected = _run(optax.inject_hyperparams(factory, static_args=static)(**kwargs), params)
    plain = _run(factory(**kwargs), params)
    for a, b in zip(injected, plain, strict=True):
        for k in params:
            np.testing.assert_allclose(a[k], b[k], rtol=1e-5, atol=1e-7)
