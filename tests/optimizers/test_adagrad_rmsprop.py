"""Adagrad/RMSProp line: MADGRAD against optax.contrib (100 steps), FTRL against Keras."""

from __future__ import annotations

import os
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax.contrib as contrib
import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import (  # noqa: E402
    check_matches_optax,
    check_matches_pytorch_optimizer,
    make_problem,
    max_rel_err,
    slow_marked,
    trajectory,
)

STEPS = 60
TOL = 1e-6


def _keras_ftrl():
    if os.environ.get("KERAS_BACKEND", "jax") != "jax":
        pytest.skip("keras is configured for another backend")
    os.environ["KERAS_BACKEND"] = "jax"
    return pytest.importorskip("keras")


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(
            learning_rate=0.1,
            learning_rate_power=-0.3,
            initial_accumulator_value=0.5,
            l1_regularization_strength=1e-3,
            l2_regularization_strength=1e-2,
            l2_shrinkage_regularization_strength=1e-3,
            beta=0.5,
        ),
        pytest.param(
            dict(learning_rate=0.05, learning_rate_power=-0.5, initial_accumulator_value=0.1),
            marks=pytest.mark.slow,
        ),
    ],
)
def test_ftrl_matches_keras(kwargs):
    keras = _keras_ftrl()
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jnp.float64)
        names = sorted(params)
        variables = [keras.Variable(np.asarray(params[k]), dtype="float64") for k in names]
        pairs = list(zip(names, variables, strict=True))
        opt = keras.optimizers.Ftrl(**kwargs)
        opt.build(variables)
        grad = jax.jit(jax.grad(loss))
        ref = [{k: np.asarray(params[k]) for k in names}]
        for _ in range(STEPS):
            g = grad({k: jnp.asarray(np.asarray(v.value)) for k, v in pairs})
            opt.apply_gradients([(g[k], v) for k, v in pairs])
            ref.append({k: np.asarray(v.value).copy() for k, v in pairs})
        traj, _ = trajectory(optzoo.ftrl(**kwargs), params, loss, STEPS)
    assert all(r["w"].dtype == np.float64 for r in ref)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    assert err <= TOL, err
    assert max_rel_err(traj[-1], traj[0]) > 1e-3


def test_ftrl_l1_gives_exact_zeros():
    params, loss = make_problem()
    traj, _ = trajectory(optzoo.ftrl(0.1, l1_regularization_strength=10.0), params, loss, 5)
    assert all(np.all(np.asarray(leaf) == 0.0) for leaf in jax.tree.leaves(traj[-1]))


# name -> (optzoo factory, kwargs, optax reference, kwargs); non-default hyperparameters.
OPTAX_CASES = {
    "madgrad": (
        optzoo.madgrad,
        dict(learning_rate=2e-2, momentum=0.8, weight_decay=1e-3),
        contrib.madgrad,
        None,
    ),
}


OPTAX_SLOW: set[str] = set()


@pytest.mark.parametrize("name", slow_marked(OPTAX_CASES, OPTAX_SLOW))
def test_matches_optax(name):
    check_matches_optax(name, OPTAX_CASES)


# Decoupled decay on both sides (pytorch_optimizer's default weight_decouple=True).
KATE_CASES = {
    "kate": (
        optzoo.kate,
        dict(learning_rate=1e-2, delta=0.1, eps=1e-8, weight_decay=1e-2),
        "Kate",
        dict(lr=1e-2, delta=0.1, eps=1e-8, weight_decay=1e-2),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(KATE_CASES))
def test_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, KATE_CASES)


# AdaSmooth: L2 decay (pytorch_optimizer's default weight_decouple=False).
ADASMOOTH_CASES = {
    "adasmooth": (
        optzoo.adasmooth,
        dict(learning_rate=1e-3, weight_decay=1e-2),
        "AdaSmooth",
        dict(lr=1e-3, weight_decay=1e-2),
        {},
    ),
    "adasmooth_betas": (
        optzoo.adasmooth,
        dict(learning_rate=3e-3, b1=0.4, b2=0.95, eps=1e-8),
        "AdaSmooth",
        dict(lr=3e-3, betas=(0.4, 0.95), eps=1e-8),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(ADASMOOTH_CASES))
def test_adasmooth_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, ADASMOOTH_CASES)
