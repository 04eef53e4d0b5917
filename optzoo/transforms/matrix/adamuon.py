"""AdaMuon: an element-wise second moment on top of Muon's orthogonalised momentum.

Leaves must have rank >= 2; they are viewed as matrices by the ``higher_rank`` rule of
:mod:`optzoo.transforms.matrix.utils` and orthogonalised with Muon's batched
Newton-Schulz (:mod:`optzoo.transforms.matrix.muon`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.eager import compile_update
from optzoo.transforms.matrix import utils as mu_
from optzoo.transforms.matrix.muon import (
    MUON_NS_COEFFS,
    _check_second_moment_muon,
    _momentum_then_orthogonalize,
    shape_scale,
)

__all__ = ["ScaleByAdaMuonState", "scale_by_adamuon"]


class ScaleByAdaMuonState(NamedTuple):
    """State of :func:`scale_by_adamuon`: step count, momentum and second moment."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    mu: optax.Updates
    nu: optax.Updates


def scale_by_adamuon(
    b1: float = 0.9,
    b2: float = 0.95,
    eps: float = 1e-10,
    ns_coeffs: Sequence[float] | Sequence[Sequence[float]] = MUON_NS_COEFFS,
    ns_steps: int = 5,
    ns_eps: float = 1e-7,
    *,
    consistent_rms: float | None = 0.2,
    higher_rank: str = "flatten",
    matrix_layout: str = "in_out",
    nesterov: bool = False,
) -> optax.GradientTransformation:
    r"""AdaMuon's direction: orthogonalised momentum, normalised by its own second moment.

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad O_t = \mathrm{NS}(m_t),\qquad
       v_t = \beta_2 v_{t-1} + (1-\beta_2) O_t \odot O_t,

    .. math::
       \hat O_t = \frac{O_t}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon},\qquad
       u_t = s(m, n)\,\sqrt{\min(m, n)}\,\frac{\hat O_t}{\|\hat O_t\|_F + \epsilon},

    so that :math:`\sqrt{\min(m,n)}\,\hat O/\|\hat O\|_F` has the RMS of an orthogonal
    matrix, and :math:`s = \rho\sqrt{\max(m, n)}` (``consistent_rms`` :math:`\rho`, default
    0.2: update RMS 0.2 as AdamW) or, with ``consistent_rms=None``, Muon's
    :math:`\sqrt{\max(1, \text{fan\_out}/\text{fan\_in})}` (``matrix_layout`` says which side
    of the matrix is the fan-out). :math:`\mathrm{NS}` is Muon's quintic Newton-Schulz
    iteration on :math:`m_t / (\|m_t\|_F + \epsilon_{NS})`; with ``nesterov`` it
    orthogonalises :math:`\beta_1 m_t + (1-\beta_1) g_t` instead (the authors' default).

    Every leaf must have rank >= 2; a rank > 2 leaf is a matrix (or a batch of matrices)
    by the ``higher_rank`` rule (``"flatten"``: all axes but the last are the first matrix
    axis; ``"batch"``: leading axes index independent matrices, each normalised by its
    own Frobenius norm). The moments keep the parameters' dtype; the arithmetic runs in float32 (or
    wider) and the update is cast back.

    Args:
      b1: momentum decay :math:`\beta_1`.
      b2: decay :math:`\beta_2` of the second moment of the orthogonalised update.
      eps: :math:`\epsilon`, in the second-moment denominator and the Frobenius norm.
      ns_coeffs: Newton-Schulz coefficients ``(a, b, c)`` or one triple per step.
      ns_steps: Newton-Schulz steps (with a single triple).
      ns_eps: :math:`\epsilon_{NS}`, added to the Frobenius norm before Newton-Schulz.
      consistent_rms: :math:`\rho` of the shape scale, or ``None`` for Muon's.
      higher_rank: ``"flatten"`` or ``"batch"``.
      matrix_layout: ``"in_out"`` (JAX kernels) or ``"out_in"`` (PyTorch weights); only
        matters with ``consistent_rms=None``.
      nesterov: orthogonalise the Nesterov look-ahead of the momentum.

    Returns:
      A ``GradientTransformation`` with :class:`ScaleByAdaMuonState`.

    Example:
      >>> import jax, jax.numpy as jnp, optzoo
      >>> tx = optzoo.scale_by_adamuon()
      >>> g = {"w": jax.random.normal(jax.random.key(0), (4, 3))}
      >>> u, state = tx.update(g, tx.init(g))
      >>> round(float(jnp.sqrt(jnp.mean(u["w"] ** 2))), 3)  # consistent_rms
      0.2

    References:
      Si, Zhang, Yang, Yuan, Chen. AdaMuon: Adaptive Muon Optimizer. 2025.
      https://arxiv.org/abs/2507.11005
    """
    coeffs = _check_second_moment_muon(
        "b1", b1, b2, eps, ns_eps, higher_rank, matrix_layout, consistent_rms, ns_coeffs, ns_steps
    )

    def init_fn(params):
        return ScaleByAdaMuonState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params),
            nu=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        g_leaves, treedef = jax.tree.flatten(updates)
        mu_leaves = treedef.flatten_up_to(state.mu)
        nu_leaves = treedef.flatten_up_to(state.nu)
        count = optax.safe_increment(state.count)
        f32, mu, ortho = _momentum_then_orthogonalize(
            g_leaves, mu_leaves, b1, nesterov, coeffs, ns_eps, higher_rank
        )
        out, new_nu = [], []
        for g, o, v, d in zip(g_leaves, ortho, nu_leaves, f32, strict=True):
            o = o.astype(d)
            beta2 = jnp.asarray(b2, d)
            v = beta2 * v.astype(d) + (1 - beta2) * o * o
            bc2 = 1 - beta2 ** count.astype(d)
            u = o / (jnp.sqrt(v / bc2) + eps)
            _, m, n = mu_.matrix_shape(g.shape, higher_rank)
            mats = mu_.to_matrices(u, higher_rank)
            norm = jnp.sqrt(jnp.sum(mats * mats, axis=(-2, -1), keepdims=True))
            u = mu_.from_matrices(mats * (min(m, n) ** 0.5 / (norm + eps)), g.shape)
            u = u * shape_scale(g.shape, higher_rank, consistent_rms, matrix_layout)
            out.append(u.astype(g.dtype))
            new_nu.append(v)
        mu = [m.astype(old.dtype) for m, old in zip(mu, mu_leaves, strict=True)]
        nu = [v.astype(old.dtype) for v, old in zip(new_nu, nu_leaves, strict=True)]
        return jax.tree.unflatten(treedef, out), ScaleByAdaMuonState(
            count=count,
            mu=jax.tree.unflatten(treedef, mu),
            nu=jax.tree.unflatten(treedef, nu),
        )

    return optax.GradientTransformation(init_fn, compile_update(update_fn))
