"""Statistics over seeds: bootstrap intervals and whether two optimizers can be told apart.

Every number a benchmark table gives is a median over a handful of seeds. This module says
how sure it is:

* :func:`median_interval`: a percentile-bootstrap confidence interval of the median over
  seeds (Efron and Tibshirani, *An Introduction to the Bootstrap*, 1993, chapter 13).
  Seeds that miss the target count as infinitely slow, so an interval may end at ``inf``.
* :func:`score_interval`: the interval of the AlgoPerf integrated score, by resampling every
  (workload, optimizer) cell's seeds and recomputing the whole score each time.
* :func:`indistinguishable`: optimizer pairs whose bootstrap interval of the difference of
  medians contains 0; a report says they are not distinguishable at that level.

With ``n`` seeds the median of a resample can only be one of the seeds' values (odd ``n``)
or a mean of two, so with three seeds an interval is close to ``[min, max]``: the tables say
how many seeds stand behind each interval. Resampling is seeded, so a report is reproducible.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

__all__ = [
    "LEVEL",
    "N_BOOT",
    "median_interval",
    "score_interval",
    "indistinguishable",
]

LEVEL = 0.95
N_BOOT = 2000


def _values(values: Sequence[float]) -> np.ndarray:
    """The finite-or-infinite values (NaN, a metric a failed run lacks, is dropped)."""
    a = np.asarray([np.nan if v is None else v for v in values], dtype=float)
    return a[~np.isnan(a)]


def _resampled_medians(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    idx = rng.integers(0, values.size, size=(n_boot, values.size))
    return np.median(values[idx], axis=1)


def _check_level(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    return (1.0 - level) / 2.0


def _quantiles(samples: np.ndarray, alpha: float) -> tuple[float, float]:
    # No interpolation: an interval ends at a resampled value (and never at inf - inf).
    lo = float(np.quantile(samples, alpha, method="lower"))
    hi = float(np.quantile(samples, 1.0 - alpha, method="higher"))
    return lo, hi


def median_interval(
    values: Sequence[float], level: float = LEVEL, n_boot: int = N_BOOT, seed: int = 0
) -> tuple[float, float]:
    """Percentile-bootstrap interval of the median of ``values`` (``nan, nan`` if none).

    ``inf`` entries (a missed target) are kept: an interval that ends at ``inf`` says some
    resamples have a majority of misses. One value gives ``(v, v)``.
    """
    alpha = _check_level(level)
    v = _values(values)
    if v.size == 0:
        return math.nan, math.nan
    if v.size == 1 or np.all(v == v[0]):
        return float(v[0]), float(v[0])
    return _quantiles(_resampled_medians(v, n_boot, np.random.default_rng(seed)), alpha)


def score_interval(
    cells: Mapping[str, Mapping[str, Sequence[float]]],
    score: Callable[[Mapping[str, Mapping[str, float]]], Mapping[str, float]],
    level: float = LEVEL,
    n_boot: int = 500,
    seed: int = 0,
) -> dict[str, tuple[float, float]]:
    """Interval of a score over workloads (e.g. the integrated score), per optimizer.

    ``cells[optimizer][workload]`` holds the per-seed values (times to target, ``inf`` for
    a miss); ``score`` maps ``{optimizer: {workload: median}}`` to ``{optimizer: score}``.
    Each bootstrap draw resamples the seeds of every cell independently and scores the
    medians; the interval is that of the draws.
    """
    alpha = _check_level(level)
    rng = np.random.default_rng(seed)
    arrays = {o: {w: _values(v) for w, v in per.items()} for o, per in cells.items()}
    draws: dict[str, list[float]] = {o: [] for o in arrays}
    medians = {
        (o, w): _resampled_medians(v, n_boot, rng)
        for o, per in arrays.items()
        for w, v in per.items()
        if v.size
    }
    for b in range(n_boot):
        times = {
            o: {w: float(medians[(o, w)][b]) for w in per if (o, w) in medians}
            for o, per in arrays.items()
        }
        for o, s in score(times).items():
            draws[o].append(s)
    return {o: _quantiles(np.asarray(d), alpha) for o, d in draws.items() if d}


def indistinguishable(
    values: Mapping[str, Sequence[float]],
    level: float = LEVEL,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> list[tuple[str, str]]:
    """Pairs of names whose medians the seeds cannot tell apart at ``level``.

    For each pair, the seeds of each side are resampled independently and the difference of
    the medians is taken (two misses count as equal); the pair is listed when the interval
    of that difference contains 0. Names with a single value are compared as such (an
    interval of one point), so one seed each distinguishes any two different values.
    """
    alpha = _check_level(level)
    rng = np.random.default_rng(seed)
    meds = {
        name: _resampled_medians(v, n_boot, rng)
        for name, v in ((n, _values(v)) for n, v in values.items())
        if v.size
    }
    pairs = []
    for a, b in itertools.combinations(sorted(meds), 2):
        with np.errstate(invalid="ignore"):
            diff = meds[a] - meds[b]
        diff = np.where(np.isnan(diff), 0.0, diff)  # inf - inf: both missed
        lo, hi = _quantiles(diff, alpha)
        if lo <= 0.0 <= hi:
            pairs.append((a, b))
    return pairs
