"""Adapter from a bench :class:`~optzoo.bench.workloads.Job` to ``optzoo.train``.

``workload.engine: train`` runs the job with ``optzoo.train.train_and_evaluate``
(every model and data set of the training engine: LeNet-5, ResNet, RNNs,
transformers ...) in a temporary work directory and reads its outputs back:
``eval.jsonl`` gives the curve, ``metrics.jsonl`` the train losses,
``metrics.json`` the totals.

Timings are measured by the engine: each ``eval.jsonl`` row carries
``wall_time_s`` (training time so far, from before the first step's compilation,
evaluation excluded) and ``metrics.json`` the total ``train_time_s`` and
``compile_time_s`` (the first step's call) (``metrics["timing"] == "measured"``).
The engine does not block on every step, so ``median_step_time_s`` is the mean
time of the steps after the first, ``(train_time - compile_time) / (steps - 1)``.
With an engine that lacks these records the curve's wall times are the run's
wall time scaled by ``step / steps`` (``timing == "interpolated"``).
"""

from __future__ import annotations

import json
import pathlib
import tempfile
from typing import Any

from optzoo.bench.config import ConfigError, WorkloadSpec

__all__ = ["engine_config", "check_workload", "run_job_engine"]


def _schedule(job: Any, lr: float) -> dict:
    s = job.schedule
    if s.name == "step":
        raise ConfigError("schedule 'step' is not available with engine: train")
    return {
        "name": s.name,
        "warmup_steps": s.warmup_steps,
        "decay_steps": s.decay_steps,
        "end_value": s.end_value * lr,  # the engine's end value is absolute
        "decay_rate": s.decay_rate,
    }


def engine_config(job: Any) -> dict:
    """The ``optzoo.train`` config mapping of a bench job."""
    from optzoo.bench.workloads import resolved_hyperparameters

    w: WorkloadSpec = job.workload
    hp = dict(job.hyperparameters)
    lr = hp.pop("learning_rate", resolved_hyperparameters(job).get("learning_rate", 1e-3))
    model = {"name": w.model.name, **w.model.options}
    if w.model.name == "mlp":
        model.update(width=w.model.width, depth=w.model.depth, activation=w.model.activation)
    data: dict[str, Any] = {"name": w.data.name, "options": dict(w.data.options)}
    if w.data.path:
        data["path"] = w.data.path
    config = {
        "model": model,
        "data": data,
        "optimizer": {
            "name": job.optimizer,
            "learning_rate": float(lr),
            "hyperparameters": hp,
            "schedule": _schedule(job, float(lr)),
        },
        "train": {
            "steps": w.steps,
            "batch_size": w.batch_size,
            "eval_every": w.eval_every,
            "log_every": max(1, min(w.eval_every, 50)),
            "on_nonfinite": "stop",
            "quiet": True,
        },
        "seed": job.seed,
    }
    return _merge(config, w.engine_options)


def _merge(base: dict, extra: dict) -> dict:
    """``base`` with ``extra`` merged in, recursively for nested mappings."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def check_workload(path: str, w: WorkloadSpec) -> None:
    """Validates a workload against the engine's own config schema."""
    try:
        from optzoo.train import ConfigError as EngineError
        from optzoo.train import load_config
    except ImportError:
        raise ConfigError(
            f"{path}.engine: 'train' needs optzoo.train, which this checkout lacks"
        ) from None
    from optzoo.bench.config import ScheduleSpec
    from optzoo.bench.workloads import Job

    job = Job(w, "sgd", "sgd", {"learning_rate": 0.1}, ScheduleSpec(), 0)
    try:
        load_config(engine_config(job))
    except EngineError as e:
        raise ConfigError(f"{path} (engine: train): {e}") from None


def _jsonl(path: pathlib.Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def run_job_engine(job: Any, progress: Any = None) -> Any:
    """Runs ``job`` with ``optzoo.train.train_and_evaluate``; see the module docstring."""
    from optzoo.bench.metrics import RUN_EXTRAS, run_metrics
    from optzoo.bench.workloads import JobResult
    from optzoo.train import train_and_evaluate

    w = job.workload
    with tempfile.TemporaryDirectory(prefix="optzoo-bench-") as tmp:
        out = train_and_evaluate(engine_config(job), tmp)
        evals = _jsonl(pathlib.Path(tmp) / "eval.jsonl")
        steps = _jsonl(pathlib.Path(tmp) / "metrics.jsonl")
    last = int(out["steps"]) or 1
    wall = float(out.get("train_time_s", out["wall_time_s"]))
    measured = bool(evals) and all("wall_time_s" in e for e in evals)
    curve, i, window = [], 0, []
    nan = float("nan")
    for e in evals:
        while i < len(steps) and steps[i]["step"] <= e["step"]:
            if not steps[i].get("skipped"):
                window.append(steps[i]["loss"])
            i += 1
        train_loss = sum(window) / len(window) if window else nan
        window = []
        acc = e.get("eval_accuracy")
        row = (
            int(e["step"]),
            float(e["wall_time_s"]) if measured else wall * e["step"] / last,
            train_loss,
            e["eval_loss"],
            nan if acc is None else acc,
        )
        curve.append(row)
        if progress is not None:
            progress(row[0], w.steps, train_loss)
    diverged = str(out.get("stop_reason", "")).startswith("non-finite")
    if diverged:
        curve = [r for r in curve if r[0] < last]  # the engine evaluates the diverged state
        curve.append((last, wall, nan, nan, nan))
    elif not curve or curve[-1][0] != last:
        acc = out.get("final_eval_accuracy")
        loss = out.get("final_train_loss")
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
    step_s = None
    if measured and compile_s is not None and last > 1:
        step_s = max(wall - float(compile_s), 0.0) / (last - 1)
    result.metrics.update(
        timing="measured" if measured else "interpolated",
        compile_time_s=compile_s,
        median_step_time_s=step_s,
        engine="train",
        stop_reason=out.get("stop_reason"),
    )
    return result
