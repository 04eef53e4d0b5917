"""Start-up time of the ``optzoo`` command: the JAX-free launcher against the full import.

Each command runs in a fresh interpreter, ``--repeats`` times, alternating between the
variants so that machine load hits both alike. Reported: the median wall-clock time and the
median CPU time (user + system) of the child process; CPU time is the steadier number on a
shared machine. ``optzoo_cli`` is what the ``optzoo`` console script runs; ``optzoo.cli`` is
``python -m optzoo.cli``, which imports the whole package (JAX, optax, Flax) first, as the
console script did before.

    PYTHONPATH=$PWD python benchmarks/cli_startup.py [--repeats 7]

Writes ``benchmarks/results/cli_startup.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

CASES = [
    ("--help", ["--help"]),
    ("--version", ["--version"]),
    ("train --help", ["train", "--help"]),
    ("list", ["list"]),
]
PEER = ("import jax (for scale)", [sys.executable, "-c", "import jax"])


def _time(cmd: list[str]) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rows = []
    for label, argv in CASES:
        variants = {
            "launcher (optzoo_cli)": [sys.executable, "-m", "optzoo_cli", *argv],
            "full import (optzoo.cli)": [sys.executable, "-m", "optzoo.cli", *argv],
        }
        samples: dict[str, list[tuple[float, float]]] = {k: [] for k in variants}
        for _ in range(args.repeats):
            for name, cmd in variants.items():
                samples[name].append(_time(cmd))
        for name, got in samples.items():
            wall = statistics.median(w for w, _ in got)
            cpu = statistics.median(c for _, c in got)
            rows.append({"command": label, "variant": name, "wall_s": wall, "cpu_s": cpu})
    peer = [_time(PEER[1]) for _ in range(args.repeats)]
    rows.append(
        {
            "command": PEER[0],
            "variant": "python -c",
            "wall_s": statistics.median(w for w, _ in peer),
            "cpu_s": statistics.median(c for _, c in peer),
        }
    )
    from _machine import machine_info

    info = machine_info()
    out = ROOT / "benchmarks" / "results"
    (out / "cli_startup.json").write_text(
        json.dumps({"machine": info, "repeats": args.repeats, "rows": rows}, indent=1)
    )
    by = {(r["command"], r["variant"]): r for r in rows}
    lines = [
        "# Start-up time of the `optzoo` command",
        "",
        "Machine: " + ", ".join(f"{k}={v}" for k, v in info.items()),
        "",
        f"`python benchmarks/cli_startup.py --repeats {args.repeats}`: medians over "
        f"{args.repeats} fresh interpreters, the two variants alternating. CPU = user + system "
        "time of the child (steadier than wall time on a shared machine).",
        "",
        "| command | launcher wall s | launcher CPU s | full import wall s | full import CPU s "
        "| CPU ratio (launcher / full) |",
        "|---|---|---|---|---|---|",
    ]
    for label, _ in CASES:
        a = by[(label, "launcher (optzoo_cli)")]
        b = by[(label, "full import (optzoo.cli)")]
        lines.append(
            f"| `optzoo {label}` | {a['wall_s']:.2f} | {a['cpu_s']:.2f} | {b['wall_s']:.2f} "
            f"| {b['cpu_s']:.2f} | {a['cpu_s'] / b['cpu_s']:.2f} |"
        )
    p = by[(PEER[0], "python -c")]
    lines += [
        "",
        f"For scale, `python -c 'import jax'`: {p['wall_s']:.2f} s wall, {p['cpu_s']:.2f} s CPU.",
        "`optzoo list` reads the registry, which the optimizer modules fill as they are "
        "imported (with JAX), so it pays the full import either way.",
    ]
    (out / "cli_startup.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
