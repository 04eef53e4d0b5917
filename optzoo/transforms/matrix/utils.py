r"""Shared machinery of the matrix preconditioners: reshape rules, blocking and batching.

Every matrix method in optzoo (Muon, Scion, Shampoo, SOAP, PSGD-Kron) sees each
parameter leaf as a stack of matrices ``(b, m, n)``:

* rank 0 and 1 leaves are not matrices (each method documents its fallback);
* a rank-2 leaf ``(m, n)`` is one matrix (``b = 1``);
* a rank ``k > 2`` leaf follows ``higher_rank``:

  - ``"flatten"`` (default): ``(d_1, ..., d_{k-1}, d_k) -> (d_1 \cdots d_{k-1}, d_k)``,
    i.e. every axis but the last is a fan-in axis (a conv kernel ``HWIO`` becomes
    ``(H W I, O)``, the JAX analogue of Keller Jordan's ``g.view(len(g), -1)``);
  - ``"batch"``: the leading ``k-2`` axes are independent matrices (stacked layers
    of a scanned model): ``(d_1 \cdots d_{k-2}, d_{k-1}, d_k)``.

Matrices of the same shape and dtype across the whole tree are concatenated and
processed by one ``jax.vmap`` call, so the traced program grows with the number
of distinct shapes, not with the number of leaves.
"""

from __future__ import annotations

import ctypes
import math
import os
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from optzoo.core.validation import check_positive_int, check_range

__all__: list[str] = []


HIGHER_RANK_RULES = ("flatten", "batch")


# Set once the CPU LAPACK library's own thread count was pinned (see cpu_lapack_guard).
_LAPACK_GUARD: dict[str, Any] = {"done": False, "libs": []}


_SET_THREADS = (
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)


def _jaxlib_openblas_paths() -> list[str]:
    """Paths of the OpenBLAS builds mapped into this process, except NumPy's private copy.

    jaxlib's CPU LAPACK kernels call the LAPACK that ``scipy.linalg.cython_lapack``
    exports; with pip wheels that is ``scipy.libs/libscipy_openblas*.so`` (NumPy ships
    its own, separate ``numpy.libs`` copy, which XLA never calls).
    """
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:  # not Linux: nothing to pin
        return []
    return sorted(p for p in paths if p.startswith("/") and "numpy.libs" not in p)


def cpu_lapack_guard() -> list[str]:
    """Pins the OpenBLAS that XLA:CPU's LAPACK custom calls use to one thread, once.

    Why: jaxlib 0.10's CPU kernels for batched ``eigh``/``qr``/``cholesky`` split the
    batch over XLA's intra-op thread pool, and XLA runs independent custom calls
    concurrently. Several XLA threads then enter a *multi-threaded* OpenBLAS at once;
    OpenBLAS's pthread server (0.3.30 here) stalls in ``exec_blas_async_wait`` and the
    step never finishes (or runs 30x slower). With OpenBLAS at one thread per call,
    the parallelism comes from XLA alone. (The other half of the fix, against the
    pool running out of threads, is :func:`per_matrix`.) Called at trace time by the
    matrix preconditioners when the default backend is CPU. Side effect: SciPy's
    ``scipy.linalg`` in this process (and NumPy, if it shares a system OpenBLAS with
    SciPy) then runs single-threaded; set the environment variable
    ``OPTZOO_KEEP_LAPACK_THREADS=1`` to leave OpenBLAS alone.

    Returns:
      The library paths whose thread count was set (empty when nothing was done).
    """
    if _LAPACK_GUARD["done"]:
        return list(_LAPACK_GUARD["libs"])
    _LAPACK_GUARD["done"] = True
    if os.environ.get("OPTZOO_KEEP_LAPACK_THREADS", "") not in ("", "0"):
        return []
    try:
        import scipy.linalg.cython_lapack  # noqa: F401  - the LAPACK jaxlib binds to
    except ImportError:
        pass
    done = []
    for path in _jaxlib_openblas_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _SET_THREADS:
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.argtypes = [ctypes.c_int]
                fn.restype = None
                fn(1)
                done.append(path)
                break
    _LAPACK_GUARD["libs"] = done
    return list(done)


def guard_cpu_lapack() -> None:
    """Applies :func:`cpu_lapack_guard` when the default backend is CPU."""
    if not _LAPACK_GUARD["done"] and jax.default_backend() == "cpu":
        cpu_lapack_guard()


def check_higher_rank(rule: str, allowed: Sequence[str] = HIGHER_RANK_RULES) -> None:
    if rule not in allowed:
        raise ValueError(f"higher_rank must be one of {tuple(allowed)}, got {rule!r}")


def check_count(name: str, value: Any) -> None:
    """Rejects a concrete count (a step period, a dimension) below 1, naming ``name``.

    Python and NumPy integers must be positive integers; other concrete numbers
    (e.g. an array from ``inject_hyperparams``) must be at least 1; traced values pass.
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        check_positive_int(name, value)
    else:
        check_range(name, value, 1.0)


def matrix_shape(shape: tuple[int, ...], rule: str) -> tuple[int, int, int]:
    """The ``(b, m, n)`` view of a leaf of rank >= 2 under ``rule``."""
    if len(shape) < 2:
        raise ValueError(f"not a matrix: shape {shape}")
    if len(shape) == 2:
        return 1, shape[0], shape[1]
    if rule == "flatten":
        return 1, math.prod(shape[:-1]), shape[-1]
    if rule == "batch":
        return math.prod(shape[:-2]), shape[-2], shape[-1]
    raise ValueError(f"unknown higher_rank rule {rule!r}")


def to_matrices(x: jax.Array, rule: str) -> jax.Array:
    return x.reshape(matrix_shape(x.shape, rule))


def from_matrices(x: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    return x.reshape(shape)


def check_mesh(mesh: Any) -> None:
    """Validates ``block_mesh``: ``None`` or a one-axis ``jax.sharding.Mesh`` of Auto type.

    The stacks are sharded by ``with_sharding_constraint`` (GSPMD); an Explicit axis
    would need explicit shardings for the per-matrix CPU LAPACK loop, which scans the
    stack axis, so it is refused.
    """
    if mesh is None:
        return
    if not isinstance(mesh, jax.sharding.Mesh) or len(mesh.axis_names) != 1:
        raise ValueError(f"block_mesh must be None or a 1-D jax.sharding.Mesh, got {mesh!r}")
    if mesh.axis_types[0] != jax.sharding.AxisType.Auto:
        raise ValueError(
            "block_mesh needs an Auto axis: jax.make_mesh(..., "
            f"axis_types=(jax.sharding.AxisType.Auto,)), got {mesh.axis_types}"
        )


def _shard_blocks(tree: Any, mesh: Any) -> Any:
    """Shards the leading (block) axis of every leaf over the 1-D ``mesh`` when it divides."""
    if mesh is None:
        return tree
    spec = jax.sharding.PartitionSpec(mesh.axis_names[0])
    sharding = jax.sharding.NamedSharding(mesh, spec)

    def one(x: Any) -> Any:
        if jnp.ndim(x) == 0 or x.shape[0] % mesh.size:
            return x
        return jax.lax.with_sharding_constraint(x, sharding)

    return jax.tree.map(one, tree)


def batched_apply(
    fn: Callable[..., Any], stacks: Sequence[Sequence[jax.Array]], mesh: Any = None
) -> list[Any]:
    """Applies ``fn`` to matrices, one ``vmap`` per distinct shape signature.

    Args:
      fn: maps per-matrix arrays ``(a_1, ..., a_r)`` to a pytree of arrays.
      stacks: for each item, a tuple of ``r`` arrays of shape ``(b_i, ...)``; the
        ``b_i`` leading entries of every item are independent matrices.
      mesh: optional 1-D ``jax.sharding.Mesh``. Each same-shape stack whose length is
        a multiple of the mesh size is sharded along the stack axis (inputs and
        outputs, by ``with_sharding_constraint``), so every device computes its share
        of the matrices, as in Distributed Shampoo. Other stacks stay as they are.

    Returns:
      For each item, ``fn``'s output with a leading axis of size ``b_i``.
    """
    groups: dict[Any, list[int]] = {}
    for i, arrays in enumerate(stacks):
        key = tuple((a.shape[1:], a.dtype) for a in arrays)
        groups.setdefault(key, []).append(i)
    out: list[Any] = [None] * len(stacks)

    def vfn(*xs: Any) -> Any:
        return _shard_blocks(jax.vmap(fn)(*_shard_blocks(xs, mesh)), mesh)

    for idx in groups.values():
        if len(idx) == 1:
            out[idx[0]] = vfn(*stacks[idx[0]])
            continue
        sizes = [stacks[i][0].shape[0] for i in idx]
        cat = [
            jnp.concatenate([stacks[i][j] for i in idx], axis=0) for j in range(len(stacks[idx[0]]))
        ]
        res = vfn(*cat)
        offsets = [0]
        for s in sizes:
            offsets.append(offsets[-1] + s)
        for k, i in enumerate(idx):
            lo, hi = offsets[k], offsets[k + 1]
            out[i] = jax.tree.map(lambda r, lo=lo, hi=hi: r[lo:hi], res)
    return out


def per_matrix(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps a LAPACK-backed per-matrix function so that, under ``vmap`` on CPU, it loops.

    ``vmap`` of ``jnp.linalg.eigh``/``qr``/``solve_triangular`` gives one batched custom
    call. On XLA:CPU (jaxlib 0.10) such a call splits its batch over the intra-op
    thread pool and blocks until the pieces are done; XLA also runs independent custom
    calls concurrently. When as many batched LAPACK calls run at once as the pool has
    threads (2 on a 2-core machine) every pool thread waits for work that only a pool
    thread could do: a deadlock. Here a batched call becomes ``lax.map`` of
    single-matrix calls on CPU (a batch of one is not split), and stays one batched
    call on other platforms. The numbers are unchanged: LAPACK sees the same matrices.

    Args:
      fn: maps per-matrix arrays (same leading batch under ``vmap``) to a pytree.

    Returns:
      ``fn`` with the CPU-safe batching rule.
    """

    @jax.custom_batching.custom_vmap
    def one(*xs: Any) -> Any:
        return fn(*xs)

    @one.def_vmap
    def _rule(axis_size: int, in_batched: Sequence[bool], *xs: Any) -> Any:
        if not any(in_batched):
            out = one(*xs)
            return out, jax.tree.map(lambda _: False, out)
        xs = tuple(
            x if b else jnp.broadcast_to(x, (axis_size, *jnp.shape(x)))
            for x, b in zip(xs, in_batched, strict=True)
        )
        out = jax.lax.platform_dependent(
            *xs,
            cpu=lambda *a: jax.lax.map(lambda t: one(*t), a),
            default=jax.vmap(fn),
        )
        return out, jax.tree.map(lambda _: True, out)

    return one


eigh = per_matrix(jnp.linalg.eigh)


qr_q = per_matrix(lambda a: jnp.linalg.qr(a)[0])


solve_upper_t = per_matrix(lambda a, b: jax.scipy.linalg.solve_triangular(a, b, trans="T"))


def block_slices(m: int, n: int, block: int) -> list[tuple[slice, slice, int, int]]:
    """Row/column slices of the tiling of an ``(m, n)`` matrix by ``block x block`` tiles.

    Full tiles come first; the right and bottom edges give smaller tiles. Returns
    ``(rows, cols, n_row_tiles, n_col_tiles)`` regions; each region is a grid of
    equal-shape tiles.
    """
    mb, nb = (m // block) * block, (n // block) * block
    regions = []
    for rows, rcount, rsize in ((slice(0, mb), m // block, block), (slice(mb, m), 1, m - mb)):
        for cols, ccount, csize in ((slice(0, nb), n // block, block), (slice(nb, n), 1, n - nb)):
            if rsize and csize and rcount and ccount:
                regions.append((rows, cols, rcount, ccount))
    return regions


def split_blocks(x: jax.Array, block: int) -> list[jax.Array]:
    """Splits a stack ``(b, m, n)`` into tiles: a list of ``(b * tiles, r, c)`` stacks."""
    b, m, n = x.shape
    out = []
    for rows, cols, rc, cc in block_slices(m, n, block):
        sub = x[:, rows, cols]
        r, c = sub.shape[1] // rc, sub.shape[2] // cc
        sub = sub.reshape(b, rc, r, cc, c).transpose(0, 1, 3, 2, 4).reshape(b * rc * cc, r, c)
        out.append(sub)
    return out


def merge_blocks(tiles: Sequence[jax.Array], shape: tuple[int, int, int], block: int) -> jax.Array:
    """Inverse of :func:`split_blocks`."""
    b, m, n = shape
    regions = block_slices(m, n, block)
    rows_parts: dict[int, list[jax.Array]] = {}
    for (rows, _, rc, cc), t in zip(regions, tiles, strict=True):
        r, c = t.shape[1], t.shape[2]
        sub = t.reshape(b, rc, cc, r, c).transpose(0, 1, 3, 2, 4).reshape(b, rc * r, cc * c)
        rows_parts.setdefault(rows.start, []).append(sub)
    row_blocks = [jnp.concatenate(p, axis=2) for _, p in sorted(rows_parts.items())]
    return jnp.concatenate(row_blocks, axis=1)


def _explicit_sharding(x: Any) -> Any:
    """The sharding of ``x`` when it is sharded over an explicit mesh axis, else None."""
    try:
        s = jax.typeof(x).sharding
    except Exception:  # noqa: BLE001 - not an array
        return None
    mesh = getattr(s, "mesh", None)
    if mesh is None or getattr(mesh, "empty", True):
        return None
    if not any(t == jax.sharding.AxisType.Explicit for t in getattr(mesh, "axis_types", ())):
        return None
    if all(p is None for p in getattr(s, "spec", ())):
        return None
    return s


def unshard_tree(tree: Any) -> Any:
    """Replicates leaves sharded over explicit mesh axes (sharding-in-types mode).

    The matrix methods reshape, tile and stack leaves; under explicit sharding each
    such op would need an output sharding. They work on replicated copies instead and
    :func:`reshard_like` restores the caller's shardings. Leaves under automatic
    (GSPMD) sharding are left alone: XLA partitions the matrix code itself.
    """

    def one(x: Any) -> Any:
        s = _explicit_sharding(x)
        if s is None:
            return x
        return jax.sharding.reshard(
            x, jax.sharding.NamedSharding(s.mesh, jax.sharding.PartitionSpec())
        )

    return jax.tree.map(one, tree)


def reshard_like(tree: Any, like: Any) -> Any:
    """Gives each leaf of ``tree`` the explicit sharding of the matching leaf of ``like``."""

    def one(x: Any, ref: Any) -> Any:
        s = _explicit_sharding(ref)
        if s is None or jnp.shape(x) != jnp.shape(ref):
            return x
        return jax.sharding.reshard(x, s)

    return jax.tree.map(one, tree, like)


def unshard_update(updates: Any, state: Any) -> tuple[Any, Any, Callable[[Any, Any], Any]]:
    """The frame of an ``update_fn`` on stacked matrices that calls LAPACK (Shampoo, SOAP,
    PSGD): :func:`guard_cpu_lapack`, then ``updates`` and ``state`` replicated by
    :func:`unshard_tree`, with ``restore(new_updates, new_state)`` that gives both the
    caller's shardings back (:func:`reshard_like`)."""
    guard_cpu_lapack()

    def restore(new_updates: Any, new_state: Any) -> tuple[Any, Any]:
        return reshard_like(new_updates, updates), reshard_like(new_state, state)

    return unshard_tree(updates), unshard_tree(state), restore
