"""SPlus: the sign of momentum in the eigenbasis of Shampoo's two side statistics.

Frans, Levine, Abbeel (2025). Rank-2 leaves are whitened; every other leaf (scalars,
vectors, rank >= 3) takes the sign of its momentum, as in the authors' code.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.eager import compile_update
from optzoo.core.validation import check_decay, check_nonnegative, check_positive

__all__ = ["ScaleBySPlusState", "scale_by_splus", "scale_by_splus_shape", "splus_leaf_scale"]


class ScaleBySPlusState(NamedTuple):
    """State of :func:`scale_by_splus`: step count, momentum, the side statistics
    :math:`L, R` and their eigenbases :math:`Q_L, Q_R` (``(0, 0)`` arrays where a leaf has
    no such side)."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    mu: optax.Updates
    left: optax.Updates
    right: optax.Updates
    q_left: optax.Updates
    q_right: optax.Updates


def splus_leaf_scale(
    shape: tuple[int, ...],
    nonstandard_constant: float = 1e-3,
    max_dim: int = 10000,
    shape_constant: float = 2.0,
) -> Any:
    """SPlus's per-leaf step factor: ``shape_constant / (m + n)`` for an ``(m, n)`` matrix
    with both sides at most ``max_dim``, ``nonstandard_constant`` for every other leaf."""
    if len(shape) == 2 and shape[0] <= max_dim and shape[1] <= max_dim:
        return shape_constant / (shape[0] + shape[1])
    return nonstandard_constant


def scale_by_splus_shape(
    shape_constant: float = 2.0,
    nonstandard_constant: float = 1e-3,
    max_dim: int = 10000,
) -> optax.GradientTransformation:
    r"""SPlus's shape-aware step factor (stateless): multiplies each leaf by
    :func:`splus_leaf_scale` of its shape, :math:`c/(m+n)` for an ``(m, n)`` matrix and
    ``nonstandard_constant`` for scalars, vectors, rank >= 3 leaves and matrices with a side
    longer than ``max_dim``.

    Args:
      shape_constant: :math:`c` (the paper: 2; the authors' code computes ``1/(m+n)/2``,
        i.e. 0.5).
      nonstandard_constant: factor of the other leaves.
      max_dim: matrices with a longer side take ``nonstandard_constant``.

    Returns:
      A stateless ``GradientTransformation``.
    """
    check_nonnegative("shape_constant", shape_constant)
    check_nonnegative("nonstandard_constant", nonstandard_constant)

    def update_fn(updates, state, params=None):
        del params
        scaled = jax.tree.map(
            lambda u: (
                u * splus_leaf_scale(u.shape, nonstandard_constant, max_dim, shape_constant)
            ).astype(u.dtype),
            updates,
        )
        return scaled, state

    return optax.GradientTransformation(lambda _: optax.EmptyState(), update_fn)


def _sides(shape: tuple[int, ...], max_dim: int) -> tuple[bool, bool]:
    if len(shape) != 2:
        return False, False
    return shape[0] < max_dim, shape[1] < max_dim


def scale_by_splus(
    b1: float = 0.9,
    b2: float = 0.999,
    inverse_steps: int = 100,
    max_dim: int = 10000,
    eps: float = 1e-30,
) -> optax.GradientTransformation:
    r"""SPlus's direction (before its shape factor, :func:`scale_by_splus_shape`).

    For an ``(m, n)`` matrix leaf:

    .. math::
       M_t = \beta_1 M_{t-1} + (1-\beta_1) G_t,\quad
       L_t = \beta_2 L_{t-1} + (1-\beta_2) G_t G_t^\top,\quad
       R_t = \beta_2 R_{t-1} + (1-\beta_2) G_t^\top G_t,

    .. math::
       u_t = Q_L\, \operatorname{sign}(Q_L^\top M_t Q_R)\, Q_R^\top,

    with :math:`Q_L, Q_R` the eigenvectors of :math:`L + \epsilon I` and :math:`R + \epsilon
    I`, recomputed after the update at step 1 and every ``inverse_steps`` steps (identity
    before step 1's). A side of length ``>= max_dim`` is not whitened (its :math:`Q` stays
    the identity and its statistic is not kept).

    Leaf rule: only rank-2 leaves are whitened. Scalars, vectors and rank >= 3 leaves take
    :math:`u_t = \operatorname{sign}(M_t)` (the authors' rule; reshape a conv kernel to a
    matrix yourself to whiten it).

    The statistics keep the parameters' dtype; the eigendecompositions run in float32 or
    wider, and the update is cast back to the parameters' dtype.

    Args:
      b1: momentum decay :math:`\beta_1`.
      b2: decay :math:`\beta_2` of the side statistics.
      inverse_steps: steps between eigendecompositions.
      max_dim: sides of this length or longer are not whitened.
      eps: :math:`\epsilon` added to the statistics' diagonals before ``eigh``.

    Returns:
      A ``GradientTransformation`` with :class:`ScaleBySPlusState`.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.scale_by_splus()
      >>> g = {"b": jnp.array([0.5, -2.0])}  # a vector: the sign of the momentum
      >>> tx.update(g, tx.init(g))[0]["b"]
      Array([ 1., -1.], dtype=float32)

    References:
      Frans, Levine, Abbeel. A Stable Whitening Optimizer for Efficient Neural Network
      Training. 2025. https://arxiv.org/abs/2506.07254
    """
    check_decay("b1", b1)
    check_decay("b2", b2)
    check_positive("inverse_steps", inverse_steps)
    check_positive("max_dim", max_dim)
    check_nonnegative("eps", eps)

    def _side(x: Any, axis: int, use: bool, eye: bool) -> jax.Array:
        if not use:
            return jnp.zeros((0, 0), x.dtype)
        d = x.shape[axis]
        return jnp.eye(d, dtype=x.dtype) if eye else jnp.zeros((d, d), x.dtype)

    def _eigvecs(a: jax.Array, q: jax.Array) -> jax.Array:
        del q
        return jnp.linalg.eigh(a + eps * jnp.eye(a.shape[0], dtype=a.dtype))[1]

    def init_fn(params):
        def sides(axis, eye):
            return jax.tree.map(
                lambda x: _side(x, axis, _sides(x.shape, max_dim)[axis], eye), params
            )

        return ScaleBySPlusState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params),
            left=sides(0, False),
            right=sides(1, False),
            q_left=sides(0, True),
            q_right=sides(1, True),
        )

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        refresh = (count == 1) | (count % inverse_steps == 0)
        g_leaves, treedef = jax.tree.flatten(updates)
        if not g_leaves:
            return updates, state._replace(count=count)
        rest = [
            treedef.flatten_up_to(t)
            for t in (state.mu, state.left, state.right, state.q_left, state.q_right)
        ]
        out, new = [], []
        for g, m, lft, rgt, ql, qr in zip(g_leaves, *rest, strict=True):
            d = jnp.promote_types(g.dtype, jnp.float32)
            gf = g.astype(d)
            m = m.astype(d) + (1 - jnp.asarray(b1, d)) * (gf - m.astype(d))
            use_l, use_r = _sides(g.shape, max_dim)
            if not (use_l or use_r):
                u = jnp.sign(m)
            else:
                keep = 1 - jnp.asarray(b2, d)
                rot = m
                if use_l:
                    rot = ql.astype(d).T @ rot
                    lft = lft.astype(d) + keep * (gf @ gf.T - lft.astype(d))
                if use_r:
                    rot = rot @ qr.astype(d)
                    rgt = rgt.astype(d) + keep * (gf.T @ gf - rgt.astype(d))
                u = jnp.sign(rot)
                if use_l:
                    u = ql.astype(d) @ u
                    ql = jax.lax.cond(refresh, _eigvecs, lambda a, q: q, lft, ql.astype(d))
                if use_r:
                    u = u @ qr.astype(d).T
                    qr = jax.lax.cond(refresh, _eigvecs, lambda a, q: q, rgt, qr.astype(d))
            out.append(u.astype(g.dtype))
            new.append((m, lft, rgt, ql, qr))
        olds = list(zip(*rest, strict=True))
        cast = [
            tuple(a.astype(o.dtype) for a, o in zip(n, old, strict=True))
            for n, old in zip(new, olds, strict=True)
        ]
        trees = [jax.tree.unflatten(treedef, list(col)) for col in zip(*cast, strict=True)]
        return jax.tree.unflatten(treedef, out), ScaleBySPlusState(count, *trees)

    return optax.GradientTransformation(init_fn, compile_update(update_fn))
