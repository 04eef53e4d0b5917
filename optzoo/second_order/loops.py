"""Loop helpers for the compiled solvers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["packed_while_loop", "solver_jit"]

# XLA's CPU compiler turns each fusion into a kernel through its MLIR fusion emitters by
# default. A solver's loops are mostly scalar bookkeeping that XLA splits into dozens of
# small fusions, and there the emitters' fixed cost per kernel dominates: with the older
# elemental emitter the same program compiles about twice as fast (BFGS on Rosenbrock:
# 1.0-1.1 s -> 0.4-0.5 s on a 2-core Xeon) and runs as fast (docs/second_order.md).
# Only the solvers' own compilations get the option; nothing global changes.
CPU_SOLVER_COMPILER_OPTIONS = {"xla_cpu_use_fusion_emitters": False}


def solver_jit(fun: Callable | None = None, *, static_argnames: tuple[str, ...] = ()) -> Any:
    """``jax.jit`` for a solver's entry point, compiled with
    :data:`CPU_SOLVER_COMPILER_OPTIONS` when the default backend is the CPU.

    Called under a transformation (the user's ``jit``, ``vmap``, ``grad``) the plain
    ``jit`` is used: inside a ``jit`` the solver is part of the caller's program, which XLA
    compiles with the caller's options.
    """
    if fun is None:
        return functools.partial(solver_jit, static_argnames=static_argnames)
    plain = jax.jit(fun, static_argnames=static_argnames)
    cpu = jax.jit(
        fun, static_argnames=static_argnames, compiler_options=CPU_SOLVER_COMPILER_OPTIONS
    )

    @functools.wraps(fun)
    def call(*args: Any, **kwargs: Any) -> Any:
        top = _top_level() and jax.default_backend() == "cpu"
        return (cpu if top else plain)(*args, **kwargs)

    call.jit, call.cpu_jit = plain, cpu  # type: ignore[attr-defined]
    return call


def _top_level() -> bool:
    """Whether no transformation is tracing now (JAX accepts compiler options only on a
    ``jit`` called at the top level); ``False`` when JAX's internals moved."""
    try:
        from jax._src import core

        return bool(core.trace_state_clean())
    except (ImportError, AttributeError):  # pragma: no cover - a future JAX
        return False


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
