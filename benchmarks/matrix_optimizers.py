"""Matrix optimizers vs AdamW on a transformer-shaped parameter tree.

Reports per optimizer: compile time of the jitted update, median and mean step time
(interleaved rounds, so machine noise hits every contender alike), the ratio to AdamW,
and optimizer-state bytes per parameter. Muon is shown next to optax.contrib.muon.

    PYTHONPATH=. python benchmarks/matrix_optimizers.py --quick   # ~0.6M params
    PYTHONPATH=. python benchmarks/matrix_optimizers.py           # ~10M params

``--precond`` times SOAP and PSGD-Kron with ``precond_dtype`` float32 (None) vs bf16
instead of the full table. ``--mesh-flops`` prints XLA's compiled per-device FLOPs of
one update with and without ``block_mesh`` over all devices (set e.g.
``JAX_NUM_CPU_DEVICES=4``); it runs nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import optax

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import optzoo  # noqa: E402
from benchmarks._machine import cpu_model  # noqa: E402


def transformer_tree(d: int, layers: int, vocab: int, mlp: int = 4) -> dict:
    key = jax.random.PRNGKey(0)
    tree = {"embed": jax.random.normal(key, (vocab, d)) * 0.02, "final_norm": jnp.ones(d)}
    for i in range(layers):
        k = jax.random.split(jax.random.fold_in(key, i), 6)
        tree[f"layer{i}"] = {
            "q": jax.random.normal(k[0], (d, d)) * 0.02,
            "k": jax.random.normal(k[1], (d, d)) * 0.02,
            "v": jax.random.normal(k[2], (d, d)) * 0.02,
            "o": jax.random.normal(k[3], (d, d)) * 0.02,
            "up": jax.random.normal(k[4], (d, mlp * d)) * 0.02,
            "down": jax.random.normal(k[5], (mlp * d, d)) * 0.02,
            "ln1": jnp.ones(d),
            "ln2": jnp.ones(d),
            "bias": jnp.zeros(mlp * d),
        }
    return tree


def contenders() -> dict:
    # Sides longer than 2048 (the 8192-row embedding of the full tree) get no dense factor
    # in SOAP / PSGD-Kron here: an 8192 x 8192 eigh / triangular factor is not a CPU job.
    return {
        "adamw (optax)": optax.adamw(1e-3),
        "muon (optzoo)": optzoo.muon(0.02),
        "muon (optax.contrib)": optax.contrib.muon(0.02),
        "shampoo (optzoo, block 128, every 10)": optzoo.shampoo(1e-3, block_size=128),
        "soap (optzoo, every 10, max dim 2048)": optzoo.soap(3e-3, max_precondition_dim=2048),
        "psgd_kron (optzoo, max tri 2048)": optzoo.psgd_kron(1e-3, max_size_triangular=2048),
        "scion (optzoo)": optzoo.scion(1e-2),
    }


def precond_contenders() -> dict:
    bf16 = jnp.bfloat16
    return {
        "adamw (optax)": optax.adamw(1e-3),
        "soap fp32": optzoo.soap(3e-3, max_precondition_dim=2048),
        "soap bf16": optzoo.soap(3e-3, max_precondition_dim=2048, precond_dtype=bf16),
        "psgd_kron fp32": optzoo.psgd_kron(1e-3, max_size_triangular=2048),
        "psgd_kron bf16": optzoo.psgd_kron(1e-3, max_size_triangular=2048, precond_dtype=bf16),
    }


def mesh_flops(params: dict, grads: dict) -> str:
    """Per-device FLOPs of one compiled update, unsharded vs ``block_mesh`` (no run)."""
    mesh = jax.make_mesh(
        (jax.device_count(),), ("blocks",), axis_types=(jax.sharding.AxisType.Auto,)
    )
    makers = {
        "muon": lambda m: optzoo.muon(0.02, block_mesh=m),
        "shampoo (block 128)": lambda m: optzoo.shampoo(1e-3, block_size=128, block_mesh=m),
        "soap (max dim 2048)": lambda m: optzoo.soap(3e-3, max_precondition_dim=2048, block_mesh=m),
        "psgd_kron (max tri 2048)": lambda m: optzoo.psgd_kron(
            1e-3, max_size_triangular=2048, block_mesh=m
        ),
    }
    lines = [
        f"| optimizer | GFLOP/device, 1 | GFLOP/device, {jax.device_count()} | ratio |",
        "|---|---|---|---|",
    ]
    for name, make in makers.items():
        flops = []
        for m in (None, mesh):
            tx = make(m)
            state = tx.init(params)
            cost = jax.jit(tx.update).lower(grads, state, params).compile().cost_analysis()
            cost = cost[0] if isinstance(cost, (list, tuple)) else cost
            flops.append(float(cost.get("flops", float("nan"))))
        lines.append(
            f"| {name} | {flops[0] / 1e9:.2f} | {flops[1] / 1e9:.2f} | {flops[1] / flops[0]:.2f} |"
        )
    return "\n".join(lines)


def bench_contenders(
    txs: dict,
    params: dict,
    grads: dict,
    rounds: int,
    steps: int,
    workers: int = 1,
    errors: dict | None = None,
) -> dict:
    """Compiles each transformation's jitted ``update`` (``workers`` at a time), then times
    ``rounds`` interleaved rounds of ``steps`` steps each.

    Returns per name: ``compile`` (seconds; overlapping when ``workers > 1``), ``bytes``
    (optimizer state per parameter) and ``times`` (seconds of every step), plus the
    compiled ``fn`` and last ``state``. With ``errors``, a contender whose init, compile
    or first step raises is left out and its error text stored there.
    """
    n = sum(x.size for x in jax.tree.leaves(params))

    def build(tx):
        state = tx.init(params)
        t0 = time.perf_counter()
        compiled = jax.jit(tx.update).lower(grads, state, params).compile()
        compile_s = time.perf_counter() - t0
        out = compiled(grads, state, params)
        jax.block_until_ready(out)
        return compiled, state, out, compile_s

    def build_or_record(item):
        name, tx = item
        if errors is None:
            return name, build(tx)
        try:
            return name, build(tx)
        except Exception as e:  # noqa: BLE001 - recorded for the caller
            errors[name] = f"{type(e).__name__}: {e}"
            return name, None

    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(workers)
        try:
            built = dict(pool.map(build_or_record, txs.items()))
        finally:  # an interrupted caller (e.g. a time limit) does not wait for the rest
            pool.shutdown(wait=False, cancel_futures=True)
    else:
        built = dict(map(build_or_record, txs.items()))
    runs = {}
    for name, b in built.items():
        if b is None:
            continue
        compiled, state, out, compile_s = b
        state_bytes = sum(x.size * x.dtype.itemsize for x in jax.tree.leaves(state))
        runs[name] = dict(
            fn=compiled,
            state=out[1],
            compile=compile_s,
            bytes=state_bytes / n,
            times=[],
        )
    for _ in range(rounds):
        for r in runs.values():
            s = r["state"]
            for _ in range(steps):
                t0 = time.perf_counter()
                u, s = r["fn"](grads, s, params)
                jax.block_until_ready(u)
                r["times"].append(time.perf_counter() - t0)
            r["state"] = s
    return runs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=10, help="steps per round (one refresh period)")
    ap.add_argument("--out", default="benchmarks/results/matrix_optimizers_cpu.md")
    ap.add_argument("--precond", action="store_true", help="SOAP/PSGD-Kron fp32 vs bf16 only")
    ap.add_argument("--mesh-flops", action="store_true", help="per-device FLOPs with block_mesh")
    args = ap.parse_args()
    d, layers, vocab = (128, 2, 1024) if args.quick else (320, 6, 8192)
    params = transformer_tree(d, layers, vocab)
    n = sum(x.size for x in jax.tree.leaves(params))
    grads = jax.tree.map(
        lambda x: jnp.sin(jnp.arange(x.size, dtype=jnp.float32)).reshape(x.shape) * 1e-2, params
    )

    if args.mesh_flops:
        print(mesh_flops(params, grads))
        return
    load_before = os.getloadavg()
    runs = bench_contenders(
        precond_contenders() if args.precond else contenders(),
        params,
        grads,
        args.rounds,
        args.steps,
    )
    load_after = os.getloadavg()
    base = statistics.median(runs["adamw (optax)"]["times"])
    base_mean = statistics.mean(runs["adamw (optax)"]["times"])
    lines = [
        "# Matrix optimizers vs AdamW (CPU)",
        "",
        f"- machine: {cpu_model()}, {os.cpu_count()} cores (shared), {platform.platform()}",
        f"- jax {jax.__version__}"
        f", optax {optax.__version__}, device {jax.devices()[0].device_kind}",
        f"- tree: transformer-shaped, d={d}, layers={layers}, vocab={vocab}: "
        f"{n / 1e6:.2f}M params, {len(jax.tree.leaves(params))} leaves",
        f"- {args.rounds} interleaved rounds x {args.steps} steps (one preconditioner refresh "
        "per round for shampoo/soap; the mean includes it, the median mostly not)",
        f"- load average (1/5/15 min) before: {'/'.join(f'{x:.1f}' for x in load_before)}, "
        f"after: {'/'.join(f'{x:.1f}' for x in load_after)}",
        "",
        "| optimizer | compile s | median step ms | mean step ms | median / adamw | "
        "mean / adamw | state bytes/param |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in runs.items():
        med, mean = statistics.median(r["times"]), statistics.mean(r["times"])
        lines.append(
            f"| {name} | {r['compile']:.2f} | {med * 1e3:.2f} | {mean * 1e3:.2f} | "
            f"{med / base:.2f} | {mean / base_mean:.2f} | "
            f"{r['bytes']:.2f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "a") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
