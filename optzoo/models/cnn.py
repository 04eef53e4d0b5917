"""Convolutional networks: a LeNet-5-style net and a small ResNet."""

from __future__ import annotations

import flax.linen as nn
import jax

from optzoo.models.initializers import get_initializer
from optzoo.models.mlp import ACTIVATIONS, normalization

__all__ = ["LeNet5", "ResNet"]


def _pool(kind: str, x: jax.Array) -> jax.Array:
    if kind == "max":
        return nn.max_pool(x, (2, 2), strides=(2, 2), padding="SAME")
    if kind == "avg":
        return nn.avg_pool(x, (2, 2), strides=(2, 2), padding="SAME")
    raise ValueError(f"unknown pool {kind!r}; expected max or avg")


class LeNet5(nn.Module):
    """LeNet-5 layout: conv(6,5x5)-pool-conv(16,5x5)-pool-dense(120)-dense(84)-head.

    Inputs are ``(batch, height, width, channels)`` images; ``width_multiplier``
    scales the channel and unit counts.
    """

    num_outputs: int
    pool: str = "max"
    norm: str = "none"
    dropout: float = 0.0
    activation: str = "relu"
    initializer: str = "he_normal"
    width_multiplier: float = 1.0

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        act = ACTIVATIONS[self.activation]
        kinit = get_initializer(self.initializer)
        m = self.width_multiplier
        for i, ch in enumerate((6, 16)):
            x = nn.Conv(max(1, int(ch * m)), (5, 5), padding="SAME", kernel_init=kinit)(x)
            norm = normalization(self.norm, train, name=f"norm_{i}")
            if norm is not None:
                x = norm(x)
            x = _pool(self.pool, act(x))
        x = x.reshape((x.shape[0], -1))
        for units in (120, 84):
            x = act(nn.Dense(max(1, int(units * m)), kernel_init=kinit)(x))
            if self.dropout > 0:
                x = nn.Dropout(self.dropout, deterministic=not train)(x)
        return nn.Dense(self.num_outputs, kernel_init=kinit, name="head")(x)


class _Block(nn.Module):
    channels: int
    strides: int
    norm: str
    initializer: str

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        kinit = get_initializer(self.initializer)
        s = (self.strides, self.strides)
        y = nn.Conv(self.channels, (3, 3), s, padding="SAME", kernel_init=kinit)(x)
        n1 = normalization(self.norm, train)
        y = nn.relu(n1(y) if n1 is not None else y)
        y = nn.Conv(self.channels, (3, 3), padding="SAME", kernel_init=kinit)(y)
        n2 = normalization(self.norm, train)
        y = n2(y) if n2 is not None else y
        if x.shape[-1] != self.channels or self.strides != 1:
            x = nn.Conv(self.channels, (1, 1), s, kernel_init=kinit, name="proj")(x)
        return nn.relu(x + y)


class ResNet(nn.Module):
    """A small ResNet: a stem conv, residual stages, global pooling and a head.

    ``stages`` gives the channels of each stage (stride 2 from the second on),
    ``blocks`` the residual blocks per stage.
    """

    num_outputs: int
    stages: tuple[int, ...] = (16, 32, 64)
    blocks: int = 1
    norm: str = "batch"
    dropout: float = 0.0
    pool: str = "avg"
    initializer: str = "he_normal"

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        kinit = get_initializer(self.initializer)
        x = nn.Conv(self.stages[0], (3, 3), padding="SAME", kernel_init=kinit)(x)
        stem_norm = normalization(self.norm, train)
        x = nn.relu(stem_norm(x) if stem_norm is not None else x)
        for i, ch in enumerate(self.stages):
            for j in range(self.blocks):
                stride = 2 if (i > 0 and j == 0) else 1
                x = _Block(ch, stride, self.norm, self.initializer)(x, train)
        x = x.max(axis=(1, 2)) if self.pool == "max" else x.mean(axis=(1, 2))
        if self.dropout > 0:
            x = nn.Dropout(self.dropout, deterministic=not train)(x)
        return nn.Dense(self.num_outputs, kernel_init=kinit, name="head")(x)
