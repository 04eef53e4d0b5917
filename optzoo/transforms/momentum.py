"""Momentum building blocks."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from optax import TraceState

from optzoo.core.validation import check_range, check_unit_interval
from optzoo.transforms._moments import _count_and_zeros, _map_unzip, _optax_state
from optzoo.transforms._projection import project_radial

__all__ = [
    "trace",
    "scale_by_qhm",
    "ScaleByQHMState",
    "scale_by_aggmo",
    "ScaleByAggMoState",
    "scale_by_pnm",
    "ScaleByPNMState",
    "scale_by_accsgd",
    "ScaleByAccSGDState",
    "scale_by_sgdp",
    "ScaleBySGDPState",
    "scale_by_asgd",
    "ScaleByASGDState",
    "scale_by_pid",
    "ScaleByPIDState",
    "scale_by_sgdsai",
    "ScaleBySGDSaIState",
    "scale_by_gravity",
    "ScaleByGravityState",
    "scale_by_srmm",
    "ScaleBySRMMState",
    "scale_by_tam",
    "ScaleByTAMState",
    "scale_by_optimistic_gradient",
    "scale_by_a2grad",
    "ScaleByA2GradState",
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

    init_fn = _count_and_zeros(ScaleByPNMState, 2)

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

        u, odd, even = _map_unzip(one, 3, updates, state.odd, state.even)
        return u, ScaleByPNMState(count, odd, even)

    return optax.GradientTransformation(init_fn, update_fn)


def _lr_at(learning_rate: optax.ScalarOrSchedule, count: jax.Array) -> Any:
    """The learning rate of the step whose (pre-increment) count is ``count``."""
    return learning_rate(count) if callable(learning_rate) else learning_rate


class ScaleByAccSGDState(NamedTuple):
    """Step count and the long-step iterate :math:`\\bar w` of :func:`scale_by_accsgd`."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    long: Any


def scale_by_accsgd(
    learning_rate: optax.ScalarOrSchedule,
    kappa: jax.typing.ArrayLike = 1000.0,
    xi: jax.typing.ArrayLike = 10.0,
    constant: jax.typing.ArrayLike = 0.7,
):
    r"""Accelerated SGD (Kidambi et al., Algorithm 1): a short gradient step averaged with a
    long-step iterate :math:`\bar w` that starts at the initial parameters.

    With :math:`c` = ``constant``, :math:`\alpha = 1 - c^2\xi/\kappa` and the step size
    :math:`\delta` = ``learning_rate``:

    .. math::
       \bar w_{t+1} = \alpha \bar w_t + (1-\alpha)\big(w_t - \tfrac{\kappa\delta}{c} g_t\big),
       \qquad
       w_{t+1} = \tfrac{c}{c + 1 - \alpha}(w_t - \delta g_t)
               + \tfrac{1 - \alpha}{c + 1 - \alpha}\,\bar w_{t+1}.

    The step size enters non-linearly, so this block takes ``learning_rate`` and emits
    :math:`w_t - w_{t+1}` (chain with ``scale(-1)``). Elementwise: every leaf shape alike.

    Args:
      learning_rate: the short step :math:`\delta`, a scalar or a schedule.
      kappa: long-step parameter :math:`\kappa > 0`.
      xi: statistical advantage parameter :math:`\xi \ge 0`.
      constant: the paper's 0.7, in ``(0, 1]``.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByAccSGDState`; needs params.

    References:
      Rahul Kidambi, Praneeth Netrapalli, Prateek Jain, Sham M. Kakade. On the insufficiency
      of existing momentum schemes for Stochastic Optimization. 2018.
      https://arxiv.org/abs/1803.05591
    """
    check_range("kappa", kappa, 0.0, low_open=True)
    check_range("xi", xi, 0.0)
    check_range("constant", constant, 0.0, 1.0, low_open=True)
    alpha = 1.0 - xi * constant**2 / kappa
    zeta = constant / (constant + 1.0 - alpha)

    def init_fn(params):
        return ScaleByAccSGDState(jnp.zeros([], jnp.int32), jax.tree.map(jnp.array, params))

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_accsgd needs params")
        lr = _lr_at(learning_rate, state.count)
        count = optax.safe_increment(state.count)

        def one(g, w, wbar):
            wbar = (alpha * wbar + (1 - alpha) * (w - (kappa * lr / constant) * g)).astype(w.dtype)
            new = zeta * (w - lr * g) + (1 - zeta) * wbar
            return (w - new).astype(g.dtype), wbar

        u, long = _map_unzip(one, 2, updates, params, state.long)
        return u, ScaleByAccSGDState(count, long)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleBySGDPState(NamedTuple):
    """The momentum buffer of :func:`scale_by_sgdp`."""

    momentum: Any


def scale_by_sgdp(
    momentum: jax.typing.ArrayLike = 0.9,
    dampening: jax.typing.ArrayLike = 0.0,
    nesterov: bool = False,
    weight_decay: jax.typing.ArrayLike = 0.0,
    delta: jax.typing.ArrayLike = 0.1,
    wd_ratio: jax.typing.ArrayLike = 0.1,
    eps: jax.typing.ArrayLike = 1e-8,
    channel_axis: int | None = None,
):
    r"""SGDP scaling: heavy-ball momentum whose step loses its radial part on scale-invariant
    weights (Heo et al., Algorithm 1).

    .. math::
       b_t = \mu b_{t-1} + (1 - \tau) g_t,\qquad
       d_t = b_t\ \ (\text{Nesterov: } g_t + \mu b_t),\qquad
       u_t = \Pi(d_t) + \frac{\lambda r}{1 - \mu} x_t,

    where for leaves with two or more axes :math:`\Pi` removes the component along
    :math:`\hat x` per channel (or, failing that test, per tensor) when
    :math:`\max |\cos(g, x)| < \delta/\sqrt{\dim}` and :math:`r` is then ``wd_ratio`` (else
    :math:`\Pi` is the identity and :math:`r = 1`); vectors and scalars are never projected.
    The decay is divided by :math:`1 - \mu` as in the authors' code.

    Args:
      momentum: :math:`\mu` in ``[0, 1)``.
      dampening: :math:`\tau` in ``[0, 1]``.
      nesterov: Nesterov momentum.
      weight_decay: decoupled :math:`\lambda`.
      delta: threshold of the cosine test.
      wd_ratio: weight-decay factor :math:`r` on projected leaves.
      eps: norm regulariser.
      channel_axis: the axis indexing channels; ``None`` (default) is the last axis, Flax's
        output features (PyTorch layouts use 0).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleBySGDPState`; needs params.

    References:
      Byeongho Heo, Sanghyuk Chun, Seong Joon Oh, Dongyoon Han, Sangdoo Yun, Gyuwan Kim,
      Youngjung Uh, Jung-Woo Ha. AdamP: Slowing Down the Slowdown for Momentum Optimizers on
      Scale-invariant Weights. 2021. https://arxiv.org/abs/2006.08217
    """
    check_range("momentum", momentum, 0.0, 1.0, high_open=True)
    check_unit_interval("dampening", dampening)
    check_range("weight_decay", weight_decay, 0.0)
    check_range("delta", delta, 0.0)
    check_range("wd_ratio", wd_ratio, 0.0)
    check_range("eps", eps, 0.0)
    axis = -1 if channel_axis is None else channel_axis

    def init_fn(params):
        return ScaleBySGDPState(optax.tree.zeros_like(params))

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_sgdp needs params")

        def one(g, b, p):
            b = (momentum * b + (1 - dampening) * g).astype(b.dtype)
            d = g + momentum * b if nesterov else b
            d, ratio = project_radial(p, g, d, delta, wd_ratio, eps, axis)
            return (d + weight_decay * ratio / (1 - momentum) * p).astype(g.dtype), b

        u, buf = _map_unzip(one, 2, updates, state.momentum, params)
        return u, ScaleBySGDPState(buf)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByASGDState(NamedTuple):
    """Step count and the running (Polyak-Juditsky) average ``ax`` of :func:`scale_by_asgd`."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    ax: Any


def scale_by_asgd(
    learning_rate: optax.ScalarOrSchedule,
    lambd: jax.typing.ArrayLike = 1e-4,
    alpha: jax.typing.ArrayLike = 0.75,
    t0: jax.typing.ArrayLike = 1e6,
):
    r"""Averaged SGD (``torch.optim.ASGD``): SGD with a decaying step and an extra decay, and a
    running average of the iterates kept in the state.

    At step :math:`t = 1, 2, \ldots` with :math:`\eta_t = \eta / (1 + \lambda\eta (t-1))^\alpha`
    (Bottou's schedule) and :math:`\mu_t = 1/\max(1, t - 1 - t_0)`:

    .. math::
       x_t = x_{t-1} - \eta_t (g_t + \lambda x_{t-1}),\qquad
       \bar x_t = \bar x_{t-1} + \mu_t (x_t - \bar x_{t-1}).

    :math:`\bar x` (``state.ax``; ``optax.tree.get(state, "ax")`` finds it in a chain) is a
    copy of the iterate until step :math:`t_0 + 2`, then its average since then; it does not
    feed back into the iterates. The step size enters non-linearly, so this block takes
    ``learning_rate`` and emits :math:`x_{t-1} - x_t` (chain with ``scale(-1)``).
    Elementwise: every leaf shape alike.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule (evaluated at each step).
      lambd: decay term :math:`\lambda \ge 0`.
      alpha: power of the step schedule.
      t0: the step after which averaging starts.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByASGDState`; needs params.

    References:
      Boris T. Polyak, Anatoli B. Juditsky. Acceleration of Stochastic Approximation by
      Averaging. 1992. https://doi.org/10.1137/0330046
    """
    check_range("lambd", lambd, 0.0)
    check_range("alpha", alpha, 0.0)
    check_range("t0", t0, 0.0)

    init_fn = _count_and_zeros(ScaleByASGDState, 1)

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_asgd needs params")
        lr = _lr_at(learning_rate, state.count)
        count = optax.safe_increment(state.count)
        done = state.count.astype(jnp.result_type(float))  # steps before this one
        eta = lr / (1 + lambd * lr * done) ** alpha
        mu = 1.0 / jnp.maximum(1.0, done - t0)

        def one(g, p, ax):
            step = eta * (g + lambd * p)
            ax = (ax + mu * ((p - step) - ax)).astype(ax.dtype)
            return step.astype(g.dtype), ax

        u, ax = _map_unzip(one, 2, updates, params, state.ax)
        return u, ScaleByASGDState(count, ax)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByPIDState(NamedTuple):
    """Step count, previous gradient and the integral and derivative buffers of
    :func:`scale_by_pid`."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    grad: Any
    integral: Any
    derivative: Any


def scale_by_pid(
    momentum: jax.typing.ArrayLike = 0.9,
    dampening: jax.typing.ArrayLike = 0.0,
    integral: jax.typing.ArrayLike = 5.0,
    derivative: jax.typing.ArrayLike = 10.0,
):
    r"""PID controller direction: the gradient (P) plus a momentum buffer (I) and an average
    of gradient differences (D), as in the authors' code.

    .. math::
       I_t = \mu I_{t-1} + (1 - \tau) g_t,\qquad
       D_t = \mu D_{t-1} + (1 - \mu)(g_t - g_{t-1})\ \ (D_1 = 0),\qquad
       u_t = g_t + K_i I_t + K_d D_t.

    With :math:`\mu = 0` the update is the gradient (plain SGD), as in the authors' code.
    Elementwise: every leaf shape alike.

    Args:
      momentum: :math:`\mu` in ``[0, 1]``.
      dampening: :math:`\tau`, the integral buffer's dampening.
      integral: integral gain :math:`K_i \ge 0`.
      derivative: derivative gain :math:`K_d \ge 0`.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByPIDState`.

    References:
      Wangpeng An, Haoqian Wang, Qingyun Sun, Jun Xu, Qionghai Dai, Lei Zhang. A PID
      Controller Approach for Stochastic Optimization of Deep Networks. 2018.
      https://openaccess.thecvf.com/content_cvpr_2018/html/An_A_PID_Controller_CVPR_2018_paper.html
    """
    check_unit_interval("momentum", momentum)
    check_unit_interval("dampening", dampening)
    check_range("integral", integral, 0.0)
    check_range("derivative", derivative, 0.0)

    init_fn = _count_and_zeros(ScaleByPIDState, 3)

    def update_fn(updates, state, params=None):
        del params
        first = state.count == 0
        count = optax.safe_increment(state.count)

        def one(g, prev, i, d):
            i = (momentum * i + (1 - dampening) * g).astype(i.dtype)
            diff = jnp.where(first, jnp.zeros_like(g), g - prev)
            d = (momentum * d + (1 - momentum) * diff).astype(d.dtype)
            u = jnp.where(momentum > 0, g + integral * i + derivative * d, g)
            return u.astype(g.dtype), g, i, d

        buffers = (state.grad, state.integral, state.derivative)
        u, grad, integ, deriv = _map_unzip(one, 4, updates, *buffers)
        return u, ScaleByPIDState(count, grad, integ, deriv)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleBySGDSaIState(NamedTuple):
    """Step count, momentum and the per-leaf gradient signal-to-noise ratio of
    :func:`scale_by_sgdsai` (fixed at the first step)."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    momentum: Any
    gsnr: Any


def scale_by_sgdsai(
    momentum: jax.typing.ArrayLike = 0.9,
    eps: jax.typing.ArrayLike = 1e-8,
    first_momentum_is_grad: bool = True,
    snr_on_vectors: bool = True,
):
    r"""SGD-SaI scaling: EMA momentum times a per-leaf gain fixed at the first step, the
    gradient signal-to-noise ratio :math:`\|g_1\| / (\operatorname{std}(g_1) + \epsilon)`.

    .. math::
       s = \frac{\|g_1\|}{\sigma(g_1) + \epsilon},\qquad
       m_t = \mu m_{t-1} + (1 - \mu) g_t,\qquad u_t = s\, m_t,

    with :math:`\sigma` the unbiased standard deviation over the leaf's entries and
    :math:`m_1 = g_1` (the authors' package; ``first_momentum_is_grad=False``:
    :math:`m_0 = 0`, so :math:`m_1 = (1-\mu) g_1`, as pytorch_optimizer). Leaf rule: every
    leaf with two or more entries gets its ratio (the authors'); with
    ``snr_on_vectors=False`` leaves with fewer than two axes or a leading axis of size one
    take :math:`s = \|g_1\|` (pytorch_optimizer). Scalars, and any leaf whose first gradient
    has zero spread (all entries equal), take :math:`s = \|g_1\|` (as pytorch_optimizer; the
    authors' package divides by :math:`\epsilon` there, a step of :math:`\sim 10^8`).

    Args:
      momentum: :math:`\mu` in ``[0, 1)``.
      eps: added to the standard deviation.
      first_momentum_is_grad: :math:`m_1 = g_1` (authors) or an EMA from zero.
      snr_on_vectors: the ratio on vectors too (authors) or only on matrices and above.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleBySGDSaIState`.

    References:
      Minghao Xu, Lichuan Xiang, Xu Cai, Hongkai Wen. No More Adam: Learning Rate Scaling at
      Initialization is All You Need. 2024. https://arxiv.org/abs/2412.11768
    """
    check_range("momentum", momentum, 0.0, 1.0, high_open=True)
    check_range("eps", eps, 0.0)

    def init_fn(params):
        return ScaleBySGDSaIState(
            jnp.zeros([], jnp.int32),
            optax.tree.zeros_like(params),
            jax.tree.map(lambda p: jnp.zeros([], p.dtype), params),
        )

    def snr(g):
        norm = jnp.linalg.norm(g.ravel())
        if g.size < 2 or (not snr_on_vectors and (g.ndim < 2 or g.shape[0] == 1)):
            return norm
        sigma = jnp.nan_to_num(jnp.std(g, ddof=1))
        return jnp.where(sigma != 0, norm / (sigma + eps), norm)

    def update_fn(updates, state, params=None):
        del params
        first = state.count == 0
        count = optax.safe_increment(state.count)

        def one(g, m, s):
            s = jnp.where(first, snr(g).astype(s.dtype), s)
            m = momentum * m + (1 - momentum) * g
            if first_momentum_is_grad:
                m = jnp.where(first, g, m)
            m = m.astype(g.dtype)
            return (s * m).astype(g.dtype), m, s

        u, mom, gsnr = _map_unzip(one, 3, updates, state.momentum, state.gsnr)
        return u, ScaleBySGDSaIState(count, mom, gsnr)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByGravityState(NamedTuple):
    """Step count and the velocity :math:`V` of :func:`scale_by_gravity`."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    velocity: Any


def scale_by_gravity(
    learning_rate: optax.ScalarOrSchedule,
    alpha: jax.typing.ArrayLike = 0.01,
    beta: jax.typing.ArrayLike = 0.9,
    key: jax.Array | int = 0,
):
    r"""Gravity: an average of gradients damped where they are large relative to the leaf's
    largest entry, started from a random velocity.

    With :math:`M = 1/\max_i |g_{t,i}|` per leaf and :math:`\hat\beta_t = (\beta t + 1)/(t + 2)`:

    .. math::
       \zeta_t = \frac{g_t}{1 + (g_t / M)^2},\qquad
       V_t = \hat\beta_t V_{t-1} + (1 - \hat\beta_t)\,\zeta_t,\qquad u_t = V_t,

    with :math:`V_0 \sim \mathcal N(0, (\alpha/\eta_0)^2)` drawn from ``key`` (:math:`\eta_0`
    is the learning rate at step 0; the alias multiplies :math:`u_t` by it, so the random
    first step has scale :math:`\alpha`). Elementwise with one maximum per leaf (any rank).

    Args:
      learning_rate: :math:`\eta` (only its value at step 0 is used, for :math:`V_0`).
      alpha: scale of the random initial velocity (0: start at rest).
      beta: velocity decay :math:`\beta` in ``[0, 1)``.
      key: a ``jax.random`` key or an integer seed for :math:`V_0`.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByGravityState`.

    References:
      Dariush Bahrami, Sadegh Pouriyan Zadeh. Gravity Optimizer: a Kinematic Approach on
      Optimization in Deep Learning. 2021. https://arxiv.org/abs/2101.09192
    """
    check_range("alpha", alpha, 0.0)
    check_range("beta", beta, 0.0, 1.0, high_open=True)

    def init_fn(params):
        lr0 = _lr_at(learning_rate, jnp.zeros([], jnp.int32))
        k = jax.random.PRNGKey(key) if isinstance(key, int) else key
        leaves, treedef = jax.tree.flatten(params)
        keys = jax.random.split(k, max(len(leaves), 1))
        v = [
            (alpha / lr0 * jax.random.normal(kk, p.shape, jnp.result_type(float))).astype(p.dtype)
            for kk, p in zip(keys, leaves, strict=False)
        ]
        return ScaleByGravityState(jnp.zeros([], jnp.int32), jax.tree.unflatten(treedef, v))

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        t = count.astype(jnp.result_type(float))
        b = (beta * t + 1) / (t + 2)

        def one(g, v):
            big = jnp.max(jnp.abs(g)) if g.size else jnp.zeros([], g.dtype)
            zeta = g / (1 + (g * big) ** 2)
            return (b * v + (1 - b) * zeta).astype(g.dtype)

        v = jax.tree.map(one, updates, state.velocity)
        return v, ScaleByGravityState(count, v)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleBySRMMState(NamedTuple):
    """Step count and the running averages of gradients and iterates of :func:`scale_by_srmm`."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    grad: Any
    param: Any


def scale_by_srmm(
    learning_rate: optax.ScalarOrSchedule,
    beta: jax.typing.ArrayLike = 0.5,
    memory_length: int | None = 100,
    variant: str = "paper",
):
    r"""SRMM with prox-linear surrogates: the next iterate minimises the weighted average of
    the past surrogates, i.e. a gradient step from the averaged iterate along the averaged
    gradient.

    .. math::
       \bar g_t = (1 - w_t)\bar g_{t-1} + w_t g_t,\quad
       \bar x_t = (1 - w_t)\bar x_{t-1} + w_t x_t,\quad
       x_{t+1} = \bar x_t - \eta \bar g_t,

    with :math:`w_t = (((t - 1) \bmod L) + 1)^{-\beta}` (so :math:`w_1 = 1`: the averages
    start at the first point, and restart every ``memory_length`` :math:`L` steps; ``None``:
    never, :math:`w_t = t^{-\beta}`). ``variant="pytorch_optimizer"`` gives
    pytorch_optimizer's form: weights :math:`w_t = ((t \bmod L) + 1)^{-\beta}` and an iterate
    "average" that is the current iterate from step 2 on (its buffer is copied into the
    parameters), :math:`\bar x_1 = w_1 x_1`; that is :math:`x_{t+1} = x_t - \eta\bar g_t`.
    The step size enters non-linearly, so this block takes ``learning_rate`` and emits
    :math:`x_t - x_{t+1}` (chain with ``scale(-1)``). Elementwise: every leaf shape alike.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      beta: weight decay exponent :math:`\beta` in ``[0, 1]``.
      memory_length: restart period :math:`L` of the weights, or ``None``.
      variant: ``"paper"`` or ``"pytorch_optimizer"``.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleBySRMMState`; needs params.

    References:
      Hanbaek Lyu. Stochastic regularized majorization-minimization with weakly convex and
      multi-convex surrogates. 2022. https://arxiv.org/abs/2201.01652
    """
    check_unit_interval("beta", beta)
    if variant not in ("paper", "pytorch_optimizer"):
        raise ValueError(f"variant must be 'paper' or 'pytorch_optimizer', got {variant!r}")
    paper = variant == "paper"
    if memory_length is not None and (isinstance(memory_length, bool) or memory_length < 1):
        raise ValueError(f"memory_length must be a positive integer or None, got {memory_length!r}")

    init_fn = _count_and_zeros(ScaleBySRMMState, 2)

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_srmm needs params")
        lr = _lr_at(learning_rate, state.count)
        count = optax.safe_increment(state.count)
        t = count if paper else count + 1  # t >= 1
        k = t if memory_length is None else (t - 1) % memory_length + 1
        w = k.astype(jnp.result_type(float)) ** (-beta)

        def one(g, p, gbar, pbar):
            gbar = ((1 - w) * gbar + w * g).astype(gbar.dtype)
            if not paper:  # the buffer is the iterate, zero before the first step
                pbar = jnp.where(state.count == 0, jnp.zeros_like(p), p)
            pbar = ((1 - w) * pbar + w * p).astype(p.dtype)
            return (p - (pbar - lr * gbar)).astype(g.dtype), gbar, pbar

        u, gbar, pbar = _map_unzip(one, 3, updates, params, state.grad, state.param)
        return u, ScaleBySRMMState(count, gbar, pbar)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByTAMState(NamedTuple):
    """Step count, momentum and the running alignment :math:`s` of :func:`scale_by_tam`."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    momentum: Any
    alignment: Any


def scale_by_tam(
    momentum: jax.typing.ArrayLike = 0.9,
    decay_rate: jax.typing.ArrayLike = 0.9,
    eps: jax.typing.ArrayLike = 1e-8,
    axis: int | None = None,
):
    r"""Torque-aware momentum: each gradient entry enters the momentum scaled by how well the
    gradient has lately aligned with the momentum.

    With :math:`\hat v = v / \max(\|v\|, 10^{-12})` normalised along ``axis``:

    .. math::
       s_t = \rho s_{t-1} + (1 - \rho)\,\hat m_{t-1} \odot \hat g_t,\qquad
       m_t = \mu m_{t-1} + \big(\tfrac{1 + s_t}{2} + \epsilon\big) \odot g_t,

    with :math:`m_0 = g_1` and :math:`s_0 = 0`; :math:`u_t = m_t`. Leaf rule: the norms run
    along ``axis`` (``None``: the last axis, Flax's output features; PyTorch's ``dim=0`` is
    ``axis=0``); vectors along their only axis; a scalar is normalised by its magnitude.

    Args:
      momentum: :math:`\mu` in ``[0, 1]``.
      decay_rate: :math:`\rho` of the alignment average, in ``[0, 1]``.
      eps: added to the scale.
      axis: the axis of the norms.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByTAMState`.

    References:
      Pranshu Malviya, Goncalo Mordido, Aristide Baratin, Reza Babanezhad Harikandeh, Gintare
      Karolina Dziugaite, Razvan Pascanu, Sarath Chandar. Torque-Aware Momentum. 2024.
      https://arxiv.org/abs/2412.18790
    """
    check_unit_interval("momentum", momentum)
    check_unit_interval("decay_rate", decay_rate)
    check_range("eps", eps, 0.0)

    def normalize(x):
        if x.ndim == 0:
            return x / jnp.maximum(jnp.abs(x), 1e-12)
        ax = -1 if axis is None else axis
        return x / jnp.maximum(jnp.linalg.norm(x, axis=ax, keepdims=True), 1e-12)

    init_fn = _count_and_zeros(ScaleByTAMState, 2)

    def update_fn(updates, state, params=None):
        del params
        first = state.count == 0
        count = optax.safe_increment(state.count)

        def one(g, m, s):
            m = jnp.where(first, g, m)
            s = (decay_rate * s + (1 - decay_rate) * normalize(m) * normalize(g)).astype(s.dtype)
            m = (momentum * m + ((1 + s) / 2 + eps) * g).astype(g.dtype)
            return m, m, s

        u, mom, align = _map_unzip(one, 3, updates, state.momentum, state.alignment)
        return u, ScaleByTAMState(count, mom, align)

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

        u, mu, b_g, b_hat_g = _map_unzip(one, 4, updates, state.mu, state.b_g, state.b_hat_g)
        return u, ScaleByVSGDState(count, mu, b_g, b_hat_g)

    return optax.GradientTransformation(init_fn, update_fn)


__all__ += ["scale_by_vsgd", "ScaleByVSGDState"]


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


class ScaleByA2GradState(NamedTuple):
    """State of :func:`scale_by_a2grad`: step count, the previous :math:`\\alpha`, the running
    mean of the gradients, the aggregated iterate :math:`x` and the per-leaf variance sums
    ``v`` (and ``v_ema`` of the ``"exp"`` variant)."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    alpha: jax.Array
    avg_grad: Any
    x: Any
    v: Any
    v_ema: Any


def scale_by_a2grad(
    beta: jax.typing.ArrayLike = 10.0,
    lips: jax.typing.ArrayLike = 10.0,
    rho: jax.typing.ArrayLike = 0.5,
    variant: str = "uni",
):
    r"""A2Grad: accelerated SGD whose step adapts to the observed gradient variance.

    At step :math:`k` with :math:`\gamma_k = 2L/(k+1)`, :math:`\alpha_k = 2/(k+3)`
    (:math:`\alpha_0 = 1`) and per leaf :math:`\bar g_k` the mean of the gradients so far,
    :math:`\delta_k = \|g_k - \bar g_k\|^2`:

    .. math::
       v_k = \begin{cases} v_{k-1} + \delta_k & \text{uni}\\
       (\tfrac{k}{k+1})^2 v_{k-1} + \delta_k & \text{inc}\\
       \max(v_{k-1}, \bar\delta_k),\ \bar\delta_k = \rho\bar\delta_{k-1} + (1-\rho)\delta_k
       & \text{exp}\end{cases},\qquad
       h_k = \sqrt{v_k}\ (\times\sqrt{k+1}\text{ unless uni}),

    .. math::
       c_k = \frac{1}{\gamma_k + \beta h_k},\quad x_k = x_{k-1} - c_k g_k,\quad
       w_{k+1} = (1-\alpha_k) w_k + \alpha_k x_k - (1-\alpha_k)\alpha_{k-1} c_k g_k,

    with :math:`x_0 = w_0`. Emits :math:`w_k - w_{k+1}` (chain with ``scale(-1)``).
    Leaf rule: one variance scalar per leaf (any rank).

    Args:
      beta: weight :math:`\beta` of the adaptive term.
      lips: Lipschitz constant :math:`L > 0`.
      rho: smoothing of the ``"exp"`` variant, in ``[0, 1]``.
      variant: ``"uni"``, ``"inc"`` or ``"exp"`` (uniform, increasing, exponential moving
        average of the variance).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByA2GradState`; needs params.

    References:
      Qi Deng, Yi Cheng, Guanghui Lan. Optimal Adaptive and Accelerated Stochastic Gradient
      Descent. 2018. https://arxiv.org/abs/1810.00553
    """
    check_range("beta", beta, 0.0)
    check_range("lips", lips, 0.0, low_open=True)
    check_unit_interval("rho", rho)
    if variant not in ("uni", "inc", "exp"):
        raise ValueError(f"variant must be 'uni', 'inc' or 'exp', got {variant!r}")

    def init_fn(params):
        scalars = jax.tree.map(lambda p: jnp.zeros([], p.dtype), params)
        return ScaleByA2GradState(
            jnp.zeros([], jnp.int32),
            jnp.ones([], jnp.result_type(float)),
            optax.tree.zeros_like(params),
            jax.tree.map(jnp.array, params),
            scalars,
            scalars,
        )

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_a2grad needs params")
        count = optax.safe_increment(state.count)
        k = count.astype(jnp.result_type(float))
        gamma = 2.0 * lips / (k + 1)
        a1 = 2.0 / (k + 3)
        a0 = state.alpha

        def one(g, w, avg, x, v, v_ema):
            avg = (avg + (g - avg) / k).astype(avg.dtype)
            delta = jnp.sum((g - avg) ** 2)
            if variant == "uni":
                v = v + delta
            elif variant == "inc":
                v = v * (k / (k + 1)) ** 2 + delta
            else:
                v_ema = rho * v_ema + (1 - rho) * delta
                v = jnp.maximum(v, v_ema)
            h = jnp.sqrt(v) if variant == "uni" else jnp.sqrt(v) * jnp.sqrt(k + 1)
            c = 1.0 / (gamma + beta * h)
            x = (x - c * g).astype(x.dtype)
            new = w + a1 * (x - w) - (1 - a1) * a0 * c * g
            return (w - new).astype(g.dtype), avg, x, v.astype(w.dtype), v_ema.astype(w.dtype)

        trees = (params, state.avg_grad, state.x, state.v, state.v_ema)
        u, avg_grad, x, v, v_ema = _map_unzip(one, 5, updates, *trees)
        alpha = jnp.asarray(a1, state.alpha.dtype)
        return u, ScaleByA2GradState(count, alpha, avg_grad, x, v, v_ema)

    return optax.GradientTransformation(init_fn, update_fn)
