"""Engine options the benchmark runs on: timing rules, step/warm-up schedules, value_fn updates."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo
from optzoo.data import load_dataset
from optzoo.train import create_train_state, load_config, train_and_evaluate
from optzoo.train.config import ConfigError, ScheduleConfig
from optzoo.train.optim import build_optimizer, build_schedule
from optzoo.train.state import model_from_config
from optzoo.train.steps import StepOptions, train_step


def _tiny(train=None, optimizer=None):
    return {
        "model": {"name": "mlp", "width": 16, "depth": 1},
        "data": {"name": "digits"},
        "optimizer": {"name": "sgd", "learning_rate": 0.5, **(optimizer or {})},
        "train": {"steps": 30, "batch_size": 32, "quiet": True, "eval_every": 10, **(train or {})},
    }


def _rows(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def test_timing_options(tmp_path):
    seen = []
    out = train_and_evaluate(
        _tiny({"eval_at_start": True, "time_steps": True}), tmp_path, on_eval=seen.append
    )
    evals = _rows(tmp_path / "eval.jsonl")
    assert [r["step"] for r in evals] == [0, 10, 20, 30] == [r["step"] for r in seen]
    walls = [r["wall_time_s"] for r in evals]
    assert walls == sorted(walls) and out["compile_time_s"] <= walls[1]
    assert seen[0]["train_loss"] is None and seen[-1]["train_loss"] == out["final_train_loss"]
    assert out["timed_steps"] == 29  # every step but the first, which compiles
    assert 0 < out["median_step_time_s"] <= out["p90_step_time_s"]


def test_time_budget_and_divergence_factor_stop_the_run(tmp_path):
    out = train_and_evaluate(_tiny({"max_seconds": 1e-4}), tmp_path / "budget")
    assert out["steps"] == 1 and out["stop_reason"].startswith("time budget")
    # lr 50: the loss jumps far above 3x its first value within a few steps.
    cfg = _tiny({"divergence_factor": 3.0}, {"learning_rate": 50.0})
    out = train_and_evaluate(cfg, tmp_path / "div")
    assert out["stop_reason"].startswith("diverged") and out["steps"] < 30
    losses = [r["loss"] for r in _rows(tmp_path / "div" / "metrics.jsonl")]
    assert losses[-1] > 3.0 * losses[0] and all(v <= 3.0 * losses[0] for v in losses[:-1])


def test_step_schedule_and_warmup_prefix():
    cfg = ScheduleConfig(name="step", warmup_steps=10, decay_rate=0.1, boundaries=[0.5, 0.75])
    sched = build_schedule(cfg, 1.0, 110)  # warm-up 10, then 100 steps with drops at 50 and 75
    got = [float(sched(s)) for s in (0, 5, 10, 59, 60, 84, 85, 109)]
    np.testing.assert_allclose(got, [0.0, 0.5, 1.0, 1.0, 0.1, 0.1, 0.01, 0.01], rtol=1e-6)
    cos = build_schedule(ScheduleConfig(name="cosine", warmup_steps=10, end_value=0.1), 1.0, 110)
    ref = optax.warmup_cosine_decay_schedule(0.0, 1.0, 10, 110, 0.1)
    for s in (0, 5, 10, 60, 109, 110):
        assert float(cos(s)) == pytest.approx(float(ref(s)), rel=1e-6)
    with pytest.raises(ConfigError, match="boundaries"):
        load_config(_tiny(optimizer={"schedule": {"name": "step", "boundaries": [1.5]}}))


def test_value_fn_reaches_the_optimizer():
    """One SAM step through the engine equals SAM given the model's loss by hand."""
    config = load_config(_tiny(optimizer={"name": "sam", "learning_rate": 0.1}))
    data = load_dataset("digits")
    model = model_from_config(config.model, data)
    tx = build_optimizer(config.optimizer, 10)
    state = create_train_state(model, tx, data.x_train[:1], 0)
    batch = {"x": jnp.asarray(data.x_train[:32]), "y": jnp.asarray(data.y_train[:32])}

    def loss(params):
        logits = model.apply({"params": params}, batch["x"])
        return optax.softmax_cross_entropy_with_integer_labels(logits, batch["y"]).mean()

    opts = StepOptions(needs=("value_fn",))
    new, _ = jax.jit(lambda s: train_step(s, batch, jax.random.key(0), opts))(state)
    ref_tx = optzoo.sam(0.1)
    updates, _ = ref_tx.update(
        jax.grad(loss)(state.params), ref_tx.init(state.params), state.params, value_fn=loss
    )
    ref = optax.apply_updates(state.params, updates)
    for a, b in zip(jax.tree.leaves(new.params), jax.tree.leaves(ref), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    plain = jax.jit(lambda s: train_step(s, batch, jax.random.key(0), StepOptions()))
    with pytest.raises(Exception, match="value_fn"):
        plain(state)
