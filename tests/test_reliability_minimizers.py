"""``minimize`` and ``least_squares`` fail cleanly, for every method.

A non-finite start, an objective that is NaN everywhere, an objective that turns NaN
past a wall the iterates run into, and ``maxiter`` all end in ``success=False`` with
a message (never an exception, never a hang: ``nit <= maxiter``). Tolerances and
``maxiter`` are traced, so one compiled solver per (objective, method) serves all
starts. The default run covers two methods; the slow run covers all of them.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from optzoo.second_order import MINIMIZE_METHODS, least_squares, minimize

FAST = ("lbfgs", "newton")


def _methods(fast):
    return [
        m if m in fast else pytest.param(m, marks=pytest.mark.slow)
        for m in sorted(fast) + [m for m in MINIMIZE_METHODS if m not in fast]
    ]


def rosenbrock(x):
    return (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2


def nan_everywhere(x):
    return jnp.sum(x**2) * jnp.nan


def nan_past_wall(x):
    # Minimum at x = (3, 3) lies beyond x[0] = 1, where the objective is NaN.
    return jnp.where(x[0] < 1.0, jnp.sum((x - 3.0) ** 2), jnp.nan)


def _failed(res, status=None):
    assert not bool(res.success), res.message
    assert isinstance(res.message, str) and res.message
    if status is not None:
        assert int(res.status) == status, res.message


@pytest.mark.parametrize("method", _methods(FAST))
def test_minimize_fails_cleanly(method):
    for bad in (jnp.nan, jnp.inf, -jnp.inf):
        res = minimize(rosenbrock, jnp.array([bad, 1.0]), method=method)
        _failed(res, status=3)
        assert "NaN or infinite" in res.message
    res = minimize(rosenbrock, jnp.array([-1.2, 1.0]), method=method, maxiter=2)
    _failed(res, status=1)
    assert int(res.nit) == 2 and "Maximum" in res.message
    res = minimize(nan_everywhere, jnp.array([0.5, 0.5]), method=method)
    _failed(res, status=3)
    # The iterates hit the NaN region: the run stops (any failure status) or stays on the
    # finite side; it never returns a NaN point as a success, and it stops by maxiter.
    res = minimize(nan_past_wall, jnp.array([0.0, 0.0]), method=method, maxiter=50)
    assert int(res.nit) <= 50
    if bool(res.success):
        assert np.all(np.isfinite(np.asarray(res.x))) and np.isfinite(float(res.fun))
    else:
        _failed(res)


def _residuals(x):
    return jnp.array([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]])


@pytest.mark.parametrize("method", ["lm", "gauss-newton"])
def test_least_squares_fails_cleanly(method):
    for bad in (jnp.nan, jnp.inf):
        _failed(least_squares(_residuals, jnp.array([bad, 1.0]), method=method), status=3)
    res = least_squares(_residuals, jnp.array([-1.2, 1.0]), method=method, maxiter=1)
    _failed(res, status=1)
    assert "Maximum" in res.message
    res = least_squares(lambda x: x * jnp.nan, jnp.array([0.5, 0.5]), method=method)
    _failed(res, status=3)
    res = least_squares(
        lambda x: jnp.where(x[0] < 1.0, x - 3.0, jnp.nan), jnp.zeros(2), method=method, maxiter=50
    )
    assert int(res.nit) <= 50
    if bool(res.success):
        assert np.all(np.isfinite(np.asarray(res.x)))
