"""Sparse fine-tuning optimizers: SaRA against pytorch_optimizer (float64, 60 steps)."""

from __future__ import annotations

import pathlib
import sys

import jax.numpy as jnp
import numpy as np
import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import check_matches_pytorch_optimizer, slow_marked  # noqa: E402

# name -> (optzoo factory, kwargs, pytorch_optimizer class name, kwargs, problem kwargs).
# threshold 0.3: about half of make_problem's weights start below it.
TORCH_CASES = {
    "sara": (
        optzoo.sara,
        dict(learning_rate=1e-2, b1=0.8, b2=0.95, weight_decay=0.1, threshold=0.3),
        "SaRA",
        dict(lr=1e-2, betas=(0.8, 0.95), weight_decay=0.1, threshold=0.3, foreach=False),
        {},
    ),
    # Progressive refinement after step 20 (weights that grew past the threshold freeze).
    "sara_progressive": (
        optzoo.sara,
        dict(learning_rate=3e-2, threshold=0.3, progressive_iter=20),
        "SaRA",
        dict(lr=3e-2, threshold=0.3, progressive_iter=20, foreach=False),
        {},
    ),
    # pytorch_optimizer's batched path.
    "sara_foreach": (
        optzoo.sara,
        dict(learning_rate=1e-2, threshold=0.3, progressive_iter=5),
        "SaRA",
        dict(lr=1e-2, threshold=0.3, progressive_iter=5, foreach=True),
        {},
    ),
}


@pytest.mark.parametrize("name", slow_marked(TORCH_CASES, set()))
def test_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, TORCH_CASES)


def test_sara_freezes_the_large_weights():
    params = {"w": jnp.array([1e-4, -5e-4, 0.5, -2.0])}
    tx = optzoo.sara(1e-2, weight_decay=0.1)
    state = tx.init(params)
    u, _ = tx.update({"w": jnp.ones(4)}, state, params)
    u = np.asarray(u["w"])
    assert (u[:2] != 0).all() and (u[2:] == 0).all()
