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


# ---------------------------------------------- optax's optimistic GD and noisy SGD (optax)

import optax  # noqa: E402
from _helpers import check_matches_optax, check_transform_matches_optax  # noqa: E402

# name -> (optzoo factory, kwargs, optax reference, kwargs); non-default hyperparameters.
OPTAX_SGD_CASES = {
    "optimistic_gradient_descent": (
        optzoo.optimistic_gradient_descent,
        dict(learning_rate=0.02, alpha=0.7, beta=0.4),
        optax.optimistic_gradient_descent,
        None,
    ),
    "optimistic_gradient_descent_schedule": (
        optzoo.optimistic_gradient_descent,
        dict(learning_rate=optax.linear_schedule(0.05, 0.01, 50)),
        optax.optimistic_gradient_descent,
        None,
    ),
    "noisy_sgd": (
        optzoo.noisy_sgd,
        dict(learning_rate=0.02, eta=0.05, gamma=0.6, key=3),
        optax.noisy_sgd,
        None,
    ),
}


@pytest.mark.parametrize("name", sorted(OPTAX_SGD_CASES))
def test_matches_optax(name):
    check_matches_optax(name, OPTAX_SGD_CASES)


@pytest.mark.parametrize("name", ["scale_by_optimistic_gradient"])
def test_transform_matches_optax(name):
    check_transform_matches_optax(
        name, {"scale_by_optimistic_gradient": (dict(alpha=0.5, beta=2.0), name)}
    )


def test_optimistic_gradient_descent_is_two_g_minus_previous():
    """alpha = beta = 1: u_t = 2 g_t - g_{t-1}, and u_1 = g_1."""
    tx = optzoo.optimistic_gradient_descent(1.0)
    params = jnp.zeros(2)
    state = tx.init(params)
    grads = [jnp.array([1.0, -2.0]), jnp.array([3.0, 0.5]), jnp.array([-1.0, 1.0])]
    outs = []
    for g in grads:
        u, state = tx.update(g, state, params)
        outs.append(np.asarray(u))
    np.testing.assert_allclose(outs[0], -grads[0])
    np.testing.assert_allclose(outs[1], -(2 * grads[1] - grads[0]))
    np.testing.assert_allclose(outs[2], -(2 * grads[2] - grads[1]))
