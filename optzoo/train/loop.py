"""``train_and_evaluate(config, workdir)``: the training loop and its outputs."""

from __future__ import annotations

import json
import math
import os
import pathlib
import time
import warnings
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from optzoo.data import Dataset, eval_batches, get_batch, load_dataset, steps_per_epoch
from optzoo.train import checkpoint as ckpt
from optzoo.train.config import Config, ConfigError, load_config, to_dict
from optzoo.train.diagnostics import HessianHook, check_gradients, summarize
from optzoo.train.distributed import initialize
from optzoo.train.optim import build_optimizer, optimizer_needs
from optzoo.train.parallel import Runner, hlo_collective_bytes, tree_bytes_per_device
from optzoo.train.progress import Progress
from optzoo.train.state import create_train_state, model_from_config
from optzoo.train.steps import StepOptions, eval_step
from optzoo.train.timing import StepClock

__all__ = ["MARKER", "train_and_evaluate", "prepare_workdir", "evaluate"]

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
    needs a torn system call); resuming drops the rows past the checkpoint.
    """

    def __init__(self, workdir: pathlib.Path, enabled: bool):
        self.workdir, self.enabled = workdir, enabled

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


def train_and_evaluate(
    config: Config | dict | str | os.PathLike,
    workdir: str | os.PathLike,
    hessian_fn: HessianHook | None = None,
    *,
    restart_on_bad_checkpoint: bool = False,
    on_eval: Callable[[dict], None] | None = None,
) -> dict[str, Any]:
    """Trains the model a config describes, evaluates it, writes results to ``workdir``.

    Resumes from the newest checkpoint in ``workdir`` if there is one. Writes
    ``metrics.json`` (final numbers), ``metrics.jsonl`` (every step),
    ``eval.jsonl``, ``diagnostics.jsonl`` and ``checkpoints/``.

    Args:
      config: a :class:`Config`, a mapping, or a YAML path.
      workdir: output directory (created).
      hessian_fn: optional ``(params, batch) -> float`` called every
        ``train.diagnostics_every`` steps (top Hessian eigenvalue tracking).
      restart_on_bad_checkpoint: when ``workdir`` holds checkpoints and none of
        them loads, move them aside (``checkpoints/corrupt_step_N``) and train
        from step 0 instead of raising :class:`~optzoo.train.checkpoint.CheckpointError`.
        A damaged newest checkpoint with a good older one never needs this:
        the run resumes from the older one with a warning.
      on_eval: optional callback given each evaluation's ``eval.jsonl`` row plus
        ``train_loss`` (the latest training loss) as it is written.

    Returns:
      The ``metrics.json`` record.
    """
    if not isinstance(config, Config):
        config = load_config(config)
    p, t = config.parallel, config.train
    initialize(p.coordinator, p.num_processes, p.process_id)
    t_start = time.perf_counter()
    workdir = pathlib.Path(workdir)
    lead = jax.process_index() == 0
    if lead:
        prepare_workdir(workdir)
        ckpt.atomic_write_text(workdir / "config.json", json.dumps(to_dict(config), indent=1))

    data = _load_data(config)
    train_split, test_split = data.split("train"), data.split("test")
    n_train = len(train_split["x"])
    per_epoch = steps_per_epoch(n_train, t.batch_size)
    total = t.steps or max(1, math.ceil(t.epochs * per_epoch))
    devices = _devices(config)
    nproc, pid = jax.process_count(), jax.process_index()
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

    meta: dict[str, Any] = {
        "best_eval_loss": None,
        "bad_evals": 0,
        "skipped_steps": 0,
        "wall_time_s": 0.0,
        "last_train_loss": None,
        "last_eval": None,
    }
    start = 0
    try:
        restored = ckpt.restore_latest(workdir, state, move_bad=lead)
    except ckpt.CheckpointError:
        if not restart_on_bad_checkpoint:
            raise
        for bad in ckpt.list_checkpoints(workdir) if lead else []:
            ckpt.quarantine(bad)
        restored = None
    if restored is not None:
        state, meta, where = restored
        start = int(meta["step"])
        changed = ckpt.config_changes(meta.get("config") or {}, to_dict(config))
        if "config" in meta and changed and lead:
            warnings.warn(
                f"resuming from {where} written with another config ({'; '.join(changed)})",
                ckpt.CheckpointWarning,
                stacklevel=2,
            )
    meta["config"] = to_dict(config)
    if lead:  # rows past the checkpoint (or of a run without one) are redone
        last_eval = meta.get("last_eval") or {}
        for name in ("metrics.jsonl", "diagnostics.jsonl"):
            _truncate_jsonl(workdir / name, start)
        # An evaluation at the checkpoint's step is kept only if the checkpoint saw it.
        _truncate_jsonl(workdir / "eval.jsonl", start, keep_last=last_eval.get("step") == start)

    runner = Runner(p.strategy, devices, opts, zero1=p.zero1)
    state = runner.put_state(state)
    rng0 = jax.random.key(config.seed + 1)
    writer = _Writer(workdir, lead)
    bar = Progress(total, start, quiet=t.quiet or not lead)
    eval_cache: dict = {}
    report: dict[str, Any] = {}
    pending: list[tuple[int, Any]] = []
    stop_reason = "completed"
    step = start
    # Training time (bench timings): from the first step, compile included, evaluation excluded.
    clock = {"t0": time.perf_counter(), "base": meta["wall_time_s"], "eval": 0.0, "compile": None}
    timer = StepClock(t)  # the benchmark's timing rules (train.time_steps, max_seconds, ...)

    def do_eval(at: int) -> dict[str, float | None]:
        t_eval = time.perf_counter()
        train_s = clock["base"] + t_eval - clock["t0"] - clock["eval"]
        params, stats = runner.eval_params(state)
        res = evaluate(
            state.apply_fn, params, stats, test_split, opts, t.eval_batch_size, eval_cache
        )
        clock["eval"] += time.perf_counter() - t_eval
        writer.row("eval.jsonl", {"step": at, **res, "wall_time_s": train_s})
        meta["last_eval"] = {"step": at, **res}
        if on_eval is not None:
            train_loss = meta["last_train_loss"]
            on_eval({"step": at, **res, "wall_time_s": train_s, "train_loss": train_loss})
        return res

    def flush() -> str | None:
        reason = None
        for s, m in jax.device_get(pending):
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
            writer.row("metrics.jsonl", row)
            if any(k.startswith("grad_norm/") for k in m):
                layers = summarize(m)
                warns = check_gradients(
                    s,
                    row["grad_norm"],
                    layers["grad_norm"],
                    t.vanish_threshold,
                    t.explode_threshold,
                )
                writer.row("diagnostics.jsonl", {"step": s, **layers, "warnings": warns})
        if pending:
            bar.update(pending[-1][0], float(jax.device_get(pending[-1][1]["loss"])))
        pending.clear()
        return reason

    if t.eval_at_start and step == 0:
        do_eval(0)
    while step < total:
        local = get_batch(train_split, t.batch_size, step, config.seed, pid, nproc)
        batch = runner.put_batch(local)
        diag = bool(t.diagnostics_every) and (step + 1) % t.diagnostics_every == 0
        if diag and hessian_fn is not None:
            params, _ = runner.eval_params(state)
            eig = float(hessian_fn(params, local))
            writer.row("diagnostics.jsonl", {"step": step + 1, "top_hessian_eigenvalue": eig})
        rng = jax.random.fold_in(rng0, step)
        t_step = time.perf_counter()
        state, metrics = runner.step(state, batch, rng, diagnostics=diag)
        timer.step_done(metrics, t_step)
        if clock["compile"] is None:
            clock["compile"] = time.perf_counter() - t_step  # the first call compiles
        if not report:
            report = _comm_report(runner, state)
        step += 1
        pending.append((step, metrics))
        reason = None
        # Rows up to a checkpoint reach the disk before it, so that a crash after it loses
        # none and the counters it saves (skipped steps, last loss) include them.
        at_checkpoint = bool(t.checkpoint_every) and step % t.checkpoint_every == 0
        if step % t.log_every == 0 or step == total or diag or at_checkpoint:
            reason = flush()
        if reason:
            stop_reason = reason
            break
        now = clock["base"] + time.perf_counter() - clock["t0"] - clock["eval"]
        stop_reason = timer.stop_reason(step, now) or stop_reason
        if stop_reason.startswith("diverged"):
            break
        if t.eval_every and step % t.eval_every == 0:
            res = do_eval(step)
            best = meta["best_eval_loss"]
            if best is None or res["eval_loss"] < best - t.early_stopping_min_delta:
                meta["best_eval_loss"], meta["bad_evals"] = res["eval_loss"], 0
            else:
                meta["bad_evals"] += 1
            if t.early_stopping_patience and meta["bad_evals"] >= t.early_stopping_patience:
                stop_reason = f"early stopping at step {step}"
        if at_checkpoint:
            host = runner.host_state(state)
            meta["wall_time_s"] += time.perf_counter() - t_start
            t_start = time.perf_counter()
            if lead:
                ckpt.save_checkpoint(workdir, host, step, meta, t.keep_checkpoints)
        if stop_reason != "completed":
            break
    flush()
    bar.close()
    train_time = clock["base"] + time.perf_counter() - clock["t0"] - clock["eval"]
    last = meta["last_eval"]
    final = last if last and last["step"] == step else {"step": step, **do_eval(step)}
    final_params, final_stats = runner.eval_params(state)
    sub = {k: v[:10_000] for k, v in train_split.items()}  # train accuracy: up to 10k examples
    train_eval = evaluate(
        state.apply_fn, final_params, final_stats, sub, opts, t.eval_batch_size, eval_cache
    )
    result = {
        "final_train_loss": meta["last_train_loss"],
        "final_eval_loss": final["eval_loss"],
        "final_eval_accuracy": final["eval_accuracy"],
        "best_eval_loss": meta["best_eval_loss"],
        "steps": step,
        "epochs": step / per_epoch,
        "wall_time_s": meta["wall_time_s"] + time.perf_counter() - t_start,
        "train_time_s": train_time,
        "compile_time_s": clock["compile"],
        "final_train_accuracy": train_eval["eval_accuracy"],
        "final_train_eval_loss": train_eval["eval_loss"],
        "n_train": n_train,
        "batch_size": t.batch_size,
        **_weight_report(final_params),
        "peak_memory_bytes": _peak_memory(devices[0]),
        "devices": len(devices),
        "processes": nproc,
        "strategy": p.strategy,
        "zero1": p.zero1,
        "precision": config.precision,
        "optimizer": config.optimizer.name,
        "model": config.model.name,
        "dataset": data.name,
        "stop_reason": stop_reason,
        "skipped_steps": meta["skipped_steps"],
        "resumed_from_step": start,
        **report,
        **timer.report(),
    }
    if lead:
        ckpt.atomic_write_text(workdir / "metrics.json", json.dumps(result, indent=1))
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
