"""Shared problem of the wrapper tests: a small float64 tree and a non-convex loss (no tests)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from _trajectory import max_rel_error, trajectory


def _params(seed=0):
    k = jax.random.split(jax.random.PRNGKey(seed), 3)
    return {
        "w": jax.random.normal(k[0], (5, 3), jnp.float64),
        "b": jax.random.normal(k[1], (3,), jnp.float64),
    }


def _loss(p):
    return sum(
        jnp.sum(jnp.cos(x) + 0.3 * x**2 + 0.2 * x * jnp.sin(2 * x)) for x in jax.tree.leaves(p)
    )


def _run(tx, params, steps, extra=False):
    return trajectory(tx, params, steps, _loss, {"value_fn": _loss} if extra else None)


_rel = max_rel_error


def _torch_loss(torch, tp):
    return sum((torch.cos(x) + 0.3 * x**2 + 0.2 * x * torch.sin(2 * x)).sum() for x in tp.values())


def _np_grad(p):
    return {k: np.asarray(v) for k, v in jax.grad(_loss)(p).items()}
