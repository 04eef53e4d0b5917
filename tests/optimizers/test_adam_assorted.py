"""Assorted Adam-family optimizers (AdaGC, Aida, ...) against pytorch_optimizer."""

from __future__ import annotations

import pathlib
import sys

import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import check_matches_pytorch_optimizer  # noqa: E402

# name -> (optzoo factory, kwargs, pytorch_optimizer class name, kwargs, problem kwargs)
TORCH_CASES = {
    # Decoupled decay on both sides (pytorch_optimizer's default weight_decouple=True); a
    # warm-up of 10 of the 60 steps, so both phases of the clipping run.
    "adagc": (
        optzoo.adagc,
        dict(learning_rate=1e-2, warmup_steps=10, weight_decay=1e-2),
        "AdaGC",
        dict(lr=1e-2, warmup_steps=10, weight_decay=1e-2),
        {},
    ),
    "adagc_tight": (
        optzoo.adagc,
        dict(
            learning_rate=1e-2,
            b1=0.8,
            b2=0.99,
            beta=0.9,
            lambda_abs=0.3,
            lambda_rel=1.01,
            warmup_steps=5,
            weight_decay=0.1,
        ),
        "AdaGC",
        dict(
            lr=1e-2,
            betas=(0.8, 0.99),
            beta=0.9,
            lambda_abs=0.3,
            lambda_rel=1.01,
            warmup_steps=5,
            weight_decay=0.1,
        ),
        {},
    ),
    # Aida: L2 decay (pytorch_optimizer's default weight_decouple=False) and decoupled.
    "aida": (
        optzoo.aida,
        dict(learning_rate=1e-2, weight_decay=1e-2),
        "Aida",
        dict(lr=1e-2, weight_decay=1e-2),
        {},
    ),
    "aida_k3_decoupled": (
        optzoo.aida,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, k=3, weight_decay=1e-2, weight_decouple=True),
        "Aida",
        dict(lr=1e-2, betas=(0.8, 0.99), k=3, weight_decay=1e-2, weight_decouple=True),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, TORCH_CASES)
