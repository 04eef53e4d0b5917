"""Optimizers without an optax counterpart, checked against ``pytorch_optimizer`` (float64).

Gradients come from JAX on both sides; trajectories are compared over 60 steps with
non-default hyperparameters. Formulation differences are listed per case; where the
reference places ``eps`` differently, the case uses a tiny ``eps``.
"""

from __future__ import annotations

import pathlib
import sys

import jax
import numpy as np
import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import make_problem, max_rel_err, torch_trajectory, trajectory  # noqa: E402

torch = pytest.importorskip("torch")
pto = pytest.importorskip("pytorch_optimizer")

STEPS = 60
TOL = 1e-6

# name -> (optzoo factory, kwargs, pytorch_optimizer class name, kwargs, problem kwargs)
CASES = {
    # pytorch_optimizer adds 1e-15 under the square root and divides eps by sqrt(1 - b2^t);
    # with eps=1e-15 both vanish. Its weight decay is applied after the step (tested at 0).
    "laprop": (
        optzoo.laprop,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, eps=1e-15),
        "LaProp",
        dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-15),
        {},
    ),
    "stable_adamw": (
        optzoo.stable_adamw,
        dict(learning_rate=1e-2, b1=0.8, b2=0.95, weight_decay=0.05, eps=1e-7),
        "StableAdamW",
        dict(lr=1e-2, betas=(0.8, 0.95), weight_decay=0.05, eps=1e-7, kahan_sum=False),
        {},
    ),
    "grams": (
        optzoo.grams,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, eps=1e-7, weight_decay=0.01),
        "Grams",
        dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-7, weight_decay=0.01),
        {},
    ),
    # Coupled L2 weight decay as in the authors' code (weight_decouple=False).
    "adabound": (
        optzoo.adabound,
        dict(
            learning_rate=1e-2,
            final_lr=0.05,
            b1=0.8,
            b2=0.99,
            gamma=1e-2,
            eps=1e-12,
            weight_decay=1e-3,
        ),
        "AdaBound",
        dict(
            lr=1e-2,
            final_lr=0.05,
            betas=(0.8, 0.99),
            gamma=1e-2,
            eps=1e-12,
            weight_decay=1e-3,
            weight_decouple=False,
        ),
        {},
    ),
    # PyTorch layout: channels on axis 0. The scale-invariant problem triggers the projection.
    "adamp": (
        optzoo.adamp,
        dict(
            learning_rate=1e-2,
            b1=0.8,
            b2=0.99,
            eps=1e-12,
            weight_decay=1e-2,
            wd_ratio=0.2,
            nesterov=True,
            channel_axis=0,
        ),
        "AdamP",
        dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-12, weight_decay=1e-2, wd_ratio=0.2, nesterov=True),
        dict(scale_invariant=True),
    ),
    "adamp_plain": (
        optzoo.adamp,
        dict(learning_rate=1e-2, eps=1e-12, delta=0.05, channel_axis=0),
        "AdamP",
        dict(lr=1e-2, eps=1e-12, delta=0.05),
        {},
    ),
    # optimize_1d=True: MARS on every leaf (the paper's algorithm).
    "mars_adamw": (
        optzoo.mars_adamw,
        dict(learning_rate=1e-2, b1=0.9, b2=0.95, gamma=0.05, eps=1e-12, weight_decay=1e-2),
        "MARS",
        dict(
            lr=1e-2,
            betas=(0.9, 0.95),
            gamma=0.05,
            eps=1e-12,
            weight_decay=1e-2,
            mars_type="adamw",
            optimize_1d=True,
        ),
        {},
    ),
    "mars_lion": (
        optzoo.mars_lion,
        dict(learning_rate=3e-3, b1=0.8, gamma=0.05, weight_decay=1e-2),
        "MARS",
        dict(
            lr=3e-3,
            betas=(0.8, 0.99),
            gamma=0.05,
            weight_decay=1e-2,
            mars_type="lion",
            optimize_1d=True,
        ),
        {},
    ),
    "came": (
        optzoo.came,
        dict(learning_rate=1e-2, b1=0.8, b2=0.95, b3=0.99, clip_threshold=0.5, weight_decay=1e-2),
        "CAME",
        dict(lr=1e-2, betas=(0.8, 0.95, 0.99), clip_threshold=0.5, weight_decay=1e-2),
        {},
    ),
    "dadapt_sgd": (
        optzoo.dadapt_sgd,
        dict(learning_rate=0.5, momentum=0.8, d0=1e-3, weight_decay=1e-3, growth_rate=1.5),
        "DAdaptSGD",
        dict(lr=0.5, momentum=0.8, d0=1e-3, weight_decay=1e-3, growth_rate=1.5),
        {},
    ),
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


SLOW = {"adamp_plain"}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in sorted(CASES)]
)
def test_matches_pytorch_optimizer(name):
    ours, kwargs, ref_name, ref_kwargs, problem = CASES[name]
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jax.numpy.float64, **problem)
        traj, _ = trajectory(ours(**kwargs), params, loss, STEPS)
        ref = torch_trajectory(getattr(pto, ref_name), ref_kwargs, params, loss, STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    assert err <= TOL, f"{name}: max rel err {err:.3g}"
    assert max_rel_err(traj[-1], traj[0]) > 1e-3  # it moved


def test_schedule_free_radam_eval_params_match_pytorch_optimizer():
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
