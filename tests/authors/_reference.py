"""Shared machinery of the authors'-reference tests (tests/authors/).

Each test runs :data:`STEPS` steps of a registered optimizer in its authors' configuration
(``optzoo.create(name, preset="authors", ...)``) and of the authors' published code (a pinned
package of the ``reference`` extra) or of a NumPy transcription of the paper's algorithm box,
on one problem (:func:`loss`), and compares the trajectories with :func:`displacement_error`.
:func:`check` asserts the tolerance and keeps ``measured/<name>.json`` in step with the
measurement; ``tests/authors/make_table.py`` turns those files into docs/authors.md.

The problem: parameters ``vector`` (5,), ``matrix`` (4, 3) and ``tensor`` (2, 3, 4); the loss
at step ``t`` is ``sum 0.5 * c * (p - target)**2 + noise_t * p`` with fixed curvatures ``c``
in [0.5, 2] and a fixed per-step noise, so gradients move like minibatch gradients. It is
written with arithmetic only, so NumPy arrays, JAX arrays and torch tensors all evaluate it.

Record measurements with ``OPTZOO_RECORD_AUTHORS=1 python -m pytest tests/authors -p no:randomly``.
"""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

STEPS = 100
TOL = {"float64": 1e-6, "float32": 1e-4}
SHAPES = {"vector": (5,), "matrix": (4, 3), "tensor": (2, 3, 4)}
MEASURED = pathlib.Path(__file__).parent / "measured"

_rng = np.random.default_rng(20261204)
CURVATURE = {k: _rng.uniform(0.5, 2.0, s) for k, s in SHAPES.items()}
TARGET = {k: _rng.normal(size=s) for k, s in SHAPES.items()}
INIT = {k: _rng.normal(size=s) for k, s in SHAPES.items()}
NOISE = {k: 0.1 * _rng.normal(size=(STEPS, *s)) for k, s in SHAPES.items()}


def init_params() -> dict[str, np.ndarray]:
    """The float64 starting point, a fresh copy."""
    return {k: v.copy() for k, v in INIT.items()}


def loss(params: dict[str, Any], t: Any, as_array: Callable[[np.ndarray], Any] = np.asarray):
    """The loss at step ``t`` (an int, or a traced integer under JAX); ``as_array`` turns the
    NumPy constants into the parameters' array type (``jnp.asarray``, ``torch.from_numpy``)."""
    total = 0.0
    for k, p in params.items():
        c, target = as_array(CURVATURE[k]), as_array(TARGET[k])
        noise = as_array(NOISE[k])[t]
        total = total + (0.5 * c * (p - target) ** 2 + noise * p).sum()
    return total


def grad(params: dict[str, np.ndarray], t: int) -> dict[str, np.ndarray]:
    """The gradient of :func:`loss` at step ``t``, in NumPy."""
    return {k: CURVATURE[k] * (p - TARGET[k]) + NOISE[k][t] for k, p in params.items()}


def run_optzoo(
    tx: optax.GradientTransformation,
    steps: int = STEPS,
    dtype: str = "float64",
    extra: Callable[[Any, Any], dict] | None = None,
) -> list[dict[str, np.ndarray]]:
    """Parameters after each of ``steps`` jitted updates of ``tx`` on :func:`loss`.

    ``extra(params, t)`` returns the keyword arguments of ``tx.update`` (e.g. ``value_fn``).
    """
    with jax.enable_x64(dtype == "float64"):
        params = {k: jnp.asarray(v, dtype) for k, v in INIT.items()}
        state = tx.init(params)

        @jax.jit
        def step(params, state, t):
            f = lambda p: loss(p, t, lambda a: jnp.asarray(a, dtype))  # noqa: E731
            kw = extra(params, t) if extra else {}
            u, state = tx.update(jax.grad(f)(params), state, params, **kw)
            return optax.apply_updates(params, u), state

        out = []
        for t in range(steps):
            params, state = step(params, state, jnp.asarray(t))
            out.append({k: np.asarray(v, np.float64) for k, v in params.items()})
    return out


def run_torch(
    make_optimizer: Callable[[list], Any],
    steps: int = STEPS,
    dtype: str = "float64",
    closure: bool = False,
    create_graph: bool = False,
) -> list[dict[str, np.ndarray]]:
    """Parameters after each of ``steps`` steps of the torch optimizer
    ``make_optimizer(list_of_tensors)`` on :func:`loss` (leaf order: vector, matrix, tensor).

    ``closure=True`` passes a closure that recomputes the loss and gradients to ``step``;
    ``create_graph=True`` keeps the graph for Hessian-vector products (AdaHessian, Sophia).
    """
    import torch

    tdtype = getattr(torch, dtype)
    names = list(SHAPES)
    tensors = [torch.tensor(INIT[k], dtype=tdtype, requires_grad=True) for k in names]
    opt = make_optimizer(tensors)

    def as_array(a):
        return torch.from_numpy(a).to(tdtype)

    out = []
    for t in range(steps):

        def closure_fn(t=t):
            opt.zero_grad()
            value = loss(dict(zip(names, tensors, strict=True)), t, as_array)
            value.backward(create_graph=create_graph)
            return value

        if closure:
            opt.step(closure_fn)
        else:
            closure_fn()
            opt.step()
        out.append(
            {
                k: x.detach().to(torch.float64).numpy().copy()
                for k, x in zip(names, tensors, strict=True)
            }
        )
    return out


def run_numpy(
    step: Callable[[dict[str, np.ndarray], dict[str, np.ndarray], Any, int], Any],
    state: Any,
    steps: int = STEPS,
) -> list[dict[str, np.ndarray]]:
    """Parameters after each of ``steps`` steps of a NumPy transcription:
    ``params, state = step(params, grads, state, t)`` with ``t`` counted from 1."""
    params = init_params()
    out = []
    for t in range(steps):
        params, state = step(params, grad(params, t), state, t + 1)
        out.append({k: np.array(v, np.float64) for k, v in params.items()})
    return out


def displacement_error(ours: list[dict], theirs: list[dict]) -> float:
    """Largest distance between the trajectories, relative to the reference's largest
    displacement from the starting point (so a method that barely moves is not excused)."""
    for a, b in zip(ours, theirs, strict=True):
        for k in b:
            assert np.all(np.isfinite(a[k])) and np.all(np.isfinite(b[k])), (
                f"a trajectory is not finite at leaf {k!r}: the comparison would prove nothing"
            )
    gap = max(
        float(np.sqrt(sum(np.sum((a[k] - b[k]) ** 2) for k in b)))
        for a, b in zip(ours, theirs, strict=True)
    )
    moved = max(float(np.sqrt(sum(np.sum((b[k] - INIT[k]) ** 2) for k in b))) for b in theirs)
    assert moved > 1e-3, f"the reference barely moves ({moved:.2e}); the test would prove nothing"
    return gap / moved


def check(name: str, err: float, reference: str, dtype: str = "float64", kind: str = "package"):
    """Asserts ``err`` is within :data:`TOL` and agrees with ``measured/<name>.json``.

    Args:
      name: the registry name.
      err: :func:`displacement_error` of optzoo against the reference.
      reference: what was compared with, with its version (``"prodigyopt 1.1.2"``), or the
        paper's algorithm box (``"NumPy transcription of Algorithm 1"``).
      dtype: ``"float64"`` or ``"float32"`` (where the package cannot run float64).
      kind: ``"package"`` (the authors' code) or ``"transcription"``.
    """
    assert err <= TOL[dtype], f"{name}: {err:.3e} from {reference} exceeds {TOL[dtype]:g}"
    path = MEASURED / f"{name}.json"
    record = {
        "reference": reference,
        "kind": kind,
        "dtype": dtype,
        "max_rel_error": float(f"{err:.2g}"),
    }
    if os.environ.get("OPTZOO_RECORD_AUTHORS"):
        path.write_text(json.dumps(record, indent=1) + "\n")
        return
    assert path.exists(), f"{path} is missing: record it (see tests/authors/_reference.py)"
    recorded = json.loads(path.read_text())
    assert recorded["reference"] == reference and recorded["dtype"] == dtype, (recorded, record)
    # Rounding differs across CPUs in the last bits; anything beyond that is a change.
    assert err <= max(10 * recorded["max_rel_error"], 1e-12), (err, recorded)


# Pieces the transcriptions of several families share.
def zeros() -> dict[str, np.ndarray]:
    """A zero array per parameter leaf (a transcription's initial state)."""
    return {k: np.zeros_like(a) for k, a in init_params().items()}


def run_authors_preset(name: str, **kw: Any) -> list[dict]:
    """optzoo's trajectory for ``optzoo.create(name, preset="authors", **kw)``."""
    import optzoo

    return run_optzoo(optzoo.create(name, preset="authors", **kw))


def adam_moments(state: dict, k: str, g: np.ndarray, b1: float, b2: float):
    """Adam's first and second moments of leaf ``k``, updated in ``state`` (zeros at first)."""
    m, v = state.setdefault(k, (np.zeros_like(g), np.zeros_like(g)))
    m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    state[k] = (m, v)
    return m, v
