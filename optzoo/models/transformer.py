"""A small decoder-only Transformer language model."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from optzoo.models.initializers import get_initializer

__all__ = ["TransformerLM"]


class _Block(nn.Module):
    dim: int
    heads: int
    dropout: float
    initializer: str

    @nn.compact
    def __call__(self, x: jax.Array, mask: jax.Array, train: bool) -> jax.Array:
        kinit = get_initializer(self.initializer)
        y = nn.LayerNorm()(x)
        y = nn.MultiHeadDotProductAttention(
            num_heads=self.heads,
            kernel_init=kinit,
            dropout_rate=self.dropout,
            deterministic=not train,
        )(y, y, mask=mask)
        x = x + y
        y = nn.LayerNorm()(x)
        y = nn.gelu(nn.Dense(4 * self.dim, kernel_init=kinit)(y))
        y = nn.Dense(self.dim, kernel_init=kinit)(y)
        if self.dropout > 0:
            y = nn.Dropout(self.dropout, deterministic=not train)(y)
        return x + y


class TransformerLM(nn.Module):
    """Pre-norm causal Transformer: token + learned position embeddings, blocks, head.

    Takes tokens ``(batch, time)`` and returns next-token logits
    ``(batch, time, vocab_size)``.
    """

    vocab_size: int
    dim: int = 64
    heads: int = 4
    layers: int = 2
    max_len: int = 256
    dropout: float = 0.0
    initializer: str = "xavier_uniform"

    @nn.compact
    def __call__(self, tokens: jax.Array, train: bool = False) -> jax.Array:
        t = tokens.shape[1]
        x = nn.Embed(self.vocab_size, self.dim, name="embed")(tokens)
        pos = self.param("pos", nn.initializers.normal(0.02), (self.max_len, self.dim))
        x = x + pos[:t]
        mask = nn.make_causal_mask(jnp.ones(tokens.shape, jnp.int32))
        for i in range(self.layers):
            x = _Block(self.dim, self.heads, self.dropout, self.initializer, name=f"block_{i}")(
                x, mask, train
            )
        x = nn.LayerNorm()(x)
        return nn.Dense(
            self.vocab_size, kernel_init=get_initializer(self.initializer), name="head"
        )(x)
