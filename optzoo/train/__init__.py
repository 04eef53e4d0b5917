"""Training engine: configs, train state, steps, data-parallel runners, checkpoints.

The entry point is :func:`train_and_evaluate`; the pieces are pure functions in
the style of the Flax examples.
"""

from __future__ import annotations

from optzoo.train.checkpoint import (
    CheckpointError,
    CheckpointWarning,
    latest_checkpoint,
    restore_checkpoint,
    restore_latest,
    save_checkpoint,
)
from optzoo.train.config import Config, ConfigError, load_config
from optzoo.train.diagnostics import GradientWarning, check_gradients
from optzoo.train.loop import evaluate, prepare_workdir, train_and_evaluate
from optzoo.train.optim import build_optimizer, build_schedule, create_optimizer
from optzoo.train.parallel import Runner, hlo_collective_bytes, tree_bytes_per_device
from optzoo.train.state import TrainState, create_train_state, model_from_config
from optzoo.train.steps import StepOptions, eval_step, train_step

__all__ = [
    "CheckpointError",
    "CheckpointWarning",
    "Config",
    "ConfigError",
    "GradientWarning",
    "Runner",
    "StepOptions",
    "TrainState",
    "build_optimizer",
    "build_schedule",
    "check_gradients",
    "create_optimizer",
    "create_train_state",
    "eval_step",
    "evaluate",
    "hlo_collective_bytes",
    "latest_checkpoint",
    "load_config",
    "model_from_config",
    "prepare_workdir",
    "restore_checkpoint",
    "restore_latest",
    "save_checkpoint",
    "train_and_evaluate",
    "train_step",
    "tree_bytes_per_device",
]
