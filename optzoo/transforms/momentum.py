"""Momentum building blocks."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from optax import TraceState

from optzoo.core.validation import check_range, check_unit_interval

__all__ = [
    "trace",
    "scale_by_qhm",
    "ScaleByQHMState",
    "scale_by_aggmo",
    "ScaleByAggMoState",
    "scale_by_pnm",
    "ScaleByPNMState",
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


class ScaleByVSGDState(NamedTuple):
    """Step count, the posterior mean of the true gradient and the two variance rates of
    :func:`scale_by_vsgd`."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    mu: Any
    b_g: Any
    b_hat_g: Any


def scale_by_vsgd(
    ghattg: jax.typing.ArrayLike = 30.0,
    ps: jax.typing.ArrayLike = 1e-8,
    tau1: jax.typing.ArrayLike = 0.81,
    tau2: jax.typing.ArrayLike = 0.9,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""Variational SGD: the gradient's posterior mean under a Gaussian model, normalised.

    Element-wise, the true gradient :math:`g` has prior :math:`\mathcal N(\mu_{t-1},
    \sigma_g^2)` and the observed gradient :math:`\hat g_t` is :math:`\mathcal N(g,
    \sigma_{\hat g}^2)`; the variances have inverse-gamma posteriors with shape :math:`a =
    1 + 2 p_s + 10^{-4}` and rates :math:`b_g`, :math:`b_{\hat g}` (initially
    :math:`2 p_s` and :math:`2 \gamma p_s`, :math:`\gamma` = ``ghattg``). With
    :math:`s_g = b_g / a`, :math:`s_{\hat g} = b_{\hat g} / a` (on the first step the
    prior's :math:`b / (a - 1)`):

    .. math::
       \mu_t = \frac{s_{\hat g} \mu_{t-1} + s_g \hat g_t}{s_g + s_{\hat g}},\quad
       \sigma_t^2 = \frac{s_g s_{\hat g}}{s_g + s_{\hat g}},\quad
       q_t = \mu_t^2 + \sigma_t^2,\\
       b_g \leftarrow (1-\rho_{1,t}) b_g + \rho_{1,t}\,(2p_s + q_t - 2\mu_t\mu_{t-1}
       + \mu_{t-1}^2),\\
       b_{\hat g} \leftarrow (1-\rho_{2,t}) b_{\hat g} + \rho_{2,t}\,(2\gamma p_s + q_t
       - 2\hat g_t \mu_t + \hat g_t^2),\\
       u_t = \mu_t / (\sqrt{q_t} + \epsilon),\qquad \rho_{i,t} = t^{-\tau_i}.

    Any leaf shape.

    Args:
      ghattg: :math:`\gamma`, the prior ratio of the observation noise to the gradient's
        drift (>= 0).
      ps: :math:`p_s`, the prior strength (>= 0).
      tau1: decay exponent of the drift variance's step size (>= 0).
      tau2: decay exponent of the noise variance's step size (>= 0).
      eps: added to the root.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByVSGDState`.

    References:
      Haotian Chen, Anna Kuzina, Babak Esmaeili, Jakub M. Tomczak. Variational Stochastic
      Gradient Descent for Deep Neural Networks. 2024. https://arxiv.org/abs/2404.06549
    """
    for name, value in (("ghattg", ghattg), ("ps", ps), ("tau1", tau1), ("tau2", tau2)):
        check_range(name, value, 0.0)
    check_range("eps", eps, 0.0)
    a = 2.0 * ps + 1.0 + 1e-4
    prior_g, prior_hat_g = 2.0 * ps, 2.0 * ghattg * ps

    def init_fn(params):
        return ScaleByVSGDState(
            jnp.zeros([], jnp.int32),
            optax.tree.zeros_like(params),
            jax.tree.map(lambda p: jnp.full_like(p, prior_g), params),
            jax.tree.map(lambda p: jnp.full_like(p, prior_hat_g), params),
        )

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        first = count == 1

        def one(g, mu_prev, bg, bhg):
            wide = jnp.promote_types(g.dtype, jnp.float32)
            t = count.astype(wide)
            rho1 = jnp.power(t, -jnp.asarray(tau1, wide)).astype(g.dtype)
            rho2 = jnp.power(t, -jnp.asarray(tau2, wide)).astype(g.dtype)
            sg = jnp.where(first, prior_g / (a - 1.0), bg / a)
            shg = jnp.where(first, prior_hat_g / (a - 1.0), bhg / a)
            mu = (mu_prev * shg + g * sg) / (sg + shg)
            q = mu * mu + (sg * shg) / (sg + shg)
            bg2 = prior_g + q - 2.0 * mu * mu_prev + mu_prev * mu_prev
            bhg2 = prior_hat_g + q - 2.0 * g * mu + g * g
            bg = bg + rho1 * (bg2 - bg)
            bhg = bhg + rho2 * (bhg2 - bhg)
            return (mu / (jnp.sqrt(q) + eps)).astype(g.dtype), mu, bg, bhg

        out = jax.tree.map(one, updates, state.mu, state.b_g, state.b_hat_g)
        pick = lambda i: jax.tree.map(lambda _, o: o[i], updates, out)  # noqa: E731
        return pick(0), ScaleByVSGDState(count, pick(1), pick(2), pick(3))

    return optax.GradientTransformation(init_fn, update_fn)


__all__ += ["scale_by_vsgd", "ScaleByVSGDState"]
