"""Ranger (RAdam + Lookahead + gradient centralisation) against ``pytorch_optimizer.Ranger``:
float64 trajectories on the vector/matrix/rank-3 problem, weight decay on."""

from __future__ import annotations

import pathlib
import sys

import jax
import pytest

import optzoo

sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "optimizers"))
from _helpers import (  # noqa: E402
    TOL,
    TORCH_STEPS,
    make_problem,
    max_rel_err,
    torch_trajectory,
    trajectory,
)

# name -> (optzoo kwargs, pytorch_optimizer.Ranger kwargs). PyTorch weights are (out, in, ...):
# gc_layout="out_in" centralises like it. degenerated_to_sgd=True is the original Ranger's
# SGD-with-momentum start (pytorch_optimizer's default adds the momentum there instead).
CASES = {
    "defaults": (
        dict(learning_rate=1e-2, weight_decay=1e-2, gc_layout="out_in"),
        dict(lr=1e-2, weight_decay=1e-2, degenerated_to_sgd=True),
    ),
    "tuned": (
        dict(
            learning_rate=3e-2,
            b1=0.9,
            b2=0.99,
            eps=1e-6,
            sync_period=4,
            slow_step_size=0.7,
            weight_decay=1e-3,
            gc_layout="out_in",
        ),
        dict(
            lr=3e-2,
            betas=(0.9, 0.99),
            eps=1e-6,
            k=4,
            alpha=0.7,
            weight_decay=1e-3,
            degenerated_to_sgd=True,
        ),
    ),
    "no_gc": (
        dict(learning_rate=1e-2, use_gc=False),
        dict(lr=1e-2, use_gc=False, degenerated_to_sgd=True),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch_optimizer(name):
    pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    ours, theirs = CASES[name]
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jax.numpy.float64)
        traj, _ = trajectory(optzoo.ranger(**ours), params, loss, TORCH_STEPS)
        ref = torch_trajectory(pto.Ranger, theirs, params, loss, TORCH_STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    print(f"ranger {name}: max rel err {err:.3g}")
    assert err <= TOL, f"ranger {name}: max rel err {err:.3g}"
    assert max_rel_err(traj[-1], traj[0]) > 1e-3  # it moved


def test_in_out_layout_centralises_over_all_axes_but_the_last():
    import jax.numpy as jnp

    tx = optzoo.ranger(1.0, sync_period=1000)
    params = {"w": jnp.zeros((3, 2))}
    g = {"w": jnp.array([[1.0, 0.0], [2.0, 0.0], [3.0, 3.0]])}
    state = tx.init(params)
    u, _ = tx.update(g, state, params)
    # the first step is -lr * m_hat = -g_centred; column means removed
    assert jnp.allclose(u["w"], -(g["w"] - g["w"].mean(axis=0)), atol=1e-6)
