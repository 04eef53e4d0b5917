"""Sharpness-aware minimisation (SAM) and adaptive SAM (ASAM) as one-call wrappers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax

from optzoo.core.tree_checks import reject_masked
from optzoo.core.validation import check_finite, check_nonnegative, check_unit_interval
from optzoo.registry import Authors, Reference, register
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


def _is_zero(x: Any) -> bool:
    # A Python zero (the term is skipped); arrays and tracers (inject_hyperparams) count.
    return isinstance(x, (int, float)) and x == 0


def sam_wrapper(
    inner: optax.GradientTransformation,
    rho: float = 0.05,
    *,
    adaptive: bool = False,
    eta: float = 0.0,
    eps: float = 1e-12,
    adaptive_mask: Any = None,
    l2_reg: float = 0.0,
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
      adaptive_mask: with ``adaptive``, a tree of booleans (or a callable on the params
        returning one, like ``optax.masked``'s mask) choosing the leaves scaled by
        :math:`T_w`; the others use :math:`T_w = 1`. The authors' ASAM scales the
        parameters whose names contain ``"weight"``: ``adaptive_mask=lambda p:
        jax.tree_util.tree_map_with_path(lambda k, _: "weight" in
        jax.tree_util.keystr(k).lower(), p)``. ``None``: every leaf.
      l2_reg: :math:`\lambda` of an L2 penalty :math:`\frac{\lambda}{2}\|w\|^2` counted as
        part of the loss (the authors' JAX code): it enters both the ascent gradient and the
        gradient at :math:`w + \epsilon`.

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
    check_nonnegative("l2_reg", l2_reg)
    inner = optax.with_extra_args_support(inner)

    def update_fn(
        updates, state, params=None, *, value_fn: Callable[..., Any] | None = None, **extra
    ):
        if value_fn is None or params is None:
            raise ValueError("SAM needs params and the value_fn= extra argument (the loss)")
        reject_masked(params, "SAM")
        if not _is_zero(l2_reg):
            updates = jax.tree.map(lambda g, w: g + l2_reg * w, updates, params)
        if adaptive:
            t = jax.tree.map(lambda w: jnp.abs(w) + eta, params)
            if adaptive_mask is not None:
                on = adaptive_mask(params) if callable(adaptive_mask) else adaptive_mask
                t = jax.tree.map(lambda ti, m: ti if m else jnp.ones_like(ti), t, on)
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
        if not _is_zero(l2_reg):
            adv = jax.tree.map(lambda a, w: a + l2_reg * w, adv, perturbed)
        adv = jax.tree.map(lambda a, g: a.astype(g.dtype), adv, updates)
        return inner.update(adv, state, params, value_fn=value_fn, **extra)

    return optax.GradientTransformationExtraArgs(inner.init, update_fn)


def _sgd(
    learning_rate: Any,
    momentum: float | None,
    nesterov: bool,
    weight_decay: float = 0.0,
    clip_norm: float | None = None,
) -> Any:
    check_nonnegative("weight_decay", weight_decay)
    return optax.chain(
        optax.clip_by_global_norm(clip_norm) if clip_norm is not None else optax.identity(),
        optax.identity() if _is_zero(weight_decay) else optax.add_decayed_weights(weight_decay),
        optax.trace(momentum, nesterov) if momentum is not None else optax.identity(),
        scale_by_learning_rate(learning_rate),
    )


def _weight_named(params: Any) -> Any:
    r"""``True`` for the leaves whose key path contains ``"weight"`` (case-insensitive): the
    leaves the authors' ASAM scales by :math:`|w| + \eta` (PyTorch ``*.weight``)."""
    return jax.tree_util.tree_map_with_path(
        lambda path, _: "weight" in jax.tree_util.keystr(path).lower(), params
    )


@register(
    "sam",
    family="wrapper",
    reference=FORET_2020,
    state_per_param=0,
    needs=("value_fn",),
    defaults={"learning_rate": 0.05},
    also_in=("optax.contrib",),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={"momentum": 0.9, "nesterov": True, "l2_reg": 1e-3, "clip_norm": 5.0},
        differences="plain SGD; the authors' JAX code: Nesterov momentum 0.9, L2 1e-3 in "
        "the loss, SAM gradient clipped to global norm 5 (and no eps in the norm)",
        no_package="the authors published JAX research code (google-research/sam)",
    ),
)
def sam(
    learning_rate: optax.ScalarOrSchedule,
    rho: float = 0.05,
    momentum: float | None = None,
    nesterov: bool = False,
    l2_reg: float = 0.0,
    clip_norm: float | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""SAM over SGD: :math:`x \leftarrow x - \eta \nabla L(x + \rho g/\|g\|)`.

    See :func:`sam_wrapper`; ``update`` needs the ``value_fn=`` extra argument. The authors'
    JAX code adds Nesterov momentum, an L2 term in the loss and gradient clipping
    (``optzoo.create("sam", preset="authors")``).

    Args:
      learning_rate: SGD step size.
      rho: neighbourhood radius.
      momentum: optional heavy-ball momentum of the base SGD.
      nesterov: Nesterov momentum.
      l2_reg: L2 penalty :math:`\frac{\lambda}{2}\|w\|^2` in the loss (both gradients).
      clip_norm: clip the SAM gradient to this global norm before the momentum.

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
    return sam_wrapper(
        _sgd(learning_rate, momentum, nesterov, clip_norm=clip_norm), rho, l2_reg=l2_reg
    )


@register(
    "asam",
    family="wrapper",
    reference=KWON_2021,
    state_per_param=0,
    needs=("value_fn",),
    defaults={"learning_rate": 0.05},
    also_in=(),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={
            "momentum": 0.9,
            "weight_decay": 5e-4,
            "eps": 1e-16,
            "adaptive_mask": "authors",
        },
        differences="every leaf scaled by |w| + eta, plain SGD; the authors' code scales "
        "the parameters named '*weight*' only and runs SGD(momentum 0.9, weight_decay 5e-4)",
        no_package="the authors published source files (SamsungLabs/ASAM)",
    ),
)
def asam(
    learning_rate: optax.ScalarOrSchedule,
    rho: float = 0.5,
    eta: float = 0.01,
    momentum: float | None = None,
    nesterov: bool = False,
    weight_decay: float = 0.0,
    eps: float = 1e-12,
    adaptive_mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""ASAM over SGD: SAM with the element-wise scale :math:`T_w = |w| + \eta`.

    See :func:`sam_wrapper`; ``update`` needs the ``value_fn=`` extra argument.
    The defaults ``rho=0.5, eta=0.01`` are Kwon et al.'s CIFAR settings. The authors' code
    scales only parameters named ``*weight*`` and steps with SGD(momentum 0.9, weight decay
    5e-4) (``optzoo.create("asam", preset="authors")``).

    Args:
      learning_rate: SGD step size.
      rho: neighbourhood radius.
      eta: offset in :math:`T_w`.
      momentum: optional heavy-ball momentum of the base SGD.
      nesterov: Nesterov momentum.
      weight_decay: coupled L2 of the base SGD, at the unperturbed weights
        (``torch.optim.SGD``'s ``weight_decay``).
      eps: added to the norm.
      adaptive_mask: leaves scaled by :math:`T_w` (see :func:`sam_wrapper`); ``"authors"``:
        the leaves whose key path contains ``"weight"``, as in the authors' code.

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
    if isinstance(adaptive_mask, str):
        if adaptive_mask != "authors":
            raise ValueError(
                f"adaptive_mask: a tree, a callable or 'authors', got {adaptive_mask!r}"
            )
        adaptive_mask = _weight_named
    return sam_wrapper(
        _sgd(learning_rate, momentum, nesterov, weight_decay),
        rho,
        adaptive=True,
        eta=eta,
        eps=eps,
        adaptive_mask=adaptive_mask,
    )
