"""A small random regression problem run through both a framework and an optzoo preset.

Errors are reported per tensor as max|p_optzoo - p_ref| / max|p_ref|, the worst over
every step of the trajectory.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

STEPS = 100


def make_problem(seed: int = 0, shapes: dict | None = None, dtype=np.float32):
    rng = np.random.default_rng(seed)
    shapes = shapes or {"w": (6, 4), "b": (4,)}
    params = {k: (rng.normal(size=s) * 0.5).astype(dtype) for k, s in shapes.items()}
    data = {
        "x": rng.normal(size=(32, 6)).astype(dtype),
        "y": rng.normal(size=(32, 4)).astype(dtype),
    }
    return params, data


def jax_loss(p, data):
    z = data["x"] @ p["w"]
    if "b" in p:
        z = z + p["b"]
    return jnp.mean((jnp.tanh(z) - data["y"]) ** 2)


def torch_loss(p, data):
    import torch

    z = torch.as_tensor(data["x"]) @ p["w"]
    if "b" in p:
        z = z + p["b"]
    return torch.mean((torch.tanh(z) - torch.as_tensor(data["y"])) ** 2)


def jax_trajectory(
    tx: optax.GradientTransformation, params, data, steps: int = STEPS, return_state: bool = False
):
    """Parameters after each of ``steps`` updates, as numpy arrays of shape (steps, ...)."""

    @jax.jit
    def run(p0):
        def body(carry, _):
            p, s = carry
            loss, g = jax.value_and_grad(jax_loss)(p, data)
            u, s = tx.update(g, s, p, value=loss)
            p = optax.apply_updates(p, u)
            return (p, s), p

        (_, state), traj = jax.lax.scan(body, (p0, tx.init(p0)), None, length=steps)
        return traj, state

    x64 = any(np.asarray(v).dtype == np.float64 for v in params.values())
    with jax.enable_x64(x64):
        traj, state = run(jax.tree.map(jnp.asarray, params))
        traj = jax.tree.map(np.asarray, traj)
    return (traj, state) if return_state else traj


def torch_trajectory(make_opt, params, data, steps: int = STEPS, scheduler=None):
    """``make_opt(list_of_tensors) -> optimizer``; optional ``scheduler(opt)`` stepped per step."""
    import torch

    ps = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    keys = sorted(ps)
    opt = make_opt([ps[k] for k in keys])
    sched = scheduler(opt) if scheduler is not None else None
    traj = {k: [] for k in keys}
    for _ in range(steps):
        opt.zero_grad()
        loss = torch_loss(ps, data)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        for k in keys:
            traj[k].append(ps[k].detach().numpy().copy())
    return {k: np.stack(v) for k, v in traj.items()}


def max_rel_error(ours: dict, ref: dict) -> float:
    err = 0.0
    for k in ref:
        scale = np.max(np.abs(ref[k]).reshape(ref[k].shape[0], -1), axis=1)
        diff = np.max(np.abs(ours[k] - ref[k]).reshape(ref[k].shape[0], -1), axis=1)
        err = max(err, float(np.max(diff / np.maximum(scale, 1e-30))))
    return err


def keras_trajectory(make_opt, params, data, steps: int = STEPS):
    """Runs a Keras 3 optimizer (JAX backend) through ``stateless_apply`` under jit;
    returns the parameters after each step and the optimizer."""
    import keras

    keys = sorted(params)
    variables = [keras.Variable(params[k], name=k) for k in keys]
    opt = make_opt()
    opt.build(variables)

    @jax.jit
    def run(opt_vars, train_vars):
        def body(carry, _):
            ov, tv = carry
            g = jax.grad(jax_loss)(dict(zip(keys, tv, strict=True)), data)
            tv, ov = opt.stateless_apply(ov, [g[k] for k in keys], tv)
            return (ov, tv), tv

        return jax.lax.scan(body, (opt_vars, train_vars), None, length=steps)

    (ov, _), traj = run([v.value for v in opt.variables], [v.value for v in variables])
    for var, val in zip(opt.variables, ov, strict=True):
        var.assign(val)
    return {k: np.asarray(t) for k, t in zip(keys, traj, strict=True)}, opt
