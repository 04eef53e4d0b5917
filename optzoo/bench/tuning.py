"""Tuning protocols: expand a suite into jobs (workload x optimizer x trial x seed).

* ``defaults``: one trial per optimizer with the hyperparameters the suite gives
  (registry defaults fill the rest) — AlgoPerf's *self-tuning* spirit: no
  per-workload tuning.
* ``grid``: the Cartesian product of the search space (``choice`` lists, or
  ``num`` points spaced uniformly / log-uniformly between the bounds).
* ``random``: ``trials`` draws from the search space (``log_uniform``,
  ``uniform``, ``choice``); the draws depend only on ``tuning.seed`` and the
  optimizer's label, so every workload sees the same points (AlgoPerf's
  *external tuning*: the best trial per workload is reported).
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from optzoo.bench.config import OptimizerSpec, SuiteConfig
from optzoo.bench.workloads import Job

__all__ = ["expand_jobs", "trial_points", "search_space_for", "budget_summary"]


def search_space_for(suite: SuiteConfig, opt: OptimizerSpec) -> dict:
    """The optimizer's own ``search`` if given, else the suite's ``tuning.search_space``."""
    return dict(opt.search) if opt.search else dict(suite.tuning.search_space)


def _normalise(dist: Any) -> tuple[str, Any, int]:
    if isinstance(dist, list):
        return "choice", dist, len(dist)
    kind = next(k for k in dist if k != "num")
    return kind, dist[kind], int(dist.get("num", 5))


def _grid_values(dist: Any) -> list[Any]:
    kind, args, num = _normalise(dist)
    if kind == "choice":
        return list(args)
    lo, hi = float(args[0]), float(args[1])
    if num == 1:
        return [float(np.sqrt(lo * hi)) if kind == "log_uniform" else (lo + hi) / 2]
    if kind == "log_uniform":
        return [float(v) for v in np.geomspace(lo, hi, num)]
    return [float(v) for v in np.linspace(lo, hi, num)]


def _draw(dist: Any, rng: np.random.Generator) -> Any:
    kind, args, _ = _normalise(dist)
    if kind == "choice":
        return args[int(rng.integers(len(args)))]
    lo, hi = float(args[0]), float(args[1])
    if kind == "log_uniform":
        return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    return float(rng.uniform(lo, hi))


def trial_points(
    protocol: str, space: Mapping[str, Any], trials: int, seed: int, label: str
) -> list[dict]:
    """The hyperparameter overrides of each trial of one optimizer."""
    if protocol == "defaults" or not space:
        return [{}]
    keys = sorted(space)
    if protocol == "grid":
        grids = [_grid_values(space[k]) for k in keys]
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grids)]
    rng = np.random.default_rng([seed, zlib.crc32(label.encode())])
    return [{k: _draw(space[k], rng) for k in keys} for _ in range(trials)]


def expand_jobs(suite: SuiteConfig) -> list[Job]:
    """Every job of the suite, ordered seed-major so a partial run covers all optimizers."""
    per_opt = []
    for opt in suite.optimizers:
        space = search_space_for(suite, opt)
        points = trial_points(
            suite.tuning.protocol, space, suite.tuning.trials, suite.tuning.seed, opt.display
        )
        per_opt.append((opt, points))
    jobs = []
    for seed in suite.seeds:
        for workload in suite.workloads:
            for opt, points in per_opt:
                for trial, point in enumerate(points):
                    jobs.append(
                        Job(
                            workload=workload,
                            optimizer=opt.name,
                            label=opt.display,
                            hyperparameters={**opt.hyperparameters, **point},
                            schedule=opt.schedule,
                            seed=seed,
                            trial=trial,
                            strict=suite.strict,
                        )
                    )
    return jobs


def budget_summary(suite: SuiteConfig) -> dict:
    """Protocol and tuning budget, reported with the results."""
    trials = {
        opt.display: len(
            trial_points(
                suite.tuning.protocol,
                search_space_for(suite, opt),
                suite.tuning.trials,
                suite.tuning.seed,
                opt.display,
            )
        )
        for opt in suite.optimizers
    }
    steps = sum(w.steps for w in suite.workloads)
    return {
        "protocol": suite.tuning.protocol,
        "select_by": suite.tuning.select_by,
        "trials_per_optimizer": trials,
        "seeds": list(suite.seeds),
        "workloads": [w.name for w in suite.workloads],
        "steps_per_optimizer": {k: v * steps * len(suite.seeds) for k, v in trials.items()},
        "skipped_optimizers": list(suite.skipped),
        "search_space": {
            opt.display: search_space_for(suite, opt)
            for opt in suite.optimizers
            if suite.tuning.protocol != "defaults"
        },
    }
