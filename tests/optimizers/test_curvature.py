"""Sophia (vs optax.contrib.sophia and a NumPy transcription of the authors' update) and
AdaHessian (vs pytorch_optimizer.AdaHessian).

The losses are separable (a sum of scalar functions of single coordinates), so the Hessian is
diagonal and a Hutchinson probe z gives z * (H z) = diag(H) exactly, whatever the random
signs: the torch and NumPy references need no shared random numbers.
"""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from _trajectory import max_rel_error, trajectory

import optzoo


def _loss(p):
    return sum(
        jnp.sum(jnp.cos(x) + 0.3 * x**2 + 0.2 * x * jnp.sin(2 * x)) for x in jax.tree.leaves(p)
    )


def _np_grad(x):
    return -np.sin(x) + 0.6 * x + 0.2 * np.sin(2 * x) + 0.4 * x * np.cos(2 * x)


def _np_hess_diag(x):
    return -np.cos(x) + 0.6 + 0.8 * np.cos(2 * x) - 0.8 * x * np.sin(2 * x)


def _params(seed):
    k = jax.random.split(jax.random.PRNGKey(seed), 2)
    return {
        "w": jax.random.normal(k[0], (4, 3), jnp.float64),
        "b": jax.random.normal(k[1], (5,), jnp.float64),
    }


def _run(tx, p, steps, key="value_fn"):
    return trajectory(tx, p, steps, _loss, {key: _loss})[0]


_rel = max_rel_error


SOPHIA_KW = dict(
    b1=0.9, b2=0.95, eps=1e-6, weight_decay=0.01, gamma=0.05, clip_threshold=0.5, update_interval=3
)


def test_sophia_matches_optax_contrib():
    with jax.enable_x64(True):
        p0 = _params(0)
        ours = _run(optzoo.sophia(0.02, **SOPHIA_KW), p0, 100)
        ref = _run(optax.contrib.sophia(0.02, **SOPHIA_KW), p0, 100, key="obj_fn")
        assert _rel(ours, ref) <= 1e-6


def test_sophia_matches_numpy_authors_update():
    # Liu et al.'s SophiaG step: m <- b1 m + (1-b1) g; x <- x - lr (clip(m / max(gamma h, eps),
    # +-c) + wd x); every k steps (from the first, after the step's update is formed)
    # h <- b2 h + (1-b2) hhat, here hhat the exact diagonal. No bias correction.
    lr, b1, b2, eps, wd, gamma, c, k = 0.02, 0.9, 0.95, 1e-6, 0.01, 0.05, 0.5, 3
    with jax.enable_x64(True):
        p0 = _params(1)
        tx = optzoo.sophia(
            lr,
            b1=b1,
            b2=b2,
            eps=eps,
            weight_decay=wd,
            gamma=gamma,
            clip_threshold=c,
            update_interval=k,
            bias_correction=False,
        )
        ours = _run(tx, p0, 100)
    p = {n: np.asarray(v) for n, v in p0.items()}
    m = {n: np.zeros_like(v) for n, v in p.items()}
    h = {n: np.zeros_like(v) for n, v in p.items()}
    ref = []
    for t in range(100):
        for n in p:
            x = p[n]
            m[n] = b1 * m[n] + (1 - b1) * _np_grad(x)
            u = np.clip(m[n] / np.maximum(gamma * h[n], eps), -c, c)
            if t % k == 0:
                h[n] = b2 * h[n] + (1 - b2) * _np_hess_diag(x)
            p[n] = x - lr * (u + wd * x)
        ref.append({n: v.copy() for n, v in p.items()})
    assert _rel(ours, ref) <= 1e-6


def test_sophia_given_estimator_and_gnb_helper():
    # Sophia-G on a softmax regression: the GNB estimate is B * ghat^2 >= 0, and a run that
    # feeds it through hessian_diag= lowers the loss.
    x = jax.random.normal(jax.random.PRNGKey(0), (32, 5))
    y = jnp.argmax(x @ jax.random.normal(jax.random.PRNGKey(1), (5, 3)), axis=-1)
    p = {"w": jnp.zeros((5, 3)), "b": jnp.zeros(3)}

    def logits_fn(p):
        return x @ p["w"] + p["b"]

    def loss(p):
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits_fn(p), y))

    tx = optzoo.sophia(0.05, estimator="given", update_interval=2, gamma=0.05)
    state = tx.init(p)
    l0 = float(loss(p))

    @jax.jit
    def step(p, state, key):
        h = optzoo.gauss_newton_bartlett_diag(logits_fn, p, key)
        u, state = tx.update(jax.grad(loss)(p), state, p, hessian_diag=h)
        return optax.apply_updates(p, u), state, h

    for i in range(50):
        p, state, h = step(p, state, jax.random.PRNGKey(i))
        assert all(np.all(np.asarray(v) >= 0) for v in jax.tree.leaves(h))
    assert float(loss(p)) < 0.7 * l0


def test_adahessian_matches_pytorch_optimizer():
    torch = pytest.importorskip("torch")
    po = pytest.importorskip("pytorch_optimizer")
    kw = dict(b1=0.8, b2=0.95, eps=1e-6, weight_decay=0.01, hessian_power=0.5, update_interval=2)
    with jax.enable_x64(True):
        p0 = _params(2)
        ours = _run(optzoo.adahessian(0.05, **kw), p0, 50)
    tp = {k: torch.tensor(np.asarray(v), requires_grad=True) for k, v in p0.items()}
    opt = po.AdaHessian(
        list(tp.values()),
        lr=0.05,
        betas=(0.8, 0.95),
        eps=1e-6,
        weight_decay=0.01,
        hessian_power=0.5,
        update_period=2,
        foreach=False,
    )
    ref = []
    for _ in range(50):
        opt.zero_grad()
        loss = sum(
            (torch.cos(x) + 0.3 * x**2 + 0.2 * x * torch.sin(2 * x)).sum() for x in tp.values()
        )
        loss.backward(create_graph=True)
        opt.step()
        ref.append({k: v.detach().numpy().copy() for k, v in tp.items()})
    assert _rel(ours, ref) <= 1e-6


@pytest.mark.slow
def test_hutchinson_is_unbiased_on_a_coupled_quadratic():
    a = jax.random.normal(jax.random.PRNGKey(3), (6, 6))
    hess = a @ a.T

    def f(p):
        return 0.5 * p["x"] @ hess @ p["x"]

    p = {"x": jnp.ones(6)}
    keys = jax.random.split(jax.random.PRNGKey(0), 400)
    est = jnp.mean(jax.vmap(lambda k: optzoo.hutchinson_diag(f, p, k)["x"])(keys), axis=0)
    off = np.sqrt(np.sum(np.asarray(hess) ** 2, axis=1) - np.diag(hess) ** 2)
    assert np.all(np.abs(np.asarray(est) - np.diag(hess)) < 4 * off / np.sqrt(400) + 1e-4)


def test_curvature_needs_value_fn():
    for tx in (optzoo.sophia(1e-3), optzoo.adahessian(0.1)):
        p = {"x": jnp.ones(3)}
        with pytest.raises(ValueError, match="value_fn"):
            tx.update(p, tx.init(p), p)


# --------------------------------------------------------------------------- Apollo (ApolloDQN)

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import (  # noqa: E402
    check_matches_pytorch_optimizer,
    make_problem,
    max_rel_err,
)
from _helpers import trajectory as _trajectory  # noqa: E402

# name -> (optzoo factory, kwargs, pytorch_optimizer class name, kwargs, problem kwargs).
# A warm-up of 20 of the 60 steps, each weight-decay mode, both rebounds.
TORCH_CASES = {
    "apollodqn_l2": (
        optzoo.apollodqn,
        dict(learning_rate=1e-2, weight_decay=1e-2, warmup_steps=20),
        "ApolloDQN",
        dict(lr=1e-2, weight_decay=1e-2, warmup_steps=20),
        {},
    ),
    "apollodqn_decoupled": (
        optzoo.apollodqn,
        dict(
            learning_rate=2e-2,
            beta=0.8,
            eps=1e-3,
            weight_decay=0.1,
            weight_decay_type="decoupled",
            init_lr=1e-3,
            warmup_steps=20,
        ),
        "ApolloDQN",
        dict(
            lr=2e-2,
            beta=0.8,
            eps=1e-3,
            weight_decay=0.1,
            weight_decay_type="decoupled",
            init_lr=1e-3,
            warmup_steps=20,
        ),
        {},
    ),
    "apollodqn_belief_stable": (
        optzoo.apollodqn,
        dict(
            learning_rate=1e-2,
            weight_decay=0.1,
            rebound="belief",
            weight_decay_type="stable",
            warmup_steps=20,
        ),
        "ApolloDQN",
        dict(
            lr=1e-2,
            weight_decay=0.1,
            rebound="belief",
            weight_decay_type="stable",
            warmup_steps=20,
        ),
        {},
    ),
    "apollodqn_belief_l2_no_warmup": (
        optzoo.apollodqn,
        dict(learning_rate=5e-3, weight_decay=1e-2, rebound="belief", warmup_steps=0),
        "ApolloDQN",
        dict(lr=5e-3, weight_decay=1e-2, rebound="belief", warmup_steps=0),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_apollodqn_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, TORCH_CASES)


def _apollo_paper(p0, grad, steps, lr, beta, eps, sigma, wd, wd_type, rebound, init_lr, warmup):
    """NumPy transcription of Ma, Apollo: An Adaptive Parameter-wise Diagonal Quasi-Newton
    Method for Nonconvex Stochastic Optimization, 2020, https://arxiv.org/abs/2009.13586,
    Algorithm 1, per leaf: m_{t+1} = beta (1 - beta^t) / (1 - beta^{t+1}) m_t
    + (1 - beta) / (1 - beta^{t+1}) g_{t+1}; a = (d^T (m_{t+1} - m_t) + d^T B d) / (||d||_4
    + eps)^4; B -= a d^2; D = rectify(B); d = D^{-1} m; x -= lr_t d. The author's code's
    additions: eps / sigma inside the 4-norm for the constant rebound, the belief rebound
    (D = max(|B|, |g - m|_inf) + eps / alpha), weight decay (l2 on g; decoupled / stable added
    to d) and the linear warm-up whose k-th step (from 0) uses init + (lr - init) k / W."""
    p = {k: np.array(v) for k, v in p0.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    b = {k: np.zeros_like(v) for k, v in p.items()}
    d = {k: np.zeros_like(v) for k, v in p.items()}
    out = [{k: v.copy() for k, v in p.items()}]
    for t in range(steps):
        lr_t = init_lr + (lr - init_lr) * min(t, warmup) / warmup if warmup else lr
        g = {k: np.asarray(v) for k, v in grad({k: jnp.asarray(v) for k, v in p.items()}).items()}
        for k in p:
            gk = g[k] + wd * p[k] if wd_type == "l2" else g[k]
            m_new = (
                beta * (1 - beta**t) / (1 - beta ** (t + 1)) * m[k]
                + (1 - beta) / (1 - beta ** (t + 1)) * gk
            )
            e = eps / sigma if rebound == "constant" else eps
            n4 = np.sum(d[k] ** 4) ** 0.25 + e
            a = (np.sum(d[k] * (m_new - m[k])) + np.sum(d[k] * b[k] * d[k])) / n4**4
            b[k] = b[k] - a * d[k] ** 2
            if rebound == "constant":
                dd = np.maximum(np.abs(b[k]), sigma)
            else:
                alpha = (1 - beta) / (1 - beta ** (t + 1))
                dd = np.maximum(np.abs(b[k]), np.max(np.abs(gk - m[k]))) + eps / alpha
            d[k] = m_new / dd
            if wd_type == "decoupled":
                d[k] = d[k] + wd * p[k]
            elif wd_type == "stable":
                d[k] = d[k] + wd / np.mean(dd) * p[k]
            m[k] = m_new
            p[k] = p[k] - lr_t * d[k]
        out.append({k: v.copy() for k, v in p.items()})
    return out


@pytest.mark.parametrize(
    "kw",
    [
        dict(rebound="constant", sigma=1.0, weight_decay_type="l2"),
        dict(rebound="constant", sigma=0.01, weight_decay_type="decoupled"),
        dict(rebound="belief", sigma=1.0, weight_decay_type="stable"),
    ],
    ids=["authors_sigma1_l2", "sigma001_decoupled", "belief_stable"],
)
def test_apollodqn_matches_numpy_paper_transcription(kw):
    # warmup_offset=0 is the authors' warm-up (pytorch_optimizer's starts one step later).
    lr, beta, eps, wd, init_lr, warmup = 0.02, 0.9, 1e-4, 0.05, 1e-3, 15
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jnp.float64)
        tx = optzoo.apollodqn(
            lr,
            beta,
            eps,
            wd,
            init_lr=init_lr,
            warmup_steps=warmup,
            warmup_offset=0,
            **kw,
        )
        ours, _ = _trajectory(tx, params, loss, 60)
        ref = _apollo_paper(
            params,
            jax.jit(jax.grad(loss)),
            60,
            lr,
            beta,
            eps,
            kw["sigma"],
            wd,
            kw["weight_decay_type"],
            kw["rebound"],
            init_lr,
            warmup,
        )
    err = max(max_rel_err(a, b) for a, b in zip(ours, ref, strict=True))
    assert err <= 1e-6, err
    assert max_rel_err(ours[-1], ours[0]) > 1e-3


def test_apollodqn_rejects_bad_options_by_name():
    with pytest.raises(ValueError, match="rebound"):
        optzoo.apollodqn(1e-2, rebound="sometimes")
    with pytest.raises(ValueError, match="weight_decay_type"):
        optzoo.apollodqn(1e-2, weight_decay_type="l1")
    with pytest.raises(ValueError, match="warmup_offset"):
        optzoo.apollodqn(1e-2, warmup_offset=2)
    with pytest.raises(ValueError, match="sigma"):
        optzoo.apollodqn(1e-2, sigma=0.0)
