"""Adam variants beyond optax: LaProp, StableAdamW, Grams, AdaBound, AdamP, Adam-mini, MARS,
and FTRL in Keras's form."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import check_finite, check_nonnegative, check_range
from optzoo.optimizers.zoo_refs import (
    CAO_2024_GRAMS,
    HEO_2021_ADAMP,
    LUO_2019_ADABOUND,
    MCMAHAN_2013_FTRL,
    WORTSMAN_2023_STABLE_ADAMW,
    YUAN_2024_MARS,
    ZHANG_2024_ADAM_MINI,
    ZIYIN_2020_LAPROP,
)
from optzoo.registry import register
from optzoo.transforms.scaling import scale, scale_by_learning_rate
from optzoo.transforms.weight_decay import add_decayed_weights
from optzoo.transforms.zoo_adam_variants import (
    scale_by_adabound,
    scale_by_adam_mini,
    scale_by_adamp,
    scale_by_grams,
    scale_by_laprop,
    scale_by_mars,
    scale_by_stable_adamw,
)

__all__ = [
    "laprop",
    "stable_adamw",
    "grams",
    "adabound",
    "adamp",
    "adam_mini",
    "mars_adamw",
    "mars_lion",
    "ftrl",
    "FtrlState",
]


@register(
    "laprop",
    family="adaptive",
    reference=ZIYIN_2020_LAPROP,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
)
def laprop(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-15,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""LaProp: momentum over RMS-normalised gradients.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_laprop`. The paper keeps :math:`\eta` inside the momentum (so a
    changing rate is averaged); here it multiplies the update, as in the rest of optzoo,
    which is identical for a constant rate.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: momentum and second-moment decays.
      eps: denominator.
      weight_decay: decoupled :math:`\lambda`.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.laprop(4e-4)

    References:
      Ziyin, Wang, Ueda. LaProp: Separating Momentum and Adaptivity in Adam. 2020.
      https://arxiv.org/abs/2002.04839
    """
    return optax.chain(
        scale_by_laprop(b1=b1, b2=b2, eps=eps),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "stable_adamw",
    family="adaptive",
    reference=WORTSMAN_2023_STABLE_ADAMW,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
)
def stable_adamw(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.99,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 1e-2,
) -> optax.GradientTransformationExtraArgs:
    r"""StableAdamW: AdamW with debiased betas and per-tensor update clipping.

    :math:`x_{t+1} = x_t - \eta\, u_t` with :math:`u_t` from :func:`optzoo.scale_by_stable_adamw`
    (weight decay included and clipped like the step).

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: moment decays.
      eps: denominator.
      weight_decay: decoupled :math:`\lambda`.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.stable_adamw(1e-3, weight_decay=0.1)

    References:
      Wortsman et al. Stable and low-precision training for large-scale vision-language
      models. 2023. https://arxiv.org/abs/2304.13013
    """
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    return optax.chain(
        scale_by_stable_adamw(b1=b1, b2=b2, eps=eps, weight_decay=weight_decay),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "grams",
    family="adaptive",
    reference=CAO_2024_GRAMS,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
)
def grams(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-6,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Grams: Adam magnitudes, current-gradient signs.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_grams`.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: moment decays.
      eps: denominator.
      weight_decay: decoupled :math:`\lambda`.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.grams(1e-3)

    References:
      Cao, Li, Song. Grams: Gradient Descent with Adaptive Momentum Scaling. 2024.
      https://arxiv.org/abs/2412.17107
    """
    return optax.chain(
        scale_by_grams(b1=b1, b2=b2, eps=eps),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


# create("adabound") converges to SGD at 1e-3 (the paper's 0.1 diverges on stiff problems
# such as the generic Rosenbrock check); the signature keeps the paper's 0.1.
@register(
    "adabound",
    family="adaptive",
    reference=LUO_2019_ADABOUND,
    state_per_param=2,
    defaults={"learning_rate": 1e-2, "final_lr": 1e-3},
)
def adabound(
    learning_rate: optax.ScalarOrSchedule,
    final_lr: jax.typing.ArrayLike = 0.1,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    gamma: jax.typing.ArrayLike = 1e-3,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
) -> optax.GradientTransformationExtraArgs:
    r"""AdaBound: Adam with step sizes clipped into bounds that converge to ``final_lr``.

    :math:`x_{t+1} = x_t - u_t` with :math:`u_t` from :func:`optzoo.scale_by_adabound`
    applied to :math:`g_t + \lambda x_t` (coupled L2, as in the authors' code).

    Args:
      learning_rate: Adam's step :math:`\eta`.
      final_lr: the SGD rate the bounds converge to.
      b1, b2: moment decays.
      gamma: convergence speed of the bounds.
      eps: denominator.
      weight_decay: coupled L2 :math:`\lambda`.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adabound(1e-3, final_lr=0.1)

    References:
      Luo, Xiong, Liu, Sun. Adaptive Gradient Methods with Dynamic Bound of Learning Rate.
      2019. https://arxiv.org/abs/1902.09843
    """
    check_nonnegative("eps", eps)
    check_finite("learning_rate", learning_rate)
    return optax.chain(
        add_decayed_weights(weight_decay),
        scale_by_adabound(learning_rate, final_lr=final_lr, b1=b1, b2=b2, gamma=gamma, eps=eps),
        scale(-1.0),
    )


@register(
    "adamp",
    family="adaptive",
    reference=HEO_2021_ADAMP,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
)
def adamp(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
    delta: jax.typing.ArrayLike = 0.1,
    wd_ratio: jax.typing.ArrayLike = 0.1,
    nesterov: bool = False,
    channel_axis: int | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""AdamP: Adam with projection of the radial component on scale-invariant weights.

    :math:`x_{t+1} = x_t - \eta\,u_t` with :math:`u_t` from :func:`optzoo.scale_by_adamp`.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: moment decays.
      eps: denominator.
      weight_decay: decoupled :math:`\lambda` (times ``wd_ratio`` on projected leaves).
      delta: threshold of the cosine test.
      wd_ratio: weight-decay factor on projected leaves.
      nesterov: Nesterov momentum.
      channel_axis: axis of the channels; ``None`` is the last axis (Flax kernels), PyTorch
        layouts use 0.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adamp(1e-3, weight_decay=1e-2)

    References:
      Heo et al. AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant
      Weights. 2021. https://arxiv.org/abs/2006.08217
    """
    check_nonnegative("weight_decay", weight_decay)
    check_nonnegative("delta", delta)
    check_nonnegative("wd_ratio", wd_ratio)
    return optax.chain(
        scale_by_adamp(
            b1=b1,
            b2=b2,
            eps=eps,
            weight_decay=weight_decay,
            delta=delta,
            wd_ratio=wd_ratio,
            nesterov=nesterov,
            channel_axis=channel_axis,
        ),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "adam_mini",
    family="adaptive",
    reference=ZHANG_2024_ADAM_MINI,
    state_per_param=1,
    defaults={"learning_rate": 1e-2},
)
def adam_mini(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
    block_axis: int | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Adam-mini: AdamW with one second-moment scalar per block of parameters.

    Block partition: for leaves with two or more axes, one block per index of ``block_axis``
    (default the last axis: one per output neuron of a Flax ``Dense``/``Conv`` kernel); each
    vector or scalar leaf is one block. The paper additionally splits attention Q/K by head
    and embeddings by token; pass a ``block_axis`` or use ``optax.multi_transform`` for those.
    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_adam_mini`.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: moment decays.
      eps: denominator.
      weight_decay: decoupled :math:`\lambda`.
      mask: weight-decay mask.
      block_axis: the axis indexing blocks (``None``: the last axis).

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adam_mini(1e-3, weight_decay=0.1)

    References:
      Zhang et al. Adam-mini: Use Fewer Learning Rates To Gain More. 2024.
      https://arxiv.org/abs/2406.16793
    """
    return optax.chain(
        scale_by_adam_mini(b1=b1, b2=b2, eps=eps, block_axis=block_axis),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "mars_adamw",
    family="adaptive",
    reference=YUAN_2024_MARS,
    state_per_param=3,
    defaults={"learning_rate": 1e-2},
)
def mars_adamw(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.95,
    b2: jax.typing.ArrayLike = 0.99,
    gamma: jax.typing.ArrayLike = 0.025,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""MARS-AdamW: AdamW on variance-reduced (and norm-clipped) gradients.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_mars` (``mode="adamw"``), applied to every leaf (the paper's
    code optionally keeps plain AdamW for vectors; use ``optax.multi_transform`` for that).

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: moment decays.
      gamma: variance-reduction strength.
      eps: denominator.
      weight_decay: decoupled :math:`\lambda`.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.mars_adamw(3e-3, weight_decay=1e-2)

    References:
      Yuan, Liu, Wu, Zhou, Gu. MARS: Unleashing the Power of Variance Reduction for Training
      Large Models. 2024. https://arxiv.org/abs/2411.10438
    """
    check_nonnegative("eps", eps)
    return optax.chain(
        scale_by_mars(b1=b1, b2=b2, gamma=gamma, eps=eps, mode="adamw"),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "mars_lion",
    family="sign",
    reference=YUAN_2024_MARS,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
)
def mars_lion(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    gamma: jax.typing.ArrayLike = 0.025,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""MARS-Lion: the sign of a momentum of variance-reduced gradients.

    :math:`x_{t+1} = x_t - \eta(\operatorname{sign}(m_t) + \lambda x_t)` with :math:`m_t` from
    :func:`optzoo.scale_by_mars` (``mode="lion"``).

    Args:
      learning_rate: :math:`\eta`.
      b1: momentum decay.
      gamma: variance-reduction strength.
      weight_decay: decoupled :math:`\lambda`.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.mars_lion(1e-4)

    References:
      Yuan, Liu, Wu, Zhou, Gu. MARS: Unleashing the Power of Variance Reduction for Training
      Large Models. 2024. https://arxiv.org/abs/2411.10438
    """
    return optax.chain(
        scale_by_mars(b1=b1, gamma=gamma, mode="lion"),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


class FtrlState(NamedTuple):
    """State of :func:`ftrl`."""

    count: jax.Array  # type: ignore[assignment]
    accumulator: optax.Updates  # n: sum of squared gradients (plus the initial value)
    linear: optax.Updates  # z: the FTRL linear term


@register(
    "ftrl",
    family="adaptive",
    reference=MCMAHAN_2013_FTRL,
    state_per_param=2,
    defaults={"learning_rate": 0.1},
)
def ftrl(
    learning_rate: optax.ScalarOrSchedule,
    learning_rate_power: jax.typing.ArrayLike = -0.5,
    initial_accumulator_value: jax.typing.ArrayLike = 0.1,
    l1_regularization_strength: jax.typing.ArrayLike = 0.0,
    l2_regularization_strength: jax.typing.ArrayLike = 0.0,
    l2_shrinkage_regularization_strength: jax.typing.ArrayLike = 0.0,
    beta: jax.typing.ArrayLike = 0.0,
) -> optax.GradientTransformationExtraArgs:
    r"""FTRL-Proximal in the form of ``keras.optimizers.Ftrl`` (same numbers).

    With :math:`p` = ``-learning_rate_power``, :math:`\tilde g = g + 2\lambda_s x`,
    :math:`\lambda_2' = \lambda_2 + \beta/(2\eta)`:

    .. math::
       n' = n + g^2,\quad z \mathrel{+}= \tilde g - \frac{n'^p - n^p}{\eta} x,\quad
       x \leftarrow \frac{\operatorname{clip}(z, \pm\lambda_1) - z}{n'^p/\eta + 2\lambda_2'}.

    Args:
      learning_rate: :math:`\eta` (scalar or schedule of the step).
      learning_rate_power: :math:`-p`, ``<= 0`` (-0.5: AdaGrad-like rates).
      initial_accumulator_value: starting :math:`n`, ``>= 0``.
      l1_regularization_strength: :math:`\lambda_1` (produces exact zeros).
      l2_regularization_strength: :math:`\lambda_2`.
      l2_shrinkage_regularization_strength: :math:`\lambda_s`, an L2 term on the gradient.
      beta: the :math:`\beta` of the per-coordinate rates in the paper.

    Returns:
      A ``GradientTransformationExtraArgs`` with state :class:`FtrlState`; needs params.

    Example:
      >>> import optzoo
      >>> tx = optzoo.ftrl(0.1, l1_regularization_strength=1e-3)

    References:
      McMahan et al. Ad Click Prediction: a View from the Trenches. 2013.
      https://doi.org/10.1145/2487575.2488200
    """
    check_finite("learning_rate", learning_rate)
    check_range("learning_rate_power", learning_rate_power, high=0.0)
    check_nonnegative("initial_accumulator_value", initial_accumulator_value)
    check_nonnegative("l1_regularization_strength", l1_regularization_strength)
    check_nonnegative("l2_regularization_strength", l2_regularization_strength)
    check_nonnegative("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)
    check_nonnegative("beta", beta)

    def init_fn(params):
        return FtrlState(
            count=jnp.zeros([], jnp.int32),
            accumulator=optax.tree.full_like(params, initial_accumulator_value),
            linear=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("ftrl needs params")
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
        power = -learning_rate_power

        def one(g, n, z, x):
            lr_x = jnp.asarray(lr, x.dtype)
            l2 = l2_regularization_strength + beta / (2.0 * lr_x)
            g_shrunk = g + 2 * l2_shrinkage_regularization_strength * x
            n_new = n + g * g
            z_new = z + g_shrunk - (n_new**power - n**power) / lr_x * x
            quadratic = n_new**power / lr_x + 2 * l2
            z_clip = jnp.clip(z_new, -l1_regularization_strength, l1_regularization_strength)
            x_new = (z_clip - z_new) / quadratic
            return (x_new - x).astype(x.dtype), n_new, z_new

        outs = jax.tree.map(one, updates, state.accumulator, state.linear, params)
        treedef = jax.tree.structure(updates)
        flat = treedef.flatten_up_to(outs)
        pick = lambda i: treedef.unflatten([o[i] for o in flat])  # noqa: E731
        return pick(0), FtrlState(
            count=optax.safe_increment(state.count), accumulator=pick(1), linear=pick(2)
        )

    return optax.GradientTransformationExtraArgs(
        init_fn, lambda u, s, p=None, **extra: update_fn(u, s, p)
    )
