"""Dtype helpers for optimizers whose state holds tree-wide scalars.

``optax.tree.dtype(tree, "lowest")`` fails with a terse message when a tree mixes
``bfloat16`` and ``float16`` leaves (neither converts to the other without loss).
:func:`tree_dtype` names the two leaves instead, and its ``"highest"`` mode
promotes such a pair to ``float32``.
"""

from __future__ import annotations

from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["tree_dtype"]


def tree_dtype(tree: Any, mode: Literal["lowest", "highest"] = "lowest") -> Any:
    """The lowest (or highest) dtype among ``tree``'s array leaves.

    Like ``optax.tree.dtype``. ``"lowest"`` is the dtype every leaf casts to safely
    (the precision of a tree-wide scalar such as a step-size estimate): for a tree
    that mixes ``bfloat16`` and ``float16`` there is none, and a ValueError names
    one leaf of each. ``"highest"`` promotes (``bfloat16`` with ``float16`` gives
    ``float32``). An empty tree gives JAX's default float dtype.
    """
    flat, _ = jax.tree_util.tree_flatten_with_path(tree)
    if not flat:
        return jnp.zeros(()).dtype
    out_path, out = flat[0][0], np.dtype(jnp.asarray(flat[0][1]).dtype)
    for path, leaf in flat[1:]:
        d = np.dtype(jnp.asarray(leaf).dtype)
        if d == out:
            continue
        wider = np.dtype(jnp.promote_types(out, d))
        if mode == "highest":
            out, out_path = wider, path
        elif wider == out:
            out, out_path = d, path
        elif wider != d:
            raise ValueError(
                f"the tree mixes {out} (at {jax.tree_util.keystr(out_path)}) and {d} "
                f"(at {jax.tree_util.keystr(path)}); this optimizer keeps tree-wide scalars "
                "in the lowest leaf precision and needs one half-precision format: cast one "
                "of them, or wrap the optimizer in optzoo.upcast(...)"
            )
    return out
