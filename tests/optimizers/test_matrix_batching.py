"""Same-shaped matrices across the tree share one vmap-ed computation per shape, so the
traced program does not grow with the number of leaves (bounded compile time)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

import optzoo

TRANSFORMS = {
    "muon": lambda: optzoo.scale_by_muon(ns_coeffs=((3.4445, -4.7750, 2.0315),) * 3),
    "scion": lambda: optzoo.scale_by_scion(ns_coeffs=((3.4445, -4.7750, 2.0315),) * 3),
    "shampoo": lambda: optzoo.scale_by_shampoo(block_size=4),
    "soap": lambda: optzoo.scale_by_soap(),
    "psgd_kron": lambda: optzoo.scale_by_kron(),
}
HEAVY = ("dot_general", "eigh", "triangular_solve", "householder_product", "geqrf")


def _heavy_ops(tx, params):
    g = jax.tree.map(jnp.ones_like, params)
    state = tx.init(params)
    text = str(jax.make_jaxpr(lambda g, s: tx.update(g, s, params))(g, state))
    return {op: text.count(op) for op in HEAVY}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_heavy_ops_do_not_grow_with_leaf_count(name):
    one = {"w0": jnp.ones((8, 6))}
    many = {f"w{i}": jnp.ones((8, 6)) for i in range(12)}
    tx = TRANSFORMS[name]()
    counts = _heavy_ops(tx, one)
    assert sum(counts.values()) > 0
    assert _heavy_ops(tx, many) == counts
