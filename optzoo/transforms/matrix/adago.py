"""AdaGO: Muon's orthogonalised momentum with an AdaGrad-normed step size.

Leaves must have rank >= 2; they are viewed as matrices by the ``higher_rank`` rule of
:mod:`optzoo.transforms.matrix.utils` and orthogonalised with Muon's batched
Newton-Schulz (:mod:`optzoo.transforms.matrix.muon`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.eager import compile_update
from optzoo.core.validation import check_nonnegative, check_positive, check_range
from optzoo.transforms.matrix.muon import MUON_NS_COEFFS, _coeff_list, _orthogonalize_tree

__all__ = ["ScaleByAdaGOState", "scale_by_adago"]


class ScaleByAdaGOState(NamedTuple):
    """Step count, momentum and each leaf's accumulated clipped squared gradient norm."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    mu: optax.Updates
    v: Any


def scale_by_adago(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float = 0.95,
    gamma: float = 10.0,
    eps: float = 5e-4,
    v0: float = 1e-6,
    nesterov: bool = False,
    ns_coeffs: Sequence[float] | Sequence[Sequence[float]] = MUON_NS_COEFFS,
    ns_steps: int = 5,
    ns_eps: float = 0.0,
    higher_rank: str = "flatten",
    sqrt_accumulator: bool = False,
) -> optax.GradientTransformation:
    r"""AdaGO's direction: orthogonalised momentum times an AdaGrad-normed step, over
    :math:`\eta`.

    Per leaf (rank >= 2, viewed as matrices by ``higher_rank``), with :math:`G_t` the
    gradient:

    .. math::
       M_t = \mu M_{t-1} + (1-\mu) G_t,\qquad
       v_t = v_{t-1} + \min(\|G_t\|_F^2, \gamma^2),\quad v_0 = \texttt{v0},\\
       u_t = \mathrm{NS}(M_t)\, \max\Big(\frac{\min(\|G_t\|_F, \gamma)}{v_t},
       \frac{\epsilon}{\eta_t}\Big)

    so that the learning rate applied after it gives the step
    :math:`\max(\eta_t \min(\|G_t\|, \gamma) / v_t, \epsilon)`. With ``nesterov``,
    :math:`G_t + \mu (M_t - G_t)` is orthogonalised and its norm enters the step. The
    accumulator is used without a square root, as in pytorch_optimizer; with
    ``sqrt_accumulator`` it is the paper's :math:`v_t^2 = v_{t-1}^2 + \min(\|G_t\|^2,
    \gamma^2)` and the step divides by its root :math:`v_t`.

    Args:
      learning_rate: :math:`\eta` (scalar or schedule), for the floor :math:`\epsilon/\eta`.
      momentum: :math:`\mu` in ``[0, 1)``.
      gamma: clip :math:`\gamma > 0` of the gradient norm.
      eps: floor :math:`\epsilon > 0` of the step size.
      v0: initial accumulator (> 0).
      nesterov: orthogonalise the Nesterov mix.
      ns_coeffs: Newton-Schulz coefficients.
      ns_steps: Newton-Schulz steps.
      ns_eps: added to the Frobenius norm before Newton-Schulz.
      higher_rank: ``"flatten"`` or ``"batch"``.
      sqrt_accumulator: the paper's root of the accumulated squares (``v0`` is then
        :math:`v_0`, the state holds :math:`v_t^2`).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByAdaGOState`.

    References:
      Minxin Zhang, Yuxuan Liu, Hayden Schaeffer. AdaGrad Meets Muon: Adaptive Stepsizes
      for Orthogonal Updates. 2025. https://arxiv.org/abs/2509.02981
    """
    check_range("momentum", momentum, 0.0, 1.0, high_open=True)
    check_positive("gamma", gamma)
    check_positive("eps", eps)
    check_positive("v0", v0)
    check_nonnegative("ns_eps", ns_eps)
    coeffs = _coeff_list(ns_coeffs, ns_steps)
    start = v0**2 if sqrt_accumulator else v0

    def init_fn(params):
        return ScaleByAdaGOState(
            jnp.zeros([], jnp.int32),
            optax.tree.zeros_like(params),
            jax.tree.map(lambda p: jnp.full([], start, p.dtype), params),
        )

    def update_fn(updates, state, params=None):
        del params
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
        mu = jax.tree.map(lambda g, m: m + (1 - momentum) * (g - m), updates, state.mu)
        norms = jax.tree.map(lambda g: jnp.linalg.norm(g.ravel()), updates)
        v = jax.tree.map(
            lambda n, a: a + jnp.minimum(n * n, gamma**2).astype(a.dtype), norms, state.v
        )
        src = jax.tree.map(lambda g, m: g + momentum * (m - g), updates, mu) if nesterov else mu
        step_norms = jax.tree.map(lambda s: jnp.linalg.norm(s.ravel()), src) if nesterov else norms
        leaves, treedef = jax.tree.flatten(src)
        ortho = jax.tree.unflatten(
            treedef, _orthogonalize_tree(leaves, coeffs, ns_eps, higher_rank)
        )
        floor = jnp.where(jnp.asarray(lr) > 0, eps / jnp.where(jnp.asarray(lr) > 0, lr, 1.0), 0.0)

        def one(o, n, a):
            denom = jnp.sqrt(a) if sqrt_accumulator else a
            step = jnp.maximum(jnp.minimum(n, gamma) / denom, floor.astype(a.dtype))
            return (o * step.astype(o.dtype)).astype(o.dtype)

        out = jax.tree.map(one, ortho, step_norms, v)
        return out, ScaleByAdaGOState(optax.safe_increment(state.count), mu, v)

    return optax.GradientTransformation(init_fn, compile_update(update_fn))
