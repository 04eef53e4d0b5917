"""Layer-wise building blocks: the LARS/LAMB trust ratio and NovoGrad's per-layer moments."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from optax import ScaleByNovogradState

from optzoo.core.validation import check_nonnegative
from optzoo.transforms._moments import _check_betas, _is_none

__all__ = [
    "scale_by_novograd",
    "scale_by_trust_ratio",
    "bound_param_norm",
    "BoundParamNormState",
]


def scale_by_novograd(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.25,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mu_dtype: jax.typing.DTypeLike | None = None,
) -> optax.GradientTransformation:
    r"""NovoGrad scaling: layer-wise second moments of the gradient norm.

    Per leaf, with :math:`v_1 = \|g_1\|^2` and :math:`m_1 = g_1/\sqrt{v_1} + \lambda x_1`:

    .. math::
       v_t = \beta_2 v_{t-1} + (1-\beta_2)\|g_t\|^2,\quad
       m_t = \beta_1 m_{t-1} + \frac{g_t}{\sqrt{v_t+\epsilon_{root}}+\epsilon} + \lambda x_t,
       \quad u_t = m_t.

    Args:
      b1: decay of the first moment.
      b2: decay of the layer-wise second moment.
      eps: added to the denominator outside the square root.
      eps_root: added inside the square root.
      weight_decay: :math:`\lambda`, decoupled inside the momentum.
      mu_dtype: dtype of the first moment.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByNovogradState``; needs params.

    References:
      Ginsburg et al. Stochastic Gradient Methods with Layer-wise Adaptive Moments for
      Training of Deep Networks. 2019. https://arxiv.org/abs/1905.11286
    """
    _check_betas(b1=b1, b2=b2)
    check_nonnegative("eps", eps)
    mu_dtype = None if mu_dtype is None else jax.dtypes.canonicalize_dtype(mu_dtype)

    def init_fn(params):
        mu = optax.tree.zeros_like(params, dtype=mu_dtype)
        nu = jax.tree.map(lambda p: jnp.asarray(0.0, dtype=p.dtype), params)
        return ScaleByNovogradState(count=jnp.zeros([], jnp.int32), mu=mu, nu=nu)

    def sq_norm(g):
        return jnp.linalg.norm(g) ** 2

    def direction(g, p, v):
        return g / (jnp.sqrt(v + eps_root) + eps) + weight_decay * p

    def first_nu(grads, nu):
        return jax.tree.map(lambda g, n: sq_norm(g).astype(n.dtype), grads, nu)

    def next_nu(grads, nu):
        return optax.tree.update_moment(jax.tree.map(sq_norm, grads), nu, b2, 1)

    def first_mu(grads, params, mu, nu):
        del mu
        return jax.tree.map(direction, grads, params, nu)

    def next_mu(grads, params, mu, nu):
        d = jax.tree.map(direction, grads, params, nu)
        return jax.tree.map(lambda m, u: None if m is None else b1 * m + u, mu, d, is_leaf=_is_none)

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError("scale_by_novograd needs params")
        count_inc = optax.safe_increment(state.count)
        nu = jax.lax.cond(count_inc == 1, first_nu, next_nu, updates, state.nu)
        mu = jax.lax.cond(count_inc == 1, first_mu, next_mu, updates, params, state.mu, nu)
        mu = optax.tree.cast(mu, mu_dtype)
        return mu, ScaleByNovogradState(count=count_inc, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_trust_ratio(
    min_norm: jax.typing.ArrayLike = 0.0,
    trust_coefficient: jax.typing.ArrayLike = 1.0,
    eps: jax.typing.ArrayLike = 0.0,
) -> optax.GradientTransformation:
    r"""Layer-wise trust ratio (LARS / LAMB): :math:`u \leftarrow u \cdot c\|x\|/(\|u\|+\epsilon)`.

    Norms are clipped below at ``min_norm``; where either norm is zero the ratio is 1.

    Args:
      min_norm: lower clip of both norms.
      trust_coefficient: :math:`c`.
      eps: added to the update norm.

    Returns:
      A stateless ``GradientTransformation``; needs params.

    References:
      You, Gitman, Ginsburg. Large Batch Training of Convolutional Networks. 2017.
      https://arxiv.org/abs/1708.03888
    """
    check_nonnegative("min_norm", min_norm)
    check_nonnegative("eps", eps)

    def scale_one(u, p):
        p_norm = optax.safe_norm(p, min_norm)
        u_norm = optax.safe_norm(u, min_norm)
        ratio = trust_coefficient * p_norm / (u_norm + eps)
        zero = jnp.logical_or(p_norm == 0.0, u_norm == 0.0)
        return u * jnp.where(zero, jnp.array(1.0, dtype=p.dtype), ratio)

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError("scale_by_trust_ratio needs params")
        return jax.tree.map(scale_one, updates, params), state

    return optax.GradientTransformation(optax.init_empty_state, update_fn)


class BoundParamNormState(NamedTuple):
    """Each leaf's norm limit: ``relative_bound`` times its norm at ``init``."""

    max_norm: Any


def bound_param_norm(relative_bound: float) -> optax.GradientTransformation:
    r"""Caps each leaf's norm after the update at ``relative_bound`` times its initial norm.

    With :math:`x' = x + u` and :math:`c` the leaf's limit, the update becomes
    :math:`x' \min(1, c / \|x'\|) - x` (the whole tensor is one layer). Fromage's
    ``p_bound``; it needs ``params``.

    Args:
      relative_bound: the limit as a multiple of each leaf's norm at ``init`` (>= 0).

    Returns:
      A ``GradientTransformation`` with state :class:`BoundParamNormState`.

    References:
      Jeremy Bernstein, Arash Vahdat, Yisong Yue, Ming-Yu Liu. On the distance between two
      neural networks and the stability of learning. 2020. https://arxiv.org/abs/2002.03432
    """
    check_nonnegative("relative_bound", relative_bound)

    def init_fn(params):
        limit = jax.tree.map(lambda x: relative_bound * jnp.linalg.norm(x.ravel()), params)
        return BoundParamNormState(max_norm=limit)

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("bound_param_norm needs params: call update(grads, state, params)")

        def cap(u, x, limit):
            y = x + u
            n = jnp.linalg.norm(y.ravel())
            y = jnp.where(n > limit, y * (limit / jnp.where(n > 0, n, 1)), y)
            return (y - x).astype(u.dtype)

        return jax.tree.map(cap, updates, params, state.max_norm), state

    return optax.GradientTransformation(init_fn, update_fn)


def _neuron_norm(x: jax.Array) -> jax.Array:
    """Each output neuron's norm: :math:`|x|` for scalars and vectors, else the norm over all
    axes but the first, kept as a ``(n, 1, ..., 1)`` array."""
    if x.ndim <= 1:
        return jnp.abs(x)
    return jnp.sqrt(jnp.sum(_sq(x), axis=tuple(range(1, x.ndim)), keepdims=True))


def _sq(x: jax.Array) -> jax.Array:
    return x * x


def _centre_normalise(x: jax.Array, eps: jax.typing.ArrayLike) -> jax.Array:
    """Each neuron (slice along the first axis) minus its mean, over its norm plus ``eps``."""
    x = x - jnp.mean(x, axis=tuple(range(1, x.ndim)), keepdims=True)
    return x / (_neuron_norm(x) + eps)


class ScaleByNeroState(NamedTuple):
    """Step count, per-neuron EMA of the squared gradient norms, and each leaf's scale."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    nu: Any
    scale: Any


def scale_by_nero(
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    constraints: bool = True,
) -> optax.GradientTransformation:
    r"""Nero's per-neuron normalised gradient, times each leaf's initial neuron scale.

    For each neuron :math:`i` (a slice along the first axis of a rank >= 2 leaf; each entry
    of a scalar or vector leaf is its own neuron),

    .. math::
       v_{t,i} = \beta v_{t-1,i} + (1 - \beta) \|g_{t,i}\|^2,\qquad
       u_{t,i} = \sigma\, \frac{g_{t,i}}{\sqrt{v_{t,i} / (1 - \beta^t)} + \epsilon}

    with :math:`\sigma` the mean neuron norm of the leaf at ``init`` (after centring and
    normalising when ``constraints`` and rank >= 2, so about 1 there; 0.01 when it is 0).
    0/0 gives 0. Pair with :func:`centre_normalise_neurons` for the constraint.

    Args:
      b2: decay :math:`\beta` of the squared neuron norms, in ``[0, 1]``.
      eps: added to the denominator (and to the norms of the constraint).
      constraints: whether rank >= 2 leaves are constrained (it only sets :math:`\sigma`).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByNeroState`.

    References:
      Yang Liu, Jeremy Bernstein, Markus Meister, Yisong Yue. Learning by Turning: Neural
      Architecture Aware Optimisation. 2021. https://arxiv.org/abs/2102.07227
    """
    from optzoo.core.validation import check_range

    check_range("b2", b2, 0.0, 1.0)
    check_nonnegative("eps", eps)

    def init_fn(params):
        def scale(p):
            x = _centre_normalise(p, jnp.asarray(eps, p.dtype)) if constraints and p.ndim > 1 else p
            s = jnp.mean(_neuron_norm(x))
            return jnp.where(s == 0, jnp.asarray(0.01, s.dtype), s)

        nu = jax.tree.map(lambda p: jnp.zeros_like(_neuron_norm(p)), params)
        return ScaleByNeroState(jnp.zeros([], jnp.int32), nu, jax.tree.map(scale, params))

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)

        # The hyperparameters as arrays of the leaf's type: the same bits whether they come
        # as Python floats or injected (optax.inject_hyperparams) arrays.
        def ema(g, v):
            b = jnp.asarray(b2, v.dtype)
            return b * v + (1 - b) * _sq(_neuron_norm(g)).astype(v.dtype)

        nu = jax.tree.map(ema, updates, state.nu)

        def one(g, v, s):
            wide = jnp.promote_types(v.dtype, jnp.float32)
            correction = (1 - jnp.asarray(b2, wide) ** count.astype(wide)).astype(v.dtype)
            denom = jnp.sqrt(v / correction) + jnp.asarray(eps, v.dtype)
            u = jnp.nan_to_num(g / denom, nan=0.0)
            return (u * s).astype(g.dtype)

        out = jax.tree.map(one, updates, nu, state.scale)
        return out, ScaleByNeroState(count, nu, state.scale)

    return optax.GradientTransformation(init_fn, update_fn)


class CentreNormaliseNeuronsState(NamedTuple):
    """Step count (the first step also projects the initial parameters)."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count


def centre_normalise_neurons(eps: jax.typing.ArrayLike = 1e-8) -> optax.GradientTransformation:
    r"""Nero's constraint: after the update, every neuron of each rank >= 2 leaf has zero mean
    and unit norm (:math:`x \leftarrow (x - \bar x) / (\|x - \bar x\| + \epsilon)` per slice
    along the first axis); scalars and vectors pass unchanged. On the first step the
    parameters are projected before the update too (Nero projects at initialisation), so
    the update is :math:`P(P(x) + u) - x` then, :math:`P(x + u) - x` after. Needs params.

    Args:
      eps: added to each neuron's norm.

    Returns:
      A ``GradientTransformation`` with state :class:`CentreNormaliseNeuronsState`.

    References:
      Yang Liu, Jeremy Bernstein, Markus Meister, Yisong Yue. Learning by Turning: Neural
      Architecture Aware Optimisation. 2021. https://arxiv.org/abs/2102.07227
    """
    check_nonnegative("eps", eps)

    def init_fn(params):
        del params
        return CentreNormaliseNeuronsState(jnp.zeros([], jnp.int32))

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError(
                "centre_normalise_neurons needs params: call update(grads, state, params)"
            )
        first = state.count == 0

        def one(u, x):
            if x.ndim <= 1:
                return u
            e = jnp.asarray(eps, x.dtype)
            start = jnp.where(first, _centre_normalise(x, e), x)
            return (_centre_normalise(start + u, e) - x).astype(u.dtype)

        out = jax.tree.map(one, updates, params)
        return out, CentreNormaliseNeuronsState(optax.safe_increment(state.count))

    return optax.GradientTransformation(init_fn, update_fn)


__all__ += [
    "scale_by_nero",
    "ScaleByNeroState",
    "centre_normalise_neurons",
    "CentreNormaliseNeuronsState",
]
