"""Scaling building blocks: a fixed step, a scheduled step and the learning rate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax
from optax import ScaleByScheduleState

from optzoo.core.validation import check_finite

__all__ = ["scale", "scale_by_schedule", "scale_by_learning_rate"]


def scale(step_size: jax.typing.ArrayLike) -> optax.GradientTransformation:
    r"""Multiplies updates by a fixed scalar: :math:`u \leftarrow \alpha u`.

    Args:
      step_size: the scalar :math:`\alpha`.

    Returns:
      A stateless ``GradientTransformation``.
    """
    check_finite("step_size", step_size)
    return _leafwise(lambda g: step_size * g)


def _leafwise(fn: Callable[[Any], Any]) -> optax.GradientTransformation:
    """The stateless transformation that maps ``fn`` over the update leaves."""

    def update_fn(updates, state, params=None):
        del params
        return jax.tree.map(fn, updates), state

    return optax.GradientTransformation(optax.init_empty_state, update_fn)


def scale_by_schedule(step_size_fn: optax.Schedule) -> optax.GradientTransformation:
    r"""Multiplies updates by ``step_size_fn(t)``, where ``t`` counts updates from 0.

    Args:
      step_size_fn: schedule mapping the update count to a scalar.

    Returns:
      A ``GradientTransformation`` whose state is ``optax.ScaleByScheduleState``.
    """

    def init_fn(params):
        del params
        return ScaleByScheduleState(count=jnp.zeros([], jnp.int32))

    def update_fn(updates, state, params=None):
        del params
        step_size = step_size_fn(state.count)
        updates = jax.tree.map(lambda g: jnp.array(step_size, dtype=g.dtype) * g, updates)
        return updates, ScaleByScheduleState(count=optax.safe_increment(state.count))

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_learning_rate(
    learning_rate: optax.ScalarOrSchedule | None = None, *, flip_sign: bool = True
) -> optax.GradientTransformation:
    r"""Scales updates by :math:`-\eta` (or :math:`+\eta` with ``flip_sign=False``).

    Args:
      learning_rate: a scalar or a schedule; ``None`` means no scaling. A negative
        value is legal (gradient ascent); a non-finite one is rejected.
      flip_sign: scale by the negative learning rate (descent), the default.

    Returns:
      A ``GradientTransformation``; with a schedule its state counts steps.

    Example:
      >>> import optzoo
      >>> tx = optzoo.chain(optzoo.scale_by_adam(), optzoo.scale_by_learning_rate(1e-3))
    """
    if learning_rate is None:
        return optax.identity()
    check_finite("learning_rate", learning_rate)
    m = -1 if flip_sign else 1
    if callable(learning_rate):
        return scale_by_schedule(lambda count: m * learning_rate(count))
    return scale(m * learning_rate)
