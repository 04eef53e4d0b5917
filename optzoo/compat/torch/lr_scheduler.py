"""PyTorch ``torch.optim.lr_scheduler`` as optax schedules.

``Name(lr=base_lr, **torch_kwargs)`` returns a schedule: scheduler-step index
(``last_epoch``, starting at 0) -> learning rate, with the values PyTorch's
scheduler sets after that many ``scheduler.step()`` calls. Pass it as the ``lr`` of
an :mod:`optzoo.compat.torch` optimizer when the scheduler steps once per
optimizer step; when it steps once per epoch, compose:
``lambda count: sched(count // steps_per_epoch)``.

PyTorch updates most schedulers recursively (``lr_t = lr_{t-1} * factor``); these
schedules use the closed forms PyTorch also defines, equal up to float rounding.
``ReduceLROnPlateau`` depends on the losses seen, so it is a transformation.
``CyclicLR`` and ``OneCycleLR`` return the learning rate only: their momentum
cycling is not represented.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

__all__ = [
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "SequentialLR",
    "LambdaLR",
    "ReduceLROnPlateau",
    "ReduceLROnPlateauState",
]

Schedule = Callable[[Any], jax.Array]


def _t(count: Any) -> jax.Array:
    return jnp.asarray(count, jnp.float32)


def StepLR(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    r""":math:`\eta_t = \eta\,\gamma^{\lfloor t/\text{step\_size}\rfloor}`."""
    return lambda count: lr * jnp.float32(gamma) ** jnp.floor_divide(_t(count), step_size)


def MultiStepLR(lr: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    r""":math:`\eta_t = \eta\,\gamma^{\#\{m \le t\}}` (a repeated milestone counts twice)."""
    ms = sorted(Counter(milestones).elements())
    arr = jnp.asarray(ms, jnp.int32)

    def schedule(count):
        n = jnp.sum(jnp.asarray(count, jnp.int32) >= arr) if ms else 0
        return lr * jnp.float32(gamma) ** jnp.asarray(n, jnp.float32)

    return schedule


def ConstantLR(lr: float, factor: float = 1.0 / 3, total_iters: int = 5) -> Schedule:
    r""":math:`\eta_t = \eta\cdot\text{factor}` for :math:`t < T`, then :math:`\eta`."""
    if factor > 1.0 or factor < 0:
        raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
    return lambda count: jnp.where(_t(count) >= total_iters, lr, lr * factor).astype(jnp.float32)


def LinearLR(
    lr: float, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5
) -> Schedule:
    r"""Linear factor from ``start_factor`` to ``end_factor`` over ``total_iters`` steps."""
    if start_factor > 1.0 or start_factor <= 0:
        raise ValueError("start_factor must be in (0, 1]")
    if end_factor > 1.0 or end_factor < 0:
        raise ValueError("end_factor must be in [0, 1]")

    def schedule(count):
        frac = jnp.minimum(_t(count), total_iters) / total_iters
        return lr * (start_factor + (end_factor - start_factor) * frac)

    return schedule


def ExponentialLR(lr: float, gamma: float) -> Schedule:
    r""":math:`\eta_t = \eta\,\gamma^t`."""
    return lambda count: lr * jnp.float32(gamma) ** _t(count)


def PolynomialLR(lr: float, total_iters: int = 5, power: float = 1.0) -> Schedule:
    r""":math:`\eta_t = \eta\,(1 - \min(t, T)/T)^{p}`."""
    return lambda count: (
        lr * ((total_iters - jnp.minimum(_t(count), total_iters)) / total_iters) ** power
    )


def CosineAnnealingLR(lr: float, T_max: int, eta_min: float = 0.0) -> Schedule:
    r""":math:`\eta_t = \eta_{min} + (\eta-\eta_{min})(1+\cos(\pi t/T_{max}))/2`
    (periodic past ``T_max``, as PyTorch's)."""

    def schedule(count):
        # reduce the angle modulo the period 2 T_max to keep float32 accurate
        t = jnp.mod(jnp.asarray(count, jnp.int32), 2 * T_max).astype(jnp.float32)
        return eta_min + (lr - eta_min) * (1 + jnp.cos(jnp.pi * t / T_max)) / 2

    return schedule


def CosineAnnealingWarmRestarts(
    lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0
) -> Schedule:
    r"""SGDR (Loshchilov & Hutter 2017, https://arxiv.org/abs/1608.03983): cosine
    cycles of length :math:`T_0, T_0 m, T_0 m^2, \dots`."""
    if T_0 <= 0 or not isinstance(T_0, int):
        raise ValueError(f"Expected positive integer T_0, but got {T_0}")
    if T_mult < 1 or not isinstance(T_mult, int):
        raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
    starts, length = [0], T_0
    while T_mult > 1 and starts[-1] + length < 2**31 - 1:
        starts.append(starts[-1] + length)
        length *= T_mult
    starts_arr = jnp.asarray(starts, jnp.int32)
    lengths_arr = jnp.asarray([T_0 * T_mult**i for i in range(len(starts))], jnp.float32)

    def schedule(count):
        c = jnp.asarray(count, jnp.int32)
        if T_mult == 1:
            t_cur, t_i = jnp.mod(c, T_0).astype(jnp.float32), jnp.float32(T_0)
        else:
            n = jnp.sum(c >= starts_arr) - 1
            t_cur, t_i = (c - starts_arr[n]).astype(jnp.float32), lengths_arr[n]
        return eta_min + (lr - eta_min) * (1 + jnp.cos(jnp.pi * t_cur / t_i)) / 2

    return schedule


def CyclicLR(
    lr: float | None = None,
    base_lr: float | None = None,
    max_lr: float = 0.1,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: Callable[[Any], Any] | None = None,
    scale_mode: str = "cycle",
    cycle_momentum: bool = True,
    base_momentum: float = 0.8,
    max_momentum: float = 0.9,
) -> Schedule:
    r"""Cyclical learning rate (Smith 2017, https://arxiv.org/abs/1506.01186).

    PyTorch replaces the optimizer's lr by ``base_lr``; ``lr`` is used when ``base_lr``
    is omitted. ``scale_fn`` must be written with ``jax.numpy``. The momentum
    arguments are accepted and ignored.
    """
    del cycle_momentum, base_momentum, max_momentum
    base = lr if base_lr is None else base_lr
    if base is None:
        raise ValueError("CyclicLR needs base_lr (or lr)")
    up = float(step_size_up)
    down = float(step_size_down) if step_size_down is not None else up
    total = up + down
    ratio = up / total
    if scale_fn is None:
        if mode == "triangular":
            fn, scale_mode = (lambda x: 1.0), "cycle"
        elif mode == "triangular2":
            fn, scale_mode = (lambda x: 1 / (2.0 ** (x - 1))), "cycle"
        elif mode == "exp_range":
            fn, scale_mode = (lambda x: gamma**x), "iterations"
        else:
            raise ValueError("mode is invalid and scale_fn is None")
    else:
        fn = scale_fn

    def schedule(count):
        t = _t(count)
        cycle = jnp.floor(1 + t / total)
        x = 1.0 + t / total - cycle
        factor = jnp.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
        height = (max_lr - base) * factor
        return base + height * fn(cycle if scale_mode == "cycle" else t)

    return schedule


def OneCycleLR(
    lr: float | None = None,
    max_lr: float = 0.1,
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    cycle_momentum: bool = True,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Schedule:
    r"""1cycle policy (Smith & Topin 2017, https://arxiv.org/abs/1708.07120).

    PyTorch ignores the optimizer's lr (it starts at ``max_lr / div_factor``); so does
    this schedule. Momentum cycling is not represented.
    """
    del lr, cycle_momentum, base_momentum, max_momentum
    if total_steps is None:
        if epochs is None or steps_per_epoch is None:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        total_steps = epochs * steps_per_epoch
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', got {anneal_strategy}")
    initial = max_lr / div_factor
    final = initial / final_div_factor
    if three_phase:
        phases = [
            (float(pct_start * total_steps) - 1, initial, max_lr),
            (float(2 * pct_start * total_steps) - 2, max_lr, initial),
            (total_steps - 1, initial, final),
        ]
    else:
        phases = [
            (float(pct_start * total_steps) - 1, initial, max_lr),
            (total_steps - 1, max_lr, final),
        ]

    def anneal(start, end, pct):
        if anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (jnp.cos(jnp.pi * pct) + 1)
        return (end - start) * pct + start

    def schedule(count):
        t = _t(count)
        out, start_step = None, 0.0
        for i in reversed(range(len(phases))):
            end_step, a, b = phases[i]
            start_step = 0.0 if i == 0 else phases[i - 1][0]
            val = anneal(a, b, (t - start_step) / (end_step - start_step))
            out = val if out is None else jnp.where(t <= end_step, val, out)
        return out

    return schedule


def SequentialLR(lr: float, schedulers: Sequence[Schedule], milestones: Sequence[int]) -> Schedule:
    r"""Runs ``schedulers[i]`` from milestone ``i-1``, restarted at its own step 0.

    The sub-schedules are built with the same ``lr`` (PyTorch's ``initial_lr``).
    """
    del lr
    if len(milestones) != len(schedulers) - 1:
        raise ValueError("SequentialLR expects len(milestones) == len(schedulers) - 1")
    starts = [0, *milestones]

    def schedule(count):
        c = jnp.asarray(count, jnp.int32)
        out = schedulers[0](c)
        for m, sched in zip(starts[1:], schedulers[1:], strict=True):
            out = jnp.where(c >= m, sched(jnp.maximum(c - m, 0)), out)
        return out

    return schedule


def LambdaLR(lr: float, lr_lambda: Callable[[Any], Any]) -> Schedule:
    r""":math:`\eta_t = \eta\cdot\lambda(t)`; ``lr_lambda`` must be jax-traceable under jit."""
    return lambda count: lr * lr_lambda(count)


class ReduceLROnPlateauState(NamedTuple):
    """State of :func:`ReduceLROnPlateau`."""

    lr: jax.Array
    best: jax.Array
    num_bad_epochs: jax.Array
    cooldown_counter: jax.Array
    last_epoch: jax.Array


def ReduceLROnPlateau(
    lr: float,
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_lr: float = 0.0,
    eps: float = 1e-8,
) -> optax.GradientTransformationExtraArgs:
    r"""PyTorch's ``ReduceLROnPlateau`` as a transformation.

    Chain it *after* an optimizer built with ``lr`` (for optimizers whose step is
    linear in the learning rate: SGD, Adam, AdamW, RMSprop, ...). Each ``update``
    scales the updates by :math:`\eta_t/\eta`, then performs ``scheduler.step(value)``
    with the ``value=`` keyword (the metric), so the order is PyTorch's
    ``optimizer.step(); scheduler.step(metric)``. The current lr is ``state.lr``.

    Example:
      >>> from optzoo.compat import torch as ot
      >>> import optax
      >>> tx = optax.chain(ot.SGD(lr=0.1), ot.lr_scheduler.ReduceLROnPlateau(0.1, patience=2))
    """
    if factor >= 1.0:
        raise ValueError("Factor should be < 1.0.")
    if mode not in ("min", "max"):
        raise ValueError(f"mode {mode} is unknown!")
    if threshold_mode not in ("rel", "abs"):
        raise ValueError(f"threshold mode {threshold_mode} is unknown!")
    worse = math.inf if mode == "min" else -math.inf

    def is_better(a, best):
        if mode == "min" and threshold_mode == "rel":
            return a < best * (1.0 - threshold)
        if mode == "min":
            return a < best - threshold
        if threshold_mode == "rel":
            return a > best * (threshold + 1.0)
        return a > best + threshold

    def init_fn(params):
        del params
        z = jnp.zeros([], jnp.int32)
        return ReduceLROnPlateauState(
            jnp.asarray(lr, jnp.float32), jnp.asarray(worse, jnp.float32), z, z, z
        )

    def update_fn(updates, state, params=None, *, value=None, **extra):
        del params, extra
        if value is None:
            raise ValueError("ReduceLROnPlateau needs the metric as `value=` in update")
        scale = state.lr / lr
        updates = jax.tree.map(lambda u: (u * scale).astype(u.dtype), updates)
        current = jnp.asarray(value, jnp.float32)
        better = is_better(current, state.best)
        best = jnp.where(better, current, state.best)
        bad = jnp.where(better, 0, state.num_bad_epochs + 1)
        in_cooldown = state.cooldown_counter > 0
        cooldown_counter = jnp.where(
            in_cooldown, state.cooldown_counter - 1, state.cooldown_counter
        )
        bad = jnp.where(in_cooldown, 0, bad)
        reduce = bad > patience
        new_lr = jnp.maximum(state.lr * factor, min_lr)
        new_lr = jnp.where(reduce & (state.lr - new_lr > eps), new_lr, state.lr)
        cooldown_counter = jnp.where(reduce, cooldown, cooldown_counter)
        bad = jnp.where(reduce, 0, bad)
        new_state = ReduceLROnPlateauState(
            new_lr, best, bad, cooldown_counter, state.last_epoch + 1
        )
        return updates, new_state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
