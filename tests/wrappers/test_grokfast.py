"""Grokfast against ``pytorch_optimizer.GrokFastAdamW`` (float64 trajectories on the
vector/matrix/rank-3 problem, weight decay on) and the :func:`optzoo.grokfast` wrapper's
filter on its own."""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import optax
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

# name -> (optzoo kwargs, pytorch_optimizer.GrokFastAdamW kwargs). eps is tiny: optzoo adds it
# to sqrt(v_hat) (AdamW), pytorch_optimizer takes max(sqrt(v_hat), eps).
CASES = {
    "defaults": (
        dict(learning_rate=1e-2, eps=1e-12, weight_decay=1e-2),
        dict(lr=1e-2, eps=1e-12, weight_decay=1e-2),
    ),
    "tuned": (
        dict(
            learning_rate=3e-2,
            b1=0.8,
            b2=0.95,
            eps=1e-12,
            weight_decay=1e-3,
            alpha=0.9,
            lamb=1.5,
            after_step=5,
            normalize_lr=False,
        ),
        dict(
            lr=3e-2,
            betas=(0.8, 0.95),
            eps=1e-12,
            weight_decay=1e-3,
            grokfast_alpha=0.9,
            grokfast_lamb=1.5,
            grokfast_after_step=5,
            normalize_lr=False,
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch_optimizer(name):
    pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    ours, theirs = CASES[name]
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jax.numpy.float64)
        traj, _ = trajectory(optzoo.grokfast_adamw(**ours), params, loss, TORCH_STEPS)
        ref = torch_trajectory(pto.GrokFastAdamW, theirs, params, loss, TORCH_STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    print(f"grokfast_adamw {name}: max rel err {err:.3g}")
    assert err <= TOL, f"grokfast_adamw {name}: max rel err {err:.3g}"
    assert max_rel_err(traj[-1], traj[0]) > 1e-3  # it moved


def test_wrapper_filters_gradients_for_any_optimizer():
    # Under sgd(1) the update is minus the filtered gradient: check it against the formula.
    tx = optzoo.grokfast(optax.sgd(1.0), alpha=0.5, lamb=2.0, after_step=1)
    params = {"a": jnp.zeros(()), "b": jnp.zeros((2, 2, 2))}
    state = tx.init(params)
    grads = [jax.tree.map(lambda p, k=k: jnp.full_like(p, float(k)), params) for k in (1, 3, 5)]
    ema = 1.0  # seeded by the first gradient
    expected = []
    for k, g in zip((1, 3, 5), grads, strict=True):
        u, state = tx.update(g, state, params)
        if k == 1:  # step 1 <= after_step: unfiltered
            expected.append(-1.0)
        else:
            ema = 0.5 * ema + 0.5 * k
            expected.append(-(k + 2.0 * ema))
        for leaf in jax.tree.leaves(u):
            assert jnp.allclose(leaf, expected[-1])
