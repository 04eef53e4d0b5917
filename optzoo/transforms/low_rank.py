r"""Low-memory projection methods' building blocks: GaLore-AdamW.

``galore_adamw`` / ``scale_by_galore_adam`` are not named ``galore`` / ``scale_by_galore``:
``optax.contrib`` ships those with another signature (a ``base_optimizer`` and
``weight_dimension_numbers``) and optax's Adam (:math:`\epsilon` on the bias-corrected
:math:`\sqrt{\hat v}`), whereas these follow the authors' ``GaLoreAdamW``.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import check_betas, check_nonnegative, check_positive

__all__ = ["ScaleByGaloreAdamState", "scale_by_galore_adam"]


class ScaleByGaloreAdamState(NamedTuple):
    """State of :func:`scale_by_galore_adam`: step count, projections, moments (projected space)."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    proj: optax.Params
    mu: optax.Params
    nu: optax.Params


def _is_right(shape) -> bool:
    return shape[0] >= shape[1]


def _proj_shape(shape, rank):
    m, n = shape
    r = min(rank, min(m, n))
    return (r, n) if _is_right(shape) else (m, r)


def _low_shape(shape, rank):
    m, n = shape
    r = min(rank, min(m, n))
    return (m, r) if _is_right(shape) else (r, n)


def _basis(g: jax.Array, rank: int) -> jax.Array:
    u, _, vh = jnp.linalg.svd(g, full_matrices=False)
    return vh[:rank, :] if _is_right(g.shape) else u[:, :rank]


@functools.cache
def _refresh_branches(rank: int):
    """The two ``lax.cond`` branches, one pair per rank (stable identities, so eager calls
    reuse one compilation)."""

    def refresh(g, p):
        return _basis(g, rank).astype(p.dtype)

    def keep(g, p):
        del g
        return p

    return refresh, keep


def scale_by_galore_adam(
    rank: int = 128,
    update_proj_gap: int = 200,
    scale: jax.typing.ArrayLike = 0.25,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-6,
    *,
    torch_refresh: bool = False,
) -> optax.GradientTransformation:
    r"""GaLore scaling: Adam in a rank-:math:`r` subspace of each matrix's gradient.

    For a matrix leaf :math:`G_t \in \mathbb{R}^{m\times n}` with :math:`m \ge n`,
    :math:`P` is the top-:math:`r` right singular vectors (:math:`r\times n`) of the gradient
    at the last refresh, :math:`R_t = G_t P^\top`, and the output is
    :math:`\alpha\, \hat u_t P`; for :math:`m < n`, :math:`P` is the top-:math:`r` left
    singular vectors (:math:`m\times r`), :math:`R_t = P^\top G_t` and the output is
    :math:`\alpha P \hat u_t`. Here

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) R_t,\quad
       v_t = \beta_2 v_{t-1} + (1-\beta_2) R_t^2,\quad
       \hat u_t = \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,\frac{m_t}{\sqrt{v_t}+\epsilon}.

    :math:`P` is recomputed (SVD of :math:`G_t`, in float32 or wider) at the 0-based steps
    :math:`t \equiv 0 \pmod T` (the authors' ``galore-torch``); the moments are kept across
    refreshes. The refresh is a ``lax.cond`` on the step count (no recompilation).

    Leaf-rank rule: only rank-2 leaves are projected; scalars, vectors and leaves of rank
    :math:`\ge 3` take plain Adam (the same :math:`\hat u_t` on the full gradient, without
    :math:`\alpha`), as in the authors' code and ``pytorch_optimizer``.

    Args:
      rank: :math:`r` (capped at :math:`\min(m, n)`).
      update_proj_gap: :math:`T`, steps between refreshes of :math:`P`.
      scale: :math:`\alpha`, multiplier of the projected-back update.
      b1: first-moment decay.
      b2: second-moment decay.
      eps: added to :math:`\sqrt{v_t}`.
      torch_refresh: refresh at the 1-based steps 1 and :math:`kT` as ``pytorch_optimizer``
        4.1.0 (instead of :math:`1 + kT`).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByGaloreAdamState`.

    References:
      Zhao et al. GaLore: Memory-Efficient LLM Training by Gradient Low-Rank Projection.
      2024. https://arxiv.org/abs/2403.03507
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)
    if not isinstance(rank, int) or rank < 1:
        raise ValueError(f"rank must be a positive integer, got {rank!r}")
    if not isinstance(update_proj_gap, int) or update_proj_gap < 1:
        raise ValueError(f"update_proj_gap must be a positive integer, got {update_proj_gap!r}")
    check_positive("scale", scale)

    def init_fn(params):
        def proj(p):
            if p.ndim != 2:
                return jnp.zeros((0,), p.dtype)
            return jnp.zeros(_proj_shape(p.shape, rank), jnp.promote_types(p.dtype, jnp.float32))

        def moment(p):
            if p.ndim != 2:
                return jnp.zeros_like(p)
            return jnp.zeros(_low_shape(p.shape, rank), p.dtype)

        return ScaleByGaloreAdamState(
            count=jnp.zeros([], jnp.int32),
            proj=jax.tree.map(proj, params),
            mu=jax.tree.map(moment, params),
            nu=jax.tree.map(moment, params),
        )

    def update_fn(updates, state, params=None):
        del params
        count = state.count
        if torch_refresh:
            refresh = (count == 0) | ((count + 1) % update_proj_gap == 0)
        else:
            refresh = count % update_proj_gap == 0
        t = count + 1

        def step_size(dtype):
            bc1 = 1 - jnp.asarray(b1, dtype) ** t.astype(dtype)
            bc2 = 1 - jnp.asarray(b2, dtype) ** t.astype(dtype)
            return jnp.sqrt(bc2) / bc1

        def leaf(g, p, m, v):
            dtype = g.dtype
            gf = g.astype(jnp.promote_types(dtype, jnp.float32))
            if g.ndim == 2:
                p = jax.lax.cond(refresh, *_refresh_branches(rank), gf, p)
                low = gf @ p.T if _is_right(g.shape) else p.T @ gf
            else:
                low = gf
            m = b1 * m.astype(low.dtype) + (1 - b1) * low
            v = b2 * v.astype(low.dtype) + (1 - b2) * low * low
            u = step_size(low.dtype) * m / (jnp.sqrt(v) + eps)
            if g.ndim == 2:
                u = scale * (u @ p if _is_right(g.shape) else p @ u)
            return u.astype(dtype), p, m.astype(dtype), v.astype(dtype)

        out = jax.tree.map(leaf, updates, state.proj, state.mu, state.nu)
        treedef = jax.tree.structure(updates)
        u, p, m, v = (
            zip(*treedef.flatten_up_to(out), strict=True) if treedef.num_leaves else ((),) * 4
        )
        u, p, m, v = (jax.tree.unflatten(treedef, x) for x in (u, p, m, v))
        return u, ScaleByGaloreAdamState(count=optax.safe_increment(count), proj=p, mu=m, nu=v)

    return optax.GradientTransformation(init_fn, update_fn)
