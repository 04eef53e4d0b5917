"""The radial projection of AdamP and SGDP (Heo et al. 2021), shared by both blocks."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def project_radial(
    p: jax.Array,
    g: jax.Array,
    d: jax.Array,
    delta: Any,
    wd_ratio: Any,
    eps: Any,
    channel_axis: int,
) -> tuple[jax.Array, jax.Array]:
    r"""Removes the radial part of the update ``d`` where the weight ``p`` looks scale invariant.

    For leaves with two or more axes: if :math:`\max_c |\cos(g_c, p_c)| < \delta/\sqrt{\dim p_c}`
    over the channels :math:`c` (indexed by ``channel_axis``), then, failing that, over the
    whole tensor, :math:`d \leftarrow d - \langle \hat p, d\rangle \hat p` at that granularity
    and the returned weight-decay ratio is ``wd_ratio`` (else 1). Vectors and scalars pass.
    """
    if p.ndim < 2 or p.size == 0:  # nothing to project (zero-size leaves too)
        return d, jnp.ones([], p.dtype)

    def rows(x):
        return jnp.moveaxis(x, channel_axis, 0).reshape(x.shape[channel_axis], -1)

    def unrows(x, shape):
        ax = channel_axis % len(shape)
        moved = [shape[ax]] + [s for i, s in enumerate(shape) if i != ax]
        return jnp.moveaxis(x.reshape(moved), 0, ax)

    def cos_max(a, b):
        na = jnp.maximum(jnp.linalg.norm(a, axis=1), eps)
        nb = jnp.maximum(jnp.linalg.norm(b, axis=1), eps)
        return jnp.max(jnp.abs(jnp.sum(a * b, axis=1) / (na * nb)))

    pr, gr, dr = rows(p), rows(g), rows(d)
    pl, gl, dl = p.reshape(1, -1), g.reshape(1, -1), d.reshape(1, -1)
    use_channel = cos_max(gr, pr) < delta / np.sqrt(pr.shape[1])
    use_layer = cos_max(gl, pl) < delta / np.sqrt(pl.shape[1])
    pn_c = pr / (jnp.linalg.norm(pr, axis=1, keepdims=True) + eps)
    dc = unrows(dr - pn_c * jnp.sum(pn_c * dr, axis=1, keepdims=True), p.shape)
    pn_l = pl / (jnp.linalg.norm(pl, axis=1, keepdims=True) + eps)
    dlay = (dl - pn_l * jnp.sum(pn_l * dl, axis=1, keepdims=True)).reshape(p.shape)
    out = jnp.where(use_channel, dc, jnp.where(use_layer, dlay, d))
    ratio = jnp.where(jnp.logical_or(use_channel, use_layer), wd_ratio, 1.0)
    return out, ratio
