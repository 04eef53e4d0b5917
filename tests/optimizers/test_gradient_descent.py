"""Gradient-descent family beyond the classics: QHM and AggMo against pytorch_optimizer
(float64, 60 steps, the shared regression problem with a vector, a matrix and a rank-3 leaf)."""

import pathlib
import sys

import jax.numpy as jnp
import numpy as np
import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import check_matches_pytorch_optimizer  # noqa: E402

# name -> (optzoo factory, kwargs, pytorch_optimizer class name, kwargs, problem kwargs)
TORCH_CASES = {
    # Coupled L2 decay on both sides (pytorch_optimizer's default weight_decouple=False).
    "qhm": (
        optzoo.qhm,
        dict(learning_rate=0.05, momentum=0.9, nu=0.7, weight_decay=1e-2),
        "QHM",
        dict(lr=0.05, momentum=0.9, nu=0.7, weight_decay=1e-2),
        {},
    ),
    # Decoupled decay on both sides (pytorch_optimizer's default weight_decouple=True).
    "pnm": (
        optzoo.pnm,
        dict(learning_rate=0.02, b1=0.9, b0=1.0, weight_decay=1e-2),
        "PNM",
        dict(lr=0.02, betas=(0.9, 1.0), weight_decay=1e-2),
        {},
    ),
    "sgdw": (
        optzoo.sgdw,
        dict(learning_rate=0.02, momentum=0.9, weight_decay=1e-2),
        "SGDW",
        dict(lr=0.02, momentum=0.9, weight_decay=1e-2),
        {},
    ),
    "sgdw_nesterov": (
        optzoo.sgdw,
        dict(learning_rate=0.02, momentum=0.9, nesterov=True, weight_decay=1e-2),
        "SGDW",
        dict(lr=0.02, momentum=0.9, nesterov=True, weight_decay=1e-2),
        {},
    ),
    "aggmo": (
        optzoo.aggmo,
        dict(learning_rate=0.02, betas=(0.0, 0.9, 0.99), weight_decay=1e-2),
        "AggMo",
        dict(lr=0.02, betas=(0.0, 0.9, 0.99), weight_decay=1e-2),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, TORCH_CASES)


def test_qhm_limits_are_sgd_and_ema_momentum():
    params = {"w": jnp.array([1.0, -2.0])}
    grads = [{"w": jnp.array([0.5, 0.1]) * (i + 1)} for i in range(4)]

    def run(tx):
        state, out = tx.init(params), []
        for g in grads:
            u, state = tx.update(g, state, params)
            out.append(np.asarray(u["w"]))
        return np.stack(out)

    np.testing.assert_allclose(run(optzoo.qhm(0.1, nu=0.0)), run(optzoo.sgd(0.1)), rtol=1e-6)
    ema = run(optzoo.qhm(0.1, momentum=0.9, nu=1.0))
    # nu = 1: an EMA (weights 1 - momentum) where SGD's heavy ball sums the gradients.
    np.testing.assert_allclose(ema, run(optzoo.sgd(0.01, momentum=0.9)), rtol=1e-6)


def test_aggmo_rejects_bad_betas():
    with pytest.raises(ValueError, match="betas"):
        optzoo.aggmo(0.1, betas=())
    with pytest.raises(ValueError, match=r"betas\[1\]"):
        optzoo.aggmo(0.1, betas=(0.0, 1.5))


# VSGD: decoupled decay (pytorch_optimizer's default weight_decouple=True) and L2.
VSGD_CASES = {
    "vsgd": (
        optzoo.vsgd,
        dict(learning_rate=0.05, weight_decay=1e-2),
        "VSGD",
        dict(lr=0.05, weight_decay=1e-2),
        {},
    ),
    "vsgd_l2": (
        optzoo.vsgd,
        dict(
            learning_rate=0.05,
            ghattg=10.0,
            ps=1e-3,
            tau1=0.7,
            tau2=0.8,
            weight_decay=1e-2,
            weight_decouple=False,
        ),
        "VSGD",
        dict(
            lr=0.05,
            ghattg=10.0,
            ps=1e-3,
            tau1=0.7,
            tau2=0.8,
            weight_decay=1e-2,
            weight_decouple=False,
        ),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(VSGD_CASES))
def test_vsgd_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, VSGD_CASES)
