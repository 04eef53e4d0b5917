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
from optzoo.optimizers._common import with_coupled_decay, with_decoupled_decay
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.factored import (
    scale_by_adalite,
    scale_by_came,
    scale_by_factored_rms,
    scale_by_sm3,
)
from optzoo.transforms.scaling import scale, scale_by_learning_rate
from optzoo.transforms.weight_decay import add_decayed_weights

__all__ = [
    "sm3",
    "adafactor",
    "came",
    "adalite",
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
    family="factored",
    reference=SHAZEER_2018_ADAFACTOR,
    state_per_param=0,  # a row and a column vector per matrix: O(n), 0 to leading order
    defaults={"learning_rate": 1e-2},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithms 4 and 5",
        preset={"learning_rate": 1e-2, "relative_step": True, "min_dim_size_to_factor": 1},
        differences="optzoo (as optax) factors only leaves whose two largest axes are >= 128 "
        "and steps by learning_rate; the paper factors every matrix and steps by "
        "min(1e-2, 1/sqrt(t)) (relative_step=True)",
        no_package="the authors' code is TensorFlow (tensor2tensor, mesh-tensorflow), no "
        "package that runs here",
    ),
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
    *,
    relative_step: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""Adafactor: factored second moments, update clipping and relative step sizes.

    The chain is :func:`optzoo.scale_by_factored_rms`, ``clip_by_block_rms(clipping_threshold)``,
    ``learning_rate``, multiplication by the parameter RMS (``multiply_by_parameter_scale``),
    optional momentum and weight decay, then a sign flip; see optax's ``adafactor``.

    optzoo's defaults are optax's; the paper's (every matrix factored, relative step
    :math:`\rho_t = \min(10^{-2}, 1/\sqrt t)`) are ``optzoo.create("adafactor", preset="authors")``.

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
      relative_step: step by :math:`\min(\eta_t, 1/\sqrt{t})` (the paper's relative step
        size with :math:`\eta_t` = ``learning_rate``, :math:`10^{-2}` in the paper).

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.adafactor`` (by default).

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
    if relative_step:
        if learning_rate is None:
            raise ValueError(
                "adafactor: relative_step=True needs learning_rate, the cap of "
                "min(learning_rate, 1/sqrt(t)) (the paper's is 1e-2)"
            )
        cap = learning_rate

        def relative(count):
            lr = cap(count) if callable(cap) else cap
            return jnp.minimum(lr, 1.0 / jnp.sqrt(count + 1.0))

        txs.append(scale_by_learning_rate(relative, flip_sign=False))
    elif learning_rate is not None:
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
    family="factored",
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
    family="factored",
    reference=ANIL_2019_SM3,
    state_per_param=1,
    defaults={"learning_rate": 0.1},
    also_in=("optax",),
    authors=Authors(
        code="google-research sm3/sm3.py (paper, SM3-II)",
        preset={"eps": 1e-30},
        differences="optzoo (as optax) adds eps=1e-8 to the accumulator under the root; the "
        "authors' code adds 1e-30",
        no_package="the authors' code is a TensorFlow 1 optimizer in google-research, not a "
        "package",
    ),
)
def sm3(
    learning_rate: jax.typing.ArrayLike,
    momentum: jax.typing.ArrayLike = 0.9,
    *,
    eps: jax.typing.ArrayLike | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""SM3: memory-efficient AdaGrad with row/column accumulators, plus momentum.

    :math:`x_{t+1} = x_t - \eta\, m_t` with :math:`m_t` from :func:`optzoo.scale_by_sm3`
    (``b1=momentum``, ``b2=1``). Like optax, ``learning_rate`` must be a scalar.

    optzoo's ``eps=1e-8`` is optax's; the authors' code adds 1e-30:
    ``optzoo.create("sm3", preset="authors")``.

    Args:
      learning_rate: :math:`\eta` (a scalar).
      momentum: decay of the momentum.
      eps: added to the accumulator under the square root; ``None`` (default): optax's
        1e-8. optax's sm3 has no such argument; the ``None`` default keeps it out of
        ``inject_hyperparams``' hyperparameters, as with optax.

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
    if eps is None:
        eps = 1e-8
    check_nonnegative("eps", eps)
    return optax.chain(
        scale_by_sm3(momentum, eps=eps),
        scale(-learning_rate),  # type: ignore[operator]
    )


VATSADEV_2024_ADALITE = Reference(
    "VatsaDev",
    "Adalite: adaptive updates with factored moments and tensor-wise trust ratios",
    2024,
    "https://github.com/VatsaDev/adalite",
)


@register(
    "adalite",
    family="factored",
    reference=VATSADEV_2024_ADALITE,
    state_per_param=0,  # row/column sums and a rank-one momentum per matrix: O(n)
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="pytorch_optimizer==4.1.0 (Adalite)",
        differences="none in the update or the defaults",
        no_package="the author published training scripts (VatsaDev/adalite), no package; "
        "pytorch_optimizer's Adalite is the maintained implementation",
    ),
)
def adalite(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    weight_decay: optax.ScalarOrSchedule = 1e-2,
    weight_decouple: bool = True,
    g_norm_min: jax.typing.ArrayLike = 1e-10,
    ratio_min: jax.typing.ArrayLike = 1e-4,
    tau: jax.typing.ArrayLike = 1.0,
    eps1: jax.typing.ArrayLike = 1e-6,
    eps2: jax.typing.ArrayLike = 1e-10,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Adalite: trust-ratio-scaled gradients with factored, centred Adam moments.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_adalite` (``weight_decouple=False``: :math:`\lambda x_t` is
    added to the gradient instead, before the trust ratio). Matrices keep a row and a
    column vector of second moments and a rank-one momentum; vectors and scalars keep full
    moments; rank >= 3 leaves are viewed as ``(shape[0], -1)`` matrices.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1, b2: first- and second-moment decays.
      weight_decay: :math:`\lambda`.
      weight_decouple: decoupled (AdamW-style) decay; ``False`` adds it to the gradient.
      g_norm_min: lower bound of the gradient norm in the trust ratio.
      ratio_min: lower bound of the trust ratio.
      tau: softmax temperature of the rank-one momentum's importance weights.
      eps1: added to the debiased second moment under the square root.
      eps2: lower bound of the normalising denominators.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs``; ``update`` needs params.

    The defaults are pytorch_optimizer's (the maintained implementation; the author's
    repository has no package); ``optzoo.create("adalite", preset="authors")`` is the same.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adalite(1e-3)

    References:
      VatsaDev. Adalite. 2024. https://github.com/VatsaDev/adalite
    """
    check_nonnegative("weight_decay", weight_decay)
    direction = scale_by_adalite(
        b1=b1, b2=b2, g_norm_min=g_norm_min, ratio_min=ratio_min, tau=tau, eps1=eps1, eps2=eps2
    )
    tail = with_decoupled_decay if weight_decouple else with_coupled_decay
    return tail(direction, learning_rate, weight_decay, mask)


# --- emofact (EmoNavi family, loss-driven scaling; needs update(..., value=loss)). ---
from optzoo.optimizers._emo import emo_chain  # noqa: E402
from optzoo.optimizers.adam import MUOOON_2025_EMONAVI  # noqa: E402
from optzoo.transforms.factored import scale_by_emofact  # noqa: E402

__all__ += ["emofact"]


@register(
    "emofact",
    family="factored",
    reference=MUOOON_2025_EMONAVI,
    state_per_param=0,
    needs=("value",),
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="pytorch_optimizer==4.1.0 (EmoFact)",
        differences="none in the update or the defaults; the loss is passed as value= where "
        "the reference calls a closure",
        no_package="the author publishes source files (muooon/EmoNavi), no package; "
        "pytorch_optimizer's EmoFact is the packaged implementation",
    ),
)
def emofact(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: optax.ScalarOrSchedule = 1e-2,
    weight_decouple: bool = True,
    use_shadow: bool = False,
    shadow_weight: float = 0.05,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""EmoFact: a sign step with factored (rank >= 2) or Adam (rank < 2) statistics scaled by the
    loss trend (:func:`optzoo.scale_by_emofact`).

    Needs the loss: ``update(grads, state, params, value=loss)``. With the short (0.3),
    medium (0.05) and long (0.01) EMAs of the loss :math:`S, M, L`, the trend
    :math:`s = \tanh((L - S)/\max(L, 10^{-5}))` sets the drive :math:`d_t`
    (1 while :math:`|s| \le 0.25`; :math:`8|\tau|(1 + 0.1\tau)` with
    :math:`\tau = \operatorname{sign}(s)(1-|s|)` for :math:`0.25 < |s| < 0.5`;
    :math:`1 - |s|` for :math:`|s| > 0.75`). :math:`x_{t+1} = x_t - \eta(d_t u_t +
    \lambda x_t)` (``weight_decouple=False``: :math:`\lambda x_t` joins the gradient).
    With ``use_shadow`` a shadow copy :math:`h` of the weights trails them and, once
    :math:`|s| > 0.625`, the step starts from :math:`(1-|s|)x + |\tau| h`.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1: decay of the row/column RMS (rank >= 2) and the momentum (rank < 2).
      b2: second-moment decay (rank < 2).
      eps: regulariser of the RMS and the denominators.
      weight_decay: :math:`\lambda`.
      weight_decouple: decoupled (AdamW-style) decay; ``False`` adds it to the gradient.
      use_shadow: keep and blend in the shadow weights (one more copy of the parameters).
      shadow_weight: how far the shadow moves to the weights on a shadow step, in [0, 1].
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs``; ``update`` needs ``params`` and ``value=``.

    The defaults are pytorch_optimizer's (the author's code is not packaged);
    ``optzoo.create("emofact", preset="authors")`` is the same.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.emofact(1e-3)
      >>> params = {"w": jnp.ones(3)}
      >>> state = tx.init(params)
      >>> value = jnp.sum(params["w"] ** 2)
      >>> u, state = tx.update({"w": 2 * params["w"]}, state, params, value=value)

    References:
      muooon. EmoNavi. 2025. https://github.com/muooon/EmoNavi
    """
    return emo_chain(
        scale_by_emofact(b1=b1, b2=b2, eps=eps),
        learning_rate,
        weight_decay,
        weight_decouple,
        use_shadow,
        shadow_weight,
        False,
        mask,
    )
