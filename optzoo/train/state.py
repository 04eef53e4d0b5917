"""Train state, model construction from a config, and the state's creation."""

from __future__ import annotations

import functools
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax.training import train_state

from optzoo.data import Dataset
from optzoo.models import build_model
from optzoo.train.config import ModelConfig

__all__ = ["MODEL_OPTIONS", "TrainState", "model_from_config", "create_train_state"]


class TrainState(train_state.TrainState):
    """Flax's ``TrainState`` plus BatchNorm statistics (an empty dict when unused)."""

    batch_stats: Any = None


# The ``model`` config keys each model family reads (``init`` is its kernel initialiser).
MODEL_OPTIONS = {
    "mlp": ("width", "depth", "activation", "dropout", "norm", "init"),
    "lenet5": ("pool", "norm", "dropout", "activation", "init", "width_multiplier"),
    "resnet": ("stages", "blocks", "norm", "dropout", "init"),
    "rnn": ("cell", "hidden", "layers", "embed", "output", "truncate", "init"),
    "transformer": ("dim", "heads", "layers", "max_len", "dropout", "init"),
    "quadratic": ("theta_init",),
}


def model_from_config(cfg: ModelConfig, data: Dataset) -> nn.Module:
    """The Flax model a config names, sized for ``data``."""
    opts = {k: getattr(cfg, k) for k in MODEL_OPTIONS[cfg.name]}
    init = opts.pop("init", "")
    if init:
        opts["initializer"] = init
    if cfg.name == "resnet":
        opts["stages"] = tuple(int(s) for s in opts["stages"])
    if cfg.name == "rnn":
        integer_inputs = np.issubdtype(data.x_train.dtype, np.integer)
        opts["vocab_size"] = data.num_outputs if integer_inputs else 0
        opts["output"] = opts["output"] or ("all" if data.task == "sequence" else "last")
    if cfg.name == "transformer":
        opts["max_len"] = max(opts["max_len"], data.x_train.shape[1])
    return build_model(cfg.name, data.num_outputs, **opts)


def create_train_state(
    model: nn.Module, tx: optax.GradientTransformation, sample_x: np.ndarray, seed: int
) -> TrainState:
    """Initialises parameters from ``seed`` (on one example batch) and the optimizer state.

    The parameter initialisation is compiled once per model configuration and input
    shape in a process (a benchmark suite trains one model with many optimizers); the
    optimizer state's initialisation is compiled per call.
    """

    def init(variables: Any) -> TrainState:
        return TrainState.create(
            apply_fn=model.apply,
            params=variables["params"],
            tx=tx,
            batch_stats=variables.get("batch_stats", {}),
        )

    variables = _init_variables(model, jax.random.key(seed), jnp.asarray(sample_x))
    return jax.jit(init)(variables)


@functools.partial(jax.jit, static_argnums=0)
def _init_variables(model: nn.Module, key: jax.Array, x: jax.Array) -> Any:
    return model.init(key, x, train=False)
