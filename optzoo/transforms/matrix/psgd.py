"""PSGD with a Kronecker-factored preconditioner (Li 2015/2018; the "Kron" variant)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.dtypes import tree_dtype
from optzoo.core.eager import compile_update, power
from optzoo.core.validation import check_decay, check_nonnegative, check_positive
from optzoo.transforms.matrix import utils as mu_

__all__ = [
    "ScaleByKronState",
    "kron_update_probability",
    "scale_by_kron",
]


_TINY = float(jnp.finfo(jnp.bfloat16).tiny)


class ScaleByKronState(NamedTuple):
    """PSGD-Kron state: count, momentum, factors ``q_l``/``q_r`` per leaf, update counter, key."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    mu: Any
    q_l: Any
    q_r: Any
    update_counter: jax.Array
    key: jax.Array


def kron_update_probability(
    max_prob: float = 1.0, min_prob: float = 0.03, decay: float = 0.001, flat_start: int = 500
) -> Any:
    r"""Default preconditioner-update schedule: :math:`\mathrm{clip}(p_{\max}
    e^{-\delta (t - t_0)}, p_{\min}, p_{\max})`, with :math:`t` counted from 0."""

    def schedule(step: jax.Array) -> jax.Array:
        p = max_prob * jnp.exp(-decay * (jnp.asarray(step, jnp.float32) - flat_start))
        return jnp.clip(p, min_prob, max_prob)

    return schedule


def _norm_lower_bound(a: jax.Array) -> jax.Array:
    """Cheap lower bound of the spectral norm of a symmetric PSD matrix (Li's psgd)."""
    max_abs = jnp.max(jnp.abs(a))
    a = a / jnp.where(max_abs > 0, max_abs, 1.0)
    aa = a * a
    col, row = jnp.sum(aa, axis=0), jnp.sum(aa, axis=1)
    i, j = jnp.argmax(col), jnp.argmax(row)
    tiny = jnp.finfo(a.dtype).tiny
    x0 = a[:, i] @ a
    bound0 = jnp.linalg.norm((x0 / jnp.maximum(jnp.linalg.norm(x0), tiny)) @ a.T)
    x1 = a @ a[j, :]
    bound1 = jnp.linalg.norm(a.T @ (x1 / jnp.maximum(jnp.linalg.norm(x1), tiny)))
    return max_abs * jnp.where(col[i] > row[j], bound0, bound1)


def _mm(a: jax.Array, b: jax.Array, dtype: Any) -> jax.Array:
    """``a @ b``; with ``dtype`` the inputs are cast to it and accumulated in ``a.dtype``."""
    if dtype is None:
        return a @ b
    return jnp.matmul(a.astype(dtype), b.astype(dtype), preferred_element_type=a.dtype)


def _update_factor(q: jax.Array, t1: jax.Array, t2: jax.Array, lr: Any, diag: bool) -> jax.Array:
    tmp = (t1 - t2) * lr
    if diag:
        return q - tmp * q / (jnp.max(jnp.abs(t1 + t2)) + _TINY)
    tmp = jnp.triu(tmp) / (_norm_lower_bound(t1 + t2) + _TINY)
    return q - tmp @ q


def _kron_matrix(g, v, ql, qr, do_update, lr, precond_dtype=None):
    """One matrix (m, n): optional factor update from (v, g), then Q^T Q g-preconditioning.

    ``precond_dtype`` applies to the products with ``Q`` and to ``AA^T``, ``BB^T`` (float32
    accumulation); the triangular solves and the factor update stay in float32.
    """
    dl, dr = ql.ndim == 1, qr.ndim == 1

    def mm(a, b):
        return _mm(a, b, precond_dtype)

    def left(q, x):  # q x  (q acting on axis 0)
        return q[:, None] * x if dl else mm(q, x)

    def right(x, q):  # x q^T (q acting on axis 1)
        return x * q[None, :] if dr else mm(x, q.T)

    def update(ql, qr):
        a = right(left(ql, g), qr)
        # b = Q_l^{-T} v Q_r^{-1}, by triangular solves.
        b = v / ql[:, None] if dl else mu_.solve_upper_t(ql, v)
        b = b / qr[None, :] if dr else mu_.solve_upper_t(qr, b.T).T
        t1l = jnp.sum(a * a, axis=1) if dl else mm(a, a.T)
        t2l = jnp.sum(b * b, axis=1) if dl else mm(b, b.T)
        t1r = jnp.sum(a * a, axis=0) if dr else mm(a.T, a)
        t2r = jnp.sum(b * b, axis=0) if dr else mm(b.T, b)
        return _update_factor(ql, t1l, t2l, lr, dl), _update_factor(qr, t1r, t2r, lr, dr)

    ql, qr = jax.lax.cond(do_update, update, lambda ql, qr: (ql, qr), ql, qr)
    # P g = Q_l^T Q_l g Q_r^T Q_r
    x = right(left(ql, g), qr)
    x = ql[:, None] * x if dl else mm(ql.T, x)
    x = x * qr[None, :] if dr else mm(x, qr)
    return x, ql, qr


def scale_by_kron(
    b1: float = 0.9,
    preconditioner_lr: float = 0.1,
    update_probability: Any = None,
    max_size_triangular: int = 8192,
    init_scale: float = 1.0,
    *,
    momentum_into_preconditioner: bool = True,
    clip_rms: float | None = 1.1,
    higher_rank: str = "flatten",
    seed: int = 0,
    precond_dtype: Any | None = None,
    block_mesh: jax.sharding.Mesh | None = None,
    damping: float = 0.0,
) -> optax.GradientTransformation:
    r"""PSGD-Kron direction: a Kronecker-factored preconditioner fitted by Li's criterion.

    For a matrix leaf :math:`G` (``m x n``; rank > 2 by ``higher_rank``), with
    :math:`P = (Q_l^\top Q_l) \otimes (Q_r^\top Q_r)`, upper-triangular
    :math:`Q_l, Q_r` (diagonal for a side longer than ``max_size_triangular`` or of
    size 1; rank-1 leaves use one diagonal factor):

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\ \hat m_t = m_t/(1-\beta_1^t),\qquad
       u_t = Q_l^\top Q_l\, \hat m_t\, Q_r^\top Q_r \cdot \min\big(1, c/\mathrm{RMS}\big),

    and on update steps, with :math:`V \sim \mathcal N(0, I)`, :math:`A = Q_l \hat m_t
    Q_r^\top`, :math:`B = Q_l^{-\top} V Q_r^{-1}`:

    .. math::
       Q_l \leftarrow Q_l - \mu\, \frac{\mathrm{triu}(AA^\top - BB^\top)}
       {\|AA^\top + BB^\top\|_{\text{lb}}} Q_l

    (likewise :math:`Q_r` with :math:`A^\top A, B^\top B`; :math:`\|\cdot\|_{\text{lb}}`
    a lower bound of the spectral norm). The factors are updated when a counter reaches
    :math:`1/p(t)`, :math:`p` from ``update_probability`` (a float or a schedule of the
    step, default :func:`kron_update_probability`: every step for 500 steps, then
    decaying to 3%). Li's random factor re-balancing is omitted: it leaves :math:`P`
    and every later update unchanged in exact arithmetic. A zero-size leaf gets a
    zero-size update and keeps its (empty) state.

    Args:
      b1: momentum decay.
      preconditioner_lr: :math:`\mu`.
      update_probability: float or schedule ``step -> probability``.
      max_size_triangular: longest side with a triangular factor.
      init_scale: initial :math:`Q = s^{1/2} I`.
      momentum_into_preconditioner: fit :math:`P` to :math:`\hat m_t` (else :math:`g_t`).
      clip_rms: :math:`c`, cap on the update RMS (``None``: no cap).
      higher_rank: reshape rule for rank > 2 leaves.
      seed: PRNG seed of :math:`V`.
      precond_dtype: dtype of the inputs of the matrix products, e.g. ``jnp.bfloat16``:
        :math:`A = Q_l \hat m Q_r^\top`, :math:`AA^\top`, :math:`BB^\top` (and the
        right-side analogues) and the application :math:`Q_l^\top Q_l \hat m Q_r^\top Q_r`.
        They accumulate in float32; the factors stay float32, and the triangular solves
        for :math:`B` and the triangular factor update :math:`Q \leftarrow Q - \dots Q`
        run in float32 (``None``: float32 throughout, the numbers are unchanged).
        Measured against float32: see ``tests/optimizers/test_matrix_precision_sharding.py``.
      block_mesh: optional 1-D ``jax.sharding.Mesh`` with an Auto axis: stacks of
        same-shape matrices (factor updates and preconditioning) are sharded along the
        stack axis, so each device works on its share (stacks whose length is not a
        multiple of the mesh size stay replicated). The numbers do not change beyond
        float32 reduction order.
      damping: :math:`\delta`; on update steps the fitted tensor :math:`F` (momentum or
        gradient) becomes :math:`F + \delta\,\mathrm{mean}|F|\, V` (the authors' Kron,
        ``kron_torch``, uses :math:`\delta = \sqrt{\epsilon_{\text{float32}}}`). As in their
        code, which damps the momentum in place, with ``momentum_into_preconditioner`` the
        damped momentum is also the one preconditioned on those steps. 0 (default): none.

    Returns:
      A ``GradientTransformation`` with :class:`ScaleByKronState`.

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_kron()

    References:
      Li. Preconditioned Stochastic Gradient Descent. 2015. https://arxiv.org/abs/1512.04202
      Li. Preconditioner on Matrix Lie Group for SGD. 2018. https://arxiv.org/abs/1809.10232
    """
    check_decay("b1", b1)
    check_nonnegative("preconditioner_lr", preconditioner_lr)
    check_positive("clip_rms", clip_rms)
    check_nonnegative("damping", damping)
    mu_.check_higher_rank(higher_rank)
    mu_.check_mesh(block_mesh)
    prob_fn = kron_update_probability() if update_probability is None else update_probability
    max_tri = int(max_size_triangular)

    def factor(n: int, nd: int, dt: Any) -> jax.Array:
        s = init_scale ** (1.0 / nd)
        if n == 1 or n > max_tri:
            return jnp.full((n,), s, dt)
        return s * jnp.eye(n, dtype=dt)

    def init_fn(params):
        leaves = jax.tree.leaves(params)
        ql, qr, mus = [], [], []
        for x in leaves:
            dt = jnp.promote_types(x.dtype, jnp.float32)
            mus.append(jnp.zeros(x.shape, x.dtype))
            if jnp.ndim(x) >= 2:
                b, m, n = mu_.matrix_shape(x.shape, higher_rank)
                ql.append(jnp.broadcast_to(factor(m, 2, dt), (b, *factor(m, 2, dt).shape)))
                qr.append(jnp.broadcast_to(factor(n, 2, dt), (b, *factor(n, 2, dt).shape)))
            else:
                ql.append(jnp.full(x.shape, init_scale, dt))
                qr.append(())
        return ScaleByKronState(
            count=jnp.zeros([], jnp.int32),
            mu=tuple(mus),
            q_l=tuple(ql),
            q_r=tuple(qr),
            update_counter=jnp.zeros([], jnp.int32),
            key=jax.random.PRNGKey(seed),
        )

    def update_fn(updates, state, params=None):
        del params
        updates, state, restore = mu_.unshard_update(updates, state)
        leaves, treedef = jax.tree.flatten(updates)
        prob = prob_fn(state.count) if callable(prob_fn) else jnp.asarray(prob_fn, jnp.float32)
        counter = state.update_counter + 1
        do_update = (prob > 0) & (counter.astype(jnp.float32) >= 1.0 / prob)
        new_counter = jnp.where(do_update, 0, counter).astype(jnp.int32)
        count = optax.safe_increment(state.count)
        key, sub = jax.random.split(state.key)
        hdt = jnp.promote_types(tree_dtype(updates, "highest"), jnp.float32)
        beta = jnp.asarray(b1, hdt)
        lr = jnp.asarray(preconditioner_lr, hdt)
        bc = 1 - power(beta, count)
        outs: list[Any] = [None] * len(leaves)
        new_mu, new_ql, new_qr = list(state.mu), list(state.q_l), list(state.q_r)
        jobs, idx = [], []
        for i, g in enumerate(leaves):
            if g.size == 0:  # nothing to precondition: empty update, state kept
                outs[i] = jnp.zeros(g.shape, hdt)
                continue
            gf = g.astype(hdt)
            m = beta * state.mu[i].astype(hdt) + (1 - beta) * gf
            new_mu[i] = m.astype(state.mu[i].dtype)
            m_hat = m / bc
            fit = m_hat if momentum_into_preconditioner else gf
            v = jax.random.normal(jax.random.fold_in(sub, i), g.shape, hdt)
            if not (isinstance(damping, (int, float)) and damping == 0):
                fit = fit + jnp.asarray(damping, hdt) * jnp.mean(jnp.abs(fit)) * v
                if momentum_into_preconditioner:
                    m_hat = jnp.where(do_update, fit, m_hat)
            if jnp.ndim(g) < 2:
                q = state.q_l[i]

                def upd(q, fit=fit, v=v):
                    a, b = q * fit, v / q
                    return _update_factor(q, a * a, b * b, lr, True)

                q = jax.lax.cond(do_update, upd, lambda q: q, q)
                new_ql[i] = q
                outs[i] = q * q * m_hat
                continue
            jobs.append(
                (
                    mu_.to_matrices(fit, higher_rank),
                    mu_.to_matrices(v, higher_rank),
                    state.q_l[i],
                    state.q_r[i],
                    mu_.to_matrices(m_hat, higher_rank),
                )
            )
            idx.append(i)

        def one(fit, v, ql, qr, m_hat):
            # Update the factors from (v, fit); precondition m_hat with the new factors.
            _, ql, qr = _kron_matrix(fit, v, ql, qr, do_update, lr, precond_dtype)
            x, _, _ = _kron_matrix(m_hat, v, ql, qr, False, lr, precond_dtype)
            return x, ql, qr

        for i, (x, ql, qr) in zip(idx, mu_.batched_apply(one, jobs, block_mesh), strict=True):
            outs[i] = x.reshape(leaves[i].shape)
            new_ql[i], new_qr[i] = ql, qr
        if clip_rms is not None:
            outs = [
                o * jnp.minimum(clip_rms / (jnp.sqrt(jnp.mean(o * o)) + 1e-6), 1.0) if o.size else o
                for o in outs
            ]
        outs = [o.astype(g.dtype) for o, g in zip(outs, leaves, strict=True)]
        new_state = ScaleByKronState(
            count=count,
            mu=tuple(new_mu),
            q_l=tuple(new_ql),
            q_r=tuple(new_qr),
            update_counter=new_counter,
            key=key,
        )
        return restore(jax.tree.unflatten(treedef, outs), new_state)

    return optax.GradientTransformation(init_fn, compile_update(update_fn))
