"""Gradient descent: full-batch GD, SGD, heavy-ball momentum and Nesterov."""

from __future__ import annotations

from typing import Any

import optax

from optzoo.core.validation import check_unit_interval
from optzoo.registry import Authors, Reference, register
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
    authors=Authors(
        code="paper, Section 2.1 (batch gradient descent)",
        no_package="a textbook method (Cauchy 1847) described in a survey; there is no code",
    ),
)
def gd(learning_rate: optax.ScalarOrSchedule) -> optax.GradientTransformation:
    r"""Full-batch gradient descent: :math:`x_{k+1} = x_k - \eta \nabla f(x_k)`.

    Meant for a loss evaluated on the whole data set each step; with mini-batches
    use :func:`sgd`. optzoo's update is the paper's; ``preset="authors"`` changes nothing.

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
    authors=Authors(
        code="paper, the recursion x_{n+1} = x_n + a_n (alpha - y_n)",
        differences="the paper's step sizes a_n (sum a_n = inf, sum a_n^2 < inf) are a "
        "learning-rate schedule; momentum and nesterov are later additions (off by default)",
        no_package="a 1951 stochastic-approximation paper; there is no code",
    ),
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

    optzoo's defaults are the paper's recursion (with :math:`\alpha = 0` and :math:`y_n` the
    stochastic gradient); ``optzoo.create("sgd", preset="authors")`` changes nothing.

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
    authors=Authors(
        code="paper, the heavy-ball iteration x_{k+1} = x_k - a grad f(x_k) + b (x_k - x_{k-1})",
        differences="optzoo steps -lr * t_k with t_k = g_k + momentum * t_{k-1}: Polyak's "
        "iterates (a = lr, b = momentum) for a constant learning rate; under a schedule "
        "Polyak's b (x_k - x_{k-1}) keeps the past steps' sizes, optzoo's momentum does not",
        no_package="a 1964 paper; there is no code",
    ),
)
def momentum(
    learning_rate: optax.ScalarOrSchedule, momentum: float = 0.9
) -> optax.GradientTransformation:
    r"""SGD with heavy-ball momentum (Polyak 1964): ``sgd(learning_rate, momentum)``.

    For a constant learning rate the iterates are Polyak's (``preset="authors"`` changes
    nothing); with a schedule they differ (see ``optzoo.registry.info("momentum").authors``).

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
    authors=Authors(
        code="paper, Eqs. (3)-(4): v_{t+1} = mu v_t - eps grad f(theta_t + mu v_t), "
        "theta_{t+1} = theta_t + v_{t+1}",
        differences="optzoo's (optax's, PyTorch's) parameters are the paper's look-ahead point "
        "theta_t + mu v_t, where the gradient is taken: the same gradients and points for a "
        "constant learning rate; under a schedule the two forms differ",
        no_package="the authors published no optimizer code",
    ),
)
def nesterov(
    learning_rate: optax.ScalarOrSchedule, momentum: float = 0.9
) -> optax.GradientTransformation:
    r"""SGD with Nesterov momentum in the form of Sutskever et al. (2013).

    optzoo's parameters are the paper's look-ahead point :math:`\theta_t + \mu v_t`; for a
    constant learning rate the trajectories agree (``preset="authors"`` changes nothing).

    References:
      Sutskever, Martens, Dahl, Hinton. On the importance of initialization and momentum
      in deep learning. 2013. https://proceedings.mlr.press/v28/sutskever13.html
    """
    check_unit_interval("momentum", momentum)
    return sgd(learning_rate, momentum=momentum, nesterov=True)
