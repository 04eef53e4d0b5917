"""Reference checks against NumPy transcriptions of the papers (Adam-mini) and Keras (FTRL)."""

from __future__ import annotations

import os
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from test_zoo_a_helpers import make_problem, max_rel_err, trajectory  # noqa: E402

STEPS = 60
TOL = 1e-6


def _adam_mini_numpy(params, grad_fn, steps, lr, b1, b2, eps, wd):
    """Adam-mini, Algorithm 1 of Zhang et al. (2024), with the partition rule of optzoo:
    one block per index of the last axis for leaves with >= 2 axes, one block per vector."""

    def block_mean(a):
        if a.ndim < 2:
            return np.mean(a) * np.ones_like(a)
        axes = tuple(range(a.ndim - 1))
        return np.broadcast_to(np.mean(a, axis=axes, keepdims=True), a.shape)

    x = {k: np.array(v, np.float64) for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in x.items()}
    v = {k: np.zeros_like(val) for k, val in x.items()}
    out = [{k: a.copy() for k, a in x.items()}]
    for t in range(1, steps + 1):
        g = {
            k: np.asarray(a) for k, a in grad_fn({k: jnp.asarray(a) for k, a in x.items()}).items()
        }
        for k in x:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * block_mean(g[k] ** 2)
            m_hat = m[k] / (1 - b1**t)
            v_hat = v[k] / (1 - b2**t)
            x[k] = x[k] - lr * (m_hat / (np.sqrt(v_hat) + eps) + wd * x[k])
        out.append({k: a.copy() for k, a in x.items()})
    return out


def test_adam_mini_matches_numpy_transcription():
    kw = dict(learning_rate=1e-2, b1=0.8, b2=0.95, eps=1e-7, weight_decay=1e-2)
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jnp.float64)
        traj, state = trajectory(optzoo.adam_mini(**kw), params, loss, STEPS)
        ref = _adam_mini_numpy(
            params,
            jax.jit(jax.grad(loss)),
            STEPS,
            kw["learning_rate"],
            kw["b1"],
            kw["b2"],
            kw["eps"],
            kw["weight_decay"],
        )
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    assert err <= TOL, err
    # One second-moment scalar per output neuron / per vector.
    nu = state[0].nu
    assert nu["w"].shape == (1, 3) and nu["b"].shape == (1,) and nu["k"].shape == (1, 1, 4)


@pytest.mark.slow
def test_adam_mini_block_axis():
    params, loss = make_problem()
    _, state = trajectory(optzoo.adam_mini(1e-2, block_axis=0), params, loss, 2)
    assert state[0].nu["w"].shape == (5, 1)


def _keras_ftrl():
    if os.environ.get("KERAS_BACKEND", "jax") != "jax":
        pytest.skip("keras is configured for another backend")
    os.environ["KERAS_BACKEND"] = "jax"
    return pytest.importorskip("keras")


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(
            learning_rate=0.1,
            learning_rate_power=-0.3,
            initial_accumulator_value=0.5,
            l1_regularization_strength=1e-3,
            l2_regularization_strength=1e-2,
            l2_shrinkage_regularization_strength=1e-3,
            beta=0.5,
        ),
        pytest.param(
            dict(learning_rate=0.05, learning_rate_power=-0.5, initial_accumulator_value=0.1),
            marks=pytest.mark.slow,
        ),
    ],
)
def test_ftrl_matches_keras(kwargs):
    keras = _keras_ftrl()
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jnp.float64)
        names = sorted(params)
        variables = [keras.Variable(np.asarray(params[k]), dtype="float64") for k in names]
        pairs = list(zip(names, variables, strict=True))
        opt = keras.optimizers.Ftrl(**kwargs)
        opt.build(variables)
        grad = jax.jit(jax.grad(loss))
        ref = [{k: np.asarray(params[k]) for k in names}]
        for _ in range(STEPS):
            g = grad({k: jnp.asarray(np.asarray(v.value)) for k, v in pairs})
            opt.apply_gradients([(g[k], v) for k, v in pairs])
            ref.append({k: np.asarray(v.value).copy() for k, v in pairs})
        traj, _ = trajectory(optzoo.ftrl(**kwargs), params, loss, STEPS)
    assert all(r["w"].dtype == np.float64 for r in ref)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    assert err <= TOL, err
    assert max_rel_err(traj[-1], traj[0]) > 1e-3


def test_ftrl_l1_gives_exact_zeros():
    params, loss = make_problem()
    traj, _ = trajectory(optzoo.ftrl(0.1, l1_regularization_strength=10.0), params, loss, 5)
    assert all(np.all(np.asarray(leaf) == 0.0) for leaf in jax.tree.leaves(traj[-1]))


# Invalid hyperparameters raise a ValueError that names the parameter.
INVALID = [
    (optzoo.lion, dict(learning_rate=1e-3, b2=1.0), "b2"),
    (optzoo.adabelief, dict(learning_rate=1e-3, b1=-0.1), "b1"),
    (optzoo.adan, dict(learning_rate=1e-3, b3=1.5), "b3"),
    (optzoo.ademamix, dict(learning_rate=float("nan")), "learning_rate"),
    (optzoo.came, dict(learning_rate=1e-3, clip_threshold=0.0), "clip_threshold"),
    (optzoo.stable_adamw, dict(learning_rate=1e-3, weight_decay=-1.0), "weight_decay"),
    (optzoo.adabound, dict(learning_rate=1e-3, gamma=0.0), "gamma"),
    (optzoo.mars_adamw, dict(learning_rate=1e-3, gamma=-1.0), "gamma"),
    (optzoo.ftrl, dict(learning_rate=0.1, learning_rate_power=0.5), "learning_rate_power"),
    (optzoo.ftrl, dict(learning_rate=0.1, l1_regularization_strength=-1.0), "l1_regularization"),
    (optzoo.prodigy, dict(betas=(0.9, 1.0)), "beta2"),
    (optzoo.dadapt_sgd, dict(momentum=1.0), "momentum"),
    (optzoo.schedule_free_radam, dict(b1=1.0), "b1"),
    (optzoo.mechanize, dict(base_optimizer=optzoo.sgd(1.0), s_init=0.0), "s_init"),
]


@pytest.mark.parametrize(
    "factory,kwargs,word", INVALID, ids=[f"{f.__name__}-{w}" for f, _, w in INVALID]
)
def test_invalid_hyperparameters_raise(factory, kwargs, word):
    with pytest.raises(ValueError, match=word):
        factory(**kwargs)


def test_mode_and_init_step_are_checked():
    with pytest.raises(ValueError, match="mode"):
        optzoo.scale_by_lion(mode="soft")
    with pytest.raises(ValueError, match="mode"):
        optzoo.scale_by_mars(mode="sgd")
    with pytest.raises(ValueError, match="init_step"):
        optzoo.scale_by_dog(("guess", 1.0))
