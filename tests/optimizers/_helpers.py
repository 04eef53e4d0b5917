"""Shared helpers of the reference tests (test_vs_*.py, test_adam.py, ...); no tests here."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax


def make_problem(seed: int = 0, dtype=jnp.float32, scale_invariant: bool = False):
    """A small non-convex regression problem with a matrix, a vector and a 3-D leaf.

    With ``scale_invariant`` the loss sees each row of ``w`` only through its direction
    (as after a normalisation layer), so the gradient of ``w`` is orthogonal to its rows.
    """
    rng = np.random.default_rng(seed)
    x = jnp.asarray(rng.normal(size=(16, 5)), dtype)
    y = jnp.asarray(rng.normal(size=(16, 3)), dtype)
    params = {
        "w": jnp.asarray(rng.normal(size=(5, 3)) * 0.5, dtype),
        "b": jnp.asarray(rng.normal(size=(3,)) * 0.1, dtype),
        "k": jnp.asarray(rng.normal(size=(2, 3, 4)) * 0.3, dtype),
    }

    def loss(p):
        w = p["w"]
        if scale_invariant:
            w = w / jnp.linalg.norm(w, axis=1, keepdims=True)
        h = jnp.tanh(x @ w + p["b"])
        return (
            jnp.mean((h - y) ** 2)
            + 0.05 * jnp.sum(jnp.cos(p["k"]))
            + 0.01 * jnp.sum(p["w"] ** 4) * (not scale_invariant)
        )

    return params, loss


def torch_trajectory(opt_cls, kwargs, params, loss, steps: int):
    """Runs a ``torch.optim``-style optimizer fed with JAX gradients; returns NumPy params."""
    import torch

    names = sorted(params)
    tp = {k: torch.tensor(np.asarray(params[k]), requires_grad=True) for k in names}
    opt = opt_cls([tp[k] for k in names], **kwargs)
    grad = jax.jit(jax.grad(loss))
    out = [{k: np.asarray(params[k]) for k in names}]
    for _ in range(steps):
        g = grad({k: jnp.asarray(tp[k].detach().numpy()) for k in names})
        for k in names:
            tp[k].grad = torch.tensor(np.array(g[k]))
        opt.step()
        out.append({k: tp[k].detach().numpy().copy() for k in names})
    return out


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
        lambda u, v: (
            float(np.max(np.abs(np.asarray(u) - np.asarray(v))))
            / max(float(np.max(np.abs(np.asarray(v)))), 1e-12)
        ),
        a,
        b,
    )
    return max(jax.tree.leaves(errs) or [0.0])
