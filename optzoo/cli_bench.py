"""``optzoo bench``: ``run CONFIG --out DIR``, ``report DIR``, ``list [CONFIG]``.

Wire into ``optzoo/cli.py`` with ``add_bench_parser(sub)``; also runs on its own
as ``python -m optzoo.cli_bench run|report|list ...``. Bad input exits with status 2 and a
one-line message naming the key.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["add_bench_parser", "main"]


def _error(msg: str) -> int:
    print(f"optzoo bench: error: {msg}", file=sys.stderr)
    return 2


def _cmd_run(args: argparse.Namespace) -> int:
    from optzoo.bench.config import ConfigError, load_suite
    from optzoo.bench.runner import run_suite

    try:
        suite = load_suite(args.config)
    except (ConfigError, FileNotFoundError) as e:
        return _error(str(e) if args.config in str(e) else f"{args.config}: {e}")
    try:
        s = run_suite(
            suite,
            args.out,
            max_jobs=args.max_jobs,
            retry_failed=args.retry_failed,
            quiet=args.quiet,
        )
    except KeyboardInterrupt:
        print("\noptzoo bench: interrupted; run the same command to finish", file=sys.stderr)
        return 130
    print(
        f"suite {suite.name}: {s.total} jobs, {s.executed} run now {s.statuses}, "
        f"{s.reused} done earlier, {s.busy} running elsewhere; {s.elapsed_s:.1f}s; results in "
        f"{args.out}/bench.sqlite",
        file=sys.stderr,
    )
    if args.report:
        return _cmd_report(argparse.Namespace(dir=args.out))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from optzoo.bench.report import build_report

    try:
        paths = build_report(args.dir)
    except (ValueError, FileNotFoundError) as e:
        return _error(str(e))
    print("\n".join(paths))
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from optzoo import registry
    from optzoo.bench import config as cfg

    if args.config is None:
        print(f"data sets:      {', '.join(cfg.DATASETS)}")
        print("models:         mlp (width, depth, activation)")
        print(f"target metrics: {', '.join(cfg.METRICS)}")
        print(f"schedules:      {', '.join(cfg.SCHEDULES)}")
        print(f"protocols:      {', '.join(cfg.PROTOCOLS)}")
        print(f"search spaces:  {', '.join(cfg.DISTRIBUTIONS)}")
        print(f"optimizers:     {', '.join(registry.names())}")
        return 0
    from optzoo.bench.tuning import expand_jobs

    try:
        suite = cfg.load_suite(args.config)
    except (cfg.ConfigError, FileNotFoundError) as e:
        return _error(str(e) if args.config in str(e) else f"{args.config}: {e}")
    if suite.skipped:
        print(f"skipping optimizers not in the registry: {list(suite.skipped)}", file=sys.stderr)
    status: dict[str, str] = {}
    if args.out:
        from optzoo.bench.store import Store

        store = Store(args.out)
        status = {r["config_hash"]: r["status"] for r in store.runs(finished_only=False)}
        store.close()
    for job in expand_jobs(suite):
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
    r = sub.add_parser("run", help="run every missing job of a suite")
    r.add_argument("config", help="suite YAML (configs/bench/*.yaml)")
    r.add_argument("--out", required=True, metavar="DIR", help="result directory")
    r.add_argument("--max-jobs", type=int, default=None, help="stop after N executed jobs")
    r.add_argument("--retry-failed", action="store_true", help="rerun failed jobs")
    r.add_argument("--quiet", action="store_true", help="no progress output")
    r.add_argument("--report", action="store_true", help="write the report afterwards")
    r.set_defaults(func=_cmd_run)
    rep = sub.add_parser("report", help="write DIR/report.md, report.html and plots")
    rep.add_argument("dir", metavar="DIR")
    rep.set_defaults(func=_cmd_report)
    ls = sub.add_parser("list", help="list what a suite can use, or a suite's jobs")
    ls.add_argument("config", nargs="?", default=None)
    ls.add_argument("--out", default=None, metavar="DIR", help="show job status from DIR")
    ls.set_defaults(func=_cmd_list)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="optzoo bench")
    _add_subcommands(parser.add_subparsers(dest="bench_command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
