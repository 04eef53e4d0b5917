"""The benchmark's timing rules as options of the training loop.

``optzoo bench`` measures every run with the training engine; these
``train`` keys make the loop measure what a benchmark needs (AlgoPerf, Dahl et
al. 2023, https://arxiv.org/abs/2306.07179):

* ``time_steps``: wait for every step to finish and record its time; the loop's
  training clock (started before the first step, so compilation counts towards
  time-to-target; evaluation excluded) then matches the work done. Metrics:
  ``median_step_time_s`` and ``p90_step_time_s`` over the steps after the first
  (the first call compiles and is ``compile_time_s``).
* ``divergence_factor`` (> 0): stop, with a ``stop_reason`` starting
  ``diverged``, when a step's training loss exceeds that factor times the first
  step's loss (the loss at the initial parameters on the first batch).
* ``max_seconds`` (> 0): stop once the training time exceeds the budget.
* ``eval_at_start``: evaluate the initial parameters (an ``eval.jsonl`` row at
  step 0) before training.

Either stop check waits for the step's loss, so it implies per-step waiting.
"""

from __future__ import annotations

import math
import time
from typing import Any

import jax
import numpy as np

from optzoo.train.config import TrainConfig

__all__ = ["StepClock"]


class StepClock:
    """Per-step waiting, step times and the budget/divergence stops of one run."""

    def __init__(self, cfg: TrainConfig):
        self.cfg = cfg
        self.sync = cfg.time_steps or cfg.max_seconds > 0 or cfg.divergence_factor > 0
        self.calls = 0
        self.times: list[float] = []
        self.first_loss: float | None = None
        self.loss: float | None = None

    def step_done(self, metrics: dict[str, Any], t_start: float) -> None:
        """Called right after a step is dispatched (``t_start``: before it)."""
        if not self.sync:
            return
        self.loss = float(jax.device_get(metrics["loss"]))  # waits for the step
        self.calls += 1
        if self.calls > 1:  # the first call compiles
            self.times.append(time.perf_counter() - t_start)

    def stop_reason(self, step: int, train_time_s: float) -> str | None:
        """Why the run must stop after ``step`` (``None``: go on)."""
        cfg, loss = self.cfg, self.loss
        if cfg.divergence_factor > 0 and loss is not None and math.isfinite(loss):
            if self.first_loss is None:
                self.first_loss = loss
            elif loss > cfg.divergence_factor * self.first_loss:
                return (
                    f"diverged at step {step}: loss {loss:.4g} > {cfg.divergence_factor:g} x "
                    f"initial loss {self.first_loss:.4g}"
                )
        if cfg.max_seconds > 0 and train_time_s > cfg.max_seconds:
            return f"time budget of {cfg.max_seconds:g} s reached at step {step}"
        return None

    def report(self) -> dict[str, Any]:
        """Step-time metrics for ``metrics.json`` (empty unless steps were timed)."""
        if not self.sync:
            return {}
        t = np.asarray(self.times)
        return {
            "median_step_time_s": float(np.median(t)) if t.size else None,
            "p90_step_time_s": float(np.percentile(t, 90)) if t.size else None,
            "timed_steps": int(t.size),
        }
