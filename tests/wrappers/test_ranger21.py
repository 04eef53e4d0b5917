"""Ranger21 against ``pytorch_optimizer.Ranger21`` (4.1.0): float64 trajectories on the
vector/matrix/rank-3 problem, weight decay, norm loss, AGC, GC/GN, the warm-up/warm-down
schedule and Lookahead on."""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import pytest

import optzoo
from optzoo.wrappers.ranger import ranger21_schedule

sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "optimizers"))
from _helpers import (  # noqa: E402
    TOL,
    TORCH_STEPS,
    make_problem,
    max_rel_err,
    torch_trajectory,
    trajectory,
)

# name -> (optzoo kwargs, pytorch_optimizer.Ranger21 kwargs). PyTorch weights are
# (out, in, ...): layout="out_in" takes units and centralises like it. num_iterations=80
# with 60 steps runs the warm-up (17 steps), the flat part and the warm-down (from 57).
CASES = {
    "defaults": (
        dict(learning_rate=1e-2, num_iterations=80, weight_decay=1e-2, layout="out_in"),
        dict(lr=1e-2, num_iterations=80, weight_decay=1e-2),
    ),
    "tuned": (
        dict(
            learning_rate=3e-2,
            num_iterations=70,
            b1=0.8,
            b2=0.99,
            b0=0.5,
            eps=1e-6,
            weight_decay=1e-3,
            norm_loss_factor=1e-2,
            agc_clipping_value=0.5,
            agc_eps=1e-2,
            lookahead_merge_time=4,
            lookahead_blending_alpha=0.7,
            num_warm_up_iterations=5,
            num_warm_down_iterations=20,
            warm_down_min_lr=1e-3,
            beta_softplus=10.0,
            fixed_decay=True,
            layout="out_in",
        ),
        dict(
            lr=3e-2,
            num_iterations=70,
            betas=(0.8, 0.99),
            beta0=0.5,
            eps=1e-6,
            weight_decay=1e-3,
            norm_loss_factor=1e-2,
            agc_clipping_value=0.5,
            agc_eps=1e-2,
            lookahead_merge_time=4,
            lookahead_blending_alpha=0.7,
            num_warm_up_iterations=5,
            num_warm_down_iterations=20,
            warm_down_min_lr=1e-3,
            beta_softplus=10.0,
            fixed_decay=True,
        ),
    ),
    "plain": (
        dict(
            learning_rate=1e-2,
            num_iterations=1000,
            use_lr_schedule=False,
            use_softplus=False,
            centralize=False,
            normalize=False,
            layout="out_in",
        ),
        dict(
            lr=1e-2,
            num_iterations=1000,
            disable_lr_scheduler=True,
            use_softplus=False,
            centralize_gradients=False,
            normalize_gradients=False,
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch_optimizer(name):
    pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    ours, theirs = CASES[name]
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jnp.float64)
        traj, _ = trajectory(optzoo.ranger21(**ours), params, loss, TORCH_STEPS)
        ref = torch_trajectory(pto.Ranger21, theirs, params, loss, TORCH_STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    print(f"ranger21 {name}: max rel err {err:.3g}")
    assert err <= TOL, f"ranger21 {name}: max rel err {err:.3g}"
    assert max_rel_err(traj[-1], traj[0]) > 1e-3  # it moved


def test_schedule_warms_up_and_down():
    sched = ranger21_schedule(
        1.0, 100, num_warm_up_iterations=10, num_warm_down_iterations=20, warm_down_min_lr=0.0
    )
    lrs = [float(sched(t)) for t in range(1, 101)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0)
    assert lrs[50] == 1.0
    assert lrs[80] == pytest.approx(1 - 2 / 21) and lrs[-1] == pytest.approx(0.0, abs=0.05)
    # defaults: 2/(1-b2) = 2000 > 0.45 T, so 22% of T
    assert float(ranger21_schedule(1.0, 100)(11)) == pytest.approx(0.5)


def test_num_iterations_is_required():
    with pytest.raises(TypeError):
        optzoo.ranger21(1e-3)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="num_iterations"):
        optzoo.ranger21(1e-3, num_iterations=0)
