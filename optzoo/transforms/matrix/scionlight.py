"""ScionLight: Scion whose momentum is the (un-normalised) decayed sum of the gradients.

The authors' memory-light variant keeps the momentum in the gradient buffers: after each
step the buffer is multiplied by ``1 - momentum`` and the next backward pass adds the new
gradient to it. Here the buffer is the state ``d``. Per-leaf LMOs are Scion's
(:mod:`optzoo.transforms.matrix.scion`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.dtypes import tree_dtype
from optzoo.core.eager import compile_update
from optzoo.core.validation import check_range
from optzoo.transforms.matrix import utils as mu_
from optzoo.transforms.matrix.muon import MUON_NS_COEFFS, _coeff_list, check_matrix_layout
from optzoo.transforms.matrix.scion import _lmo_tree

__all__ = ["ScaleByScionLightState", "scale_by_scion_light"]


class ScaleByScionLightState(NamedTuple):
    """State of :func:`scale_by_scion_light`: the gradient buffer ``d``."""

    d: optax.Updates


def scale_by_scion_light(
    momentum: float = 0.1,
    norms: Any = "auto",
    ns_coeffs: Sequence[float] | Sequence[Sequence[float]] = MUON_NS_COEFFS,
    ns_steps: int = 5,
    eps: float = 1e-8,
    *,
    higher_rank: str = "flatten",
    matrix_layout: str = "in_out",
) -> optax.GradientTransformation:
    r"""ScionLight's direction: the LMO of a decayed gradient sum.

    .. math::
       d_t = (1-\alpha)\, d_{t-1} + g_t,\qquad u_t = \mathrm{lmo}(d_t)
       \ \text{(returned as a descent direction)},

    :math:`d_t` is :math:`1/\alpha` times Scion's average, so with the scale-invariant
    LMOs the two agree up to the epsilons. The per-leaf rule is Scion's
    (:func:`optzoo.scale_by_scion`): ``norms="auto"`` takes the spectral LMO for rank >= 2
    leaves (rank > 2 viewed as a matrix by ``higher_rank``) and the bias-RMS LMO for
    vectors and scalars (a scalar's RMS is its magnitude); zero-size leaves get zero-size
    updates.

    Args:
      momentum: :math:`\alpha \in (0, 1]` (1: no momentum, the buffer is the gradient).
      norms: ``"auto"``, one norm name, or a tree / callable giving one per leaf.
      ns_coeffs: Newton-Schulz coefficients.
      ns_steps: Newton-Schulz steps.
      eps: epsilon of the RMS and Newton-Schulz normalisations.
      higher_rank: reshape rule for rank > 2 leaves.
      matrix_layout: ``"in_out"`` (JAX kernels) or ``"out_in"`` (PyTorch weights).

    Returns:
      A ``GradientTransformation`` with :class:`ScaleByScionLightState`.

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_scion_light(momentum=0.1)

    References:
      Pethick, Xie, Antonakopoulos, Zhu, Silveti-Falls, Cevher. Training Deep Learning
      Models with Norm-Constrained LMOs. 2025. https://arxiv.org/abs/2502.07529
    """
    check_range("momentum", momentum, 0.0, 1.0, low_open=True)
    mu_.check_higher_rank(higher_rank)
    check_matrix_layout(matrix_layout)
    coeffs = _coeff_list(ns_coeffs, ns_steps)

    def init_fn(params):
        return ScaleByScionLightState(d=optax.tree.zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        in_updates, in_state = updates, state
        updates, state = mu_.unshard_tree(updates), mu_.unshard_tree(state)
        keep = 1 - jnp.asarray(
            momentum, jnp.promote_types(tree_dtype(updates, "highest"), jnp.float32)
        )
        d = jax.tree.map(lambda s, g: (keep * s + g).astype(s.dtype), state.d, updates)
        out = _lmo_tree(d, updates, norms, coeffs, eps, higher_rank, matrix_layout)
        out = mu_.reshard_like(out, in_updates)
        return out, mu_.reshard_like(ScaleByScionLightState(d=d), in_state)

    return optax.GradientTransformation(init_fn, compile_update(update_fn))
