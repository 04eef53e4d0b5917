"""The engine-backed study suites: they validate, and the clipping study's claim holds small.

``configs/bench/study_{cnn,recurrent,clipping,devices}.yaml`` and ``full.yaml`` run through
``optzoo.train`` (``engine: train``); here each is loaded with the suite validator (which also
checks every workload against the train engine's schema and every optimizer against the
registry), the clipping workloads are run for a few steps at the study's aggressive learning
rate, and the accelerator suite's Transformer workload is run for two steps at reduced width.
"""

from __future__ import annotations

import dataclasses
import math
import pathlib

import pytest

from optzoo.bench.config import load_suite
from optzoo.bench.workloads import Job, run_job

CONFIGS = pathlib.Path(__file__).resolve().parents[2] / "configs" / "bench"
STUDIES = ["study_cnn", "study_recurrent", "study_clipping", "study_devices", "full"]


@pytest.mark.parametrize("name", STUDIES)
def test_study_config_validates(name):
    suite = load_suite(CONFIGS / f"{name}.yaml")
    assert suite.name == name
    assert not suite.skipped, f"{name}: optimizers missing from the registry: {suite.skipped}"
    assert suite.question.strip()
    assert suite.table
    assert all(w.engine == "train" for w in suite.workloads)


def test_study_devices_asks_for_1_2_4_devices():
    suite = load_suite(CONFIGS / "study_devices.yaml")
    counts = sorted(w.engine_options["parallel"]["devices"] for w in suite.workloads)
    strategies = {w.engine_options["parallel"]["strategy"] for w in suite.workloads}
    assert counts == [1, 1, 2, 2, 4, 4]
    assert strategies == {"pmap", "sharded"}


def test_full_suite_uses_external_tuning():
    suite = load_suite(CONFIGS / "full.yaml")
    assert suite.tuning.protocol == "random" and suite.tuning.trials >= 5
    for opt in suite.optimizers:
        assert "log_uniform" in opt.search["learning_rate"], opt.display


def _clipping_job(workload: str, steps: int) -> Job:
    suite = load_suite(CONFIGS / "study_clipping.yaml")
    w = next(w for w in suite.workloads if w.name == workload)
    w = dataclasses.replace(w, steps=steps, eval_every=steps)
    opt = next(o for o in suite.optimizers if o.display == "momentum_lr1.0")
    return Job(w, opt.name, opt.display, dict(opt.hyperparameters), opt.schedule, seed=0)


def test_clipping_keeps_the_aggressive_lstm_run_finite():
    """At lr 1.0 the unclipped LSTM explodes within 25 steps; clipped by norm it stays finite."""
    unclipped = run_job(_clipping_job("adding30_lstm_noclip", 25))
    assert unclipped.status == "diverged"
    assert unclipped.metrics["stop_reason"].startswith("non-finite")

    clipped = run_job(_clipping_job("adding30_lstm_clipnorm1", 25))
    assert clipped.status == "ok"
    losses = [row[2] for row in clipped.curve] + [row[3] for row in clipped.curve]
    assert all(math.isfinite(v) for v in losses)
    assert clipped.curve[-1][3] < 1.0  # eval MSE: the target sum is at most 2


@pytest.mark.slow
def test_full_suite_transformer_runs_a_few_steps():
    """Two steps of the char-LM Transformer workload, narrowed so that it fits a CPU test."""
    suite = load_suite(CONFIGS / "full.yaml")
    w = next(w for w in suite.workloads if w.name == "char_lm_transformer")
    small = {**w.model.options, "dim": 32, "heads": 2, "layers": 1}
    w = dataclasses.replace(
        w,
        steps=2,
        eval_every=2,
        batch_size=4,
        model=dataclasses.replace(w.model, options=small),
    )
    opt = next(o for o in suite.optimizers if o.name == "adamw")
    job = Job(w, opt.name, opt.display, {"learning_rate": 1e-3}, opt.schedule, seed=0)
    result = run_job(job)
    assert result.status == "ok", result.error
    assert result.curve[-1][0] == 2
    assert math.isfinite(result.curve[-1][3])
