"""Adam variants beyond optax: QHAdam, AdaMod and diffGrad against pytorch_optimizer (float64,
60 steps, the shared regression problem with a vector, a matrix and a rank-3 leaf)."""

import pathlib
import sys

import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import check_matches_pytorch_optimizer  # noqa: E402

# name -> (optzoo factory, kwargs, pytorch_optimizer class name, kwargs, problem kwargs)
TORCH_CASES = {
    # Coupled L2 decay (pytorch_optimizer's default weight_decouple=False).
    "qhadam": (
        optzoo.qhadam,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, nu1=0.7, nu2=0.9, eps=1e-8, weight_decay=1e-2),
        "QHAdam",
        dict(lr=1e-2, betas=(0.9, 0.99), nus=(0.7, 0.9), eps=1e-8, weight_decay=1e-2),
        {},
    ),
    # Decoupled decay on both sides (pytorch_optimizer's default weight_decouple=True).
    "adamod": (
        optzoo.adamod,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, b3=0.9, eps=1e-8, weight_decay=1e-2),
        "AdaMod",
        dict(lr=1e-2, betas=(0.9, 0.99, 0.9), eps=1e-8, weight_decay=1e-2),
        {},
    ),
    "diffgrad": (
        optzoo.diffgrad,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, eps=1e-8, weight_decay=1e-2),
        "DiffGrad",
        dict(lr=1e-2, betas=(0.9, 0.99), eps=1e-8, weight_decay=1e-2),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, TORCH_CASES)


def test_qhadam_with_unit_nus_is_adam():
    params = {"w": jnp.array([1.0, -2.0, 0.5])}
    grads = [{"w": jnp.array([0.5, 0.1, -0.3]) * (i + 1)} for i in range(5)]

    def run(tx):
        state, out = tx.init(params), []
        for g in grads:
            u, state = tx.update(g, state, params)
            out.append(np.asarray(u["w"]))
        return np.stack(out)

    ours = run(optzoo.qhadam(1e-2, b1=0.9, b2=0.999, nu1=1.0, nu2=1.0))
    np.testing.assert_allclose(ours, run(optax.adam(1e-2)), rtol=1e-5)


def test_adamod_coupled_decay_matches_pytorch_optimizer():
    cases = {
        "adamod_coupled": (
            optzoo.adamod,
            dict(learning_rate=1e-2, b3=0.9, weight_decay=1e-2, decouple=False),
            "AdaMod",
            dict(lr=1e-2, betas=(0.9, 0.999, 0.9), weight_decay=1e-2, weight_decouple=False),
            {},
        )
    }
    check_matches_pytorch_optimizer("adamod_coupled", cases)
