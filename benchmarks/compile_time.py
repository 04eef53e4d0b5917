"""Compile time of one optimizer update vs the number of parameter leaves, optzoo vs optax.

For every leaf count the update ``(grads, state, params) -> (updates, state)`` of
each optimizer is traced and lowered (``lower``) and then compiled by XLA
(``compile``), each from scratch, optax and optzoo interleaved. Optimizers:
Adam, SGD with momentum, and a long chain (global-norm clipping + AdamW with a
warm-up cosine schedule), plus optzoo's packed ``flat(adam)``
(:func:`optzoo.core.flat.flat`) to show what packing costs at compile time.

Usage: ``nice python benchmarks/compile_time.py [--quick] [--out benchmarks/results]``
(``--quick``: 10 to 1000 leaves, for CPU; default 10 to 2000).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import optax

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import optzoo  # noqa: E402
from benchmarks._machine import machine_info  # noqa: E402
from optzoo.core.flat import flat  # noqa: E402


def _chain(lib):
    schedule = lib.warmup_cosine_decay_schedule(0.0, 1e-3, 100, 10_000)
    return lib.chain(lib.clip_by_global_norm(1.0), lib.adamw(schedule, weight_decay=1e-4))


# (optimizer, library) -> factory; each pair is timed optax first, then optzoo.
CONTENDERS = {
    ("adam", "optax"): lambda: optax.adam(1e-3),
    ("adam", "optzoo"): lambda: optzoo.adam(1e-3),
    ("adam", "optzoo flat"): lambda: flat(optzoo.adam(1e-3)),
    ("sgd_momentum", "optax"): lambda: optax.sgd(0.1, momentum=0.9),
    ("sgd_momentum", "optzoo"): lambda: optzoo.sgd(0.1, momentum=0.9),
    ("clip+adamw+schedule", "optax"): lambda: _chain(optax),
    ("clip+adamw+schedule", "optzoo"): lambda: _chain(optzoo),
}


def time_compile(factory, leaves: int) -> tuple[float, float]:
    params = {f"p{i:04d}": jnp.zeros((8, 16), jnp.float32) for i in range(leaves)}
    tx = factory()
    state = tx.init(params)

    def update(grads, state, params):
        return tx.update(grads, state, params)

    t0 = time.perf_counter()
    lowered = jax.jit(update).lower(params, state, params)
    t1 = time.perf_counter()
    lowered.compile()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 to 1000 leaves (CPU)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    counts = [10, 100, 300, 1000] if args.quick else [10, 100, 500, 1000, 2000]
    machine = machine_info()
    rows = []
    for leaves in counts:
        repeats = 3 if leaves <= 100 else 1
        samples: dict[tuple[str, str], list[tuple[float, float]]] = {k: [] for k in CONTENDERS}
        for _ in range(repeats):
            for key, factory in CONTENDERS.items():  # interleaved
                samples[key].append(time_compile(factory, leaves))
        for (opt, lib), s in samples.items():
            row = {
                "leaves": leaves,
                "optimizer": opt,
                "library": lib,
                "lower_s": statistics.median(x[0] for x in s),
                "compile_s": statistics.median(x[1] for x in s),
                "repeats": repeats,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    machine["load_avg_1m_end"] = os.getloadavg()[0]
    lines = [
        "# Compile time vs leaf count: optzoo vs optax (update only)",
        "",
        "Machine: " + ", ".join(f"{k}={v}" for k, v in machine.items()),
        "",
        "Seconds: lower (trace + StableHLO) / XLA compile; ratio = optzoo total / optax total. "
        "Leaves of shape (8, 16). Median of 3 up to 100 leaves, else one sample. "
        "GPU: not yet measured.",
        "",
        "| leaves | optimizer | optax lower / compile | optzoo lower / compile | ratio |",
        "|---|---|---|---|---|",
    ]
    by = {(r["leaves"], r["optimizer"], r["library"]): r for r in rows}
    for leaves in counts:
        for opt in dict.fromkeys(o for o, _ in CONTENDERS):
            for lib in [lb for o, lb in CONTENDERS if o == opt and lb != "optax"]:
                a, b = by[(leaves, opt, "optax")], by[(leaves, opt, lib)]
                ratio = (b["lower_s"] + b["compile_s"]) / (a["lower_s"] + a["compile_s"])
                name = opt if lib == "optzoo" else f"{opt} ({lib})"
                lines.append(
                    f"| {leaves} | {name} | {a['lower_s']:.2f} / {a['compile_s']:.2f} | "
                    f"{b['lower_s']:.2f} / {b['compile_s']:.2f} | {ratio:.2f}x |"
                )
    md = "\n".join(lines) + "\n"
    print(md)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "compile_time_cpu" + ("_quick" if args.quick else "")
    (out / f"{stem}.md").write_text(md)
    (out / f"{stem}.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
