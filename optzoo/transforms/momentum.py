"""Momentum building blocks."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from optax import TraceState

from optzoo.core.validation import check_range, check_unit_interval
from optzoo.transforms._moments import _optax_state

__all__ = [
    "trace",
    "scale_by_qhm",
    "ScaleByQHMState",
    "scale_by_aggmo",
    "ScaleByAggMoState",
    "scale_by_pnm",
    "ScaleByPNMState",
    "scale_by_optimistic_gradient",
]


def _is_none(x: Any) -> bool:
    return x is None


def trace(
    decay: jax.typing.ArrayLike,
    nesterov: bool = False,
    accumulator_dtype: Any | None = None,
) -> optax.GradientTransformation:
    r"""Heavy-ball trace of past updates, optionally with Nesterov's look-ahead.

    .. math::
       t_k = g_k + \mu\, t_{k-1}, \qquad
       u_k = t_k \;\text{(heavy ball)}, \qquad u_k = g_k + \mu\, t_k \;\text{(Nesterov)}.

    Args:
      decay: the momentum :math:`\mu`, in ``[0, 1]``.
      nesterov: use the Nesterov form.
      accumulator_dtype: dtype of the trace; ``None`` follows the parameters.

    Returns:
      A ``GradientTransformation`` whose state is ``optax.TraceState``.

    References:
      Polyak. Some methods of speeding up the convergence of iteration methods. 1964.
      Sutskever, Martens, Dahl, Hinton. On the importance of initialization and momentum
      in deep learning. 2013. https://proceedings.mlr.press/v28/sutskever13.html
    """
    check_range("decay", decay, 0.0, 1.0)
    accumulator_dtype = (
        None if accumulator_dtype is None else jax.dtypes.canonicalize_dtype(accumulator_dtype)
    )

    def init_fn(params):
        return TraceState(trace=optax.tree.zeros_like(params, dtype=accumulator_dtype))

    def update_fn(updates, state, params=None):
        del params
        f = lambda g, t: g + decay * t
        new_trace = jax.tree.map(
            lambda g, t: None if g is None else f(g, t), updates, state.trace, is_leaf=_is_none
        )
        updates = jax.tree.map(f, updates, new_trace) if nesterov else new_trace
        return updates, TraceState(trace=optax.tree.cast(new_trace, accumulator_dtype))

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByQHMState(NamedTuple):
    """The momentum buffer of :func:`scale_by_qhm` (an EMA of the gradients)."""

    momentum: Any


def scale_by_qhm(momentum: jax.typing.ArrayLike = 0.999, nu: jax.typing.ArrayLike = 0.7):
    r"""Quasi-hyperbolic momentum: a weighted average of the gradient and its EMA.

    .. math::
       b_k = \beta\, b_{k-1} + (1 - \beta)\, g_k, \qquad u_k = \nu\, b_k + (1 - \nu)\, g_k.

    :math:`\nu = 1` is an EMA momentum (normalised heavy ball), :math:`\nu = 0` plain SGD;
    :math:`\nu = \beta` gives Nesterov's method up to a rescaling of the learning rate.

    Args:
      momentum: the EMA decay :math:`\beta`, in ``[0, 1]``.
      nu: the weight :math:`\nu` of the EMA, in ``[0, 1]``.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByQHMState`.

    References:
      Jerry Ma, Denis Yarats. Quasi-hyperbolic momentum and Adam for deep learning. 2018.
      https://arxiv.org/abs/1810.06801
    """
    check_unit_interval("momentum", momentum)
    check_unit_interval("nu", nu)

    def init_fn(params):
        return ScaleByQHMState(momentum=optax.tree.zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        buf = jax.tree.map(lambda g, b: momentum * b + (1 - momentum) * g, updates, state.momentum)
        out = jax.tree.map(lambda g, b: nu * b + (1 - nu) * g, updates, buf)
        return out, ScaleByQHMState(momentum=buf)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByAggMoState(NamedTuple):
    """One momentum buffer per damping factor of :func:`scale_by_aggmo`."""

    momenta: tuple


def scale_by_aggmo(betas: tuple[float, ...] = (0.0, 0.9, 0.99)):
    r"""Aggregated momentum: the mean of several heavy-ball buffers with different dampings.

    .. math::
       b^{(i)}_k = \beta_i\, b^{(i)}_{k-1} + g_k, \qquad
       u_k = \frac{1}{K} \sum_{i=1}^{K} b^{(i)}_k.

    Args:
      betas: the :math:`K` damping factors, each in ``[0, 1]``.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByAggMoState` (``K`` trees).

    References:
      James Lucas, Shengyang Sun, Richard Zemel, Roger Grosse. Aggregated Momentum:
      Stability Through Passive Damping. 2018. https://arxiv.org/abs/1804.00325
    """
    betas = tuple(betas)
    if not betas:
        raise ValueError("betas must hold at least one damping factor")
    for i, b in enumerate(betas):
        check_unit_interval(f"beta{i + 1} (betas[{i}])", b)

    def init_fn(params):
        return ScaleByAggMoState(momenta=tuple(optax.tree.zeros_like(params) for _ in betas))

    def update_fn(updates, state, params=None):
        del params
        momenta = tuple(
            jax.tree.map(lambda g, m, b=b: b * m + g, updates, buf)
            for b, buf in zip(betas, state.momenta, strict=True)
        )
        out = jax.tree.map(
            lambda *ms: sum(ms[1:], ms[0]) / jnp.asarray(len(ms), ms[0].dtype), *momenta
        )
        return out, ScaleByAggMoState(momenta=momenta)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByPNMState(NamedTuple):
    """Step count and the two alternating momentum buffers of :func:`scale_by_pnm`."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    odd: Any
    even: Any


def scale_by_pnm(b1: jax.typing.ArrayLike = 0.9, b0: jax.typing.ArrayLike = 1.0):
    r"""Positive-negative momentum: two momenta fed on alternate steps, one added, one
    subtracted, which enlarges the gradient noise the way a smaller batch would.

    On odd steps the buffer :math:`m^{\text{odd}}` takes the gradient, on even steps
    :math:`m^{\text{even}}`; with :math:`m^+` the buffer just fed and :math:`m^-` the other,

    .. math::
       m^+_t = \beta_1^2 m^+_{t-2} + (1 - \beta_1^2) g_t,\qquad
       u_t = \frac{(1 + \beta_0) m^+_t - \beta_0 m^-_{t-1}}{\sqrt{(1 + \beta_0)^2 + \beta_0^2}}.

    Args:
      b1: momentum decay :math:`\beta_1` in ``[0, 1)`` (each buffer decays by its square,
        as it is fed every other step).
      b0: the positive-negative weight :math:`\beta_0 \ge 0` (0: EMA momentum).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByPNMState`.

    References:
      Zeke Xie, Li Yuan, Zhanxing Zhu, Masashi Sugiyama. Positive-Negative Momentum:
      Manipulating Stochastic Gradient Noise to Improve Generalization. 2021.
      https://arxiv.org/abs/2103.17182
    """
    check_range("b1", b1, 0.0, 1.0, high_open=True)
    check_range("b0", b0, 0.0)
    decay = b1 * b1
    norm = ((1 + b0) ** 2 + b0**2) ** 0.5

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        return ScaleByPNMState(jnp.zeros([], jnp.int32), zeros, zeros)

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        odd_step = count % 2 == 1

        def one(g, odd, even):
            pos = jnp.where(odd_step, odd, even)
            neg = jnp.where(odd_step, even, odd)
            pos = decay * pos + (1 - decay) * g
            u = ((1 + b0) * pos - b0 * neg) / norm
            return u, jnp.where(odd_step, pos, odd), jnp.where(odd_step, even, pos)

        out = jax.tree.map(one, updates, state.odd, state.even)
        # ``out`` holds a (update, odd, even) tuple where ``updates`` holds a leaf.
        pick = lambda i: jax.tree.map(lambda _, o: o[i], updates, out)  # noqa: E731
        return pick(0), ScaleByPNMState(count, pick(1), pick(2))

    return optax.GradientTransformation(init_fn, update_fn)


# ------------------------------------------------------------ optimistic gradient (optax)

# optax's state class (not exported at the top level).
ScaleByOptimisticGradientState = _optax_state(
    "ScaleByOptimisticGradientState", ("is_initial_step", "previous_gradient")
)


def scale_by_optimistic_gradient(
    alpha: jax.typing.ArrayLike = 1.0, beta: jax.typing.ArrayLike = 1.0
) -> optax.GradientTransformation:
    r"""Generalized optimistic gradient: the current gradient plus a negative momentum.

    .. math::
       u_t = (\alpha + \beta)\, g_t - \beta\, g_{t-1},\qquad g_0 := g_1

    (on the first step there is no previous gradient and :math:`u_1 = \alpha g_1`). Applied
    leaf by leaf to leaves of any rank. ``alpha = 1, beta = 1`` is optimistic gradient
    descent (OGDA), :math:`2 g_t - g_{t-1}`; ``beta = 0`` is plain gradient descent. The
    same numbers and state class (``optax.ScaleByOptimisticGradientState``) as optax's block.

    Args:
      alpha: coefficient :math:`\alpha` of the current gradient.
      beta: coefficient :math:`\beta` of the negative momentum.

    Returns:
      A ``GradientTransformation`` whose state is ``optax.ScaleByOptimisticGradientState``
      (a first-step flag and the last gradient).

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.scale_by_optimistic_gradient(alpha=1.0, beta=1.0)
      >>> updates, state = tx.update(jnp.ones(2), tx.init(jnp.zeros(2)))

    References:
      Aryan Mokhtari, Asuman Ozdaglar, Sarath Pattathil. A Unified Analysis of
      Extra-gradient and Optimistic Gradient Methods for Saddle Point Problems: Proximal
      Point Approach. 2019. https://arxiv.org/abs/1901.08511
    """

    def init_fn(params):
        return ScaleByOptimisticGradientState(
            is_initial_step=jnp.array(True),
            previous_gradient=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params

        def one(g, prev):
            # No previous gradient on the first step: the current one stands in for it.
            prev = jnp.where(state.is_initial_step, g, prev)
            return (alpha + beta) * g - beta * prev

        new = jax.tree.map(one, updates, state.previous_gradient)
        return new, ScaleByOptimisticGradientState(
            is_initial_step=jnp.array(False), previous_gradient=updates
        )

    return optax.GradientTransformation(init_fn, update_fn)
