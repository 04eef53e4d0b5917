"""Benchmark engine: suite config, tuning protocols, runner, SQLite store, metrics, report.

``optzoo bench run CONFIG --out DIR`` runs a suite; ``optzoo bench report DIR``
writes ``DIR/report.md``, ``DIR/report.html`` and PNG plots. See ``docs/bench.md``.
"""

from optzoo.bench.config import ConfigError, SuiteConfig, load_suite, parse_suite
from optzoo.bench.runner import RunSummary, run_suite
from optzoo.bench.store import Store
from optzoo.bench.workloads import Job, JobResult, run_job

__all__ = [
    "ConfigError",
    "SuiteConfig",
    "load_suite",
    "parse_suite",
    "RunSummary",
    "run_suite",
    "Store",
    "Job",
    "JobResult",
    "run_job",
]
