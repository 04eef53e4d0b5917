"""Sparse-update building blocks: SaRA's mask of the initially small weights."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import check_nonnegative

__all__ = ["SmallWeightsMaskState", "mask_small_weights"]


class SmallWeightsMaskState(NamedTuple):
    """State of :func:`mask_small_weights`: step count and the boolean mask."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    mask: optax.Updates


def mask_small_weights(
    threshold: float = 1e-3, progressive_iter: int = -1
) -> optax.GradientTransformation:
    r"""Zeroes the updates of every weight that was not small at the start (SaRA's mask).

    The mask is :math:`|x_0| < \tau` (``threshold``), taken from the parameters passed to
    ``init``. With ``progressive_iter`` :math:`k \ge 0` it is refined once, before the update
    of step :math:`k + 1`: weights that have since grown to :math:`|x| \ge \tau` leave it
    (and never come back). Element-wise: every leaf shape is handled alike. Needs ``params``
    when ``progressive_iter >= 0``.

    Args:
      threshold: :math:`\tau`, the strict upper bound on the trainable weights' magnitudes.
      progressive_iter: step after which the mask is refined; ``-1`` never.

    Returns:
      A ``GradientTransformation`` with :class:`SmallWeightsMaskState` (one boolean per
      parameter).

    References:
      Hu, Zhang, Yi, Huang, Wang, Ma. SaRA: High-Efficient Diffusion Model Fine-tuning with
      Progressive Sparse Low-Rank Adaptation. 2024. https://arxiv.org/abs/2409.06633
    """
    check_nonnegative("threshold", threshold)

    def init_fn(params):
        mask = jax.tree.map(lambda x: jnp.abs(x) < threshold, params)
        return SmallWeightsMaskState(count=jnp.zeros([], jnp.int32), mask=mask)

    def update_fn(updates, state, params=None):
        count = optax.safe_increment(state.count)
        mask = state.mask
        if progressive_iter >= 0:
            if params is None:
                raise ValueError("mask_small_weights with progressive_iter >= 0 needs params")
            refine = count == progressive_iter + 1
            mask = jax.tree.map(
                lambda k, x: jnp.where(refine, k & (jnp.abs(x) < threshold), k), mask, params
            )
        out = jax.tree.map(lambda u, k: jnp.where(k, u, jnp.zeros_like(u)), updates, mask)
        return out, SmallWeightsMaskState(count=count, mask=mask)

    return optax.GradientTransformation(init_fn, update_fn)
