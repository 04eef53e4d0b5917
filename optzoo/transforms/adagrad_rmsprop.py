"""Per-coordinate scaling by accumulated squared gradients: the Adagrad/RMSProp line.

RMSProp (plain and centred), the root of the sum of squares (Adagrad), Adadelta and
MADGRAD's dual-averaged cube-root scaling. Each gives the numbers of its optax (or
``optax.contrib``) namesake and keeps its state class.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from optax import ScaleByAdaDeltaState, ScaleByRmsState, ScaleByRssState, ScaleByRStdDevState
from optax.contrib import MadgradState

from optzoo.core.validation import check_decay, check_nonnegative, check_unit_interval
from optzoo.transforms._moments import _debias, _ema, _map, _optax_state, _square, _value

__all__ = [
    "scale_by_kate",
    "ScaleByKateState",
    "scale_by_rms",
    "scale_by_stddev",
    "scale_by_rss",
    "scale_by_adadelta",
    "scale_by_madgrad",
    "ScaleByMirrorMadgradState",
    "scale_by_mirror_madgrad",
]


# optax's state when bias correction is on; optax does not export these two.
ScaleByRmsWithCountState = _optax_state("ScaleByRmsWithCountState", ("count", "nu"))


ScaleByRStdDevWithCountState = _optax_state("ScaleByRStdDevWithCountState", ("count", "mu", "nu"))


def scale_by_rms(
    decay: jax.typing.ArrayLike = 0.9,
    eps: jax.typing.ArrayLike = 1e-8,
    initial_scale: jax.typing.ArrayLike = 0.0,
    eps_in_sqrt: bool = True,
    bias_correction: bool = False,
) -> optax.GradientTransformation:
    r"""Scales updates by the root of a moving average of squared gradients (RMSProp).

    .. math::
       v_t = \rho v_{t-1} + (1-\rho) g_t^2, \quad
       u_t = \frac{g_t}{\sqrt{\hat v_t + \epsilon}} \;\text{or}\;
       \frac{g_t}{\sqrt{\hat v_t} + \epsilon}\;(\texttt{eps\_in\_sqrt=False}),

    with :math:`\hat v_t = v_t / (1-\rho^t)` when ``bias_correction`` else :math:`v_t`.

    Args:
      decay: :math:`\rho`, in ``[0, 1)``.
      eps: stabiliser :math:`\epsilon`, ``>= 0``.
      initial_scale: initial value :math:`v_0`, ``>= 0``.
      eps_in_sqrt: add :math:`\epsilon` inside the square root (optax's default).
      bias_correction: divide :math:`v_t` by :math:`1-\rho^t` (adds a step count).

    Returns:
      A ``GradientTransformation``; state ``optax.ScaleByRmsState`` (with a ``count``
      field when ``bias_correction``).

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_rms(decay=0.99, eps_in_sqrt=False)

    References:
      Tieleman, Hinton. Neural Networks for Machine Learning, Lecture 6e: rmsprop. 2012.
      https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf
    """
    return _scale_by_rms(decay, eps, initial_scale, eps_in_sqrt, bias_correction, centered=False)


def scale_by_stddev(
    decay: jax.typing.ArrayLike = 0.9,
    eps: jax.typing.ArrayLike = 1e-8,
    initial_scale: jax.typing.ArrayLike = 0.0,
    eps_in_sqrt: bool = True,
    bias_correction: bool = False,
) -> optax.GradientTransformation:
    r"""Scales updates by a running estimate of the gradient's standard deviation.

    Centered RMSProp (Graves 2013):

    .. math::
       m_t = \rho m_{t-1} + (1-\rho) g_t, \quad v_t = \rho v_{t-1} + (1-\rho) g_t^2, \quad
       u_t = \frac{g_t}{\sqrt{\hat v_t - \hat m_t^2 + \epsilon}}

    (``eps_in_sqrt=False``: :math:`g_t / (\sqrt{\hat v_t - \hat m_t^2} + \epsilon)`), with
    both moments divided by :math:`1-\rho^t` when ``bias_correction``.

    Args:
      as :func:`scale_by_rms`; ``bias_correction`` corrects both moments.

    Returns:
      A ``GradientTransformation``; state ``optax.ScaleByRStdDevState`` (with a
      ``count`` field when ``bias_correction``).

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_stddev(decay=0.95)

    References:
      Graves. Generating Sequences With Recurrent Neural Networks (eq. 38-45). 2013.
      https://arxiv.org/abs/1308.0850
    """
    return _scale_by_rms(decay, eps, initial_scale, eps_in_sqrt, bias_correction, centered=True)


def _scale_by_rms(
    decay: jax.typing.ArrayLike,
    eps: jax.typing.ArrayLike,
    initial_scale: jax.typing.ArrayLike,
    eps_in_sqrt: bool,
    bias_correction: bool,
    *,
    centered: bool,
) -> optax.GradientTransformation:
    """:func:`scale_by_rms`, or with ``centered`` :func:`scale_by_stddev` (optax's states)."""
    # decay 1 freezes the average (legal in optax); with bias correction it divides by 0.
    (check_decay if bias_correction else check_unit_interval)("decay", decay)
    check_nonnegative("eps", eps)
    check_nonnegative("initial_scale", initial_scale)
    if centered:
        state_class = ScaleByRStdDevWithCountState if bias_correction else ScaleByRStdDevState
    else:
        state_class = ScaleByRmsWithCountState if bias_correction else ScaleByRmsState

    def with_count(count, moments):
        return state_class(count=count, **moments) if bias_correction else state_class(**moments)

    def init_fn(params):
        moments = {"nu": optax.tree.full_like(params, initial_scale)}
        if centered:
            moments["mu"] = optax.tree.zeros_like(params)
        return with_count(jnp.zeros([], jnp.int32), moments)

    def update_fn(updates, state, params=None):
        del params
        moments = {"nu": _ema(_map(_square, updates), state.nu, decay)}
        if centered:
            moments["mu"] = _ema(updates, state.mu, decay)
        count = optax.safe_increment(state.count) if bias_correction else None
        hat = {k: _debias(m, decay, count) if bias_correction else m for k, m in moments.items()}
        if centered:
            variance = _map(lambda m, v: v - _square(m), hat["mu"], hat["nu"])
        else:
            variance = hat["nu"]
        if eps_in_sqrt:
            scaling = _map(lambda v: jax.lax.rsqrt(v + eps), variance)
        else:
            scaling = _map(lambda v: 1 / (jnp.sqrt(v) + eps), variance)
        updates = _map(lambda g, s: s * g, updates, scaling)
        return updates, with_count(count, moments)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_rss(
    initial_accumulator_value: jax.typing.ArrayLike = 0.1,
    eps: jax.typing.ArrayLike = 1e-7,
    *,
    eps_in_sqrt: bool = True,
) -> optax.GradientTransformation:
    r"""Scales updates by the root of the sum of all squared gradients so far (Adagrad).

    .. math::
       s_t = s_{t-1} + g_t^2, \quad u_t = \frac{g_t}{\sqrt{s_t + \epsilon}}
       \;(u_t = 0 \text{ where } s_t = 0).

    Args:
      initial_accumulator_value: :math:`s_0`, ``>= 0``.
      eps: stabiliser :math:`\epsilon` inside the square root, ``>= 0``.
      eps_in_sqrt: ``False`` puts :math:`\epsilon` outside the root,
        :math:`u_t = g_t/(\sqrt{s_t} + \epsilon)` (the paper's :math:`\delta`, PyTorch's form).

    Returns:
      A ``GradientTransformation`` whose state is ``optax.ScaleByRssState``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_rss(initial_accumulator_value=0.0)

    References:
      Duchi, Hazan, Singer. Adaptive Subgradient Methods for Online Learning and
      Stochastic Optimization. JMLR 12, 2011. https://jmlr.org/papers/v12/duchi11a.html
    """
    check_nonnegative("initial_accumulator_value", initial_accumulator_value)
    check_nonnegative("eps", eps)

    def init_fn(params):
        return ScaleByRssState(
            sum_of_squares=optax.tree.full_like(params, initial_accumulator_value)
        )

    def update_fn(updates, state, params=None):
        del params
        # |g|^2 as conj(g) * g, optax's form (it differs from g**2 on boolean leaves).
        sum_of_squares = _map(
            lambda g, s: (jnp.conj(g) * g).real + s, updates, state.sum_of_squares
        )

        def inverse_root(s):
            if eps_in_sqrt:
                return jax.lax.rsqrt(s + eps)
            return 1.0 / (jnp.sqrt(s) + eps)

        updates = _map(
            lambda g, s: jnp.where(s > 0, inverse_root(s), 0.0) * g,
            updates,
            sum_of_squares,
        )
        return updates, ScaleByRssState(sum_of_squares=sum_of_squares)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_adadelta(
    rho: jax.typing.ArrayLike = 0.9, eps: jax.typing.ArrayLike = 1e-6
) -> optax.GradientTransformation:
    r"""Scales updates by Adadelta's ratio of update RMS to gradient RMS.

    .. math::
       E[g^2]_t = \rho E[g^2]_{t-1} + (1-\rho) g_t^2, \quad
       u_t = \frac{\sqrt{E[\Delta x^2]_{t-1} + \epsilon}}{\sqrt{E[g^2]_t + \epsilon}}\, g_t,
       \quad E[\Delta x^2]_t = \rho E[\Delta x^2]_{t-1} + (1-\rho) u_t^2.

    Args:
      rho: decay :math:`\rho` of both running averages, in ``[0, 1)``.
      eps: stabiliser :math:`\epsilon`, ``>= 0``.

    Returns:
      A ``GradientTransformation`` whose state is ``optax.ScaleByAdaDeltaState``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_adadelta(rho=0.95)

    References:
      Zeiler. ADADELTA: An Adaptive Learning Rate Method. 2012.
      https://arxiv.org/abs/1212.5701
    """
    check_unit_interval("rho", rho)  # 1 freezes both averages (legal in optax)
    check_nonnegative("eps", eps)

    def init_fn(params):
        return ScaleByAdaDeltaState(
            e_g=optax.tree.zeros_like(params), e_x=optax.tree.zeros_like(params)
        )

    def update_fn(updates, state, params=None):
        del params
        e_g = _ema(_map(lambda g: g**2, updates), state.e_g, rho)
        updates = _map(
            lambda g, eg, ex: (jnp.sqrt(ex + eps) / jnp.sqrt(eg + eps)) * g,
            updates,
            e_g,
            state.e_x,
        )
        e_x = _ema(_map(lambda u: u**2, updates), state.e_x, rho)
        return updates, ScaleByAdaDeltaState(e_g=e_g, e_x=e_x)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_madgrad(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float = 0.9,
    eps: float = 1e-6,
) -> optax.GradientTransformation:
    r"""MADGRAD: momentumised, adaptive dual averaging; emits the full (negative) step.

    With :math:`\lambda_k = (\eta_k + \epsilon)\sqrt{k+1}`:

    .. math::
       S_{k+1} = S_k + \lambda_k g_k,\quad \nu_{k+1} = \nu_k + \lambda_k g_k^2,\quad
       z_{k+1} = x_0 - S_{k+1}/(\nu_{k+1}^{1/3} + \epsilon),\\
       x_{k+1} = (1-c)\, x_k + c\, z_{k+1}\quad (c = 1 - \text{momentum}).

    Args:
      learning_rate: :math:`\eta` (scalar or schedule).
      momentum: weight of the previous iterate.
      eps: stabiliser of the learning rate and the cube root.

    Returns:
      A ``GradientTransformation`` with state ``optax.contrib.MadgradState``; needs params.

    References:
      Defazio, Jelassi. Adaptivity without Compromise: A Momentumized, Adaptive, Dual
      Averaged Gradient Method for Stochastic Optimization. 2021.
      https://arxiv.org/abs/2101.11075
    """
    check_nonnegative("eps", eps)

    def init_fn(params):
        return MadgradState(
            count=jnp.zeros([], jnp.int32),
            grad_sum_sq=optax.tree.zeros_like(params),
            s=optax.tree.zeros_like(params),
            x0=jax.tree.map(lambda x: x, params),
        )

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_madgrad needs params")
        lam = (_value(learning_rate, state.count) + eps) * jnp.sqrt(state.count + 1)
        nu = jax.tree.map(
            lambda v, g: v + (lam * (g**2)).astype(g.dtype), state.grad_sum_sq, updates
        )
        s = jax.tree.map(lambda a, g: a + (lam * g).astype(g.dtype), state.s, updates)
        z = jax.tree.map(lambda x0, a, v: x0 - a / (jnp.cbrt(v) + eps), state.x0, s, nu)
        x_new = jax.tree.map(lambda zz, x: (1 - momentum) * zz + momentum * x, z, params)
        new_updates = jax.tree.map(lambda a, b: a - b, x_new, params)
        return new_updates, MadgradState(
            count=optax.safe_increment(state.count), grad_sum_sq=nu, s=s, x0=state.x0
        )

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByMirrorMadgradState(NamedTuple):
    """State of :func:`scale_by_mirror_madgrad`: steps taken, the decayed sum of squared
    gradients and the mirror iterate ``z``."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    grad_sum_sq: optax.Updates
    z: optax.Updates


def scale_by_mirror_madgrad(
    learning_rate: optax.ScalarOrSchedule,
    momentum: jax.typing.ArrayLike = 0.9,
    eps: jax.typing.ArrayLike = 0.0,
    decoupled_weight_decay: jax.typing.ArrayLike = 0.0,
) -> optax.GradientTransformation:
    r"""Mirror MADGRAD: MADGRAD's cube-root scaling on a mirror-descent iterate; emits the
    full (negative) step.

    With :math:`k` counted from 0, :math:`\eta' = \eta_k + \epsilon` (when
    :math:`\eta_k \ne 0`) and elementwise operations:

    .. math::
       s_{k+1} = \sqrt{k/(k+1)}\, s_k + g_k^2,\qquad
       z_{k+1} = z_k - \eta' (k+1)^{1/3} \frac{g_k}{s_{k+1}^{1/3} + \epsilon},\qquad
       x_{k+1} = m\, x_k + (1 - m)\, z_{k+1},

    with :math:`z_0 = x_0`; where :math:`s_{k+1}^{1/3} + \epsilon = 0` the coordinate does
    not move. ``decoupled_weight_decay`` :math:`\lambda` first shrinks
    :math:`z_k \leftarrow (1 - \eta'\lambda) z_k` (the authors' ``decouple_decay``).
    Elementwise: every leaf rank alike.

    Args:
      learning_rate: :math:`\eta` (scalar or schedule).
      momentum: :math:`m \in [0, 1)`, the weight of the previous iterate.
      eps: added to the learning rate and the cube root.
      decoupled_weight_decay: :math:`\lambda` of the decay applied to :math:`z`.

    Returns:
      A ``GradientTransformation`` with :class:`ScaleByMirrorMadgradState`; needs params.

    References:
      Defazio, Jelassi. 2021, the paper of :func:`scale_by_madgrad`.
      https://arxiv.org/abs/2101.11075
    """
    check_nonnegative("eps", eps)
    check_nonnegative("decoupled_weight_decay", decoupled_weight_decay)

    def init_fn(params):
        return ScaleByMirrorMadgradState(
            count=jnp.zeros([], jnp.int32),
            grad_sum_sq=optax.tree.zeros_like(params),
            z=jax.tree.map(lambda x: x, params),
        )

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_mirror_madgrad needs params")
        lr = _value(learning_rate, state.count)
        lr = jnp.where(lr != 0, lr + eps, lr)

        def one(g, s, z, x):
            k = state.count.astype(jnp.promote_types(g.dtype, jnp.float32))
            ratio, lamb = jnp.sqrt(k / (k + 1)), jnp.cbrt(k + 1)
            s = (ratio * s + g * g).astype(s.dtype)
            z = z - lr * decoupled_weight_decay * z
            rms = jnp.cbrt(s) + eps
            step = jnp.where(rms > 0, g / jnp.where(rms > 0, rms, 1), 0)
            z = (z - lr * lamb * step).astype(x.dtype)
            return momentum * x + (1 - momentum) * z - x, s, z

        outs = jax.tree.map(one, updates, state.grad_sum_sq, state.z, params)
        treedef = jax.tree.structure(updates)
        flat = treedef.flatten_up_to(outs)
        pick = lambda i: treedef.unflatten([o[i] for o in flat])  # noqa: E731
        new = jax.tree.map(lambda u, g: u.astype(g.dtype), pick(0), updates)
        return new, ScaleByMirrorMadgradState(
            count=optax.safe_increment(state.count), grad_sum_sq=pick(1), z=pick(2)
        )

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByKateState(NamedTuple):
    """KATE's two accumulators: ``m`` and ``b`` (the root of the sum of squared gradients)."""

    m: Any
    b: Any


def scale_by_kate(
    delta: jax.typing.ArrayLike = 0.0,
    eps: jax.typing.ArrayLike = 1e-8,
    *,
    eps_in_sum: bool = True,
) -> optax.GradientTransformation:
    r"""KATE scaling: AdaGrad without the square root, made scale-invariant by a second sum.

    .. math::
       b_t^2 = b_{t-1}^2 + g_t^2 + \epsilon,\qquad
       m_t^2 = m_{t-1}^2 + \delta g_t^2 + \frac{g_t^2}{b_t^2},\qquad
       u_t = \frac{m_t\, g_t}{b_t^2}.

    With ``eps_in_sum=False`` (the authors' code) :math:`\epsilon` is not accumulated:
    :math:`b_t^2 = b_{t-1}^2 + g_t^2` and :math:`b_t^2 + \epsilon` takes its place in
    :math:`m_t` and :math:`u_t`.

    Args:
      delta: :math:`\delta \ge 0`, the weight of the plain squared gradients in :math:`m`.
      eps: added to :math:`b_t^2` every step.
      eps_in_sum: accumulate :math:`\epsilon` in :math:`b_t^2` (pytorch_optimizer) rather
        than add it to the denominator only (the authors' code).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByKateState`.

    References:
      Sayantan Choudhury, Nazarii Tupitsa, Nicolas Loizou, Samuel Horvath, Martin Takac,
      Eduard Gorbunov. Remove that Square Root: A New Efficient Scale-Invariant Version of
      AdaGrad. 2024. https://arxiv.org/abs/2403.02648
    """
    check_nonnegative("delta", delta)
    check_nonnegative("eps", eps)

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        return ScaleByKateState(m=zeros, b=zeros)

    def update_fn(updates, state, params=None):
        del params
        added = eps if eps_in_sum else 0.0
        b2 = jax.tree.map(lambda g, b: b * b + _square(g) + added, updates, state.b)
        denom = b2 if eps_in_sum else jax.tree.map(lambda bb: bb + eps, b2)
        m = jax.tree.map(
            lambda g, m, d: jnp.sqrt(m * m + delta * _square(g) + _square(g) / d),
            updates,
            state.m,
            denom,
        )
        out = jax.tree.map(lambda g, m, d: m * g / d, updates, m, denom)
        return out, ScaleByKateState(m=m, b=jax.tree.map(jnp.sqrt, b2))

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByAdaSmoothState(NamedTuple):
    """The previous parameters, the running sum of the moves and of their magnitudes, and
    the smoothed squared gradient of :func:`scale_by_adasmooth`."""

    prev_params: Any
    move_sum: Any
    move_abs_sum: Any
    nu: Any


def scale_by_adasmooth(
    b1: jax.typing.ArrayLike = 0.5,
    b2: jax.typing.ArrayLike = 0.99,
    eps: jax.typing.ArrayLike = 1e-6,
) -> optax.GradientTransformation:
    r"""AdaSmooth's scaling: RMSProp whose decay follows each coordinate's effective ratio.

    With :math:`x_t` the parameters passed to ``update`` and :math:`d_t = x_t - x_{t-1}`
    (0 on the first step), element-wise

    .. math::
       e_t = \frac{|\sum_{i \le t} d_i|}{\sum_{i \le t} |d_i| + \epsilon},\qquad
       c_t = (\rho_2 - \rho_1) e_t + (1 - \rho_2),\\
       v_t = c_t^2 g_t^2 + (1 - c_t^2) v_{t-1},\qquad u_t = g_t / \sqrt{v_t + \epsilon}.

    The effective ratio :math:`e_t` is 1 when the coordinate moved one way and near 0 when
    it oscillated; the sums run over all steps so far (the paper's window :math:`M` is the
    whole run here, as in pytorch_optimizer). Any leaf shape; needs params.

    Args:
      b1: :math:`\rho_1`, the slow decay's complement, in ``[0, 1)``.
      b2: :math:`\rho_2`, the fast decay's complement, in ``[0, 1)``.
      eps: stabiliser of the ratio and of the root.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByAdaSmoothState`.

    References:
      Jun Lu. AdaSmooth: An Adaptive Learning Rate Method based on Effective Ratio. 2022.
      https://arxiv.org/abs/2204.00825
    """
    check_decay("b1", b1)
    check_decay("b2", b2)
    check_nonnegative("eps", eps)

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        return ScaleByAdaSmoothState(params, zeros, zeros, zeros)

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_adasmooth needs params: call update(grads, state, params)")

        def one(g, x, prev, s, n, v):
            d = (x - prev).astype(s.dtype)
            s = s + d
            n = n + jnp.abs(d)
            e = jnp.abs(s) / (n + eps)
            c2 = ((b2 - b1) * e + (1 - b2)) ** 2
            v = v + c2 * (_square(g).astype(v.dtype) - v)
            return (g / jnp.sqrt(v + eps)).astype(g.dtype), x, s, n, v

        out = jax.tree.map(
            one, updates, params, state.prev_params, state.move_sum, state.move_abs_sum, state.nu
        )
        pick = lambda i: jax.tree.map(lambda _, o: o[i], updates, out)  # noqa: E731
        return pick(0), ScaleByAdaSmoothState(pick(1), pick(2), pick(3), pick(4))

    return optax.GradientTransformation(init_fn, update_fn)


__all__ += ["scale_by_adasmooth", "ScaleByAdaSmoothState"]
