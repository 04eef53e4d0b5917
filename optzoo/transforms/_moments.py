"""Running-moment helpers shared by the adaptive building blocks (Adam and RMSProp families).

Tree maps that keep ``None`` leaves, exponential moving averages, bias correction,
dtype casts and beta checks; :func:`_optax_state` finds optax's unexported state classes.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from optzoo.core.validation import check_decay

__all__: list[str] = []


def _optax_state(name: str, fields: tuple[str, ...]) -> type:
    """optax's (unexported) state class ``name``; an equal NamedTuple if it moved."""
    try:
        cls = getattr(importlib.import_module("optax._src.transform"), name)
        if tuple(cls._fields) == fields:
            return cls
    except (ImportError, AttributeError):
        pass
    return NamedTuple(name, [(f, Any) for f in fields])  # type: ignore[misc,return-value]


def _is_none(x: Any) -> bool:
    return x is None


def _map(fn: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    """``jax.tree.map`` that keeps ``None`` leaves of ``tree`` (e.g. frozen parameters)."""
    return jax.tree.map(
        lambda x, *r: None if x is None else fn(x, *r), tree, *rest, is_leaf=_is_none
    )


def _square(g: jax.Array) -> jax.Array:
    """:math:`|g|^2`, real for complex ``g``."""
    return g**2 if jnp.isrealobj(g) else (g.conj() * g).real


def _ema(new: Any, old: Any, decay: jax.typing.ArrayLike) -> Any:
    """Exponential moving average :math:`(1-\\beta) x + \\beta m`, leaf by leaf."""
    return _map(lambda x, m: (1 - decay) * x + decay * m, new, old)


@functools.partial(jax.jit, inline=True)
def _debias(moment: Any, decay: jax.typing.ArrayLike, count: jax.Array) -> Any:
    """Divides by :math:`1 - \\beta^t`; the factor is formed in fp32 then cast to the leaf.

    Jit-inlined like ``optax.tree.bias_correction``: in eager mode ``count`` stays an argument
    (one compilation, not one ``integer_pow`` per step) and the bits match optax's.
    """
    correction = 1 - decay**count
    return _map(lambda m: m / correction.astype(m.dtype), moment)


def _canonical_dtype(dtype: jax.typing.DTypeLike | None) -> Any:
    return None if dtype is None else jax.dtypes.canonicalize_dtype(dtype)


def _cast(tree: Any, dtype: Any) -> Any:
    return tree if dtype is None else _map(lambda x: x.astype(dtype), tree)


def _value(x, count):
    return x(count) if callable(x) else x


def _check_betas(**betas) -> None:
    for name, value in betas.items():
        check_decay(name, value)


def _map_unzip(fn: Callable[..., Any], n: int, tree: Any, *rest: Any) -> tuple[Any, ...]:
    """``jax.tree.map(fn, tree, *rest)`` for an ``fn`` that returns ``n`` values a leaf: the
    ``n`` trees (of ``tree``'s structure) of its first, second, ... values."""
    out = jax.tree.map(fn, tree, *rest)
    return tuple(jax.tree.map(lambda _, o, i=i: o[i], tree, out) for i in range(n))


def _count_and_zeros(state: Callable[..., Any], n: int) -> Callable[[Any], Any]:
    """The ``init_fn`` of a ``state`` made of a step count (an int32 zero) and ``n`` trees
    of zeros shaped like the parameters."""
    from optax import tree as optax_tree

    def init_fn(params: Any) -> Any:
        zeros = (optax_tree.zeros_like(params) for _ in range(n))
        return state(jnp.zeros([], jnp.int32), *zeros)

    return init_fn


def _zeros_state(state_cls: Any, params: Any, **fields: Any) -> Any:
    """``state_cls`` with ``count`` 0 (int32) and every other field a tree of zeros like
    ``params``, except the ``fields`` given."""
    import optax

    for name in state_cls._fields:
        if name not in fields:
            fields[name] = (
                jnp.zeros([], jnp.int32) if name == "count" else optax.tree.zeros_like(params)
            )
    return state_cls(**fields)
