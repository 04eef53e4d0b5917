"""Hyperparameter validation: concrete values are checked, traced values pass."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from optzoo.core import validation as v


@pytest.mark.parametrize(
    "check,value",
    [
        (v.check_decay, 1.0),
        (v.check_decay, -0.1),
        (v.check_unit_interval, 1.01),
        (v.check_nonnegative, -1e-9),
        (v.check_positive, 0.0),
        (v.check_finite, math.inf),
        (v.check_finite, float("nan")),
        (v.check_nonnegative, np.float32(-1.0)),
        (v.check_decay, jnp.asarray(1.5)),
    ],
)
def test_out_of_range_raises_naming_the_parameter(check, value):
    with pytest.raises(ValueError, match=r"^b1 must be in"):
        check("b1", value)


@pytest.mark.parametrize(
    "check,value",
    [
        (v.check_decay, 0.0),
        (v.check_decay, 0.999),
        (v.check_unit_interval, 1.0),
        (v.check_nonnegative, 0.0),
        (v.check_positive, 1e-12),
        (v.check_finite, -3.0),
        (v.check_decay, None),
        (v.check_decay, lambda step: 2.0),
    ],
)
def test_in_range_passes(check, value):
    check("b1", value)


def test_traced_values_pass_unchecked():
    @jax.jit
    def f(x):
        v.check_decay("b1", x)  # would fail if checked: 2.0 is out of range
        return x * 2

    assert float(f(2.0)) == 4.0


def test_message_shows_the_interval():
    with pytest.raises(ValueError, match=r"eps must be in \[0, inf\), got -1"):
        v.check_nonnegative("eps", -1)
    with pytest.raises(ValueError, match=r"in \[0, 1\), got 1"):
        v.check_decay("b2", 1)


def test_positive_int():
    v.check_positive_int("k", 3)
    for bad in (0, -2, 2.5, True):
        with pytest.raises(ValueError, match="k must be a positive integer"):
            v.check_positive_int("k", bad)
