"""SOAP: Adam in the eigenbasis of Shampoo's preconditioner (Vyas et al. 2024)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.dtypes import tree_dtype
from optzoo.core.eager import compile_update
from optzoo.core.validation import check_betas, check_decay, check_nonnegative
from optzoo.transforms.matrix import utils as mu_

__all__ = [
    "ScaleBySoapState",
    "scale_by_soap",
]


class ScaleBySoapState(NamedTuple):
    """SOAP state: per leaf Adam moments; per matrix leaf statistics and eigenbases."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    mu: Any
    nu: Any
    gg_l: Any
    gg_r: Any
    q_l: Any
    q_r: Any


def _mm(a: jax.Array, b: jax.Array, dtype: Any) -> jax.Array:
    """``a @ b``; with ``dtype`` the inputs are cast to it and accumulated in ``a.dtype``."""
    if dtype is None:
        return a @ b
    return jnp.matmul(a.astype(dtype), b.astype(dtype), preferred_element_type=a.dtype)


def _eig_desc(a: jax.Array) -> jax.Array:
    _, q = mu_.eigh(a + 1e-30 * jnp.eye(a.shape[-1], dtype=a.dtype))
    return q[:, ::-1]


def _qr_refresh(gg: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    """One power-iteration + QR step; returns the new basis and the column order."""
    mp = gg @ q
    est = jnp.sum(q * mp, axis=0)
    order = jnp.argsort(-est, stable=True)
    qn = mu_.qr_q(mp[:, order])
    return qn, order


def scale_by_soap(
    b1: float = 0.95,
    b2: float = 0.95,
    shampoo_beta: float | None = None,
    eps: float = 1e-8,
    precondition_frequency: int = 10,
    max_precondition_dim: int = 10000,
    *,
    higher_rank: str = "flatten",
    precond_dtype: Any | None = None,
    block_mesh: jax.sharding.Mesh | None = None,
) -> optax.GradientTransformation:
    r"""SOAP direction: Adam run in the rotating eigenbasis of Shampoo's factors.

    For a matrix leaf :math:`G` (rank > 2 by ``higher_rank``), at step :math:`t`:

    .. math::
       L \leftarrow \beta_s L + (1-\beta_s) G G^\top,\quad
       R \leftarrow \beta_s R + (1-\beta_s) G^\top G,\qquad
       G' = Q_L^\top G Q_R,

    .. math::
       m \leftarrow \beta_1 m + (1-\beta_1) G,\quad
       v \leftarrow \beta_2 v + (1-\beta_2) G'^{2},\quad
       u = \frac{\sqrt{1-\beta_2^{t-1}}}{1-\beta_1^{t-1}}\;
       Q_L \frac{Q_L^\top m Q_R}{\sqrt{v} + \epsilon} Q_R^\top .

    As in the authors' implementation, step 1 only builds :math:`L, R` and the
    eigenbases (eigendecomposition, eigenvalues descending) and returns a zero
    update; afterwards the bases are refreshed every ``precondition_frequency``
    steps by one power iteration and QR (:math:`Q \leftarrow \mathrm{QR}(LQ)`,
    columns sorted by the estimated eigenvalues, with :math:`v` permuted to match).
    The first moment lives in the original basis, the second in the rotated one.
    A side longer than ``max_precondition_dim`` is not rotated; rank 0/1 leaves
    get plain Adam with the same step-1 skip.

    Args:
      b1: first-moment decay.
      b2: second-moment decay.
      shampoo_beta: statistics decay (``None``: ``b2``).
      eps: Adam epsilon.
      precondition_frequency: steps between basis refreshes.
      max_precondition_dim: longest side that gets a basis.
      higher_rank: reshape rule for rank > 2 leaves.
      precond_dtype: dtype of the inputs of the statistics products :math:`GG^\top`,
        :math:`G^\top G` and of the rotation out of the eigenbasis
        (:math:`Q_L X Q_R^\top`), e.g. ``jnp.bfloat16``; they accumulate in float32.
        Statistics, bases and moments are stored in float32; the eigendecomposition,
        the power-iteration/QR refresh and the rotation *into* the eigenbasis
        (:math:`Q_L^\top G Q_R`) run in float32 (``None``: float32 throughout, the
        numbers are unchanged). The rotation into the basis must stay float32: its bf16
        error, relative to the largest entries, lands on the small rotated entries,
        which Adam's :math:`1/\sqrt{v}` scales up to full-size steps (a least-squares
        test then fails to train). Measured against float32:
        ``tests/optimizers/test_matrix_precision_sharding.py``.
      block_mesh: optional 1-D ``jax.sharding.Mesh`` with an Auto axis: stacks of
        same-shape matrices (statistics, eigenbases, Adam in the rotated basis) are
        sharded along the stack axis, so each device works on its share (stacks whose
        length is not a multiple of the mesh size stay replicated). The numbers do not
        change beyond float32 reduction order.

    Returns:
      A ``GradientTransformation`` with :class:`ScaleBySoapState`.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> g = {"w": jnp.ones((8, 4))}
      >>> tx = optzoo.scale_by_soap()
      >>> float(jnp.abs(tx.update(g, tx.init(g))[0]["w"]).max())  # step 1 builds the bases
      0.0

    References:
      Vyas, Morwani, Zhao, Kwun, Shapira, Brandfonbrener, Janson, Kakade. SOAP: Improving
      and Stabilizing Shampoo using Adam. 2024. https://arxiv.org/abs/2409.11321
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)
    check_decay("shampoo_beta", shampoo_beta)
    mu_.check_count("precondition_frequency", precondition_frequency)
    mu_.check_count("max_precondition_dim", max_precondition_dim)
    mu_.check_higher_rank(higher_rank)
    mu_.check_mesh(block_mesh)
    b1_, b2_ = b1, b2
    sb_ = b2 if shampoo_beta is None else shampoo_beta
    max_dim = int(max_precondition_dim)

    def side(n: int, dt: Any) -> jax.Array:
        return jnp.zeros((n, n) if n <= max_dim else (0, 0), dt)

    def init_fn(params):
        leaves, _ = jax.tree.flatten(params)
        mus, nus, gl, gr, ql, qr = [], [], [], [], [], []
        for x in leaves:
            dt = jnp.promote_types(x.dtype, jnp.float32)
            if jnp.ndim(x) >= 2:
                b, m, n = mu_.matrix_shape(x.shape, higher_rank)
                mus.append(jnp.zeros((b, m, n), dt))
                nus.append(jnp.zeros((b, m, n), dt))
                gl.append(jnp.broadcast_to(side(m, dt), (b, *side(m, dt).shape)))
                gr.append(jnp.broadcast_to(side(n, dt), (b, *side(n, dt).shape)))
                ql.append(jnp.broadcast_to(side(m, dt), (b, *side(m, dt).shape)))
                qr.append(jnp.broadcast_to(side(n, dt), (b, *side(n, dt).shape)))
            else:
                mus.append(jnp.zeros(x.shape, dt))
                nus.append(jnp.zeros(x.shape, dt))
                for lst in (gl, gr, ql, qr):
                    lst.append(())
        return ScaleBySoapState(
            jnp.zeros([], jnp.int32),
            tuple(mus),
            tuple(nus),
            tuple(gl),
            tuple(gr),
            tuple(ql),
            tuple(qr),
        )

    def update_fn(updates, state, params=None):
        del params
        updates, state, restore = mu_.unshard_update(updates, state)
        leaves, treedef = jax.tree.flatten(updates)
        count = optax.safe_increment(state.count)
        first = count == 1
        # Decays as float32 (or wider) arrays: the same rounding for Python floats and
        # injected hyperparameters.
        hdt = jnp.promote_types(tree_dtype(updates, "highest"), jnp.float32)
        b1, b2, sb = (jnp.asarray(x, hdt) for x in (b1_, b2_, sb_))
        s = (count - 1).astype(jnp.float32)
        refresh = (count > 1) & ((count - 1) % precondition_frequency == 0)

        def adam(g, m, v, rot, unrot):
            gp = rot(g)
            m_new = m + (1 - b1) * (g - m)
            v_new = v + (1 - b2) * (gp * gp - v)
            scale = jnp.sqrt(1 - b2**s) / (1 - b1**s)
            u = unrot(rot(m_new) / (jnp.sqrt(v_new) + eps)) * scale
            u = jnp.where(first, jnp.zeros_like(u), u)
            return u, jnp.where(first, m, m_new), jnp.where(first, v, v_new)

        def matrix(g, m, v, gl, gr, ql, qr):
            use_l, use_r = gl.shape[0] > 0, gr.shape[0] > 0

            def rot(x):
                # float32 even with precond_dtype: Adam's 1/sqrt(v) would scale bf16 noise
                # on the small rotated entries up to full-size steps (see the docstring).
                x = ql.T @ x if use_l else x
                return x @ qr if use_r else x

            def unrot(x):
                x = _mm(ql, x, precond_dtype) if use_l else x
                return _mm(x, qr.T, precond_dtype) if use_r else x

            u, m, v = adam(g, m, v, rot, unrot)
            if use_l:
                gl = sb * gl + (1 - sb) * _mm(g, g.T, precond_dtype)
            if use_r:
                gr = sb * gr + (1 - sb) * _mm(g.T, g, precond_dtype)

            def init_bases(v):
                return (_eig_desc(gl) if use_l else ql, _eig_desc(gr) if use_r else qr, v)

            def qr_bases(v):
                nl, nr = ql, qr
                if use_l:
                    nl, order = _qr_refresh(gl, ql)
                    v = v[order, :]
                if use_r:
                    nr, order = _qr_refresh(gr, qr)
                    v = v[:, order]
                return nl, nr, v

            ql2, qr2, v = jax.lax.cond(
                first,
                init_bases,
                lambda v: jax.lax.cond(refresh, qr_bases, lambda v: (ql, qr, v), v),
                v,
            )
            return u, m, v, gl, gr, ql2, qr2

        jobs, idx = [], []
        outs: list[Any] = [None] * len(leaves)
        new = {k: list(getattr(state, k)) for k in ("mu", "nu", "gg_l", "gg_r", "q_l", "q_r")}
        for i, g in enumerate(leaves):
            gf = g.astype(jnp.promote_types(g.dtype, jnp.float32))
            if jnp.ndim(g) < 2:
                ident = lambda x: x  # noqa: E731
                u, m, v = adam(gf, state.mu[i], state.nu[i], ident, ident)
                outs[i] = u.astype(g.dtype)
                new["mu"][i], new["nu"][i] = m, v
                continue
            jobs.append(
                (
                    mu_.to_matrices(gf, higher_rank),
                    state.mu[i],
                    state.nu[i],
                    state.gg_l[i],
                    state.gg_r[i],
                    state.q_l[i],
                    state.q_r[i],
                )
            )
            idx.append(i)
        for i, r in zip(idx, mu_.batched_apply(matrix, jobs, block_mesh), strict=True):
            outs[i] = r[0].reshape(leaves[i].shape).astype(leaves[i].dtype)
            for k, val in zip(("mu", "nu", "gg_l", "gg_r", "q_l", "q_r"), r[1:], strict=True):
                new[k][i] = val
        new_state = ScaleBySoapState(
            count, *(tuple(new[k]) for k in ("mu", "nu", "gg_l", "gg_r", "q_l", "q_r"))
        )
        return restore(jax.tree.unflatten(treedef, outs), new_state)

    return optax.GradientTransformation(init_fn, compile_update(update_fn))
