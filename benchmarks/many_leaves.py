"""Adam update + apply on trees of many small leaves: optax vs optzoo's packed layouts.

Contenders (each a jitted ``params, state, grads -> params, state`` step with the
parameter and state buffers donated):

* ``optax.adam``: the reference, one elementwise loop per leaf;
* ``optzoo.adam``: optzoo's own Adam, same per-leaf layout;
* ``flat``: ``optzoo.core.flat.flat(adam, max_leaf_size=None)``, every leaf packed
  into buffers of one dtype (32 leaves to a buffer);
* ``flat<=64K``: the same, but leaves above 65536 elements stay unpacked;
* ``flat<=4K``: ``flat(adam)`` with its default: leaves above 4096 elements stay
  unpacked;
* ``grouped``: state stacked per (shape, dtype).

``--quick`` (1M parameters) runs all six; the full run (1M and 16M) only
``optax.adam``, ``optzoo.adam`` and ``flat<=4K`` to stay within ~5 minutes on CPU.

Per configuration (leaf count x total parameters) every contender is compiled
first, then timed in interleaved rounds; the table gives the median step time,
the ratio to ``optax.adam`` and the achieved bandwidth for Adam's 28 bytes/param
against a one-buffer ``x + 1`` copy (8 bytes/param) measured in the same run.

Usage: ``nice python benchmarks/many_leaves.py [--quick] [--out benchmarks/results]``
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

LR = 1e-3


def make_tree(leaves: int, total: int) -> dict:
    """``leaves`` 2-D leaves of three sizes (1/2, 1, 3/2 of the mean), ``total`` params in all."""
    mean = total // leaves
    tree = {}
    for i in range(leaves):
        size = mean if leaves == 1 else max(64, int(mean * (0.5, 1.0, 1.5)[i % 3]) // 64 * 64)
        tree[f"p{i:04d}"] = jnp.full((size // 64, 64), 0.01 * (i % 7 + 1), jnp.float32)
    return tree


CONTENDERS = {
    "optax.adam": lambda: optax.adam(LR),
    "optzoo.adam": lambda: optzoo.adam(LR),
    "flat": lambda: flat(optzoo.adam(LR), max_leaf_size=None),
    "flat<=64K": lambda: flat(optzoo.adam(LR), max_leaf_size=65536),
    "flat<=4K": lambda: flat(optzoo.adam(LR)),  # the default: max_leaf_size=4096
    "grouped": lambda: flat(optzoo.adam(LR), layout="grouped", max_leaf_size=None),
}
# The full run skips the two layouts the --quick run already showed to lose (compile
# time on CPU grows ~3x with 1000 leaves for every packed layout).
FULL = ("optax.adam", "optzoo.adam", "flat<=4K")


def make_step(tx):
    def step(params, state, grads):
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    return jax.jit(step, donate_argnums=(0, 1))


def bench_config(
    leaves: int,
    total: int,
    rounds: int,
    iters: int,
    contenders: tuple[str, ...],
    factories: dict | None = None,
    ref: str = "optax.adam",
    bytes_per_param: int = 28,
    workers: int = 1,
) -> dict:
    """Times ``contenders`` (names in ``factories``, default ``CONTENDERS``) on one tree.

    Ratios are to ``ref``; GB/s counts ``bytes_per_param`` (Adam's 28 by default).
    ``workers > 1`` compiles that many contenders at a time (first calls then overlap).
    """
    factories = CONTENDERS if factories is None else factories
    grads = make_tree(leaves, total)
    n_params = sum(x.size for x in jax.tree.leaves(grads))

    def build(name: str) -> tuple[list, float]:
        tx = factories[name]()
        params = jax.tree.map(jnp.copy, grads)
        state = tx.init(params)
        step = make_step(tx)
        t0 = time.perf_counter()
        params, state = jax.block_until_ready(step(params, state, grads))  # compile + 1 run
        return [step, params, state], time.perf_counter() - t0

    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(workers)
        try:
            built = dict(zip(contenders, pool.map(build, contenders), strict=True))
        finally:  # an interrupted caller (e.g. a time limit) does not wait for the rest
            pool.shutdown(wait=False, cancel_futures=True)
    else:
        built = {name: build(name) for name in contenders}
    runners = {name: b[0] for name, b in built.items()}
    compile_s = {name: b[1] for name, b in built.items()}
    copy_buf = jnp.ones((n_params,), jnp.float32)
    copy = jax.jit(lambda x: x + 1.0, donate_argnums=0)
    copy_buf = jax.block_until_ready(copy(copy_buf))
    times: dict[str, list[float]] = {name: [] for name in [*runners, "copy"]}
    for _ in range(rounds):
        for name, r in runners.items():  # interleaved
            step, params, state = r
            t0 = time.perf_counter()
            for _ in range(iters):
                params, state = step(params, state, grads)
            jax.block_until_ready((params, state))
            times[name].append((time.perf_counter() - t0) / iters)
            r[1], r[2] = params, state
        t0 = time.perf_counter()
        for _ in range(iters):
            copy_buf = copy(copy_buf)
        jax.block_until_ready(copy_buf)
        times["copy"].append((time.perf_counter() - t0) / iters)
    med = {name: statistics.median(t) for name, t in times.items()}
    gbps = {name: bytes_per_param * n_params / med[name] / 1e9 for name in runners}
    result = {
        "leaves": leaves,
        "params": n_params,
        "median_s": med,
        "ratio_vs_optax": {name: med[name] / med[ref] for name in runners},
        "GBps": gbps,
        "copy_GBps": 8 * n_params / med["copy"] / 1e9,
        "first_call_s": compile_s,
        "rounds": rounds,
        "iters": iters,
    }
    if ref == "optax.adam":
        result["adam_GBps"] = gbps  # the key of the results recorded before "GBps"
    return result


def to_markdown(results: list[dict], machine: dict, names: tuple[str, ...]) -> str:
    lines = [
        "# Many small leaves: Adam step (update + apply), optax vs optzoo layouts",
        "",
        "Machine: " + ", ".join(f"{k}={v}" for k, v in machine.items()),
        "",
        "Median step time in ms (ratio to optax.adam). Bandwidth: Adam's 28 B/param; copy: "
        "one-buffer x+1, 8 B/param, same run. GPU: not yet measured.",
        "",
        "| leaves | params | " + " | ".join(names) + " | copy GB/s | best GB/s |",
        "|---|---|" + "---|" * len(names) + "---|---|",
    ]
    for r in results:
        cells = [f"{r['median_s'][n] * 1e3:.2f} ({r['ratio_vs_optax'][n]:.2f}x)" for n in names]
        best = max(r["adam_GBps"].values())
        lines.append(
            f"| {r['leaves']} | {r['params']:,} | " + " | ".join(cells) + f" | "
            f"{r['copy_GBps']:.1f} | {best:.1f} |"
        )
    lines += ["", "First call (compile + one step), seconds:", ""]
    lines.append("| leaves | params | " + " | ".join(names) + " |")
    lines.append("|---|---|" + "---|" * len(names))
    for r in results:
        cells = [f"{r['first_call_s'][n]:.2f}" for n in names]
        lines.append(f"| {r['leaves']} | {r['params']:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1M params only, fewer rounds")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    totals = [1 << 20] if args.quick else [1 << 20, 1 << 24]
    rounds = 3 if args.quick else args.rounds
    machine = machine_info()
    names = tuple(CONTENDERS) if args.quick else FULL
    results = []
    for total in totals:
        for leaves in (1, 100, 1000):
            iters = 20 if total <= 1 << 20 else 3
            r = bench_config(leaves, total, rounds, iters, names)
            print(json.dumps({k: r[k] for k in ("leaves", "params", "ratio_vs_optax")}), flush=True)
            results.append(r)
    machine["load_avg_1m_end"] = os.getloadavg()[0]
    md = to_markdown(results, machine, names)
    print(md)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "many_leaves_cpu" + ("_quick" if args.quick else "")
    (out / f"{stem}.md").write_text(md)
    (out / f"{stem}.json").write_text(
        json.dumps({"machine": machine, "results": results}, indent=1)
    )


if __name__ == "__main__":
    main()
