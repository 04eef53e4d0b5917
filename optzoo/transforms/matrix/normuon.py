"""NorMuon: Muon's orthogonalised momentum with a per-neuron second moment.

The matrix view and the momentum and Newton-Schulz half are AdaMuon's
(:mod:`optzoo.transforms.matrix.adamuon`); the second moment is per neuron.
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

__all__ = ["ScaleByNorMuonState", "scale_by_normuon"]

UPDATE_SCALES = ("preserve_norm", "match_rms")


class ScaleByNorMuonState(NamedTuple):
    """State of :func:`scale_by_normuon`: momentum and per-neuron second moment.

    ``nu`` holds, per leaf, an array of the leaf's matrix shape ``(batch, m, n)`` with the
    input-feature axis reduced to 1.
    """

    mu: optax.Updates
    nu: optax.Updates


def _neuron_axis(matrix_layout: str) -> int:
    # The axis that indexes input features, averaged over: rows of an (in, out) matrix.
    return -2 if matrix_layout == "in_out" else -1


def scale_by_normuon(
    beta: float = 0.95,
    b2: float = 0.95,
    eps: float = 1e-10,
    ns_coeffs: Sequence[float] | Sequence[Sequence[float]] = MUON_NS_COEFFS,
    ns_steps: int = 5,
    ns_eps: float = 1e-7,
    *,
    nesterov: bool = True,
    update_scale: str = "preserve_norm",
    consistent_rms: float | None = None,
    higher_rank: str = "flatten",
    matrix_layout: str = "in_out",
) -> optax.GradientTransformation:
    r"""NorMuon's direction: orthogonalised momentum normalised per output neuron.

    .. math::
       m_t = \beta m_{t-1} + (1-\beta) g_t,\qquad
       O_t = \mathrm{NS}\big((1-\beta) g_t + \beta m_t\big)\ \text{(Nesterov; else }
       \mathrm{NS}(m_t)),

    .. math::
       v_{t,j} = \beta_2 v_{t-1,j} + (1-\beta_2)\,\mathrm{mean}_i\, O_{t,ij}^2,\qquad
       \hat O_{t,ij} = \frac{O_{t,ij}}{\sqrt{v_{t,j}} + \epsilon},

    for output neuron :math:`j` and input feature :math:`i` (no bias correction). Then
    ``update_scale="preserve_norm"``: :math:`u_t = s\,\hat O_t \|O_t\|_F / (\|\hat O_t\|_F
    + \epsilon)` with Muon's shape scale :math:`s` (:func:`optzoo.scale_by_muon`;
    ``consistent_rms`` :math:`\rho` gives :math:`\rho\sqrt{\max(m,n)}`), or
    ``"match_rms"``: :math:`u_t = 0.2\sqrt{mn}\,\hat O_t / (\|\hat O_t\|_F + \epsilon)`.

    Every leaf must have rank >= 2; rank > 2 leaves are matrices by the ``higher_rank``
    rule (``"flatten"``: all axes but the last are input features). With
    ``matrix_layout="in_out"`` (JAX kernels) the neurons are the columns of the
    ``(m, n)`` matrix; with ``"out_in"`` (PyTorch weights) its rows. The arithmetic runs
    in float32 (or wider); the update and momentum keep the parameters' dtype.

    Args:
      beta: momentum decay.
      b2: decay of the per-neuron second moment.
      eps: denominator and Frobenius-norm epsilon.
      ns_coeffs: Newton-Schulz coefficients ``(a, b, c)`` or one triple per step.
      ns_steps: Newton-Schulz steps (with a single triple).
      ns_eps: added to the Frobenius norm before Newton-Schulz.
      nesterov: orthogonalise the Nesterov look-ahead.
      update_scale: ``"preserve_norm"`` or ``"match_rms"``.
      consistent_rms: with ``"preserve_norm"``, :math:`\rho` of the shape scale, or
        ``None`` for Muon's :math:`\sqrt{\max(1, \text{fan\_out}/\text{fan\_in})}`.
      higher_rank: ``"flatten"`` or ``"batch"``.
      matrix_layout: ``"in_out"`` or ``"out_in"``.

    Returns:
      A ``GradientTransformation`` with :class:`ScaleByNorMuonState`.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> state = optzoo.scale_by_normuon().init({"w": jnp.ones((4, 3))})
      >>> state.nu["w"].shape  # one second moment per neuron (column of a JAX kernel)
      (1, 1, 3)

    References:
      Li, Liu, Liang, Chen, Zhao. NorMuon: Making Muon more efficient and scalable.
      2025. https://arxiv.org/abs/2510.05491
    """
    if update_scale not in UPDATE_SCALES:
        raise ValueError(f"update_scale must be one of {UPDATE_SCALES}, got {update_scale!r}")
    coeffs = _check_second_moment_muon(
        "beta", beta, b2, eps, ns_eps, higher_rank, matrix_layout, consistent_rms, ns_coeffs,
        ns_steps,
    )  # fmt: skip
    axis = _neuron_axis(matrix_layout)

    def nu_shape(shape):
        b, m, n = mu_.matrix_shape(shape, higher_rank)
        return (b, 1, n) if axis == -2 else (b, m, 1)

    def init_fn(params):
        return ScaleByNorMuonState(
            mu=optax.tree.zeros_like(params),
            nu=jax.tree.map(lambda p: jnp.zeros(nu_shape(p.shape), p.dtype), params),
        )

    def update_fn(updates, state, params=None):
        del params
        g_leaves, treedef = jax.tree.flatten(updates)
        mu_leaves = treedef.flatten_up_to(state.mu)
        nu_leaves = treedef.flatten_up_to(state.nu)
        f32, mu, ortho = _momentum_then_orthogonalize(
            g_leaves, mu_leaves, beta, nesterov, coeffs, ns_eps, higher_rank
        )
        out, new_nu = [], []
        for g, o, v, d in zip(g_leaves, ortho, nu_leaves, f32, strict=True):
            b, m, n = mu_.matrix_shape(g.shape, higher_rank)
            o = mu_.to_matrices(o.astype(d), higher_rank)
            beta2 = jnp.asarray(b2, d)
            v = beta2 * v.astype(d) + (1 - beta2) * jnp.mean(o * o, axis=axis, keepdims=True)
            u = o / (jnp.sqrt(v) + eps)
            u_norm = jnp.sqrt(jnp.sum(u * u, axis=(-2, -1), keepdims=True)) + eps
            if update_scale == "preserve_norm":
                o_norm = jnp.sqrt(jnp.sum(o * o, axis=(-2, -1), keepdims=True))
                u = u * (o_norm / u_norm)
                u = u * shape_scale(g.shape, higher_rank, consistent_rms, matrix_layout)
            else:
                u = u * (0.2 * (m * n) ** 0.5 / u_norm)
            out.append(mu_.from_matrices(u, g.shape).astype(g.dtype))
            new_nu.append(v)
        mu = [x.astype(old.dtype) for x, old in zip(mu, mu_leaves, strict=True)]
        nu = [x.astype(old.dtype) for x, old in zip(new_nu, nu_leaves, strict=True)]
        return jax.tree.unflatten(treedef, out), ScaleByNorMuonState(
            mu=jax.tree.unflatten(treedef, mu), nu=jax.tree.unflatten(treedef, nu)
        )

    return optax.GradientTransformation(init_fn, compile_update(update_fn))
