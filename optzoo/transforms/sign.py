"""Sign-based building blocks: Lion's interpolated sign, plain sign and Rprop step sizes."""

from __future__ import annotations

from typing import Literal

import jax
import jax.numpy as jnp
import optax
from optax import ScaleByLionState, ScaleByRpropState

from optzoo.core.validation import check_positive, check_range

__all__ = [
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

    with the drive :math:`d_t` of :func:`optzoo.scale_by_emonavi`. Every leaf rank alike.

    Args:
      b1: interpolation weight of the momentum in the sign.
      b2: momentum decay.

    Returns:
      A ``GradientTransformationExtraArgs`` with state :class:`ScaleByEmoLynxState`;
      ``update`` needs ``value=`` (the loss).

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
