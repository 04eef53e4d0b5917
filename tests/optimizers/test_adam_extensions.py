"""More Adam-family members against pytorch_optimizer 4.1.0 (float64, 60 steps, the shared
regression problem with a vector, a matrix and a rank-3 leaf): Adai, ..."""

import pathlib
import sys

import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import check_matches_pytorch_optimizer  # noqa: E402

# name -> (optzoo factory, kwargs, pytorch_optimizer class name, kwargs, problem kwargs)
TORCH_CASES = {
    # Coupled L2 decay (pytorch_optimizer's default weight_decouple=False).
    "adai": (
        optzoo.adai,
        dict(learning_rate=0.1, b0=0.1, b2=0.99, eps=1e-3, weight_decay=1e-2),
        "Adai",
        dict(lr=0.1, betas=(0.1, 0.99), eps=1e-3, weight_decay=1e-2),
        {},
    ),
    "adai_decoupled": (
        optzoo.adai,
        dict(learning_rate=0.1, b0=0.2, b2=0.9, weight_decay=1e-2, decouple=True),
        "Adai",
        dict(lr=0.1, betas=(0.2, 0.9), weight_decay=1e-2, weight_decouple=True),
        {},
    ),
    "adai_dampening": (
        optzoo.adai,
        dict(learning_rate=0.05, b0=0.1, b2=0.99, dampening=0.5, weight_decay=1e-2),
        "Adai",
        dict(lr=0.05, betas=(0.1, 0.99), dampening=0.5, weight_decay=1e-2),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, TORCH_CASES)
