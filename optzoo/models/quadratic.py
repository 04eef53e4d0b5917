"""The noisy quadratic model's "network": parameters ``theta`` and a diagonal quadratic loss.

Used with the ``nqm`` data set (Zhang et al. 2019, arXiv:1907.04164): the per-example
loss is ``1/2 sum_i h_i (theta_i - x_i)^2`` with ``h_i = 1 / i``.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

__all__ = ["Quadratic", "curvature", "quadratic_loss"]


def curvature(dim: int) -> jax.Array:
    """``h_i = 1 / i`` for ``i = 1 .. dim`` (as ``optzoo.data.synthetic.nqm_curvature``)."""
    return 1.0 / jnp.arange(1, dim + 1, dtype=jnp.float32)


def quadratic_loss(theta: jax.Array, x: jax.Array) -> jax.Array:
    """Per-example losses ``1/2 sum_i h_i (theta_i - x_i)^2`` of a batch ``x`` (``(B, dim)``)."""
    h = curvature(theta.shape[-1])
    return 0.5 * jnp.sum(h * jnp.square(theta - x.reshape((x.shape[0], -1))), axis=-1)


class Quadratic(nn.Module):
    """Parameters ``theta`` (``num_outputs`` of them, all ``theta_init`` at the start).

    The output is ``sqrt(dim * h / 2) * (theta - x)``, so the engine's regression loss
    against zero targets (the mean over the ``dim`` outputs of the squared error) is
    exactly :func:`quadratic_loss`. Inputs of any shape ``(batch, ...)`` are flattened.
    """

    num_outputs: int
    theta_init: float = 1.0

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        del train
        dim = self.num_outputs
        theta = self.param("theta", nn.initializers.constant(self.theta_init), (dim,), jnp.float32)
        x = x.reshape((x.shape[0], -1))
        if x.shape[-1] != dim:
            raise ValueError(f"quadratic: inputs have {x.shape[-1]} features, expected {dim}")
        return jnp.sqrt(0.5 * dim * curvature(dim)) * (theta - x)
