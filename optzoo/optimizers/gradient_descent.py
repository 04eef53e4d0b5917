"""Gradient descent: full-batch GD, SGD, heavy-ball momentum and Nesterov."""

from __future__ import annotations

from typing import Any

import optax

from optzoo.core.validation import check_unit_interval
from optzoo.registry import Reference, register
from optzoo.transforms.momentum import trace
from optzoo.transforms.scaling import scale_by_learning_rate

__all__ = ["gd", "sgd", "momentum", "nesterov"]

RUDER_2016 = Reference(
    "Sebastian Ruder",
    "An overview of gradient descent optimization algorithms",
    2016,
    "https://arxiv.org/abs/1609.04747",
)
ROBBINS_MONRO_1951 = Reference(
    "Herbert Robbins, Sutton Monro",
    "A Stochastic Approximation Method",
    1951,
    "https://doi.org/10.1214/aoms/1177729586",
)
POLYAK_1964 = Reference(
    "Boris T. Polyak",
    "Some methods of speeding up the convergence of iteration methods",
    1964,
    "https://doi.org/10.1016/0041-5553(64)90137-5",
)
SUTSKEVER_2013 = Reference(
    "Ilya Sutskever, James Martens, George Dahl, Geoffrey Hinton",
    "On the importance of initialization and momentum in deep learning",
    2013,
    "https://proceedings.mlr.press/v28/sutskever13.html",
)


@register(
    "gd",
    family="sgd",
    reference=RUDER_2016,
    state_per_param=0,
    defaults={"learning_rate": 0.1},
    also_in=(),
)
def gd(learning_rate: optax.ScalarOrSchedule) -> optax.GradientTransformation:
    r"""Full-batch gradient descent: :math:`x_{k+1} = x_k - \eta \nabla f(x_k)`.

    Meant for a loss evaluated on the whole data set each step; with mini-batches
    use :func:`sgd`.

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.

    Returns:
      A stateless ``GradientTransformation``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.gd(0.1)
      >>> state = tx.init(jnp.ones(3))

    References:
      Ruder. An overview of gradient descent optimization algorithms. 2016.
      https://arxiv.org/abs/1609.04747
    """
    return scale_by_learning_rate(learning_rate)


@register(
    "sgd",
    family="sgd",
    reference=ROBBINS_MONRO_1951,
    state_per_param=0,
    defaults={"learning_rate": 0.1},
    also_in=("optax",),
)
def sgd(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float | None = None,
    nesterov: bool = False,
    accumulator_dtype: Any | None = None,
) -> optax.GradientTransformation:
    r"""Stochastic gradient descent with optional heavy-ball or Nesterov momentum.

    .. math::
       t_k = g_k + \mu t_{k-1}, \qquad x_{k+1} = x_k - \eta\, t_k
       \quad(\text{Nesterov: } x_{k+1} = x_k - \eta (g_k + \mu t_k)).

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      momentum: :math:`\mu` in ``[0, 1]``; ``None`` for plain SGD.
      nesterov: use Nesterov momentum.
      accumulator_dtype: dtype of the momentum buffer.

    Returns:
      A ``GradientTransformation`` equal to ``optax.sgd``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.sgd(0.1, momentum=0.9, nesterov=True)

    References:
      Robbins, Monro. A Stochastic Approximation Method. 1951.
      https://doi.org/10.1214/aoms/1177729586
    """
    check_unit_interval("momentum", momentum)
    return optax.chain(
        trace(decay=momentum, nesterov=nesterov, accumulator_dtype=accumulator_dtype)
        if momentum is not None
        else optax.identity(),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "momentum",
    family="sgd",
    reference=POLYAK_1964,
    state_per_param=1,
    defaults={"learning_rate": 0.05},
    also_in=(),
)
def momentum(
    learning_rate: optax.ScalarOrSchedule, momentum: float = 0.9
) -> optax.GradientTransformation:
    r"""SGD with heavy-ball momentum (Polyak 1964): ``sgd(learning_rate, momentum)``.

    References:
      Polyak. Some methods of speeding up the convergence of iteration methods. 1964.
      https://doi.org/10.1016/0041-5553(64)90137-5
    """
    check_unit_interval("momentum", momentum)
    return sgd(learning_rate, momentum=momentum)


@register(
    "nesterov",
    family="sgd",
    reference=SUTSKEVER_2013,
    state_per_param=1,
    defaults={"learning_rate": 0.05},
    also_in=(),
)
def nesterov(
    learning_rate: optax.ScalarOrSchedule, momentum: float = 0.9
) -> optax.GradientTransformation:
    r"""SGD with Nesterov momentum in the form of Sutskever et al. (2013).

    References:
      Sutskever, Martens, Dahl, Hinton. On the importance of initialization and momentum
      in deep learning. 2013. https://proceedings.mlr.press/v28/sutskever13.html
    """
    check_unit_interval("momentum", momentum)
    return sgd(learning_rate, momentum=momentum, nesterov=True)
