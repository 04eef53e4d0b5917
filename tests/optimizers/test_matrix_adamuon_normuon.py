"""Reference trajectories of the newer matrix preconditioners against pytorch_optimizer 4.1.0.

Layout: a JAX leaf of shape ``(d0, ..., dk)`` (``(in, out)`` kernels) is given to torch as
its full transpose ``(dk, ..., d0)`` (``(out, in)`` weights). pytorch_optimizer views a
rank-3 weight as ``(dk, dk-1 * ... * d0)``; optzoo's ``"flatten"`` rule views the JAX leaf
as ``(d0 * ... * dk-1, dk)``: the same matrix transposed, up to a permutation of one side,
which Newton-Schulz and the element-wise steps commute with. pytorch_optimizer's bfloat16
Newton-Schulz is patched to run in float64, with the same coefficients and step count.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import optzoo
from tests._trajectory import max_rel_error, trajectory
from tests.optimizers._helpers import make_problem

pytest.importorskip("pytorch_optimizer")

STEPS = 60
NS = (3.4445, -4.7750, 2.0315)


def _torch_trajectory(module, cls, muon_kwargs, adam_kwargs, params, loss, dtype):
    import torch

    ns = module.zero_power_via_newton_schulz_5
    tdtype = {np.float64: torch.float64, np.float32: torch.float32}[dtype]
    names = sorted(params)

    def to_t(x):
        x = np.asarray(x, dtype)
        return torch.tensor(np.ascontiguousarray(x.transpose()))

    tp = {k: to_t(params[k]).requires_grad_(True) for k in names}
    mats = [tp[k] for k in names if tp[k].ndim >= 2]
    vecs = [tp[k] for k in names if tp[k].ndim < 2]
    grad = jax.jit(jax.grad(loss))
    patched = functools.partial(ns, dtype=tdtype)
    orig = module.zero_power_via_newton_schulz_5
    module.zero_power_via_newton_schulz_5 = patched
    try:
        opt = cls(
            [
                dict(params=mats, use_muon=True, **muon_kwargs),
                dict(params=vecs, use_muon=False, **adam_kwargs),
            ]
        )
        out = []
        for _ in range(STEPS):
            g = grad({k: jnp.asarray(tp[k].detach().numpy().transpose()) for k in names})
            for k in names:
                tp[k].grad = to_t(g[k])
            opt.step()
            out.append({k: tp[k].detach().numpy().transpose().copy() for k in names})
    finally:
        module.zero_power_via_newton_schulz_5 = orig
    return out


def _adamuon_case():
    from pytorch_optimizer.optimizer.muon import adamuon as module

    ours = dict(
        learning_rate=0.02,
        b1=0.9,
        b2=0.95,
        eps=1e-10,
        weight_decay=0.1,
        ns_coeffs=NS,
        ns_steps=5,
        ns_eps=0.0,
        adam_learning_rate=3e-3,
        adam_b1=0.9,
        adam_b2=0.99,
        adam_eps=1e-8,
        adam_weight_decay=0.01,
    )
    muon = dict(lr=0.02, betas=(0.9, 0.95), eps=1e-10, weight_decay=0.1, ns_steps=5, ns_coeffs=NS)
    adam = dict(lr=3e-3, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01)
    return module, module.AdaMuon, ours, muon, adam


def _normuon_case():
    from pytorch_optimizer.optimizer.muon import normuon as module

    ours = dict(
        learning_rate=0.02,
        beta=0.9,
        b2=0.95,
        eps=1e-10,
        weight_decay=0.1,
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
        lr=0.02,
        momentum=0.9,
        beta2=0.95,
        eps=1e-10,
        weight_decay=0.1,
        ns_steps=5,
        ns_coeffs=NS,
        foreach=False,
    )
    adam = dict(lr=3e-3, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01, foreach=False)
    return module, module.NorMuon, ours, muon, adam


CASES = {
    "normuon": (_normuon_case, {}, {}),
    "normuon_match_rms_plain": (
        _normuon_case,
        {"update_scale": "match_rms", "nesterov": False},
        {"update_scale": "match_rms", "nesterov": False},
    ),
    "normuon_moonlight": (
        _normuon_case,
        {"consistent_rms": 0.2},
        {"use_adjusted_lr": True},
    ),
    "adamuon": (_adamuon_case, {}, {}),
    "adamuon_muon_scale": (
        _adamuon_case,
        {"consistent_rms": None, "matrix_layout": "in_out"},
        {"use_adjusted_lr": False},
    ),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_pytorch_optimizer(case, dtype):
    make_case, extra_ours, extra_muon = CASES[case]
    module, cls, ours, muon, adam = make_case()
    name = case.split("_")[0]
    tol = 1e-6 if dtype == np.float64 else 1e-4
    with jax.enable_x64(dtype == np.float64):
        params, loss = make_problem(dtype=jnp.dtype(dtype))
        params["k"] = params["k"] * 3.0  # a rank-3 leaf with a sizeable gradient
        tx = getattr(optzoo, name)(**ours, **extra_ours)
        traj, _ = trajectory(tx, params, STEPS, loss)
        ref = _torch_trajectory(module, cls, {**muon, **extra_muon}, adam, params, loss, dtype)
        err = max_rel_error(traj, ref)
    assert err <= tol, f"{case} {dtype.__name__}: max rel err {err:.3g}"
    moved = max_rel_error([traj[-1]], [jax.tree.map(np.asarray, params)])
    assert moved > 1e-3


@pytest.mark.parametrize("name", ["scale_by_adamuon", "scale_by_normuon"])
def test_out_in_layout_is_the_transpose(name):
    g = {"w": jnp.asarray(np.random.default_rng(0).normal(size=(5, 3)), jnp.float32)}
    gt = {"w": g["w"].T}
    a = getattr(optzoo, name)(matrix_layout="in_out", consistent_rms=None)
    b = getattr(optzoo, name)(matrix_layout="out_in", consistent_rms=None)
    ua, _ = a.update(g, a.init(g))
    ub, _ = b.update(gt, b.init(gt))
    np.testing.assert_allclose(np.asarray(ua["w"]), np.asarray(ub["w"]).T, rtol=1e-6, atol=1e-7)
