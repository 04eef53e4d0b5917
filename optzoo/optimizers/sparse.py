"""Sparse fine-tuning optimizers: SaRA (AdamW on the initially small weights)."""

from __future__ import annotations

import math

import optax

from optzoo.core.validation import check_decay, check_finite, check_nonnegative
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.scaling import scale_by_learning_rate
from optzoo.transforms.sparse import mask_small_weights
from optzoo.transforms.weight_decay import add_decayed_weights

__all__ = ["sara"]


HU_2024_SARA = Reference(
    "Teng Hu, Jiangning Zhang, Ran Yi, Hongrui Huang, Yabiao Wang, Lizhuang Ma",
    "SaRA: High-Efficient Diffusion Model Fine-tuning with Progressive Sparse Low-Rank Adaptation",
    2024,
    "https://arxiv.org/abs/2409.06633",
)


@register(
    "sara",
    family="sparse",
    reference=HU_2024_SARA,
    state_per_param=2.25,
    defaults={"learning_rate": 1e-3 * math.exp(-350.0 * 1e-3)},
    authors=Authors(
        code="the authors' masked AdamW (sjtuplayer/SaRA, optim/adamw2.py)",
        differences="no nuclear-norm (low-rank) penalty; otherwise the authors' defaults",
        no_package="the authors published source files (sjtuplayer/SaRA), no package",
    ),
)
def sara(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    threshold: float = 1e-3,
    progressive_iter: int = -1,
) -> optax.GradientTransformation:
    r"""SaRA: AdamW that trains only the weights that were small at the start.

    .. math::
       x_{t+1} = x_t - \eta\, M \odot \Big(\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}
       + \lambda x_t\Big),\qquad M = \big[\,|x_0| < \tau\,\big],

    with Adam's bias-corrected moments; the other weights (and their decay) stay frozen.
    ``progressive_iter`` :math:`k \ge 0` refines the mask once before step :math:`k+1`
    (:func:`optzoo.mask_small_weights`). The mask is taken from the parameters passed to
    ``init``. Element-wise: every leaf shape is handled alike. The moments are kept for every
    weight (the authors keep them for the masked ones only; the updates are the same). The
    paper's nuclear-norm penalty (a random matrix per step) is not included.

    The authors' default step size is :math:`10^{-3} e^{-350\tau}`
    (``optzoo.create("sara")`` uses it for :math:`\tau = 10^{-3}`).

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1: first-moment decay.
      b2: second-moment decay.
      eps: :math:`\epsilon`.
      weight_decay: decoupled decay :math:`\lambda` of the trained weights.
      threshold: :math:`\tau`.
      progressive_iter: refinement step, ``-1`` for none.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.sara(1e-3, threshold=1e-3)

    References:
      Hu, Zhang, Yi, Huang, Wang, Ma. SaRA: High-Efficient Diffusion Model Fine-tuning with
      Progressive Sparse Low-Rank Adaptation. 2024. https://arxiv.org/abs/2409.06633
    """
    check_finite("learning_rate", learning_rate)
    check_decay("b1", b1)
    check_decay("b2", b2)
    check_nonnegative("eps", eps)
    check_nonnegative("weight_decay", weight_decay)
    return optax.chain(
        optax.scale_by_adam(b1=b1, b2=b2, eps=eps),
        add_decayed_weights(weight_decay),
        scale_by_learning_rate(learning_rate),
        mask_small_weights(threshold, progressive_iter),
    )
