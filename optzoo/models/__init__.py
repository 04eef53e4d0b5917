"""Flax models for training jobs: MLP, CNNs, recurrent nets, a small Transformer, and the
noisy quadratic model's ``quadratic``.

``build_model(name, num_outputs, **options)`` makes one by name, as configs do.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn

from optzoo.models.cnn import LeNet5, ResNet
from optzoo.models.initializers import INITIALIZERS, get_initializer
from optzoo.models.mlp import ACTIVATIONS, MLP
from optzoo.models.quadratic import Quadratic
from optzoo.models.recurrent import CELLS, RecurrentNet
from optzoo.models.transformer import TransformerLM

__all__ = [
    "ACTIVATIONS",
    "CELLS",
    "INITIALIZERS",
    "MODELS",
    "LeNet5",
    "MLP",
    "Quadratic",
    "RecurrentNet",
    "ResNet",
    "TransformerLM",
    "build_model",
    "get_initializer",
]

MODELS: dict[str, type[nn.Module]] = {
    "mlp": MLP,
    "lenet5": LeNet5,
    "resnet": ResNet,
    "rnn": RecurrentNet,
    "transformer": TransformerLM,
    "quadratic": Quadratic,
}


def build_model(name: str, num_outputs: int, **options: Any) -> nn.Module:
    """The model ``name`` (a key of :data:`MODELS`) with ``num_outputs`` outputs.

    For ``transformer`` ``num_outputs`` is the vocabulary size.
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(MODELS)}")
    if name == "transformer":
        return TransformerLM(vocab_size=num_outputs, **options)
    return MODELS[name](num_outputs=num_outputs, **options)
