"""Optimizer-state bytes per parameter for every registered optimizer.

Each optimizer is created with its registry defaults and initialised on a
transformer-shaped parameter tree of about one million float32 parameters; the
bytes of every array leaf of the state (counters and keys included) are divided
by the parameter count and compared with the registry's ``state_per_param``
(floats of state per parameter, counted in float32 units of 4 bytes).

Usage: ``nice python benchmarks/state_bytes.py [--out benchmarks/results]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import optzoo  # noqa: E402,F401
from optzoo import registry  # noqa: E402

TOLERANCE = 0.05  # floats per parameter


def machine_info() -> dict:
    cpu = platform.processor() or ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        cpu = next(
            (ln.split(":", 1)[1].strip() for ln in out.splitlines() if "Model name" in ln), cpu
        )
    except OSError:
        pass
    import jaxlib

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "optax": optax.__version__,
        "device": str(jax.devices()[0]),
    }


def transformer_params(vocab: int = 1000, d: int = 128, layers: int = 4, mlp: int = 512) -> dict:
    """A decoder-shaped tree: embedding, per layer attention + MLP + two layer norms."""
    z = lambda *s: jnp.zeros(s, jnp.float32)  # noqa: E731
    tree = {"embed": z(vocab, d), "final_norm": {"scale": z(d), "bias": z(d)}}
    for i in range(layers):
        tree[f"layer{i}"] = {
            "attn": {"qkv": z(d, 3 * d), "qkv_bias": z(3 * d), "out": z(d, d), "out_bias": z(d)},
            "mlp": {"up": z(d, mlp), "up_bias": z(mlp), "down": z(mlp, d), "down_bias": z(d)},
            "norm1": {"scale": z(d), "bias": z(d)},
            "norm2": {"scale": z(d), "bias": z(d)},
        }
    return tree


def measure(name: str, params: dict) -> dict:
    record = registry.info(name)
    n = sum(x.size for x in jax.tree.leaves(params))
    try:
        state = jax.eval_shape(optzoo.create(name).init, params)
    except Exception as err:  # noqa: BLE001 - reported, not hidden
        return {"name": name, "error": f"{type(err).__name__}: {err}"}
    leaves = jax.tree.leaves(state)
    nbytes = sum(int(np.prod(x.shape)) * np.dtype(x.dtype).itemsize for x in leaves)
    measured = nbytes / 4 / n
    return {
        "name": name,
        "family": record.family,
        "bytes_per_param": nbytes / n,
        "measured_state_per_param": measured,
        "registry_state_per_param": record.state_per_param,
        "mismatch": abs(measured - record.state_per_param) > TOLERANCE,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    params = transformer_params()
    n = sum(x.size for x in jax.tree.leaves(params))
    rows = [measure(name, params) for name in registry.names()]
    machine = machine_info()
    lines = [
        "# Optimizer-state bytes per parameter",
        "",
        "Machine: " + ", ".join(f"{k}={v}" for k, v in machine.items()),
        "",
        f"Transformer-shaped float32 tree, {n:,} parameters ({len(jax.tree.leaves(params))} "
        "leaves). Measured: bytes of every state leaf / 4 / parameters (float32 units). "
        f"Mismatch: |measured - registry| > {TOLERANCE}.",
        "",
        "| optimizer | family | bytes/param | measured | registry | mismatch |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['name']} | | error: {r['error'][:80]} | | | |")
            continue
        lines.append(
            f"| {r['name']} | {r['family']} | {r['bytes_per_param']:.3f} | "
            f"{r['measured_state_per_param']:.3f} | {r['registry_state_per_param']:.3f} | "
            f"{'**yes**' if r['mismatch'] else 'no'} |"
        )
    bad = [r["name"] for r in rows if r.get("mismatch") or "error" in r]
    lines += ["", f"Mismatches or errors: {', '.join(bad) if bad else 'none'}."]
    md = "\n".join(lines) + "\n"
    print(md)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "state_bytes.md").write_text(md)
    payload = {"machine": machine, "params": n, "rows": rows}
    (out / "state_bytes.json").write_text(json.dumps(payload, indent=1))


if __name__ == "__main__":
    main()
