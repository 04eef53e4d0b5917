"""Schedule-free SGD and AdamW (and the wrapper) against optax.contrib (100 steps), RAdam
against pytorch_optimizer (float64, 60 steps), and the evaluation parameters."""

from __future__ import annotations

import pathlib
import sys

import jax
import numpy as np
import optax
import optax.contrib as contrib
import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import (  # noqa: E402
    TOL,
    check_matches_optax,
    check_matches_pytorch_optimizer,
    make_problem,
    max_rel_err,
    slow_marked,
    trajectory,
)

# name -> (optzoo factory, kwargs, optax reference, kwargs); non-default hyperparameters.
OPTAX_CASES = {
    "schedule_free_sgd": (
        optzoo.schedule_free_sgd,
        dict(learning_rate=0.3, b1=0.8, weight_decay=1e-3, warmup_steps=10),
        contrib.schedule_free_sgd,
        None,
    ),
    "schedule_free_adamw": (
        optzoo.schedule_free_adamw,
        dict(
            learning_rate=1e-2,
            b1=0.8,
            b2=0.99,
            weight_decay=1e-2,
            warmup_steps=10,
            weight_lr_power=1.0,
        ),
        contrib.schedule_free_adamw,
        None,
    ),
    "schedule_free_wrapper": (
        lambda **k: optzoo.schedule_free(optax.adam(1e-2, b1=0.0), **k),
        dict(learning_rate=1e-2, b1=0.7),
        lambda **k: contrib.schedule_free(optax.adam(1e-2, b1=0.0), **k),
        None,
    ),
}


# Second configurations of an optimizer already covered: run with the slow tests.
OPTAX_SLOW = {"schedule_free_wrapper"}


@pytest.mark.parametrize("name", slow_marked(OPTAX_CASES, OPTAX_SLOW))
def test_matches_optax(name):
    check_matches_optax(name, OPTAX_CASES)


# name -> (optzoo factory, kwargs, pytorch_optimizer class name, kwargs, problem kwargs)
TORCH_CASES = {
    # pytorch_optimizer's non-silent SGD phase uses a rate of 1.0 instead of lr; silent here.
    "schedule_free_radam": (
        optzoo.schedule_free_radam,
        dict(
            learning_rate=1e-2,
            b1=0.8,
            b2=0.99,
            weight_decay=1e-3,
            r=1.0,
            weight_lr_power=1.5,
            eps=1e-10,
        ),
        "ScheduleFreeRAdam",
        dict(lr=1e-2, betas=(0.8, 0.99), weight_decay=1e-3, r=1.0, weight_lr_power=1.5, eps=1e-10),
        {},
    ),
}


TORCH_SLOW: set[str] = set()


@pytest.mark.parametrize("name", slow_marked(TORCH_CASES, TORCH_SLOW))
def test_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, TORCH_CASES)


def test_schedule_free_eval_params_matches_optax():
    params, loss = make_problem()
    kwargs = dict(learning_rate=0.2, b1=0.8)
    _, state = trajectory(optzoo.schedule_free_sgd(**kwargs), params, loss, 30)
    traj, _ = trajectory(optzoo.schedule_free_sgd(**kwargs), params, loss, 30)
    ours = optzoo.schedule_free_eval_params(state, traj[-1])
    ref = contrib.schedule_free_eval_params(state, traj[-1])
    assert max_rel_err(ours, ref) <= TOL
    # x differs from y, and x has a lower loss than the start.
    assert max_rel_err(ours, traj[-1]) > 1e-4
    assert loss(ours) < loss(params)
    with pytest.raises(ValueError):
        optzoo.schedule_free_eval_params(optax.EmptyState(), params)


def test_schedule_free_radam_eval_params_match_pytorch_optimizer():
    torch = pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    kwargs = dict(learning_rate=1e-2, b1=0.8, b2=0.99, weight_decay=1e-3)
    ref_kwargs = dict(lr=1e-2, betas=(0.8, 0.99), weight_decay=1e-3)
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jax.numpy.float64)
        traj, state = trajectory(optzoo.schedule_free_radam(**kwargs), params, loss, 30)
        x = optzoo.schedule_free_eval_params(state, traj[-1])
        names = sorted(params)
        tp = [torch.tensor(np.asarray(params[k]), requires_grad=True) for k in names]
        opt = pto.ScheduleFreeRAdam(tp, **ref_kwargs)
        grad = jax.jit(jax.grad(loss))
        for _ in range(30):
            g = grad(
                {k: jax.numpy.asarray(t.detach().numpy()) for k, t in zip(names, tp, strict=True)}
            )
            for k, t in zip(names, tp, strict=True):
                t.grad = torch.tensor(np.array(g[k]))
            opt.step()
        opt.eval()  # switches the parameters to the averaged iterate x
        ref = {k: t.detach().numpy() for k, t in zip(names, tp, strict=True)}
    assert max_rel_err(x, ref) <= TOL
    assert max_rel_err(x, traj[-1]) > 1e-6  # x and y differ


def test_schedule_free_rejects_an_unknown_warmup_convention():
    with pytest.raises(ValueError, match="warmup_convention"):
        optzoo.schedule_free_sgd(warmup_steps=10, warmup_convention="torch")
