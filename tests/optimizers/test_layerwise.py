"""Layer-wise optimizers: LAMB, LARS and NovoGrad against optax (100 steps), and the trust-ratio
and NovoGrad blocks with non-default arguments."""

from __future__ import annotations

import pathlib
import sys

import jax
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
    "lamb": (
        optzoo.lamb,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, weight_decay=0.05),
        optax.lamb,
        None,
    ),
    "lars": (
        optzoo.lars,
        dict(
            learning_rate=0.5,
            weight_decay=1e-3,
            momentum=0.8,
            nesterov=True,
            trust_coefficient=0.01,
        ),
        optax.lars,
        None,
    ),
    "novograd": (
        optzoo.novograd,
        dict(learning_rate=1e-2, b1=0.8, b2=0.5, weight_decay=0.01),
        optax.novograd,
        None,
    ),
}


OPTAX_SLOW: set[str] = set()


@pytest.mark.parametrize("name", slow_marked(OPTAX_CASES, OPTAX_SLOW))
def test_matches_optax(name):
    check_matches_optax(name, OPTAX_CASES)


# Building blocks with non-default arguments that the optimizers above do not reach.
TRANSFORM_CASES = {
    "scale_by_trust_ratio": (
        dict(min_norm=0.1, trust_coefficient=0.5, eps=1e-3),
        "scale_by_trust_ratio",
    ),
    "scale_by_novograd": (dict(eps=1e-6, mu_dtype=jax.numpy.float32), "scale_by_novograd"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TRANSFORM_CASES))
def test_transform_matches_optax(name):
    check_transform_matches_optax(name, TRANSFORM_CASES)


FROMAGE_CASES = {
    "fromage": (optzoo.fromage, dict(learning_rate=1e-2), "Fromage", dict(lr=1e-2), {}),
    "fromage_bound": (
        optzoo.fromage,
        dict(learning_rate=5e-2, p_bound=1.05),
        "Fromage",
        dict(lr=5e-2, p_bound=1.05),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(FROMAGE_CASES))
def test_fromage_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, FROMAGE_CASES)


def test_fromage_p_bound_needs_params():
    tx = optzoo.fromage(1e-2, p_bound=2.0)
    with pytest.raises(ValueError, match="needs params"):
        tx.update({"w": jax.numpy.ones(2)}, tx.init({"w": jax.numpy.ones(2)}))


@pytest.mark.parametrize("lr", [1e-2, optax.linear_schedule(0.1, 0.01, 50)])
def test_fromage_is_optax_fromage(lr):
    import numpy as np
    from _helpers import make_problem, trajectory

    params, loss = make_problem()
    ours, _ = trajectory(optzoo.fromage(lr), params, loss, 30)
    theirs, _ = trajectory(optax.fromage(lr), params, loss, 30)
    for a, b in zip(ours, theirs, strict=True):
        for k in b:
            np.testing.assert_array_equal(np.asarray(a[k]), np.asarray(b[k]))


# Nero: the constraint on the rank >= 2 leaves (w, k), the vector b unconstrained.
NERO_CASES = {
    "nero": (optzoo.nero, dict(learning_rate=1e-2), "Nero", dict(lr=1e-2), {}),
    "nero_b2": (
        optzoo.nero,
        dict(learning_rate=3e-2, b2=0.9, eps=1e-6),
        "Nero",
        dict(lr=3e-2, beta=0.9, eps=1e-6),
        {},
    ),
    "nero_unconstrained": (
        optzoo.nero,
        dict(learning_rate=1e-2, constraints=False),
        "Nero",
        dict(lr=1e-2, constraints=False),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(NERO_CASES))
def test_nero_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, NERO_CASES)
