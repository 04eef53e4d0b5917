"""Momentum building blocks."""

from __future__ import annotations

from typing import Any

import jax
import optax
from optax import TraceState

from optzoo.core.validation import check_range

__all__ = ["trace"]


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
