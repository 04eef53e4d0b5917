"""Cautious wrappers: C-AdamW (NumPy), C-Lion (pytorch_optimizer), cautious weight decay."""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo

# The shared problem sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _wrappers_problem import _np_grad, _params, _rel, _run, _torch_loss  # noqa: E402

# ---------------------------------------------------------------- cautious (C-AdamW)


def _np_cautious_adamw(p, steps, lr, b1, b2, eps, wd, cwd=False):
    """Liang et al. Algorithm (C-AdamW), mask scale d / (nnz + 1) as in the authors' code;
    with ``cwd`` the decay is applied where sign(u) == sign(x) (Chen et al. 2025)."""
    p = {k: np.array(v) for k, v in p.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    traj = []
    for t in range(1, steps + 1):
        g = _np_grad(p)
        for k in p:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
            u = (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + eps)
            phi = (u * g[k] > 0).astype(np.float64)
            u = u * phi * (phi.size / (phi.sum() + 1))
            decay = wd * p[k] * ((np.sign(u) == np.sign(p[k])) if cwd else 1.0)
            p[k] = p[k] - lr * (u + decay)
        traj.append({k: x.copy() for k, x in p.items()})
    return traj


@pytest.mark.parametrize("cwd", [False, True])
def test_cautious_adamw_matches_numpy(cwd):
    with jax.enable_x64(True):
        p0 = _params()
        tx = optzoo.cautious_adamw(
            0.03, b1=0.8, b2=0.95, eps=1e-6, weight_decay=0.1, cautious_weight_decay=cwd
        )
        ours, _ = _run(tx, p0, 100)
        ref = _np_cautious_adamw(p0, 100, 0.03, 0.8, 0.95, 1e-6, 0.1, cwd)
        assert _rel(ours, ref) <= 1e-6


def test_cautious_lion_matches_pytorch_optimizer():
    torch = pytest.importorskip("torch")
    po = pytest.importorskip("pytorch_optimizer")
    with jax.enable_x64(True):
        p0 = _params(1)
        ours, _ = _run(optzoo.cautious_lion(0.01, b1=0.8, b2=0.95, weight_decay=0.2), p0, 60)
    tp = {
        k: torch.tensor(np.asarray(v), dtype=torch.float64, requires_grad=True)
        for k, v in p0.items()
    }
    opt = po.Lion(
        list(tp.values()),
        lr=0.01,
        betas=(0.8, 0.95),
        weight_decay=0.2,
        cautious=True,
        foreach=False,
    )
    ref = []
    for _ in range(60):
        opt.zero_grad()
        loss = _torch_loss(torch, tp)
        loss.backward()
        opt.step()
        ref.append({k: v.detach().numpy().copy() for k, v in tp.items()})
    assert _rel(ours, ref) <= 1e-6


def test_cautious_wrapper_on_full_optimizer_masks_against_gradient():
    # Wrapping a whole optimizer (updates added to params): the kept components move
    # against the gradient; the others are zero.
    tx = optzoo.cautious(optax.sgd(0.1, momentum=0.9))
    p = {"w": jnp.ones(4)}
    s = tx.init(p)
    g1 = {"w": jnp.array([1.0, 1.0, 1.0, 1.0])}
    _, s = tx.update(g1, s, p)
    g2 = {"w": jnp.array([1.0, -5.0, 1.0, -5.0])}
    u, _ = tx.update(g2, s, p)
    # momentum direction: 0.9 * 1 + g2 -> [1.9, -4.1, 1.9, -4.1], all aligned with g2.
    assert np.all(np.asarray(u["w"]) * np.asarray(g2["w"]) < 0)
    g3 = {"w": jnp.array([1.0, 0.1, 1.0, 0.1])}
    s2 = tx.init(p)
    _, s2 = tx.update(g1, s2, p)
    _, s2 = tx.update({"w": jnp.array([1.0, -1.0, 1.0, -1.0])}, s2, p)
    u3, _ = tx.update(g3, s2, p)
    assert np.all(np.asarray(u3["w"]) * np.asarray(g3["w"]) <= 0)
