"""Jobs of a suite and the job adapter: ``run_job(job) -> JobResult``.

A job is one (workload, optimizer, hyperparameters, schedule, seed).
``run_job`` trains it with the training engine,
``optzoo.train.train_and_evaluate``, on the config
:func:`optzoo.bench.config.engine_config` builds (every model and data set of
the engine), in a temporary work directory, and reads the engine's outputs
back: ``eval.jsonl`` gives the curve, ``metrics.jsonl`` the train losses,
``metrics.json`` the totals. The bench has no trainer of its own.

Timing follows AlgoPerf, as options of the engine (``optzoo.train.timing``):
the clock starts before the first step's compilation, so compile time counts
towards time-to-target; evaluation time does not. Each ``eval.jsonl`` row
carries the training time so far (``wall_time_s``); every step is waited for
and timed (``median_step_time_s``, ``p90_step_time_s`` over the steps after the
first, which compiles: ``compile_time_s``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import pathlib
import tempfile
import traceback
from collections.abc import Callable

from optzoo.bench.config import ScheduleSpec, WorkloadSpec, engine_config
from optzoo.bench.config import resolved_hyperparameters as _resolved
from optzoo.bench.metrics import RUN_EXTRAS, run_metrics

__all__ = ["Job", "JobResult", "run_job", "job_config", "resolved_hyperparameters", "BENCH_VERSION"]

# Bump when a change to the trainer makes old results incomparable (changes every hash).
# 2: every workload runs on optzoo.train (the bench's own MLP trainer is gone).
BENCH_VERSION = 2

CurveRow = tuple[int, float, float, float, float]  # step, wall s, train loss, eval loss, eval acc


@dataclasses.dataclass(frozen=True)
class Job:
    """One training run of the suite."""

    workload: WorkloadSpec
    optimizer: str  # registry name
    label: str  # display name in reports
    hyperparameters: dict
    schedule: ScheduleSpec
    seed: int
    trial: int = 0
    strict: bool = True  # optzoo.checked around the optimizer; not part of the result's spec

    def spec(self) -> dict:
        """Everything that determines the result (the trial index does not)."""
        return {
            "bench_version": BENCH_VERSION,
            "workload": dataclasses.asdict(self.workload),
            "optimizer": self.optimizer,
            "label": self.label,
            "hyperparameters": self.hyperparameters,
            "schedule": dataclasses.asdict(self.schedule),
            "seed": self.seed,
        }

    @property
    def config_hash(self) -> str:
        blob = json.dumps(self.spec(), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    @property
    def title(self) -> str:
        return f"{self.workload.name}/{self.label} t{self.trial} s{self.seed}"


@dataclasses.dataclass
class JobResult:
    """Outcome of one run. ``status``: ok | diverged | failed."""

    status: str
    metrics: dict = dataclasses.field(default_factory=dict)
    curve: list[CurveRow] = dataclasses.field(default_factory=list)
    compile_time_s: float = 0.0
    step_times: list[float] = dataclasses.field(default_factory=list)
    state_bytes: int = 0
    error: str = ""
    # Measured per-run numbers merged into ``metrics`` (see ``metrics.RUN_EXTRAS``).
    extra: dict = dataclasses.field(default_factory=dict)


def resolved_hyperparameters(job: Job) -> dict:
    """Registry defaults overlaid with the job's hyperparameters (JSON-able values only)."""
    return _resolved(job.optimizer, job.hyperparameters)


def job_config(job: Job) -> dict:
    """The ``optzoo.train`` config mapping of ``job``."""
    return engine_config(
        job.workload, job.optimizer, job.hyperparameters, job.schedule, job.seed, job.strict
    )


Progress = Callable[[int, int, float], None]  # (step, total steps, loss)


def run_job(job: Job, progress: Progress | None = None) -> JobResult:
    """Trains one job with ``optzoo.train``; never raises for a failing run.

    A run that raises is a result with status ``failed`` and the error.
    ``progress(step, total, train_loss)`` is called at every evaluation.
    """
    try:
        return _run(job, progress)
    except Exception as e:  # noqa: BLE001 - a failing run is a result, not a crash
        tb = traceback.format_exc(limit=6)
        return JobResult(status="failed", error=f"{type(e).__name__}: {e}\n{tb}")


def _jsonl(path: pathlib.Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _run(job: Job, progress: Progress | None) -> JobResult:
    from optzoo.train import train_and_evaluate

    w = job.workload
    nan = float("nan")

    def on_eval(row: dict) -> None:
        if progress is not None:
            loss = row.get("train_loss")
            progress(int(row["step"]), w.steps, nan if loss is None else float(loss))

    with tempfile.TemporaryDirectory(prefix="optzoo-bench-") as tmp:
        out = train_and_evaluate(job_config(job), tmp, on_eval=on_eval)
        evals = _jsonl(pathlib.Path(tmp) / "eval.jsonl")
        steps = _jsonl(pathlib.Path(tmp) / "metrics.jsonl")
    last = int(out["steps"]) or 1
    wall = float(out.get("train_time_s", out["wall_time_s"]))
    curve = _curve(evals, steps)
    stop = str(out.get("stop_reason", ""))
    diverged = stop.startswith(("non-finite", "diverged"))
    if diverged:
        # The engine evaluates the state it stopped with; a diverged run has no such point.
        curve = [r for r in curve if r[0] < last]
        loss = steps[-1]["loss"] if steps and stop.startswith("diverged") else nan
        curve.append((last, wall, loss, nan, nan))
    elif not curve or curve[-1][0] != last:
        acc, loss = out.get("final_eval_accuracy"), out.get("final_train_loss")
        curve.append(
            (
                last,
                wall,
                nan if loss is None else loss,
                out["final_eval_loss"],
                nan if acc is None else acc,
            )
        )
    compile_s = out.get("compile_time_s")
    extra = {k: out.get(k) for k in RUN_EXTRAS}
    mem = [out.get(f"compiled_{k}_size_in_bytes") for k in ("argument", "output", "temp")]
    if all(isinstance(v, int) for v in mem):
        alias = int(out.get("compiled_alias_size_in_bytes") or 0)
        extra["step_memory_bytes"] = sum(int(v) for v in mem if v is not None) - alias
    if diverged:
        extra["final_train_accuracy"] = None
    result = JobResult(
        status="diverged" if diverged else "ok",
        curve=curve,
        compile_time_s=float(compile_s or 0.0),
        state_bytes=int(out.get("optimizer_state_bytes_per_device") or 0),
        extra=extra,
    )
    result.metrics = run_metrics(result, w.target)
    median, p90 = out.get("median_step_time_s"), out.get("p90_step_time_s")
    if median is None and compile_s is not None and last > 1:  # steps were not waited for
        median = max(wall - float(compile_s), 0.0) / (last - 1)
    result.metrics.update(
        compile_time_s=compile_s,
        median_step_time_s=median,
        p90_step_time_s=p90,
        stop_reason=out.get("stop_reason"),
    )
    return result


def _curve(evals: list[dict], steps: list[dict]) -> list[CurveRow]:
    """Curve rows from the engine's evaluations and per-step losses.

    The train loss of a row is the mean loss of the steps since the previous
    evaluation; at step 0 it is the first step's loss (the loss of the initial
    parameters on the first batch).
    """
    nan = float("nan")
    curve: list[CurveRow] = []
    i, window = 0, []
    for e in evals:
        while i < len(steps) and steps[i]["step"] <= e["step"]:
            if not steps[i].get("skipped"):
                window.append(steps[i]["loss"])
            i += 1
        if e["step"] == 0 and steps and not steps[0].get("skipped"):
            window = [steps[0]["loss"]]
        train_loss = sum(window) / len(window) if window else nan
        window = []
        acc = e.get("eval_accuracy")
        curve.append(
            (
                int(e["step"]),
                float(e["wall_time_s"]),
                train_loss,
                e["eval_loss"],
                nan if acc is None or not math.isfinite(acc) else acc,
            )
        )
    return curve
