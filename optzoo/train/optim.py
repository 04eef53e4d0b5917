"""Builds the optimizer of a config: registry name, schedule, clipping, decay, accumulation."""

from __future__ import annotations

import difflib
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.train.config import ConfigError, OptimizerConfig, ScheduleConfig

__all__ = [
    "build_schedule",
    "build_optimizer",
    "create_optimizer",
    "decoupled_weight_decay",
    "optimizer_needs",
]


def build_schedule(
    cfg: ScheduleConfig, learning_rate: float, total_steps: int
) -> optax.ScalarOrSchedule:
    """The learning rate as a constant or an optax schedule over ``total_steps``.

    A linear warm-up from 0 over ``warmup_steps`` comes first (any schedule); the
    decay then spans ``decay_steps`` (0: ``total_steps``) minus the warm-up and
    ends at ``end_value`` (absolute). ``step`` multiplies the rate by
    ``decay_rate`` at each of ``boundaries`` (fractions of the decay span).
    """
    lr, warm = learning_rate, cfg.warmup_steps
    if cfg.name == "constant" and warm == 0:
        return lr
    span = max((cfg.decay_steps or max(1, total_steps)) - warm, 1)
    body: optax.Schedule
    if cfg.name == "constant":
        body = optax.constant_schedule(lr)
    elif cfg.name in ("cosine", "warmup_cosine"):
        body = optax.cosine_decay_schedule(lr, span, cfg.end_value / lr if lr else 0.0)
    elif cfg.name == "linear":
        body = optax.linear_schedule(lr, cfg.end_value, span)
    elif cfg.name == "exponential":
        body = optax.exponential_decay(lr, span, cfg.decay_rate, end_value=cfg.end_value or None)
    else:  # step
        bounds = {int(b * span): cfg.decay_rate for b in cfg.boundaries}
        body = optax.piecewise_constant_schedule(lr, bounds)
    if warm == 0:
        return body
    return optax.join_schedules([optax.linear_schedule(0.0, lr, warm), body], [warm])


def create_optimizer(
    name: str, *, strict: bool = False, **hyperparameters: Any
) -> optax.GradientTransformation:
    """``optzoo.create(name, ...)``; names not (yet) in the registry fall back to ``optax.<name>``.

    ``strict`` wraps the result in :func:`optzoo.checked` (``optimizer.strict`` in configs).

    Errors become :class:`ConfigError` naming ``optimizer.name`` or
    ``optimizer.hyperparameters``.
    """
    import optzoo

    registered = optzoo.registry.names()
    if name in registered:
        try:
            return optzoo.create(name, strict=strict, **hyperparameters)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"optimizer.hyperparameters: {e}") from None
    factory = getattr(optax, name, None)
    if callable(factory) and not isinstance(factory, type) and not name.startswith("_"):
        try:
            tx = factory(**hyperparameters)
        except TypeError as e:
            raise ConfigError(f"optimizer.hyperparameters: {e}") from None
        if isinstance(tx, optax.GradientTransformation):
            return optzoo.checked(tx, name) if strict else tx
    close = difflib.get_close_matches(
        name, sorted({*registered, "adam", "adamw", "rmsprop", "lamb"}), n=3, cutoff=0.5
    )
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ConfigError(f"optimizer.name: unknown optimizer {name!r}{hint}")


class DecoupledDecayState(NamedTuple):
    count: jax.Array  # type: ignore[assignment]  # optax names it count too


def decoupled_weight_decay(
    rate: float, learning_rate: optax.ScalarOrSchedule
) -> optax.GradientTransformation:
    r"""Adds :math:`-\eta_t \lambda w` to the updates of matrices (``ndim >= 2``) only.

    Decoupled weight decay (Loshchilov & Hutter, 2019,
    https://arxiv.org/abs/1711.05101), scaled by the same learning rate schedule
    as the optimizer; biases and norm scales are not decayed.
    """

    def init_fn(params):
        del params
        return DecoupledDecayState(jnp.zeros([], jnp.int32))

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("decoupled_weight_decay needs params")
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
        updates = jax.tree.map(
            lambda u, p: u - lr * rate * p if p.ndim >= 2 else u, updates, params
        )
        return updates, DecoupledDecayState(optax.safe_increment(state.count))

    return optax.GradientTransformation(init_fn, update_fn)


STEP_SUPPLIES = ("value", "value_fn", "grad")


def optimizer_needs(cfg: OptimizerConfig) -> tuple[str, ...]:
    """What the optimizer's update takes besides gradients and params (registry ``needs``)."""
    import optzoo

    if cfg.name not in optzoo.registry.names():
        return ()
    return tuple(n for n in optzoo.registry.info(cfg.name).needs if n in STEP_SUPPLIES)


def build_optimizer(cfg: OptimizerConfig, total_steps: int) -> optax.GradientTransformation:
    """Clipping, then the named optimizer with its schedule, then decoupled weight decay."""
    lr = build_schedule(cfg.schedule, cfg.learning_rate, total_steps)
    hyper = dict(cfg.hyperparameters)
    if "learning_rate" in hyper:
        raise ConfigError("optimizer.hyperparameters.learning_rate: use optimizer.learning_rate")
    parts = []
    if cfg.clip_value:
        parts.append(optax.clip(cfg.clip_value))
    if cfg.clip_norm:
        parts.append(optax.clip_by_global_norm(cfg.clip_norm))
    parts.append(create_optimizer(cfg.name, strict=cfg.strict, learning_rate=lr, **hyper))
    if cfg.weight_decay:
        parts.append(decoupled_weight_decay(cfg.weight_decay, lr))
    return parts[0] if len(parts) == 1 else optax.chain(*parts)
