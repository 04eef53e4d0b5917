"""Memory-efficient second moments: Adafactor's factored RMS, CAME's confidence and SM3."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from optax import FactoredState, ScaleBySM3State

from optzoo.core.validation import (
    check_betas,
    check_decay,
    check_nonnegative,
    check_positive,
    check_range,
)

__all__ = [
    "scale_by_sm3",
    "scale_by_factored_rms",
    "ScaleByCameState",
    "scale_by_came",
    "ScaleByAdaliteState",
    "scale_by_adalite",
]


def _decay_rate_pow(i: jax.typing.ArrayLike, exponent: jax.typing.ArrayLike = 0.8) -> jax.Array:
    """Adafactor's second-moment decay :math:`1 - (i+1)^{-c}`."""
    t = jnp.array(i + 1, jnp.float32)
    return 1.0 - t ** (-exponent)  # type: ignore[operator]


def _factored_axes(shape, factored: bool, min_dim_size_to_factor: int):
    """(second largest axis, largest axis) when both are large enough, else None."""
    if not factored or len(shape) < 2:
        return None
    order = np.argsort(shape)
    if shape[order[-2]] < min_dim_size_to_factor:
        return None
    return int(order[-2]), int(order[-1])


def _drop_axis_zeros(x, axis):
    shape = jax.eval_shape(lambda a: jnp.sum(a, axis=axis), x)
    return jnp.zeros(shape.shape, shape.dtype)


def scale_by_factored_rms(
    factored: bool = True,
    decay_rate: jax.typing.ArrayLike = 0.8,
    step_offset: jax.typing.ArrayLike = 0,
    min_dim_size_to_factor: int = 128,
    epsilon: jax.typing.ArrayLike = 1e-30,
    decay_rate_fn: Callable[[jax.typing.ArrayLike, jax.typing.ArrayLike], jax.typing.ArrayLike] = (
        _decay_rate_pow
    ),
) -> optax.GradientTransformation:
    r"""Adafactor's scaling by a factored estimate of the gradient RMS.

    With :math:`\hat\beta_t` = ``decay_rate_fn(t - step_offset, decay_rate)``
    (default :math:`1 - (t+1)^{-0.8}`) and :math:`G = g^2 + \epsilon`: for a leaf whose two
    largest axes have at least ``min_dim_size_to_factor`` entries,

    .. math::
       R_t = \hat\beta_t R + (1-\hat\beta_t)\,\overline{G}^{\text{(largest axis)}},\quad
       C_t = \hat\beta_t C + (1-\hat\beta_t)\,\overline{G}^{\text{(second axis)}},\quad
       u = g \,/\, \sqrt{R_t C_t / \overline{R_t}},

    otherwise the full :math:`V_t = \hat\beta_t V + (1-\hat\beta_t) G` and :math:`u = g/\sqrt{V_t}`.

    Args:
      factored: factor the second moment of matrices.
      decay_rate: the exponent :math:`c` passed to ``decay_rate_fn``.
      step_offset: subtracted from the step (for fine-tuning).
      min_dim_size_to_factor: factor only when both axes are at least this large.
      epsilon: added to :math:`g^2`.
      decay_rate_fn: the schedule of :math:`\hat\beta_t`.

    Returns:
      A ``GradientTransformation`` with state ``optax.FactoredState``; needs params.

    References:
      Shazeer, Stern. Adafactor: Adaptive Learning Rates with Sublinear Memory Cost. 2018.
      https://arxiv.org/abs/1804.04235
    """

    def init_fn(params):
        def rows(p):
            axes = _factored_axes(p.shape, factored, min_dim_size_to_factor)
            return _drop_axis_zeros(p, axes[1]) if axes else jnp.zeros((1,), p.dtype)

        def cols(p):
            axes = _factored_axes(p.shape, factored, min_dim_size_to_factor)
            return _drop_axis_zeros(p, axes[0]) if axes else jnp.zeros((1,), p.dtype)

        def full(p):
            axes = _factored_axes(p.shape, factored, min_dim_size_to_factor)
            return jnp.zeros((1,), p.dtype) if axes else jnp.zeros_like(p)

        return FactoredState(
            count=jnp.zeros([], jnp.int32),
            v_row=jax.tree.map(rows, params),
            v_col=jax.tree.map(cols, params),
            v=jax.tree.map(full, params),
        )

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError("scale_by_factored_rms needs params")
        beta = decay_rate_fn(state.count - step_offset, decay_rate)

        def one(g, r, c, v, p):
            dtype = p.dtype
            g2 = jnp.real(jnp.conj(g) * g) + epsilon
            # Factored leaves keep a (1,) placeholder in ``v``: reading the choice made by
            # init_fn from the state keeps min_dim_size_to_factor out of the traced update.
            axes = None
            if p.ndim >= 2 and v.shape != p.shape:
                order = np.argsort(p.shape)
                axes = int(order[-2]), int(order[-1])
            placeholder = jnp.zeros((1,), dtype)
            if axes is None:
                new_v = (beta * v + (1.0 - beta) * g2).astype(dtype)
                return g * new_v**-0.5, placeholder, placeholder, new_v
            second, largest = axes
            new_r = (beta * r + (1.0 - beta) * jnp.mean(g2, axis=largest)).astype(dtype)
            new_c = (beta * c + (1.0 - beta) * jnp.mean(g2, axis=second)).astype(dtype)
            second_in_r = second - 1 if second > largest else second
            r_factor = (new_r / jnp.mean(new_r, axis=second_in_r, keepdims=True)) ** -0.5
            c_factor = new_c**-0.5
            u = g * jnp.expand_dims(r_factor, axis=largest) * jnp.expand_dims(c_factor, axis=second)
            return u, new_r, new_c, placeholder

        outs = jax.tree.map(one, updates, state.v_row, state.v_col, state.v, params)
        treedef = jax.tree.structure(updates)
        flat = treedef.flatten_up_to(outs)
        pick = lambda i: treedef.unflatten([o[i] for o in flat])  # noqa: E731
        new_state = FactoredState(
            count=optax.safe_increment(state.count), v_row=pick(1), v_col=pick(2), v=pick(3)
        )
        return pick(0), new_state

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByCameState(NamedTuple):
    """State of :func:`scale_by_came`; factored leaves keep ``(1,)`` placeholders in ``v``."""

    count: jax.Array  # type: ignore[assignment]
    mu: optax.Updates  # EMA of the clipped, normalised update
    v_row: optax.Updates  # row statistics of g^2 (factored leaves)
    v_col: optax.Updates  # column statistics of g^2 (factored leaves)
    v: optax.Updates  # full second moment (vectors and scalars)
    r_row: optax.Updates  # row statistics of the instability (u - m)^2
    r_col: optax.Updates  # column statistics of the instability


def scale_by_came(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    b3: jax.typing.ArrayLike = 0.9999,
    eps1: jax.typing.ArrayLike = 1e-30,
    eps2: jax.typing.ArrayLike = 1e-16,
    clip_threshold: jax.typing.ArrayLike = 1.0,
) -> optax.GradientTransformation:
    r"""CAME scaling: Adafactor's factored second moment, then a factored confidence.

    Leaves with two or more axes are factored over their last two axes
    (:math:`\mathrm{mean}_{-1}`, :math:`\mathrm{mean}_{-2}`):

    .. math::
       r_t = \beta_2 r + (1-\beta_2)\,\mathrm{mean}_{-1}(g^2+\epsilon_1),\quad
       c_t = \beta_2 c + (1-\beta_2)\,\mathrm{mean}_{-2}(g^2+\epsilon_1),\quad
       u_t = g \big/ \sqrt{r_t c_t / \mathrm{mean}(r_t)},\\
       \hat u_t = u_t / \max(1, \mathrm{RMS}(u_t)/d),\quad
       m_t = \beta_1 m + (1-\beta_1)\hat u_t,\quad
       U_t = (\hat u_t - m_t)^2 + \epsilon_2,\\
       R_t = \beta_3 R + (1-\beta_3)\,\mathrm{mean}_{-1}U_t,\quad
       C_t = \beta_3 C + (1-\beta_3)\,\mathrm{mean}_{-2}U_t,\quad
       \text{update} = m_t \big/ \sqrt{R_t C_t/\mathrm{mean}(R_t)}.

    Vectors and scalars use a full second moment and no confidence (update :math:`m_t`).

    Args:
      b1: momentum decay.
      b2: second-moment decay.
      b3: decay of the confidence statistics.
      eps1: added to :math:`g^2`.
      eps2: added to the instability.
      clip_threshold: :math:`d` of the update clipping.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByCameState`.

    References:
      Luo et al. CAME: Confidence-guided Adaptive Memory Efficient Optimization. 2023.
      https://arxiv.org/abs/2307.02047
    """
    check_betas(b1, b2)
    check_decay("b3", b3)
    check_nonnegative("eps1", eps1)
    check_positive("clip_threshold", clip_threshold)

    def init_fn(params):
        for p in jax.tree.leaves(params):
            if jnp.iscomplexobj(p):
                raise ValueError("scale_by_came does not support complex parameters")
        one = lambda p: jnp.zeros((1,), p.dtype)  # noqa: E731
        rows = lambda p: jnp.zeros(p.shape[:-1], p.dtype) if p.ndim >= 2 else one(p)  # noqa: E731
        cols = (
            lambda p: (  # noqa: E731
                jnp.zeros(p.shape[:-2] + p.shape[-1:], p.dtype) if p.ndim >= 2 else one(p)
            )
        )
        full = lambda p: one(p) if p.ndim >= 2 else jnp.zeros_like(p)  # noqa: E731
        return ScaleByCameState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params),
            v_row=jax.tree.map(rows, params),
            v_col=jax.tree.map(cols, params),
            v=jax.tree.map(full, params),
            r_row=jax.tree.map(rows, params),
            r_col=jax.tree.map(cols, params),
        )

    def inv_sqrt_factored(row, col):
        r = jax.lax.rsqrt(row / jnp.mean(row, axis=-1, keepdims=True))[..., None]
        c = jax.lax.rsqrt(col)[..., None, :]
        return r * c

    def rms(x):
        return jnp.linalg.norm(x.ravel()) / float(np.sqrt(x.size))

    def one(g, m, vr, vc, v, rr, rc):
        g2 = g * g + eps1
        if g.ndim >= 2:
            vr = b2 * vr + (1 - b2) * jnp.mean(g2, axis=-1)
            vc = b2 * vc + (1 - b2) * jnp.mean(g2, axis=-2)
            u = inv_sqrt_factored(vr, vc) * g
        else:
            v = b2 * v + (1 - b2) * g2
            u = jax.lax.rsqrt(v) * g
        u = u / jnp.maximum(rms(u) / clip_threshold, 1.0)
        m = m + (1 - b1) * (u - m)
        if g.ndim >= 2:
            res = (u - m) ** 2 + eps2
            rr = b3 * rr + (1 - b3) * jnp.mean(res, axis=-1)
            rc = b3 * rc + (1 - b3) * jnp.mean(res, axis=-2)
            out = inv_sqrt_factored(rr, rc) * m
        else:
            out = m
        return out, m, vr, vc, v, rr, rc

    def update_fn(updates, state, params=None):
        del params
        outs = jax.tree.map(
            one, updates, state.mu, state.v_row, state.v_col, state.v, state.r_row, state.r_col
        )
        treedef = jax.tree.structure(updates)
        flat = treedef.flatten_up_to(outs)
        pick = lambda i: treedef.unflatten([o[i] for o in flat])  # noqa: E731
        return pick(0), ScaleByCameState(
            count=optax.safe_increment(state.count),
            mu=pick(1),
            v_row=pick(2),
            v_col=pick(3),
            v=pick(4),
            r_row=pick(5),
            r_col=pick(6),
        )

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_sm3(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 1.0,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""SM3 scaling: one accumulator per row, column, … of each tensor (SM3-II).

    For a tensor with per-axis accumulators :math:`\mu^{(r)}`,

    .. math::
       \nu_t = \beta_2 \min_r \mu^{(r)}_{t-1} + c\, g_t^2\quad(c = 1 \text{ if } \beta_2 = 1
       \text{ else } 1-\beta_2),\qquad \mu^{(r)}_t = \max_{\text{other axes}} \nu_t,\\
       m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t/\sqrt{\nu_t + \epsilon}\ (0 \text{ where }
       \nu_t = 0),\qquad u_t = m_t.

    Vectors and scalars keep a full accumulator.

    Args:
      b1: decay of the momentum of the scaled gradient.
      b2: decay of the accumulators (1: pure accumulation, the paper).
      eps: added under the square root.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleBySM3State``.

    References:
      Anil, Gupta, Koren, Singer. Memory-Efficient Adaptive Optimization. 2019.
      https://arxiv.org/abs/1901.11150
    """
    check_range("b1", b1, 0.0, 1.0)
    check_range("b2", b2, 0.0, 1.0)

    def axis_zeros(p, axis):
        return jnp.zeros((p.shape[axis],), dtype=p.dtype)

    def init_fn(params):
        for p in jax.tree.leaves(params):
            if jnp.iscomplexobj(p):
                raise ValueError("scale_by_sm3 does not support complex parameters")
        # A scalar keeps its accumulator in a one-element vector (it has no axes).
        mu = jax.tree.map(
            lambda p: [
                axis_zeros(p.reshape(1) if p.ndim == 0 else p, i) for i in range(max(p.ndim, 1))
            ],
            params,
        )
        return ScaleBySM3State(mu=mu, nu=optax.tree.zeros_like(params))

    def broadcast_shape(shape, axis):
        return [1] * axis + [shape[axis]] + [1] * (len(shape) - axis - 1)

    def accumulate(g, vs):
        c = (1.0 - b2) if b2 != 1.0 else 1.0
        if g.ndim < 2:
            return c * g**2 + b2 * vs[0]
        return c * g**2 + b2 * functools.reduce(jnp.minimum, vs)

    def reduce_axes(a, i):
        if a.ndim < 2:
            return a.reshape(-1)
        if a.size == 0:  # accumulators are non-negative: 0 is the identity of this max
            return jnp.zeros((a.shape[i],), a.dtype)
        return jnp.max(a, axis=[k for k in range(a.ndim) if k != i])

    def update_fn(updates, state, params=None):
        del params
        vs = jax.tree.map(
            lambda g, v: (
                [v[0].reshape(())]
                if g.ndim == 0
                else [jnp.reshape(v[i], broadcast_shape(g.shape, i)) for i in range(g.ndim)]
            ),
            updates,
            state.mu,
        )
        acc = jax.tree.map(accumulate, updates, vs)
        inv = jax.tree.map(lambda a: jnp.where(a > 0, jax.lax.rsqrt(a + eps), 0.0), acc)
        scaled = jax.tree.map(lambda g, a: g * a, updates, inv)
        nu = optax.tree.update_moment(scaled, state.nu, b1, 1)
        mu = jax.tree.map(lambda a: [reduce_axes(a, i) for i in range(max(a.ndim, 1))], acc)
        return nu, ScaleBySM3State(mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByAdaliteState(NamedTuple):
    """State of :func:`scale_by_adalite`: full moments of vectors, factors of matrices.

    Leaves of rank < 2 keep ``m`` and ``v`` (their shape) and ``(1,)`` placeholders in the
    factored fields; matrices (rank >= 3 viewed as ``(shape[0], -1)``) keep the second-moment
    row sums ``v_row`` (n,) and normalised column sums ``v_col`` (k,), and the rank-one
    momentum ``m_col`` (n, 1), ``m_core`` (1, 1), ``m_row`` (1, k), with placeholders in
    ``m`` and ``v``.
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    m: Any
    v: Any
    v_row: Any
    v_col: Any
    m_col: Any
    m_core: Any
    m_row: Any


def scale_by_adalite(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    g_norm_min: jax.typing.ArrayLike = 1e-10,
    ratio_min: jax.typing.ArrayLike = 1e-4,
    tau: jax.typing.ArrayLike = 1.0,
    eps1: jax.typing.ArrayLike = 1e-6,
    eps2: jax.typing.ArrayLike = 1e-10,
) -> optax.GradientTransformation:
    r"""Adalite's direction: a trust-ratio-scaled gradient, factored centred moments.

    Each leaf with more than one entry first scales its gradient by the trust ratio
    :math:`\tilde g = g \max(\|x\| / \max(\|g\|, g_{\min}), r_{\min})`. A leaf of rank
    < 2 keeps full moments,

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1)\tilde g,\quad
       v_t = \beta_2 v_{t-1} + (1-\beta_2)(\tilde g - m_t)^2,\quad
       u_t = \frac{\beta_1 m_t + (1-\beta_1)\tilde g}{\sqrt{v_t / (1-\beta_2^t) + \epsilon_1}}.

    A matrix (rank >= 3 leaves are viewed as ``(shape[0], -1)``) rebuilds
    :math:`v_{t-1} = r c^\top / \max(\sum r, \epsilon_2)` from its row and column sums and
    :math:`m_{t-1} = c_m s\, r_m^\top` from a rank-one factorisation, runs the two updates
    above, then pulls :math:`m_t` towards :math:`\tilde g` entry-wise by
    :math:`1 - p_i q_j` with :math:`p = \operatorname{softmax}(\text{row means of } v_t)`,
    :math:`q = \operatorname{softmax}(\text{column means of } v_t)`, forms :math:`u_t` as
    above, and stores the row sums of :math:`v_t`, its column sums over its total, and the
    rank-one momentum :math:`c_m = m_t q'`, :math:`r_m = m_t^\top p'`,
    :math:`s = c_m^\top m_t r_m / \max(\|c_m\|^2\|r_m\|^2, \epsilon_2)` with the
    softmaxes :math:`p', q'` at temperature ``tau``.

    Args:
      b1: momentum decay :math:`\beta_1`.
      b2: second-moment decay :math:`\beta_2`.
      g_norm_min: lower bound :math:`g_{\min}` of the gradient norm in the trust ratio.
      ratio_min: lower bound :math:`r_{\min}` of the trust ratio.
      tau: softmax temperature of the importance weights of the rank-one momentum.
      eps1: added to the debiased second moment under the square root.
      eps2: lower bound of the normalising denominators.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByAdaliteState`; needs params.

    References:
      VatsaDev. Adalite. 2024. https://github.com/VatsaDev/adalite
    """
    check_betas(b1, b2)
    check_nonnegative("eps1", eps1)
    check_nonnegative("eps2", eps2)
    check_positive("tau", tau)
    check_nonnegative("g_norm_min", g_norm_min)
    check_nonnegative("ratio_min", ratio_min)

    def as_matrix(x):
        return x.reshape(x.shape[0], -1)

    def init_fn(params):
        def full(p):
            return jnp.zeros_like(p) if p.ndim < 2 else jnp.zeros((1,), p.dtype)

        def factor(p, shape_fn):
            if p.ndim < 2:
                return jnp.zeros((1,), p.dtype)
            n, k = as_matrix(p).shape
            return jnp.zeros(shape_fn(n, k), p.dtype)

        def fac(shape_fn):
            return jax.tree.map(lambda p: factor(p, shape_fn), params)

        return ScaleByAdaliteState(
            count=jnp.zeros([], jnp.int32),
            m=jax.tree.map(full, params),
            v=jax.tree.map(full, params),
            v_row=fac(lambda n, k: (n,)),
            v_col=fac(lambda n, k: (k,)),
            m_col=fac(lambda n, k: (n, 1)),
            m_core=fac(lambda n, k: (1, 1)),
            m_row=fac(lambda n, k: (1, k)),
        )

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError("scale_by_adalite needs params")
        count = optax.safe_increment(state.count)

        def one(g, p, m, v, v_row, v_col, m_col, m_core, m_row):
            dtype = p.dtype
            g = g.astype(dtype)
            wide = jnp.promote_types(dtype, jnp.float32)  # fp32 at least, fp64 for fp64
            correction = (1 - jnp.asarray(b2, wide) ** count.astype(wide)).astype(dtype)
            if sum(g.shape) > 1:
                g_norm = jnp.maximum(jnp.linalg.norm(g.ravel()), g_norm_min)
                ratio = jnp.maximum(jnp.linalg.norm(p.ravel()) / g_norm, ratio_min)
                g = g * ratio.astype(dtype)
            if g.ndim < 2:
                m = b1 * m + (1 - b1) * g
                v = b2 * v + (1 - b2) * (g - m) ** 2
                u = (b1 * m + (1 - b1) * g) / jnp.sqrt(v / correction + eps1)
                return u.astype(dtype), m, v, v_row, v_col, m_col, m_core, m_row
            shape = g.shape
            g = as_matrix(g)
            r, c = v_row[:, None], v_col[None, :]
            v = r * c / jnp.maximum(jnp.sum(r), eps2)
            m = m_col @ m_core @ m_row
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * (g - m) ** 2
            row_mean, col_mean = jnp.mean(v, axis=1), jnp.mean(v, axis=0)
            imp = jax.nn.softmax(row_mean)[:, None] * jax.nn.softmax(col_mean)[None, :]
            m = m + (1 - imp) * (g - m)
            u = (b1 * m + (1 - b1) * g) / jnp.sqrt(v / correction + eps1)
            total = jnp.maximum(jnp.sum(v), eps2)
            imp_c = jax.nn.softmax(row_mean / tau)[:, None]
            imp_r = jax.nn.softmax(col_mean / tau)[None, :]
            new_col = jnp.sum(m * imp_r, axis=1)[:, None]
            new_row = jnp.sum(m * imp_c, axis=0)[None, :]
            norms = jnp.maximum(jnp.sum(new_col**2) * jnp.sum(new_row**2), eps2)
            core = (new_col.T @ m @ new_row.T) / norms
            return (
                u.reshape(shape).astype(dtype),
                m_placeholder(dtype),
                m_placeholder(dtype),
                jnp.sum(v, axis=1).astype(dtype),
                (jnp.sum(v, axis=0) / total).astype(dtype),
                new_col.astype(dtype),
                core.astype(dtype),
                new_row.astype(dtype),
            )

        def m_placeholder(dtype):
            return jnp.zeros((1,), dtype)

        fields = (state.m, state.v, state.v_row, state.v_col, state.m_col, state.m_core)
        outs = jax.tree.map(one, updates, params, *fields, state.m_row)
        treedef = jax.tree.structure(updates)
        flat = treedef.flatten_up_to(outs)
        pick = lambda i: treedef.unflatten([o[i] for o in flat])  # noqa: E731
        return pick(0), ScaleByAdaliteState(count, *(pick(i) for i in range(1, 8)))

    return optax.GradientTransformation(init_fn, update_fn)


# --- EmoFact (emofact): a sign step with factored RMS statistics, scaled by the loss trend. ---
from optzoo.transforms._emo import EmoLossEMA, emo_signals, init_loss_ema  # noqa: E402

__all__ += ["scale_by_emofact", "ScaleByEmoFactState"]


class ScaleByEmoFactState(NamedTuple):
    """State of :func:`scale_by_emofact`: leaves of rank >= 2 keep ``rows`` (``(n, 1, ...)``)
    and ``cols`` (``(1, ...)``) and ``(1,)`` placeholders in ``mu``/``nu``; others the
    reverse."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    ema: EmoLossEMA
    rows: Any
    cols: Any
    mu: Any
    nu: Any


def scale_by_emofact(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformationExtraArgs:
    r"""EmoFact's direction: the sign of an Adafactor- or Adam-scaled step, times a
    loss-trend drive :math:`d_t` (that of :func:`optzoo.scale_by_emonavi`).

    A leaf of rank >= 2 keeps EMAs (decay :math:`\beta_1`) of its row RMS
    :math:`\sqrt{\overline{g^2}^{\,\text{axes} \ge 1} + \epsilon}` and column RMS
    :math:`\sqrt{\overline{g^2}^{\,\text{axis } 0} + \epsilon}` and steps
    :math:`d_t \operatorname{sign}(g / (\sqrt{R C} + \epsilon))`; other leaves keep Adam's
    moments (no bias correction) and step :math:`d_t \operatorname{sign}(m / (\sqrt v +
    \epsilon))`. As the denominators are positive these signs are those of :math:`g` and
    :math:`m`; the statistics are kept as in the reference.

    Args:
      b1: decay of the row/column RMS (rank >= 2) and of the momentum (rank < 2).
      b2: second-moment decay (rank < 2).
      eps: regulariser of the RMS and of the denominators.

    Returns:
      A ``GradientTransformationExtraArgs`` with state :class:`ScaleByEmoFactState`;
      ``update`` needs ``value=`` (the loss).

    References:
      muooon. EmoNavi: an emotion-driven optimizer (EmoFact). 2025.
      https://github.com/muooon/EmoNavi
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)

    def init_fn(params):
        def rows(p):
            if p.ndim < 2:
                return jnp.zeros((1,), p.dtype)
            return jnp.zeros((p.shape[0],) + (1,) * (p.ndim - 1), p.dtype)

        def cols(p):
            return (
                jnp.zeros((1, *p.shape[1:]), p.dtype) if p.ndim >= 2 else jnp.zeros((1,), p.dtype)
            )

        def full(p):
            return jnp.zeros_like(p) if p.ndim < 2 else jnp.zeros((1,), p.dtype)

        return ScaleByEmoFactState(
            jnp.zeros([], jnp.int32),
            init_loss_ema(),
            jax.tree.map(rows, params),
            jax.tree.map(cols, params),
            jax.tree.map(full, params),
            jax.tree.map(full, params),
        )

    def update_fn(updates, state, params=None, *, value=None, **extra_args):
        del params, extra_args
        ema, drive, _, _ = emo_signals(state.ema, state.count, value, False)

        def one(g, r, c, m, v):
            d = drive.astype(g.dtype)
            if g.ndim >= 2:
                g2 = g * g
                r_sq = jnp.sqrt(jnp.mean(g2, axis=tuple(range(1, g.ndim)), keepdims=True) + eps)
                c_sq = jnp.sqrt(jnp.mean(g2, axis=0, keepdims=True) + eps)
                r = r + (1 - b1) * (r_sq - r)
                c = c + (1 - b1) * (c_sq - c)
                u = jnp.sign(g / (jnp.sqrt(r * c) + eps))
                return (d * u).astype(g.dtype), r, c, m, v
            m = m + (1 - b1) * (g - m)
            v = b2 * v + (1 - b2) * g * g
            u = jnp.sign(m / (jnp.sqrt(v) + eps))
            return (d * u).astype(g.dtype), r, c, m, v

        outs = jax.tree.map(one, updates, state.rows, state.cols, state.mu, state.nu)
        treedef = jax.tree.structure(updates)
        flat = treedef.flatten_up_to(outs)
        pick = lambda i: treedef.unflatten([o[i] for o in flat])  # noqa: E731
        new_state = ScaleByEmoFactState(
            optax.safe_increment(state.count), ema, pick(1), pick(2), pick(3), pick(4)
        )
        return pick(0), new_state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
