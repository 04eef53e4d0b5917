"""PSGD-Kron against pytorch_optimizer.Kron on CPU torch.

Two reference-side adjustments, both about randomness/precision rather than the algorithm:
torch.randn_like (the probe V) is fed the probes optzoo draws (same key schedule, leaves in
the same order), and pytorch_optimizer's triangular solve, which casts to float32, runs in
float64. Balancing is off (balance_prob=0): it leaves the preconditioner unchanged in exact
arithmetic and optzoo omits it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo


def _loss(p):
    return sum(
        jnp.sum(jnp.cos(x) + 0.3 * x**2 + 0.2 * x * jnp.sin(2 * x)) for x in jax.tree.leaves(p)
    )


def _probes(params, steps, seed=0):
    """The V draws of optzoo.scale_by_kron: key, sub = split(key); V_i = N(fold_in(sub, i))."""
    key = jax.random.PRNGKey(seed)
    leaves = jax.tree.leaves(params)
    out = []
    for _ in range(steps):
        key, sub = jax.random.split(key)
        out.append(
            [
                np.asarray(jax.random.normal(jax.random.fold_in(sub, i), x.shape, jnp.float64))
                for i, x in enumerate(leaves)
            ]
        )
    return out


@pytest.mark.parametrize("prob", [1.0, pytest.param(0.5, marks=pytest.mark.slow)])
def test_psgd_kron_matches_pytorch_optimizer(prob, monkeypatch):
    torch = pytest.importorskip("torch")
    po = pytest.importorskip("pytorch_optimizer")
    psgd_mod = pytest.importorskip("pytorch_optimizer.optimizer.psgd")
    steps, lr = 60, 0.02
    with jax.enable_x64(True):
        ks = jax.random.split(jax.random.PRNGKey(0), 4)
        p0 = {
            "a": jax.random.normal(ks[0], (5, 3), jnp.float64),
            "b": jax.random.normal(ks[1], (4,), jnp.float64),
            "c": jax.random.normal(ks[2], (1, 6), jnp.float64),  # size-1 side: diagonal factor
            "d": jax.random.normal(ks[3], (3, 4), jnp.float64),
        }
        tx = optzoo.psgd_kron(
            lr, b1=0.8, weight_decay=0.05, preconditioner_lr=0.2, update_probability=prob
        )
        state = tx.init(p0)
        step = jax.jit(lambda p, s: tx.update(jax.grad(_loss)(p), s, p))
        p, ours = p0, []
        for _ in range(steps):
            u, state = step(p, state)
            p = optax.apply_updates(p, u)
            ours.append(jax.tree.map(np.asarray, p))
        probes = _probes(p0, steps)

    # Probes: the k-th update step of torch uses optzoo's draws of step index t (key split
    # every step, drawn only on update steps), consumed leaf by leaf.
    queue = []
    update_steps = [t for t in range(steps) if prob == 1.0 or t % 2 == 1]
    for t in update_steps:
        queue.extend(probes[t])
    queue.reverse()

    def fake_randn_like(x, dtype=None, **kw):
        v = queue.pop()
        assert v.shape == tuple(x.shape)
        return torch.tensor(v, dtype=dtype or x.dtype)

    def solve64(x, a):
        out = torch.linalg.solve_triangular(a, x.reshape(-1, x.size(-1)), upper=True, left=False)
        return out.reshape_as(x)

    monkeypatch.setattr(torch, "randn_like", fake_randn_like)
    monkeypatch.setattr(psgd_mod, "solve_triangular_right", solve64)
    names = sorted(p0)
    tp = {k: torch.tensor(np.asarray(p0[k]), requires_grad=True) for k in names}
    opt = po.Kron(
        [tp[k] for k in names],
        lr=lr,
        momentum=0.8,
        weight_decay=0.05,
        pre_conditioner_update_probability=prob,
        balance_prob=0.0,
        precondition_dtype=torch.float64,
    )
    opt.param_groups[0]["precondition_lr"] = 0.2
    err = 0.0
    for t in range(steps):
        opt.zero_grad()
        loss = sum(
            (torch.cos(x) + 0.3 * x**2 + 0.2 * x * torch.sin(2 * x)).sum() for x in tp.values()
        )
        loss.backward()
        opt.step()
        for k in names:
            ref = tp[k].detach().numpy()
            err = max(err, np.linalg.norm(ours[t][k] - ref) / np.linalg.norm(ref))
    assert not queue or prob != 1.0
    print(f"max relative error: {err:.2e}")  # visible with pytest -s
    assert err <= 1e-6, err


@pytest.mark.slow
def test_kron_preconditioner_whitens_a_quadratic():
    # With exact (noise-free) curvature the Kron fit drives P towards H^{-1} on a
    # Kronecker-structured quadratic: preconditioned gradients become ~ the Newton step.
    a = jnp.diag(jnp.array([1.0, 4.0, 16.0]))
    b = jnp.diag(jnp.array([1.0, 9.0]))

    def loss(p):
        return 0.5 * jnp.sum(p["w"] * (a @ p["w"] @ b))

    tx = optzoo.scale_by_kron(b1=0.0, preconditioner_lr=0.3, clip_rms=None)
    w = {"w": jnp.ones((3, 2))}
    state = tx.init(w)
    upd = jax.jit(tx.update)
    key = jax.random.PRNGKey(1)
    for _ in range(400):
        key, sub = jax.random.split(key)
        x = {"w": jax.random.normal(sub, (3, 2))}
        _, state = upd(jax.grad(loss)(x), state)
    g = jax.grad(loss)(w)
    u, _ = upd(g, state)
    newton = w["w"]  # H^{-1} g = w for this quadratic
    cos = jnp.sum(u["w"] * newton) / (jnp.linalg.norm(u["w"]) * jnp.linalg.norm(newton))
    assert float(cos) > 0.95
