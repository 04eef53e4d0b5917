"""Sign-based building blocks: Lion's interpolated sign, plain sign and Rprop step sizes."""

from __future__ import annotations

from typing import Literal, NamedTuple

import jax
import jax.numpy as jnp
import optax
from optax import ScaleByLionState, ScaleByRpropState

from optzoo.core.validation import check_decay, check_nonnegative, check_positive, check_range
from optzoo.transforms._moments import _count_and_zeros, _map_unzip

__all__ = [
    "ScaleByAnoState",
    "ScaleByBcosState",
    "ScaleByFocusState",
    "scale_by_ano",
    "scale_by_bcos",
    "scale_by_focus",
    "scale_by_lion",
    "scale_by_sign",
    "scale_by_rprop",
]


def scale_by_lion(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.99,
    mu_dtype: jax.typing.DTypeLike | None = None,
    *,
    mode: Literal["hard", "smooth", "refined"] = "hard",
    smooth_beta: float = 1.0,
) -> optax.GradientTransformation:
    r"""Lion's direction: the sign of an interpolation of the gradient and its momentum.

    .. math::
       c_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad u_t = \operatorname{sign}(c_t),\quad
       m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t.

    ``mode="smooth"`` uses :math:`\tanh(\text{smooth\_beta}\, c_t)` and ``mode="refined"``
    keeps :math:`|c_t| < 1` linear and saturates larger values to their sign.

    Args:
      b1: interpolation rate of the update direction.
      b2: decay rate of the momentum.
      mu_dtype: dtype of the momentum; ``None`` follows the parameters.
      mode: ``"hard"`` (the paper), ``"smooth"`` or ``"refined"``.
      smooth_beta: slope of ``tanh`` in smooth mode.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByLionState``.

    References:
      Chen et al. Symbolic Discovery of Optimization Algorithms. 2023.
      https://arxiv.org/abs/2302.06675
    """
    check_range("b1", b1, 0.0, 1.0)
    check_range("b2", b2, 0.0, 1.0)  # no bias correction: 1 is legal, as in optax
    mu_dtype = None if mu_dtype is None else jax.dtypes.canonicalize_dtype(mu_dtype)

    def direction(x):
        if mode == "hard":
            return jnp.sign(x)
        if mode == "smooth":
            return jnp.tanh(smooth_beta * x)
        if mode == "refined":
            return jnp.where(jnp.abs(x) < 1.0, x, jnp.sign(x))
        # Raised at update (on the first leaf), where optax raises it.
        raise ValueError(f"scale_by_lion: mode must be 'hard', 'smooth' or 'refined', got {mode!r}")

    def init_fn(params):
        mu = optax.tree.zeros_like(params, dtype=mu_dtype)
        return ScaleByLionState(count=jnp.zeros([], jnp.int32), mu=mu)

    def update_fn(updates, state, params=None):
        del params
        new_updates = jax.tree.map(
            lambda g, m: direction((1.0 - b1) * g + b1 * m), updates, state.mu
        )
        mu = optax.tree.update_moment(updates, state.mu, b2, 1)
        mu = optax.tree.cast(mu, mu_dtype)
        return new_updates, ScaleByLionState(count=optax.safe_increment(state.count), mu=mu)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_sign() -> optax.GradientTransformation:
    r"""Replaces each update by its sign: :math:`u \leftarrow \operatorname{sign}(u)`.

    Returns:
      A stateless ``GradientTransformation``.

    References:
      Bernstein et al. signSGD: Compressed Optimisation for Non-Convex Problems. 2018.
      https://arxiv.org/abs/1802.04434
    """

    def update_fn(updates, state, params=None):
        del params
        return jax.tree.map(jnp.sign, updates), state

    return optax.GradientTransformation(optax.init_empty_state, update_fn)


def scale_by_rprop(
    learning_rate: jax.typing.ArrayLike,
    eta_minus: jax.typing.ArrayLike = 0.5,
    eta_plus: jax.typing.ArrayLike = 1.2,
    min_step_size: jax.typing.ArrayLike = 1e-6,
    max_step_size: jax.typing.ArrayLike = 50.0,
    *,
    lagged: bool = True,
    backtracking: bool = False,
) -> optax.GradientTransformation:
    r"""Rprop step sizes (the iRprop- variant): per-coordinate steps adapted by sign agreement.

    With :math:`s = g_t \cdot d_{t-1}` (:math:`d` the stored step),

    .. math::
       \Delta_t = \begin{cases}
         \operatorname{clip}(\eta^+\Delta_{t-1}) & s > 0\\
         \operatorname{clip}(\eta^-\Delta_{t-1}) & s < 0\\
         \Delta_{t-1} & s = 0\end{cases},\qquad
       d_t = \begin{cases} 0 & s < 0\\ \Delta_t \operatorname{sign}(g_t) & \text{else}\end{cases},
       \qquad u_t = \begin{cases} 0 & s < 0\\ d_{t-1} & \text{else}\end{cases}.

    Like ``optax.scale_by_rprop`` (whose numbers this reproduces), the emitted update is the
    step stored on the previous call, so the first update is zero. The returned update is
    the *ascent* step; chain it with ``scale(-1)``. ``lagged=False`` emits :math:`d_t` at once
    (PyTorch's ``Rprop``); ``backtracking=True`` then emits :math:`-d_{t-1}` on a sign change,
    undoing the previous step (Riedmiller and Braun's original Rprop).

    Args:
      learning_rate: the initial step size :math:`\Delta_0`.
      eta_minus: shrink factor on a sign change, in ``(0, 1]``.
      eta_plus: growth factor when signs agree, ``>= 1``.
      min_step_size: lower clip of :math:`\Delta`.
      max_step_size: upper clip of :math:`\Delta`.
      lagged: emit the step stored on the previous call (optax's numbers).
      backtracking: on a sign change emit :math:`-d_{t-1}` (needs ``lagged=False``).

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByRpropState``.

    References:
      Riedmiller, Braun. A direct adaptive method for faster backpropagation learning:
      the RPROP algorithm. 1993. https://doi.org/10.1109/ICNN.1993.298623
    """
    check_range("eta_minus", eta_minus, 0.0)
    check_positive("eta_plus", eta_plus)
    check_range("min_step_size", min_step_size, 0.0)
    if backtracking and lagged:
        raise ValueError("scale_by_rprop: backtracking=True needs lagged=False")

    def init_fn(params):
        return ScaleByRpropState(
            step_sizes=optax.tree.full_like(params, learning_rate),
            prev_updates=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        agree = jax.tree.map(lambda g, p: g * p, updates, state.prev_updates)

        def new_step(s, step):
            grown = jnp.clip(
                step * jnp.where(s > 0, eta_plus, eta_minus), min=min_step_size, max=max_step_size
            )
            return jnp.where(s == 0, step, grown)

        step_sizes = jax.tree.map(new_step, agree, state.step_sizes)
        steps = jax.tree.map(
            lambda s, g, step: jnp.where(s < 0, jnp.zeros_like(g), step * jnp.sign(g)),
            agree,
            updates,
            step_sizes,
        )
        # optax emits the step stored on the previous call (zeroed on a sign change);
        # keep that one-step lag so the numbers stay optax's.
        if lagged:
            emitted = jax.tree.map(
                lambda s, prev: jnp.where(s < 0, jnp.zeros_like(prev), prev),
                agree,
                state.prev_updates,
            )
        else:
            emitted = jax.tree.map(
                lambda s, prev, step: jnp.where(
                    s < 0, -prev if backtracking else jnp.zeros_like(prev), step
                ),
                agree,
                state.prev_updates,
                steps,
            )
        return emitted, ScaleByRpropState(step_sizes=step_sizes, prev_updates=steps)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByAnoState(NamedTuple):
    """State of :func:`scale_by_ano`: step count, momentum and the sign-driven second moment."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    mu: optax.Updates
    nu: optax.Updates


def scale_by_ano(
    b1: float = 0.92,
    b2: float = 0.99,
    eps: float = 1e-8,
    *,
    logarithmic_schedule: bool = False,
    eps_inside_sqrt: bool = False,
) -> optax.GradientTransformation:
    r"""Ano's direction: the momentum's sign with the gradient's magnitude.

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad
       v_t = \beta_2 v_{t-1} + (1-\beta_2)\,\operatorname{sign}(g_t^2 - v_{t-1})\, g_t^2,

    .. math::
       u_t = \frac{|g_t|\,\operatorname{sign}(m_t)}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon}

    (with ``eps_inside_sqrt``: :math:`\sqrt{v_t/(1-\beta_2^t) + \epsilon}`, the authors'
    package). ``logarithmic_schedule`` (Anolog) replaces :math:`\beta_1` by
    :math:`1 - 1/\log(\max(2, t))`. Element-wise: every leaf shape is handled alike.

    Args:
      b1: momentum decay :math:`\beta_1` (unused with ``logarithmic_schedule``).
      b2: second-moment decay :math:`\beta_2`.
      eps: :math:`\epsilon`.
      logarithmic_schedule: Anolog's :math:`\beta_1(t)`.
      eps_inside_sqrt: put :math:`\epsilon` under the square root.

    Returns:
      A ``GradientTransformation`` with :class:`ScaleByAnoState`.

    References:
      Adrien Kegreisz. Ano: Faster is Better in Noisy Landscape. 2025.
      https://arxiv.org/abs/2508.18258
    """
    check_decay("b1", b1)
    check_decay("b2", b2)
    check_nonnegative("eps", eps)

    init_fn = _count_and_zeros(ScaleByAnoState, 2)

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        t = count.astype(jnp.float32)
        if logarithmic_schedule:
            beta1 = 1.0 - 1.0 / jnp.log(jnp.maximum(2.0, t))
        else:
            beta1 = b1

        def one(g, m, v):
            d = jnp.promote_types(g.dtype, jnp.float32)
            gf, mf, vf = g.astype(d), m.astype(d), v.astype(d)
            b1_, b2_ = jnp.asarray(beta1, d), jnp.asarray(b2, d)
            mf = b1_ * mf + (1 - b1_) * gf
            g2 = gf * gf
            vf = b2_ * vf + (1 - b2_) * jnp.sign(g2 - vf) * g2
            v_hat = vf / (1 - b2_ ** count.astype(d))
            den = jnp.sqrt(v_hat + eps) if eps_inside_sqrt else jnp.sqrt(v_hat) + eps
            u = jnp.abs(gf) * jnp.sign(mf) / den
            return u.astype(g.dtype), mf.astype(m.dtype), vf.astype(v.dtype)

        u, mu, nu = _map_unzip(one, 3, updates, state.mu, state.nu)
        return u, ScaleByAnoState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByFocusState(NamedTuple):
    """State of :func:`scale_by_focus`: step count, momentum and the parameters' EMA."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    mu: optax.Updates
    pbar: optax.Updates


def scale_by_focus(
    b1: float = 0.9,
    b2: float = 0.999,
    gamma: float = 0.1,
    weight_decay: float = 0.0,
    *,
    decay_first_learning_rate: optax.ScalarOrSchedule | None = None,
) -> optax.GradientTransformation:
    r"""FOCUS's direction: the momentum's sign plus a pull toward the parameters' average.

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
       \bar x_t = \beta_2 \bar x_{t-1} + (1-\beta_2) x_t,\quad
       \hat x_t = \bar x_t / (1-\beta_2^t),

    .. math::
       u_t = \operatorname{sign}(m_t) + \gamma\,\operatorname{sign}(x_t - \hat x_t)
       + \lambda \hat x_t,

    the authors' order (the decay :math:`\lambda\hat x_t` pulls toward zero by the average).
    With ``decay_first_learning_rate`` :math:`\eta_t` the decay step comes first, as in
    pytorch_optimizer, and the sign sees the decayed weights:
    :math:`\operatorname{sign}(x_t - (1 + \eta_t\lambda)\hat x_t)`. Element-wise: every
    leaf shape is handled alike. Needs ``params``.

    Args:
      b1: momentum decay :math:`\beta_1`.
      b2: decay :math:`\beta_2` of the parameters' EMA.
      gamma: attraction :math:`\gamma`.
      weight_decay: :math:`\lambda`.
      decay_first_learning_rate: the optimizer's learning rate, for pytorch_optimizer's order.

    Returns:
      A ``GradientTransformation`` with :class:`ScaleByFocusState`.

    References:
      Yizhou Liu, Ziming Liu, Jeff Gore. FOCUS: First Order Concentrated Updating Scheme.
      2025. https://arxiv.org/abs/2501.12243
    """
    check_decay("b1", b1)
    check_decay("b2", b2)
    check_nonnegative("gamma", gamma)
    check_nonnegative("weight_decay", weight_decay)

    init_fn = _count_and_zeros(ScaleByFocusState, 2)

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_focus needs params (the EMA of the parameters)")
        count = optax.safe_increment(state.count)
        lr = decay_first_learning_rate
        if callable(lr):
            lr = lr(state.count)

        def one(g, m, pb, x):
            d = jnp.promote_types(g.dtype, jnp.float32)
            b1_, b2_ = jnp.asarray(b1, d), jnp.asarray(b2, d)
            mf = b1_ * m.astype(d) + (1 - b1_) * g.astype(d)
            xf = x.astype(d)
            pbf = b2_ * pb.astype(d) + (1 - b2_) * xf
            hat = pbf / (1 - b2_ ** count.astype(d))
            lam = jnp.asarray(weight_decay, d)
            target = hat if lr is None else (1 + jnp.asarray(lr, d) * lam) * hat
            u = jnp.sign(mf) + jnp.asarray(gamma, d) * jnp.sign(xf - target) + lam * hat
            return u.astype(g.dtype), mf.astype(m.dtype), pbf.astype(pb.dtype)

        u, mu, pbar = _map_unzip(one, 3, updates, state.mu, state.pbar, params)
        return u, ScaleByFocusState(count=count, mu=mu, pbar=pbar)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByBcosState(NamedTuple):
    """State of :func:`scale_by_bcos`: step count, momentum ``m`` (modes ``"m"``, ``"c"``)
    and second moment ``v`` (modes ``"g"``, ``"m"``); an unused field holds ``(0,)`` arrays."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    m: optax.Updates
    v: optax.Updates


BCOS_MODES = ("g", "m", "c")


def scale_by_bcos(
    beta: float = 0.9,
    beta2: float | None = None,
    eps: float = 1e-6,
    *,
    mode: str = "c",
    simple_cond: bool = False,
) -> optax.GradientTransformation:
    r"""BCOS's direction: a search direction over an estimate of its own RMS.

    .. math::
       u_t = \frac{d_t}{\sqrt{v_t} + \epsilon},

    per mode: ``"g"``: :math:`d_t = g_t`, :math:`v_t = \beta_v v_{t-1} + (1-\beta_v) g_t^2`;
    ``"m"``: :math:`d_t = m_t = \beta m_{t-1} + (1-\beta) g_t`, :math:`v_t = \beta_v v_{t-1}
    + (1-\beta_v) m_t^2`; ``"c"`` (conditional): :math:`d_t = m_t` and, from the current
    momentum and gradient (no second-moment state),

    .. math::
       v_t = (3\beta^2 - 2\beta^3)\, m_t^2 + (1-\beta)^2 g_t^2 + 2\beta(1-\beta)^2 m_t g_t

    or, with ``simple_cond``, :math:`v_t = \beta_v m_t^2 + (1-\beta_v) g_t^2` with
    :math:`\beta_v = 1-(1-\beta)^2` unless ``beta2`` is given. :math:`\beta_v` = ``beta2``,
    or ``beta`` when ``None`` (modes ``"g"``, ``"m"``). The first step starts :math:`m` at
    :math:`g_1` and :math:`v` at :math:`g_1^2`. With ``beta=0`` mode ``"g"`` is signSGD (up
    to :math:`\epsilon`). Element-wise: every leaf shape is handled alike.

    Args:
      beta: momentum decay :math:`\beta`.
      beta2: second-moment decay :math:`\beta_v`; ``None``: see above.
      eps: :math:`\epsilon`.
      mode: ``"g"``, ``"m"`` or ``"c"``.
      simple_cond: the simplified conditional estimator (mode ``"c"``).

    Returns:
      A ``GradientTransformation`` with :class:`ScaleByBcosState`.

    References:
      Tao Jiang, Lin Xiao. BCOS: Stochastic Approximation with Block Coordinate Optimal
      Stepsizes. 2025. https://arxiv.org/abs/2507.08963
    """
    check_decay("beta", beta)
    if beta2 is not None:
        check_decay("beta2", beta2)
    check_nonnegative("eps", eps)
    if mode not in BCOS_MODES:
        raise ValueError(f"scale_by_bcos: mode must be one of {BCOS_MODES}, got {mode!r}")
    keep_m, keep_v = mode in ("m", "c"), mode in ("g", "m")

    def init_fn(params):
        def field(keep):
            if keep:
                return optax.tree.zeros_like(params)
            return jax.tree.map(lambda x: jnp.zeros((0,), x.dtype), params)

        return ScaleByBcosState(count=jnp.zeros([], jnp.int32), m=field(keep_m), v=field(keep_v))

    def update_fn(updates, state, params=None):
        del params
        first = state.count == 0

        def one(g, m, v):
            d = jnp.promote_types(g.dtype, jnp.float32)
            gf = g.astype(d)
            b = jnp.asarray(beta, d)
            if keep_m:
                mf = jnp.where(first, gf, b * m.astype(d) + (1 - b) * gf)
                direction = mf
            else:
                direction = gf
            if keep_v:
                bv = jnp.asarray(beta if beta2 is None else beta2, d)
                vf = jnp.where(first, gf * gf, bv * v.astype(d) + (1 - bv) * direction**2)
                second = vf
            elif simple_cond:
                bv = jnp.asarray(1 - (1 - beta) ** 2 if beta2 is None else beta2, d)
                second = bv * direction**2 + (1 - bv) * gf * gf
            else:
                second = (
                    (3 * b**2 - 2 * b**3) * direction**2
                    + (1 - b) ** 2 * gf * gf
                    + 2 * b * (1 - b) ** 2 * direction * gf
                )
            u = direction / (jnp.sqrt(second) + eps)
            new_m = mf.astype(m.dtype) if keep_m else m
            new_v = vf.astype(v.dtype) if keep_v else v
            return u.astype(g.dtype), new_m, new_v

        u, m, v = _map_unzip(one, 3, updates, state.m, state.v)
        return u, ScaleByBcosState(count=optax.safe_increment(state.count), m=m, v=v)

    return optax.GradientTransformation(init_fn, update_fn)


def _rose_one(g: jax.Array, centralize: bool, stabilize: bool) -> jax.Array:
    if g.ndim == 0:
        return jnp.sign(g)
    if g.ndim == 1:
        scale = jnp.abs(jnp.max(g)) - jnp.min(g)
    else:
        axes = tuple(range(1, g.ndim))
        if centralize:
            g = g - jnp.mean(g, axis=axes, keepdims=True)
        raw = jnp.abs(jnp.max(g, axis=axes, keepdims=True)) - jnp.min(g, axis=axes, keepdims=True)
        if stabilize:
            mean = jnp.mean(raw)
            std = jnp.sqrt(jnp.mean((raw - mean) ** 2))
            trust = mean / jnp.where(mean == 0, 1.0, std + mean)
            scale = mean + trust * (raw - mean)
        else:
            scale = raw
    return g / jnp.where(scale == 0, 1.0, scale)


def scale_by_rose(centralize: bool = True, stabilize: bool = True) -> optax.GradientTransformation:
    r"""ROSE's stateless range normalisation.

    A scalar gradient becomes its sign; a vector is divided by its range
    :math:`|\max g| - \min g`; a rank >= 2 leaf is centred per row (slice along the first
    axis, with ``centralize``) and each row divided by its range :math:`r_i`, blended with
    the mean range :math:`\bar r` (``stabilize``) as

    .. math::
       d_i = \bar r + \frac{\bar r}{\sigma_r + \bar r} (r_i - \bar r)

    (:math:`\sigma_r` the population standard deviation of the rows' ranges). A zero
    range divides by 1. No state.

    Args:
      centralize: subtract each row's mean from rank >= 2 gradients.
      stabilize: blend each row's range with the mean range, gated by their spread.

    Returns:
      A ``GradientTransformation`` with an empty state.

    References:
      Matthew Kieren. Rose: Range-Of-Slice Equilibration optimizer. 2026.
      https://doi.org/10.5281/zenodo.19589765 (code: https://github.com/MatthewK78/Rose)
    """

    def update_fn(updates, state, params=None):
        del params
        return jax.tree.map(lambda g: _rose_one(g, centralize, stabilize), updates), state

    return optax.GradientTransformation(optax.init_empty_state, update_fn)


__all__ += ["scale_by_rose"]


# --- EmoLynx (emolynx): a Lion step scaled by the loss trend. ---
from typing import Any, NamedTuple  # noqa: E402

from optzoo.core.validation import check_betas  # noqa: E402
from optzoo.transforms._emo import EmoLossEMA, emo_signals, init_loss_ema  # noqa: E402

__all__ += ["scale_by_emolynx", "ScaleByEmoLynxState"]


class ScaleByEmoLynxState(NamedTuple):
    """State of :func:`scale_by_emolynx`: step count, loss averages, the momentum."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    ema: EmoLossEMA
    mu: Any


def scale_by_emolynx(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.99,
) -> optax.GradientTransformationExtraArgs:
    r"""EmoLynx's direction: Lion's sign step times a loss-trend drive.

    .. math::
       u_t = d_t \operatorname{sign}(\beta_1 m_{t-1} + (1-\beta_1) g_t),\qquad
       m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t,

    with the drive :math:`d_t` of :func:`optzoo.scale_by_emonavi`, whose ``update`` this
    shares: it needs ``value=`` (the loss). Every leaf rank alike.

    Args:
      b1: interpolation weight of the momentum in the sign.
      b2: momentum decay.

    Returns:
      A ``GradientTransformationExtraArgs`` (state: :class:`ScaleByEmoLynxState`).

    References:
      muooon. EmoNavi: an emotion-driven optimizer (EmoLynx). 2025.
      https://github.com/muooon/EmoNavi
    """
    check_betas(b1, b2)

    def init_fn(params):
        return ScaleByEmoLynxState(
            jnp.zeros([], jnp.int32), init_loss_ema(), optax.tree.zeros_like(params)
        )

    def update_fn(updates, state, params=None, *, value=None, **extra_args):
        del params, extra_args
        ema, drive, _, _ = emo_signals(state.ema, state.count, value, False)
        out = jax.tree.map(
            lambda g, m: (drive.astype(g.dtype) * jnp.sign((1 - b1) * g + b1 * m)).astype(g.dtype),
            updates,
            state.mu,
        )
        mu = jax.tree.map(lambda g, m: m + (1 - b2) * (g - m), updates, state.mu)
        return out, ScaleByEmoLynxState(optax.safe_increment(state.count), ema, mu)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
