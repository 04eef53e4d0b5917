"""Dtype helpers for optimizers whose state holds tree-wide scalars.

``optax.tree.dtype(tree, "lowest")`` raises when a tree mixes ``bfloat16`` and
``float16`` leaves, because neither converts to the other without loss. Both fit
in ``float32``, so :func:`tree_dtype` answers ``float32`` for such a pair instead.
"""

from __future__ import annotations

from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["tree_dtype"]


def _pick(a: np.dtype, b: np.dtype, mode: str) -> np.dtype:
    if a == b:
        return a
    if mode == "highest":
        return np.dtype(jnp.promote_types(a, b))
    # "lowest": the dtype both safely cast to; an incomparable pair (bf16, f16) -> float32.
    if jnp.promote_types(a, b) == b:
        return a
    if jnp.promote_types(a, b) == a:
        return b
    return np.dtype(jnp.promote_types(a, b))


def tree_dtype(tree: Any, mode: Literal["lowest", "highest"] = "lowest") -> Any:
    """The lowest (or highest) dtype among ``tree``'s array leaves.

    Like ``optax.tree.dtype``, but a tree that mixes ``bfloat16`` and ``float16``
    gives ``float32`` for ``"lowest"`` instead of raising. An empty tree gives
    JAX's default float dtype.
    """
    dtypes = [np.dtype(jnp.asarray(x).dtype) for x in jax.tree.leaves(tree)]
    if not dtypes:
        return jnp.zeros(()).dtype
    out = dtypes[0]
    for d in dtypes[1:]:
        out = _pick(out, d, mode)
    return out
