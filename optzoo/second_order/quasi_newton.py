r"""Line-search methods on flat vectors for :func:`minimize`: GD, BFGS, L-BFGS, nonlinear CG.

Each ``make_*`` returns ``(init, step)``: ``init(x, f, g) -> aux`` and
``step(x, f, g, aux) -> StepOut``; :mod:`optzoo.second_order.minimize` drives them in a
``lax.while_loop``. The direction updates are also used by the transformation forms
(:mod:`optzoo.second_order.transforms`).

References:
  Nocedal, Wright. Numerical Optimization, 2nd ed., ch. 5-7. 2006.
  https://doi.org/10.1007/978-0-387-40065-5
  Liu, Nocedal. On the limited memory BFGS method for large scale optimization. 1989.
  https://doi.org/10.1007/BF01589116
  Hager, Zhang. A survey of nonlinear conjugate gradient methods. 2006.
  https://people.clas.ufl.edu/hager/files/cg_survey.pdf
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from optzoo.second_order.linesearch import _where, get_line_search, more_thuente, strong_wolfe

__all__ = [
    "StepOut",
    "bfgs_inverse_update",
    "lbfgs_direction",
    "ncg_beta",
    "NCG_VARIANTS",
    "make_gd",
    "make_bfgs",
    "make_lbfgs",
    "make_ncg",
]


class StepOut(NamedTuple):
    """One iteration's outcome: new point, counts, and a flag (0 ok, else a status code)."""

    x: jax.Array
    f: jax.Array
    g: jax.Array
    aux: Any
    nfev: jax.Array
    nhev: jax.Array
    flag: jax.Array
    moved: jax.Array


# XLA CPU runs a loop body's operations one after another on one thread only when
# every buffer they touch is at most 512 bytes (or the body is tiny); otherwise it schedules
# them as a task graph, which costs about half as much again per iteration at n = 10 (see
# docs/second_order.md). The L-BFGS memory and the BFGS matrix are therefore kept in row
# blocks of at most 512 bytes, up to 4 blocks (each extra block adds a few operations to
# every use; more blocks were not measured).
_SMALL_BUFFER_BYTES, _MAX_BLOCKS = 512, 4


def _row_blocks(rows: int, n: int, dtype: Any) -> tuple[int, ...]:
    """Sizes of the row blocks an ``(rows, n)`` memory is kept in: each block at most
    ``_SMALL_BUFFER_BYTES``, or one block when that would take more than ``_MAX_BLOCKS``."""
    per = _SMALL_BUFFER_BYTES // max(n * jnp.dtype(dtype).itemsize, 1)
    if per < 1 or per >= rows or -(-rows // per) > _MAX_BLOCKS:
        return (rows,)
    return (per,) * (rows // per) + ((rows % per,) if rows % per else ())


def _blocks(mem: jax.Array | tuple[jax.Array, ...]) -> tuple[jax.Array, ...]:
    return mem if isinstance(mem, tuple) else (mem,)


def _starts(blocks: Sequence[Any]) -> list[int]:
    """The first row of each block (blocks or their row counts)."""
    sizes = [b if isinstance(b, int) else b.shape[0] for b in blocks]
    return [sum(sizes[:i]) for i in range(len(sizes))]


def _memory(blocks: Sequence[jax.Array]) -> jax.Array | tuple[jax.Array, ...]:
    """A memory from its row blocks: one block is kept as a plain array."""
    return blocks[0] if len(blocks) == 1 else tuple(blocks)


def _get_row(mem: jax.Array | tuple[jax.Array, ...], j: jax.Array) -> jax.Array:
    """Row ``j`` of a memory kept whole or as a tuple of row blocks."""
    if not isinstance(mem, tuple):
        return mem[j]
    starts = _starts(mem)
    row = mem[-1][jnp.clip(j - starts[-1], 0, mem[-1].shape[0] - 1)]
    for b, start, end in reversed(list(zip(mem[:-1], starts[:-1], starts[1:], strict=True))):
        row = jnp.where(j < end, b[jnp.clip(j - start, 0, b.shape[0] - 1)], row)
    return row


def _set_row(mem: Any, j: jax.Array, value: jax.Array, write: jax.Array) -> Any:
    """``mem`` with row ``j`` replaced by ``value`` where ``write`` holds (only the block that
    holds row ``j`` is written)."""
    if not isinstance(mem, tuple):
        return mem.at[j].set(jnp.where(write, value, mem[j]))
    out = []
    for b, start in zip(mem, _starts(mem), strict=True):
        k = jnp.clip(j - start, 0, b.shape[0] - 1)
        mine = write & (j >= start) & (j < start + b.shape[0])
        out.append(b.at[k].set(jnp.where(mine, value, b[k])))
    return tuple(out)


def _matvec(mem: Any, v: jax.Array) -> jax.Array:
    """``mem @ v`` for a matrix kept whole or as a tuple of row blocks."""
    if not isinstance(mem, tuple):
        return mem @ v
    return jnp.concatenate([b @ v for b in mem])


def _eye_blocks(n: int, dtype: Any) -> jax.Array | tuple[jax.Array, ...]:
    """The ``n x n`` identity in :func:`_row_blocks` blocks, each built on its own (slices of
    one identity would leave the whole matrix in the loop as a hoisted constant)."""
    sizes = _row_blocks(n, n, dtype)
    return _memory(
        [jnp.eye(r, n, start, dtype=dtype) for r, start in zip(sizes, _starts(sizes), strict=True)]
    )


def bfgs_inverse_update(h: Any, s: jax.Array, y: jax.Array) -> Any:
    r"""BFGS update of the inverse Hessian (N&W eq. 6.17), skipped when :math:`s^\top y \le 0`.

    :math:`H^+ = (I-\rho s y^\top) H (I-\rho y s^\top) + \rho s s^\top`, :math:`\rho = 1/s^\top y`.
    ``h`` is the matrix or a tuple of its row blocks (see :func:`_row_blocks`); the result
    comes back in the same form.
    """
    blocks = _blocks(h)
    sy = jnp.vdot(s, y)
    ok = sy > jnp.finfo(s.dtype).eps * jnp.vdot(y, y)
    rho = 1.0 / jnp.where(ok, sy, 1.0)
    hy = _matvec(h, y)
    c = rho * rho * jnp.vdot(y, hy) + rho
    out = []
    for b, start in zip(blocks, _starts(blocks), strict=True):
        rows = slice(start, start + b.shape[0])
        new = b - rho * (jnp.outer(s[rows], hy) + jnp.outer(hy[rows], s))
        out.append(jnp.where(ok, new + c * jnp.outer(s[rows], s), b))
    return _memory(out)


def lbfgs_direction(
    g: jax.Array,
    s_mem: jax.Array | tuple[jax.Array, ...],
    y_mem: jax.Array | tuple[jax.Array, ...],
    count: jax.Array,
    rho: jax.Array | None = None,
    gamma: jax.Array | None = None,
    *,
    skip_empty: bool = False,
) -> jax.Array:
    r"""L-BFGS two-loop recursion: returns :math:`H_k g` (N&W Algorithm 7.4).

    ``s_mem``, ``y_mem`` are ``(m, n)`` ring buffers (or tuples of row blocks, see
    :func:`_row_blocks`); slot ``(count - 1) % m`` is the newest; only ``min(count, m)`` slots
    are filled. :math:`H_k^0 = \gamma I` with
    :math:`\gamma = s^\top y / y^\top y` of the newest pair. ``rho`` (each pair's
    :math:`1/s^\top y`) and ``gamma`` may be passed by a caller that keeps them; else they
    are computed from the buffers. Both loops run ``m`` steps with the empty slots masked;
    with ``skip_empty`` they run ``min(count, m)`` steps (the same result, cheaper while the
    memory fills, but a dynamic loop that reverse-mode autodiff cannot go through).
    """
    m = sum(b.shape[0] for b in _blocks(s_mem))
    if rho is None:
        sy = jnp.concatenate(
            [jnp.sum(a * b, -1) for a, b in zip(_blocks(s_mem), _blocks(y_mem), strict=True)]
        )
        rho = 1.0 / jnp.where(sy != 0, sy, 1.0)
    k = jnp.minimum(count, m) if skip_empty else m
    filled = jnp.arange(m) < jnp.minimum(count, m)
    mask = (
        (lambda j, new, old: new)
        if skip_empty
        else (lambda j, new, old: jnp.where(filled[j], new, old))
    )

    def first(i, carry):
        q, alphas = carry
        j = (count - 1 - i) % m  # newest to oldest
        a = mask(j, rho[j] * jnp.vdot(_get_row(s_mem, j), q), 0.0)
        return q - a * _get_row(y_mem, j), alphas.at[j].set(a)

    q, alphas = jax.lax.fori_loop(0, k, first, (g, jnp.zeros((m,), g.dtype)))
    if gamma is None:
        newest = (count - 1) % m
        s_new, y_new = _get_row(s_mem, newest), _get_row(y_mem, newest)
        yy = jnp.vdot(y_new, y_new)
        gamma = jnp.where(
            (count > 0) & (yy > 0),
            jnp.vdot(s_new, y_new) / jnp.where(yy > 0, yy, 1.0),
            1.0,
        )
    r = gamma * q

    def second(i, r):
        j = (count - k + i) % m  # oldest to newest
        b = rho[j] * jnp.vdot(_get_row(y_mem, j), r)
        return mask(j, r + (alphas[j] - b) * _get_row(s_mem, j), r)

    return jax.lax.fori_loop(0, k, second, r)


NCG_VARIANTS = ("pr+", "fr", "hs", "dy")


def ncg_beta(variant: str, g_new: jax.Array, g_old: jax.Array, d_old: jax.Array) -> jax.Array:
    r"""Nonlinear CG coefficient :math:`\beta`; :math:`y = g_{k+1} - g_k`.

    PR+: :math:`\max(0, g_{k+1}^\top y / g_k^\top g_k)`; FR: :math:`\|g_{k+1}\|^2/\|g_k\|^2`;
    HS: :math:`g_{k+1}^\top y / d_k^\top y`; DY: :math:`\|g_{k+1}\|^2 / d_k^\top y`.
    """
    y = g_new - g_old
    safe = lambda v: jnp.where(v != 0, v, 1.0)
    gg = jnp.vdot(g_old, g_old)
    dy = jnp.vdot(d_old, y)
    if variant == "pr+":
        beta = jnp.maximum(jnp.vdot(g_new, y) / safe(gg), 0.0)
    elif variant == "fr":
        beta = jnp.vdot(g_new, g_new) / safe(gg)
    elif variant == "hs":
        beta = jnp.vdot(g_new, y) / safe(dy)
    elif variant == "dy":
        beta = jnp.vdot(g_new, g_new) / safe(dy)
    else:
        raise ValueError(f"unknown nonlinear CG variant {variant!r}; choose from {NCG_VARIANTS}")
    return jnp.where(jnp.isfinite(beta), beta, 0.0)


class _LSAux(NamedTuple):
    f_prev: jax.Array  # previous value, for the initial step guess
    fresh: jax.Array  # the next direction is steepest descent (memory was just reset)
    mem: Any  # method memory (H, (S, Y, count), previous direction ...)


def _search(opts: dict) -> Callable[..., Any]:
    ls = get_line_search(opts.get("linesearch", "more-thuente"))
    kw: dict[str, Any] = {"max_steps": opts.get("max_linesearch_steps", 30)}
    keys = (
        ("c1", "c2", "xtol") if ls is more_thuente else ("c1", "c2") if ls is strong_wolfe else ()
    )
    kw.update({k: opts[k] for k in keys if k in opts})
    return lambda *a, **more: ls(*a, **kw, **more)


def _guess(f, f_prev, slope, cap):
    """N&W eq. 3.60 initial step: min(cap, 1.01 * 2 (f - f_prev) / slope)."""
    a = 1.01 * 2.0 * (f - f_prev) / jnp.where(slope < 0, slope, -1.0)
    return jnp.where(jnp.isfinite(a) & (a > 0), jnp.minimum(a, cap), cap)


# Line-search defaults that reproduce scipy: BFGS / CG use line_search_wolfe1 (MINPACK-2
# dcsrch) from the N&W eq. 3.60 guess; L-BFGS-B uses dcsrch with ftol=1e-3, xtol=0.1, a first
# step of 1 / ||g|| and unit steps after, at most maxls = 20 trials per search.
_SCIPY_WOLFE = {"linesearch": "more-thuente", "c1": 1e-4, "c2": 0.9, "xtol": 1e-14,
                "initial_step": "interp"}  # fmt: skip
_LBFGSB_SEARCH = {"linesearch": "more-thuente", "c1": 1e-3, "c2": 0.9, "xtol": 0.1,
                  "initial_step": "unit", "first_step": "inverse_norm",
                  "max_linesearch_steps": 20}  # fmt: skip


def _make_line_search_method(
    vg: Callable,
    opts: dict,
    direction: Callable,
    update_mem: Callable,
    mem0: Callable,
    defaults: dict,
):
    opts = {**defaults, **opts}
    search = _search(opts)

    def first_f_prev(f, g):  # as scipy: the first guess (eq. 3.60) is 1.01 / |g|
        return f + jnp.linalg.norm(g) / 2

    def init(x, f, g):
        return _LSAux(first_f_prev(f, g), jnp.asarray(True), mem0(x, g))

    def step(x, f, g, aux: _LSAux, start: jax.Array | bool = False) -> StepOut:
        """One iteration; where ``start`` holds (only with the Moré-Thuente search, see
        ``evaluates_start``), ``f`` and ``g`` are placeholders (``g = 0``) and the iteration
        only evaluates ``f`` and its gradient at ``x``, through the search."""
        d = direction(g, aux.mem)
        slope = jnp.vdot(g, d)
        # A finite slope means a finite d (g is finite here): no reduction over d needed.
        bad = ~(slope < 0) | ~jnp.isfinite(slope)
        d = jnp.where(bad, -g, d)
        slope = jnp.where(bad, -jnp.vdot(g, g), slope)
        steepest = aux.fresh | bad
        a0 = _guess(f, aux.f_prev, slope, 1.0)
        if opts.get("first_step") == "inverse_norm":  # L-BFGS-B's first step 1 / ||d||
            a0 = jnp.where(steepest, 1.0 / jnp.linalg.norm(d), a0)
        if opts["initial_step"] == "unit":
            a0 = jnp.where(steepest, a0, 1.0)
        if start is False:
            res = search(vg, x, f, g, d, a0)
        else:  # g = 0 made d = -0.0, so x + 0 * d is x exactly
            res = search(vg, x, f, g, d, jnp.where(start, 0.0, a0), start=start)
        moved = res.step > 0
        x_new = x + res.step * d
        # The update also resets the memory when the search did not move.
        mem = update_mem(aux.mem, x_new - x, res.grad - g, d, g, res.grad, moved)
        # A failed search from a quasi-Newton direction resets the memory and retries
        # next iteration; a failed steepest-descent search ends the run.
        flag = jnp.where(moved | ~steepest, 0, 2)
        f_prev = jnp.where(moved, f, aux.f_prev)
        if start is not False:
            flag = jnp.where(start, 0, flag)
            f_prev = jnp.where(start, first_f_prev(res.value, res.grad), f_prev)
        aux = _LSAux(f_prev, ~moved, mem)
        return StepOut(x_new, res.value, res.grad, aux, res.nfev, jnp.asarray(0), flag, moved)

    # The Moré-Thuente search can evaluate the start itself (its ``start``): the solver's
    # program then holds two copies of the objective and its gradient instead of three.
    step.evaluates_start = opts["linesearch"] == "more-thuente"  # type: ignore[attr-defined]
    return init, step


def make_gd(vg: Callable, opts: dict):
    """Gradient descent with a line search (default strong Wolfe)."""
    return _make_line_search_method(
        vg, opts,
        direction=lambda g, mem: -g,
        update_mem=lambda mem, s, y, d, g0, g1, moved: mem,
        mem0=lambda x, g: jnp.zeros((), x.dtype),
        defaults=_SCIPY_WOLFE,
    )  # fmt: skip


def make_bfgs(vg: Callable, opts: dict):
    """Dense BFGS from :math:`H_0 = I` (as scipy); with ``scale_init`` :math:`H_0` is rescaled by
    :math:`s^\\top y / y^\\top y` before the first update (N&W eq. 6.20)."""
    scale_init = bool(opts.get("scale_init", False))

    def update(mem, s, y):
        h, count = mem
        if not scale_init:
            return bfgs_inverse_update(h, s, y), count + 1
        yy = jnp.vdot(y, y)
        scale = jnp.where(yy > 0, jnp.vdot(s, y) / jnp.where(yy > 0, yy, 1.0), 1.0)
        h = jax.tree.map(lambda b: jnp.where((count == 0) & (scale > 0), scale * b, b), h)
        return bfgs_inverse_update(h, s, y), count + 1

    return _make_line_search_method(
        vg, opts,
        direction=lambda g, mem: -_matvec(mem[0], g),
        update_mem=lambda mem, s, y, d, g0, g1, moved: _where(
            moved, update(mem, s, y), (_eye_blocks(s.size, s.dtype), 0 * mem[1])
        ),
        mem0=lambda x, g: (_eye_blocks(x.size, x.dtype), jnp.asarray(0)),
        defaults=_SCIPY_WOLFE,
    )  # fmt: skip


# The L-BFGS pieces that do not depend on the objective have their own ``jit``: their traces
# are made once per shape and reused by every solver compiled after (a compile per problem
# then traces and lowers only what is new).
_lbfgs_direction = jax.jit(lbfgs_direction, static_argnames=("skip_empty",))


@jax.jit
def _lbfgs_update(mem: tuple, s: jax.Array, y: jax.Array, moved: jax.Array) -> tuple:
    """L-BFGS memory with the pair ``(s, y)``: written into its slot (the slot alone, no copy
    of the buffers) when the search moved and ``s^T y > eps y^T y``. The memory keeps each
    pair's ``1/s^T y`` and the newest pair's ``gamma = s^T y / y^T y``, so the two-loop
    recursion does not recompute them; a search that did not move empties it by its count
    (the direction reads filled slots only)."""
    s_mem, y_mem, count, rho, gamma = mem
    m = rho.shape[0]
    sy, yy = jnp.vdot(s, y), jnp.vdot(y, y)
    ok = moved & (sy > jnp.finfo(s.dtype).eps * yy)
    slot = count % m
    return (
        _set_row(s_mem, slot, s, ok),
        _set_row(y_mem, slot, y, ok),
        jnp.where(moved, jnp.where(ok, count + 1, count), 0),
        rho.at[slot].set(jnp.where(ok, 1.0 / jnp.where(ok, sy, 1.0), rho[slot])),
        jnp.where(moved, jnp.where(ok, sy / jnp.where(ok, yy, 1.0), gamma), 1.0),
    )


def make_lbfgs(vg: Callable, opts: dict):
    """L-BFGS with ``memory_size`` pairs (default 10, as scipy's L-BFGS-B)."""
    m = int(opts.get("memory_size", 10))

    def mem0(x, g):
        z = _memory([jnp.zeros((r, x.size), x.dtype) for r in _row_blocks(m, x.size, x.dtype)])
        return z, z, jnp.asarray(0), jnp.ones((m,), x.dtype), jnp.ones((), x.dtype)

    return _make_line_search_method(
        vg, opts,
        direction=lambda g, mem: -_lbfgs_direction(g, *mem, skip_empty=True),
        update_mem=lambda mem, s, y, d, g0, g1, moved: _lbfgs_update(mem, s, y, moved),
        mem0=mem0,
        defaults=_LBFGSB_SEARCH,
    )  # fmt: skip


def make_ncg(vg: Callable, opts: dict):
    """Nonlinear CG (``variant``: ``"pr+"``, ``"fr"``, ``"hs"``, ``"dy"``), Wolfe ``c2=0.4``."""
    variant = opts.get("variant", "pr+")
    if variant not in NCG_VARIANTS:
        raise ValueError(f"unknown nonlinear CG variant {variant!r}; choose from {NCG_VARIANTS}")

    def direction(g, mem):
        d_old, g_old, valid = mem
        beta = jnp.where(valid, ncg_beta(variant, g, g_old, d_old), 0.0)
        return -g + beta * d_old

    return _make_line_search_method(
        vg, opts,
        direction=direction,
        update_mem=lambda mem, s, y, d, g0, g1, moved: (d, g0, moved),
        mem0=lambda x, g: (jnp.zeros_like(x), jnp.zeros_like(g), jnp.asarray(False)),
        defaults={**_SCIPY_WOLFE, "c2": 0.4},
    )  # fmt: skip
