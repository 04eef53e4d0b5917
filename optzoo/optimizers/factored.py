"""Optimizers with memory-efficient second moments: Adafactor (optax's numbers), CAME, SM3."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import (
    check_finite,
    check_nonnegative,
    check_unit_interval,
)
from optzoo.optimizers._common import with_decoupled_decay
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.factored import scale_by_came, scale_by_factored_rms, scale_by_sm3
from optzoo.transforms.scaling import scale, scale_by_learning_rate
from optzoo.transforms.weight_decay import add_decayed_weights

__all__ = [
    "sm3",
    "adafactor",
    "came",
]


SHAZEER_2018_ADAFACTOR = Reference(
    "Noam Shazeer, Mitchell Stern",
    "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost",
    2018,
    "https://arxiv.org/abs/1804.04235",
)


ANIL_2019_SM3 = Reference(
    "Rohan Anil, Vineet Gupta, Tomer Koren, Yoram Singer",
    "Memory-Efficient Adaptive Optimization",
    2019,
    "https://arxiv.org/abs/1901.11150",
)


LUO_2023_CAME = Reference(
    "Yang Luo, Xiaozhe Ren, Zangwei Zheng, Zhuo Jiang, Xin Jiang, Yang You",
    "CAME: Confidence-guided Adaptive Memory Efficient Optimization",
    2023,
    "https://arxiv.org/abs/2307.02047",
)


@register(
    "adafactor",
    family="adaptive",
    reference=SHAZEER_2018_ADAFACTOR,
    state_per_param=0,  # a row and a column vector per matrix: O(n), 0 to leading order
    defaults={"learning_rate": 1e-2},
    also_in=("optax",),
)
def adafactor(
    learning_rate: optax.ScalarOrSchedule | None = None,
    min_dim_size_to_factor: int = 128,
    decay_rate: jax.typing.ArrayLike = 0.8,
    decay_offset: jax.typing.ArrayLike = 0,
    multiply_by_parameter_scale: bool = True,
    clipping_threshold: jax.typing.ArrayLike | None = 1.0,
    momentum: jax.typing.ArrayLike | None = None,
    dtype_momentum: Any = jnp.float32,
    weight_decay_rate: optax.ScalarOrSchedule | None = None,
    eps: jax.typing.ArrayLike = 1e-30,
    factored: bool = True,
    weight_decay_mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Adafactor: factored second moments, update clipping and relative step sizes.

    The chain is :func:`optzoo.scale_by_factored_rms`, ``clip_by_block_rms(clipping_threshold)``,
    ``learning_rate``, multiplication by the parameter RMS (``multiply_by_parameter_scale``),
    optional momentum and weight decay, then a sign flip; see optax's ``adafactor``.

    Args:
      learning_rate: step size; ``None`` leaves it out (relative steps only).
      min_dim_size_to_factor: factor only matrices whose two largest axes are this large.
      decay_rate: exponent of the second-moment decay schedule.
      decay_offset: step offset of that schedule.
      multiply_by_parameter_scale: scale steps by the RMS of each parameter block.
      clipping_threshold: update clipping threshold (``None`` disables).
      momentum: optional EMA decay of the updates.
      dtype_momentum: dtype of that EMA.
      weight_decay_rate: optional decoupled weight decay.
      eps: added to :math:`g^2`.
      factored: factor second moments at all.
      weight_decay_mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.adafactor``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adafactor(1e-2)

    References:
      Shazeer, Stern. Adafactor: Adaptive Learning Rates with Sublinear Memory Cost. 2018.
      https://arxiv.org/abs/1804.04235
    """
    check_nonnegative("decay_rate", decay_rate)
    check_finite("decay_offset", decay_offset)  # a step offset; optax allows any sign
    check_nonnegative("clipping_threshold", clipping_threshold)  # 0: zero updates, as optax
    check_unit_interval("momentum", momentum)
    check_nonnegative("eps", eps)
    if learning_rate is not None:
        check_finite("learning_rate", learning_rate)
    txs = [scale_by_factored_rms(factored, decay_rate, decay_offset, min_dim_size_to_factor, eps)]
    if clipping_threshold is not None:
        txs.append(optax.clip_by_block_rms(clipping_threshold))
    if learning_rate is not None:
        txs.append(scale_by_learning_rate(learning_rate, flip_sign=False))
    if multiply_by_parameter_scale:
        txs.append(optax.scale_by_param_block_rms())
    if momentum is not None:
        txs.append(optax.ema(momentum, debias=False, accumulator_dtype=dtype_momentum))
    if weight_decay_rate is not None:
        txs.append(add_decayed_weights(weight_decay_rate, mask=weight_decay_mask))
    txs.append(scale(-1))
    return optax.chain(*txs)


@register(
    "came",
    family="adaptive",
    reference=LUO_2023_CAME,
    state_per_param=1,
    defaults={"learning_rate": 1e-2},
    also_in=(),
    authors=Authors(code="came-pytorch==0.1.3"),
)
def came(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    b3: jax.typing.ArrayLike = 0.9999,
    eps1: jax.typing.ArrayLike = 1e-30,
    eps2: jax.typing.ArrayLike = 1e-16,
    clip_threshold: jax.typing.ArrayLike = 1.0,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""CAME: Adafactor with momentum whose step is scaled by a factored confidence.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_came`. State: one momentum per parameter plus row/column
    statistics (about 1 float per parameter for matrices).

    Args:
      learning_rate: :math:`\eta`.
      b1, b2, b3: momentum, second-moment and confidence decays.
      eps1, eps2: regularisers of :math:`g^2` and of the instability.
      clip_threshold: update clipping threshold.
      weight_decay: decoupled :math:`\lambda`.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs``.

    The defaults are those of the authors' ``came-pytorch`` (which has no default lr);
    ``optzoo.create("came", preset="authors")`` is the same.

    Example:
      >>> import optzoo
      >>> tx = optzoo.came(2e-4, weight_decay=1e-2)

    References:
      Luo et al. CAME: Confidence-guided Adaptive Memory Efficient Optimization. 2023.
      https://arxiv.org/abs/2307.02047
    """
    check_nonnegative("eps2", eps2)
    return with_decoupled_decay(
        scale_by_came(b1=b1, b2=b2, b3=b3, eps1=eps1, eps2=eps2, clip_threshold=clip_threshold),
        learning_rate,
        weight_decay,
        mask,
    )


@register(
    "sm3",
    family="adaptive",
    reference=ANIL_2019_SM3,
    state_per_param=1,
    defaults={"learning_rate": 0.1},
    also_in=("optax",),
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
