"""Factored second moments: Adafactor and SM3 against optax (100 steps), CAME against
pytorch_optimizer (float64, 60 steps), and the factored-RMS and SM3 blocks."""

from __future__ import annotations

import pathlib
import sys

import optax
import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import (  # noqa: E402
    check_matches_optax,
    check_matches_pytorch_optimizer,
    check_transform_matches_optax,
    slow_marked,
)

# name -> (optzoo factory, kwargs, optax reference, kwargs); non-default hyperparameters.
OPTAX_CASES = {
    "sm3": (optzoo.sm3, dict(learning_rate=0.05, momentum=0.8), optax.sm3, None),
    "adafactor": (
        optzoo.adafactor,
        dict(learning_rate=3e-2, min_dim_size_to_factor=3, decay_rate=0.7, clipping_threshold=0.5),
        optax.adafactor,
        None,
    ),
    "adafactor_momentum_wd": (
        optzoo.adafactor,
        dict(
            learning_rate=3e-2,
            min_dim_size_to_factor=4,
            momentum=0.8,
            weight_decay_rate=1e-3,
            multiply_by_parameter_scale=False,
        ),
        optax.adafactor,
        None,
    ),
    "adafactor_unfactored": (
        optzoo.adafactor,
        dict(learning_rate=None, factored=False),
        optax.adafactor,
        None,
    ),
}


# Second configurations of an optimizer already covered: run with the slow tests.
OPTAX_SLOW = {"adafactor_momentum_wd", "adafactor_unfactored"}


@pytest.mark.parametrize("name", slow_marked(OPTAX_CASES, OPTAX_SLOW))
def test_matches_optax(name):
    check_matches_optax(name, OPTAX_CASES)


# Building blocks with non-default arguments that the optimizers above do not reach.
TRANSFORM_CASES = {
    "scale_by_sm3": (dict(b1=0.5, b2=0.9), "scale_by_sm3"),
    "scale_by_factored_rms": (
        dict(min_dim_size_to_factor=2, step_offset=3, epsilon=1e-20),
        "scale_by_factored_rms",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TRANSFORM_CASES))
def test_transform_matches_optax(name):
    check_transform_matches_optax(name, TRANSFORM_CASES)


# name -> (optzoo factory, kwargs, pytorch_optimizer class name, kwargs, problem kwargs)
TORCH_CASES = {
    "came": (
        optzoo.came,
        dict(learning_rate=1e-2, b1=0.8, b2=0.95, b3=0.99, clip_threshold=0.5, weight_decay=1e-2),
        "CAME",
        dict(lr=1e-2, betas=(0.8, 0.95, 0.99), clip_threshold=0.5, weight_decay=1e-2),
        {},
    ),
    # Adalite (pytorch_optimizer's Adalite is the only implementation): decoupled and L2 decay.
    "adalite": (
        optzoo.adalite,
        dict(learning_rate=1e-2, b1=0.8, b2=0.95, weight_decay=1e-2, tau=0.5),
        "Adalite",
        dict(lr=1e-2, betas=(0.8, 0.95), weight_decay=1e-2, tau=0.5),
        {},
    ),
    "adalite_coupled": (
        optzoo.adalite,
        dict(learning_rate=1e-2, weight_decay=1e-2, weight_decouple=False, ratio_min=0.5),
        "Adalite",
        dict(lr=1e-2, weight_decay=1e-2, weight_decouple=False, ratio_min=0.5),
        {},
    ),
}


TORCH_SLOW: set[str] = set()


@pytest.mark.parametrize("name", slow_marked(TORCH_CASES, TORCH_SLOW))
def test_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, TORCH_CASES)
