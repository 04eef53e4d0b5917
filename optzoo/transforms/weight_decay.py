"""Decoupled weight decay: add a multiple of the parameters to the update."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import check_nonnegative

__all__ = ["add_decayed_weights"]


def _schedule_state_class() -> type:
    """optax's (unexported) ``WeightDecaySchedule`` state; an equal NamedTuple if it moved."""
    try:
        cls = importlib.import_module("optax.transforms._adding").WeightDecaySchedule
        if tuple(cls._fields) == ("count",):
            return cls
    except (ImportError, AttributeError):
        pass
    return NamedTuple("WeightDecaySchedule", [("count", Any)])  # type: ignore[misc,return-value]


WeightDecaySchedule = _schedule_state_class()


def add_decayed_weights(
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any | Callable[[optax.Params], Any] | None = None,
) -> optax.GradientTransformation:
    r"""Adds the parameters times a weight decay rate to the updates.

    .. math::
       u \leftarrow u + \lambda_t\, x

    Placed before the learning-rate scaling (as in :func:`optzoo.adamw`), this is the
    decoupled weight decay of Loshchilov & Hutter: the decay is not rescaled by the
    adaptive preconditioner.

    Args:
      weight_decay: the rate :math:`\lambda \ge 0`, or a schedule of the update count.
      mask: a pytree of booleans with the structure of (a prefix of) the parameters,
        or a callable returning one from the parameters; ``True`` where decay applies.

    Returns:
      A ``GradientTransformation`` that needs ``params``. Its state is
      ``optax.AddDecayedWeightsState`` (an ``EmptyState``), a state with a ``count``
      when ``weight_decay`` is a schedule, and wrapped in ``optax.MaskedState`` when a
      ``mask`` is given, exactly as ``optax.add_decayed_weights``.

    Example:
      >>> import jax, optzoo
      >>> decay_matrices = lambda p: jax.tree.map(lambda x: x.ndim > 1, p)
      >>> tx = optzoo.add_decayed_weights(1e-4, mask=decay_matrices)

    References:
      Loshchilov, Hutter. Decoupled Weight Decay Regularization. 2017.
      https://arxiv.org/abs/1711.05101
    """
    check_nonnegative("weight_decay", weight_decay)
    return _add_scheduled(
        weight_decay,
        lambda u, x, rate: u + rate * x,
        mask,
        states=(WeightDecaySchedule, optax.AddDecayedWeightsState),
        no_params="add_decayed_weights needs `params`: call update(updates, state, params)",
    )


def _add_scheduled(
    rate: optax.ScalarOrSchedule,
    add: Callable[[jax.Array, jax.Array, Any], jax.Array],
    mask: Any,
    *,
    states: tuple[Callable[..., Any], Callable[[], Any]],
    no_params: str,
) -> optax.GradientTransformation:
    """Maps ``add(u, x, rate)`` over the updates and params (``None`` leaves kept).

    ``rate`` is a scalar (0 passes the updates through) or a schedule of the update count;
    ``states`` is (the class of the counting state of a schedule, the empty state of a scalar).
    Shared by :func:`add_decayed_weights` and the penalties of
    :mod:`optzoo.transforms.regularization`.
    """
    scheduled = callable(rate)
    count_state, empty_state = states

    def init_fn(params):
        del params
        if scheduled:
            return count_state(count=jnp.zeros([], jnp.int32))
        return empty_state()

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError(no_params)
        if scheduled:
            r = rate(state.count)
            state = count_state(count=optax.safe_increment(state.count))
        elif isinstance(rate, (int, float)) and rate == 0.0:
            return updates, state
        else:
            r = rate
        updates = jax.tree.map(
            lambda u, x: None if u is None else add(u, x, r),
            updates,
            params,
            is_leaf=lambda u: u is None,
        )
        return updates, state

    tx = optax.GradientTransformation(init_fn, update_fn)
    return tx if mask is None else optax.masked(tx, mask)
