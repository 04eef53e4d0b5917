"""One-GPU check at real scale, under five minutes wall in total (compilation included).

Sections (each under a time budget; each failure is recorded and the next section runs):

1. ``update_step``: elementwise update-step bandwidth at 100M float32 parameters
   (4 leaves of 5000 x 5000): optzoo adamw, lion, sgd (momentum 0.9) and adafactor
   against optax's counterpart, timed alternately (``update_step.bench_pair``). GB/s
   counts the bytes of an ideal fused step (params + grads read, params written,
   optzoo's state read and written), as % of a jitted copy ``p + 1`` of the same tree
   (goal: >= 80%).
2. ``many_leaves``: the step on 1,000 leaves (16M parameters), optzoo vs optax, for
   adam, adamw, sgd and lion (``many_leaves.bench_config``: buffers donated, the eight
   contenders compiled concurrently, then timed in interleaved rounds).
3. ``matrix``: Muon, SOAP, Shampoo (blocks of 1024) and PSGD-Kron step time on a
   ~110M-parameter Transformer parameter tree (12 layers, d_model 768, MLP 3072,
   vocabulary 32,000), against AdamW (``matrix_optimizers.bench_contenders``).
4. ``train_step``: Transformer-LM train step (``TransformerLM`` of the same shape with an
   output head, ~135M parameters; batch 16 x 512 tokens; bf16 compute): optzoo's engine
   step (``Runner("single")``, ``StepOptions(precision="bf16")``, optzoo.adamw) vs a
   hand-written Flax + optax.adamw loop; tokens/s and the ratio.
5. ``findings``: not run (the findings suites do not exist yet).

Budgets (full run): 45, 50, 80 and 80 s. A section starts no new row once its budget is
spent (``update_step``; the others measure in one go) and is stopped at 1.5 x its budget
or when the total of 270 s (+ 10 s) is reached, whichever is first; a section is not
started with under 5 s of the total left. ``--sections update_step,matrix`` runs some;
``--budget-scale 2`` doubles every budget.

Usage (from the repository root)::

    PYTHONPATH=. python benchmarks/device_check.py --out DIR   # on the GPU, < 5 min
    benchmarks/device_check.sh --smoke                         # same code, toy sizes, CPU

Writes ``<platform>_device_check.{md,json}`` (on a GPU: ``gpu_device_check``) into
``--out`` (default ``benchmarks/results``; ``--smoke``: a temp dir), rewritten after
every measured row, so a run cut short still leaves its results. Exit status 1 when
any section failed. Needs only jax, flax, optax, numpy (and optzoo).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import optax

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import optzoo  # noqa: E402
from benchmarks import many_leaves, matrix_optimizers, update_step  # noqa: E402
from benchmarks._machine import machine_info  # noqa: E402

LR = 1e-3

# Sizes and seconds. The budgets are soft (a section starts no new row after its budget;
# the rows left are recorded as skipped) with a hard stop at HARD x budget.
FULL: dict[str, Any] = {
    "update_step": {"leaves": 4, "side": 5000, "repeats": 7, "budget_s": 45},
    "many_leaves": {"leaves": 1000, "total": 1 << 24, "rounds": 5, "iters": 20, "budget_s": 50},
    "matrix": {"d": 768, "layers": 12, "vocab": 32000, "rounds": 2, "steps": 10, "budget_s": 80},
    "train_step": {
        "vocab": 32000,
        "dim": 768,
        "heads": 12,
        "layers": 12,
        "batch": 16,
        "seq": 512,
        "rounds": 3,
        "steps": 10,
        "budget_s": 80,
    },
    "deadline_s": 270,
}
SMOKE: dict[str, Any] = {
    "update_step": {"leaves": 4, "side": 500, "repeats": 3, "budget_s": 150},
    "many_leaves": {"leaves": 20, "total": 1 << 16, "rounds": 2, "iters": 3, "budget_s": 150},
    "matrix": {"d": 32, "layers": 1, "vocab": 128, "rounds": 1, "steps": 2, "budget_s": 150},
    "train_step": {
        "vocab": 128,
        "dim": 32,
        "heads": 2,
        "layers": 1,
        "batch": 2,
        "seq": 16,
        "rounds": 1,
        "steps": 2,
        "budget_s": 150,
    },
    # Generous: on a shared CPU the smoke run's budgets only guard against a hang.
    "deadline_s": 600,
}
HARD = 1.5
GRACE_S = 10  # the hard limit of the last section: the total deadline plus this


class SectionTimeout(BaseException):  # not swallowed by an `except Exception`
    """The section ran past its hard time limit."""


class Section:
    """One section's record: rows, skipped rows, status, error text, seconds."""

    def __init__(self, report: Report, name: str, title: str, budget_s: float):
        self.report, self.name, self.budget_s = report, name, budget_s
        self.t0 = time.perf_counter()
        self.record: dict[str, Any] = {
            "title": title,
            "status": "running",
            "budget_s": budget_s,
            "rows": [],
            "skipped": [],
        }
        report.data["sections"][name] = self.record

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def over_budget(self, what: str) -> bool:
        """True (and ``what`` recorded as skipped) once the soft budget is spent."""
        if self.elapsed() > self.budget_s:
            self.record["skipped"].append(what)
            print(f"   skipped {what}: budget of {self.budget_s:.0f} s spent", flush=True)
            return True
        return False

    def add(self, row: dict[str, Any]) -> None:
        self.record["rows"].append(row)
        self.report.write()


class Report:
    def __init__(self, out: Path, smoke: bool):
        self.out = out
        info = machine_info()
        self.stem = out / f"{info['platform']}_device_check"
        self.data: dict[str, Any] = {
            "machine": info,
            "mode": "smoke" if smoke else "full",
            "sizes": SMOKE if smoke else FULL,
            "sections": {},
        }

    def write(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.stem.with_suffix(".json").write_text(json.dumps(self.data, indent=1) + "\n")
        self.stem.with_suffix(".md").write_text(to_markdown(self.data))


def run_section(
    report: Report,
    name: str,
    title: str,
    budget_s: float,
    hard_s: float,
    body: Callable[[Section], None],
) -> bool:
    """Runs ``body`` under the soft budget and the hard limit ``hard_s``; records ok / error /
    timeout; returns success."""
    sec = Section(report, name, title, budget_s)
    print(f"== {name}: start (budget {budget_s:.0f} s)", flush=True)
    use_alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM")

    def on_alarm(signum, frame):
        raise SectionTimeout(f"hard time limit of {hard_s:.0f} s reached")

    if use_alarm:
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(max(1, math.ceil(hard_s)))
    try:
        body(sec)
        sec.record["status"] = "ok"
    except SectionTimeout as e:
        sec.record["status"] = "timeout"
        sec.record["error"] = str(e)
    except Exception as e:  # noqa: BLE001 - record any failure, run the next section
        sec.record["status"] = "error"
        sec.record["error"] = f"{type(e).__name__}: {e}"
        sec.record["traceback"] = traceback.format_exc()
        print(sec.record["traceback"], flush=True)
    finally:
        if use_alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    sec.record["seconds"] = round(sec.elapsed(), 2)
    report.write()
    print(
        f"== {name}: {sec.record['status']} in {sec.record['seconds']:.1f} s"
        + (f" ({sec.record['error']})" if "error" in sec.record else ""),
        flush=True,
    )
    return sec.record["status"] == "ok"


# --- 1. elementwise update-step bandwidth ------------------------------------------------------


def square_tree(leaves: int, side: int, seed: int) -> dict[str, jax.Array]:
    key = jax.random.key(seed)
    return {
        f"p{i}": jax.random.normal(jax.random.fold_in(key, i), (side, side), jnp.float32)
        for i in range(leaves)
    }


UPDATE_STEP = {
    "adamw": (lambda: optzoo.adamw(LR), lambda: optax.adamw(LR)),
    "lion": (lambda: optzoo.lion(LR), lambda: optax.lion(LR)),
    "sgd (momentum 0.9)": (
        lambda: optzoo.sgd(LR, momentum=0.9),
        lambda: optax.sgd(LR, momentum=0.9),
    ),
    "adafactor": (lambda: optzoo.adafactor(LR), lambda: optax.adafactor(LR)),
}


def section_update_step(sec: Section, cfg: dict) -> None:
    params = square_tree(cfg["leaves"], cfg["side"], 0)
    grads = jax.tree.map(lambda x: 1e-2 * x, square_tree(cfg["leaves"], cfg["side"], 1))
    jax.block_until_ready((params, grads))
    n = cfg["leaves"] * cfg["side"] ** 2
    copy = update_step.copy_gbps(params, cfg["repeats"])
    sec.record["copy_GBps"] = copy
    sec.record["params"] = n
    print(f"   copy {copy:.1f} GB/s over {n:,} params", flush=True)
    for name, (ours, theirs) in UPDATE_STEP.items():
        if sec.over_budget(name):
            continue
        row = update_step.bench_pair(name, ours(), theirs(), params, grads, cfg["repeats"])
        row["optzoo_pct_of_copy"] = 100 * row["optzoo_GBps"] / copy
        row["optax_pct_of_copy"] = 100 * row["optax_GBps"] / copy
        sec.add(row)
        print(
            f"   {name}: optzoo {row['optzoo_ms']:.3f} ms ({row['optzoo_pct_of_copy']:.0f}% of "
            f"copy), optax {row['optax_ms']:.3f} ms, ratio {row['ratio']:.3f}",
            flush=True,
        )


# --- 2. many leaves ----------------------------------------------------------------------------

# name -> (optzoo factory, optax factory, bytes per parameter of an ideal fused step)
MANY_LEAVES = {
    "adam": (lambda: optzoo.adam(LR), lambda: optax.adam(LR), 28),
    "adamw": (lambda: optzoo.adamw(LR), lambda: optax.adamw(LR), 28),
    "sgd": (lambda: optzoo.sgd(LR), lambda: optax.sgd(LR), 12),
    "lion": (lambda: optzoo.lion(LR), lambda: optax.lion(LR), 20),
}


def section_many_leaves(sec: Section, cfg: dict) -> None:
    factories = {}
    for name, (ours, theirs, _) in MANY_LEAVES.items():
        factories[f"optax.{name}"], factories[f"optzoo.{name}"] = theirs, ours
    # One tree, all contenders compiled concurrently, then timed in interleaved rounds.
    r = many_leaves.bench_config(
        cfg["leaves"],
        cfg["total"],
        cfg["rounds"],
        cfg["iters"],
        tuple(factories),
        factories=factories,
        ref="optax.adam",
        workers=min(len(factories), max(2, (os.cpu_count() or 2) // 2)),
    )
    for name, (_, _, nbytes) in MANY_LEAVES.items():
        zoo, ref = f"optzoo.{name}", f"optax.{name}"
        t_zoo, t_ref = r["median_s"][zoo], r["median_s"][ref]
        row = {
            "optimizer": name,
            "leaves": r["leaves"],
            "params": r["params"],
            "optzoo_ms": 1e3 * t_zoo,
            "optax_ms": 1e3 * t_ref,
            "ratio": t_zoo / t_ref,
            "optzoo_GBps": nbytes * r["params"] / t_zoo / 1e9,
            "optax_GBps": nbytes * r["params"] / t_ref / 1e9,
            "copy_GBps": r["copy_GBps"],
            "optzoo_first_call_s": r["first_call_s"][zoo],
            "optax_first_call_s": r["first_call_s"][ref],
        }
        sec.add(row)
        print(
            f"   {name}: optzoo {row['optzoo_ms']:.3f} ms, optax {row['optax_ms']:.3f} ms, "
            f"ratio {row['ratio']:.3f}",
            flush=True,
        )


# --- 3. matrix optimizers ----------------------------------------------------------------------


def matrix_contenders() -> dict[str, optax.GradientTransformation]:
    return {
        "adamw (optax)": optax.adamw(LR),
        "adamw (optzoo)": optzoo.adamw(LR),
        "muon (optzoo)": optzoo.muon(0.02),
        "soap (optzoo)": optzoo.soap(3e-3),
        "shampoo (optzoo, block 1024)": optzoo.shampoo(LR, block_size=1024),
        "psgd_kron (optzoo)": optzoo.psgd_kron(LR),
    }


def section_matrix(sec: Section, cfg: dict) -> None:
    params = matrix_optimizers.transformer_tree(cfg["d"], cfg["layers"], cfg["vocab"])
    grads = jax.tree.map(
        lambda x: jnp.sin(jnp.arange(x.size, dtype=jnp.float32)).reshape(x.shape) * 1e-2, params
    )
    n = sum(x.size for x in jax.tree.leaves(params))
    sec.record["params"] = n
    sec.record["leaves"] = len(jax.tree.leaves(params))
    txs = matrix_contenders()
    errors: dict[str, str] = {}
    # Compiled concurrently (XLA compiles with the GIL released), then timed one at a time.
    runs = matrix_optimizers.bench_contenders(
        txs,
        params,
        grads,
        cfg["rounds"],
        cfg["steps"],
        workers=min(len(txs), max(2, (os.cpu_count() or 2) // 2)),
        errors=errors,
    )
    sec.record["errors"] = errors
    base = runs.get("adamw (optax)")
    for name in txs:
        if name not in runs:
            continue
        r = runs[name]
        med, mean = statistics.median(r["times"]), statistics.mean(r["times"])
        row = {
            "optimizer": name,
            "compile_s": r["compile"],
            "median_ms": 1e3 * med,
            "mean_ms": 1e3 * mean,
            "median_over_adamw": med / statistics.median(base["times"]) if base else None,
            "mean_over_adamw": mean / statistics.mean(base["times"]) if base else None,
            "state_bytes_per_param": r["bytes"],
        }
        sec.add(row)
        print(f"   {name}: median {row['median_ms']:.2f} ms, mean {row['mean_ms']:.2f} ms")
    if errors:
        raise RuntimeError("; ".join(f"{k}: {v}" for k, v in errors.items()))


# --- 4. Transformer-LM train step --------------------------------------------------------------


def section_train_step(sec: Section, cfg: dict) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from optzoo.models import TransformerLM
    from optzoo.train.parallel import Runner
    from optzoo.train.state import create_train_state
    from optzoo.train.steps import StepOptions

    model = TransformerLM(
        vocab_size=cfg["vocab"],
        dim=cfg["dim"],
        heads=cfg["heads"],
        layers=cfg["layers"],
        max_len=cfg["seq"],
    )
    b, t = cfg["batch"], cfg["seq"]
    k1, k2 = jax.random.split(jax.random.key(0))
    x = jax.random.randint(k1, (b, t), 0, cfg["vocab"], jnp.int32)
    y = jax.random.randint(k2, (b, t), 0, cfg["vocab"], jnp.int32)
    tokens = b * t

    # optzoo's engine: the step ``optzoo train`` runs, with bf16 compute.
    state = create_train_state(model, optzoo.adamw(LR), jax.device_get(x[:1]), 0)
    params = jax.tree.map(jnp.copy, state.params)  # the Flax loop's own buffers
    n = sum(p.size for p in jax.tree.leaves(params))
    sec.record.update(params=n, tokens_per_step=tokens)
    runner = Runner("single", jax.devices()[:1], StepOptions(precision="bf16"))
    state = runner.put_state(state)
    batch = runner.put_batch({"x": x, "y": y})
    rng = jax.random.key(1)

    # The hand-written loop: Flax apply in bf16, optax.adamw, params and state donated.
    tx = optax.adamw(LR)
    opt_state = tx.init(params)

    def loss_fn(p, xb, yb):
        p16 = jax.tree.map(lambda a: a.astype(jnp.bfloat16), p)
        logits = model.apply({"params": p16}, xb, train=True)
        return optax.softmax_cross_entropy_with_integer_labels(
            logits.astype(jnp.float32), yb
        ).mean()

    def fstep(p, s, xb, yb):
        loss, g = jax.value_and_grad(loss_fn)(p, xb, yb)
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s, loss

    fstep_jit = jax.jit(fstep, donate_argnums=(0, 1))
    holder: dict[str, Any] = {"state": state, "params": params, "opt_state": opt_state}

    def first_optzoo() -> float:
        t0 = time.perf_counter()
        holder["state"], m = runner.step(holder["state"], batch, rng)
        jax.block_until_ready(m["loss"])
        return time.perf_counter() - t0

    def first_flax() -> float:
        t0 = time.perf_counter()
        holder["fn"] = fstep_jit.lower(params, opt_state, x, y).compile()
        return time.perf_counter() - t0

    pool = ThreadPoolExecutor(2)  # the two compilations overlap
    try:
        f1, f2 = pool.submit(first_optzoo), pool.submit(first_flax)
        sec.record["first_call_s"] = {"optzoo": f1.result(), "flax_optax": f2.result()}
    finally:  # a time limit does not wait for the other compilation
        pool.shutdown(wait=False, cancel_futures=True)
    fn = holder["fn"]

    def run_optzoo(k: int) -> None:
        for _ in range(k):
            holder["state"], m = runner.step(holder["state"], batch, rng)
        jax.block_until_ready(m["loss"])

    def run_flax(k: int) -> None:
        for _ in range(k):
            holder["params"], holder["opt_state"], loss = fn(
                holder["params"], holder["opt_state"], x, y
            )
        jax.block_until_ready(loss)

    contenders = {"optzoo": run_optzoo, "flax_optax": run_flax}
    for f in contenders.values():
        f(1)  # warm
    rates: dict[str, list[float]] = {k: [] for k in contenders}
    for r in range(cfg["rounds"]):
        for name in list(contenders)[:: 1 if r % 2 == 0 else -1]:
            t0 = time.perf_counter()
            contenders[name](cfg["steps"])
            rates[name].append(cfg["steps"] * tokens / (time.perf_counter() - t0))
    med = {k: statistics.median(v) for k, v in rates.items()}
    row = {
        "optzoo_tokens_per_s": med["optzoo"],
        "flax_optax_tokens_per_s": med["flax_optax"],
        "optzoo_over_flax": med["optzoo"] / med["flax_optax"],
        "optzoo_over_flax_paired_median": statistics.median(
            a / b for a, b in zip(rates["optzoo"], rates["flax_optax"], strict=True)
        ),
        "optzoo_step_ms": 1e3 * tokens / med["optzoo"],
        "flax_optax_step_ms": 1e3 * tokens / med["flax_optax"],
    }
    sec.add(row)
    print(
        f"   optzoo {row['optzoo_tokens_per_s']:,.0f} tok/s, Flax+optax "
        f"{row['flax_optax_tokens_per_s']:,.0f} tok/s, ratio {row['optzoo_over_flax']:.3f}",
        flush=True,
    )


# --- report ------------------------------------------------------------------------------------


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return "-" if v is None else str(v)


def _table(rows: list[dict], keys: list[str]) -> list[str]:
    out = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    out += ["| " + " | ".join(_fmt(r.get(k)) for k in keys) + " |" for r in rows]
    return out


COLUMNS = {
    "update_step": [
        "optimizer",
        "optzoo_ms",
        "optax_ms",
        "ratio",
        "optzoo_GBps",
        "optzoo_pct_of_copy",
        "optax_pct_of_copy",
        "state_per_param",
        "max_abs_diff",
    ],
    "many_leaves": [
        "optimizer",
        "leaves",
        "params",
        "optzoo_ms",
        "optax_ms",
        "ratio",
        "optzoo_GBps",
        "optax_GBps",
        "copy_GBps",
        "optzoo_first_call_s",
        "optax_first_call_s",
    ],
    "matrix": [
        "optimizer",
        "compile_s",
        "median_ms",
        "mean_ms",
        "median_over_adamw",
        "mean_over_adamw",
        "state_bytes_per_param",
    ],
    "train_step": [
        "optzoo_tokens_per_s",
        "flax_optax_tokens_per_s",
        "optzoo_over_flax",
        "optzoo_over_flax_paired_median",
        "optzoo_step_ms",
        "flax_optax_step_ms",
    ],
}


def to_markdown(data: dict) -> str:
    m = data["machine"]
    lines = [
        f"# Device check ({data['mode']}): {m['device']}",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in m.items()) + ".",
        "",
        "Times are medians after compilation (`block_until_ready`); ratio = optzoo / optax "
        "time (below 1: optzoo faster), except in train_step (optzoo / Flax tokens/s: above 1 "
        "is faster). GB/s counts the bytes of an ideal fused step. Produced by "
        "`benchmarks/device_check.py`; the sizes are in the JSON file next to this one.",
    ]
    for name, sec in data["sections"].items():
        lines += ["", f"## {name}: {sec['title']}", ""]
        status = sec["status"] + (f" in {sec['seconds']:.1f} s" if "seconds" in sec else "")
        budget = f" (budget {sec['budget_s']:.0f} s)" if "budget_s" in sec else ""
        lines.append(f"Status: {status}{budget}.")
        for key in ("params", "leaves", "copy_GBps", "tokens_per_step", "first_call_s"):
            if key in sec:
                lines.append(f"{key}: {_fmt(sec[key])}.")
        if sec.get("note"):
            lines.append(sec["note"])
        if sec.get("error"):
            lines += ["", "Error: `" + sec["error"].replace("\n", " ")[:2000] + "`"]
        if sec["rows"]:
            lines += [""] + _table(sec["rows"], COLUMNS.get(name, list(sec["rows"][0])))
        if sec.get("skipped"):
            lines += ["", "Skipped (budget spent): " + ", ".join(sec["skipped"]) + "."]
    return "\n".join(lines) + "\n"


SECTIONS: list[tuple[str, str, Callable[[Section, dict], None]]] = [
    (
        "update_step",
        "elementwise update-step bandwidth vs a jitted copy; optzoo vs optax",
        section_update_step,
    ),
    ("many_leaves", "many-leaf step, optzoo vs optax", section_many_leaves),
    ("matrix", "Muon / SOAP / Shampoo / PSGD-Kron vs AdamW on a Transformer tree", section_matrix),
    (
        "train_step",
        "Transformer-LM train step (bf16 compute): optzoo engine vs Flax + optax",
        section_train_step,
    ),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="toy sizes (CPU, < 60 s)")
    ap.add_argument("--out", default=None, help="output folder")
    ap.add_argument(
        "--sections",
        default=None,
        help="comma list of " + ", ".join(s[0] for s in SECTIONS) + " (default: all)",
    )
    ap.add_argument("--budget-scale", type=float, default=1.0, help="multiplies every budget")
    args = ap.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    if args.out:
        out = Path(args.out)
    elif args.smoke:
        out = Path(tempfile.mkdtemp(prefix="optzoo_device_check_"))
    else:
        out = Path(__file__).parent / "results"
    wanted = args.sections.split(",") if args.sections else [s[0] for s in SECTIONS]
    unknown = set(wanted) - {s[0] for s in SECTIONS}
    if unknown:
        ap.error(f"unknown sections: {', '.join(sorted(unknown))}")

    t_start = time.perf_counter()
    report = Report(out, args.smoke)
    print(f"device: {report.data['machine']['device']}; writing {report.stem}.md/.json")
    ok = True
    for name, title, body in SECTIONS:
        if name not in wanted:
            continue
        cfg = sizes[name]
        left = args.budget_scale * sizes["deadline_s"] - (time.perf_counter() - t_start)
        budget = min(args.budget_scale * cfg["budget_s"], left)
        if budget < 5:
            report.data["sections"][name] = {
                "title": title,
                "status": "not run: total deadline reached",
                "rows": [],
            }
            report.write()
            print(f"== {name}: not run (total deadline reached)", flush=True)
            continue
        hard = min(HARD * budget, left + GRACE_S)
        ok &= run_section(report, name, title, budget, hard, lambda s, b=body, c=cfg: b(s, c))
    report.data["sections"]["findings"] = {
        "title": "findings at size gpu",
        "status": "not run: findings suites do not exist yet",
        "rows": [],
    }
    report.data["total_s"] = round(time.perf_counter() - t_start, 1)
    report.write()
    print(f"done in {report.data['total_s']:.1f} s; wrote {report.stem}.md and .json", flush=True)
    rc = 0 if ok else 1
    if threading.active_count() > 1:  # a compilation cut off by a time limit: do not wait
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc)
    return rc


if __name__ == "__main__":
    sys.exit(main())
