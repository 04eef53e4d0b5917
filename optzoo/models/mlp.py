"""Multilayer perceptron with selectable activation, normalisation and dropout."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from optzoo.models.initializers import get_initializer

__all__ = ["ACTIVATIONS", "MLP", "normalization"]

ACTIVATIONS = {
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,
    "gelu": jax.nn.gelu,
    "silu": jax.nn.silu,
}


def normalization(kind: str, train: bool, name: str | None = None) -> nn.Module | None:
    """A batch- or layer-norm module (``kind`` in none|batch|layer)."""
    if kind == "batch":
        return nn.BatchNorm(use_running_average=not train, momentum=0.9, name=name)
    if kind == "layer":
        return nn.LayerNorm(name=name)
    if kind == "none":
        return None
    raise ValueError(f"unknown norm {kind!r}; expected none, batch or layer")


class MLP(nn.Module):
    """``depth`` hidden Dense layers of ``width`` units, then a Dense head.

    Inputs of any shape ``(batch, ...)`` are flattened.
    """

    num_outputs: int
    width: int = 64
    depth: int = 2
    activation: str = "relu"
    dropout: float = 0.0
    norm: str = "none"
    initializer: str = "lecun_normal"

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        act = ACTIVATIONS[self.activation]
        kinit = get_initializer(self.initializer)
        x = x.reshape((x.shape[0], -1))
        for i in range(self.depth):
            x = nn.Dense(self.width, kernel_init=kinit, name=f"dense_{i}")(x)
            norm = normalization(self.norm, train, name=f"norm_{i}")
            if norm is not None:
                x = norm(x)
            x = act(x)
            if self.dropout > 0:
                x = nn.Dropout(self.dropout, deterministic=not train)(x)
        return nn.Dense(self.num_outputs, kernel_init=kinit, name="head")(x)
