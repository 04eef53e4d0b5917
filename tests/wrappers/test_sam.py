"""SAM and ASAM against pytorch_optimizer; SAM needs ``value_fn``."""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo

# The shared problem sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _wrappers_problem import _params, _rel, _run, _torch_loss  # noqa: E402

# ---------------------------------------------------------------- SAM / ASAM


@pytest.mark.parametrize("adaptive", [False, True])
def test_sam_matches_pytorch_optimizer(adaptive):
    torch = pytest.importorskip("torch")
    po = pytest.importorskip("pytorch_optimizer")
    lr, rho = 0.02, 0.1
    with jax.enable_x64(True):
        p0 = _params(2)
        inner = optax.sgd(lr, momentum=0.9)
        tx = optzoo.sam_wrapper(inner, rho, adaptive=adaptive, eta=0.0, eps=1e-12)
        ours, _ = _run(tx, p0, 60, extra=True)
    tp = {
        k: torch.tensor(np.asarray(v), dtype=torch.float64, requires_grad=True)
        for k, v in p0.items()
    }
    opt = po.SAM(
        list(tp.values()),
        base_optimizer=torch.optim.SGD,
        rho=rho,
        adaptive=adaptive,
        lr=lr,
        momentum=0.9,
        foreach=False,
    )

    def closure():
        opt.zero_grad()
        loss = _torch_loss(torch, tp)
        loss.backward()
        return loss

    ref = []
    for _ in range(60):
        closure()
        opt.step(closure)
        ref.append({k: v.detach().numpy().copy() for k, v in tp.items()})
    assert _rel(ours, ref) <= 1e-6


def test_sam_requires_value_fn():
    tx = optzoo.sam(0.1)
    p = {"w": jnp.ones(3)}
    with pytest.raises(ValueError, match="value_fn"):
        tx.update(p, tx.init(p), p)
