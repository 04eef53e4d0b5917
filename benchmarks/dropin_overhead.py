"""Eager per-call cost of the default wrapper around registered optimizers (issue #13).

Registered factories return ``optzoo.core.tree_checks.diagnosed(tx)``: the same class and
``init``, and an ``update`` that calls the inner one inside a ``try``. This measures, side by
side in one run, un-jitted ``update`` calls of

* a trivial transformation (identity) bare and wrapped: the wrapper's own cost per call;
* ``optax.sgd`` vs ``optzoo.sgd`` and ``optax.adam`` vs ``optzoo.adam`` on a small tree:
  what a user of eager mode sees.

Each figure is the median of ``--repeats`` timings of ``--calls`` calls, interleaved.

    PYTHONPATH=$PWD python benchmarks/dropin_overhead.py --out benchmarks/results/dropin_overhead
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import optax

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from _machine import machine_info  # noqa: E402

import optzoo  # noqa: E402
from optzoo.core.tree_checks import diagnosed  # noqa: E402


def _per_call_us(tx, params, grads, calls):
    state = tx.init(params)
    out = tx.update(grads, state, params)  # warm the op caches
    jax.block_until_ready(out)
    t0 = time.perf_counter()
    for _ in range(calls):
        out = tx.update(grads, state, params)
    jax.block_until_ready(out)
    return (time.perf_counter() - t0) / calls * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", default="")
    args = ap.parse_args()

    params = {"w": jnp.ones((64, 64)), "b": jnp.zeros(64)}
    grads = jax.tree.map(lambda x: jnp.full_like(x, 0.1), params)
    pairs = {
        "identity (wrapper only)": (optax.identity(), diagnosed(optax.identity(), "identity")),
        "sgd(0.1)": (optax.sgd(0.1), optzoo.sgd(0.1)),
        "sgd(0.1, momentum=0.9)": (optax.sgd(0.1, momentum=0.9), optzoo.sgd(0.1, momentum=0.9)),
        "adam(1e-3)": (optax.adam(1e-3), optzoo.adam(1e-3)),
    }
    rows = []
    for label, (theirs, ours) in pairs.items():
        t_optax, t_optzoo = [], []
        for _ in range(args.repeats):
            t_optax.append(_per_call_us(theirs, params, grads, args.calls))
            t_optzoo.append(_per_call_us(ours, params, grads, args.calls))
        a, b = statistics.median(t_optax), statistics.median(t_optzoo)
        rows.append(
            {"case": label, "optax_us": a, "optzoo_us": b, "diff_us": b - a, "ratio": b / a}
        )
    info = machine_info()
    lines = [
        "# Eager per-call cost of the default wrapper",
        "",
        "Machine: " + ", ".join(f"{k}={v}" for k, v in info.items()),
        "",
        f"Un-jitted `update` calls on a 64x64 + 64 float32 tree; median of {args.repeats} "
        f"interleaved timings of {args.calls} calls each. `identity` compares the bare "
        "transformation with the same one wrapped by `diagnosed` (the wrapper alone). The "
        "other rows compare optax's and optzoo's optimizers of the same name, which also "
        "differ in how they compute (eager Adam bias correction: optax jits a helper).",
        "",
        "| case | optax us/call | optzoo us/call | optzoo - optax us | ratio |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['optax_us']:.1f} | {r['optzoo_us']:.1f} | "
            f"{r['diff_us']:+.1f} | {r['ratio']:.3f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        pathlib.Path(args.out + ".md").write_text(text)
        pathlib.Path(args.out + ".json").write_text(
            json.dumps({"machine": info, "rows": rows}, indent=1) + "\n"
        )


if __name__ == "__main__":
    main()
