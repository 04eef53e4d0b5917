"""Pure train and eval steps. With ``axis_name`` they are the per-device body of pmap/shard_map."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import optax

from optzoo.train.state import TrainState

__all__ = ["StepOptions", "loss_sums", "train_step", "eval_step", "penalty"]


@dataclasses.dataclass(frozen=True)
class StepOptions:
    """Static settings of a step (hashable, so they can be closed over under jit)."""

    task: str = "classification"
    precision: str = "fp32"
    accumulate_steps: int = 1
    l1: float = 0.0
    l2: float = 0.0
    diagnostics: bool = False
    # What the optimizer's update takes besides the gradients (registry ``needs``): any of
    # "value" (the batch loss), "value_fn" (params -> batch loss), "grad" (the gradients).
    needs: tuple[str, ...] = ()


def loss_sums(
    task: str, out: jax.Array, batch: dict[str, jax.Array]
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(sum of losses, sum of correct predictions, sum of weights) of one batch."""
    out = out.astype(jnp.float32)
    y = batch["y"]
    if task == "regression":
        per = jnp.mean((out - y.reshape(out.shape)) ** 2, axis=-1)
        return per.sum(), jnp.zeros([], jnp.float32), jnp.asarray(per.size, jnp.float32)
    per = optax.softmax_cross_entropy_with_integer_labels(out, y)
    correct = (jnp.argmax(out, -1) == y).astype(jnp.float32)
    w = batch.get("w")
    if w is None:
        return per.sum(), correct.sum(), jnp.asarray(per.size, jnp.float32)
    return (per * w).sum(), (correct * w).sum(), w.sum()


def penalty(params: Any, l1: float, l2: float) -> jax.Array:
    """``l1 * sum|w| + l2/2 * sum w^2`` over the matrices (``ndim >= 2``) of ``params``."""
    total = jnp.zeros([], jnp.float32)
    for p in jax.tree.leaves(params):
        if p.ndim >= 2:
            if l1:
                total += l1 * jnp.abs(p).sum()
            if l2:
                total += 0.5 * l2 * jnp.square(p).sum()
    return total


def _cast(tree: Any, dtype: Any) -> Any:
    return jax.tree.map(
        lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x, tree
    )


def _forward(
    apply_fn: Any,
    params: Any,
    batch_stats: Any,
    x: jax.Array,
    train: bool,
    rng: jax.Array | None,
    precision: str,
) -> tuple[jax.Array, Any]:
    if precision == "bf16":
        params, x = _cast(params, jnp.bfloat16), _cast(x, jnp.bfloat16)
    variables = {"params": params}
    has_bn = bool(jax.tree.leaves(batch_stats))
    if has_bn:
        variables["batch_stats"] = batch_stats
    kwargs: dict[str, Any] = {"rngs": {"dropout": rng}} if rng is not None else {}
    if train and has_bn:
        out, updates = apply_fn(variables, x, train=True, mutable=["batch_stats"], **kwargs)
        return out, updates["batch_stats"]
    return apply_fn(variables, x, train=train, **kwargs), batch_stats


def _psum(x: Any, axis_name: str | None) -> Any:
    return x if axis_name is None else jax.lax.psum(x, axis_name)


def _layer_stats(grads: Any, updates: Any, params: Any) -> dict[str, jax.Array]:
    out = {}
    flat_g = jax.tree_util.tree_flatten_with_path(grads)[0]
    flat_u = jax.tree.leaves(updates)
    flat_p = jax.tree.leaves(params)
    for (path, g), u, p in zip(flat_g, flat_u, flat_p, strict=True):
        key = "/".join(str(getattr(k, "key", k)) for k in path)
        out[f"grad_norm/{key}"] = jnp.linalg.norm(g.ravel())
        out[f"update_ratio/{key}"] = jnp.linalg.norm(u.ravel()) / (
            jnp.linalg.norm(p.ravel()) + 1e-12
        )
    return out


def train_step(
    state: TrainState,
    batch: dict[str, jax.Array],
    rng: jax.Array,
    opts: StepOptions,
    axis_name: str | None = None,
) -> tuple[TrainState, dict[str, jax.Array]]:
    """One optimizer update on the global mean loss of ``batch``.

    The loss is normalised by the global example (or weight) count, and gradients
    are summed over ``axis_name`` when given, so any data-parallel split gives the
    single-device update. ``opts.accumulate_steps`` splits the batch into that
    many micro-batches whose gradients add up to the full-batch gradient. A
    non-finite loss or gradient leaves the state unchanged (but advances ``step``)
    and reports ``finite = 0``.
    """
    if axis_name is not None:
        rng = jax.random.fold_in(rng, jax.lax.axis_index(axis_name))
    k = opts.accumulate_steps
    if "w" in batch:
        count = batch["w"].sum()
    else:
        terms = batch["x"].shape[0] if opts.task == "regression" else batch["y"].size
        count = jnp.asarray(terms, jnp.float32)
    total = _psum(count, axis_name)

    def micro_loss(params, batch_stats, mb, r):
        out, new_stats = _forward(
            state.apply_fn, params, batch_stats, mb["x"], True, r, opts.precision
        )
        s, c, _ = loss_sums(opts.task, out, mb)
        return s / total, (new_stats, s, c)

    grad_fn = jax.grad(micro_loss, has_aux=True)

    def body(carry, inp):
        grads, stats, s_sum, c_sum = carry
        mb, i = inp
        g, (stats, s, c) = grad_fn(state.params, stats, mb, jax.random.fold_in(rng, i))
        grads = jax.tree.map(jnp.add, grads, g)
        return (grads, stats, s_sum + s, c_sum + c), None

    if k == 1:  # no loop: XLA optimises a plain step better than a one-trip scan
        grads, (stats, s_sum, c_sum) = grad_fn(
            state.params, state.batch_stats, batch, jax.random.fold_in(rng, 0)
        )
    else:
        micro = jax.tree.map(lambda a: a.reshape((k, a.shape[0] // k) + a.shape[1:]), batch)
        zeros = jax.tree.map(jnp.zeros_like, state.params)
        init = (zeros, state.batch_stats, jnp.zeros([]), jnp.zeros([]))
        (grads, stats, s_sum, c_sum), _ = jax.lax.scan(body, init, (micro, jnp.arange(k)))
    grads = _psum(grads, axis_name)
    if opts.l1 or opts.l2:
        pen_grads = jax.grad(penalty)(state.params, opts.l1, opts.l2)
        grads = jax.tree.map(jnp.add, grads, pen_grads)
    if axis_name is not None and jax.tree.leaves(stats):
        stats = jax.lax.pmean(stats, axis_name)
    loss = _psum(s_sum, axis_name) / total
    acc = _psum(c_sum, axis_name) / total
    grad_norm = optax.global_norm(grads)
    finite = jnp.isfinite(loss) & jnp.isfinite(grad_norm)

    def value_fn(params: Any) -> jax.Array:
        """The batch's global mean loss at ``params`` (penalties included, stats unchanged)."""
        out, _ = _forward(
            state.apply_fn,
            params,
            state.batch_stats,
            batch["x"],
            True,
            jax.random.fold_in(rng, 0),
            opts.precision,
        )
        value = _psum(loss_sums(opts.task, out, batch)[0], axis_name) / total
        if opts.l1 or opts.l2:
            value = value + penalty(params, opts.l1, opts.l2)
        return value

    def apply(operands: tuple) -> tuple:
        g, opt_state, params, new_stats = operands
        extra: dict[str, Any] = {}
        if "value" in opts.needs:
            pen = penalty(params, opts.l1, opts.l2) if opts.l1 or opts.l2 else 0.0
            extra["value"] = loss + pen
        if "grad" in opts.needs:
            extra["grad"] = g
        if "value_fn" in opts.needs:
            extra["value_fn"] = value_fn
        updates, opt_state = state.tx.update(g, opt_state, params, **extra)
        return optax.apply_updates(params, updates), opt_state, new_stats, updates

    def skip(operands: tuple) -> tuple:
        g, opt_state, params, _ = operands
        return params, opt_state, state.batch_stats, jax.tree.map(jnp.zeros_like, g)

    # A conditional, not a select: a finite step pays nothing for the guard.
    params, opt_state, stats, updates = jax.lax.cond(
        finite, apply, skip, (grads, state.opt_state, state.params, stats)
    )
    new_state = state.replace(
        step=state.step + 1, params=params, opt_state=opt_state, batch_stats=stats
    )
    metrics = {
        "loss": loss,
        "accuracy": acc,
        "grad_norm": grad_norm,
        "finite": finite.astype(jnp.float32),
    }
    if opts.diagnostics:
        metrics.update(_layer_stats(grads, updates, state.params))
    return new_state, metrics


def eval_step(
    apply_fn: Any, params: Any, batch_stats: Any, batch: dict[str, jax.Array], opts: StepOptions
) -> dict[str, jax.Array]:
    """Sums of loss, correct predictions and weights of one eval batch (no penalty)."""
    out, _ = _forward(apply_fn, params, batch_stats, batch["x"], False, None, opts.precision)
    s, c, n = loss_sums(opts.task, out, batch)
    return {"loss_sum": s, "correct_sum": c, "count": n}
