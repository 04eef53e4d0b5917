"""Fixtures for the second-order tests: scoped float64 and a small problem catalogue."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest


@pytest.fixture
def x64():
    """Runs the test with float64 enabled, restoring the previous setting afterwards."""
    with jax.enable_x64(True):
        yield


@pytest.fixture
def catalogue():
    """name -> (function, start as a NumPy array, known minimum value)."""
    return CATALOGUE


def rosenbrock(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def extended_powell(x):
    x = x.reshape(-1, 4)
    a, b, c, d = x[:, 0], x[:, 1], x[:, 2], x[:, 3]
    return jnp.sum((a + 10 * b) ** 2 + 5 * (c - d) ** 2 + (b - 2 * c) ** 4 + 10 * (a - d) ** 4)


def beale(x):
    return (
        (1.5 - x[0] + x[0] * x[1]) ** 2
        + (2.25 - x[0] + x[0] * x[1] ** 2) ** 2
        + (2.625 - x[0] + x[0] * x[1] ** 3) ** 2
    )


def quadratic(x):
    a = jnp.diag(jnp.arange(1.0, x.size + 1.0))
    return 0.5 * x @ a @ x - jnp.sum(x)


# name -> (function, start as a NumPy array, known minimum value)
CATALOGUE = {
    "rosenbrock2": (rosenbrock, np.array([-1.2, 1.0]), 0.0),
    "rosenbrock10": (rosenbrock, np.tile([-1.2, 1.0], 5), 0.0),
    "powell8": (extended_powell, np.tile([3.0, -1.0, 0.0, 1.0], 2), 0.0),
    "beale": (beale, np.array([1.0, 1.0]), 0.0),
    "quadratic6": (quadratic, np.zeros(6), float(-0.5 * np.sum(1.0 / np.arange(1, 7)))),
}
