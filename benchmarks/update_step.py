"""Time one jitted optimizer step of optzoo against optax's counterpart.

For every optimizer in ``TABLE`` that optzoo implements itself (``optzoo.X is not
optax.X``), both contenders run a jitted ``update`` + ``apply_updates`` (nothing
donated) on the same parameters, split into 1, 100 or 1000 leaves. Each is
compiled first; then the two are timed alternately (``block_until_ready``),
``--repeats`` samples each (a sample repeats a short step until it lasts ~20 ms),
and the medians and the ratio optzoo/optax are reported. A
jitted copy ``p + 1`` of the same tree gives the memory bandwidth the machine
reaches in the same run; each step's GB/s counts the bytes an ideal fused step
must move: 4 B x (params + grads read, params written, state read and written).

Usage::

    nice python benchmarks/update_step.py            # full: 1M and 16M params
    python benchmarks/update_step.py --quick         # < 1 minute
    python benchmarks/update_step.py --optimizers adam,adamw --sizes 4M --leaves 1,10

Writes ``benchmarks/results/update_step_<platform>.{md,json}`` (``--quick``: a temp dir).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import jaxlib
import numpy as np
import optax

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import optzoo  # noqa: E402

LR = 1e-3

# name -> (optax factory name, extra optax kwargs). optzoo's factory of the same
# name is called with the learning rate only, optax's with the extra kwargs too.
TABLE: dict[str, tuple[str, dict[str, Any]]] = {
    "sgd": ("sgd", {}),
    "momentum": ("sgd", {"momentum": 0.9}),
    "nesterov": ("sgd", {"momentum": 0.9, "nesterov": True}),
    "adagrad": ("adagrad", {}),
    "rmsprop": ("rmsprop", {}),
    "adadelta": ("adadelta", {}),
    "adam": ("adam", {}),
    "adamw": ("adamw", {}),
    "nadam": ("nadam", {}),
    "nadamw": ("nadamw", {}),
    "amsgrad": ("amsgrad", {}),
    "adamax": ("adamax", {}),
    "adamaxw": ("adamaxw", {}),
    "adabelief": ("adabelief", {}),
    "lion": ("lion", {}),
    "lamb": ("lamb", {}),
    "lars": ("lars", {}),
    "radam": ("radam", {}),
    "yogi": ("yogi", {}),
    "novograd": ("novograd", {}),
    "adan": ("adan", {}),
    "sm3": ("sm3", {}),
    "fromage": ("fromage", {}),
    "sign_sgd": ("sign_sgd", {}),
}

# floats of optimizer state per parameter, for the byte count when the registry has no entry
STATE_PER_PARAM = {
    "sgd": 0,
    "momentum": 1,
    "nesterov": 1,
    "adagrad": 1,
    "rmsprop": 1,
    "adadelta": 2,
    "adam": 2,
    "adamw": 2,
    "nadam": 2,
    "nadamw": 2,
    "amsgrad": 3,
    "adamax": 2,
    "adamaxw": 2,
}


def parse_size(text: str) -> int:
    text = text.strip().upper()
    mult = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
    return int(float(text[:-1] if mult > 1 else text) * mult)


def size_label(n: int) -> str:
    for unit, mult in (("M", 2**20), ("K", 2**10)):
        if n >= mult and n % mult == 0:
            return f"{n // mult}{unit}"
    return str(n)


def select(names: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Splits names into (timed, re-exported, unavailable)."""
    timed, reexported, missing = [], [], []
    for name in names:
        if name not in TABLE:
            raise SystemExit(f"unknown optimizer {name!r}; known: {', '.join(TABLE)}")
        ours = getattr(optzoo, name, None)
        theirs = getattr(optax, TABLE[name][0], None)
        if ours is None or theirs is None:
            missing.append(name)
        elif ours is getattr(optax, name, None):
            reexported.append(name)
        else:
            timed.append(name)
    return timed, reexported, missing


def make_tree(total: int, leaves: int, seed: int) -> dict[str, jax.Array]:
    sizes = [total // leaves] * leaves
    sizes[-1] += total - sum(sizes)
    rng = np.random.default_rng(seed)
    return {
        f"p{i:04d}": jnp.asarray(rng.standard_normal(n, dtype=np.float32))
        for i, n in enumerate(sizes)
    }


def compiled_step(tx: optax.GradientTransformation, params, grads) -> tuple[Callable, Any]:
    def step(p, s, g):
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s

    state = tx.init(params)
    fn = jax.jit(step).lower(params, state, grads).compile()
    jax.block_until_ready(fn(params, state, grads))  # warm-up run
    return fn, state


MIN_SAMPLE_S = 0.02  # a sample runs a call repeatedly for at least this long


def time_interleaved(calls: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median seconds per call of each contender; the order alternates between samples.

    Each sample times ``k`` back-to-back calls (the same ``k`` for all contenders,
    chosen so a sample lasts about ``MIN_SAMPLE_S``), which keeps scheduler noise on
    a shared machine from dominating short steps.
    """
    keys = list(calls)
    once = []
    for key in keys:
        t0 = time.perf_counter()
        jax.block_until_ready(calls[key]())
        once.append(time.perf_counter() - t0)
    k = max(1, min(1000, int(MIN_SAMPLE_S / max(min(once), 1e-7))))
    times: dict[str, list[float]] = {key: [] for key in keys}
    for r in range(repeats):
        for key in keys if r % 2 == 0 else keys[::-1]:
            fn = calls[key]
            t0 = time.perf_counter()
            for _ in range(k - 1):
                fn()
            jax.block_until_ready(fn())
            times[key].append((time.perf_counter() - t0) / k)
    return {key: statistics.median(v) for key, v in times.items()}


def state_floats(name: str) -> float:
    try:
        return float(optzoo.registry.info(name).state_per_param)
    except Exception:  # noqa: BLE001 - not registered (yet)
        return float(STATE_PER_PARAM.get(name, float("nan")))


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    dev = jax.devices()[0]
    return {
        "cpu_model": cpu,
        "cpu_cores": os.cpu_count(),
        "cpu_cores_usable": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else None,
        "load_average": [round(x, 2) for x in os.getloadavg()]
        if hasattr(os, "getloadavg")
        else None,
        "platform": dev.platform,
        "device": f"{dev.platform}: {dev.device_kind}",
        "device_count": jax.device_count(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "optax": optax.__version__,
        "optzoo": optzoo.__version__,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def max_abs_diff(a: Any, b: Any) -> float:
    """The largest elementwise difference between two trees of the same structure."""
    return max(
        float(jnp.max(jnp.abs(x.astype(jnp.float32) - y.astype(jnp.float32))))
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True)
    )


def bench_pair(
    name: str,
    ours: optax.GradientTransformation,
    theirs: optax.GradientTransformation,
    params,
    grads,
    repeats: int,
    state_per_param: float | None = None,
) -> dict[str, Any]:
    """Times two transformations' steps (``ours``: optzoo, ``theirs``: optax) on one tree.

    GB/s counts 4 B x (3 + 2 x ``state_per_param``) per parameter; without
    ``state_per_param`` the float32 count comes from the size of ``ours``'s state.
    """
    fz, sz = compiled_step(ours, params, grads)
    fx, sx = compiled_step(theirs, params, grads)
    t = time_interleaved(
        {"optzoo": lambda: fz(params, sz, grads), "optax": lambda: fx(params, sx, grads)},
        repeats,
    )
    # Sanity: both contenders compute the same step.
    diff = max_abs_diff(fz(params, sz, grads)[0], fx(params, sx, grads)[0])
    total = sum(x.size for x in jax.tree.leaves(params))
    if state_per_param is None:
        state_per_param = sum(x.nbytes for x in jax.tree.leaves(sz)) / (4 * total)
    nbytes = 4 * total * (3 + 2 * state_per_param)
    return {
        "optimizer": name,
        "optzoo_ms": 1e3 * t["optzoo"],
        "optax_ms": 1e3 * t["optax"],
        "ratio": t["optzoo"] / t["optax"],
        "optzoo_GBps": nbytes / t["optzoo"] / 1e9,
        "optax_GBps": nbytes / t["optax"] / 1e9,
        "state_per_param": state_per_param,
        "max_abs_diff": diff,
    }


def bench_one(name: str, params, grads, repeats: int) -> dict[str, Any]:
    """Times optzoo's and optax's step for one optimizer of ``TABLE`` on one tree."""
    optax_name, extra = TABLE[name]
    return bench_pair(
        name,
        getattr(optzoo, name)(LR),
        getattr(optax, optax_name)(LR, **extra),
        params,
        grads,
        repeats,
        state_floats(name),
    )


def copy_gbps(params, repeats: int) -> float:
    """GB/s of a jitted ``p + 1`` over the tree (4 B read + 4 B written per parameter)."""
    copy = jax.jit(lambda p: jax.tree.map(lambda x: x + 1.0, p)).lower(params).compile()
    jax.block_until_ready(copy(params))
    t_copy = time_interleaved({"copy": lambda: copy(params)}, repeats)["copy"]
    return 8 * sum(x.size for x in jax.tree.leaves(params)) / t_copy / 1e9


def run(sizes: list[int], leaves_list: list[int], names: list[str], repeats: int) -> list[dict]:
    rows = []
    for total in sizes:
        for leaves in leaves_list:
            params = make_tree(total, leaves, seed=0)
            grads = make_tree(total, leaves, seed=1)
            copy_gbs = copy_gbps(params, repeats)
            for name in names:
                row = bench_one(name, params, grads, repeats)
                row.update(params=total, leaves=leaves, copy_GBps=copy_gbs)
                rows.append(row)
                print(
                    f"{name:>10} {size_label(total):>5} x{leaves:<5}"
                    f" optzoo {row['optzoo_ms']:9.3f} ms  optax {row['optax_ms']:9.3f} ms"
                    f"  ratio {row['ratio']:.3f}",
                    flush=True,
                )
    return rows


def to_markdown(
    info: dict, rows: list[dict], reexported: list[str], missing: list[str], repeats: int
) -> str:
    lines = [
        f"# Update step: optzoo vs optax ({info['device']})",
        "",
        f"Jitted `update` + `apply_updates`, fp32, nothing donated; median of {repeats} "
        "interleaved samples after compilation (a sample repeats a step back to back until it "
        "lasts ~20 ms; the time is per step). Ratio = optzoo / optax (below 1: optzoo faster). "
        "GB/s counts the bytes of an ideal fused step (4 B x (3 + 2 x state floats) per param); "
        "`copy` is a jitted `p + 1` over the same tree (8 B/param) in the same run. "
        "max abs diff: between the two contenders' new parameters after one step.",
        "",
        f"Machine: {info['cpu_model']}, {info['cpu_cores']} cores "
        f"(load average at start {info['load_average']}); {info['device']}; "
        f"jax {info['jax']}, jaxlib {info['jaxlib']}, optax {info['optax']}; {info['date_utc']}.",
        "",
        "On a shared CPU only the ratios are meaningful; absolute times count on a GPU.",
        "",
        "| optimizer | params | leaves | optzoo ms | optax ms | ratio "
        "| optzoo GB/s | optax GB/s | copy GB/s | max abs diff |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['optimizer']} | {size_label(r['params'])} | {r['leaves']} "
            f"| {r['optzoo_ms']:.3f} "
            f"| {r['optax_ms']:.3f} | {r['ratio']:.3f} | {r['optzoo_GBps']:.1f} "
            f"| {r['optax_GBps']:.1f} | {r['copy_GBps']:.1f} | {r['max_abs_diff']:.1e} |"
        )
    if rows:
        ratios = [r["ratio"] for r in rows]
        lines += [
            "",
            f"Geometric mean ratio: {float(np.exp(np.mean(np.log(ratios)))):.3f} "
            f"over {len(rows)} cases.",
        ]
    lines += [
        "",
        "Re-exported from optax (same object, not timed): "
        + (", ".join(reexported) or "none")
        + ".",
    ]
    if missing:
        lines += ["", "Not available in optzoo or optax: " + ", ".join(missing) + "."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default=None, help="total parameters, e.g. 1M,16M")
    ap.add_argument("--leaves", default=None, help="leaf counts, e.g. 1,100,1000")
    ap.add_argument("--optimizers", default=None, help="comma list (default: the whole table)")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--quick", action="store_true", help="small sizes, few repeats (< 1 min)")
    ap.add_argument("--out", default=None, help="output stem (default benchmarks/results/...)")
    args = ap.parse_args(argv)

    sizes = [parse_size(s) for s in (args.sizes or ("64K" if args.quick else "1M,16M")).split(",")]
    leaves = [int(x) for x in (args.leaves or ("1,10" if args.quick else "1,100,1000")).split(",")]
    repeats = args.repeats or (5 if args.quick else 15)
    names = args.optimizers.split(",") if args.optimizers else list(TABLE)
    timed, reexported, missing = select(names)
    print(f"timing: {', '.join(timed) or 'nothing'}\nre-exported: {', '.join(reexported) or '-'}")
    if missing:
        print(f"unavailable: {', '.join(missing)}")

    info = machine_info()
    rows = run(sizes, leaves, timed, repeats)
    if args.out:
        stem = Path(args.out)
    elif args.quick:  # a smoke run: keep it out of the recorded results
        stem = Path(tempfile.gettempdir()) / f"optzoo_update_step_{info['platform']}_quick"
    else:
        stem = Path(__file__).parent / "results" / f"update_step_{info['platform']}"
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".md").write_text(to_markdown(info, rows, reexported, missing, repeats))
    result = {
        "machine": info,
        "repeats": repeats,
        "learning_rate": LR,
        "rows": rows,
        "re_exported": reexported,
        "unavailable": missing,
    }
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {stem.with_suffix('.md')} and .json")


if __name__ == "__main__":
    main()
