"""Loop helpers for the compiled solvers."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["packed_while_loop"]


def packed_while_loop(cond: Callable, body: Callable, init: Any, pack_arrays: bool = False) -> Any:
    """``lax.while_loop`` whose scalar carries travel as two vectors, one for the floating
    scalars and one for the counts and flags (each in its widest dtype, so every value
    converts back exactly). On XLA CPU the loop then copies and selects two buffers
    instead of one per scalar, which is much of a line search's cost on small problems.

    ``pack_arrays``: real float arrays travel (raveled) in the float vector too. XLA then
    copies one buffer per iteration where it would copy several loop arrays, and the body
    starts from one value instead of many independent ones. XLA CPU runs a body of more than
    8 operations with any buffer over 512 bytes concurrently, as a graph: independent
    copies at its start mean thread hand-offs on every iteration."""
    leaves, treedef = jax.tree.flatten(init)
    kinds = [jnp.asarray(leaf).dtype for leaf in leaves]
    shapes = [jnp.shape(leaf) for leaf in leaves]
    # Group of each leaf: -1 an array (carried as it is), 0 a count or flag, 1 a float.
    group = [
        -1 if jnp.ndim(leaf) else int(jnp.issubdtype(k, jnp.inexact))
        for leaf, k in zip(leaves, kinds, strict=True)
    ]
    if pack_arrays:
        group = [
            1 if g < 0 and jnp.issubdtype(k, jnp.floating) else g
            for g, k in zip(group, kinds, strict=True)
        ]
    members = [[k for k, g in zip(kinds, group, strict=True) if g == i] for i in (0, 1)]
    wide = [jnp.result_type(*m) if m else jnp.dtype(bool) for m in members]

    def pack(tree):
        flat = jax.tree.leaves(tree)
        vecs = []
        for i in (0, 1):
            vals = [
                jnp.ravel(jnp.asarray(v, wide[i])) for v, g in zip(flat, group, strict=True)
                if g == i
            ]  # fmt: skip
            vecs.append(jnp.concatenate(vals) if vals else jnp.zeros((0,), wide[i]))
        return tuple(vecs), [v for v, g in zip(flat, group, strict=True) if g < 0]

    def unpack(carry):
        vecs, arrays = carry
        pos, it_a = [0, 0], iter(arrays)
        out = []
        for g, k, shape in zip(group, kinds, shapes, strict=True):
            if g < 0:
                out.append(next(it_a))
            else:
                size = math.prod(shape)
                out.append(vecs[g][pos[g] : pos[g] + size].reshape(shape).astype(k))
                pos[g] += size
        return jax.tree.unflatten(treedef, out)

    carry = jax.lax.while_loop(
        lambda c: cond(unpack(c)), lambda c: pack(body(unpack(c))), pack(init)
    )
    return unpack(carry)
