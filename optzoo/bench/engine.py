"""Adapter from a bench :class:`~optzoo.bench.workloads.Job` to ``optzoo.train``.

``workload.engine: train`` runs the job with ``optzoo.train.train_and_evaluate``
(every model and data set of the training engine: LeNet-5, ResNet, RNNs,
transformers ...) in a temporary work directory and reads its outputs back:
``eval.jsonl`` gives the curve, ``metrics.jsonl`` the train losses,
``metrics.json`` the totals.

The engine records one wall time for the whole run, not per evaluation, and no
compile or per-step times; so here the wall time of each curve row is the run's
wall time scaled by ``step / steps`` (``metrics["timing"] == "interpolated"``),
and compile and step times are left empty. The builtin trainer measures them.
If the engine's ``eval.jsonl`` rows carry ``wall_time_s`` (training time so far)
and ``metrics.json`` a ``compile_time_s``, those are used instead
(``timing == "measured"``).
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
    from optzoo.bench.metrics import run_metrics
    from optzoo.bench.workloads import JobResult
    from optzoo.train import train_and_evaluate

    w = job.workload
    with tempfile.TemporaryDirectory(prefix="optzoo-bench-") as tmp:
        out = train_and_evaluate(engine_config(job), tmp)
        evals = _jsonl(pathlib.Path(tmp) / "eval.jsonl")
        steps = _jsonl(pathlib.Path(tmp) / "metrics.jsonl")
    last = int(out["steps"]) or 1
    wall = float(out["wall_time_s"])
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
            wall * e["step"] / last,
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
    result = JobResult(
        status="diverged" if diverged else "ok",
        curve=curve,
        state_bytes=int(out.get("optimizer_state_bytes_per_device") or 0),
    )
    result.metrics = run_metrics(result, w.target)
    measured = bool(evals) and all("wall_time_s" in e for e in evals)
    result.compile_time_s = float(out.get("compile_time_s") or 0.0)
    result.metrics.update(
        timing="measured" if measured else "interpolated",
        compile_time_s=out.get("compile_time_s"),
        engine="train",
        stop_reason=out.get("stop_reason"),
    )
    return result
