"""Polyak and exponential moving averages of the parameters, for evaluation."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import check_decay

__all__ = ["ParameterAveragingState", "parameter_averaging", "averaged_params"]


class ParameterAveragingState(NamedTuple):
    """Running average of the parameters (after each update) and its count."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    average: Any


def parameter_averaging(decay: float | None = 0.999) -> optax.GradientTransformation:
    r"""Keeps an average of the parameters in the state; passes updates through unchanged.

    Put it *last* in a chain, so that :math:`x_{t} = x_{t-1} + u_t` is the
    parameter after this step:

    .. math::
       \bar x_t = \beta \bar x_{t-1} + (1-\beta) x_t \ \text{(EMA)}, \qquad
       \bar x_t = \bar x_{t-1} + (x_t - \bar x_{t-1}) / t \ \text{(Polyak, decay=None)}.

    The EMA starts from the initial parameters (:math:`\bar x_0 = x_0`). Read the
    average with :func:`averaged_params`.

    Args:
      decay: EMA decay :math:`\beta \in [0, 1)`, or ``None`` for the uniform
        (Polyak-Ruppert) average of all iterates :math:`x_1 \ldots x_t`.

    Returns:
      A ``GradientTransformation``; ``update`` requires ``params``.

    Example:
      >>> import jax.numpy as jnp, optax, optzoo
      >>> tx = optax.chain(optax.sgd(0.1), optzoo.parameter_averaging(0.99))
      >>> state = tx.init(jnp.ones(3))
      >>> optzoo.averaged_params(state).shape
      (3,)

    References:
      Polyak, Juditsky. Acceleration of Stochastic Approximation by Averaging. 1992.
      https://doi.org/10.1137/0330046
    """
    if decay is not None:
        check_decay("decay", decay)

    def init_fn(params):
        return ParameterAveragingState(
            count=jnp.zeros([], jnp.int32),
            average=jax.tree.map(
                lambda p: jnp.asarray(p, jnp.promote_types(p.dtype, jnp.float32)), params
            ),
        )

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("parameter_averaging needs params")
        count = optax.safe_increment(state.count)
        new = jax.tree.map(lambda p, u: p + u, params, updates)
        if decay is None:
            avg = jax.tree.map(
                lambda a, x: (a + (x - a) / count).astype(a.dtype), state.average, new
            )
            avg = jax.tree.map(lambda a, x: jnp.where(count == 1, x, a).astype(a.dtype), avg, new)
        else:
            avg = jax.tree.map(
                lambda a, x: (decay * a + (1 - decay) * x).astype(a.dtype), state.average, new
            )
        return updates, ParameterAveragingState(count=count, average=avg)

    return optax.GradientTransformation(init_fn, update_fn)


def averaged_params(state: Any, like: Any | None = None) -> Any:
    """The averaged parameters stored by :func:`parameter_averaging` anywhere in ``state``.

    Args:
      state: an optimizer state containing one ``parameter_averaging`` state.
      like: optional parameters whose dtypes the result takes.

    Returns:
      The average, a tree like the parameters.
    """
    found = []
    jax.tree.map(
        lambda x: found.append(x),
        state,
        is_leaf=lambda x: isinstance(x, ParameterAveragingState),
    )
    found = [x for x in found if isinstance(x, ParameterAveragingState)]
    if len(found) != 1:
        raise ValueError(f"expected one parameter_averaging state, found {len(found)}")
    avg = found[0].average
    if like is not None:
        avg = jax.tree.map(lambda a, p: a.astype(p.dtype), avg, like)
    return avg
