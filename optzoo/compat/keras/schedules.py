"""Keras 3 ``keras.optimizers.schedules`` as optax schedules (float32, Keras's formulas).

Each ``Name(initial_learning_rate, ...)`` returns a schedule of the step (Keras
passes the optimizer's raw iteration counter) with Keras's argument names and
defaults. ``name`` is accepted and ignored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

__all__ = [
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "CosineDecayRestarts",
]

Schedule = Callable[[Any], jax.Array]
F32 = jnp.float32


def _check_steps(name: str, value: Any) -> None:
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


def _progress(step: Any, decay_steps: int, staircase: bool) -> jax.Array:
    """``step / decay_steps`` in float32, floored when ``staircase``."""
    p = jnp.asarray(step, F32) / F32(decay_steps)
    return jnp.floor(p) if staircase else p


def ExponentialDecay(
    initial_learning_rate: float,
    decay_steps: int,
    decay_rate: float,
    staircase: bool = False,
    name: str = "ExponentialDecay",
) -> Schedule:
    r""":math:`\eta_0\, r^{s/S}` (``staircase``: :math:`r^{\lfloor s/S\rfloor}`)."""
    _check_steps("decay_steps", decay_steps)

    def schedule(step):
        return F32(initial_learning_rate) * F32(decay_rate) ** _progress(
            step, decay_steps, staircase
        )

    return schedule


def PiecewiseConstantDecay(
    boundaries: Sequence[Any], values: Sequence[float], name: str = "PiecewiseConstant"
) -> Schedule:
    r"""``values[i]`` for ``boundaries[i-1] < step <= boundaries[i]``."""
    if len(boundaries) != len(values) - 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values.")

    def schedule(step):
        s = jnp.asarray(step)
        b = [jnp.asarray(x, s.dtype) for x in boundaries]
        out = (s <= b[0]).astype(F32) * values[0] + (s > b[-1]).astype(F32) * values[-1]
        for low, high, v in zip(b[:-1], b[1:], values[1:-1], strict=True):
            out = out + ((s > low) & (s <= high)).astype(F32) * v
        return out

    return schedule


def PolynomialDecay(
    initial_learning_rate: float,
    decay_steps: int,
    end_learning_rate: float = 0.0001,
    power: float = 1.0,
    cycle: bool = False,
    name: str = "PolynomialDecay",
) -> Schedule:
    r""":math:`(\eta_0-\eta_e)(1-\min(s,S)/S)^p + \eta_e`; ``cycle`` stretches
    :math:`S` to the next multiple of ``decay_steps``."""
    _check_steps("decay_steps", decay_steps)

    def schedule(step):
        s = jnp.asarray(step, F32)
        ds = F32(decay_steps)
        if cycle:
            ds = ds * jnp.where(s == 0, 1.0, jnp.ceil(s / decay_steps))
        else:
            s = jnp.minimum(s, ds)
        p = s / ds
        return (F32(initial_learning_rate) - F32(end_learning_rate)) * (1 - p) ** F32(power) + F32(
            end_learning_rate
        )

    return schedule


def InverseTimeDecay(
    initial_learning_rate: float,
    decay_steps: int,
    decay_rate: float,
    staircase: bool = False,
    name: str = "InverseTimeDecay",
) -> Schedule:
    r""":math:`\eta_0 / (1 + r\, s/S)` (``staircase``: :math:`\lfloor s/S\rfloor`)."""
    _check_steps("decay_steps", decay_steps)

    def schedule(step):
        p = _progress(step, decay_steps, staircase)
        return F32(initial_learning_rate) / (F32(1) + F32(decay_rate) * p)

    return schedule


def CosineDecay(
    initial_learning_rate: float,
    decay_steps: int,
    alpha: float = 0.0,
    name: str = "CosineDecay",
    warmup_target: float | None = None,
    warmup_steps: int = 0,
) -> Schedule:
    r"""Cosine decay (Loshchilov & Hutter 2017, https://arxiv.org/abs/1608.03983) with
    an optional linear warmup from ``initial_learning_rate`` to ``warmup_target``."""
    _check_steps("decay_steps", decay_steps)

    def decay(s, from_lr):
        frac = s / F32(decay_steps)
        cos = 0.5 * (1.0 + jnp.cos(F32(math.pi) * frac))
        return from_lr * ((1 - alpha) * cos + alpha)

    def schedule(step):
        s = jnp.asarray(step, F32)
        if warmup_target is None:
            return decay(jnp.minimum(s, F32(decay_steps)), F32(initial_learning_rate))
        ws = F32(warmup_steps)
        s = jnp.minimum(s, F32(decay_steps) + ws)
        warm = (F32(warmup_target) - F32(initial_learning_rate)) * (s / ws) + F32(
            initial_learning_rate
        )
        return jnp.where(s < ws, warm, decay(s - ws, F32(warmup_target)))

    return schedule


def CosineDecayRestarts(
    initial_learning_rate: float,
    first_decay_steps: int,
    t_mul: float = 2.0,
    m_mul: float = 1.0,
    alpha: float = 0.0,
    name: str = "SGDRDecay",
) -> Schedule:
    r"""SGDR: cosine cycles whose length grows by ``t_mul`` and height by ``m_mul``."""
    _check_steps("first_decay_steps", first_decay_steps)
    t = F32(t_mul)

    def schedule(step):
        frac = jnp.asarray(step, F32) / F32(first_decay_steps)
        if t_mul == 1.0:
            i = jnp.floor(frac)
            frac = frac - i
        else:
            i = jnp.floor(jnp.log(1.0 - frac * (1.0 - t)) / jnp.log(t))
            sum_r = (1.0 - t**i) / (1.0 - t)
            frac = (frac - sum_r) / t**i
        m_fac = F32(m_mul) ** i
        cos = 0.5 * m_fac * (1.0 + jnp.cos(F32(math.pi) * frac))
        return F32(initial_learning_rate) * ((1 - F32(alpha)) * cos + F32(alpha))

    return schedule
