"""Parameter averaging (uniform and EMA)."""

from __future__ import annotations

import pathlib
import sys

import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo

# The shared problem sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))


# ---------------------------------------------------------------- averaging


@pytest.mark.parametrize("decay", [None, 0.9])
def test_parameter_averaging(decay):
    tx = optax.chain(optax.sgd(0.1), optzoo.parameter_averaging(decay))
    p = jnp.array([1.0, -2.0])
    state = tx.init(p)
    iterates = []
    for i in range(5):
        g = jnp.array([float(i), 1.0])
        u, state = tx.update(g, state, p)
        p = optax.apply_updates(p, u)
        iterates.append(np.asarray(p))
    avg = np.asarray(optzoo.averaged_params(state))
    if decay is None:
        expected = np.mean(iterates, axis=0)
    else:
        expected = np.array([1.0, -2.0])
        for x in iterates:
            expected = decay * expected + (1 - decay) * x
    np.testing.assert_allclose(avg, expected, rtol=1e-6)
