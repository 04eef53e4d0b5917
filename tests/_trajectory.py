"""Shared helpers of the reference tests: a jitted trajectory and its error against a reference."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np
import optax


def trajectory(
    tx: optax.GradientTransformation,
    params: Any,
    steps: int,
    loss: Callable[[Any], Any],
    extra: dict | None = None,
) -> tuple[list, Any]:
    """Parameters after each of ``steps`` jitted updates on ``grad(loss)``, and the last state.

    ``extra`` gives the keyword arguments of every ``tx.update`` call (e.g. ``value_fn``).
    """
    state = tx.init(params)
    kw = extra or {}

    @jax.jit
    def step(params, state):
        u, state = tx.update(jax.grad(loss)(params), state, params, **kw)
        return optax.apply_updates(params, u), state

    traj = []
    for _ in range(steps):
        params, state = step(params, state)
        traj.append(jax.tree.map(np.asarray, params))
    return traj, state


def max_rel_error(a_traj: list, b_traj: list) -> float:
    """Largest relative L2 error, per leaf and step, of ``a_traj`` against ``b_traj``."""
    err = 0.0
    for a, b in zip(a_traj, b_traj, strict=True):
        for k in b:
            x, y = np.asarray(a[k], np.float64), np.asarray(b[k], np.float64)
            err = max(err, np.linalg.norm(x - y) / max(np.linalg.norm(y), 1e-12))
    print(f"max relative error: {err:.2e}")  # visible with pytest -s
    return err
