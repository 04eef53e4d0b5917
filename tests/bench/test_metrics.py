"""Metric math on hand-made tables: performance profiles, integrated score, tuneability."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from optzoo.bench.config import TargetSpec
from optzoo.bench.metrics import (
    aggregate_seeds,
    expected_best,
    integrated_score,
    performance_profile,
    performance_ratios,
    select_best_trials,
    time_to_target,
)

INF = math.inf
# Hand-made times to target (s) for 3 optimizers on 4 workloads.
TIMES = {
    "a": {"w1": 10.0, "w2": 20.0, "w3": 30.0, "w4": INF},
    "b": {"w1": 20.0, "w2": 10.0, "w3": 150.0, "w4": 5.0},
    "c": {"w1": 50.0, "w2": INF, "w3": INF, "w4": INF},
}


def test_ratios_by_hand():
    r = performance_ratios(TIMES)
    assert r["a"] == {"w1": 1.0, "w2": 2.0, "w3": 1.0, "w4": INF}
    assert r["b"] == {"w1": 2.0, "w2": 1.0, "w3": 5.0, "w4": 1.0}
    assert r["c"] == {"w1": 5.0, "w2": INF, "w3": INF, "w4": INF}


def test_profile_by_hand():
    prof = performance_profile(TIMES, [1.0, 1.5, 2.0, 4.9, 5.0])
    np.testing.assert_allclose(prof["a"], [0.5, 0.5, 0.75, 0.75, 0.75])
    np.testing.assert_allclose(prof["b"], [0.5, 0.5, 0.75, 0.75, 1.0])
    np.testing.assert_allclose(prof["c"], [0.0, 0.0, 0.0, 0.0, 0.25])


def test_integrated_score_by_hand_and_by_quadrature():
    s = integrated_score(TIMES, r_max=4.0)
    # a: ratios 1, 2, 1, inf -> (3 + 2 + 3 + 0) / 3 / 4
    assert s["a"] == pytest.approx((3 + 2 + 3 + 0) / 3 / 4)
    # b: ratios 2, 1, 5, 1 -> (2 + 3 + 0 + 3) / 3 / 4
    assert s["b"] == pytest.approx((2 + 3 + 0 + 3) / 3 / 4)
    assert s["c"] == 0.0
    # The same areas by brute-force Riemann sums of the step profile.
    taus = np.linspace(1.0, 4.0, 30001)
    prof = performance_profile(TIMES, taus)
    for o in TIMES:
        area = np.sum(prof[o][:-1] * np.diff(taus)) / 3.0
        assert area == pytest.approx(s[o], abs=1e-3)


def test_time_to_target_first_crossing():
    curve = [
        (0, 1.0, 2.3, 2.3, 0.1),
        (10, 2.0, 1.0, 1.1, 0.85),
        (20, 3.0, 0.5, 0.6, 0.91),
        (30, 4.0, 0.4, 0.5, 0.95),
    ]
    assert time_to_target(curve, TargetSpec("eval_accuracy", 0.9)) == (3.0, 20)
    assert time_to_target(curve, TargetSpec("eval_loss", 1.1)) == (2.0, 10)
    assert time_to_target(curve, TargetSpec("eval_accuracy", 0.99)) == (None, None)


def test_expected_best_matches_enumeration():
    scores = [0.1, 0.5, 0.3, 0.9, 0.7]
    assert expected_best(scores, 1) == pytest.approx(np.mean(scores))
    for k in (2, 3):
        brute = np.mean([max(c) for c in itertools.product(scores, repeat=k)])
        assert expected_best(scores, k) == pytest.approx(brute)


def _run(opt, trial, seed, t, acc, status="ok"):
    return {
        "workload": "w",
        "optimizer": opt,
        "trial": trial,
        "seed": seed,
        "status": status,
        "hyperparameters": {"learning_rate": 0.1 * (trial + 1)},
        "metrics": {"time_to_target_s": t, "best_eval_accuracy": acc},
    }


def test_aggregate_and_select_best_trial():
    runs = [
        _run("a", 0, 0, 10.0, 0.9),
        _run("a", 0, 1, None, 0.8),
        _run("a", 0, 2, 30.0, 0.95),
        _run("a", 1, 0, 5.0, 0.93),
        _run("a", 1, 1, 7.0, 0.94),
        _run("a", 2, 0, None, 0.2, "diverged"),
    ]
    rows = {r["trial"]: r for r in aggregate_seeds(runs)}
    assert rows[0]["n"] == 3 and rows[0]["time_to_target_s"] == 30.0  # median of 10, 30, inf
    assert rows[0]["time_to_target_s_min"] == 10.0 and rows[0]["time_to_target_s_max"] == INF
    assert rows[0]["best_eval_accuracy"] == pytest.approx(0.9)
    assert rows[2]["n_diverged"] == 1 and rows[2]["time_to_target_s"] == INF
    best = select_best_trials(rows.values(), {"w": TargetSpec()})
    assert best[("w", "a")]["trial"] == 1
    assert (
        select_best_trials(rows.values(), {"w": TargetSpec()}, by="metric")[("w", "a")]["trial"]
        == 1
    )  # median best accuracy 0.935 beats 0.9


def test_select_by_steps_ignores_compile_noise():
    fast_clock = {
        "workload": "w",
        "optimizer": "a",
        "trial": 0,
        "hyperparameters": {},
        "time_to_target_s": 1.80,
        "steps_to_target": 250.0,
        "best_eval_accuracy": 0.95,
    }
    few_steps = {**fast_clock, "trial": 1, "time_to_target_s": 1.85, "steps_to_target": 100.0}
    rows = [fast_clock, few_steps]
    assert select_best_trials(rows, {}, by="time")[("w", "a")]["trial"] == 0
    assert select_best_trials(rows, {}, by="steps")[("w", "a")]["trial"] == 1


def test_seeds_group_by_job_spec_not_trial_index():
    a = _run("a", 0, 0, 10.0, 0.9)
    b = _run("a", 0, 1, 20.0, 0.8)
    c = _run("a", 0, 0, 30.0, 0.7)
    a["job"], b["job"] = {"lr": 0.1, "seed": 0}, {"lr": 0.1, "seed": 1}
    c["job"] = {"lr": 0.2, "seed": 0}  # same trial index, other configuration
    rows = aggregate_seeds([a, b, c])
    assert sorted(r["n"] for r in rows) == [1, 2]
