"""Buffer donation in the train step: compiled memory with and without donating the state.

The engine compiles its step with ``donate_argnums=0`` (``optzoo.train.Runner``): the
incoming ``TrainState`` (parameters, optimizer state, step) is given to XLA, which may
write the new state into the same buffers. This script compiles the engine's step for an
MLP trained with AdamW twice, with and without donation, and reads XLA's compiled memory
analysis:

* ``argument``, ``output``, ``temp`` and ``alias`` sizes in bytes;
* peak = argument + output - alias + temp (bytes live while the step runs: inputs,
  outputs not written in place, scratch), and its ratio donated / not donated;
* the same for the parameters and optimizer state alone (argument + output - alias of
  those bytes), which donation should halve.

It then runs the engine's step once and checks that the donation happened: the
input buffers of parameters and optimizer state are deleted after the call, and the
new arrays sit at the addresses of the old ones (``unsafe_buffer_pointer``).

Usage: ``PYTHONPATH=. nice python benchmarks/donation.py [--out benchmarks/results]``
Results: ``benchmarks/results/donation.{json,md}``.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path
from typing import Any

import jax
import numpy as np
import optax

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._machine import machine_info  # noqa: E402
from optzoo.models import MLP  # noqa: E402
from optzoo.train import Runner, StepOptions, create_train_state  # noqa: E402
from optzoo.train.steps import train_step  # noqa: E402

BATCH = 128
INPUT = 784
# (width, depth) of the MLP: about 1.9M and 7.4M parameters.
MODELS = ((1024, 2), (2048, 2))
FIELDS = ("argument", "output", "alias", "temp")


def tree_nbytes(tree: Any) -> int:
    return sum(x.nbytes for x in jax.tree.leaves(tree))


def memory(compiled: Any) -> dict[str, int]:
    mem = compiled.memory_analysis()
    out = {k: int(getattr(mem, f"{k}_size_in_bytes")) for k in FIELDS}
    out["peak"] = out["argument"] + out["output"] - out["alias"] + out["temp"]
    return out


def measure(width: int, depth: int) -> dict[str, Any]:
    model = MLP(10, width=width, depth=depth)
    rng_np = np.random.default_rng(0)
    batch_np = {
        "x": rng_np.standard_normal((BATCH, INPUT)).astype(np.float32),
        "y": rng_np.integers(0, 10, BATCH).astype(np.int32),
    }
    state = create_train_state(model, optax.adamw(1e-3), batch_np["x"][:1], 0)
    runner = Runner("single", jax.devices()[:1], StepOptions())
    state = runner.put_state(state)
    batch = runner.put_batch(batch_np)
    rng = jax.random.key(1)
    n_params = sum(x.size for x in jax.tree.leaves(state.params))
    state_bytes = tree_nbytes((state.params, state.opt_state))

    step = functools.partial(train_step, opts=StepOptions())
    plain = memory(jax.jit(step).lower(state, batch, rng).compile())

    # The engine's own step (donate_argnums=0), run once.
    old_leaves = jax.tree.leaves((state.params, state.opt_state))
    old_ptrs = {x.unsafe_buffer_pointer() for x in old_leaves}
    state, metrics = runner.step(state, batch, rng)
    jax.block_until_ready(metrics["loss"])
    assert runner.compile_info is not None and runner.compile_info[1] is not None
    mem = runner.compile_info[1]
    donated = {k: int(getattr(mem, f"{k}_size_in_bytes")) for k in FIELDS}
    donated["peak"] = donated["argument"] + donated["output"] - donated["alias"] + donated["temp"]
    new_leaves = jax.tree.leaves((state.params, state.opt_state))
    reused = sum(x.unsafe_buffer_pointer() in old_ptrs for x in new_leaves)

    # Parameters + optimizer state live during the step: in + out, less what is aliased.
    live_plain = 2 * state_bytes
    live_donated = 2 * state_bytes - min(donated["alias"], state_bytes)
    return {
        "model": f"MLP {INPUT}-" + "-".join([str(width)] * depth) + "-10",
        "params": n_params,
        "optimizer": "adamw",
        "batch": BATCH,
        "params_plus_opt_state_bytes": state_bytes,
        "not_donated": plain,
        "donated": donated,
        "peak_ratio": donated["peak"] / plain["peak"],
        "state_live_ratio": live_donated / live_plain,
        "alias_over_state": donated["alias"] / state_bytes,
        "inputs_deleted": all(x.is_deleted() for x in old_leaves),
        "buffers_reused": f"{reused}/{len(new_leaves)}",
    }


def mb(x: int) -> str:
    return f"{x / 2**20:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    rows = [measure(w, d) for w, d in MODELS]
    machine = machine_info()
    lines = [
        "# Buffer donation in the train step",
        "",
        "Machine: " + ", ".join(f"{k}={v}" for k, v in machine.items()),
        "",
        "The engine's single-device step (`Runner('single')`, `jax.jit(train_step, "
        "donate_argnums=0)`) against the same step jitted without donation; AdamW, batch "
        f"{BATCH}, float32. Sizes from `compiled.memory_analysis()` in MiB. "
        "Peak = argument + output - alias + temp. State = parameters + AdamW moments "
        "(+ counters); its live bytes during the step are 2x state without donation and "
        "2x state - alias with it. Deterministic (no timing): one run. The reuse check runs "
        "the engine's step once: inputs deleted, and how many new parameter/state arrays sit "
        "at an input buffer's address. (With `put_state` of the `sharded`/`shard_map` "
        "strategies, NumPy-backed CPU inputs are not written in place on the first call; "
        "`tests/train/test_donation.py` checks reuse from the second call on, every "
        "strategy.)",
        "",
        "| model | params | state MiB | donation | argument | output | alias | temp | peak |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        for label, key in (("no", "not_donated"), ("yes", "donated")):
            m = r[key]
            lines.append(
                f"| {r['model']} | {r['params']:,} | {mb(r['params_plus_opt_state_bytes'])} | "
                f"{label} | {mb(m['argument'])} | {mb(m['output'])} | {mb(m['alias'])} | "
                f"{mb(m['temp'])} | {mb(m['peak'])} |"
            )
    lines += [
        "",
        "| model | peak ratio (donated / not) | state live ratio | alias / state bytes "
        "| inputs deleted after the call | output buffers at input addresses |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['peak_ratio']:.3f} | {r['state_live_ratio']:.3f} | "
            f"{r['alias_over_state']:.4f} | {r['inputs_deleted']} | {r['buffers_reused']} |"
        )
    md = "\n".join(lines) + "\n"
    print(md)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "donation.md").write_text(md)
    (out / "donation.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
