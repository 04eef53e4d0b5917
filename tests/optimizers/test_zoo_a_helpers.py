"""Shared helpers for the ``test_zoo_a_*`` reference tests (no tests here)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax


def make_problem(seed: int = 0):
    """A small non-convex regression problem with a matrix, a vector and a 3-D leaf."""
    rng = np.random.default_rng(seed)
    x = jnp.asarray(rng.normal(size=(16, 5)), jnp.float32)
    y = jnp.asarray(rng.normal(size=(16, 3)), jnp.float32)
    params = {
        "w": jnp.asarray(rng.normal(size=(5, 3)) * 0.5, jnp.float32),
        "b": jnp.asarray(rng.normal(size=(3,)) * 0.1, jnp.float32),
        "k": jnp.asarray(rng.normal(size=(2, 3, 4)) * 0.3, jnp.float32),
    }

    def loss(p):
        h = jnp.tanh(x @ p["w"] + p["b"])
        return jnp.mean((h - y) ** 2) + 0.05 * jnp.sum(jnp.cos(p["k"])) + 0.01 * jnp.sum(
            p["w"] ** 4
        )

    return params, loss


def trajectory(tx: optax.GradientTransformation, params, loss, steps: int):
    """Runs ``steps`` jitted updates; returns the list of parameter pytrees and the last state."""
    grad = jax.grad(loss)

    @jax.jit
    def step(p, s):
        g = grad(p)
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s

    state = tx.init(params)
    out = [params]
    p = params
    for _ in range(steps):
        p, state = step(p, state)
        out.append(p)
    return out, state


def max_rel_err(a, b) -> float:
    """max over leaves of max|a - b| / max(max|b|, 1e-12)."""
    errs = jax.tree.map(
        lambda u, v: float(np.max(np.abs(np.asarray(u) - np.asarray(v))))
        / max(float(np.max(np.abs(np.asarray(v)))), 1e-12),
        a,
        b,
    )
    return max(jax.tree.leaves(errs) or [0.0])
