"""Magma: momentum-aligned gradient masking around a base optimizer (AdamW by default)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import check_nonnegative, check_positive, check_range
from optzoo.registry import Authors, Reference, register

__all__ = ["magma_masking", "MagmaMaskingState", "magma"]

MAGMA_2026 = Reference(
    "Joo et al.",
    "On Surprising Effectiveness of Masking Updates in Adaptive Optimizers",
    2026,
    "https://arxiv.org/abs/2602.15322",
)


class MagmaMaskingState(NamedTuple):
    """The base optimizer's state, the gradient EMA, each leaf's alignment score and the
    random key of the Bernoulli masks."""

    inner_state: Any
    momentum: Any
    alignment: Any
    key: jax.Array


def _cosine(a: jax.Array, b: jax.Array) -> jax.Array:
    na = jnp.maximum(jnp.linalg.norm(a.ravel()), 1e-8)
    nb = jnp.maximum(jnp.linalg.norm(b.ravel()), 1e-8)
    return jnp.sum(a * b) / (na * nb)


def magma_masking(
    inner: optax.GradientTransformation,
    mask_prob: float = 0.5,
    tau: float = 2.0,
    momentum_beta: float = 0.9,
    alignment_ema: float = 0.9,
    seed: int = 0,
) -> optax.GradientTransformationExtraArgs:
    r"""Magma: keeps each leaf's update of ``inner`` with probability ``mask_prob``, scaled by
    a running alignment of the gradient with its momentum.

    Per leaf (whole tensors, any rank), with :math:`u_t` the update of ``inner``:

    .. math::
       m_t = \beta m_{t-1} + (1-\beta) g_t,\qquad
       s_t = \alpha s_{t-1} + (1-\alpha)\,\sigma\big(\cos(m_t, g_t) / \tau\big),\quad s_0 = 1,\\
       u'_t = s_t\, b_t\, u_t,\qquad b_t \sim \text{Bernoulli}(p)

    (cosines with norms floored at 1e-8). ``inner``'s state is updated on every step, masked
    or not. The masks come from ``jax.random`` with ``seed``: each step splits the key and
    keeps leaf :math:`i` (in ``jax.tree`` order) when the float32 uniform draw :math:`i` is
    below :math:`p`.

    Args:
      inner: the base optimizer (a full optimizer, learning rate included).
      mask_prob: :math:`p`, the probability of keeping a leaf's update, in ``[0, 1]``.
      tau: temperature :math:`\tau > 0` of the sigmoid.
      momentum_beta: :math:`\beta` of the gradient EMA, in ``[0, 1]`` (Adam's :math:`\beta_1`
        gives Adam's first moment).
      alignment_ema: :math:`\alpha`, decay of the alignment score, in ``[0, 1]``.
      seed: seed of the masks.

    Returns:
      A ``GradientTransformationExtraArgs`` with state :class:`MagmaMaskingState`.

    References:
      Joo et al. On Surprising Effectiveness of Masking Updates in Adaptive Optimizers
      (Magma: momentum-aligned gradient masking). 2026. https://arxiv.org/abs/2602.15322
    """
    check_range("mask_prob", mask_prob, 0.0, 1.0)
    check_positive("tau", tau)
    check_range("momentum_beta", momentum_beta, 0.0, 1.0)
    check_range("alignment_ema", alignment_ema, 0.0, 1.0)
    inner = optax.with_extra_args_support(inner)

    def init_fn(params):
        return MagmaMaskingState(
            inner.init(params),
            optax.tree.zeros_like(params),
            jax.tree.map(lambda p: jnp.ones([], jnp.float32), params),
            jax.random.PRNGKey(seed),
        )

    def update_fn(updates, state, params=None, **extra):
        inner_updates, inner_state = inner.update(updates, state.inner_state, params, **extra)
        key, sub = jax.random.split(state.key)
        leaves, treedef = jax.tree.flatten(updates)
        # float32 draws whatever the x64 setting, so a seed gives the same masks everywhere.
        keep = jax.random.uniform(sub, (len(leaves),), jnp.float32) < mask_prob
        keeps = jax.tree.unflatten(treedef, list(keep))
        momentum = jax.tree.map(
            lambda g, m: m + (1 - momentum_beta) * (g - m), updates, state.momentum
        )

        def align(g, m, s):
            target = jax.nn.sigmoid(_cosine(m, g).astype(jnp.float32) / tau)
            return s + (1 - alignment_ema) * (target - s)

        alignment = jax.tree.map(align, updates, momentum, state.alignment)
        out = jax.tree.map(
            lambda u, s, b: u * (s * b).astype(u.dtype), inner_updates, alignment, keeps
        )
        return out, MagmaMaskingState(inner_state, momentum, alignment, key)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


@register(
    "magma",
    family="wrapper",
    reference=MAGMA_2026,
    state_per_param=3,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="paper, Algorithm 1 (Magma on AdamW), masks from jax.random",
        no_package="the paper's authors published no package (andrijdavid/magma-optimizer "
        "is a third-party port)",
    ),
)
def magma(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.01,
    mask_prob: float = 0.5,
    tau: float = 2.0,
    alignment_ema: float = 0.9,
    seed: int = 0,
) -> optax.GradientTransformationExtraArgs:
    r"""Magma on AdamW: AdamW's update of each leaf kept with probability ``mask_prob`` and
    scaled by the EMA of :math:`\sigma(\cos(m_t, g_t)/\tau)` (:func:`magma_masking`).

    .. math::
       x_{t+1} = x_t - s_t b_t\, \eta\Big(\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}
       + \lambda x_t\Big),\qquad b_t \sim \text{Bernoulli}(p),

    with :math:`m_t` AdamW's first moment. AdamW's moments are updated on every step.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1: AdamW's first-moment decay (also the alignment's momentum).
      b2: AdamW's second-moment decay.
      eps: AdamW's epsilon.
      weight_decay: AdamW's decoupled decay (PyTorch's 0.01).
      mask_prob, tau, alignment_ema, seed: as in :func:`magma_masking`.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.magma(1e-3)

    References:
      Joo et al. On Surprising Effectiveness of Masking Updates in Adaptive Optimizers
      (Magma: momentum-aligned gradient masking). 2026. https://arxiv.org/abs/2602.15322

    The defaults are pytorch_optimizer's (AdamW with PyTorch's defaults);
    ``optzoo.create("magma", preset="authors")`` is the same.
    """
    from optzoo.optimizers.adam import adamw

    check_nonnegative("weight_decay", weight_decay)
    base = adamw(learning_rate, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay)
    return magma_masking(base, mask_prob, tau, b1, alignment_ema, seed)
