"""The EmoNavi optimizers (emonavi, emofact, emolynx) against pytorch_optimizer 4.1.0, the
packaged implementation (the author, muooon, publishes source files only); the loss goes to
``update(..., value=)`` here and to a closure there."""

from __future__ import annotations

import math
import pathlib
import sys

import jax.numpy as jnp
import pytest

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402


def _exact_scalar(ema):
    """compute_scalar in exact arithmetic: its switch to the medium scale compares two
    expressions equal but for rounding (see optzoo.transforms._emo.emo_signals)."""
    return math.tanh((ema["long"] - ema["short"]) / max(ema["long"], 1e-5))


def _value(params, t):
    return {"value": R.loss(params, t, lambda a: jnp.asarray(a, jnp.float64))}


# muooon. EmoNavi. 2025. https://github.com/muooon/EmoNavi (EmoNavi, EmoFact, EmoLynx).
@pytest.mark.parametrize(
    "name,cls", [("emonavi", "EmoNavi"), ("emofact", "EmoFact"), ("emolynx", "EmoLynx")]
)
def test_emo_matches_pytorch_optimizer(name, cls, monkeypatch):
    pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    from pytorch_optimizer.optimizer import emonavi as emonavi_module

    monkeypatch.setattr(emonavi_module, "compute_scalar", _exact_scalar)
    lr, wd = 2e-2, 1e-2
    theirs = R.run_torch(
        lambda ps: getattr(pto, cls)(ps, lr=lr, weight_decay=wd, use_shadow=True), closure=True
    )
    tx = optzoo.create(name, preset="authors", learning_rate=lr, weight_decay=wd, use_shadow=True)
    ours = R.run_optzoo(tx, extra=_value)
    err = R.displacement_error(ours, theirs)
    R.check(name, err, f"pytorch_optimizer 4.1.0 ({cls})")
