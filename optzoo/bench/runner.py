"""The suite runner: every (workload, optimizer, trial, seed) job, resumable and shareable.

Each job is claimed in the store before it runs and recorded in one
transaction when it ends, so killing the runner loses at most the job in
progress, a rerun into the same directory runs only what is missing, and
several runner processes can work on one directory at once.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from optzoo.bench.config import SuiteConfig
from optzoo.bench.shards import SHARD_META, select_shard
from optzoo.bench.store import Store, owner_id
from optzoo.bench.tuning import budget_summary, expand_jobs
from optzoo.bench.workloads import Job, JobResult, run_job

__all__ = ["RunSummary", "run_suite", "environment"]


@dataclasses.dataclass
class RunSummary:
    total: int
    executed: int = 0
    reused: int = 0
    busy: int = 0
    statuses: dict = dataclasses.field(default_factory=dict)
    elapsed_s: float = 0.0


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit() -> str:
    """``+g<commit>`` of the optzoo checkout when it is a git work tree, else ''."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        out = subprocess.run(
            ["git", "-C", here, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"+g{out.stdout.strip()}" if out.stdout.strip() else ""


def environment() -> tuple[dict, str]:
    """(library versions, device description) recorded with every run."""
    import jax
    import jaxlib
    import numpy
    import optax

    import optzoo

    versions = {
        "python": platform.python_version(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "optax": optax.__version__,
        "numpy": numpy.__version__,
        "optzoo": f"{optzoo.__version__}{_git_commit()}",
    }
    d = jax.devices()[0]
    device = f"{d.platform}:{d.device_kind} x{jax.device_count()}"
    if d.platform == "cpu":
        device += f" ({_cpu_model()}, {os.cpu_count()} cores)"
    return versions, device


# Set by ``optzoo bench run --workers N`` in each worker process: its index.
WORKER_ENV = "OPTZOO_BENCH_WORKER"


def _fmt(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class _Progress:
    """Suite progress on stderr: a line per finished job; on a terminal, ``rich`` bars.

    On a terminal two bars show the suite (jobs done, elapsed, ETA) and the job
    running (steps, loss, ETA); elsewhere (a log file, CI) only the per-job lines.
    """

    def __init__(self, total: int, stream: TextIO, quiet: bool):
        self.total, self.stream, self.quiet = total, stream, quiet
        self.done = 0
        self.durations: list[float] = []
        self.start = time.perf_counter()
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.title = ""
        self._bars: Any = None
        if self.tty and not quiet:
            from optzoo.train.progress import bench_bars

            self._bars = bench_bars(total, stream, self._who())

    def _who(self) -> str:
        worker = os.environ.get(WORKER_ENV)
        return f"bench w{worker}" if worker else "bench"

    def _head(self) -> str:
        pct = 100.0 * self.done / max(self.total, 1)
        remaining = self.total - self.done
        if self.durations:
            eta = _fmt(remaining * sum(self.durations) / len(self.durations))
        else:
            eta = "?"
        elapsed = _fmt(time.perf_counter() - self.start)
        return f"[{self._who()} {self.done}/{self.total} {pct:3.0f}% elapsed {elapsed} ETA {eta}]"

    def step(self, step: int, total: int, loss: float) -> None:
        if self._bars is not None:
            self._bars.job(self.title, step, total, loss)

    def finish(self, title: str, result: JobResult | None, note: str, seconds: float) -> None:
        self.done += 1
        if result is not None:
            self.durations.append(seconds)
        if self.quiet:
            return
        if result is not None:
            m = result.metrics
            loss = m.get("final_train_loss")
            acc = m.get("final_eval_accuracy")
            note = f"{result.status} loss {loss if loss is None else f'{loss:.4g}'}"
            note += f" acc {acc if acc is None else f'{acc:.3f}'} ({seconds:.1f}s)"
            if result.status == "failed":
                note += " " + result.error.splitlines()[0][:100]
        if self._bars is not None:
            self._bars.finished(f"{title}: {note}")
            return
        self.stream.write(f"{self._head()} {title}: {note}\n")
        self.stream.flush()

    def close(self) -> None:
        if self._bars is not None:
            self._bars.close()
            self._bars = None


class _Heartbeat:
    """Refreshes a claim's heartbeat from a thread while its job runs."""

    def __init__(self, store: Store, run_id: int, owner: str):
        self.store, self.run_id, self.owner = store, run_id, owner
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        conn = self.store._connect()
        try:
            while not self.stop.wait(self.store.lease_s / 4):
                self.store.heartbeat(self.run_id, self.owner, conn)
        finally:
            conn.close()

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join()


def run_suite(
    suite: SuiteConfig,
    out_dir: str | os.PathLike,
    *,
    max_jobs: int | None = None,
    retry_failed: bool = False,
    quiet: bool = False,
    stream: TextIO | None = None,
    runner: Callable[..., JobResult] = run_job,
    shard: tuple[int, int] | None = None,
) -> RunSummary:
    """Runs every missing job of ``suite`` into ``out_dir``; returns what was done.

    Args:
      suite: a validated suite.
      out_dir: benchmark directory (created); results go to ``out_dir/bench.sqlite``.
      max_jobs: stop after executing this many jobs (reused ones do not count).
      retry_failed: rerun jobs recorded as ``failed`` (diverged runs are final).
      quiet: no progress output.
      stream: where progress goes (default stderr).
      runner: the job adapter (``run_job``), replaceable for tests.
      shard: ``(k, n)``: run only shard ``k`` of ``n`` (1-based; see
        ``optzoo.bench.shards``). The store's metadata still lists every job of the
        suite, so a merge of all shards knows what the whole suite is.
    """
    stream = stream or sys.stderr
    store = Store(out_dir)
    jobs: list[Job] = expand_jobs(suite)
    store.set_meta(
        f"suite:{suite.name}",
        {
            "config": dataclasses.asdict(suite),
            "budget": budget_summary(suite),
            "jobs": [j.config_hash for j in jobs],
        },
    )
    if shard is not None:
        k, n = shard
        jobs = select_shard(jobs, k, n)
        store.set_meta(SHARD_META, {"shard": f"{k}/{n}", "jobs": [j.config_hash for j in jobs]})
    if suite.skipped and not quiet:
        stream.write(f"[bench] skipping optimizers not in the registry: {list(suite.skipped)}\n")
    summary = RunSummary(total=len(jobs))
    progress = _Progress(len(jobs), stream, quiet)
    versions, device = environment()
    owner = owner_id()
    t0 = time.perf_counter()
    try:
        for job in jobs:
            if max_jobs is not None and summary.executed >= max_jobs:
                break
            state, info = store.claim(job, suite.name, owner, retry_failed=retry_failed)
            if state == "done":
                summary.reused += 1
                progress.finish(job.title, None, f"done earlier ({info})", 0.0)
                continue
            if state == "busy":
                summary.busy += 1
                progress.finish(job.title, None, f"running in {info}", 0.0)
                continue
            progress.title = job.title
            start = time.perf_counter()
            try:
                with _Heartbeat(store, info, owner):
                    result = runner(job, progress=progress.step)
            except BaseException:
                store.release(info, owner)
                raise
            if hasattr(os, "getloadavg"):  # machine load: context for the wall-clock numbers
                result.metrics["load_avg_1m"] = round(os.getloadavg()[0], 2)
            store.finish(info, owner, result, versions, device)
            summary.executed += 1
            summary.statuses[result.status] = summary.statuses.get(result.status, 0) + 1
            progress.finish(job.title, result, "", time.perf_counter() - start)
    finally:
        progress.close()
        summary.elapsed_s = time.perf_counter() - t0
        store.close()
    return summary
