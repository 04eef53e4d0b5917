"""Gradient diagnostics: per-layer norms, update/parameter ratios, vanish/explode warnings.

An optional ``hessian_fn(params, batch) -> float`` hook (e.g. a power iteration
from ``optzoo.second_order``) adds the top Hessian eigenvalue to the record.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["GradientWarning", "HessianHook", "check_gradients", "summarize"]

HessianHook = Callable[[Any, dict], float]


class GradientWarning(RuntimeWarning):
    """Gradients that vanish or explode."""


def summarize(metrics: dict[str, float]) -> dict[str, dict[str, float]]:
    """Splits the flat ``grad_norm/<layer>`` and ``update_ratio/<layer>`` entries by layer."""
    out: dict[str, dict[str, float]] = {"grad_norm": {}, "update_ratio": {}}
    for k, v in metrics.items():
        kind, _, layer = k.partition("/")
        if layer and kind in out:
            out[kind][layer] = float(v)
    return out


def check_gradients(
    step: int, grad_norm: float, layers: dict[str, float], vanish: float, explode: float
) -> list[str]:
    """Warns (``GradientWarning``) and returns messages when gradients vanish or explode."""
    msgs = []
    if not math.isfinite(grad_norm) or (explode and grad_norm > explode):
        msgs.append(f"step {step}: gradients explode (global norm {grad_norm:.3g})")
    elif grad_norm < vanish:
        msgs.append(f"step {step}: gradients vanish (global norm {grad_norm:.3g})")
    tiny = [name for name, g in layers.items() if g < vanish]
    if tiny and not msgs:
        msgs.append(f"step {step}: gradients vanish in {', '.join(sorted(tiny)[:5])}")
    for m in msgs:
        warnings.warn(m, GradientWarning, stacklevel=2)
    return msgs
