"""Step and inverse-time decay: the StepLR of PyTorch and the InverseTimeDecay of Keras."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

from optzoo.core.validation import check_finite, check_nonnegative, check_range
from optzoo.schedules._checks import check_int

__all__ = ["step_decay", "inverse_time_decay"]


def step_decay(init_value: float, step_size: int, factor: float = 0.1) -> optax.Schedule:
    r"""Multiplies the value by ``factor`` every ``step_size`` steps.

    .. math:: \eta_t = \eta_0\, \gamma^{\lfloor t / s \rfloor}.

    ``step_decay(lr, s, gamma)(t)`` equals the learning rate of
    ``torch.optim.lr_scheduler.StepLR(opt, step_size=s, gamma=gamma)`` after ``t``
    calls to ``scheduler.step()``.

    Args:
      init_value: :math:`\eta_0`, the value at step 0.
      step_size: :math:`s`, a positive number of steps between decays.
      factor: :math:`\gamma \in (0, 1]`, the multiplier applied at each decay.

    Returns:
      A schedule: step count -> value.

    Example:
      >>> import optzoo
      >>> sched = optzoo.schedules.step_decay(0.1, step_size=30, factor=0.1)
      >>> float(sched(30))  # doctest: +ELLIPSIS
      0.0100...
    """
    check_finite("init_value", init_value)
    check_int("step_size", step_size, 1)
    check_range("factor", factor, 0.0, 1.0, low_open=True)

    factor32 = np.float32(factor)
    # factor**n in fp32 with factor rounded to fp32 is off by n * (rounding error),
    # ~3e-6 relative for 0.9**99; exp(n * log(factor / factor32)) puts it back.
    correction = np.float32(math.log(float(factor) / float(factor32)))

    def schedule(count: jax.typing.ArrayLike) -> jax.Array:
        n = jnp.floor_divide(jnp.asarray(count), step_size).astype(jnp.float32)
        return init_value * (jnp.power(factor32, n) * jnp.exp(n * correction))

    return schedule


def inverse_time_decay(
    init_value: float, decay_steps: int, decay_rate: float, staircase: bool = False
) -> optax.Schedule:
    r"""Inverse-time decay, as ``keras.optimizers.schedules.InverseTimeDecay``.

    .. math:: \eta_t = \frac{\eta_0}{1 + r\, p}, \qquad
       p = t / T \;\text{or}\; \lfloor t / T \rfloor \;\text{(staircase)}.

    Args:
      init_value: :math:`\eta_0`, the value at step 0.
      decay_steps: :math:`T`, a positive number of steps.
      decay_rate: :math:`r \ge 0`.
      staircase: decay in discrete jumps every ``decay_steps`` steps.

    Returns:
      A schedule: step count -> value.

    Example:
      >>> import optzoo
      >>> sched = optzoo.schedules.inverse_time_decay(0.1, decay_steps=10, decay_rate=1.0)
      >>> round(float(sched(10)), 6)
      0.05
    """
    check_finite("init_value", init_value)
    check_int("decay_steps", decay_steps, 1)
    check_nonnegative("decay_rate", decay_rate)

    def schedule(count: jax.typing.ArrayLike) -> jax.Array:
        p = jnp.asarray(count, jnp.float32) / decay_steps
        if staircase:
            p = jnp.floor(p)
        return init_value / (1.0 + decay_rate * p)

    return schedule
