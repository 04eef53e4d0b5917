"""Hyperparameter validation shared by every optzoo constructor.

Checks run only on concrete values (Python numbers, NumPy scalars, concrete
JAX arrays). Traced values, schedules (callables) and ``None`` pass through
unchecked, so validation never changes behaviour under ``jit`` or
``inject_hyperparams``.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import numpy as np


def concrete_value(value: Any) -> float | None:
    """Returns ``value`` as a Python float when it is a concrete real scalar, else None."""
    if value is None or callable(value) or isinstance(value, bool):
        return None
    if isinstance(value, jax.core.Tracer):
        return None
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001 - anything not convertible is not checkable
        return None
    if arr.ndim != 0 or not np.issubdtype(arr.dtype, np.number):
        return None
    if np.iscomplexobj(arr):
        return None
    return float(arr)


def check_range(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Raises ValueError naming ``name`` when a concrete ``value`` is out of range.

    The range is ``[low, high]``; ``low_open`` / ``high_open`` exclude an end.
    Non-finite values are always rejected. Traced values and callables pass.
    """
    v = concrete_value(value)
    if v is None:
        return
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    interval = f"{left}{lo}, {hi}{right}"
    bad = not math.isfinite(v)
    if low is not None:
        bad |= v <= low if low_open else v < low
    if high is not None:
        bad |= v >= high if high_open else v > high
    if bad:
        raise ValueError(f"{name} must be in {interval}, got {value!r}")


def check_finite(name: str, value: Any) -> None:
    """Rejects NaN and infinite concrete values (e.g. a learning rate; negative is allowed)."""
    check_range(name, value)


def check_nonnegative(name: str, value: Any) -> None:
    check_range(name, value, 0.0)


def check_positive(name: str, value: Any) -> None:
    check_range(name, value, 0.0, low_open=True)


def check_decay(name: str, value: Any) -> None:
    """An exponential-average decay rate (a beta): ``[0, 1)``."""
    check_range(name, value, 0.0, 1.0, high_open=True)


def check_betas(b1: Any, b2: Any) -> None:
    """Checks an Adam-style pair of moment decays ``b1``, ``b2`` (each in ``[0, 1)``)."""
    check_decay("b1", b1)
    check_decay("b2", b2)


def check_unit_interval(name: str, value: Any) -> None:
    """A fraction such as momentum: ``[0, 1]``."""
    check_range(name, value, 0.0, 1.0)


def check_positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
