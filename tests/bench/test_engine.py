"""``engine: train`` workloads: errors name the key, and a run reports a curve."""

from __future__ import annotations

import math

import pytest

from optzoo.bench.config import ConfigError, parse_suite
from optzoo.bench.tuning import expand_jobs
from optzoo.bench.workloads import run_job


def _raw(tiny_raw, **workload):
    raw = tiny_raw(optimizers=[{"name": "sgd", "hyperparameters": {"learning_rate": 0.5}}])
    raw["workloads"][0].update(engine="train", **workload)
    return raw


def test_engine_errors_name_the_key(tiny_raw):
    with pytest.raises(ConfigError, match=r"workloads\[0\].*model.name"):
        parse_suite(_raw(tiny_raw, model={"name": "no_such_model"}))


@pytest.mark.slow
def test_engine_job_runs_and_reports_a_curve(tiny_raw):
    (job,) = expand_jobs(parse_suite(_raw(tiny_raw)))
    res = run_job(job)
    assert res.status == "ok", res.error
    steps = [r[0] for r in res.curve]
    assert steps == [0, 10, 20, 30]  # the initial parameters are evaluated too
    assert all(math.isfinite(r[3]) for r in res.curve)
    assert res.metrics["median_step_time_s"] > 0 and res.metrics["steps"] == 30
    assert res.metrics["final_train_loss"] < math.log(10)
