"""Shampoo: against pytorch_optimizer.Shampoo and a NumPy transcription of Anil et al."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _trajectory import max_rel_error, trajectory

import optzoo


def _loss(p):
    return sum(
        jnp.sum(jnp.cos(x) + 0.3 * x**2 + 0.2 * x * jnp.sin(2 * x)) for x in jax.tree.leaves(p)
    )


def _np_grad(p):
    return {k: np.asarray(v) for k, v in jax.grad(_loss)(p).items()}


def _run(tx, params, steps):
    return trajectory(tx, params, steps, _loss)[0]


_rel = max_rel_error


def _params(seed, shapes):
    ks = jax.random.split(jax.random.PRNGKey(seed), len(shapes))
    return {
        n: jax.random.normal(k, s, jnp.float64)
        for k, (n, s) in zip(ks, shapes.items(), strict=True)
    }


@pytest.mark.slow
def test_shampoo_matches_pytorch_optimizer_original_shampoo():
    # Gupta et al.'s Shampoo: summed statistics, eps*I start, inverse 4th roots each step,
    # no grafting or momentum. pytorch_optimizer gives 1-D and rank > 2 leaves full-matrix
    # statistics per axis, optzoo does not (grafting fallback / flattening), so the tree
    # holds matrices only.
    torch = pytest.importorskip("torch")
    po = pytest.importorskip("pytorch_optimizer")
    with jax.enable_x64(True):
        p0 = _params(0, {"a": (5, 3), "b": (4, 6)})
        tx = optzoo.shampoo(
            0.05, beta1=0.0, beta2=1.0, matrix_eps=1e-3, precondition_frequency=1, graft="none"
        )
        ours = _run(tx, p0, 60)
    tp = {k: torch.tensor(np.asarray(v), requires_grad=True) for k, v in p0.items()}
    opt = po.Shampoo(list(tp.values()), lr=0.05, matrix_eps=1e-3)
    ref = []
    for _ in range(60):
        opt.zero_grad()
        loss = sum(
            (torch.cos(x) + 0.3 * x**2 + 0.2 * x * torch.sin(2 * x)).sum() for x in tp.values()
        )
        loss.backward()
        opt.step()
        ref.append({k: v.detach().numpy().copy() for k, v in tp.items()})
    assert _rel(ours, ref) <= 1e-6


def _np_inv_root(a, p, eps):
    w, v = np.linalg.eigh(a + eps * np.eye(a.shape[0]))
    return (v * np.maximum(w, 1e-30) ** (-1.0 / p)) @ v.T


def _np_shampoo(p, steps, lr, b1, b2, eps, freq, start, block, gb2, geps, wd):
    """Anil et al. (2020) Shampoo: EMA statistics, blocks of ``block``, Adam (RMSProp)
    grafting per block, inverse roots every ``freq`` steps, heavy-ball momentum, decoupled
    weight decay; rank-1 leaves follow the grafting direction."""
    p = {k: np.array(v) for k, v in p.items()}
    nu = {k: np.zeros_like(v) for k, v in p.items()}
    mom = {k: np.zeros_like(v) for k, v in p.items()}
    stats, invs = {}, {}
    traj = []
    for t in range(1, steps + 1):
        g = _np_grad(p)
        for k in p:
            nu[k] = gb2 * nu[k] + (1 - gb2) * g[k] ** 2
            d = g[k] / (np.sqrt(nu[k] / (1 - gb2**t)) + geps)
            if g[k].ndim < 2:
                u = d
            else:
                gm = g[k].reshape(-1, g[k].shape[-1])
                dm = d.reshape(gm.shape)
                u = np.zeros_like(gm)
                for r0 in range(0, gm.shape[0], block):
                    for c0 in range(0, gm.shape[1], block):
                        sl = (slice(r0, r0 + block), slice(c0, c0 + block))
                        gt, dt = gm[sl], dm[sl]
                        key = (k, r0, c0)
                        if key not in stats:
                            stats[key] = [
                                np.zeros((gt.shape[0],) * 2),
                                np.zeros((gt.shape[1],) * 2),
                            ]
                        L, R = stats[key]
                        L[...] = b2 * L + (1 - b2) * gt @ gt.T
                        R[...] = b2 * R + (1 - b2) * gt.T @ gt
                        if (t - 1) % freq == 0:
                            invs[key] = (_np_inv_root(L, 4, eps), _np_inv_root(R, 4, eps))
                        pg = invs[key][0] @ gt @ invs[key][1]
                        pg = pg * np.linalg.norm(dt) / np.linalg.norm(pg)
                        u[sl] = pg if t >= start else dt
                u = u.reshape(g[k].shape)
            mom[k] = b1 * mom[k] + u
            p[k] = p[k] - lr * (mom[k] + wd * p[k])
        traj.append({k: x.copy() for k, x in p.items()})
    return traj


@pytest.mark.parametrize("root_method", ["eigh", pytest.param("newton", marks=pytest.mark.slow)])
def test_shampoo_matches_numpy_anil(root_method):
    with jax.enable_x64(True):
        p0 = _params(1, {"w": (7, 5), "conv": (2, 2, 3, 4), "b": (5,)})
        kw = dict(
            lr=0.02,
            b1=0.8,
            b2=0.95,
            eps=1e-4,
            freq=3,
            start=3,
            block=3,
            gb2=0.9,
            geps=1e-7,
            wd=0.01,
        )
        tx = optzoo.shampoo(
            kw["lr"],
            beta1=kw["b1"],
            beta2=kw["b2"],
            block_size=3,
            matrix_eps=kw["eps"],
            precondition_frequency=3,
            start_preconditioning_step=3,
            graft="adam",
            graft_beta2=kw["gb2"],
            graft_eps=kw["geps"],
            weight_decay=kw["wd"],
            root_method=root_method,
        )
        ours = _run(tx, p0, 60)
        ref = _np_shampoo(p0, 60, **kw)
        tol = 1e-6 if root_method == "eigh" else 1e-4
        assert _rel(ours, ref) <= tol


@pytest.mark.slow
def test_newton_inverse_root_matches_eigh():
    a = jax.random.normal(jax.random.PRNGKey(0), (12, 12))
    a = a @ a.T
    for p in (2, 4):
        r_e = optzoo.inverse_pth_root(a, p, 1e-2)
        r_n = optzoo.inverse_pth_root(a, p, 1e-2, method="newton")
        np.testing.assert_allclose(r_n, r_e, rtol=2e-3, atol=2e-3 * float(jnp.max(r_e)))
        # (A + rI)^{-1/p} raised to the p-th power inverts A + rI.
        prod = np.linalg.matrix_power(np.asarray(r_e, np.float64), p) @ (
            np.asarray(a, np.float64) + 1e-2 * np.eye(12)
        )
        np.testing.assert_allclose(prod, np.eye(12), atol=1e-3)


def test_blocks_round_trip_and_batching():
    from optzoo.transforms.matrix import utils as mu

    x = jnp.arange(2 * 7 * 5, dtype=jnp.float32).reshape(2, 7, 5)
    tiles = mu.split_blocks(x, 3)
    assert [t.shape for t in tiles] == [(4, 3, 3), (4, 3, 2), (2, 1, 3), (2, 1, 2)]
    np.testing.assert_array_equal(mu.merge_blocks(tiles, x.shape, 3), x)


def test_bf16_params_state_dtype_stable():
    tx = optzoo.shampoo(1e-3, block_size=4)
    p = {"w": jnp.ones((6, 5), jnp.bfloat16), "b": jnp.ones(5, jnp.bfloat16)}
    s0 = tx.init(p)
    g = jax.tree.map(lambda x: (x * 0.1).astype(x.dtype), p)
    u, s1 = jax.jit(tx.update)(g, s0, p)
    assert u["w"].dtype == jnp.bfloat16
    assert jax.tree.map(lambda a: a.dtype, s0) == jax.tree.map(lambda a: a.dtype, s1)
    assert np.all(np.isfinite(np.asarray(u["w"], np.float32)))
