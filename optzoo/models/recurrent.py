"""Recurrent networks (SimpleRNN, LSTM, GRU) with full or truncated BPTT."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from optzoo.models.initializers import get_initializer

__all__ = ["CELLS", "RecurrentNet"]

CELLS = {"simple": nn.SimpleCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}


class RecurrentNet(nn.Module):
    """A recurrent layer stack for sequence classification or language modelling.

    Inputs are integer tokens ``(batch, time)`` when ``vocab_size > 0`` (embedded
    first), otherwise features ``(batch, time, features)``. ``output="last"``
    returns ``(batch, num_outputs)`` from the final step (sequence classification
    or regression); ``output="all"`` returns ``(batch, time, num_outputs)``
    (language modelling, sequence labelling).

    ``truncate=0`` backpropagates through the whole sequence (full BPTT);
    ``truncate=k`` runs the sequence in chunks of ``k`` steps and stops the
    gradient at the recurrent state between chunks (truncated BPTT), while the
    forward pass still carries the state across chunks.
    """

    num_outputs: int
    cell: str = "lstm"
    hidden: int = 64
    layers: int = 1
    vocab_size: int = 0
    embed: int = 32
    output: str = "last"
    truncate: int = 0
    initializer: str = "lecun_normal"

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        del train
        kinit = get_initializer(self.initializer)
        if self.vocab_size > 0:
            x = nn.Embed(self.vocab_size, self.embed, name="embed")(x)
        elif x.ndim == 2:
            x = x[..., None]
        cell_cls = CELLS[self.cell]
        for layer in range(self.layers):
            cell = cell_cls(self.hidden, kernel_init=kinit, name=f"cell_{layer}")
            x = self._run(cell, x)
        if self.output == "last":
            x = x[:, -1]
        return nn.Dense(self.num_outputs, kernel_init=kinit, name="head")(x)

    def _run(self, cell: nn.RNNCellBase, x: jax.Array) -> jax.Array:
        rnn = nn.RNN(cell)
        steps = x.shape[1]
        k = self.truncate if 0 < self.truncate < steps else steps
        carry = cell.initialize_carry(jax.random.key(0), x[:, 0].shape)
        outs = []
        for start in range(0, steps, k):
            carry, y = rnn(x[:, start : start + k], initial_carry=carry, return_carry=True)
            carry = jax.lax.stop_gradient(carry)
            outs.append(y)
        return jnp.concatenate(outs, axis=1)
