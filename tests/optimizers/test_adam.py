"""Adam family: Adam-mini against a NumPy transcription of the paper."""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import make_problem, max_rel_err, trajectory  # noqa: E402

STEPS = 60
TOL = 1e-6


def _adam_mini_numpy(params, grad_fn, steps, lr, b1, b2, eps, wd):
    """Adam-mini, Algorithm 1 of Zhang et al. (2024), with the partition rule of optzoo:
    one block per index of the last axis for leaves with >= 2 axes, one block per vector."""

    def block_mean(a):
        if a.ndim < 2:
            return np.mean(a) * np.ones_like(a)
        axes = tuple(range(a.ndim - 1))
        return np.broadcast_to(np.mean(a, axis=axes, keepdims=True), a.shape)

    x = {k: np.array(v, np.float64) for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in x.items()}
    v = {k: np.zeros_like(val) for k, val in x.items()}
    out = [{k: a.copy() for k, a in x.items()}]
    for t in range(1, steps + 1):
        g = {
            k: np.asarray(a) for k, a in grad_fn({k: jnp.asarray(a) for k, a in x.items()}).items()
        }
        for k in x:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * block_mean(g[k] ** 2)
            m_hat = m[k] / (1 - b1**t)
            v_hat = v[k] / (1 - b2**t)
            x[k] = x[k] - lr * (m_hat / (np.sqrt(v_hat) + eps) + wd * x[k])
        out.append({k: a.copy() for k, a in x.items()})
    return out


def test_adam_mini_matches_numpy_transcription():
    kw = dict(learning_rate=1e-2, b1=0.8, b2=0.95, eps=1e-7, weight_decay=1e-2)
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jnp.float64)
        traj, state = trajectory(optzoo.adam_mini(**kw), params, loss, STEPS)
        ref = _adam_mini_numpy(
            params,
            jax.jit(jax.grad(loss)),
            STEPS,
            kw["learning_rate"],
            kw["b1"],
            kw["b2"],
            kw["eps"],
            kw["weight_decay"],
        )
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    assert err <= TOL, err
    # One second-moment scalar per output neuron / per vector.
    nu = state[0].nu
    assert nu["w"].shape == (1, 3) and nu["b"].shape == (1,) and nu["k"].shape == (1, 1, 4)


@pytest.mark.slow
def test_adam_mini_block_axis():
    params, loss = make_problem()
    _, state = trajectory(optzoo.adam_mini(1e-2, block_axis=0), params, loss, 2)
    assert state[0].nu["w"].shape == (5, 1)
