"""Warmup-stable-decay (WSD): linear warmup, a constant plateau, then a short decay."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import check_finite
from optzoo.schedules._checks import check_int

__all__ = ["warmup_stable_decay"]

_SHAPES = ("linear", "cosine", "1-sqrt")


def warmup_stable_decay(
    peak_value: float,
    warmup_steps: int,
    stable_steps: int,
    decay_steps: int,
    end_value: float = 0.0,
    *,
    init_value: float = 0.0,
    decay_shape: str = "linear",
) -> optax.Schedule:
    r"""Warmup-stable-decay schedule (a.k.a. trapezoidal schedule).

    With :math:`W, S, D` the lengths of the three phases and
    :math:`f = \min(1, (t - W - S) / D)` the fraction of the decay phase done:

    .. math::
       \eta_t = \begin{cases}
       \eta_{\rm init} + (\eta_{\rm peak} - \eta_{\rm init})\, t / W & t < W \\
       \eta_{\rm peak} & W \le t < W + S \\
       \eta_{\rm end} + (\eta_{\rm peak} - \eta_{\rm end})\, h(f) & t \ge W + S
       \end{cases}

    where :math:`h(f) = 1 - f` (``"linear"``), :math:`\tfrac12(1 + \cos \pi f)`
    (``"cosine"``) or :math:`1 - \sqrt f` (``"1-sqrt"``, the cooldown Hägele et al.
    found best). After :math:`W + S + D` steps the value stays at
    :math:`\eta_{\rm end}`. Because the plateau is constant, a run can be
    continued from any checkpoint taken before the decay.

    Args:
      peak_value: :math:`\eta_{\rm peak}`, the plateau value.
      warmup_steps: :math:`W \ge 0`.
      stable_steps: :math:`S \ge 0`.
      decay_steps: :math:`D \ge 0` (0 drops to ``end_value`` at once).
      end_value: :math:`\eta_{\rm end}`, the final value.
      init_value: :math:`\eta_{\rm init}`, the value at step 0 when ``W > 0``.
      decay_shape: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.

    Returns:
      A schedule: step count -> value.

    Example:
      >>> import optzoo
      >>> sched = optzoo.schedules.warmup_stable_decay(1e-3, 100, 800, 100, decay_shape="1-sqrt")
      >>> round(float(sched(500)), 6)
      0.001

    References:
      Hu et al. MiniCPM: Unveiling the Potential of Small Language Models with
      Scalable Training Strategies. 2024. https://arxiv.org/abs/2404.06395
      Hägele, Bakouch, Kosson, Ben Allal, Von Werra, Jaggi. Scaling Laws and
      Compute-Optimal Training Beyond Fixed Training Durations. 2024.
      https://arxiv.org/abs/2405.18392
    """
    for name, value in (
        ("peak_value", peak_value),
        ("end_value", end_value),
        ("init_value", init_value),
    ):
        check_finite(name, value)
    warmup_steps = check_int("warmup_steps", warmup_steps, 0)
    stable_steps = check_int("stable_steps", stable_steps, 0)
    decay_steps = check_int("decay_steps", decay_steps, 0)
    if decay_shape not in _SHAPES:
        raise ValueError(f"decay_shape must be one of {_SHAPES}, got {decay_shape!r}")
    decay_start = warmup_steps + stable_steps

    def schedule(count: jax.typing.ArrayLike) -> jax.Array:
        t = jnp.asarray(count, jnp.float32)
        warm = jnp.clip(t / max(warmup_steps, 1), 0.0, 1.0)
        warmup_value = init_value + (peak_value - init_value) * warm
        # r = 1 - f, the fraction of the decay phase still to go, formed directly so
        # that h(f) keeps full relative precision near the end of the decay.
        if decay_steps == 0:
            r = jnp.where(t >= decay_start, 0.0, 1.0)
        else:
            r = jnp.clip((decay_start + decay_steps - t) / decay_steps, 0.0, 1.0)
        if decay_shape == "linear":
            h = r
        elif decay_shape == "cosine":
            h = jnp.square(jnp.sin(0.5 * jnp.pi * r))  # = (1 + cos(pi f)) / 2
        else:
            h = r / (1.0 + jnp.sqrt(1.0 - r))  # = 1 - sqrt(f)
        decay_value = end_value + (peak_value - end_value) * h
        stable_value = jnp.asarray(peak_value, jnp.float32)
        return jnp.where(
            t < warmup_steps,
            warmup_value,
            jnp.where(t < decay_start, stable_value, decay_value),
        )

    return schedule
