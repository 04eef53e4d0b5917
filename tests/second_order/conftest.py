"""Fixtures for the second-order tests."""

import jax
import pytest


@pytest.fixture
def x64():
    """Runs the test with float64 enabled, restoring the previous setting afterwards."""
    with jax.enable_x64(True):
        yield
