"""ScionLight: Scion whose momentum is the (un-normalised) decayed sum of the gradients.

The authors' memory-light variant keeps the momentum in the gradient buffers: after each
step the buffer is multiplied by ``1 - momentum`` and the next backward pass adds the new
gradient to it. Here the buffer is the state ``d``. Per-leaf LMOs are Scion's
(:mod:`optzoo.transforms.matrix.scion`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import optax

from optzoo.transforms.matrix.muon import MUON_NS_COEFFS
from optzoo.transforms.matrix.scion import _scale_by_buffered_lmo

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
      norms, ns_coeffs, ns_steps, eps, higher_rank, matrix_layout: as in
        :func:`optzoo.scale_by_scion`.

    Returns:
      A ``GradientTransformation`` with :class:`ScaleByScionLightState`.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.scale_by_scion_light(momentum=0.1)
      >>> state = tx.init({"w": jnp.ones((4, 3)), "b": jnp.zeros(3)})

    References:
      Pethick, Xie, Antonakopoulos, Zhu, Silveti-Falls, Cevher. Training Deep Learning
      Models with Norm-Constrained LMOs. 2025. https://arxiv.org/abs/2502.07529
      (ScionLight: the authors' code, https://github.com/LIONS-EPFL/scion)
    """
    return _scale_by_buffered_lmo(
        ScaleByScionLightState, lambda d, g, a: (1 - a) * d + g, momentum, norms, ns_coeffs,
        ns_steps, eps, higher_rank, matrix_layout,
    )  # fmt: skip
