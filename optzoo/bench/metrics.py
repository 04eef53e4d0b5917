"""Benchmark metrics: per run, across seeds, across workloads, across trials.

* Per run: time-to-target in wall seconds (compile included, evaluation
  excluded) and steps, best and final eval metrics, final train loss, median
  step time, compile time, optimizer-state bytes.
* Across seeds: median, min and max of every metric (a seed that misses the
  target counts as an infinite time).
* Across workloads: AlgoPerf performance profiles and the integrated score
  (Dahl et al., *Benchmarking Neural Network Training Algorithms*, 2023,
  https://arxiv.org/abs/2306.07179).
* Across trials: tuneability as the expected best score after ``k`` random
  trials (Sivaprasad et al., *Optimizer Benchmarking Needs to Account for
  Hyperparameter Tuning*, 2020, https://arxiv.org/abs/1910.11758), in the spirit
  of DeepOBS (Schneider et al., 2019, https://arxiv.org/abs/1903.05499).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from optzoo.bench.config import TABLE_METRICS, TargetSpec

__all__ = [
    "run_metrics",
    "time_to_target",
    "trial_key",
    "aggregate_seeds",
    "select_best_trials",
    "performance_ratios",
    "performance_profile",
    "integrated_score",
    "expected_best",
    "tuneability",
    "TABLE_METRICS",
    "RUN_EXTRAS",
    "AGG_KEYS",
    "weight_sparsity",
]

# Measured by the training engine and passed in ``JobResult.extra`` (None where it lacks one).
RUN_EXTRAS = (
    "final_train_accuracy",
    "n_train",
    "batch_size",
    "param_count",
    "weight_sparsity",
    "step_memory_bytes",
    "peak_memory_bytes",
)
# Missing-target metrics: a run that misses the target counts as infinitely slow.
_INF_IF_MISSING = ("time_to_target_s", "steps_to_target", "epochs_to_target")

_COLUMN = {"train_loss": 2, "eval_loss": 3, "eval_accuracy": 4}


def _clean(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def weight_sparsity(params: Any, threshold: float = 1e-3) -> float | None:
    """Fraction of weight-matrix entries (leaves with ndim >= 2) with ``|w| < threshold``."""
    import jax

    mats = [np.asarray(x) for x in jax.tree.leaves(params) if np.ndim(x) >= 2]
    total = sum(m.size for m in mats)
    if not total:
        return None
    return sum(int(np.sum(np.abs(m) < threshold)) for m in mats) / total


def time_to_target(
    curve: Sequence[Sequence[float]], target: TargetSpec
) -> tuple[float | None, int | None]:
    """(wall seconds, step) of the first curve row meeting the target, else (None, None)."""
    col = _COLUMN[target.metric]
    for row in curve:
        v = row[col]
        if v is None or not math.isfinite(v):
            continue
        if (v >= target.value) if target.mode == "max" else (v <= target.value):
            return float(row[1]), int(row[0])
    return None, None


def run_metrics(result: Any, target: TargetSpec) -> dict:
    """Metrics of one :class:`~optzoo.bench.workloads.JobResult` (JSON-safe: NaN -> None)."""
    curve = result.curve
    evals = [r for r in curve if r[3] is not None and math.isfinite(r[3])]
    t_s, t_step = time_to_target(curve, target)
    last = curve[-1] if curve else (0, 0.0, float("nan"), float("nan"), float("nan"))
    st = result.step_times
    m = {
        "target_metric": target.metric,
        "target_value": target.value,
        "target_reached": t_s is not None,
        "time_to_target_s": t_s,
        "steps_to_target": t_step,
        "best_eval_accuracy": max((r[4] for r in evals), default=None),
        "best_eval_loss": min((r[3] for r in evals), default=None),
        "final_eval_accuracy": evals[-1][4] if evals else None,
        "final_eval_loss": evals[-1][3] if evals else None,
        "final_train_loss": last[2],
        "steps": int(last[0]),
        "wall_time_s": float(last[1]),
        "compile_time_s": result.compile_time_s,
        "median_step_time_s": float(np.median(st)) if st else None,
        "p90_step_time_s": float(np.percentile(st, 90)) if st else None,
        "state_bytes": result.state_bytes,
    }
    extra = getattr(result, "extra", {}) or {}
    for key in RUN_EXTRAS:
        m[key] = extra.get(key)
    n_train, batch = m["n_train"], m["batch_size"]
    m["epochs_to_target"] = t_step * batch / n_train if t_step is not None and n_train else None
    tr, ev = m["final_train_accuracy"], m["final_eval_accuracy"]
    m["train_eval_gap"] = tr - ev if tr is not None and ev is not None else None
    return {k: _clean(v) for k, v in m.items()}


def _metric(run: Mapping[str, Any], key: str) -> float:
    v = run["metrics"].get(key)
    if key in _INF_IF_MISSING and v is None and not run["metrics"].get("target_reached"):
        return math.inf
    return math.nan if v is None else float(v)


AGG_KEYS = tuple(TABLE_METRICS)


def trial_key(run: Mapping[str, Any]) -> str:
    """What makes runs seeds of one trial: the job spec without the seed (else the trial index)."""
    job = run.get("job")
    if job:
        return json.dumps({k: v for k, v in job.items() if k != "seed"}, sort_keys=True)
    return str(run["trial"])


def aggregate_seeds(runs: Iterable[Mapping[str, Any]]) -> list[dict]:
    """Groups finished runs into trials (same job but the seed) and summarises over seeds.

    Each run is a mapping with ``workload``, ``optimizer``, ``trial``,
    ``hyperparameters``, ``seed``, ``status``, ``metrics`` and optionally ``job``
    (its spec, see :func:`trial_key`). Each returned row
    has ``n``, ``n_ok``, ``n_diverged``, ``n_failed`` and, per metric ``k``,
    ``k`` (median), ``k_min`` and ``k_max``, and ``seed_values[k]``, the per-seed values
    in seed order (for the bootstrap intervals of :mod:`optzoo.bench.stats`).
    Diverged/failed seeds count as infinite time-to-target and NaN elsewhere.
    """
    groups: dict[tuple, list] = defaultdict(list)
    for r in runs:
        if r["status"] in ("ok", "diverged", "failed"):
            groups[(r["workload"], r["optimizer"], trial_key(r))].append(r)
    rows = []
    for (wl, opt, key), rs in sorted(groups.items(), key=lambda kv: (kv[0][:2], kv[1][0]["trial"])):
        row: dict[str, Any] = {
            "workload": wl,
            "optimizer": opt,
            "trial": min(r["trial"] for r in rs),
            "key": key,
            "hyperparameters": rs[0]["hyperparameters"],
            "n": len(rs),
            "n_ok": sum(r["status"] == "ok" for r in rs),
            "n_diverged": sum(r["status"] == "diverged" for r in rs),
            "n_failed": sum(r["status"] == "failed" for r in rs),
            "seed_values": {},
        }
        rs = sorted(rs, key=lambda r: r.get("seed", 0))
        for key in AGG_KEYS:
            vals = np.array([_metric(r, key) for r in rs], dtype=float)
            row["seed_values"][key] = vals.tolist()
            finite = vals[~np.isnan(vals)]
            row[key] = float(np.median(finite)) if finite.size else math.nan
            row[key + "_min"] = float(finite.min()) if finite.size else math.nan
            row[key + "_max"] = float(finite.max()) if finite.size else math.nan
        rows.append(row)
    return rows


def _score(row: Mapping[str, Any], mode: str, metric: str) -> float:
    key = "best_eval_accuracy" if metric == "eval_accuracy" else "best_eval_loss"
    v = row.get(key, math.nan)
    if v is None or math.isnan(v):
        return -math.inf
    return v if mode == "max" else -v


def select_best_trials(
    rows: Iterable[Mapping[str, Any]], targets: Mapping[str, TargetSpec], by: str = "time"
) -> dict[tuple[str, str], dict]:
    """Best trial per (workload, optimizer) by median over seeds.

    ``by="time"``: fastest time to target, then fewest steps, then best metric
    (AlgoPerf). ``"steps"``: fewest steps to target, then time, then metric
    (hardware-independent; use it where compile time dominates the clock).
    ``"metric"``: best eval metric (accuracy, or loss for loss targets).
    """
    best: dict[tuple[str, str], dict] = {}
    for row in rows:
        t = targets.get(row["workload"], TargetSpec())
        key = (row["workload"], row["optimizer"])
        time_s, steps, score = (
            row["time_to_target_s"],
            row["steps_to_target"],
            -_score(row, t.mode, t.metric),
        )
        rank = {
            "time": (time_s, steps, score),
            "steps": (steps, time_s, score),
            "metric": (score, time_s, steps),
        }[by]
        if key not in best or rank < best[key]["_rank"]:
            best[key] = {**row, "_rank": rank}
    return best


def performance_ratios(times: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """r[opt][workload] = t[opt][workload] / min over optimizers (inf if not reached)."""
    workloads = sorted({w for per in times.values() for w in per})
    ratios: dict[str, dict[str, float]] = {o: {} for o in times}
    for w in workloads:
        vals = [times[o].get(w, math.inf) for o in times]
        best = min(vals)
        for o in times:
            t = times[o].get(w, math.inf)
            ratios[o][w] = t / best if math.isfinite(t) and best > 0 else math.inf
    return ratios


def performance_profile(
    times: Mapping[str, Mapping[str, float]], taus: Sequence[float] | np.ndarray
) -> dict[str, np.ndarray]:
    """rho_o(tau): fraction of workloads on which o is within a factor tau of the fastest."""
    ratios = performance_ratios(times)
    out = {}
    for o, per in ratios.items():
        r = np.array(list(per.values()), dtype=float)
        out[o] = np.array([np.mean(r <= tau) if r.size else 0.0 for tau in taus])
    return out


def integrated_score(
    times: Mapping[str, Mapping[str, float]], r_max: float = 4.0
) -> dict[str, float]:
    """Area under the performance profile over tau in [1, r_max], divided by (r_max - 1).

    The profile is a step function, so the integral is exact: each workload with
    ratio r <= r_max contributes (r_max - r) / (r_max - 1). 1 means fastest on
    every workload; 0 means never within r_max of the fastest.
    """
    ratios = performance_ratios(times)
    scores = {}
    for o, per in ratios.items():
        r = np.array(list(per.values()), dtype=float)
        contrib = np.where(r <= r_max, (r_max - np.minimum(r, r_max)) / (r_max - 1.0), 0.0)
        scores[o] = float(contrib.mean()) if r.size else 0.0
    return scores


def expected_best(scores: Sequence[float], k: int) -> float:
    """E[max of k draws with replacement] from the empirical distribution of ``scores``."""
    s = np.sort(np.asarray(scores, dtype=float))
    n = s.size
    if n == 0:
        return math.nan
    i = np.arange(1, n + 1)
    weights = (i / n) ** k - ((i - 1) / n) ** k
    return float(np.sum(weights * s))


def tuneability(
    rows: Iterable[Mapping[str, Any]], targets: Mapping[str, TargetSpec]
) -> dict[str, dict]:
    """Per optimizer, averaged over workloads: expected best score after 1, 4 and all trials.

    The score of a trial is its median best eval metric over seeds (accuracy, or
    loss for loss targets); also the fraction of trials that reach the target.
    """
    per: dict[tuple[str, str], list] = defaultdict(list)
    for row in rows:
        per[(row["optimizer"], row["workload"])].append(row)
    acc: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for (opt, wl), rs in per.items():
        t = targets.get(wl, TargetSpec())
        key = "best_eval_accuracy" if t.metric == "eval_accuracy" else "best_eval_loss"
        sign = 1.0 if t.mode == "max" else -1.0
        scores = [sign * (r[key] if not math.isnan(r[key]) else -sign * math.inf) for r in rs]
        scores = [s if math.isfinite(s) else -1e30 for s in scores]
        n = len(scores)
        a = acc[opt]
        a["trials"].append(n)
        for name, k in (("k1", 1), ("k4", min(4, n)), ("kall", n)):
            a[name].append(sign * expected_best(scores, k))
        a["frac_reach_target"].append(
            float(np.mean([math.isfinite(r["time_to_target_s"]) for r in rs]))
        )
    return {o: {k: float(np.mean(v)) for k, v in a.items()} for o, a in acc.items()}
