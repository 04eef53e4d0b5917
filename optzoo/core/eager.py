"""Helpers that keep un-jitted (eager) optimizer steps from compiling anew every step.

Outside ``jit`` JAX runs each operation on concrete arrays and compiles one small
program per distinct operation. Two patterns in update rules turn that into a
compilation per step:

* ``beta ** count`` with a concrete integer ``count`` becomes ``lax.integer_pow``
  with the exponent baked into the program, so every new step count compiles a new
  one (and rounds differently from ``lax.pow``, which the same line uses under
  ``jit``). :func:`power` keeps the exponent an array argument.
* ``lax.cond`` / ``while_loop`` / ``fori_loop`` whose branch or body is a closure
  created inside ``update`` is traced afresh on every call and compiled again.
  :func:`compile_update` compiles such an ``update`` once per tree structure.

Both are ``jax.jit(..., inline=True)``: inside a user's ``jit`` they are inlined into
the caller's program, so jitted results and compile times do not change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["power", "integer_power", "compile_update"]


@functools.partial(jax.jit, inline=True)
def power(x: jax.typing.ArrayLike, n: jax.typing.ArrayLike) -> jax.Array:
    """``x ** n`` computed by ``lax.pow`` with ``n`` an argument, in eager mode as under jit.

    The same expression as the jit-inlined helpers of optax (``optax.tree.bias_correction``),
    hence the same bits, and a single compilation for all step counts.
    """
    return jnp.power(x, n)


@functools.partial(jax.jit, inline=True)
def _square_and_multiply(x: jax.typing.ArrayLike, n: jax.Array) -> jax.Array:
    # lax.integer_pow(x, n) for a non-negative n, with n an argument: acc picks up
    # x^(2^k) for every set bit k of n, lowest first, and x is squared in between,
    # exactly the products (and hence the roundings) of integer_pow's expansion.
    x = jnp.asarray(x)
    acc = jnp.ones_like(x)
    n = jnp.asarray(n)
    for k in range(jnp.iinfo(n.dtype).bits - 1):
        acc = jnp.where((n >> k) & 1 == 1, acc * x, acc)
        x = x * x
    return acc


def integer_power(x: jax.typing.ArrayLike, n: jax.Array) -> jax.Array:
    """``x ** n`` for a non-negative integer step count ``n``, rounded as the plain expression.

    ``x ** n`` is ``lax.pow`` under ``jit`` but repeated squaring (``lax.integer_pow``) on
    a concrete ``n``; this gives the same bits in both modes without compiling one program
    per value of ``n`` in eager mode. Use it where a reference (optax) writes ``x ** count``
    outside a jit-inlined helper.
    """
    if isinstance(n, jax.core.Tracer):
        return jnp.power(x, n)
    return _square_and_multiply(x, n)


def _split_extra(extra: dict[str, Any]) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    static = tuple(sorted((k, v) for k, v in extra.items() if callable(v)))
    dynamic = {k: v for k, v in extra.items() if not callable(v)}
    return dynamic, static


def compile_update(update_fn: Callable[..., Any]) -> Callable[..., Any]:
    """``update_fn`` compiled once per tree structure, for updates with control flow.

    Callable extra arguments (``value_fn``, ``hvp``) are static: the same function object
    on every step reuses the compiled update, a new one (e.g. a fresh ``lambda`` per step)
    compiles again. Other extra arguments are traced. Under ``jit`` the call is inlined.
    """

    @functools.partial(jax.jit, static_argnames=("static",), inline=True)
    def run(updates: Any, state: Any, params: Any, dynamic: Any, static: Any) -> Any:
        return update_fn(updates, state, params, **dynamic, **dict(static))

    @functools.wraps(update_fn)
    def update(updates: Any, state: Any, params: Any = None, **extra: Any) -> Any:
        dynamic, static = _split_extra(extra)
        try:
            hash(static)
        except TypeError:  # an unhashable callable cannot key the cache: run uncompiled
            return update_fn(updates, state, params, **extra)
        return run(updates, state, params, dynamic, static)

    return update
