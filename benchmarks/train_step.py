"""Train-step throughput: optzoo vs hand-written Flax+optax vs PyTorch, and time to 97% on mnist5k.

Usage: PYTHONPATH=. python benchmarks/train_step.py [--rounds 7] [--steps 50] [--skip-accuracy]
       JAX_NUM_CPU_DEVICES=4 PYTHONPATH=. python benchmarks/train_step.py --parallel

The optzoo step is the engine's compiled single-device step (``Runner("single")``,
the code ``optzoo train`` runs); the Flax step is the textbook
``value_and_grad -> tx.update -> apply_updates`` under ``jax.jit``; the PyTorch
step is ``zero_grad -> loss.backward -> opt.step`` on the same architecture. The
contenders are interleaved round by round and the median steps/s is reported.
Results go to ``benchmarks/results/train_step.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from optzoo.data import load_dataset  # noqa: E402
from optzoo.models import MLP, LeNet5  # noqa: E402
from optzoo.train import Runner, StepOptions, create_train_state, train_and_evaluate  # noqa: E402

RESULTS = pathlib.Path(__file__).parent / "results"
BATCH = 128
LR = 1e-3
TORCH_THREADS = 1


def _flax_step(model):
    tx = optax.adam(LR)

    def loss_fn(params, x, y):
        logits = model.apply({"params": params}, x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    @jax.jit
    def step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    return tx, step


def _torch_model(kind):
    import torch.nn as tnn

    if kind == "mlp":
        return tnn.Sequential(
            tnn.Flatten(),
            tnn.Linear(784, 256),
            tnn.ReLU(),
            tnn.Linear(256, 256),
            tnn.ReLU(),
            tnn.Linear(256, 10),
        )
    return tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Conv2d(6, 16, 5, padding=2),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Flatten(),
        tnn.Linear(16 * 7 * 7, 120),
        tnn.ReLU(),
        tnn.Linear(120, 84),
        tnn.ReLU(),
        tnn.Linear(84, 10),
    )


def bench_model(kind, data, rounds, steps, with_torch=True):
    model = MLP(10, width=256, depth=2) if kind == "mlp" else LeNet5(10)
    x = data.x_train[:BATCH]
    y = data.y_train[:BATCH]
    batch_np = {"x": x, "y": y}

    # optzoo engine step.
    state = create_train_state(model, optax.adam(LR), x[:1], 0)
    runner = Runner("single", jax.devices()[:1], StepOptions())
    state = runner.put_state(state)
    batch = runner.put_batch(batch_np)
    rng = jax.random.key(1)

    def run_optzoo(n):
        nonlocal state
        for _ in range(n):
            state, m = runner.step(state, batch, rng)
        jax.block_until_ready(m["loss"])

    # Hand-written Flax + optax.
    tx, fstep = _flax_step(model)
    params = model.init(jax.random.key(0), jnp.asarray(x[:1]))["params"]
    opt_state = tx.init(params)
    xd, yd = jax.device_put(x), jax.device_put(y)

    def run_flax(n):
        nonlocal params, opt_state
        for _ in range(n):
            params, opt_state, loss = fstep(params, opt_state, xd, yd)
        jax.block_until_ready(loss)

    contenders = {"optzoo": run_optzoo, "flax_optax": run_flax}
    try:
        if not with_torch:
            raise ImportError
        import torch

        torch.set_num_threads(TORCH_THREADS)
        torch.manual_seed(0)
        tmodel = _torch_model(kind)
        topt = torch.optim.Adam(tmodel.parameters(), lr=LR)
        tx_t = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        ty_t = torch.from_numpy(y.astype(np.int64))
        lossf = torch.nn.CrossEntropyLoss()

        def run_torch(n):
            for _ in range(n):
                topt.zero_grad(set_to_none=True)
                loss = lossf(tmodel(tx_t), ty_t)
                loss.backward()
                topt.step()

        contenders["torch"] = run_torch
    except ImportError:
        pass

    for fn in contenders.values():  # compile / warm up
        fn(3)
    rates = {k: [] for k in contenders}
    names = list(contenders)
    for r in range(rounds):
        # Rotate the order: a contender run right after PyTorch pays for its spinning threads.
        for name in names[r % len(names) :] + names[: r % len(names)]:
            fn = contenders[name]
            t0 = time.perf_counter()
            fn(steps)
            rates[name].append(steps / (time.perf_counter() - t0))
    med = {k: statistics.median(v) for k, v in rates.items()}
    out = {f"{k}_steps_per_s": v for k, v in med.items()}
    out["optzoo_over_flax"] = med["optzoo"] / med["flax_optax"]
    # Ratio per round (paired) is less sensitive to load drift on a shared machine.
    out["optzoo_over_flax_paired_median"] = statistics.median(
        a / b for a, b in zip(rates["optzoo"], rates["flax_optax"], strict=True)
    )
    if "torch" in med:
        out["optzoo_over_torch"] = med["optzoo"] / med["torch"]
    return out


def time_to_accuracy(target, workdir):
    cfg = {
        "model": {"name": "lenet5"},
        "data": {"name": "mnist5k"},
        "optimizer": {"name": "adam", "learning_rate": 2e-3},
        "train": {"steps": 1500, "batch_size": 64, "eval_every": 50, "quiet": True},
    }
    t0 = time.perf_counter()
    train_and_evaluate(cfg, workdir)
    total = time.perf_counter() - t0
    lines = (pathlib.Path(workdir) / "eval.jsonl").read_text().splitlines()
    evals = [json.loads(s) for s in lines if s]
    hit = next((e for e in evals if e["eval_accuracy"] >= target), None)
    run = json.loads((pathlib.Path(workdir) / "metrics.json").read_text())
    frac = hit["step"] / run["steps"] if hit else None
    return {
        "target_accuracy": target,
        "model": "lenet5 + adam(2e-3), batch 64",
        "steps_to_target": hit["step"] if hit else None,
        "seconds_to_target_estimate": total * frac if frac else None,
        "best_eval_accuracy": max(e["eval_accuracy"] for e in evals),
        "run_wall_time_s": total,
        "run_steps": run["steps"],
    }


def parallel_report(out):
    """Communication and optimizer-state memory per strategy (run with several devices)."""
    import tempfile

    rows = {}
    for strategy, zero1 in (
        ("pmap", False),
        ("sharded", False),
        ("sharded", True),
        ("shard_map", False),
    ):
        cfg = {
            "model": {"name": "mlp", "width": 256, "depth": 2},
            "data": {"name": "mnist5k"},
            "optimizer": {"name": "adam", "learning_rate": 1e-3},
            "train": {"steps": 5, "batch_size": 128, "quiet": True},
            "parallel": {"strategy": strategy, "zero1": zero1},
        }
        with tempfile.TemporaryDirectory() as tmp:
            res = train_and_evaluate(cfg, tmp)
        keys = (
            "devices",
            "allreduce_bytes_per_step",
            "reduce_scatter_bytes_per_step",
            "all_gather_bytes_per_step",
            "param_bytes_per_device",
            "optimizer_state_bytes_per_device",
            "compiled_argument_size_in_bytes",
            "compiled_temp_size_in_bytes",
        )
        rows[strategy + ("+zero1" if zero1 else "")] = {k: res.get(k) for k in keys}
        print(strategy, zero1, json.dumps(rows[strategy + ("+zero1" if zero1 else "")]), flush=True)
    result = {
        "machine": machine(),
        "model": "mlp 784-256-256-10, adam, batch 128",
        "strategies": rows,
    }
    out = pathlib.Path(out)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    lines = [
        "# Data-parallel communication and optimizer-state memory",
        "",
        f"{result['model']}, {jax.device_count()} {jax.devices()[0].platform} devices. "
        "Bytes from the compiled step's HLO (all-reduce, reduce-scatter, all-gather outputs) and "
        "from the device buffers; argument bytes from XLA's memory analysis (per device).",
        "",
        "| strategy | all-reduce B/step | reduce-scatter B/step | all-gather B/step | "
        "params B/device | opt state B/device | compiled args B |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['allreduce_bytes_per_step']} | {r['reduce_scatter_bytes_per_step']} | "
            f"{r['all_gather_bytes_per_step']} | {r['param_bytes_per_device']} | "
            f"{r['optimizer_state_bytes_per_device']} | {r['compiled_argument_size_in_bytes']} |"
        )
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")


def machine():
    cpu = platform.processor()
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import jaxlib

    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "device": str(jax.devices()[0]),
        "load_average": os.getloadavg(),
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = TORCH_THREADS
    except ImportError:
        pass
    return info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=50, help="per round (CNN: a fifth)")
    ap.add_argument("--skip-accuracy", action="store_true")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument(
        "--parallel",
        action="store_true",
        help="only the strategy report; run with JAX_NUM_CPU_DEVICES=4",
    )
    ap.add_argument("--out", default=str(RESULTS / "train_step"))
    ap.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="PyTorch intra-op threads (its spinning OpenMP threads oversubscribe "
        "a small shared machine)",
    )
    args = ap.parse_args()
    global TORCH_THREADS
    TORCH_THREADS = args.torch_threads
    if args.parallel:
        parallel_report(RESULTS / "train_step_parallel")
        return
    data = load_dataset("mnist5k")
    result = {
        "machine": machine(),
        "batch_size": BATCH,
        "optimizer": "adam",
        "rounds": args.rounds,
        "steps_per_round": args.steps,
    }
    for kind in ("mlp", "cnn"):
        steps = args.steps if kind == "mlp" else max(1, args.steps // 5)
        result[kind] = bench_model(kind, data, args.rounds, steps, not args.no_torch)
        print(kind, json.dumps(result[kind]), flush=True)
    if not args.skip_accuracy:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            result["time_to_97"] = time_to_accuracy(0.97, tmp)
        print("time_to_97", json.dumps(result["time_to_97"]), flush=True)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    out.with_suffix(".md").write_text(_markdown(result))


def _markdown(r):
    m = r["machine"]
    lines = [
        "# Train step throughput (CPU)",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['device']}, jax {m['jax']}, "
        f"jaxlib {m['jaxlib']}, torch {m.get('torch', '-')} "
        f"({m.get('torch_threads', '-')} thread); load average at start "
        f"{m['load_average'][0]:.1f} (shared machine: ratios count, absolute numbers do not).",
        f"Adam, batch {r['batch_size']}, mnist5k inputs; median of {r['rounds']} interleaved "
        f"rounds of {r['steps_per_round']} (MLP) or {r['steps_per_round'] // 5} (CNN) steps.",
        "",
        "| model | optzoo steps/s | Flax+optax steps/s | torch steps/s | optzoo/Flax "
        "(paired median) | optzoo/torch |",
        "|---|---|---|---|---|---|",
    ]
    for kind in ("mlp", "cnn"):
        b = r[kind]
        lines.append(
            f"| {kind} | {b['optzoo_steps_per_s']:.1f} | {b['flax_optax_steps_per_s']:.1f} | "
            f"{b.get('torch_steps_per_s', float('nan')):.1f} | {b['optzoo_over_flax']:.3f} "
            f"({b['optzoo_over_flax_paired_median']:.3f}) | "
            f"{b.get('optzoo_over_torch', float('nan')):.2f} |"
        )
    if "time_to_97" in r:
        t = r["time_to_97"]
        lines += [
            "",
            f"Time to {t['target_accuracy']:.0%} test accuracy on mnist5k ({t['model']}): "
            f"step {t['steps_to_target']}, "
            f"about {t['seconds_to_target_estimate'] or float('nan'):.1f} s "
            f"(best accuracy {t['best_eval_accuracy']:.4f} in {t['run_steps']} steps, "
            f"{t['run_wall_time_s']:.1f} s including compilation and evaluations).",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
