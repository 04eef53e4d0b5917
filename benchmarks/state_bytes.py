"""Optimizer-state bytes per parameter for every registered optimizer.

The registry's ``state_per_param`` is float32 words (4 bytes) of optimizer state per
parameter for one large square float32 weight matrix, to leading order: arrays that grow
like the matrix count by their bytes, arrays that grow like its side (factored
statistics) and scalars count 0, ``inf`` grows faster than the parameter count.

Each optimizer is created with its registry defaults and initialised (``jax.eval_shape``,
nothing allocated) on two trees:

* the reference tree of that definition, a 1024 x 1024 matrix plus a 1024 bias, where
  the measured value must agree with the registry within ``TOLERANCE`` (the same check
  as ``tests/test_state_bytes.py``);
* a transformer-shaped tree of about one million parameters (51 leaves, rectangular
  matrices, biases and norms), to show what a real model holds: this differs from the
  registry value where small leaves are kept in float32 or where the preconditioners
  depend on the aspect ratio (SOAP, PSGD-Kron: side^2 per matrix side).

The bytes of every array leaf of the state (counters and keys included) are divided by
the parameter count and by 4.

Usage: ``nice python benchmarks/state_bytes.py [--out benchmarks/results]``
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import optzoo  # noqa: E402,F401
from benchmarks._machine import machine_info  # noqa: E402
from optzoo import registry  # noqa: E402

TOLERANCE = 0.02  # float32 words per parameter
SQUARE = 1024


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


def square_params(n: int = SQUARE) -> dict:
    """The registry's reference: an n x n matrix and an n bias."""
    return {"w": jnp.zeros((n, n), jnp.float32), "b": jnp.zeros((n,), jnp.float32)}


def state_words_per_param(name: str, params: dict) -> tuple[float, float]:
    """(bytes per parameter, float32 words per parameter) of ``name``'s initial state."""
    n = sum(x.size for x in jax.tree.leaves(params))
    shapes = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), params)
    state = jax.eval_shape(optzoo.create(name).init, shapes)
    nbytes = sum(int(np.prod(x.shape)) * np.dtype(x.dtype).itemsize for x in jax.tree.leaves(state))
    return nbytes / n, nbytes / 4 / n


def agrees(measured: float, declared: float, n_params: int) -> bool:
    if math.isinf(declared):
        return measured >= n_params / 2
    return abs(measured - declared) <= TOLERANCE


def measure(name: str, params: dict) -> dict:
    record = registry.info(name)
    square = square_params()
    n_square = sum(x.size for x in jax.tree.leaves(square))
    try:
        _, on_square = state_words_per_param(name, square)
        bytes_tf, on_tf = state_words_per_param(name, params)
    except Exception as err:  # noqa: BLE001 - reported, not hidden
        return {"name": name, "error": f"{type(err).__name__}: {err}"}
    return {
        "name": name,
        "family": record.family,
        "registry_state_per_param": record.state_per_param,  # inf is written "inf" in JSON
        "square_state_per_param": on_square,
        "transformer_bytes_per_param": bytes_tf,
        "transformer_state_per_param": on_tf,
        "mismatch": not agrees(on_square, record.state_per_param, n_square),
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
        "Registry `state_per_param`: float32 words of state per parameter on a large square "
        "float32 matrix, to leading order (O(side) statistics and scalars count 0; `inf`: "
        "grows with the parameter count). *square*: measured on a "
        f"{SQUARE} x {SQUARE} matrix + {SQUARE} bias, every state leaf, bytes / 4 / "
        f"parameters; mismatch: |square - registry| > {TOLERANCE}. *transformer*: the same on "
        f"a transformer-shaped tree, {n:,} parameters ({len(jax.tree.leaves(params))} "
        "leaves), informational. Shapes only (`jax.eval_shape`), deterministic.",
        "",
        "| optimizer | family | registry | square | mismatch | transformer | "
        "transformer bytes/param |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['name']} | | | error: {r['error'][:80]} | | | |")
            continue
        lines.append(
            f"| {r['name']} | {r['family']} | {r['registry_state_per_param']:g} | "
            f"{r['square_state_per_param']:.4g} | {'**yes**' if r['mismatch'] else 'no'} | "
            f"{r['transformer_state_per_param']:.4g} | {r['transformer_bytes_per_param']:.4g} |"
        )
    bad = [r["name"] for r in rows if r.get("mismatch") or "error" in r]
    lines += ["", f"Mismatches or errors: {', '.join(bad) if bad else 'none'}."]
    md = "\n".join(lines) + "\n"
    print(md)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "state_bytes.md").write_text(md)
    payload = {
        "machine": machine,
        "square": SQUARE,
        "transformer_params": n,
        "rows": rows,
    }
    text = json.dumps(payload, indent=1, allow_nan=True).replace("Infinity", '"inf"')
    (out / "state_bytes.json").write_text(text)


if __name__ == "__main__":
    main()
