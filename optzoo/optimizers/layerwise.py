"""Layer-wise adaptive optimizers: LARS, LAMB (trust ratio) and NovoGrad (per-layer moments).

Each gives optax's numbers, has optax's signature and uses optax's state classes.
"""

from __future__ import annotations

import jax
import optax

from optzoo.core.validation import check_nonnegative, check_unit_interval
from optzoo.optimizers.adam import MaskOrFn
from optzoo.registry import Reference, register
from optzoo.transforms.adam import scale_by_adam
from optzoo.transforms.layerwise import scale_by_novograd, scale_by_trust_ratio
from optzoo.transforms.momentum import trace
from optzoo.transforms.scaling import scale_by_learning_rate
from optzoo.transforms.weight_decay import add_decayed_weights

__all__ = [
    "lamb",
    "lars",
    "novograd",
]


YOU_2020_LAMB = Reference(
    "Yang You, Jing Li, Sashank Reddi, Jonathan Hseu, Sanjiv Kumar, Srinadh Bhojanapalli, "
    "Xiaodan Song, James Demmel, Kurt Keutzer, Cho-Jui Hsieh",
    "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes",
    2020,
    "https://arxiv.org/abs/1904.00962",
)


YOU_2017_LARS = Reference(
    "Yang You, Igor Gitman, Boris Ginsburg",
    "Large Batch Training of Convolutional Networks",
    2017,
    "https://arxiv.org/abs/1708.03888",
)


GINSBURG_2019_NOVOGRAD = Reference(
    "Boris Ginsburg, Patrice Castonguay, Oleksii Hrinchuk, Oleksii Kuchaiev, Vitaly Lavrukhin, "
    "Ryan Leary, Jason Li, Huyen Nguyen, Yang Zhang, Jonathan M. Cohen",
    "Stochastic Gradient Methods with Layer-wise Adaptive Moments for Training of Deep Networks",
    2019,
    "https://arxiv.org/abs/1905.11286",
)


@register(
    "lamb",
    family="adaptive",
    reference=YOU_2020_LAMB,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    also_in=("optax",),
)
def lamb(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-6,
    eps_root: jax.typing.ArrayLike = 0.0,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: MaskOrFn = None,
) -> optax.GradientTransformationExtraArgs:
    r"""LAMB: Adam directions rescaled layer-wise by a trust ratio.

    .. math::
       r_t = \hat m_t/(\sqrt{\hat v_t + \epsilon_{root}} + \epsilon) + \lambda x_t,\qquad
       x_{t+1} = x_t - \eta\, \frac{\|x_t\|}{\|r_t\|}\, r_t.

    Args:
      learning_rate: :math:`\eta`, scalar or schedule.
      b1, b2: Adam moment decays.
      eps, eps_root: Adam denominators.
      weight_decay: :math:`\lambda`.
      mask: weight-decay mask (pytree or callable).

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.lamb``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.lamb(1e-3, weight_decay=0.01)

    References:
      You et al. Large Batch Optimization for Deep Learning: Training BERT in 76 minutes.
      2020. https://arxiv.org/abs/1904.00962
    """
    return optax.chain(
        scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root),
        add_decayed_weights(weight_decay=weight_decay, mask=mask),
        scale_by_trust_ratio(),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "lars",
    family="adaptive",
    reference=YOU_2017_LARS,
    state_per_param=1,
    defaults={"learning_rate": 1.0},
    also_in=("optax",),
)
def lars(
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    weight_decay_mask: MaskOrFn = True,
    trust_coefficient: jax.typing.ArrayLike = 0.001,
    eps: jax.typing.ArrayLike = 0.0,
    trust_ratio_mask: MaskOrFn = True,
    momentum: jax.typing.ArrayLike = 0.9,
    nesterov: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""LARS: SGD with momentum on layer-wise trust-ratio-scaled gradients.

    .. math::
       r_t = (g_t + \lambda x_t)\, \frac{c\|x_t\|}{\|g_t + \lambda x_t\| + \epsilon},\qquad
       b_t = \mu b_{t-1} - \eta r_t,\qquad x_{t+1} = x_t + b_t.

    Args:
      learning_rate: :math:`\eta`.
      weight_decay: :math:`\lambda`.
      weight_decay_mask: where to apply weight decay.
      trust_coefficient: :math:`c`.
      eps: added to the update norm.
      trust_ratio_mask: where to apply the trust ratio.
      momentum: :math:`\mu`.
      nesterov: Nesterov momentum.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.lars``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.lars(1.0, weight_decay=1e-4)

    References:
      You, Gitman, Ginsburg. Large Batch Training of Convolutional Networks. 2017.
      https://arxiv.org/abs/1708.03888
    """
    check_nonnegative("trust_coefficient", trust_coefficient)
    check_unit_interval("momentum", momentum)
    return optax.chain(
        add_decayed_weights(weight_decay, mask=weight_decay_mask),
        optax.masked(
            inner=scale_by_trust_ratio(trust_coefficient=trust_coefficient, eps=eps),
            mask=trust_ratio_mask,
        ),
        scale_by_learning_rate(learning_rate),
        trace(decay=momentum, nesterov=nesterov),
    )


@register(
    "novograd",
    family="adaptive",
    reference=GINSBURG_2019_NOVOGRAD,
    state_per_param=1,
    defaults={"learning_rate": 1e-2},
    also_in=("optax",),
)
def novograd(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.25,
    eps: jax.typing.ArrayLike = 1e-6,
    eps_root: jax.typing.ArrayLike = 0.0,
    weight_decay: optax.ScalarOrSchedule = 0.0,
) -> optax.GradientTransformationExtraArgs:
    r"""NovoGrad: layer-wise normalised gradients with momentum.

    :math:`x_{t+1} = x_t - \eta\, m_t` with :math:`m_t` from :func:`optzoo.scale_by_novograd`.

    Args:
      learning_rate: :math:`\eta`.
      b1: momentum.
      b2: decay of the layer-wise second moment.
      eps, eps_root: denominators.
      weight_decay: :math:`\lambda`.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.novograd``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.novograd(1e-2)

    References:
      Ginsburg et al. Stochastic Gradient Methods with Layer-wise Adaptive Moments for
      Training of Deep Networks. 2019. https://arxiv.org/abs/1905.11286
    """
    check_nonnegative("eps_root", eps_root)
    check_nonnegative("weight_decay", weight_decay)
    return optax.chain(
        scale_by_novograd(b1=b1, b2=b2, eps=eps, eps_root=eps_root, weight_decay=weight_decay),
        scale_by_learning_rate(learning_rate),
    )
