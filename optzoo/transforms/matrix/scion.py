"""Scion: steps along the linear minimisation oracle of a per-leaf norm (Pethick et al. 2025).

Matrices take the spectral-norm oracle (Newton-Schulz orthogonalisation, shared with
Muon); other leaves the sign or bias-RMS oracle.
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
from optzoo.transforms.matrix.muon import (
    MUON_NS_COEFFS,
    _coeff_list,
    _orthogonalize_tree,
    check_matrix_layout,
)

__all__ = [
    "ScaleByScionState",
    "scale_by_scion",
]


class ScaleByScionState(NamedTuple):
    """State of :func:`scale_by_scion`: the averaged gradient ``d``."""

    d: optax.Updates


SCION_NORMS = ("auto", "spectral", "sign", "bias_rms", "identity")


def _scion_lmo(
    d: jax.Array,
    norm: str,
    coeffs: Any,
    eps: float,
    higher_rank: str,
    matrix_layout: str = "in_out",
) -> jax.Array:
    if norm == "auto":
        norm = "spectral" if d.ndim >= 2 else "bias_rms"
    if norm not in SCION_NORMS:
        raise ValueError(f"unknown Scion norm {norm!r}; one of {SCION_NORMS}")
    df = d.astype(jnp.promote_types(d.dtype, jnp.float32))
    if d.size == 0:
        return jnp.zeros(d.shape, df.dtype)
    if norm == "identity":
        return df
    if norm == "bias_rms":
        # A scalar has no axis 0: its RMS is its absolute value.
        axis = 0 if d.ndim else None
        return df / (jnp.sqrt(jnp.mean(df * df, axis=axis, keepdims=True)) + eps)
    _, m, n = mu_.matrix_shape(d.shape, higher_rank) if d.ndim >= 2 else (1, 1, d.size)
    if norm == "sign":
        return jnp.sign(df) / (m if matrix_layout == "in_out" else n)
    if norm == "spectral":
        if d.ndim < 2:
            raise ValueError(f"the spectral LMO needs rank >= 2, got shape {d.shape}")
        return df  # orthogonalised (batched) by the caller
    raise ValueError(f"unknown Scion norm {norm!r}; one of {SCION_NORMS}")


def _lmo_tree(
    d: Any,
    updates: Any,
    norms: Any,
    coeffs: Any,
    eps: float,
    higher_rank: str,
    matrix_layout: str,
) -> Any:
    """The per-leaf LMO directions of the tree ``d`` (spectral leaves orthogonalised in one
    batch), cast to the dtypes of ``updates``; shared by Scion and ScionLight."""
    names = norms(updates) if callable(norms) else norms
    leaves, treedef = jax.tree.flatten(d)
    if isinstance(names, str):
        name_leaves = [names] * len(leaves)
    else:
        name_leaves = treedef.flatten_up_to(names)  # type: ignore[attr-defined]
    pre = [
        _scion_lmo(x, nm, coeffs, eps, higher_rank, matrix_layout)
        for x, nm in zip(leaves, name_leaves, strict=True)
    ]
    spectral = [
        i
        for i, (x, nm) in enumerate(zip(leaves, name_leaves, strict=True))
        if (nm == "spectral" or (nm == "auto" and x.ndim >= 2)) and x.size
    ]
    if spectral:
        ortho = _orthogonalize_tree([pre[i] for i in spectral], coeffs, eps, higher_rank)
        for i, o in zip(spectral, ortho, strict=True):
            _, m, n = mu_.matrix_shape(leaves[i].shape, higher_rank)
            pre[i] = ((n / m) if matrix_layout == "in_out" else (m / n)) ** 0.5 * o
    g_leaves = jax.tree.leaves(updates)
    out = [p.astype(g.dtype) for p, g in zip(pre, g_leaves, strict=True)]
    return jax.tree.unflatten(treedef, out)


def scale_by_scion(
    momentum: float = 0.1,
    norms: Any = "auto",
    ns_coeffs: Sequence[float] | Sequence[Sequence[float]] = MUON_NS_COEFFS,
    ns_steps: int = 5,
    eps: float = 1e-8,
    *,
    higher_rank: str = "flatten",
    matrix_layout: str = "in_out",
) -> optax.GradientTransformation:
    r"""Scion's direction: the LMO of an averaged gradient under a per-layer norm.

    .. math::
       d_t = (1-\alpha) d_{t-1} + \alpha g_t, \qquad u_t = -\mathrm{lmo}(d_t) / \rho
       \ \text{(returned as a descent direction, } +\text{normalised } d_t),

    with the normalisation of each leaf chosen by ``norms`` (a string for every leaf,
    or a tree / callable of strings), in JAX's ``(fan_in, fan_out)`` layout with
    :math:`m` = fan-in (rank > 2 by ``higher_rank``) and :math:`n` = fan-out:

    * ``"spectral"``: :math:`\sqrt{n/m}\;\mathrm{NS}(d)` (Newton-Schulz, as Muon);
    * ``"sign"``: :math:`\mathrm{sign}(d)/m`;
    * ``"bias_rms"``: :math:`d / (\mathrm{RMS}_{\text{axis }0}(d) + \epsilon)`;
    * ``"identity"``: :math:`d`;
    * ``"auto"``: ``"spectral"`` for rank >= 2, ``"bias_rms"`` otherwise.

    A scalar leaf's ``"bias_rms"`` RMS is over its one entry (the update is
    :math:`d/(|d|+\epsilon)`); a zero-size leaf gets a zero-size update.

    Pethick et al. pick per layer: ``"sign"`` (or column norm) for the embedding and the
    output layer, ``"spectral"`` for hidden matrices, ``"bias_rms"`` for biases.

    Args:
      momentum: :math:`\alpha \in (0, 1]`, the weight of the *new* gradient (1: none).
      norms: ``"auto"``, one norm name, or a tree / callable giving one per leaf.
      ns_coeffs: Newton-Schulz coefficients.
      ns_steps: Newton-Schulz steps.
      eps: epsilon of the RMS and Newton-Schulz normalisations.
      higher_rank: reshape rule for rank > 2 leaves.
      matrix_layout: ``"in_out"`` (JAX kernels, :math:`m` = fan-in) or ``"out_in"``
        (PyTorch weights, as in the authors' code: the matrix is ``(fan_out, fan_in)``, so
        ``"spectral"`` scales by :math:`\sqrt{m/n}` and ``"sign"`` divides by :math:`n`).

    Returns:
      A ``GradientTransformation`` with :class:`ScaleByScionState`.

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_scion(momentum=0.1)

    References:
      Pethick, Xie, Antonakopoulos, Zhu, Silveti-Falls, Cevher. Training Deep Learning
      Models with Norm-Constrained LMOs. 2025. https://arxiv.org/abs/2502.07529
    """
    return _scale_by_buffered_lmo(
        ScaleByScionState, lambda d, g, a: d + a * (g - d), momentum, norms, ns_coeffs,
        ns_steps, eps, higher_rank, matrix_layout,
    )  # fmt: skip


def _scale_by_buffered_lmo(
    state_cls, buffer_step, momentum, norms, ns_coeffs, ns_steps, eps, higher_rank,
    matrix_layout,
):  # fmt: skip
    """Scion's and ScionLight's transformation: the buffer ``d <- buffer_step(d, g, alpha)``
    (``alpha`` = ``momentum`` as a float32 or wider array), then the per-leaf LMOs of ``d``;
    the state is ``state_cls(d=...)``."""
    check_range("momentum", momentum, 0.0, 1.0, low_open=True)
    mu_.check_higher_rank(higher_rank)
    check_matrix_layout(matrix_layout)
    coeffs = _coeff_list(ns_coeffs, ns_steps)

    def init_fn(params):
        return state_cls(d=optax.tree.zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        in_updates, in_state = updates, state
        updates, state = mu_.unshard_tree(updates), mu_.unshard_tree(state)
        a = jnp.asarray(momentum, jnp.promote_types(tree_dtype(updates, "highest"), jnp.float32))
        d = jax.tree.map(lambda s, g: buffer_step(s, g, a).astype(s.dtype), state.d, updates)
        out = _lmo_tree(d, updates, norms, coeffs, eps, higher_rank, matrix_layout)
        out = mu_.reshard_like(out, in_updates)
        return out, mu_.reshard_like(state_cls(d=d), in_state)

    return optax.GradientTransformation(init_fn, compile_update(update_fn))
