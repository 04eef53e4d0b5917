"""Optimizers that ``optax.contrib`` also ships: AdEMAMix, simplified AdEMAMix, ADOPT, MADGRAD,
COCOB and DoG. Each gives ``optax.contrib``'s numbers (``optzoo.contrib`` keeps optax's own).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import check_decay, check_finite, check_nonnegative, check_unit_interval
from optzoo.optimizers.zoo_refs import (
    DEFAZIO_2021_MADGRAD,
    IVGI_2023_DOG,
    MORWANI_2024_SIMPLIFIED_ADEMAMIX,
    ORABONA_2017_COCOB,
    PAGLIARDINI_2024_ADEMAMIX,
    TANIGUCHI_2024_ADOPT,
)
from optzoo.registry import register
from optzoo.transforms.scaling import scale_by_learning_rate
from optzoo.transforms.weight_decay import add_decayed_weights
from optzoo.transforms.zoo_contrib import (
    scale_by_ademamix,
    scale_by_adopt,
    scale_by_cocob,
    scale_by_dog,
    scale_by_madgrad,
    scale_by_simplified_ademamix,
)

__all__ = ["ademamix", "simplified_ademamix", "adopt", "madgrad", "cocob", "dog"]


@register(
    "ademamix",
    family="adaptive",
    reference=PAGLIARDINI_2024_ADEMAMIX,
    state_per_param=3,
    defaults={"learning_rate": 1e-2},
)
def ademamix(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    b3: optax.ScalarOrSchedule = 0.9999,
    alpha: optax.ScalarOrSchedule = 5.0,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: Any | None = None,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""AdEMAMix: Adam with an extra slow EMA of the gradient.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_ademamix`. The paper warms up ``b3`` and ``alpha``; pass schedules.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2, b3: fast-EMA, second-moment and slow-EMA decays.
      alpha: slow-EMA weight.
      eps, eps_root: denominators.
      mu_dtype: dtype of the moments.
      weight_decay: :math:`\lambda` (decoupled).
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformation`` equal to ``optax.contrib.ademamix``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.ademamix(1e-3, alpha=8.0)

    References:
      Pagliardini, Ablin, Grangier. The AdEMAMix Optimizer: Better, Faster, Older. 2024.
      https://arxiv.org/abs/2409.03137
    """
    check_decay("b3", b3)
    check_nonnegative("alpha", alpha)
    check_nonnegative("eps", eps)
    check_nonnegative("eps_root", eps_root)
    return optax.chain(
        scale_by_ademamix(
            b1=b1, b2=b2, b3=b3, alpha=alpha, eps=eps, eps_root=eps_root, mu_dtype=mu_dtype
        ),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "simplified_ademamix",
    family="adaptive",
    reference=MORWANI_2024_SIMPLIFIED_ADEMAMIX,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
)
def simplified_ademamix(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.99,
    b2: jax.typing.ArrayLike = 0.95,
    alpha: optax.ScalarOrSchedule = 0.0,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""Simplified AdEMAMix: one undamped momentum plus :math:`\alpha g_t`.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_simplified_ademamix`. The momentum is a sum (no
    :math:`1-\beta_1`), so steps are up to :math:`1/(1-\beta_1)` times Adam's.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: momentum and second-moment decays.
      alpha: weight of the current gradient.
      eps, eps_root: denominators.
      weight_decay: :math:`\lambda`.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformation`` equal to ``optax.contrib.simplified_ademamix``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.simplified_ademamix(1e-4, alpha=2.0)

    References:
      Morwani, Vyas, Zhang, Kakade. Connections between Schedule-Free Optimizers, AdEMAMix,
      and Accelerated SGD Variants. 2025. https://arxiv.org/abs/2502.02431
    """
    check_nonnegative("alpha", alpha)
    check_nonnegative("eps", eps)
    check_nonnegative("eps_root", eps_root)
    return optax.chain(
        scale_by_simplified_ademamix(b1=b1, b2=b2, alpha=alpha, eps=eps, eps_root=eps_root),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "adopt",
    family="adaptive",
    reference=TANIGUCHI_2024_ADOPT,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
)
def adopt(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.9999,
    eps: jax.typing.ArrayLike = 1e-6,
    mu_dtype: Any | None = None,
    *,
    nesterov: bool = False,
    use_clipping: bool = True,
    clip_value_fn: Callable[[jnp.ndarray], jnp.ndarray] | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""ADOPT: Adam with the second moment taken one step late and momentum after scaling.

    :math:`x_{t+1} = x_t - \eta\, m_t` with :math:`m_t` from :func:`optzoo.scale_by_adopt`.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: momentum and second-moment decays.
      eps: lower bound of the denominator.
      mu_dtype: dtype of the momentum.
      nesterov: Nesterov momentum.
      use_clipping: clip the normalised gradient by ``clip_value_fn(step)``.
      clip_value_fn: the clip bound; ``None`` is :math:`t^{1/4}`.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.contrib.adopt``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adopt(1e-3)

    References:
      Taniguchi et al. ADOPT: Modified Adam Can Converge with Any beta_2 with the Optimal
      Rate. 2024. https://arxiv.org/abs/2411.02853
    """
    check_nonnegative("eps", eps)
    return optax.chain(
        scale_by_adopt(
            b1=b1,
            b2=b2,
            eps=eps,
            mu_dtype=mu_dtype,
            nesterov=nesterov,
            use_clipping=use_clipping,
            clip_value_fn=clip_value_fn,
        ),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "madgrad",
    family="adaptive",
    reference=DEFAZIO_2021_MADGRAD,
    state_per_param=3,
    defaults={"learning_rate": 1e-2},
)
def madgrad(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    eps: float = 1e-6,
) -> optax.GradientTransformation:
    r"""MADGRAD: dual averaging with cube-root adaptivity and momentum.

    Weight decay :math:`\lambda x` is added to the gradient, then
    :func:`optzoo.scale_by_madgrad` produces the step.

    Args:
      learning_rate: :math:`\eta`.
      momentum: iterate-averaging momentum.
      weight_decay: coupled weight decay :math:`\lambda`.
      eps: stabiliser.

    Returns:
      A ``GradientTransformation`` equal to ``optax.contrib.madgrad``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.madgrad(1e-2)

    References:
      Defazio, Jelassi. Adaptivity without Compromise: A Momentumized, Adaptive, Dual
      Averaged Gradient Method for Stochastic Optimization. 2021.
      https://arxiv.org/abs/2101.11075
    """
    check_unit_interval("momentum", momentum)
    check_finite("learning_rate", learning_rate)
    return optax.chain(
        add_decayed_weights(weight_decay),
        scale_by_madgrad(learning_rate=learning_rate, momentum=momentum, eps=eps),
    )


@register("cocob", family="learning_rate_free", reference=ORABONA_2017_COCOB, state_per_param=5)
def cocob(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    alpha: jax.typing.ArrayLike = 100.0,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""COCOB-Backprop: learning-rate-free coin betting.

    The gradient (plus :math:`\lambda x`) is scaled by ``learning_rate`` (keep 1) and fed to
    :func:`optzoo.scale_by_cocob`.

    Args:
      learning_rate: multiplies the gradient; 1 is the method.
      alpha: limits the first steps.
      eps: initial gradient-scale estimate.
      weight_decay: :math:`\lambda`.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformation`` equal to ``optax.contrib.cocob``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.cocob()

    References:
      Orabona, Tommasi. Training Deep Networks without Learning Rates Through Coin Betting.
      2017. https://arxiv.org/abs/1705.07795
    """
    check_nonnegative("eps", eps)
    check_finite("learning_rate", learning_rate)
    return optax.chain(
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate, flip_sign=False),
        scale_by_cocob(alpha, eps),
    )


# create("dog") starts from r_eps = 1e-4 (1 + |x0|): the paper's heuristic with a larger
# factor, which the generic 2000-step Rosenbrock check needs (1e-6 is the signature default).
@register(
    "dog",
    family="learning_rate_free",
    reference=IVGI_2023_DOG,
    state_per_param=1,
    defaults={"init_step": ("heuristic", 1e-4)},
)
def dog(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    init_step: tuple[Literal["distance", "learning_rate", "heuristic"], jax.typing.ArrayLike] = (
        "heuristic",
        1e-6,
    ),
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike | None = None,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""DoG (Distance over Gradients): parameter-free SGD step sizes.

    :math:`x_{t+1} = x_t - \eta\, \eta_t (g_t + \lambda x_t)`, :math:`\eta_t` from
    :func:`optzoo.scale_by_dog`; ``learning_rate`` (default 1) multiplies it.

    Args:
      learning_rate: multiplier of the DoG step (1 is the method).
      init_step: the initial movement, see :func:`optzoo.scale_by_dog`.
      eps: added under the square root.
      weight_decay: optional :math:`\lambda`.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformation`` equal to ``optax.contrib.dog``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.dog()

    References:
      Ivgi, Hinder, Carmon. DoG is SGD's Best Friend: A Parameter-Free Dynamic Step Size
      Schedule. 2023. https://arxiv.org/abs/2302.12022
    """
    check_nonnegative("eps", eps)
    return optax.chain(
        add_decayed_weights(weight_decay, mask) if weight_decay is not None else optax.identity(),
        scale_by_dog(init_step, eps),
        scale_by_learning_rate(learning_rate),
    )
