"""``train_and_evaluate(config, workdir)``: the training loop and its outputs."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pathlib
import shutil
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from optzoo.data import Dataset, eval_batches, get_batch, load_dataset, steps_per_epoch
from optzoo.train import checkpoint as ckpt
from optzoo.train.config import Config, ConfigError, RunMismatchError, load_config, to_dict
from optzoo.train.diagnostics import HessianHook, check_gradients, summarize
from optzoo.train.distributed import initialize
from optzoo.train.optim import build_optimizer, optimizer_needs
from optzoo.train.parallel import Runner, hlo_collective_bytes, tree_bytes_per_device
from optzoo.train.progress import Progress
from optzoo.train.state import create_train_state, model_from_config
from optzoo.train.steps import StepOptions, eval_step
from optzoo.train.timing import StepClock

__all__ = [
    "MARKER",
    "RunMismatchError",
    "check_workdir",
    "checkpoint_interval",
    "evaluate",
    "prepare_workdir",
    "train_and_evaluate",
]

MARKER = ".optzoo"


def prepare_workdir(workdir: str | os.PathLike, force: bool = False) -> pathlib.Path:
    """Creates ``workdir``; refuses a non-empty directory optzoo did not make unless ``force``."""
    path = pathlib.Path(workdir)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--out {path}: exists and is not a directory")
    if path.is_dir() and any(path.iterdir()) and not (path / MARKER).exists() and not force:
        raise ConfigError(
            f"--out {path}: a non-empty directory optzoo did not create; "
            "pass --force to write into it"
        )
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text("optzoo training output\n")
    return path


def _load_data(config: Config) -> Dataset:
    try:
        return load_dataset(config.data.name, config.data.path or None, **config.data.options)
    except TypeError as e:
        raise ConfigError(f"data.options: {e}") from None
    except (FileNotFoundError, ValueError) as e:
        raise ConfigError(f"data: {e}") from None


def _devices(config: Config) -> list[Any]:
    p = config.parallel
    devs = jax.devices()
    if p.strategy == "single":
        return devs[:1]
    n = p.devices or len(devs)
    if n > len(devs):
        raise ConfigError(f"parallel.devices: {n} requested but only {len(devs)} available")
    return devs[:n]


def evaluate(
    apply_fn: Any,
    params: Any,
    batch_stats: Any,
    split: dict[str, np.ndarray],
    opts: StepOptions,
    batch_size: int,
    cache: dict | None = None,
) -> dict[str, float | None]:
    """Mean loss and accuracy (``None`` for regression) over a whole split."""
    cache = {} if cache is None else cache
    fn = cache.setdefault("eval", jax.jit(lambda p, s, b: eval_step(apply_fn, p, s, b, opts)))
    sums = np.zeros(3)
    for b in eval_batches(split, batch_size):
        out = jax.device_get(fn(params, batch_stats, b))
        sums += [out["loss_sum"], out["correct_sum"], out["count"]]
    loss, correct, count = sums
    acc = None if opts.task == "regression" else float(correct / count)
    return {"eval_loss": float(loss / count), "eval_accuracy": acc}


def _parse_row(line: str) -> dict | None:
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        return None
    return row if isinstance(row, dict) and isinstance(row.get("step"), int) else None


def _truncate_jsonl(path: pathlib.Path, last_step: int, keep_last: bool = True) -> None:
    """Drops rows past ``last_step`` (and at it unless ``keep_last``) and torn lines.

    A run killed mid-way left rows the resumed run writes again, and possibly a
    torn last line; the file is rewritten atomically with only the rows to keep.
    """
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8", errors="replace")
    keep = []
    for line in text.splitlines():
        row = _parse_row(line) if line.strip() else None
        if row is None:
            continue
        if row["step"] < last_step or (keep_last and row["step"] == last_step):
            keep.append(line)
    new = "".join(ln + "\n" for ln in keep)
    if new != text:
        ckpt.atomic_write_text(path, new)


class _Writer:
    """Appends JSON rows, each with a single ``write`` on an ``O_APPEND`` descriptor.

    A process killed at any moment therefore leaves whole rows only (a torn row
    needs a torn system call); resuming drops the rows past the checkpoint. With
    ``tensorboard`` the scalars also go to TensorBoard event files in ``DIR/tensorboard``.
    """

    def __init__(self, workdir: pathlib.Path, enabled: bool, tensorboard: bool = False):
        self.workdir, self.enabled = workdir, enabled
        self.tb = open_tensorboard(workdir / "tensorboard") if enabled and tensorboard else None

    def row(self, name: str, row: dict) -> None:
        if not self.enabled:
            return
        data = (json.dumps(row) + "\n").encode("utf-8")
        fd = os.open(self.workdir / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)

    def scalars(self, step: int, values: dict[str, float | None]) -> None:
        if self.tb is not None:
            for tag, value in values.items():
                if value is not None:
                    self.tb.add_scalar(tag, value, step)

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()


def open_tensorboard(logdir: pathlib.Path) -> Any:
    """A ``tensorboardX.SummaryWriter`` on ``logdir``; a :class:`ConfigError` naming the extra
    to install when tensorboardX is missing."""
    return _summary_writer_class()(str(logdir))


def _summary_writer_class() -> Any:
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ConfigError(
            "train.log: tensorboard needs tensorboardX; pip install 'optzoo[tensorboard]'"
        ) from None
    return SummaryWriter


# Keys that may change between a run and its resumption: length, logging, checkpoints,
# diagnostics, early stopping and how the same computation is laid out on devices.
RESUMABLE_KEYS = (
    "train.steps",
    "train.epochs",
    "train.quiet",
    "train.log",
    "train.log_every",
    "train.eval_every",
    "train.eval_batch_size",
    "train.checkpoint_every",
    "optimizer.strict",
    "train.keep_checkpoints",
    "train.diagnostics_every",
    "train.vanish_threshold",
    "train.explode_threshold",
    "train.early_stopping",
    "train.on_nonfinite",
    "parallel.",
)
_RESULTS = ("metrics.json", "metrics.jsonl", "eval.jsonl", "diagnostics.jsonl", "config.json")


def check_workdir(workdir: pathlib.Path, config: Config, force: bool = False) -> None:
    """Refuses a ``workdir`` holding a run of another config, before anything is written.

    A run whose config differs only in :data:`RESUMABLE_KEYS` (say, more steps) is
    resumed. With ``force`` the other run's results and checkpoints are removed and
    the job starts over in ``workdir``.
    """
    saved = workdir / "config.json"
    if not (workdir / MARKER).exists() or not saved.is_file():
        return
    try:
        old = json.loads(saved.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return  # unreadable: the checkpoints' own config check still warns
    if not isinstance(old, dict):
        return
    changed = ckpt.config_changes(old, to_dict(config), ignore=RESUMABLE_KEYS)
    if not changed:
        return
    if not force:
        raise RunMismatchError(
            f"--out {workdir} holds a run of another config ({'; '.join(changed)}); "
            "pass --force to start over in it, or choose another --out"
        )
    for name in _RESULTS:
        (workdir / name).unlink(missing_ok=True)
    shutil.rmtree(workdir / "checkpoints", ignore_errors=True)
    shutil.rmtree(workdir / "tensorboard", ignore_errors=True)


@dataclasses.dataclass
class _Job:
    """Everything built from a config before anything is written: a bad config fails here."""

    config: Config
    data: Dataset
    train_split: dict[str, np.ndarray]
    test_split: dict[str, np.ndarray]
    per_epoch: int
    total: int
    checkpoint_every: int
    devices: list[Any]
    opts: StepOptions
    state: Any


def checkpoint_interval(every: int, total: int) -> int:
    """``train.checkpoint_every`` resolved: -1 (the default) is every 10% of ``total`` steps."""
    return max(1, total // 10) if every < 0 else every


def _prepare(config: Config) -> _Job:
    """Loads the data, checks the batch layout, builds the model, optimizer and state."""
    t, p = config.train, config.parallel
    if t.log == "tensorboard":
        _summary_writer_class()  # a missing extra is a bad config: nothing written yet
    data = _load_data(config)
    train_split, test_split = data.split("train"), data.split("test")
    per_epoch = steps_per_epoch(len(train_split["x"]), t.batch_size)
    total = t.steps or max(1, math.ceil(t.epochs * per_epoch))
    devices = _devices(config)
    if t.batch_size % len(devices):
        raise ConfigError(
            f"train.batch_size {t.batch_size} must divide over {len(devices)} devices"
        )
    per_device = t.batch_size // (len(devices) if p.strategy in ("pmap", "shard_map") else 1)
    if per_device % config.optimizer.accumulate_steps:
        raise ConfigError("optimizer.accumulate_steps must divide the per-device batch")
    model = model_from_config(config.model, data)
    tx = build_optimizer(config.optimizer, total)
    state = create_train_state(model, tx, train_split["x"][:1], config.seed)
    opts = StepOptions(
        task=data.task,
        precision=config.precision,
        accumulate_steps=config.optimizer.accumulate_steps,
        l1=config.optimizer.l1,
        l2=config.optimizer.l2,
        needs=optimizer_needs(config.optimizer),
    )
    every = checkpoint_interval(t.checkpoint_every, total)
    return _Job(
        config, data, train_split, test_split, per_epoch, total, every, devices, opts, state
    )


def _restore(
    job: _Job, workdir: pathlib.Path, lead: bool, restart_on_bad_checkpoint: bool
) -> tuple[Any, dict[str, Any], int]:
    """The state, loop counters and step to start from: the newest good checkpoint's, or new."""
    meta: dict[str, Any] = {
        "best_eval_loss": None,
        "bad_evals": 0,
        "skipped_steps": 0,
        "wall_time_s": 0.0,
        "last_train_loss": None,
        "last_eval": None,
    }
    state, start = job.state, 0
    try:
        restored = ckpt.restore_latest(workdir, state, move_bad=lead)
    except ckpt.CheckpointError:
        if not restart_on_bad_checkpoint:
            raise
        for bad in ckpt.list_checkpoints(workdir) if lead else []:
            ckpt.quarantine(bad)
        restored = None
    new_config = to_dict(job.config)
    if restored is not None:
        state, meta, where = restored
        start = int(meta["step"])
        if lead and not job.config.train.quiet:
            print(f"resuming from step {start} ({where})", file=sys.stderr, flush=True)
        changed = ckpt.config_changes(meta.get("config") or {}, new_config)
        if "config" in meta and changed and lead:
            warnings.warn(
                f"resuming from {where} written with another config ({'; '.join(changed)})",
                ckpt.CheckpointWarning,
                stacklevel=3,
            )
    meta["config"] = new_config
    return state, meta, start


def _open_outputs(workdir: pathlib.Path, config: Config, meta: dict, start: int) -> None:
    """Writes ``config.json`` and drops rows past the step the run starts from."""
    ckpt.atomic_write_text(workdir / "config.json", json.dumps(to_dict(config), indent=1))
    last_eval = meta.get("last_eval") or {}
    for name in ("metrics.jsonl", "diagnostics.jsonl"):
        _truncate_jsonl(workdir / name, start)
    # An evaluation at the checkpoint's step is kept only if the checkpoint saw it.
    _truncate_jsonl(workdir / "eval.jsonl", start, keep_last=last_eval.get("step") == start)


def train_and_evaluate(
    config: Config | dict | str | os.PathLike,
    workdir: str | os.PathLike,
    hessian_fn: HessianHook | None = None,
    *,
    restart_on_bad_checkpoint: bool = False,
    force: bool = False,
    on_eval: Callable[[dict], None] | None = None,
) -> dict[str, Any]:
    """Trains the model a config describes, evaluates it, writes results to ``workdir``.

    Resumes from the newest checkpoint in ``workdir`` if there is one. Writes
    ``metrics.json`` (final numbers), ``metrics.jsonl`` (every step),
    ``eval.jsonl``, ``diagnostics.jsonl`` (with ``train.diagnostics_every``) and
    ``checkpoints/`` (every 10% of the run and at its end by default).

    Args:
      config: a :class:`Config`, a mapping, or a YAML path.
      workdir: output directory (created once the config is known to be good).
      hessian_fn: optional ``(params, batch) -> float`` called every
        ``train.diagnostics_every`` steps (top Hessian eigenvalue tracking).
      restart_on_bad_checkpoint: when ``workdir`` holds checkpoints and none of
        them loads, move them aside (``checkpoints/corrupt_step_N``) and train
        from step 0 instead of raising :class:`~optzoo.train.checkpoint.CheckpointError`.
        A damaged newest checkpoint with a good older one never needs this:
        the run resumes from the older one with a warning.
      force: write into a non-empty directory optzoo did not create, and start
        over in a directory that holds a run of another config (its results are
        removed) instead of raising :class:`RunMismatchError`.
      on_eval: optional callback given each evaluation's ``eval.jsonl`` row plus
        ``train_loss`` (the latest training loss) as it is written.

    Returns:
      The ``metrics.json`` record.
    """
    if not isinstance(config, Config):
        config = load_config(config)
    p = config.parallel
    initialize(p.coordinator, p.num_processes, p.process_id)
    t_start = time.perf_counter()
    workdir = pathlib.Path(workdir)
    lead = jax.process_index() == 0
    job = _prepare(config)
    if lead:
        check_workdir(workdir, config, force=force)
        prepare_workdir(workdir, force=force)
    state, meta, start = _restore(job, workdir, lead, restart_on_bad_checkpoint)
    if lead:  # rows past the checkpoint (or of a run without one) are redone
        _open_outputs(workdir, config, meta, start)
    loop = _Loop(job, workdir, state, meta, lead, hessian_fn, t_start, on_eval)
    try:
        loop.run(start)
        final, train_eval, train_time = loop.final_evaluation()
        return loop.report(start, final, train_eval, train_time)
    finally:
        loop.writer.close()


class _Loop:
    """The training loop of one job: steps, rows, evaluations, checkpoints, final report."""

    def __init__(
        self,
        job: _Job,
        workdir: pathlib.Path,
        state: Any,
        meta: dict[str, Any],
        lead: bool,
        hessian_fn: HessianHook | None,
        t_start: float,
        on_eval: Callable[[dict], None] | None = None,
    ):
        p, t = job.config.parallel, job.config.train
        self.job, self.workdir, self.meta, self.lead, self.hessian_fn = (
            job,
            workdir,
            meta,
            lead,
            hessian_fn,
        )
        self.runner = Runner(p.strategy, job.devices, job.opts, zero1=p.zero1)
        self.state = self.runner.put_state(state)
        self.writer = _Writer(workdir, lead, tensorboard=t.log == "tensorboard")
        self.eval_cache: dict = {}
        self.comm: dict[str, Any] = {}
        self.pending: list[tuple[int, Any]] = []
        self.stop_reason = "completed"
        self.step = 0
        self.bar: Progress | None = None
        # Training time (bench timings): from the first step, compile included, evaluation
        # and checkpoint writes excluded.
        self.clock = {"t0": 0.0, "base": meta["wall_time_s"], "paused": 0.0, "compile": None}
        self.t_segment = t_start  # wall time is saved with every checkpoint
        self.timer = StepClock(t)  # the benchmark's timing rules (train.time_steps, max_seconds)
        self.on_eval = on_eval

    def run(self, start: int) -> None:
        """Steps from ``start`` to the end of the run (or an early stop)."""
        job, t = self.job, self.job.config.train
        self.step = start
        self.clock["t0"] = time.perf_counter()
        self.bar = Progress(job.total, start, quiet=t.quiet or not self.lead)
        rng0 = jax.random.key(job.config.seed + 1)
        pid, nproc = jax.process_index(), jax.process_count()
        with self.bar:
            if t.eval_at_start and self.step == 0:
                self.evaluate_at(0)
            while self.step < job.total:
                local = get_batch(
                    job.train_split,
                    t.batch_size,
                    self.step,
                    job.config.seed,
                    pid,
                    nproc,
                    augment=job.data.augment,
                )
                diag = bool(t.diagnostics_every) and (self.step + 1) % t.diagnostics_every == 0
                if diag and self.hessian_fn is not None:
                    params, _ = self.runner.eval_params(self.state, averaged=False)
                    eig = float(self.hessian_fn(params, local))
                    row = {"step": self.step + 1, "top_hessian_eigenvalue": eig}
                    self.writer.row("diagnostics.jsonl", row)
                rng = jax.random.fold_in(rng0, self.step)
                self._one_step(self.runner.put_batch(local), rng, diag)
                if self.stop_reason != "completed":
                    break
            self.flush()

    def _one_step(self, batch: Any, rng: Any, diag: bool) -> None:
        """One training step, then the rows, evaluation and checkpoint due after it."""
        job, t = self.job, self.job.config.train
        t_step = time.perf_counter()
        self.state, metrics = self.runner.step(self.state, batch, rng, diagnostics=diag)
        self.timer.step_done(metrics, t_step)
        if self.clock["compile"] is None:
            self.clock["compile"] = time.perf_counter() - t_step  # the first call compiles
        if not self.comm:
            self.comm = _comm_report(self.runner, self.state)
        self.step += 1
        step = self.step
        self.pending.append((step, metrics))
        # Rows up to a checkpoint reach the disk before it, so that a crash after it loses
        # none and the counters it saves (skipped steps, last loss) include them.
        every = job.checkpoint_every
        at_checkpoint = bool(every) and (step % every == 0 or step == job.total)
        if step % t.log_every == 0 or step == job.total or diag or at_checkpoint:
            reason = self.flush()
            if reason:
                self.stop_reason = reason
                return
        now = self.clock["base"] + time.perf_counter() - self.clock["t0"] - self.clock["paused"]
        self.stop_reason = self.timer.stop_reason(step, now) or self.stop_reason
        if self.stop_reason.startswith("diverged"):
            return
        if t.eval_every and step % t.eval_every == 0:
            self._periodic_eval(step)
        if at_checkpoint:
            self._checkpoint(step)

    def _periodic_eval(self, step: int) -> None:
        t, meta = self.job.config.train, self.meta
        res = self.evaluate_at(step)
        best = meta["best_eval_loss"]
        if best is None or res["eval_loss"] < best - t.early_stopping_min_delta:
            meta["best_eval_loss"], meta["bad_evals"] = res["eval_loss"], 0
        else:
            meta["bad_evals"] += 1
        if t.early_stopping_patience and meta["bad_evals"] >= t.early_stopping_patience:
            self.stop_reason = f"early stopping at step {step}"

    def _checkpoint(self, step: int) -> None:
        t_save = time.perf_counter()
        host = self.runner.host_state(self.state)
        self.meta["wall_time_s"] += t_save - self.t_segment
        self.t_segment = t_save
        if self.lead:
            keep = self.job.config.train.keep_checkpoints
            ckpt.save_checkpoint(self.workdir, host, step, self.meta, keep)
        self.clock["paused"] += time.perf_counter() - t_save

    def evaluate_at(self, at: int) -> dict[str, float | None]:
        """Evaluates on the test split; writes an ``eval.jsonl`` row."""
        job, t_eval = self.job, time.perf_counter()
        train_s = self.clock["base"] + t_eval - self.clock["t0"] - self.clock["paused"]
        params, stats = self.runner.eval_params(self.state)
        bs = job.config.train.eval_batch_size
        res = evaluate(
            self.state.apply_fn, params, stats, job.test_split, job.opts, bs, self.eval_cache
        )
        self.clock["paused"] += time.perf_counter() - t_eval
        self.writer.row("eval.jsonl", {"step": at, **res, "wall_time_s": train_s})
        self.writer.scalars(at, {f"eval/{k[5:]}": v for k, v in res.items()})
        self.meta["last_eval"] = {"step": at, **res}
        if self.on_eval is not None:
            train_loss = self.meta["last_train_loss"]
            self.on_eval({"step": at, **res, "wall_time_s": train_s, "train_loss": train_loss})
        return res

    def flush(self) -> str | None:
        """Writes the pending step rows; the stop reason a non-finite step gives, if any."""
        t, meta, reason = self.job.config.train, self.meta, None
        for s, m in jax.device_get(self.pending):
            row = {
                "step": s,
                "loss": float(m["loss"]),
                "accuracy": float(m["accuracy"]),
                "grad_norm": float(m["grad_norm"]),
                "skipped": not bool(m["finite"]),
            }
            if row["skipped"]:
                meta["skipped_steps"] += 1
                if t.on_nonfinite == "raise":
                    raise FloatingPointError(f"non-finite loss or gradient at step {s}")
                if t.on_nonfinite == "stop" and reason is None:
                    reason = f"non-finite loss at step {s}"
            else:
                meta["last_train_loss"] = row["loss"]
            self.writer.row("metrics.jsonl", row)
            self.writer.scalars(
                s, {f"train/{k}": row[k] for k in ("loss", "accuracy", "grad_norm")}
            )
            if any(k.startswith("grad_norm/") for k in m):
                layers = summarize(m)
                warns = check_gradients(
                    s,
                    row["grad_norm"],
                    layers["grad_norm"],
                    t.vanish_threshold,
                    t.explode_threshold,
                )
                self.writer.row("diagnostics.jsonl", {"step": s, **layers, "warnings": warns})
        if self.pending and self.bar is not None:
            last = self.pending[-1]
            self.bar.update(last[0], float(jax.device_get(last[1]["loss"])))
        self.pending.clear()
        return reason

    def final_evaluation(self) -> tuple[dict, dict, float]:
        """The test-split evaluation at the last step, train-set numbers, training time."""
        job, meta, step, clock = self.job, self.meta, self.step, self.clock
        train_time = clock["base"] + time.perf_counter() - clock["t0"] - clock["paused"]
        last = meta["last_eval"]
        final = last if last and last["step"] == step else {"step": step, **self.evaluate_at(step)}
        params, stats = self.runner.eval_params(self.state)
        sub = {k: v[:10_000] for k, v in job.train_split.items()}  # train accuracy: <= 10k
        bs = job.config.train.eval_batch_size
        train_eval = evaluate(
            self.state.apply_fn, params, stats, sub, job.opts, bs, self.eval_cache
        )
        return final, train_eval, train_time

    def report(self, start: int, final: dict, train_eval: dict, train_time: float) -> dict:
        """Writes and returns the ``metrics.json`` record."""
        job, meta, step, t, clock = (
            self.job,
            self.meta,
            self.step,
            self.job.config.train,
            self.clock,
        )
        params, _ = self.runner.eval_params(self.state)
        config, p = job.config, job.config.parallel
        result = {
            "final_train_loss": meta["last_train_loss"],
            "final_eval_loss": final["eval_loss"],
            "final_eval_accuracy": final["eval_accuracy"],
            "best_eval_loss": meta["best_eval_loss"],
            "steps": step,
            "epochs": step / job.per_epoch,
            "wall_time_s": meta["wall_time_s"] + time.perf_counter() - self.t_segment,
            "train_time_s": train_time,
            "compile_time_s": clock["compile"],
            "final_train_accuracy": train_eval["eval_accuracy"],
            "final_train_eval_loss": train_eval["eval_loss"],
            "n_train": len(job.train_split["x"]),
            "batch_size": t.batch_size,
            **_weight_report(params),
            "peak_memory_bytes": _peak_memory(job.devices[0]),
            "devices": len(job.devices),
            "processes": jax.process_count(),
            "strategy": p.strategy,
            "zero1": p.zero1,
            "precision": config.precision,
            "optimizer": config.optimizer.name,
            "model": config.model.name,
            "dataset": job.data.name,
            "stop_reason": self.stop_reason,
            "skipped_steps": meta["skipped_steps"],
            "resumed_from_step": start,
            **self.comm,
            **self.timer.report(),
        }
        if self.lead:
            ckpt.atomic_write_text(self.workdir / "metrics.json", json.dumps(result, indent=1))
        return result


def _comm_report(runner: Runner, state: Any) -> dict[str, Any]:
    """Bytes all-reduced per step (from the compiled HLO) and per-device state bytes."""
    out: dict[str, Any] = {
        "optimizer_state_bytes_per_device": tree_bytes_per_device(state.opt_state),
        "param_bytes_per_device": tree_bytes_per_device(state.params),
    }
    info = runner.compile_info
    if info is not None:
        hlo, mem = info
        out["allreduce_bytes_per_step"] = hlo_collective_bytes(hlo, "all-reduce")
        out["reduce_scatter_bytes_per_step"] = hlo_collective_bytes(hlo, "reduce-scatter")
        out["all_gather_bytes_per_step"] = hlo_collective_bytes(hlo, "all-gather")
        if mem is not None:
            for k in (
                "argument_size_in_bytes",
                "output_size_in_bytes",
                "temp_size_in_bytes",
                "alias_size_in_bytes",
            ):
                if hasattr(mem, k):
                    out[f"compiled_{k}"] = int(getattr(mem, k))
    return out


def _weight_report(params: Any) -> dict[str, Any]:
    """Parameter count and the fraction of weight-matrix entries (ndim >= 2) with |w| < 1e-3."""
    leaves = [np.asarray(x) for x in jax.tree.leaves(params)]
    mats = [x for x in leaves if x.ndim >= 2]
    n_mat = sum(x.size for x in mats)
    small = sum(int(np.sum(np.abs(x) < 1e-3)) for x in mats)
    return {
        "param_count": int(sum(x.size for x in leaves)),
        "weight_sparsity": small / n_mat if n_mat else None,
    }


def _peak_memory(device: Any) -> int | None:
    """The device's peak bytes in use so far, where the backend reports it (not XLA:CPU)."""
    try:
        stats = device.memory_stats()
    except Exception:  # noqa: BLE001 - not every backend implements it
        return None
    return int(stats["peak_bytes_in_use"]) if stats and "peak_bytes_in_use" in stats else None
