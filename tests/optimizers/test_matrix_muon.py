"""Muon: against optax.contrib.muon and a NumPy transcription of Keller Jordan's Muon."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo

NS = (3.4445, -4.7750, 2.0315)


def _tree(seed=0, with_conv=False):
    k = jax.random.split(jax.random.PRNGKey(seed), 8)
    t = {
        "w1": jax.random.normal(k[0], (6, 4)),
        "w2": jax.random.normal(k[1], (6, 4)),  # same shape: batched with w1
        "tall": jax.random.normal(k[2], (9, 3)),
        "wide": jax.random.normal(k[3], (3, 7)),
        "b": jax.random.normal(k[4], (4,)),
        "s": jnp.asarray(0.5),
    }
    if with_conv:
        t["conv"] = jax.random.normal(k[5], (3, 3, 2, 5))
    return t


def _loss(p):
    # A smooth non-quadratic loss so the trajectory depends on the parameters.
    return sum(
        jnp.sum(jnp.cos(x) + 0.3 * x**2 + 0.1 * x**3 * jnp.tanh(x)) for x in jax.tree.leaves(p)
    )


def _trajectory(tx, params, steps):
    state = tx.init(params)

    @jax.jit
    def step(params, state):
        g = jax.grad(_loss)(params)
        u, state = tx.update(g, state, params)
        return optax.apply_updates(params, u), state

    out = []
    for _ in range(steps):
        params, state = step(params, state)
        out.append(params)
    return out


def _max_rel_err(a_traj, b_traj):
    err = 0.0
    for a, b in zip(a_traj, b_traj, strict=True):
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
            x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
            err = max(err, np.linalg.norm(x - y) / max(np.linalg.norm(y), 1e-12))
    print(f"max relative error: {err:.2e}")  # visible with pytest -s
    return err


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param(dict(learning_rate=0.01), marks=pytest.mark.slow),
        dict(
            learning_rate=0.02,
            beta=0.9,
            weight_decay=0.05,
            adam_b1=0.8,
            adam_b2=0.99,
            adam_weight_decay=0.01,
            adam_learning_rate=0.003,
            nesterov=False,
        ),
        pytest.param(
            dict(learning_rate=0.01, ns_steps=3, consistent_rms=0.2), marks=pytest.mark.slow
        ),
    ],
)
def test_muon_matches_optax_contrib(kwargs):
    # float64, so that the comparison measures the algorithm, not fp32 round-off
    # (in float32 the two drift apart by ~1e-5 over 100 steps through Newton-Schulz).
    with jax.enable_x64(True):
        params = jax.tree.map(lambda x: x.astype(jnp.float64), _tree())
        ours = _trajectory(optzoo.muon(**kwargs), params, 100)
        ref = _trajectory(optax.contrib.muon(**kwargs), params, 100)
        assert _max_rel_err(ours, ref) <= 1e-6


@pytest.mark.slow
def test_muon_higher_rank_adam_matches_optax_contrib():
    with jax.enable_x64(True):
        params = jax.tree.map(lambda x: x.astype(jnp.float64), _tree(1, with_conv=True))
        ours = _trajectory(optzoo.muon(0.01, beta=0.9, higher_rank="adam"), params, 100)
        ref = _trajectory(optax.contrib.muon(0.01, beta=0.9), params, 100)
        assert _max_rel_err(ours, ref) <= 1e-6


def _np_newton_schulz(g, steps=5, eps=1e-7):
    # Transcription of Keller Jordan's zeropower_via_newtonschulz5 (fp64 here).
    a, b, c = NS
    x = g.astype(np.float64)
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T
    x = x / (np.linalg.norm(x) + eps)
    for _ in range(steps):
        m = x @ x.T
        x = a * x + (b * m + c * m @ m) @ x
    return x.T if tall else x


def _np_muon_jordan(params, steps, lr, beta, wd):
    """Keller Jordan's Muon (PyTorch layout (out, in) transposed to JAX's (in, out)).

    buf <- lerp(buf, g, 1 - beta); u <- lerp(g, buf, beta); u <- NS(u.reshape(m, -1));
    p <- p (1 - lr wd) - lr sqrt(max(1, out/in)) u. Non-matrix leaves are not in this
    reference (the test tree has only matrices and a conv kernel).
    """
    p = {k: np.asarray(v, np.float64) for k, v in params.items()}
    buf = {k: np.zeros_like(v) for k, v in p.items()}
    traj = []
    for _ in range(steps):
        g = {k: np.asarray(v, np.float64) for k, v in jax.grad(_loss)(p).items()}
        for k in p:
            buf[k] = buf[k] + (1 - beta) * (g[k] - buf[k])
            u = g[k] + beta * (buf[k] - g[k])
            mat = u.reshape(-1, u.shape[-1])  # every axis but the last is fan-in
            o = _np_newton_schulz(mat, eps=1e-8).reshape(u.shape)
            fan_in, fan_out = mat.shape
            scale = max(1.0, fan_out / fan_in) ** 0.5
            p[k] = p[k] * (1 - lr * wd) - lr * scale * o
        traj.append(dict(p))
    return traj


def test_muon_matches_numpy_jordan_transcription():
    with jax.enable_x64(True):
        k = jax.random.split(jax.random.PRNGKey(3), 3)
        params = {
            "a": jax.random.normal(k[0], (5, 8), jnp.float64),
            "b": jax.random.normal(k[1], (5, 8), jnp.float64),
            "conv": jax.random.normal(k[2], (3, 3, 2, 4), jnp.float64),
        }
        tx = optzoo.muon(0.02, beta=0.9, weight_decay=0.1, bias_correction=False)
        ours = _trajectory(tx, params, 50)
        ref = _np_muon_jordan(params, 50, 0.02, 0.9, 0.1)
        assert _max_rel_err(ours, ref) <= 1e-6


def test_newton_schulz_matches_numpy_and_batches():
    x = jax.random.normal(jax.random.PRNGKey(0), (3, 7, 4))
    out = optzoo.newton_schulz(x)
    for i in range(3):
        ref = _np_newton_schulz(np.asarray(x[i]), eps=1e-8)
        np.testing.assert_allclose(out[i], ref, rtol=1e-4, atol=1e-5)
    # Singular values land in Jordan's (0.5, 1.5) band.
    s = np.linalg.svd(np.asarray(out[0]), compute_uv=False)
    assert np.all((s > 0.5) & (s < 1.5))


def _count_dots(tx, params):
    g = jax.tree.map(jnp.ones_like, params)
    state = tx.init(params)
    jaxpr = jax.make_jaxpr(lambda g, s: tx.update(g, s, params))(g, state)
    return str(jaxpr).count("dot_general")


def test_same_shaped_leaves_are_batched():
    one = {"w0": jnp.ones((8, 4))}
    many = {f"w{i}": jnp.ones((8, 4)) for i in range(20)}
    tx = optzoo.scale_by_muon(ns_coeffs=(NS, NS, NS))
    assert _count_dots(tx, many) == _count_dots(tx, one)


def test_bf16_and_batch_rule():
    params = {"w": jnp.ones((2, 6, 4), jnp.bfloat16), "b": jnp.zeros(4, jnp.bfloat16)}
    tx = optzoo.muon(0.02, higher_rank="batch")
    g = {
        "w": jax.random.normal(jax.random.PRNGKey(1), (2, 6, 4)).astype(jnp.bfloat16),
        "b": jnp.ones(4, jnp.bfloat16),
    }
    u, _ = tx.update(g, tx.init(params), params)
    assert u["w"].dtype == jnp.bfloat16 and u["b"].dtype == jnp.bfloat16
    # "batch": each (6, 4) slice is orthogonalised on its own.
    ref = optzoo.newton_schulz(g["w"].astype(jnp.float32))
    scale = 1.0  # sqrt(max(1, 4/6))
    np.testing.assert_allclose(
        np.asarray(u["w"], np.float32), -0.02 * scale * np.asarray(ref), rtol=2e-2, atol=2e-3
    )


def test_scale_by_muon_rejects_vectors():
    tx = optzoo.scale_by_muon()
    with pytest.raises(ValueError, match="rank >= 2"):
        tx.update({"b": jnp.ones(3)}, tx.init({"b": jnp.ones(3)}))
