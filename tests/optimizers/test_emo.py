"""The EmoNavi optimizers (emonavi, emofact, emolynx) against pytorch_optimizer 4.1.0
(float64, 60 steps): the loss goes to ``update(..., value=)`` here and to a closure there."""

from __future__ import annotations

import math
import pathlib
import sys

import jax
import numpy as np
import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import TOL, TORCH_STEPS, make_problem, max_rel_err  # noqa: E402

# name -> (optzoo factory, kwargs, pytorch_optimizer class name, kwargs)
CASES = {
    "emonavi": (
        optzoo.emonavi,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, weight_decay=1e-2),
        "EmoNavi",
        dict(lr=1e-2, betas=(0.8, 0.99), weight_decay=1e-2),
    ),
    "emonavi_coupled_shadow": (
        optzoo.emonavi,
        dict(learning_rate=2e-2, weight_decay=1e-2, weight_decouple=False, use_shadow=True),
        "EmoNavi",
        dict(lr=2e-2, weight_decay=1e-2, weight_decouple=False, use_shadow=True),
    ),
    "emonavi_shadow": (
        optzoo.emonavi,
        dict(learning_rate=2e-2, weight_decay=1e-2, use_shadow=True, shadow_weight=0.2),
        "EmoNavi",
        dict(lr=2e-2, weight_decay=1e-2, use_shadow=True, shadow_weight=0.2),
    ),
    "emofact": (
        optzoo.emofact,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, weight_decay=1e-2),
        "EmoFact",
        dict(lr=1e-2, betas=(0.8, 0.99), weight_decay=1e-2),
    ),
    "emofact_coupled_shadow": (
        optzoo.emofact,
        dict(learning_rate=2e-2, weight_decay=1e-2, weight_decouple=False, use_shadow=True),
        "EmoFact",
        dict(lr=2e-2, weight_decay=1e-2, weight_decouple=False, use_shadow=True),
    ),
    "emolynx": (
        optzoo.emolynx,
        dict(learning_rate=1e-2, b1=0.8, b2=0.95, weight_decay=1e-2),
        "EmoLynx",
        dict(lr=1e-2, betas=(0.8, 0.95), weight_decay=1e-2),
    ),
    "emolynx_shadow": (
        optzoo.emolynx,
        dict(learning_rate=2e-2, weight_decay=1e-2, use_shadow=True),
        "EmoLynx",
        dict(lr=2e-2, weight_decay=1e-2, use_shadow=True),
    ),
}


def _exact_scalar(ema):
    """pytorch_optimizer's compute_scalar in exact arithmetic: its switch to the medium scale
    compares |d / M| M with |d / L| L, equal but for rounding, so it never fires."""
    return math.tanh((ema["long"] - ema["short"]) / max(ema["long"], 1e-5))


def trajectories(name, monkeypatch):
    torch = pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    from pytorch_optimizer.optimizer import emonavi as emonavi_module

    # The rounding-decided branch flips on 1e-16 differences in the loss (2e-2 apart after
    # 30 steps); its exact-arithmetic value isolates the rule.
    monkeypatch.setattr(emonavi_module, "compute_scalar", _exact_scalar)
    ours, kwargs, ref_name, ref_kwargs = CASES[name]
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jax.numpy.float64)
        tx = ours(**kwargs)
        value_and_grad = jax.jit(jax.value_and_grad(loss))

        @jax.jit
        def step(p, s):
            v, g = value_and_grad(p)
            u, s = tx.update(g, s, p, value=v)
            return jax.tree.map(lambda a, b: a + b, p, u), s

        p, s = params, tx.init(params)
        traj = [p]
        for _ in range(TORCH_STEPS):
            p, s = step(p, s)
            traj.append(p)

        names = sorted(params)
        tp = {k: torch.tensor(np.asarray(params[k]), requires_grad=True) for k in names}
        opt = getattr(pto, ref_name)([tp[k] for k in names], **ref_kwargs)
        ref = [{k: np.asarray(params[k]) for k in names}]
        trends = []
        for _ in range(TORCH_STEPS):
            v, g = value_and_grad({k: jax.numpy.asarray(tp[k].detach().numpy()) for k in names})
            for k in names:
                tp[k].grad = torch.tensor(np.array(g[k]))
            opt.step(lambda v=v: float(v))
            trends.append(abs(_exact_scalar(opt.state["ema"])))
            ref.append({k: tp[k].detach().numpy().copy() for k in names})
    return traj, ref, trends


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch_optimizer(name, monkeypatch):
    traj, ref, trends = trajectories(name, monkeypatch)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    assert err <= TOL, f"{name}: max rel err {err:.3g}"
    assert max_rel_err(traj[-1], traj[0]) > 1e-3  # it moved
    # The loss trend left the flat band (drive != 1), and reached the shadow's band.
    assert max(trends) > (0.625 if "shadow" in name else 0.25), max(trends)


def test_the_loss_is_required():
    tx = optzoo.emonavi(1e-3)
    params = {"w": jax.numpy.ones(2)}
    with pytest.raises(ValueError, match="value"):
        tx.update(params, tx.init(params), params)
