"""Loop helpers for the compiled solvers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["packed_while_loop"]


def packed_while_loop(cond: Callable, body: Callable, init: Any) -> Any:
    """``lax.while_loop`` whose scalar carries travel as two vectors, one for the floating
    scalars and one for the counts and flags (each in its widest dtype, so every value
    converts back exactly). On XLA CPU the loop then copies and selects two buffers
    instead of one per scalar, which is much of a line search's cost on small problems."""
    leaves, treedef = jax.tree.flatten(init)
    kinds = [jnp.asarray(leaf).dtype for leaf in leaves]
    # Group of each leaf: -1 an array (carried as it is), 0 a count or flag, 1 a float.
    group = [
        -1 if jnp.ndim(leaf) else int(jnp.issubdtype(k, jnp.inexact))
        for leaf, k in zip(leaves, kinds, strict=True)
    ]
    members = [[k for k, g in zip(kinds, group, strict=True) if g == i] for i in (0, 1)]
    wide = [jnp.result_type(*m) if m else jnp.dtype(bool) for m in members]

    def pack(tree):
        flat = jax.tree.leaves(tree)
        vecs = []
        for i in (0, 1):
            vals = [jnp.asarray(v, wide[i]) for v, g in zip(flat, group, strict=True) if g == i]
            vecs.append(jnp.stack(vals) if vals else jnp.zeros((0,), wide[i]))
        return tuple(vecs), [v for v, g in zip(flat, group, strict=True) if g < 0]

    def unpack(carry):
        vecs, arrays = carry
        pos, it_a = [0, 0], iter(arrays)
        out = []
        for g, k in zip(group, kinds, strict=True):
            if g < 0:
                out.append(next(it_a))
            else:
                out.append(vecs[g][pos[g]].astype(k))
                pos[g] += 1
        return jax.tree.unflatten(treedef, out)

    carry = jax.lax.while_loop(
        lambda c: cond(unpack(c)), lambda c: pack(body(unpack(c))), pack(init)
    )
    return unpack(carry)
