"""Coupled regularization penalties added to the gradient: L2 (PyTorch style) and L1.

Both add the gradient of a penalty to the incoming updates, so they belong
*before* any adaptive scaling in a chain. That is "coupled" weight decay, the
meaning of ``weight_decay`` in ``torch.optim.Adam``. Decoupled weight decay
(AdamW) adds the penalty after the scaling; see ``add_decayed_weights``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import check_nonnegative
from optzoo.transforms.weight_decay import _add_scheduled

__all__ = ["RegularizationState", "add_l2_penalty", "add_l1_penalty"]

_NO_PARAMS = "This regularization transform needs `params`; pass them to update()."

# A tree of booleans (or a prefix of the params tree), a callable returning one, or None.
MaskOrFn = Any


class RegularizationState(NamedTuple):
    """Step counter of a penalty whose strength is a schedule."""

    count: jax.Array  # type: ignore[assignment]  # shape=(), int32; shadows tuple.count


def _penalty(
    name: str,
    strength: optax.ScalarOrSchedule,
    penalty_grad: Callable[[jax.Array], jax.Array],
    mask: MaskOrFn,
) -> optax.GradientTransformation:
    """Adds ``strength * penalty_grad(param)`` to every update leaf."""
    check_nonnegative(name, strength)

    def add(g, p, s):
        return g + (jnp.asarray(s, dtype=p.dtype) * penalty_grad(p)).astype(g.dtype)

    return _add_scheduled(
        strength,
        add,
        mask,
        states=(RegularizationState, optax.EmptyState),
        no_params=_NO_PARAMS,
    )


def add_l2_penalty(
    weight_decay: optax.ScalarOrSchedule = 0.0, mask: MaskOrFn = None
) -> optax.GradientTransformation:
    r"""Adds the gradient of an L2 penalty to the updates (coupled weight decay).

    .. math::
       u \leftarrow u + \lambda\, \theta,
       \qquad\text{the gradient of}\quad \tfrac{\lambda}{2}\lVert\theta\rVert_2^2 .

    Put it first in a chain, before the adaptive scaling:
    ``chain(add_l2_penalty(wd), scale_by_adam(), scale_by_learning_rate(lr))``
    is ``torch.optim.Adam(lr=lr, weight_decay=wd)``. Before a plain learning-rate
    scaling it is ordinary L2-regularized SGD.

    Args:
      weight_decay: :math:`\lambda \ge 0`, a scalar or a schedule of the step count.
      mask: a tree of booleans shaped like (a prefix of) the params, or a callable
        returning one; ``True`` leaves are penalized, ``False`` leaves pass through.

    Returns:
      A ``GradientTransformation``; its state is ``optax.EmptyState`` for a scalar
      and :class:`RegularizationState` (a step count) for a schedule.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.chain(optzoo.add_l2_penalty(1e-4), optzoo.scale_by_adam(),
      ...                   optzoo.scale_by_learning_rate(1e-3))
      >>> state = tx.init(jnp.ones(3))

    References:
      Krogh, Hertz. A Simple Weight Decay Can Improve Generalization. 1991.
      https://proceedings.neurips.cc/paper/1991/hash/8eefcfdf5990e441f0fb6f3fad709e21-Abstract.html
      Loshchilov, Hutter. Decoupled Weight Decay Regularization. 2019 (coupled vs decoupled).
      https://arxiv.org/abs/1711.05101
    """
    return _penalty("weight_decay", weight_decay, lambda p: p, mask)


def add_l1_penalty(
    l1: optax.ScalarOrSchedule = 0.0, mask: MaskOrFn = None
) -> optax.GradientTransformation:
    r"""Adds a subgradient of an L1 penalty to the updates.

    .. math::
       u \leftarrow u + \lambda_1\, \operatorname{sign}(\theta),
       \qquad\text{a subgradient of}\quad \lambda_1 \lVert\theta\rVert_1
       \quad(\operatorname{sign}(0) = 0).

    Like :func:`add_l2_penalty`, it goes before any adaptive scaling. Plain
    subgradient steps do not produce exact zeros; use a proximal method for
    sparsity.

    Args:
      l1: :math:`\lambda_1 \ge 0`, a scalar or a schedule of the step count.
      mask: a tree of booleans shaped like (a prefix of) the params, or a callable
        returning one; ``True`` leaves are penalized.

    Returns:
      A ``GradientTransformation``; its state is ``optax.EmptyState`` for a scalar
      and :class:`RegularizationState` for a schedule.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.chain(optzoo.add_l1_penalty(1e-5), optzoo.sgd(0.1))
      >>> state = tx.init(jnp.ones(3))

    References:
      Tibshirani. Regression Shrinkage and Selection via the Lasso. 1996.
      https://doi.org/10.1111/j.2517-6161.1996.tb02080.x
    """
    return _penalty("l1", l1, jnp.sign, mask)
