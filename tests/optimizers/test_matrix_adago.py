"""AdaGO against pytorch_optimizer 4.1.0 (layout and Newton-Schulz precision as in
tests/optimizers/test_matrix_adamuon_normuon.py, whose torch driver this reuses)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import optzoo
from tests._trajectory import max_rel_error, trajectory
from tests.optimizers._helpers import make_problem
from tests.optimizers.test_matrix_adamuon_normuon import NS, STEPS, _torch_trajectory

pytest.importorskip("pytorch_optimizer")


def _case(nesterov: bool, weight_decay: float):
    ours = dict(
        learning_rate=0.05,
        momentum=0.9,
        gamma=2.0,
        eps=1e-4,
        v0=1e-3,
        weight_decay=weight_decay,
        nesterov=nesterov,
        ns_coeffs=NS,
        ns_steps=5,
        ns_eps=0.0,
        adam_learning_rate=3e-3,
        adam_b1=0.9,
        adam_b2=0.99,
        adam_eps=1e-8,
        adam_weight_decay=0.01,
    )
    muon = dict(
        lr=0.05,
        momentum=0.9,
        gamma=2.0,
        eps=1e-4,
        v=1e-3,
        weight_decay=weight_decay,
        nesterov=nesterov,
        ns_steps=5,
        ns_coeffs=NS,
        foreach=False,
    )
    adam = dict(lr=3e-3, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01, foreach=False)
    return ours, muon, adam


@pytest.mark.parametrize(
    "nesterov, weight_decay", [(False, 0.0), (True, 0.1)], ids=["plain", "nesterov_decay"]
)
def test_adago_matches_pytorch_optimizer(nesterov, weight_decay):
    from pytorch_optimizer.optimizer.muon import adago as module

    ours, muon, adam = _case(nesterov, weight_decay)
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jnp.float64)
        params["k"] = params["k"] * 3.0  # a rank-3 leaf with a sizeable gradient
        traj, _ = trajectory(optzoo.adago(**ours), params, STEPS, loss)
        ref = _torch_trajectory(module, module.AdaGO, muon, adam, params, loss, np.float64)
        err = max_rel_error(traj, ref)
    assert err <= 1e-6, f"adago: max rel err {err:.3g}"
    moved = max_rel_error([traj[-1]], [jax.tree.map(np.asarray, params)])
    assert moved > 1e-3
