"""Time one un-jitted (eager) optimizer step of optzoo against optax's counterpart.

Every optimizer that both libraries have (``optax.X`` or ``optax.contrib.X``, plus
``momentum`` / ``nesterov`` as ``optax.sgd`` with momentum) and that optzoo implements
itself runs ``update`` + ``apply_updates`` outside ``jit`` on the same small MLP-shaped
tree (4 leaves, ~68k float32 parameters), with four gradient trees in turn. Three
contenders are timed alternately: optzoo's registered optimizer, the same optimizer
built with the registry's default wrapper switched off (``registry.diagnosed``, which
adds a note naming the path to a tree error, replaced by the identity while it is
built, so composites such as ``momentum``, which
calls the registered ``sgd``, lose the inner wrapper too: the update rule alone), and
optax. A few warm-up steps
compile every operation first; each sample then runs ``--steps`` steps back to back and
ends with ``block_until_ready``. The median over ``--repeats`` samples is reported, with
the ratios optzoo/optax (below 1: optzoo faster). In eager mode a step is dozens of small
dispatched operations, so these times measure per-operation overhead, not arithmetic.

Usage::

    python benchmarks/eager_step.py              # every shared optimizer
    python benchmarks/eager_step.py --quick      # the classics, few repeats (< 1 min)
    python benchmarks/eager_step.py --optimizers adam,lion --repeats 21

Writes ``benchmarks/results/eager_step_<platform>.{md,json}`` (``--quick``:
``eager_step_<platform>_quick``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import optzoo  # noqa: E402
from benchmarks._machine import machine_info  # noqa: E402
from optzoo import registry  # noqa: E402

LR = 1e-3
# optzoo name -> (optax name, extra optax kwargs) where the names differ.
ALIASES: dict[str, tuple[str, dict[str, Any]]] = {
    "momentum": ("sgd", {"momentum": 0.9}),
    "nesterov": ("sgd", {"momentum": 0.9, "nesterov": True}),
}
CLASSICS = [
    "sgd", "momentum", "nesterov", "adam", "adamw", "nadam", "nadamw", "radam", "amsgrad",
    "adamax", "adamaxw", "rmsprop", "lion", "adafactor", "adagrad", "lamb", "lars",
    "adabelief", "yogi", "novograd", "adan", "adadelta", "sm3", "sign_sgd",
]  # fmt: skip


def _optax_factory(name: str) -> tuple[Callable[..., Any], dict[str, Any]] | None:
    target, kwargs = ALIASES.get(name, (name, {}))
    fn = getattr(optax, target, None) or getattr(optax.contrib, target, None)
    return (fn, kwargs) if callable(fn) else None


def pairs(selected: list[str] | None) -> tuple[list[str], list[str]]:
    """Optimizers both libraries have (optzoo's own code), and those optzoo re-exports."""
    ours, reexported = [], []
    for name in selected or registry.names():
        theirs = _optax_factory(name)
        if theirs is None or registry.info(name).needs:
            continue
        if getattr(optzoo, name, None) is theirs[0]:
            reexported.append(name)
        else:
            ours.append(name)
    return ours, reexported


def make_tree(n_grads: int = 4) -> tuple[dict[str, jax.Array], list[dict[str, jax.Array]]]:
    """Parameters and ``n_grads`` gradient trees, used in turn.

    A constant gradient would drive moments such as AdaBelief's :math:`(g - m)^2` into
    subnormal floats, whose slow CPU arithmetic would dominate the time.
    """
    rng = np.random.default_rng(0)
    shapes = {"w1": (256, 256), "b1": (256,), "w2": (256, 10), "b2": (10,)}

    def tree() -> dict[str, jax.Array]:
        return {k: jnp.asarray(rng.standard_normal(s), jnp.float32) for k, s in shapes.items()}

    return tree(), [tree() for _ in range(n_grads)]


def _runner(tx: optax.GradientTransformation, params, grads: list, steps: int) -> Callable:
    box = [params, tx.init(params)]

    def sample() -> None:
        p, s = box
        for i in range(steps):
            u, s = tx.update(grads[i % len(grads)], s, p)
            p = optax.apply_updates(p, u)
        jax.block_until_ready(p)
        box[0], box[1] = p, s

    return sample


def _unwrapped(factory: Callable[..., Any]) -> optax.GradientTransformation:
    """The optimizer built with every registered factory's ``diagnosed`` wrapper switched off."""
    original = registry.diagnosed
    registry.diagnosed = lambda tx, name="": tx  # type: ignore[assignment]
    try:
        return factory(LR)
    finally:
        registry.diagnosed = original


def bench_one(name: str, repeats: int, steps: int) -> dict[str, Any]:
    params, grads = make_tree()
    theirs, kwargs = _optax_factory(name)  # type: ignore[misc]
    factory = registry.info(name).factory
    contenders = {
        "optzoo": factory(LR),
        "unwrapped": _unwrapped(factory),
        "optax": theirs(LR, **kwargs),
    }
    runs = {k: _runner(tx, params, grads, steps) for k, tx in contenders.items()}
    for run in runs.values():  # warm-up: compile every eager operation
        run()
    samples: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(repeats):
        for k, run in runs.items():
            t0 = time.perf_counter()
            run()
            samples[k].append((time.perf_counter() - t0) / steps)
    ms = {k: 1e3 * statistics.median(v) for k, v in samples.items()}
    best = {k: 1e3 * min(v) for k, v in samples.items()}
    return {
        "optimizer": name,
        "classic": name in CLASSICS,
        "optzoo_ms": ms["optzoo"],
        "unwrapped_ms": ms["unwrapped"],
        "optax_ms": ms["optax"],
        "ratio": ms["optzoo"] / ms["optax"],
        "ratio_unwrapped": ms["unwrapped"] / ms["optax"],
        # Fastest samples: on a shared machine, less disturbed by other processes.
        "ratio_min": best["optzoo"] / best["optax"],
        "ratio_unwrapped_min": best["unwrapped"] / best["optax"],
    }


def to_markdown(info: dict[str, Any], rows: list[dict], reexported: list[str], args) -> str:
    when = info["date"]
    load = info.get("load_avg_1m")
    lines = [
        f"# Eager step: optzoo vs optax ({info['platform']}: {info['device']})",
        "",
        "Un-jitted `update` + `apply_updates` on a 4-leaf MLP-shaped float32 tree (~68k "
        f"params); median of {args.repeats} interleaved samples of {args.steps} steps after "
        "warm-up; time per step. `optzoo` is the registered optimizer (with the registry's "
        "default wrapper), `unwrapped` the same update rule without it "
        "(the registry's `diagnosed` switched off while building it). "
        "Ratio = optzoo / optax (below 1: optzoo faster); "
        "`(min)`: the same from each contender's fastest sample.",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores (load average at start {load}); "
        f"Python {info['python']}; jax {info['jax']}, jaxlib {info['jaxlib']}, "
        f"optax {info['optax']}; {when}.",
        "",
        "| optimizer | classic | optzoo ms | unwrapped ms | optax ms | ratio | ratio unwrapped "
        "| ratio (min) | ratio unwrapped (min) |",
        "|---|:-:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['optimizer']} | {'x' if r['classic'] else ''} | {r['optzoo_ms']:.3f} | "
            f"{r['unwrapped_ms']:.3f} | {r['optax_ms']:.3f} | {r['ratio']:.3f} | "
            f"{r['ratio_unwrapped']:.3f} | {r['ratio_min']:.3f} | {r['ratio_unwrapped_min']:.3f} |"
        )
    classic = [r for r in rows if r["classic"]]
    if classic:
        med = statistics.median(r["ratio"] for r in classic)
        med_u = statistics.median(r["ratio_unwrapped"] for r in classic)
        med_m = statistics.median(r["ratio_min"] for r in classic)
        med_um = statistics.median(r["ratio_unwrapped_min"] for r in classic)
        lines += [
            "",
            f"Median ratio over the {len(classic)} classics: {med:.3f} "
            f"(unwrapped: {med_u:.3f}; from the fastest samples: {med_m:.3f}, "
            f"unwrapped {med_um:.3f}).",
        ]
    if reexported:
        lines += ["", f"Re-exported from optax (same code, not timed): {', '.join(reexported)}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--optimizers", default=None, help="comma list (default: all shared)")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--steps", type=int, default=None, help="eager steps per sample")
    ap.add_argument("--quick", action="store_true", help="the classics, few repeats")
    ap.add_argument("--out", default=None, help="output stem (default benchmarks/results/...)")
    args = ap.parse_args(argv)
    selected = args.optimizers.split(",") if args.optimizers else None
    if args.quick and selected is None:
        selected = CLASSICS
    args.repeats = args.repeats or (5 if args.quick else 15)
    args.steps = args.steps or (5 if args.quick else 10)
    names, reexported = pairs(selected)
    info = machine_info()
    info["date"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    rows = []
    for name in names:
        try:
            row = bench_one(name, args.repeats, args.steps)
        except Exception as e:  # an optax counterpart with another signature: report it
            print(f"{name}: skipped ({type(e).__name__}: {e})", flush=True)
            continue
        rows.append(row)
        print(
            f"{name:22s} optzoo {row['optzoo_ms']:7.3f} ms  unwrapped {row['unwrapped_ms']:7.3f}"
            f" ms  optax {row['optax_ms']:7.3f} ms  ratio {row['ratio']:.3f}"
            f" (unwrapped {row['ratio_unwrapped']:.3f})",
            flush=True,
        )
    suffix = "_quick" if args.quick else ""
    stem = (
        Path(args.out)
        if args.out
        else Path(__file__).parent / "results" / f"eager_step_{info['platform']}{suffix}"
    )
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".md").write_text(to_markdown(info, rows, reexported, args))
    result = {
        "machine": info,
        "repeats": args.repeats,
        "steps": args.steps,
        "rows": rows,
        "reexported": reexported,
    }
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {stem}.md and .json")


if __name__ == "__main__":
    main()
