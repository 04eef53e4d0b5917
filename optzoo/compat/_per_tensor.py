"""The per-tensor loop shared by the framework presets.

PyTorch and Keras write their optimizers as a loop over parameter tensors that
reads a step counter and the current learning rate. :func:`per_tensor` turns such
a kernel into an ``optax.GradientTransformation`` whose updates are the parameter
change (learning rate and sign included), so ``optax.apply_updates`` reproduces the
framework's step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

__all__ = ["CompatState", "Rule", "per_tensor", "lr_at", "one_minus_pow", "scalar_zeros"]


class CompatState(NamedTuple):
    """State of a framework preset: the step counter and the named per-tensor slots."""

    count: jax.Array  # type: ignore[assignment]
    slots: dict[str, Any]


Kernel = Callable[..., tuple[jax.Array, dict[str, jax.Array]]]


class Rule(NamedTuple):
    """An update rule for :func:`per_tensor`: slot initialisers, kernel, optimizer-wide scalars."""

    slots: Mapping[str, Callable[[jax.Array], jax.Array]]
    kernel: Kernel
    scalars: dict[str, Callable[[], jax.Array]] | None = None
    scalar_step: Callable[[dict, jax.Array], dict] | None = None
    weight_decay_fn: Callable[[jax.Array, str], float | None] | None = None  # Keras: per tensor


def scalar_zeros(p: jax.Array) -> jax.Array:
    """Slot initialiser of a slot a tensor does not use: a zero scalar of its dtype."""
    return jnp.zeros([], p.dtype)


def lr_at(learning_rate: optax.ScalarOrSchedule, count: jax.Array) -> jax.Array:
    """The learning rate at (0-based) optimizer step ``count``."""
    return learning_rate(count) if callable(learning_rate) else jnp.asarray(learning_rate)


def one_minus_pow(beta: Any, t: jax.Array) -> jax.Array:
    r""":math:`1-\beta^t` without the float32 cancellation of ``1 - beta**t``.

    PyTorch forms bias corrections in Python float64; ``-expm1(t log beta)`` with
    ``log beta`` taken in float64 gives the same value to float32 precision.
    """
    if isinstance(beta, (int, float)) and 0.0 < beta < 1.0:
        return -jnp.expm1(t * jnp.asarray(math.log(beta), t.dtype))
    return 1.0 - jnp.asarray(beta, t.dtype) ** t


def per_tensor(
    slots: Mapping[str, Callable[[jax.Array], jax.Array]],
    kernel: Kernel,
    learning_rate: optax.ScalarOrSchedule,
    *,
    maximize: bool = False,
    scalars: dict[str, Callable[[], jax.Array]] | None = None,
    scalar_step: Callable[[dict[str, jax.Array], jax.Array], dict[str, jax.Array]] | None = None,
) -> optax.GradientTransformation:
    """Builds a transformation from a framework's per-tensor update kernel.

    Args:
      slots: name -> initialiser ``param -> array`` of each per-tensor state slot.
      kernel: ``kernel(g, p, s, t, lr, sc) -> (delta, new_s)`` with ``g`` the gradient,
        ``p`` the parameter, ``s`` the dict of this tensor's slots, ``t`` the 1-based
        step in the parameter's dtype, ``lr`` the current learning rate, ``sc`` the
        (already advanced) scalar slots; ``delta`` is the change to apply to ``p``.
      learning_rate: scalar, or schedule of the 0-based step count.
      maximize: negate the gradient first (PyTorch's ``maximize``).
      scalars: name -> initialiser of optimizer-wide scalar slots.
      scalar_step: ``(scalars, t) -> scalars``, run once per step before the kernels.

    Returns:
      A ``GradientTransformation`` with state :class:`CompatState`; it needs ``params``.
    """
    scalars = scalars or {}

    def init_fn(params):
        state_slots = {k: jax.tree.map(f, params) for k, f in slots.items()}
        state_slots.update({k: f() for k, f in scalars.items()})
        return CompatState(count=jnp.zeros([], jnp.int32), slots=state_slots)

    def update_fn(updates, state, params=None, **extra):
        del extra
        if params is None:
            raise ValueError("this preset needs `params` in `update`")
        lr = lr_at(learning_rate, state.count)
        sc = {k: state.slots[k] for k in scalars}
        if scalar_step is not None:
            sc = scalar_step(sc, state.count + 1)
        leaves, treedef = jax.tree.flatten(updates)
        p_leaves = treedef.flatten_up_to(params)
        slot_leaves = {k: treedef.flatten_up_to(state.slots[k]) for k in slots}
        deltas, new_slots = [], {k: [] for k in slots}
        for i, (g, p) in enumerate(zip(leaves, p_leaves, strict=True)):
            g = -g if maximize else g
            t = (state.count + 1).astype(p.dtype)
            s = {k: slot_leaves[k][i] for k in slots}
            d, s = kernel(g, p, s, t, jnp.asarray(lr, p.dtype), sc)
            deltas.append(d.astype(p.dtype))
            for k in slots:
                new_slots[k].append(s[k].astype(slot_leaves[k][i].dtype))
        out = {k: treedef.unflatten(v) for k, v in new_slots.items()}
        out.update(sc)
        return treedef.unflatten(deltas), CompatState(optax.safe_increment(state.count), out)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
