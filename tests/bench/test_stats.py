"""Bootstrap intervals and "not distinguishable" notes (optzoo.bench.stats, the report)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from optzoo.bench.config import parse_suite
from optzoo.bench.metrics import integrated_score, run_metrics
from optzoo.bench.runner import run_suite
from optzoo.bench.stats import indistinguishable, median_interval, score_interval
from optzoo.bench.workloads import JobResult
from optzoo.cli_bench import main as bench_main


def test_median_interval_covers_the_true_median_about_as_often_as_promised():
    # 300 samples of 21 draws from N(0, 1): the 95% interval of the median should cover 0
    # in roughly 95% of them (the percentile bootstrap of a median is a little conservative
    # or liberal depending on n; anything far from 0.95 is a bug).
    rng = np.random.default_rng(1)
    hits = 0
    for i in range(300):
        lo, hi = median_interval(rng.normal(size=21), n_boot=1000, seed=i)
        hits += lo <= 0.0 <= hi
    assert 0.88 <= hits / 300 <= 0.995


def test_median_interval_edge_cases():
    assert median_interval([3.0]) == (3.0, 3.0)
    assert median_interval([2.0, 2.0, 2.0]) == (2.0, 2.0)
    assert all(math.isnan(v) for v in median_interval([]))
    assert median_interval([float("nan"), 4.0]) == (4.0, 4.0)  # a failed run's NaN is dropped
    lo, hi = median_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    assert 1.0 <= lo <= 3.0 <= hi <= 5.0
    # Two of three seeds miss the target: the interval reaches infinity.
    lo, hi = median_interval([1.0, math.inf, math.inf])
    assert lo == 1.0 and hi == math.inf
    with pytest.raises(ValueError, match="level"):
        median_interval([1.0, 2.0], level=1.5)


def test_indistinguishable_pairs():
    rng = np.random.default_rng(0)
    same = {"a": rng.normal(size=5), "b": rng.normal(size=5)}
    assert indistinguishable(same) == [("a", "b")]
    apart = {"fast": [1.0, 1.1, 0.9], "slow": [10.0, 11.0, 9.5]}
    assert indistinguishable(apart) == []
    # Both always miss: equal; one always misses: distinguishable.
    assert indistinguishable({"x": [math.inf] * 3, "y": [math.inf] * 3}) == [("x", "y")]
    assert indistinguishable({"x": [1.0, 2.0, 3.0], "y": [math.inf] * 3}) == []


def test_score_interval_is_a_point_without_noise_and_widens_with_it():
    def score(t):
        return integrated_score(t, 4.0)

    exact = {"a": {"w": [1.0, 1.0, 1.0]}, "b": {"w": [2.0, 2.0, 2.0]}}
    ci = score_interval(exact, score)
    assert ci["a"] == (1.0, 1.0)
    assert ci["b"] == pytest.approx((2.0 / 3.0, 2.0 / 3.0))
    noisy = {"a": {"w": [1.0, 3.0, 1.5]}, "b": {"w": [2.0, 1.2, 2.5]}}
    lo, hi = score_interval(noisy, score)["a"]
    point = score({"a": {"w": 1.5}, "b": {"w": 2.0}})["a"]
    assert lo < hi and lo <= point <= hi


def _runner(job, progress=None):
    """Seeded noise: adam and adamw are the same optimizer here (equal speed), sgd is 5x slower."""
    rng = np.random.default_rng(job.seed * 7 + len(job.optimizer))
    speed = (0.2 if job.optimizer == "sgd" else 1.0) * (1 + 0.2 * rng.random())
    curve = [
        (s, 1.0 + 0.01 * s, 2.3 * (1 - speed * s / 40), 2.3 * (1 - speed * s / 40), 0.0)
        for s in range(0, 31, 5)
    ]
    curve = [(s, t, tl, el, min(0.99, 0.1 + speed * s / 30)) for s, t, tl, el, _ in curve]
    res = JobResult("ok", curve=curve, compile_time_s=1.0, step_times=[0.001] * 30, state_bytes=4)
    res.metrics = run_metrics(res, job.workload.target)
    return res


def test_report_gives_intervals_budget_and_indistinguishable_pairs(tmp_path, tiny_raw):
    raw = tiny_raw(seeds=(0, 1, 2, 3))
    raw["optimizers"] = [{"name": "adam"}, {"name": "adamw"}, {"name": "sgd"}]
    raw["question"] = "Are adam and adamw different here?"
    raw["table"] = ["time_to_target_s", "final_train_loss"]
    raw["interval"] = "ci"
    run_suite(parse_suite(raw), tmp_path, quiet=True, runner=_runner)
    assert bench_main(["report", str(tmp_path)]) == 0
    md = (tmp_path / "report.md").read_text()
    assert "Tuning budget: 1 trial per optimizer and workload (equal)." in md
    assert "95% bootstrap interval of the median" in md
    note = re.search(r"Not distinguishable[^\n]*", md)
    assert note and "adam ~ adamw" in note.group(0) and "sgd" not in note.group(0)
    assert "score 95% interval" in md


def test_interval_key_is_checked(tiny_raw):
    raw = tiny_raw()
    raw["interval"] = "stderr"
    with pytest.raises(ValueError, match="interval"):
        parse_suite(raw)
