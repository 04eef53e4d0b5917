"""Sign-based optimizers: Lion, signSGD, Signum and Rprop against optax (100 steps), MARS-Lion
against pytorch_optimizer (float64, 60 steps), and Lion's block modes against optax."""

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
    "lion": (
        optzoo.lion,
        dict(learning_rate=3e-3, b1=0.8, b2=0.95, weight_decay=0.1),
        optax.lion,
        None,
    ),
    "sign_sgd": (optzoo.sign_sgd, dict(learning_rate=3e-3), optax.sign_sgd, None),
    "signum": (optzoo.signum, dict(learning_rate=3e-3, beta=0.7), optax.signum, None),
    "rprop": (
        optzoo.rprop,
        dict(learning_rate=1e-2, eta_minus=0.4, eta_plus=1.3, max_step_size=0.5),
        optax.rprop,
        None,
    ),
}


OPTAX_SLOW: set[str] = set()


@pytest.mark.parametrize("name", slow_marked(OPTAX_CASES, OPTAX_SLOW))
def test_matches_optax(name):
    check_matches_optax(name, OPTAX_CASES)


# Building blocks with non-default arguments that the optimizers above do not reach.
TRANSFORM_CASES = {
    "scale_by_lion_smooth": (dict(b1=0.8, mode="smooth", smooth_beta=3.0), "scale_by_lion"),
    "scale_by_lion_refined": (dict(b2=0.9, mode="refined"), "scale_by_lion"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TRANSFORM_CASES))
def test_transform_matches_optax(name):
    check_transform_matches_optax(name, TRANSFORM_CASES)


# name -> (optzoo factory, kwargs, pytorch_optimizer class name, kwargs, problem kwargs)
TORCH_CASES = {
    # BCOS, each mode (decoupled decay; the first step starts m at g and v at g^2).
    "bcos": (
        optzoo.bcos,
        dict(learning_rate=3e-3, beta=0.8, weight_decay=1e-2, mode="c"),
        "BCOS",
        dict(lr=3e-3, beta=0.8, weight_decay=1e-2, mode="c"),
        {},
    ),
    "bcos_g": (
        optzoo.bcos,
        dict(learning_rate=3e-3, beta=0.8, weight_decay=1e-2, mode="g", beta2=0.95),
        "BCOS",
        dict(lr=3e-3, beta=0.8, weight_decay=1e-2, mode="g", beta2=0.95),
        {},
    ),
    "bcos_m": (
        optzoo.bcos,
        dict(learning_rate=3e-3, beta=0.8, weight_decay=1e-2, mode="m"),
        "BCOS",
        dict(lr=3e-3, beta=0.8, weight_decay=1e-2, mode="m"),
        {},
    ),
    "bcos_simple_cond": (
        optzoo.bcos,
        dict(learning_rate=3e-3, beta=0.8, weight_decay=1e-2, mode="c", simple_cond=True),
        "BCOS",
        dict(lr=3e-3, beta=0.8, weight_decay=1e-2, mode="c", simple_cond=True),
        {},
    ),
    # FOCUS: pytorch_optimizer decays (toward zero by the parameters' average) before the
    # attraction's sign; a large decay makes the order visible. b2 = 0.75 keeps 1 - b2**t
    # exact: at step 1 x - hat is then exactly 0 on both sides, not a rounding error's sign.
    "focus": (
        optzoo.focus,
        dict(learning_rate=3e-3, b1=0.8, b2=0.75, gamma=0.2, weight_decay=0.5),
        "FOCUS",
        dict(lr=3e-3, betas=(0.8, 0.75), gamma=0.2, weight_decay=0.5),
        {},
    ),
    # Decoupled decay; pytorch_optimizer's eps outside the square root.
    "ano": (
        optzoo.ano,
        dict(learning_rate=3e-3, b1=0.9, b2=0.95, weight_decay=1e-2),
        "Ano",
        dict(lr=3e-3, betas=(0.9, 0.95), weight_decay=1e-2),
        {},
    ),
    # Anolog: beta1 = 1 - 1 / log(max(2, t)).
    "ano_logarithmic": (
        optzoo.ano,
        dict(learning_rate=3e-3, b2=0.95, logarithmic_schedule=True),
        "Ano",
        dict(lr=3e-3, betas=(0.9, 0.95), logarithmic_schedule=True),
        {},
    ),
    # Decoupled decay on both sides (pytorch_optimizer's default weight_decouple=True).
    "tiger": (
        optzoo.tiger,
        dict(learning_rate=3e-3, beta=0.9, weight_decay=1e-2),
        "Tiger",
        dict(lr=3e-3, beta=0.9, weight_decay=1e-2),
        {},
    ),
    "mars_lion": (
        optzoo.mars_lion,
        dict(learning_rate=3e-3, b1=0.8, gamma=0.05, weight_decay=1e-2),
        "MARS",
        dict(
            lr=3e-3,
            betas=(0.8, 0.99),
            gamma=0.05,
            weight_decay=1e-2,
            mars_type="lion",
            optimize_1d=True,
        ),
        {},
    ),
}


TORCH_SLOW: set[str] = set()


@pytest.mark.parametrize("name", slow_marked(TORCH_CASES, TORCH_SLOW))
def test_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, TORCH_CASES)


def test_tiger_is_lion_with_one_decay():
    import jax.numpy as jnp
    import numpy as np

    params = {"w": jnp.array([1.0, -2.0, 0.5])}
    grads = [{"w": jnp.array([0.5, -0.1, 0.3]) * (-1) ** i} for i in range(5)]

    def run(tx):
        state, out = tx.init(params), []
        for g in grads:
            u, state = tx.update(g, state, params)
            out.append(np.asarray(u["w"]))
        return np.stack(out)

    np.testing.assert_array_equal(
        run(optzoo.tiger(1e-2, beta=0.9, weight_decay=0.1)),
        run(optax.lion(1e-2, b1=0.9, b2=0.9, weight_decay=0.1)),
    )


# ROSE: L2 decay (pytorch_optimizer's default weight_decouple=False), decoupled, and the
# plain range normalisation.
ROSE_CASES = {
    "rose": (
        optzoo.rose,
        dict(learning_rate=1e-2, weight_decay=1e-2),
        "ROSE",
        dict(lr=1e-2, weight_decay=1e-2),
        {},
    ),
    "rose_decoupled_plain": (
        optzoo.rose,
        dict(
            learning_rate=1e-2,
            weight_decay=1e-2,
            weight_decouple=True,
            centralize=False,
            stabilize=False,
        ),
        "ROSE",
        dict(lr=1e-2, weight_decay=1e-2, weight_decouple=True, centralize=False, stabilize=False),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(ROSE_CASES))
def test_rose_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, ROSE_CASES)
