"""Adaptive optimizers that optax also ships: LAMB, LARS, AdaBelief, RAdam, Adan, Yogi, NovoGrad.

Each gives optax's numbers, has optax's signature and uses optax's state classes.
"""

from __future__ import annotations

from typing import Any

import jax
import optax

from optzoo.core.validation import check_finite, check_nonnegative, check_unit_interval
from optzoo.optimizers.zoo_refs import (
    ANIL_2019_SM3,
    GINSBURG_2019_NOVOGRAD,
    LIU_2020_RADAM,
    XIE_2022_ADAN,
    YOU_2017_LARS,
    YOU_2020_LAMB,
    ZAHEER_2018_YOGI,
    ZHUANG_2020_ADABELIEF,
)
from optzoo.registry import register
from optzoo.transforms.adaptive import scale_by_adam
from optzoo.transforms.momentum import trace
from optzoo.transforms.scaling import scale, scale_by_learning_rate
from optzoo.transforms.weight_decay import add_decayed_weights
from optzoo.transforms.zoo_adaptive import (
    scale_by_adan,
    scale_by_belief,
    scale_by_novograd,
    scale_by_radam,
    scale_by_sm3,
    scale_by_trust_ratio,
    scale_by_yogi,
)

__all__ = ["lamb", "lars", "adabelief", "radam", "adan", "yogi", "novograd", "sm3"]

MaskOrFn = Any


@register(
    "lamb",
    family="adaptive",
    reference=YOU_2020_LAMB,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
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
    "adabelief",
    family="adaptive",
    reference=ZHUANG_2020_ADABELIEF,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
)
def adabelief(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-16,
    eps_root: jax.typing.ArrayLike = 1e-16,
    *,
    nesterov: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""AdaBelief: Adam whose denominator tracks :math:`(g_t - m_t)^2`.

    .. math::
       x_{t+1} = x_t - \eta\,\hat m_t/(\sqrt{\hat s_t} + \epsilon),\quad
       s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t-m_t)^2 + \epsilon_{root}.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: moment decays.
      eps, eps_root: denominators.
      nesterov: Nesterov first moment.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.adabelief``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adabelief(1e-3)

    References:
      Zhuang et al. AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed
      Gradients. 2020. https://arxiv.org/abs/2010.07468
    """
    return optax.chain(
        scale_by_belief(b1=b1, b2=b2, eps=eps, eps_root=eps_root, nesterov=nesterov),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "radam",
    family="adaptive",
    reference=LIU_2020_RADAM,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
)
def radam(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    threshold: jax.typing.ArrayLike = 5.0,
    *,
    nesterov: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""Rectified Adam: SGD with momentum until the variance of the adaptive rate is tractable.

    See :func:`optzoo.scale_by_radam` for the rule; :math:`x_{t+1} = x_t - \eta u_t`.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: moment decays.
      eps, eps_root: denominators.
      threshold: SMA length above which the adaptive step is used.
      nesterov: Nesterov first moment.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.radam``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.radam(1e-3)

    References:
      Liu et al. On the Variance of the Adaptive Learning Rate and Beyond. 2020.
      https://arxiv.org/abs/1908.03265
    """
    check_nonnegative("eps_root", eps_root)
    check_nonnegative("threshold", threshold)
    return optax.chain(
        scale_by_radam(
            b1=b1, b2=b2, eps=eps, eps_root=eps_root, threshold=threshold, nesterov=nesterov
        ),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "adan",
    family="adaptive",
    reference=XIE_2022_ADAN,
    state_per_param=4,
    defaults={"learning_rate": 1e-2},
)
def adan(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.98,
    b2: jax.typing.ArrayLike = 0.92,
    b3: jax.typing.ArrayLike = 0.99,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 1e-8,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: MaskOrFn = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Adan: adaptive Nesterov momentum with a gradient-difference term.

    :math:`x_{t+1} = x_t - \eta (u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_adan`.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2, b3: decays of the gradient, gradient-difference and second moments.
      eps, eps_root: denominators.
      weight_decay: :math:`\lambda` (decoupled).
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.adan``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adan(1e-3)

    References:
      Xie et al. Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep
      Models. 2022. https://arxiv.org/abs/2208.06677
    """
    check_nonnegative("eps_root", eps_root)
    return optax.chain(
        scale_by_adan(b1=b1, b2=b2, b3=b3, eps=eps, eps_root=eps_root),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "yogi",
    family="adaptive",
    reference=ZAHEER_2018_YOGI,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
)
def yogi(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-3,
) -> optax.GradientTransformationExtraArgs:
    r"""Yogi: Adam with an additive second-moment update that cannot grow too fast.

    :math:`x_{t+1} = x_t - \eta\, u_t` with :math:`u_t` from :func:`optzoo.scale_by_yogi`.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: moment rates.
      eps: denominator.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.yogi``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.yogi(1e-2)

    References:
      Zaheer et al. Adaptive Methods for Nonconvex Optimization. 2018.
      https://papers.nips.cc/paper/2018/hash/90365351ccc7437a1309dc64e4db32a3-Abstract.html
    """
    check_finite("learning_rate", learning_rate)
    return optax.chain(scale_by_yogi(b1=b1, b2=b2, eps=eps), scale_by_learning_rate(learning_rate))


@register(
    "novograd",
    family="adaptive",
    reference=GINSBURG_2019_NOVOGRAD,
    state_per_param=1,
    defaults={"learning_rate": 1e-2},
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


@register(
    "sm3",
    family="adaptive",
    reference=ANIL_2019_SM3,
    state_per_param=1,
    defaults={"learning_rate": 0.1},
)
def sm3(
    learning_rate: jax.typing.ArrayLike, momentum: jax.typing.ArrayLike = 0.9
) -> optax.GradientTransformationExtraArgs:
    r"""SM3: memory-efficient AdaGrad with row/column accumulators, plus momentum.

    :math:`x_{t+1} = x_t - \eta\, m_t` with :math:`m_t` from :func:`optzoo.scale_by_sm3`
    (``b1=momentum``, ``b2=1``). Like optax, ``learning_rate`` must be a scalar.

    Args:
      learning_rate: :math:`\eta` (a scalar).
      momentum: decay of the momentum.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.sm3``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.sm3(0.1)

    References:
      Anil, Gupta, Koren, Singer. Memory-Efficient Adaptive Optimization. 2019.
      https://arxiv.org/abs/1901.11150
    """
    check_finite("learning_rate", learning_rate)
    check_unit_interval("momentum", momentum)
    return optax.chain(scale_by_sm3(momentum), scale(-learning_rate))  # type: ignore[operator]
