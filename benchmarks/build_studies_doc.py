"""Assembles ``docs/studies.md`` from study run directories.

Usage::

    python benchmarks/build_studies_doc.py runs/study_activation runs/study_dropout ...
        [--out docs/studies.md] [--configs configs/bench]

Each directory holds the runs of one study suite (``optzoo bench run
configs/bench/study_X.yaml --out runs/study_X``). Its section of the document (question,
measured table, measurement line, reproduce command, hand-written reading from the suite's
``notes:`` key) is rewritten; sections of studies not named are kept, so the script can be
rerun with any subset of the run directories. Same as ``optzoo bench studies``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optzoo.cli_bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["studies", *sys.argv[1:]]))
