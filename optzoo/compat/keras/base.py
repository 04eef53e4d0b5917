"""Keras 3's optimizer loop as an optax transformation.

One ``update`` call is one ``optimizer.apply(grads)``: gradient accumulation,
clipping, decoupled weight decay, the optimizer's ``update_step``, the EMA of the
weights and the EMA overwrite, in Keras's order, with Keras's step counters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

__all__ = ["KerasState", "keras_transform", "ema_params"]


class KerasState(NamedTuple):
    """State of a Keras preset.

    ``iterations`` is Keras's raw counter (``optimizer._iterations``); ``slots`` the
    optimizer variables per tensor plus optimizer-wide scalars; ``accumulators`` the
    gradient sums of gradient accumulation; ``average`` the EMA of the weights.
    """

    iterations: jax.Array
    slots: dict[str, Any]
    accumulators: Any
    average: Any


# kernel(g, var, s, step, lr, sc, path) -> (new_var, new_s); step = iterations + 1
Kernel = Callable[..., tuple[jax.Array, dict[str, jax.Array]]]


def _path_str(path) -> str:
    return "/".join(str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k)))) for k in path)


def keras_transform(
    slots: Mapping[str, Callable[[jax.Array], jax.Array]],
    kernel: Kernel,
    learning_rate: Any,
    *,
    weight_decay: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    use_ema: bool = False,
    ema_momentum: float = 0.99,
    ema_overwrite_frequency: int | None = None,
    loss_scale_factor: float | None = None,
    gradient_accumulation_steps: int | None = None,
    scalars: dict[str, Callable[[], jax.Array]] | None = None,
    scalar_step: Callable[[dict, jax.Array], dict] | None = None,
    weight_decay_fn: Callable[[jax.Array, str], float | None] | None = None,
    exclude_from_weight_decay: Sequence[str] | None = None,
) -> optax.GradientTransformationExtraArgs:
    """Wraps a Keras ``update_step`` kernel in Keras's ``apply`` loop.

    Args:
      slots: name -> initialiser ``var -> array`` of each optimizer variable.
      kernel: ``kernel(g, var, s, step, lr, sc, path) -> (new_var, new_s)``, Keras's
        ``update_step`` with ``step = iterations + 1`` in the variable's dtype.
      learning_rate: a float or a callable of the raw iteration counter.
      weight_decay_fn: per-tensor weight decay ``(var, path) -> wd`` (Muon).
      exclude_from_weight_decay: regexes; a tensor whose path matches one gets no
        weight decay (Keras's ``exclude_from_weight_decay(var_names=...)``).
      The remaining arguments are Keras's.

    Returns:
      A ``GradientTransformationExtraArgs`` with state :class:`KerasState`.
    """
    if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
        raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set.")
    if gradient_accumulation_steps is not None and gradient_accumulation_steps < 2:
        raise ValueError("`gradient_accumulation_steps` must be an integer >= 2.")
    if use_ema and not 0 <= ema_momentum <= 1:
        raise ValueError("`ema_momentum` must be in the range [0, 1].")
    scalars = scalars or {}
    steps = gradient_accumulation_steps
    excluded = re.compile("|".join(sorted(set(exclude_from_weight_decay or ()))) or "(?!)")

    def init_fn(params):
        s = {k: jax.tree.map(f, params) for k, f in slots.items()}
        s.update({k: f() for k, f in scalars.items()})
        acc = optax.tree.zeros_like(params) if steps else ()
        avg = optax.tree.zeros_like(params) if use_ema else ()
        return KerasState(jnp.zeros([], jnp.int32), s, acc, avg)

    def clip(grads):
        if clipnorm is not None and clipnorm > 0:

            def one(g):
                l2sum = jnp.sum(jnp.square(g))
                l2norm = jnp.where(l2sum > 0, jnp.sqrt(jnp.where(l2sum > 0, l2sum, 1.0)), l2sum)
                return g * clipnorm / jnp.maximum(l2norm, clipnorm)

            return jax.tree.map(one, grads)
        if global_clipnorm is not None and global_clipnorm > 0:
            norm = jnp.sqrt(sum(jnp.sum(jnp.square(g)) for g in jax.tree.leaves(grads)))
            scale = global_clipnorm * jnp.minimum(1.0 / norm, 1.0 / global_clipnorm)
            scale = scale + (norm - norm)
            return jax.tree.map(lambda g: g * scale.astype(g.dtype), grads)
        if clipvalue is not None and clipvalue > 0:
            return jax.tree.map(lambda g: jnp.clip(g, -clipvalue, clipvalue), grads)
        return grads

    def update_fn(updates, state, params=None, **extra):
        del extra
        if params is None:
            raise ValueError("Keras presets need `params` in `update`")
        raw = state.iterations
        iterations = raw // steps if steps else raw
        lr = learning_rate(raw) if callable(learning_rate) else jnp.asarray(learning_rate)
        grads = updates
        if loss_scale_factor is not None:
            grads = jax.tree.map(lambda g: g / loss_scale_factor, grads)
        if steps:
            is_update = (raw + 1) % steps == 0
            new_acc = jax.tree.map(
                lambda g, a: jnp.where(is_update, jnp.zeros_like(a), g + a),
                grads,
                state.accumulators,
            )
            grads = jax.tree.map(
                lambda g, a: jnp.where(is_update, (g + a) / steps, g), grads, state.accumulators
            )
        else:
            is_update, new_acc = True, state.accumulators
        grads = clip(grads)

        sc = {k: state.slots[k] for k in scalars}
        if scalar_step is not None:
            sc = scalar_step(sc, iterations + 1)
        path_leaves, treedef = jax.tree_util.tree_flatten_with_path(params)
        g_leaves = treedef.flatten_up_to(grads)
        slot_leaves = {k: treedef.flatten_up_to(state.slots[k]) for k in slots}
        new_vars, new_slots = [], {k: [] for k in slots}
        for i, ((path, p), g) in enumerate(zip(path_leaves, g_leaves, strict=True)):
            name = _path_str(path)
            var_lr = jnp.asarray(lr, p.dtype)
            wd = weight_decay_fn(p, name) if weight_decay_fn else weight_decay
            if exclude_from_weight_decay and excluded.search(name):
                wd = None
            var = p
            if wd is not None:
                var = var - var * jnp.asarray(wd, p.dtype) * var_lr
            step = (iterations + 1).astype(p.dtype)
            s = {k: slot_leaves[k][i] for k in slots}
            v, s = kernel(g.astype(p.dtype), var, s, step, var_lr, sc, name)
            new_vars.append(v.astype(p.dtype))
            for k in slots:
                new_slots[k].append(s[k].astype(slot_leaves[k][i].dtype))
        new_params = treedef.unflatten(new_vars)
        out = {k: treedef.unflatten(v) for k, v in new_slots.items()}
        out.update(sc)
        if steps:
            new_params = jax.tree.map(lambda n, o: jnp.where(is_update, n, o), new_params, params)
            out = jax.tree.map(lambda n, o: jnp.where(is_update, n, o), out, state.slots)

        average = state.average
        if use_ema:
            m = jnp.where(iterations != 0, ema_momentum, 0.0)
            average = jax.tree.map(
                lambda a, v: (m.astype(v.dtype) * a + (1 - m).astype(v.dtype) * v).astype(a.dtype),
                state.average,
                new_params,
            )
            if ema_overwrite_frequency is not None:
                overwrite = (iterations + 1) % ema_overwrite_frequency == 0
                new_params = jax.tree.map(
                    lambda a, v: jnp.where(overwrite, a, v), average, new_params
                )
        deltas = jax.tree.map(lambda n, p: (n - p).astype(p.dtype), new_params, params)
        return deltas, KerasState(raw + 1, out, new_acc, average)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def ema_params(state: Any) -> Any:
    """The EMA of the weights kept by a Keras preset built with ``use_ema=True``
    (what Keras's ``finalize_variable_values`` writes into the model)."""
    for s in jax.tree.leaves(state, is_leaf=lambda x: isinstance(x, KerasState)):
        if isinstance(s, KerasState):
            return s.average
    raise ValueError("no KerasState found in this state")
