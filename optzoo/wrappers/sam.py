"""Sharpness-aware minimisation (SAM) and adaptive SAM (ASAM) as one-call wrappers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax

from optzoo.core.tree_checks import reject_masked
from optzoo.core.validation import check_finite, check_nonnegative, check_unit_interval
from optzoo.registry import Reference, register
from optzoo.transforms.scaling import scale_by_learning_rate

__all__ = ["sam_wrapper", "sam", "asam"]

FORET_2020 = Reference(
    "Pierre Foret, Ariel Kleiner, Hossein Mobahi, Behnam Neyshabur",
    "Sharpness-Aware Minimization for Efficiently Improving Generalization",
    2020,
    "https://arxiv.org/abs/2010.01412",
)
KWON_2021 = Reference(
    "Jungmin Kwon, Jeongseop Kim, Hyunseo Park, In Kwon Choi",
    "ASAM: Adaptive Sharpness-Aware Minimization for Scale-Invariant Learning of Deep "
    "Neural Networks",
    2021,
    "https://arxiv.org/abs/2102.11600",
)


def sam_wrapper(
    inner: optax.GradientTransformation,
    rho: float = 0.05,
    *,
    adaptive: bool = False,
    eta: float = 0.0,
    eps: float = 1e-12,
) -> optax.GradientTransformationExtraArgs:
    r"""SAM / ASAM around any optimizer; each ``update`` is one full SAM step.

    With :math:`T_w = |w| + \eta` (ASAM, ``adaptive=True``) or :math:`T_w = 1` (SAM):

    .. math::
       \epsilon = \rho\, \frac{T_w^2 \odot g}{\|T_w \odot g\|_2 + \epsilon_0}, \qquad
       \tilde g = \nabla L(w + \epsilon), \qquad
       (u, s) = \text{inner.update}(\tilde g, s, w).

    The norm is global over the tree. The loss comes in as the ``value_fn``
    extra argument (``value_fn(params) -> scalar``); the gradient at the
    perturbed point is ``jax.grad(value_fn)``, so one update costs one extra
    gradient. Unlike ``optax.contrib.sam`` (which alternates adversarial and
    descent steps through the outer loop), no change to the training loop is
    needed beyond passing ``value_fn``. For a stochastic loss, close the
    mini-batch into ``value_fn``.

    Args:
      inner: the base optimizer applied to the perturbed gradient.
      rho: neighbourhood radius :math:`\rho`.
      adaptive: ASAM's element-wise scaling.
      eta: ASAM's :math:`\eta` in :math:`T_w = |w| + \eta`.
      eps: :math:`\epsilon_0` added to the norm.

    Returns:
      A ``GradientTransformationExtraArgs`` with ``inner``'s state; ``update``
      requires ``params`` and ``value_fn``.

    Example:
      >>> import optax, optzoo
      >>> tx = optzoo.sam_wrapper(optax.sgd(0.1), rho=0.05)

    References:
      Foret, Kleiner, Mobahi, Neyshabur. Sharpness-Aware Minimization for Efficiently
      Improving Generalization. 2020. https://arxiv.org/abs/2010.01412
      Kwon, Kim, Park, Choi. ASAM: Adaptive Sharpness-Aware Minimization for
      Scale-Invariant Learning of Deep Neural Networks. 2021. https://arxiv.org/abs/2102.11600
    """
    check_nonnegative("rho", rho)
    check_nonnegative("eta", eta)
    check_nonnegative("eps", eps)
    inner = optax.with_extra_args_support(inner)

    def update_fn(
        updates, state, params=None, *, value_fn: Callable[..., Any] | None = None, **extra
    ):
        if value_fn is None or params is None:
            raise ValueError("SAM needs params and the value_fn= extra argument (the loss)")
        reject_masked(params, "SAM")
        if adaptive:
            t = jax.tree.map(lambda w: jnp.abs(w) + eta, params)
            scaled = jax.tree.map(lambda ti, g: ti * g, t, updates)
        else:
            t = None
            scaled = updates
        norm = optax.tree.norm(scaled) + eps
        if adaptive:
            e = jax.tree.map(lambda ti, g: rho * ti * ti * g / norm, t, updates)
        else:
            e = jax.tree.map(lambda g: rho * g / norm, updates)
        perturbed = jax.tree.map(lambda w, ei: (w + ei).astype(w.dtype), params, e)
        adv = jax.grad(value_fn)(perturbed)
        adv = jax.tree.map(lambda a, g: a.astype(g.dtype), adv, updates)
        return inner.update(adv, state, params, value_fn=value_fn, **extra)

    return optax.GradientTransformationExtraArgs(inner.init, update_fn)


def _sgd(learning_rate: Any, momentum: float | None, nesterov: bool) -> Any:
    return optax.chain(
        optax.trace(momentum, nesterov) if momentum is not None else optax.identity(),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "sam",
    family="wrapper",
    reference=FORET_2020,
    state_per_param=0,
    needs=("value_fn",),
    defaults={"learning_rate": 0.05},
    also_in=("optax.contrib",),
)
def sam(
    learning_rate: optax.ScalarOrSchedule,
    rho: float = 0.05,
    momentum: float | None = None,
    nesterov: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""SAM over SGD: :math:`x \leftarrow x - \eta \nabla L(x + \rho g/\|g\|)`.

    See :func:`sam_wrapper`; ``update`` needs the ``value_fn=`` extra argument.

    Args:
      learning_rate: SGD step size.
      rho: neighbourhood radius.
      momentum: optional heavy-ball momentum of the base SGD.
      nesterov: Nesterov momentum.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.sam(0.05, rho=0.05)

    References:
      Foret, Kleiner, Mobahi, Neyshabur. Sharpness-Aware Minimization for Efficiently
      Improving Generalization. 2020. https://arxiv.org/abs/2010.01412
    """
    check_unit_interval("momentum", momentum)
    check_finite("learning_rate", learning_rate)
    return sam_wrapper(_sgd(learning_rate, momentum, nesterov), rho)


@register(
    "asam",
    family="wrapper",
    reference=KWON_2021,
    state_per_param=0,
    needs=("value_fn",),
    defaults={"learning_rate": 0.05},
    also_in=(),
)
def asam(
    learning_rate: optax.ScalarOrSchedule,
    rho: float = 0.5,
    eta: float = 0.01,
    momentum: float | None = None,
    nesterov: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""ASAM over SGD: SAM with the element-wise scale :math:`T_w = |w| + \eta`.

    See :func:`sam_wrapper`; ``update`` needs the ``value_fn=`` extra argument.
    The defaults ``rho=0.5, eta=0.01`` are Kwon et al.'s CIFAR settings.

    Args:
      learning_rate: SGD step size.
      rho: neighbourhood radius.
      eta: offset in :math:`T_w`.
      momentum: optional heavy-ball momentum of the base SGD.
      nesterov: Nesterov momentum.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.asam(0.05)

    References:
      Kwon, Kim, Park, Choi. ASAM: Adaptive Sharpness-Aware Minimization for
      Scale-Invariant Learning of Deep Neural Networks. 2021. https://arxiv.org/abs/2102.11600
    """
    check_unit_interval("momentum", momentum)
    check_finite("learning_rate", learning_rate)
    return sam_wrapper(_sgd(learning_rate, momentum, nesterov), rho, adaptive=True, eta=eta)
