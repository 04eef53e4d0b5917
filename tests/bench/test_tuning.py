"""Tuning protocols expand into the right trials."""

from __future__ import annotations

import math

from optzoo.bench.config import parse_suite
from optzoo.bench.tuning import budget_summary, expand_jobs, trial_points


def _suite(tuning, search=None, seeds=(0,)):
    opt = {"name": "momentum", "hyperparameters": {"learning_rate": 0.1}}
    if search:
        opt["search"] = search
    return parse_suite(
        {
            "name": "t",
            "seeds": list(seeds),
            "workloads": [{"name": "a"}, {"name": "b", "data": {"name": "mnist5k"}}],
            "optimizers": [opt, {"name": "sgd"}],
            "tuning": tuning,
        }
    )


def test_defaults_one_trial_per_optimizer_workload_seed():
    jobs = expand_jobs(_suite({"protocol": "defaults"}, seeds=(0, 1)))
    assert len(jobs) == 2 * 2 * 2
    assert len({j.config_hash for j in jobs}) == len(jobs)
    assert jobs[0].hyperparameters == {"learning_rate": 0.1}


def test_grid_is_cartesian_product():
    space = {"learning_rate": {"log_uniform": [1e-3, 1e-1], "num": 3}, "momentum": [0.8, 0.9]}
    pts = trial_points("grid", space, 1, 0, "x")
    assert len(pts) == 6
    lrs = sorted({p["learning_rate"] for p in pts})
    assert [round(v, 12) for v in lrs] == [1e-3, 1e-2, 1e-1]
    suite = _suite({"protocol": "grid"}, search=space)
    jobs = expand_jobs(suite)
    # momentum: 6 grid points; sgd has no search space -> 1 trial; two workloads.
    assert len(jobs) == (6 + 1) * 2
    assert budget_summary(suite)["trials_per_optimizer"] == {"momentum": 6, "sgd": 1}


def test_random_search_bounds_and_determinism():
    space = {
        "learning_rate": {"log_uniform": [1e-4, 1.0]},
        "momentum": {"uniform": [0.5, 0.99]},
        "nesterov": {"choice": [True, False]},
    }
    a = trial_points("random", space, 50, 3, "opt")
    assert a == trial_points("random", space, 50, 3, "opt")
    assert a != trial_points("random", space, 50, 4, "opt")
    assert all(1e-4 <= p["learning_rate"] <= 1.0 for p in a)
    assert all(0.5 <= p["momentum"] <= 0.99 for p in a)
    assert {p["nesterov"] for p in a} == {True, False}
    # Log-uniform: about half the draws below the geometric midpoint 1e-2.
    below = sum(p["learning_rate"] < 1e-2 for p in a)
    assert 12 <= below <= 38
    logs = [math.log10(p["learning_rate"]) for p in a]
    assert min(logs) < -3 and max(logs) > -1
