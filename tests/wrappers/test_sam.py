"""SAM, ASAM and bSAM against pytorch_optimizer; all need ``value_fn``."""

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


# ---------------------------------------------------------------- bSAM


def _bsam_noise(key, params, steps):
    """The standard normal draws of optzoo.bsam's documented key schedule, per step and leaf."""
    names = sorted(params)  # the dict's leaf order
    out = []
    for _ in range(steps):
        key, sample = jax.random.split(key)
        leaf_keys = jax.random.split(sample, len(names))
        out.append(
            {
                k: np.asarray(jax.random.normal(lk, params[k].shape, jnp.float64))
                for k, lk in zip(names, leaf_keys, strict=True)
            }
        )
    return out


@pytest.mark.parametrize("adaptive", [False, True])
def test_bsam_matches_pytorch_optimizer(adaptive, monkeypatch):
    """variant="pytorch_optimizer" against pytorch_optimizer's BSAM with the same noise:
    torch.normal is replaced by one that replays optzoo's standard normal draws times the
    standard deviation BSAM asks for, so the noise scale is exercised too."""
    torch = pytest.importorskip("torch")
    po = pytest.importorskip("pytorch_optimizer")
    lr, rho, n, wd, damping, steps = 0.3, 0.05, 50, 0.05, 0.2, 40
    with jax.enable_x64(True):
        p0 = _params(3)
        tx = optzoo.bsam(
            lr,
            n,
            b1=0.8,
            b2=0.99,
            weight_decay=wd,
            rho=rho,
            damping=damping,
            adaptive=adaptive,
            key=jax.random.key(5),
            variant="pytorch_optimizer",
        )
        ours, _ = _run(tx, p0, steps, extra=True)
        xis = _bsam_noise(jax.random.key(5), p0, steps)
    tp = {
        k: torch.tensor(np.asarray(v), dtype=torch.float64, requires_grad=True)
        for k, v in p0.items()
    }
    calls = []

    def replayed_normal(mean, std):
        i = len(calls)
        calls.append(i)
        name = list(tp)[i % len(tp)]  # BSAM draws per parameter, in the group's order
        return mean + std * torch.from_numpy(xis[i // len(tp)][name].copy())

    monkeypatch.setattr(torch, "normal", replayed_normal)
    opt = po.BSAM(
        list(tp.values()),
        num_data=n,
        lr=lr,
        betas=(0.8, 0.99),
        weight_decay=wd,
        rho=rho,
        adaptive=adaptive,
        damping=damping,
        foreach=False,
    )

    def closure():
        opt.zero_grad()
        loss = _torch_loss(torch, tp)
        loss.backward()
        return loss

    ref = []
    for _ in range(steps):
        closure()  # BSAM sets up its state for parameters that already have a gradient
        opt.step(closure)
        ref.append({k: v.detach().numpy().copy() for k, v in tp.items()})
    assert len(calls) == steps * len(tp)
    assert _rel(ours, ref) <= 1e-6


def test_bsam_requires_value_fn():
    tx = optzoo.bsam(0.1, 100)
    p = {"w": jnp.ones(3)}
    with pytest.raises(ValueError, match="value_fn"):
        tx.update(p, tx.init(p), p)


def test_bsam_noise_follows_the_key():
    with jax.enable_x64(True):
        p0 = _params(1)
        runs = [_run(optzoo.bsam(0.1, 20, key=k), p0, 5, extra=True)[0] for k in (0, 0, 1)]
    assert _rel(runs[0], runs[1]) == 0.0
    assert _rel(runs[0], runs[2]) > 1e-6


def test_bsam_rejects_bad_hyperparameters():
    with pytest.raises(ValueError, match="num_data"):
        optzoo.bsam(0.1, 0)
    with pytest.raises(ValueError, match="variant"):
        optzoo.bsam(0.1, 10, variant="torch")
