"""optzoo's classic optimizers compile to the same XLA program as optax's.

This is why their step time equals optax's (``benchmarks/update_step.py`` measures
the ratio): after compilation the two steps are the same instructions, and only
names and debug metadata differ.
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import optax
import pytest

import optzoo

CLASSICS = [
    ("sgd", {"learning_rate": 1e-2}),
    ("sgd", {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": True}),
    ("adagrad", {"learning_rate": 1e-2}),
    ("rmsprop", {"learning_rate": 1e-2, "centered": True, "momentum": 0.9}),
    ("adadelta", {"learning_rate": 1.0}),
    ("adam", {"learning_rate": 1e-3}),
    ("adamw", {"learning_rate": 1e-3, "weight_decay": 1e-2}),
    ("nadam", {"learning_rate": 1e-3}),
    ("nadamw", {"learning_rate": 1e-3}),
    ("amsgrad", {"learning_rate": 1e-3}),
    ("adamax", {"learning_rate": 1e-3}),
    ("adamaxw", {"learning_rate": 1e-3}),
]


def canonical_hlo(tx: optax.GradientTransformation) -> str:
    params = {"w": jnp.ones((4, 3)), "b": jnp.ones(3)}
    state = tx.init(params)

    def step(p, s, g):
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s

    text = jax.jit(step).lower(params, state, params).compile().as_text()
    names: dict[str, str] = {}
    lines = []
    for line in text.splitlines():
        if "=" not in line and not line.rstrip().endswith(("{", "}")):
            continue
        if "file_name_id" in line or "file_location_id" in line or line.startswith("HloModule"):
            continue
        line = re.sub(r", metadata=\{[^}]*\}", "", line)
        line = re.sub(r", stack_frame_id=\d+", "", line)
        # Rename values in order of appearance: only the instruction graph remains.
        line = re.sub(r"%[\w.\-]+", lambda m: names.setdefault(m.group(), f"%v{len(names)}"), line)
        lines.append(line.strip())
    return "\n".join(lines)


@pytest.mark.parametrize(
    "name,kwargs", CLASSICS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CLASSICS)]
)
def test_same_compiled_program_as_optax(name, kwargs):
    ours = canonical_hlo(getattr(optzoo, name)(**kwargs))
    theirs = canonical_hlo(getattr(optax, name)(**kwargs))
    assert ours == theirs
