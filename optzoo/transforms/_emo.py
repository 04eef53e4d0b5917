"""Shared pieces of the EmoNavi optimizers (EmoNavi, EmoFact, EmoLynx): the loss trend
that scales their steps and the optional shadow copy of the weights. No public names here."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.transforms._moments import _map_unzip

__all__: list[str] = []


class EmoLossEMA(NamedTuple):
    """Short (0.3), medium (0.05) and long (0.01) exponential averages of the loss."""

    short: jax.Array
    medium: jax.Array
    long: jax.Array


def init_loss_ema() -> EmoLossEMA:
    zero = jnp.zeros([], jnp.float32)
    return EmoLossEMA(zero, zero, zero)


def emo_signals(
    ema: EmoLossEMA, count: jax.Array, value: Any, use_shadow: bool
) -> tuple[EmoLossEMA, jax.Array, jax.Array, jax.Array]:
    r"""Updates the loss averages with ``value`` (the first step starts them at it) and returns
    ``(averages, drive, ratio, trust)`` from :math:`s = \tanh((L - S) / \max(L, 10^{-5}))`:
    trust :math:`\operatorname{sign}(s)(1 - |s|)`; drive :math:`8|\text{trust}|(1 + 0.1\,
    \text{trust})` for :math:`0.25 < |s| < 0.5`, :math:`1 - |s|` for :math:`|s| > 0.75`, else 1;
    shadow ratio :math:`1 - |s|` for :math:`|s| > 0.625` (0 without shadow)."""
    if value is None:
        raise ValueError("the EmoNavi optimizers need the loss: update(g, s, params, value=loss)")
    ct = jnp.promote_types(jnp.result_type(value), jnp.float32)
    loss = jnp.asarray(value, ct)
    first = count == 0

    def avg(rate, old):
        return jnp.where(first, loss, rate * loss + (1 - rate) * old.astype(ct))

    short, medium, long = avg(0.3, ema.short), avg(0.05, ema.medium), avg(0.01, ema.long)
    # The reference's compute_scalar switches to the medium average's scale when
    # |diff / M'| M' < |diff / L'| L': both sides are |diff| in exact arithmetic, so only
    # rounding picks that branch; the exact-arithmetic value is tanh(diff / L').
    scalar = jnp.tanh((long - short) / jnp.maximum(long, 1e-5))
    mag = jnp.abs(scalar)
    trust = jnp.copysign(1 - mag, scalar)
    coef = jnp.where(mag > 0.25, 1 - mag, 1.0)
    drive = jnp.where(
        (mag > 0.25) & (mag < 0.5),
        8 * jnp.abs(trust) * (1 + 0.1 * trust),
        jnp.where(mag > 0.75, coef, 1.0),
    )
    ratio = jnp.where(mag > 0.625, 1 - mag, 0.0) if use_shadow else jnp.zeros([], ct)
    return EmoLossEMA(short, medium, long), drive, ratio, trust


class EmoShadowState(NamedTuple):
    """State of :func:`emo_shadow`: step count, loss averages, the shadow weights."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    ema: EmoLossEMA
    shadow: Any


def emo_shadow(
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: optax.ScalarOrSchedule,
    decoupled: bool,
    shadow_weight: float,
    refresh_when_active: bool,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""The EmoNavi shadow, placed after the learning rate: with :math:`x' = (1 - c)x` the
    weights after decoupled decay (:math:`c = \eta\lambda`, masked; 0 for L2 decay), when the
    ratio :math:`\rho > 0` the step starts from :math:`\rho`-pulled weights
    :math:`x'' = (1-\rho)x' + |\text{trust}|\,h` (and, with ``refresh_when_active``,
    :math:`h \leftarrow h + w(x'' - h)`); otherwise :math:`h \leftarrow h + 0.1|\text{trust}|
    (x' - h)`. The update becomes ``updates + x'' - x'``. Needs params and ``value=``."""

    def init_fn(params):
        return EmoShadowState(
            jnp.zeros([], jnp.int32), init_loss_ema(), jax.tree.map(jnp.array, params)
        )

    def update_fn(updates, state, params=None, *, value=None, **extra_args):
        del extra_args
        if params is None:
            raise ValueError("the EmoNavi shadow needs params")
        ema, _, ratio, trust = emo_signals(state.ema, state.count, value, True)
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
        wd = weight_decay(state.count) if callable(weight_decay) else weight_decay
        c = jnp.asarray(lr) * jnp.asarray(wd) if decoupled else jnp.zeros([])
        masks = mask(params) if callable(mask) else mask
        if masks is None:
            masks = jax.tree.map(lambda _: True, params)
        active = ratio > 0
        t = jnp.abs(trust)

        def one(u, p, h, on):
            dtype = p.dtype
            p1 = p * (1 - c).astype(dtype) if on else p
            p2 = jnp.where(active, p1 * (1 - ratio).astype(dtype) + t.astype(dtype) * h, p1)
            if refresh_when_active:
                h_active = h + shadow_weight * (p2 - h)
            else:
                h_active = h
            new_h = jnp.where(active, h_active, h + (0.1 * t).astype(dtype) * (p1 - h))
            return (u + (p2 - p1)).astype(u.dtype), new_h.astype(h.dtype)

        out, shadow = _map_unzip(one, 2, updates, params, state.shadow, masks)
        return out, EmoShadowState(optax.safe_increment(state.count), ema, shadow)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
