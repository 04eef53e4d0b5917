"""Generates docs/semantics.md: optax vs PyTorch vs Keras, optimizer by optimizer.

The PyTorch and Keras columns are read from the same specs the presets are built from
(:data:`optzoo.compat.torch.specs.SPECS`, :data:`optzoo.compat.keras.specs.SPECS`): the
defaults from their signatures (tested equal to the frameworks' own), the other rows
from their :class:`~optzoo.compat._spec.Semantics`. The optax defaults are read from
optax's signatures. Run ``python -m optzoo.compat.semantics_table`` to rewrite
the file; a test checks the committed file equals :func:`generate`.
"""

from __future__ import annotations

import inspect
import pathlib
import sys
from typing import NamedTuple

import optax

from optzoo.compat import keras as _keras
from optzoo.compat import torch as _torch
from optzoo.compat._spec import Semantics, semantics

__all__ = ["generate", "main", "FAMILIES", "OPTAX"]

FAMILIES = [
    "sgd",
    "adam",
    "adamw",
    "nadam",
    "radam",
    "adamax",
    "rmsprop",
    "adagrad",
    "adadelta",
    "lion",
    "adafactor",
    "rprop",
    "asgd",
]

ROWS = [
    ("defaults", "Defaults"),
    ("eps", "eps placement"),
    ("weight_decay", "Weight decay"),
    ("nesterov", "Nesterov / momentum form"),
    ("bias_correction", "Bias correction"),
    ("accumulator_init", "Accumulator initialisation"),
]

# Keyword arguments that do not change the math: left out of the defaults row.
_NOT_MATH = {
    *_torch.specs.EXECUTION_OPTIONS,
    "maximize",
    "ns_dtype",
    *(set(_keras.specs.COMMON) - {"weight_decay"}),
    "name",
    # optax's
    "mu_dtype",
    "mask",
    "weight_decay_mask",
    "accumulator_dtype",
    "dtype_momentum",
}


def _optax_entry(
    name: str, *rows: str, weight_decay: str = "none", **fields: str
) -> tuple[str, Semantics]:
    """``optax.<name>`` and its rows, as :func:`~optzoo.compat._spec.semantics` takes them."""
    return name, semantics(*rows, weight_decay=weight_decay, **fields)


OPTAX: dict[str, tuple[str, Semantics]] = {
    "sgd": _optax_entry(
        "sgd",
        "none",
        "none",
        "t = 0 (so t = g at the first step)",
        nesterov="t = g + mu t; u = g + mu t",
        weight_decay="none built in (chain add_decayed_weights: coupled)",
    ),
    "adam": _optax_entry(
        "adam",
        "m_hat / (sqrt(v_hat + eps_root) + eps)",
        "yes, both moments",
        "m = v = 0; optax.amsgrad keeps max of bias-corrected v",
        nesterov="nesterov=True gives optax.nadam",
        weight_decay="none (see adamw)",
    ),
    "adamw": _optax_entry(
        "adamw",
        "m_hat / (sqrt(v_hat + eps_root) + eps)",
        "yes, both moments",
        "m = v = 0",
        weight_decay="decoupled, scaled by lr: u = -lr (adam + wd p)",
    ),
    "nadam": _optax_entry(
        "nadam",
        "m_hat / (sqrt(v_hat + eps_root) + eps)",
        "yes",
        "m = v = 0",
        nesterov="m_hat = b1 m/(1-b1^(t+1)) + (1-b1) g/(1-b1^t), constant b1",
    ),
    "radam": _optax_entry(
        "radam",
        "m_hat / (sqrt(v_hat + eps_root) + eps)",
        "yes; un-adapted step while rho_t < threshold (5)",
        "m = v = 0",
    ),
    "adamax": _optax_entry(
        "adamax", "outside the max: m_hat / (u + eps)", "first moment only", "m = u = 0"
    ),
    "rmsprop": _optax_entry(
        "rmsprop",
        "inside the sqrt by default (eps_in_sqrt=True)",
        "optional (bias_correction=False)",
        "initial_scale = 0",
        nesterov="optional trace(momentum, nesterov) after scaling",
    ),
    "adagrad": _optax_entry(
        "adagrad",
        "inside the sqrt: g / sqrt(sum + eps), 0 where sum = 0",
        "none",
        "initial_accumulator_value (default 0.1)",
    ),
    "adadelta": _optax_entry(
        "adadelta",
        "sqrt(u + eps) / sqrt(v + eps) g",
        "none",
        "v = u = 0",
        weight_decay="coupled L2: g += wd p",
    ),
    "lion": _optax_entry(
        "lion", "none", "none", "m = 0", weight_decay="decoupled, scaled by lr (default 1e-3)"
    ),
    "adafactor": _optax_entry(
        "adafactor",
        "eps added to g^2",
        "none; decay 1 - (t + offset)^-decay_rate",
        "factored only for dims >= min_dim_size_to_factor",
        weight_decay="weight_decay_rate, decoupled",
    ),
}


def _defaults(sig: inspect.Signature) -> str:
    parts = []
    for name, p in sig.parameters.items():
        if name in _NOT_MATH or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        if p.default is inspect.Parameter.empty:
            parts.append(f"{name} (required)")
        else:
            parts.append(f"{name}={p.default!r}")
    return ", ".join(parts)


class _Column(NamedTuple):
    title: str  # the preset's full name
    signature: inspect.Signature
    semantics: Semantics


def _cell(col: _Column | None, row: str) -> str:
    if col is None:
        return "—"
    if row == "defaults":
        return f"`{_defaults(col.signature)}`"
    return getattr(col.semantics, row).replace("|", "\\|")


def _columns(fam: str) -> list[_Column | None]:
    cols: list[_Column | None] = []
    if fam in OPTAX:
        name, sem = OPTAX[fam]
        cols.append(_Column(f"optax.{name}", inspect.signature(getattr(optax, name)), sem))
    else:
        cols.append(None)
    for framework, specs in (("torch", _torch.specs.SPECS), ("keras", _keras.specs.SPECS)):
        spec = next((s for s in specs if s.family == fam), None)
        if spec is None or spec.semantics is None:
            cols.append(None)
        else:
            title = f"optzoo.compat.{framework}.{spec.name}"
            cols.append(_Column(title, spec.signature, spec.semantics))
    return cols


def generate() -> str:
    """The Markdown text of docs/semantics.md."""
    lines = [
        "# Optimizer semantics: optax vs PyTorch vs Keras",
        "",
        "<!-- Generated by `python -m optzoo.compat.semantics_table`; do not edit. -->",
        "",
        "The same name means different numbers in different frameworks. This table is",
        "generated from the specs the `optzoo.compat.torch` and `optzoo.compat.keras` presets",
        "are built from (`optzoo/compat/torch/specs.py`, `optzoo/compat/keras/specs.py`) and",
        "from optax's signatures, so it cannot drift from the code. The presets are verified",
        "step by step against the real libraries (see `tests/compat/`). `lr`/`learning_rate`",
        "is the step size, `p`/`w` a parameter, `g` its gradient, `t` the 1-based step count.",
        "",
    ]
    for fam in FAMILIES:
        cols = _columns(fam)
        names = [f"`{c.title}`" for c in cols if c is not None]
        lines += [
            f"## {fam}",
            "",
            "Presets: " + ", ".join(names),
            "",
            "| | optax | PyTorch | Keras |",
            "|---|---|---|---|",
        ]
        for row, title in ROWS:
            lines.append(f"| {title} | " + " | ".join(_cell(c, row) for c in cols) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Writes the table to ``argv[0]`` (default ``docs/semantics.md``)."""
    argv = sys.argv[1:] if argv is None else argv
    path = pathlib.Path(argv[0] if argv else "docs/semantics.md")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(generate())


if __name__ == "__main__":
    main()
