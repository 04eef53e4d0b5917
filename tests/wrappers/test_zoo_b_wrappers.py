"""Wrappers: cautious, cautious weight decay, SAM/ASAM, lookahead, GC, OrthoGrad, averaging."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from _trajectory import max_rel_error, trajectory

import optzoo


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


# ---------------------------------------------------------------- SAM / ASAM


@pytest.mark.parametrize("adaptive", [False, True])
def test_sam_matches_pytorch_optimizer(adaptive):
    torch = pytest.importorskip("torch")
    po = pytest.importorskip("pytorch_optimizer")
    lr, rho = 0.02, 0.1
    with jax.enable_x64(True):
        p0 = _params(2)
        inner = optax.sgd(lr, momentum=0.9)
        tx = optzoo.sam_wrapper(inner, rho, adaptive=adaptive, eta=0.0, eps=1e-12)
        ours, _ = _run(tx, p0, 60, extra=True)
    tp = {
        k: torch.tensor(np.asarray(v), dtype=torch.float64, requires_grad=True)
        for k, v in p0.items()
    }
    opt = po.SAM(
        list(tp.values()),
        base_optimizer=torch.optim.SGD,
        rho=rho,
        adaptive=adaptive,
        lr=lr,
        momentum=0.9,
        foreach=False,
    )

    def closure():
        opt.zero_grad()
        loss = _torch_loss(torch, tp)
        loss.backward()
        return loss

    ref = []
    for _ in range(60):
        closure()
        opt.step(closure)
        ref.append({k: v.detach().numpy().copy() for k, v in tp.items()})
    assert _rel(ours, ref) <= 1e-6


def test_sam_requires_value_fn():
    tx = optzoo.sam(0.1)
    p = {"w": jnp.ones(3)}
    with pytest.raises(ValueError, match="value_fn"):
        tx.update(p, tx.init(p), p)


# ---------------------------------------------------------------- lookahead


def test_lookahead_matches_optax_lookahead():
    with jax.enable_x64(True):
        p0 = _params(3)
        fast = optax.adam(0.05, b1=0.8)
        ours, _ = _run(optzoo.with_lookahead(fast, sync_period=4, slow_step_size=0.3), p0, 100)
        ref_tx = optax.lookahead(fast, sync_period=4, slow_step_size=0.3)
        lp = optax.LookaheadParams.init_synced(p0)
        state = ref_tx.init(lp)
        ref = []
        step = jax.jit(lambda lp, s: ref_tx.update(jax.grad(_loss)(lp.fast), s, lp))
        for _ in range(100):
            u, state = step(lp, state)
            lp = optax.apply_updates(lp, u)
            ref.append(jax.tree.map(np.asarray, lp.fast))
        assert _rel(ours, ref) <= 1e-6


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


# ---------------------------------------------------------------- averaging


@pytest.mark.parametrize("decay", [None, 0.9])
def test_parameter_averaging(decay):
    tx = optax.chain(optax.sgd(0.1), optzoo.parameter_averaging(decay))
    p = jnp.array([1.0, -2.0])
    state = tx.init(p)
    iterates = []
    for i in range(5):
        g = jnp.array([float(i), 1.0])
        u, state = tx.update(g, state, p)
        p = optax.apply_updates(p, u)
        iterates.append(np.asarray(p))
    avg = np.asarray(optzoo.averaged_params(state))
    if decay is None:
        expected = np.mean(iterates, axis=0)
    else:
        expected = np.array([1.0, -2.0])
        for x in iterates:
            expected = decay * expected + (1 - decay) * x
    np.testing.assert_allclose(avg, expected, rtol=1e-6)
