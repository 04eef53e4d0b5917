"""The noisy quadratic model (Zhang et al. 2019): the ``nqm`` data set and ``quadratic`` model.

Checked against the paper's closed forms: the data's covariance is ``H^-1``, the
per-example gradient noise covariance is ``H`` (so ``H / B`` per batch), and SGD's
expected loss follows ``E[theta_i^2]_{t+1} = (1 - a h_i)^2 E[theta_i^2]_t + a^2 h_i / B``.
"""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import optax

from optzoo.data import load_dataset
from optzoo.data.synthetic import nqm_curvature
from optzoo.models import Quadratic, build_model
from optzoo.models.quadratic import curvature, quadratic_loss
from optzoo.train import train_and_evaluate
from optzoo.train.steps import loss_sums


def test_data_covariance_is_inverse_curvature():
    ds = load_dataset("nqm", dim=10, n_train=20000, seed=1)
    assert ds.x_train.shape == (20000, 10) and ds.x_train.dtype == np.float32
    assert ds.task == "regression" and ds.num_outputs == 10
    assert not ds.x_test.any() and ds.y_train.shape == ds.x_train.shape
    cov = np.cov(ds.x_train, rowvar=False)
    h = nqm_curvature(10)
    np.testing.assert_allclose(h, np.asarray(curvature(10)))
    # Var of a sample variance: 2 s^4 / (n - 1); of a covariance: s_i^2 s_j^2 / n. 5 sigma.
    scale = np.sqrt(np.outer(1 / h, 1 / h))
    tol = 5 * scale * np.sqrt(2 / 20000)
    assert np.all(np.abs(cov - np.diag(1 / h)) < tol)


def test_engine_loss_is_the_quadratic_and_eval_is_noiseless():
    ds = load_dataset("nqm", dim=6, n_train=64)
    model = build_model("quadratic", ds.num_outputs, theta_init=0.5)
    params = model.init(jax.random.key(0), ds.x_train[:1])
    theta = params["params"]["theta"]
    np.testing.assert_allclose(theta, 0.5)
    out = model.apply(params, ds.x_train)
    s, _, n = loss_sums("regression", out, ds.split("train"))
    np.testing.assert_allclose(s / n, quadratic_loss(theta, ds.x_train).mean(), rtol=1e-5)
    s, _, n = loss_sums("regression", model.apply(params, ds.x_test), ds.split("test"))
    np.testing.assert_allclose(s / n, 0.5 * np.sum(nqm_curvature(6) * 0.25), rtol=1e-5)


def test_gradient_noise_covariance_is_curvature():
    dim, n = 8, 40000
    ds = load_dataset("nqm", dim=dim, n_train=n, seed=2)
    theta = jnp.linspace(-1.0, 1.0, dim)
    g = jax.vmap(jax.grad(lambda t, x: quadratic_loss(t, x[None])[0]), (None, 0))(
        theta, jnp.asarray(ds.x_train)
    )
    h = nqm_curvature(dim)
    np.testing.assert_allclose(g.mean(0), h * theta, atol=5 * np.sqrt(h.max() / n))
    cov = np.cov(np.asarray(g), rowvar=False)
    tol = 5 * np.sqrt(np.outer(h, h)) * np.sqrt(2 / n)
    assert np.all(np.abs(cov - np.diag(h)) < tol)


def _sgd_monte_carlo(alpha, batch, steps, seeds, dim):
    """Mean over ``seeds`` of the noiseless loss along SGD on fresh NQM batches."""
    h = curvature(dim)
    tx = optax.sgd(alpha)

    def run(key):
        theta = jnp.ones(dim)
        state = tx.init(theta)

        def step(carry, k):
            theta, state = carry
            x = jax.random.normal(k, (batch, dim)) / jnp.sqrt(h)
            g = jax.grad(lambda t: quadratic_loss(t, x).mean())(theta)
            upd, state = tx.update(g, state, theta)
            theta = optax.apply_updates(theta, upd)
            return (theta, state), 0.5 * jnp.sum(h * theta**2)

        return jax.lax.scan(step, (theta, state), jax.random.split(key, steps))[1]

    return jax.jit(jax.vmap(run))(jax.random.split(jax.random.key(0), seeds))


def _recursion(alpha, batch, steps, dim):
    h = np.asarray(curvature(dim), np.float64)
    m = np.ones(dim)
    out = []
    for _ in range(steps):
        m = (1 - alpha * h) ** 2 * m + alpha**2 * h / batch
        out.append(0.5 * np.sum(h * m))
    return np.array(out)


def test_sgd_matches_the_expected_loss_recursion_and_batch_size_lowers_the_floor():
    dim, alpha, steps, seeds = 20, 0.5, 60, 2000
    floors = {}
    for batch in (1, 8):
        losses = np.asarray(_sgd_monte_carlo(alpha, batch, steps, seeds, dim))
        mean, sem = losses.mean(0), losses.std(0, ddof=1) / np.sqrt(seeds)
        expected = _recursion(alpha, batch, steps, dim)
        assert np.all(np.abs(mean - expected) < 5 * sem + 1e-4), (mean - expected) / sem
        floors[batch] = expected[-1], mean[-10:].mean()
    # Steady state E[theta_i^2] = alpha / (B (2 - alpha h_i)): B times larger, B times lower.
    h = np.asarray(curvature(dim), np.float64)
    for batch, (expected_last, _) in floors.items():
        steady = 0.5 * np.sum(h * alpha / (batch * (2 - alpha * h)))
        assert expected_last >= steady
    assert floors[8][1] < floors[1][1] / 4


def test_sgd_through_the_engine(tmp_path):
    cfg = {
        "seed": 0,
        "model": {"name": "quadratic", "theta_init": 1.0},
        "data": {"name": "nqm", "options": {"dim": 10, "n_train": 4096}},
        "optimizer": {"name": "sgd", "learning_rate": 0.5},
        "train": {"steps": 40, "batch_size": 16, "eval_every": 40, "quiet": True},
    }
    result = train_and_evaluate(cfg, tmp_path)
    h = nqm_curvature(10).astype(np.float64)
    start = 0.5 * h.sum()
    expected = _recursion(0.5, 16, 40, 10)[-1]
    final = result["final_eval_loss"]  # the noiseless loss 1/2 theta^T H theta
    # One run's loss at the end: within a few times the expected loss.
    assert final < 5 * expected < 0.5 * start
    # The training split's loss adds the noise term dim / 2 (sd 0.035 at 4096 examples).
    assert abs(result["final_train_eval_loss"] - final - 5.0) < 0.15
    rows = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 40


def test_quadratic_rejects_mismatched_inputs():
    import pytest

    with pytest.raises(ValueError, match="quadratic"):
        Quadratic(num_outputs=3).init(jax.random.key(0), jnp.zeros((1, 4)))
