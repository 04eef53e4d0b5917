"""CPU time of ``python -c "import optzoo"`` for two checkouts, side by side.

Each run starts a fresh interpreter with the checkout first on ``PYTHONPATH`` and reads its
user + system CPU time from ``os.wait4`` (CPU time, not wall time: it stays meaningful while
other jobs share the machine). The checkouts alternate run by run after one warm-up each, so
a change of load hits both alike. Writes a Markdown table with the machine and versions.

Usage::

    git worktree add --detach /tmp/before <commit>
    python benchmarks/import_time.py /tmp/before . --runs 8 \\
        --out benchmarks/results/import_time_cpu.md
"""

from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import statistics
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _machine import machine_info  # noqa: E402

PROGRAM = "import optzoo; print(len(optzoo.registry.names()))"


def one_run(checkout: pathlib.Path) -> tuple[float, int]:
    """CPU seconds of one fresh ``import optzoo`` from ``checkout``, and the optimizer count."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "JAX_PLATFORMS": "cpu"}
    proc = subprocess.Popen(
        [sys.executable, "-c", PROGRAM], cwd=checkout, env=env, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise RuntimeError(f"import optzoo failed in {checkout} (status {status})")
    return usage.ru_utime + usage.ru_stime, int(out.decode().strip().splitlines()[-1])


def label(checkout: pathlib.Path) -> str:
    rev = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(checkout), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return (rev or str(checkout)) + (" + changes" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=pathlib.Path)
    parser.add_argument("after", type=pathlib.Path)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--out", type=pathlib.Path)
    args = parser.parse_args()
    checkouts = [args.before.resolve(), args.after.resolve()]
    times: dict[pathlib.Path, list[float]] = {c: [] for c in checkouts}
    counts = {}
    for c in checkouts:
        _, counts[c] = one_run(c)  # warm-up (file-system caches, .pyc files)
    for i in range(args.runs):
        for c in checkouts:
            t, _ = one_run(c)
            times[c].append(t)
        print(f"run {i + 1}/{args.runs}: " + ", ".join(f"{times[c][-1]:.3f} s" for c in checkouts))
    med = {c: statistics.median(times[c]) for c in checkouts}
    rows = [
        f"| {name} {label(c)} | {counts[c]} | {med[c]:.3f} s | {min(times[c]):.3f} s |"
        for name, c in zip(("before", "after"), checkouts, strict=True)
    ]
    info = machine_info()
    text = "\n".join(
        [
            "# `import optzoo`: CPU time before and after",
            "",
            f"Written by `benchmarks/import_time.py` on {datetime.date.today()}: user + system",
            f'CPU time of a fresh `python -c "import optzoo"`, median of {args.runs} runs per',
            "checkout after one warm-up each, the checkouts alternating.",
            "",
            "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()),
            "",
            "| checkout | registered optimizers | CPU time, median | min |",
            "|---|---:|---:|---:|",
            *rows,
            "",
            f"Ratio after / before: {med[checkouts[1]] / med[checkouts[0]]:.2f}",
            "",
        ]
    )
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
