"""Pieces shared by the user-facing optimizer constructors."""

from __future__ import annotations

from typing import Any

import optax

from optzoo.transforms.scaling import scale_by_learning_rate
from optzoo.transforms.weight_decay import add_decayed_weights


def with_decoupled_decay(
    direction: optax.GradientTransformation,
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: optax.ScalarOrSchedule,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""The standard tail: ``direction``, then decoupled decay, then the learning rate.

    Returns ``optax.chain(direction, add_decayed_weights(weight_decay, mask),
    scale_by_learning_rate(learning_rate))``, i.e. :math:`x_{t+1} = x_t - \eta(u_t + \lambda
    x_t)` with :math:`u_t` the output of ``direction`` (the same chain ``optax.adamw`` builds).
    """
    return optax.chain(
        direction,
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


def with_coupled_decay(
    direction: optax.GradientTransformation,
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: optax.ScalarOrSchedule,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""The L2 form: the decay added to the gradient, then ``direction``, then the learning rate.

    Returns ``optax.chain(add_decayed_weights(weight_decay, mask), direction,
    scale_by_learning_rate(learning_rate))``: ``direction`` sees :math:`g_t + \lambda x_t`
    (PyTorch's ``weight_decay`` in SGD and Adam).
    """
    return optax.chain(
        add_decayed_weights(weight_decay, mask),
        direction,
        scale_by_learning_rate(learning_rate),
    )
