"""Shared helpers of the per-family reference tests (``test_<family>.py``); no tests here.

``check_matches_optax`` runs an optzoo optimizer and its optax namesake for ``OPTAX_STEPS``
steps on :func:`make_problem`; ``check_matches_pytorch_optimizer`` does the same in float64
against a ``pytorch_optimizer`` class for ``TORCH_STEPS`` steps. Each family file holds its
own table of cases.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo

OPTAX_STEPS = 100
TORCH_STEPS = 60
TOL = 1e-6


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


def slow_marked(cases, slow):
    """Sorted case names, those in ``slow`` marked ``slow``."""
    return [pytest.param(n, marks=pytest.mark.slow) if n in slow else n for n in sorted(cases)]


def _tree_types(state):
    return [
        type(s).__name__
        for s in jax.tree.leaves(
            state, is_leaf=lambda x: isinstance(x, tuple) and hasattr(x, "_fields")
        )
    ]


def check_matches_optax(name, cases):
    """``cases[name] = (optzoo factory, kwargs, optax factory, optax kwargs or None)``."""
    ours, kwargs, ref, ref_kwargs = cases[name]
    params, loss = make_problem()
    traj, state = trajectory(ours(**kwargs), params, loss, OPTAX_STEPS)
    ref_traj, ref_state = trajectory(ref(**(ref_kwargs or kwargs)), params, loss, OPTAX_STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref_traj, strict=True))
    assert err <= TOL, f"{name}: max rel err {err:.3g}"
    # Same state classes, same tree structure.
    assert jax.tree.structure(state) == jax.tree.structure(ref_state)
    assert _tree_types(state) == _tree_types(ref_state)
    # The trajectory moved: the comparison is not vacuous.
    assert max_rel_err(traj[-1], traj[0]) > 1e-3


def check_transform_matches_optax(name, transform_cases):
    """``transform_cases[name] = (kwargs, block name in both optzoo and optax)``."""
    kwargs, attr = transform_cases[name]
    params, loss = make_problem()
    ours = optax.chain(getattr(optzoo, attr)(**kwargs), optax.scale(-1e-2))
    ref = optax.chain(getattr(optax, attr)(**kwargs), optax.scale(-1e-2))
    assert getattr(optzoo, attr) is not getattr(optax, attr)
    traj, _ = trajectory(ours, params, loss, OPTAX_STEPS)
    ref_traj, _ = trajectory(ref, params, loss, OPTAX_STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref_traj, strict=True))
    assert err <= TOL, f"{name}: max rel err {err:.3g}"


def check_matches_pytorch_optimizer(name, cases):
    """``cases[name] = (optzoo factory, kwargs, pytorch_optimizer class name, kwargs, problem
    kwargs)``; float64 on both sides."""
    pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    ours, kwargs, ref_name, ref_kwargs, problem = cases[name]
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jax.numpy.float64, **problem)
        traj, _ = trajectory(ours(**kwargs), params, loss, TORCH_STEPS)
        ref = torch_trajectory(getattr(pto, ref_name), ref_kwargs, params, loss, TORCH_STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    assert err <= TOL, f"{name}: max rel err {err:.3g}"
    assert max_rel_err(traj[-1], traj[0]) > 1e-3  # it moved
