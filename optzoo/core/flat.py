"""Packed layouts: run an elementwise optimizer on a few big buffers instead of many leaves.

A parameter tree with thousands of small leaves costs one small kernel (on CPU, one
loop with its own dispatch) per leaf and per state array. :func:`flat` packs the
leaves of each dtype into one 1-D buffer (``layout="flat"``) or stacks leaves of
equal shape and dtype (``layout="grouped"``), keeps the inner optimizer's state in
that packed form, and unpacks only the updates.

Only **elementwise** optimizers give the same numbers packed and unpacked: those
whose update of coordinate ``i`` reads only coordinate ``i`` of the gradients,
parameters and state (plus scalars such as the step count and schedules). Among
the registered ones that is :data:`ELEMENTWISE` (SGD, momentum, Nesterov, Adam and
its variants, RMSProp, Adagrad, Adadelta, Lion, sign methods, schedule-free ...).
Optimizers that read only whole-tree sums besides (D-Adaptation, Prodigy, DoG,
Mechanic: :data:`GLOBAL_SUMS`; likewise global-norm clipping) agree to float
rounding, the order of the sum being different. Optimizers that read a whole leaf
(LAMB/LARS/NovoGrad/AdamP per-leaf norms, StableAdamW's per-leaf RMS, MARS's
per-leaf clipping, Adafactor/CAME/SM3/Adam-mini factored or blocked moments,
Muon/Shampoo/SOAP matrix updates, the 8-bit/bf16 state's block boundaries) or whose
masks are functions of the tree compute something else on packed buffers:
:func:`flat` refuses registered names it does not list, and a
``GradientTransformation`` passed directly is the caller's responsibility.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from optzoo.core.validation import check_positive_int

__all__ = ["ELEMENTWISE", "GLOBAL_SUMS", "FlatState", "flat", "pack", "unpack", "packing_plan"]

#: Registered optimizers whose update is elementwise (safe to run packed).
ELEMENTWISE = frozenset(
    {
        "adabelief",
        "adabound",
        "adadelta",
        "adagrad",
        "adam",
        "adamax",
        "adamaxw",
        "adamw",
        "adan",
        "ademamix",
        "adopt",
        "amsgrad",
        "cocob",
        "ftrl",
        "gd",
        "grams",
        "laprop",
        "lion",
        "madgrad",
        "momentum",
        "nadam",
        "nadamw",
        "nesterov",
        "radam",
        "rmsprop",
        "rprop",
        "schedule_free_adamw",
        "schedule_free_radam",
        "schedule_free_sgd",
        "sgd",
        "sign_sgd",
        "signum",
        "simplified_ademamix",
        "yogi",
    }
)

#: Registered optimizers that are elementwise but for sums over the whole tree (inner
#: products, global norms): packed they agree to float rounding (summation order).
GLOBAL_SUMS = frozenset(
    {"dadapt_adagrad", "dadapt_adam", "dadapt_lion", "dadapt_sgd", "dog", "mechanic", "prodigy"}
)


class _Plan(NamedTuple):
    """Static description of how a tree's leaves are packed."""

    treedef: Any
    shapes: tuple[tuple[int, ...], ...]
    dtypes: tuple[str, ...]
    groups: tuple[tuple[int, ...], ...]  # leaf indices per packed buffer
    loose: tuple[int, ...]  # leaves left as they are
    layout: str


def packing_plan(
    tree: Any,
    layout: str = "flat",
    max_leaf_size: int | None = None,
    max_leaves_per_buffer: int = 32,
) -> _Plan:
    """How :func:`pack` lays out ``tree``.

    Leaves are grouped by dtype (``"flat"``) or by (shape, dtype) (``"grouped"``),
    in tree order, at most ``max_leaves_per_buffer`` to a buffer; leaves above
    ``max_leaf_size`` elements stay loose, and so does a group of one leaf.
    """
    leaves, treedef = jax.tree.flatten(tree)
    shapes = tuple(tuple(np.shape(x)) for x in leaves)
    dtypes = tuple(jnp.dtype(x.dtype).name for x in leaves)
    by_key: dict[Hashable, list[int]] = {}
    loose = []
    for i, (shape, dtype) in enumerate(zip(shapes, dtypes, strict=True)):
        size = int(np.prod(shape))
        if max_leaf_size is not None and size > max_leaf_size:
            loose.append(i)
            continue
        key = dtype if layout == "flat" else (shape, dtype)
        by_key.setdefault(key, []).append(i)
    groups = []
    for members in by_key.values():
        for start in range(0, len(members), max_leaves_per_buffer):
            chunk = members[start : start + max_leaves_per_buffer]
            if len(chunk) > 1:
                groups.append(tuple(chunk))
            else:
                loose.extend(chunk)
    return _Plan(treedef, shapes, dtypes, tuple(groups), tuple(sorted(loose)), layout)


def pack(tree: Any, plan: _Plan) -> dict[str, tuple[jax.Array, ...]]:
    """The packed form of ``tree``: ``{"packed": buffers, "loose": leaves}``."""
    leaves = jax.tree.leaves(tree)
    if plan.layout == "flat":
        packed = tuple(jnp.concatenate([jnp.ravel(leaves[i]) for i in g]) for g in plan.groups)
    else:
        packed = tuple(jnp.stack([leaves[i] for i in g]) for g in plan.groups)
    return {"packed": packed, "loose": tuple(leaves[i] for i in plan.loose)}


def unpack(packed: dict[str, tuple[jax.Array, ...]], plan: _Plan) -> Any:
    """Inverse of :func:`pack`: the tree with ``plan``'s structure."""
    leaves: list[Any] = [None] * len(plan.shapes)
    for group, buffer in zip(plan.groups, packed["packed"], strict=True):
        if plan.layout == "flat":
            offset = 0
            for i in group:
                size = int(np.prod(plan.shapes[i]))
                leaves[i] = buffer[offset : offset + size].reshape(plan.shapes[i])
                offset += size
        else:
            for k, i in enumerate(group):
                leaves[i] = buffer[k]
    for i, leaf in zip(plan.loose, packed["loose"], strict=True):
        leaves[i] = leaf
    return jax.tree.unflatten(plan.treedef, leaves)


class FlatState(NamedTuple):
    """State of :func:`flat`: the inner state of the packed parameter tree."""

    inner_state: Any


def flat(
    inner: optax.GradientTransformation | str,
    *,
    layout: str = "flat",
    max_leaf_size: int | None = 4096,
    max_leaves_per_buffer: int = 32,
    **hyperparameters: Any,
) -> optax.GradientTransformationExtraArgs:
    r"""Runs an elementwise optimizer on packed buffers instead of leaf by leaf.

    .. math::
       u = U\big(\mathrm{inner.update}(P(g), S, P(x))\big)

    with :math:`P` the packing of the tree into one buffer per dtype (or one stack
    per shape and dtype) and :math:`U` its inverse. The inner state :math:`S` lives
    packed between steps. For an elementwise ``inner`` the updates equal the
    unpacked optimizer's.

    Args:
      inner: a ``GradientTransformation``, or the registered name of an elementwise
        optimizer (names outside :data:`ELEMENTWISE` and :data:`GLOBAL_SUMS` raise
        ``ValueError``).
      layout: ``"flat"`` (one 1-D buffer per dtype) or ``"grouped"`` (one stacked
        buffer per shape and dtype).
      max_leaf_size: leaves with more elements stay unpacked (their own buffers);
        ``None`` packs every leaf. Big leaves gain nothing from packing (their loop
        overhead is already amortized) and pay a copy in and out: on CPU, 1000 leaves
        of 16K elements ran 2x slower packed, 1000 leaves of 1K elements 2x faster
        (``benchmarks/results/many_leaves_cpu*.md``).
      max_leaves_per_buffer: leaves per packed buffer. XLA's CPU compile time grows
        quadratically with the number of slices taken from one buffer (1000 slices:
        minutes); buffers of 32 leaves keep it linear in the leaf count.
      **hyperparameters: passed to :func:`optzoo.create` when ``inner`` is a name.

    Returns:
      A ``GradientTransformationExtraArgs`` whose state is :class:`FlatState`.

    Example:
      >>> import jax.numpy as jnp
      >>> from optzoo.core.flat import flat
      >>> tx = flat("adam", learning_rate=1e-3)
      >>> state = tx.init([jnp.zeros(3), jnp.zeros((2, 2))])
    """
    if layout not in ("flat", "grouped"):
        raise ValueError(f"layout must be 'flat' or 'grouped', got {layout!r}")
    check_positive_int("max_leaves_per_buffer", max_leaves_per_buffer)
    if isinstance(inner, str):
        if inner not in ELEMENTWISE | GLOBAL_SUMS:
            known = ", ".join(sorted(ELEMENTWISE | GLOBAL_SUMS))
            raise ValueError(
                f"flat() runs only elementwise optimizers; {inner!r} is not known to be "
                f"elementwise (known: {known})"
            )
        from optzoo import registry

        inner = registry.create(inner, **hyperparameters)
    elif hyperparameters:
        raise ValueError("hyperparameters are accepted only with a registered name")
    inner = optax.with_extra_args_support(inner)

    def init_fn(params: optax.Params) -> FlatState:
        plan = packing_plan(params, layout, max_leaf_size, max_leaves_per_buffer)
        return FlatState(inner.init(pack(params, plan)))

    def update_fn(
        updates: optax.Updates,
        state: FlatState,
        params: optax.Params | None = None,
        **extra_args: Any,
    ) -> tuple[optax.Updates, FlatState]:
        plan = packing_plan(updates, layout, max_leaf_size, max_leaves_per_buffer)
        packed_params = None if params is None else pack(params, plan)
        packed, inner_state = inner.update(
            pack(updates, plan), state.inner_state, packed_params, **extra_args
        )
        return unpack(packed, plan), FlatState(inner_state)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
