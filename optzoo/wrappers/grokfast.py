"""Grokfast: amplify the slow (low-frequency) part of the gradients of any optimizer."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import (
    check_betas,
    check_decay,
    check_finite,
    check_nonnegative,
)
from optzoo.registry import Authors, Reference, register

__all__ = ["GrokfastState", "grokfast", "grokfast_adamw"]

LEE_2024_GROKFAST = Reference(
    "Jaerin Lee, Bong Gyun Kang, Kihoon Kim, Kyoung Mu Lee",
    "Grokfast: Accelerated Grokking by Amplifying Slow Gradients",
    2024,
    "https://arxiv.org/abs/2405.20233",
)


class GrokfastState(NamedTuple):
    """State of :func:`grokfast`."""

    count: jax.Array  # type: ignore[assignment]  # gradients seen
    ema: optax.Updates  # exponential moving average of the gradients
    inner_state: Any


def grokfast(
    inner: optax.GradientTransformation,
    alpha: jax.typing.ArrayLike = 0.98,
    lamb: jax.typing.ArrayLike = 2.0,
    after_step: int = 0,
) -> optax.GradientTransformationExtraArgs:
    r"""Grokfast-EMA gradient filter in front of any optimizer.

    .. math::
       \bar g_t = \alpha \bar g_{t-1} + (1-\alpha) g_t,\qquad
       \tilde g_t = g_t + \lambda \bar g_t,

    with :math:`\bar g_0 = g_1` (the first gradient seeds the average), and ``inner`` gets
    :math:`\tilde g_t`. For the first ``after_step`` steps the gradients pass unfiltered and
    the average stays at :math:`g_1`. Elementwise: every leaf rank is treated alike.

    Args:
      inner: the optimizer fed the filtered gradients.
      alpha: EMA decay :math:`\alpha \in [0, 1)`.
      lamb: amplification :math:`\lambda \ge 0` of the slow component.
      after_step: steps before the filter starts.

    Returns:
      A ``GradientTransformationExtraArgs``; ``params`` and extra arguments go to ``inner``.

    Example:
      >>> import optax, optzoo
      >>> tx = optzoo.grokfast(optax.adamw(1e-3), alpha=0.98, lamb=2.0)

    References:
      Lee, Kang, Kim, Lee. Grokfast: Accelerated Grokking by Amplifying Slow Gradients. 2024.
      https://arxiv.org/abs/2405.20233
    """
    check_decay("alpha", alpha)
    check_nonnegative("lamb", lamb)
    check_nonnegative("after_step", after_step)
    inner = optax.with_extra_args_support(inner)

    def init_fn(params):
        return GrokfastState(
            count=jnp.zeros([], jnp.int32),
            ema=optax.tree.zeros_like(params),
            inner_state=inner.init(params),
        )

    def update_fn(updates, state, params=None, **extra):
        first = state.count == 0
        active = state.count + 1 > after_step

        def new_ema(g, e):
            seeded = jnp.where(first, g.astype(e.dtype), e)
            return jnp.where(active, alpha * seeded + (1 - alpha) * g, seeded).astype(e.dtype)

        ema = jax.tree.map(new_ema, updates, state.ema)
        filtered = jax.tree.map(
            lambda g, e: jnp.where(active, g + lamb * e, g).astype(g.dtype), updates, ema
        )
        out, inner_state = inner.update(filtered, state.inner_state, params, **extra)
        return out, GrokfastState(optax.safe_increment(state.count), ema, inner_state)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


@register(
    "grokfast_adamw",
    family="wrapper",
    reference=LEE_2024_GROKFAST,
    state_per_param=3,
    defaults={"learning_rate": 1e-3},
    also_in=(),
    authors=Authors(
        code="the authors' gradfilter_ema (grokfast.py) before torch.optim.AdamW, as their main.py",
        preset={"normalize_lr": False, "b2": 0.98},
        differences="the authors' AdamW steps by the plain learning rate with betas "
        "(0.9, 0.98); optzoo divides the rate by 1 + lamb (normalize_lr) and takes b2 0.99 "
        "as pytorch_optimizer",
        no_package="the authors published source files (ironjr/grokfast), no package",
    ),
)
def grokfast_adamw(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.99,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
    alpha: jax.typing.ArrayLike = 0.98,
    lamb: jax.typing.ArrayLike = 2.0,
    after_step: int = 0,
    *,
    normalize_lr: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""AdamW fed Grokfast-EMA filtered gradients: :func:`grokfast` over ``optax.adamw``.

    With :math:`\tilde g_t` from :func:`grokfast` and :math:`\eta' = \eta / (1 + \lambda)`
    (``normalize_lr``, else :math:`\eta' = \eta`), AdamW on :math:`\tilde g_t`:

    .. math::
       x_{t+1} = x_t - \eta' \big(\hat m_t / (\sqrt{\hat v_t} + \epsilon)
       + \lambda_{wd} x_t\big).

    The normalisation keeps the step of a constant gradient that of plain AdamW.
    ``pytorch_optimizer.GrokFastAdamW`` divides by :math:`\max(\sqrt{\hat v_t}, \epsilon)`
    instead of adding :math:`\epsilon` (the same up to :math:`\epsilon`).

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: Adam's moment decays.
      eps: added to :math:`\sqrt{\hat v_t}`.
      weight_decay: decoupled decay :math:`\lambda_{wd}` (scaled by :math:`\eta'`).
      mask: where the weight decay applies.
      alpha, lamb, after_step: Grokfast's filter, as in :func:`grokfast` (``lamb`` is
        :math:`\lambda`).
      normalize_lr: divide the learning rate by :math:`1 + \lambda`.

    Returns:
      A ``GradientTransformationExtraArgs``; needs params when ``weight_decay`` is non-zero.

    Example:
      >>> import optzoo
      >>> tx = optzoo.grokfast_adamw(1e-3, weight_decay=1e-2)

    References:
      Lee, Kang, Kim, Lee. Grokfast: Accelerated Grokking by Amplifying Slow Gradients. 2024.
      https://arxiv.org/abs/2405.20233
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)
    check_nonnegative("weight_decay", weight_decay)
    check_finite("learning_rate", learning_rate)
    check_decay("alpha", alpha)
    check_nonnegative("lamb", lamb)
    lr = learning_rate
    if normalize_lr:
        if callable(learning_rate):
            schedule = learning_rate
            lr = lambda count: schedule(count) / (1 + lamb)  # noqa: E731
        else:
            lr = learning_rate / (1 + lamb)
    inner = optax.adamw(lr, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay, mask=mask)
    return grokfast(inner, alpha=alpha, lamb=lamb, after_step=after_step)
