"""Gradient filters: gradient centralization (AdamW-GC) and OrthoGrad."""

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

# ---------------------------------------------------------------- GC and OrthoGrad


def test_adamw_gc_equals_adamw_on_numpy_centralized_gradients():
    with jax.enable_x64(True):
        p = {
            "w": jax.random.normal(jax.random.PRNGKey(4), (3, 2, 4, 5), jnp.float64),
            "b": jnp.linspace(-1, 1, 5, dtype=jnp.float64),
        }
        ours, _ = _run(optzoo.adamw_gc(0.01, b1=0.8, weight_decay=0.1), p, 100)
        ref_tx = optax.adamw(0.01, b1=0.8, weight_decay=0.1)
        state = ref_tx.init(p)
        ref = []
        ref_update = jax.jit(ref_tx.update)
        for _ in range(100):
            g = _np_grad(p)
            w = g["w"]
            # Yong et al.: subtract the mean over every axis but the output one (JAX: last).
            g["w"] = w - w.reshape(-1, w.shape[-1]).mean(axis=0)
            u, state = ref_update(g, state, p)
            p = optax.apply_updates(p, u)
            ref.append(jax.tree.map(np.asarray, p))
        assert _rel(ours, ref) <= 1e-6


def test_orthograd_adamw_matches_pytorch_optimizer():
    torch = pytest.importorskip("torch")
    po = pytest.importorskip("pytorch_optimizer")
    with jax.enable_x64(True):
        p0 = _params(5)
        ours, _ = _run(optzoo.orthograd_adamw(0.01, b1=0.8, b2=0.99, weight_decay=0.05), p0, 60)
    tp = {
        k: torch.tensor(np.asarray(v), dtype=torch.float64, requires_grad=True)
        for k, v in p0.items()
    }
    inner = torch.optim.AdamW(list(tp.values()), lr=0.01, betas=(0.8, 0.99), weight_decay=0.05)
    opt = po.OrthoGrad(inner, foreach=False)
    ref = []
    for _ in range(60):
        opt.zero_grad()
        loss = _torch_loss(torch, tp)
        loss.backward()
        opt.step()
        ref.append({k: v.detach().numpy().copy() for k, v in tp.items()})
    assert _rel(ours, ref) <= 1e-6


def test_orthogonalize_gradients_is_orthogonal_and_norm_preserving():
    w = {"w": jnp.array([[1.0, 2.0], [3.0, -1.0]])}
    g = {"w": jnp.array([[0.5, -1.0], [2.0, 0.3]])}
    u, _ = optzoo.orthogonalize_gradients().update(g, None, w)
    assert abs(float(jnp.sum(u["w"] * w["w"]))) < 1e-5
    np.testing.assert_allclose(jnp.linalg.norm(u["w"]), jnp.linalg.norm(g["w"]), rtol=1e-6)
