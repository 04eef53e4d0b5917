from __future__ import annotations

import pytest

from optzoo.bench.config import parse_suite


def _tiny_raw(optimizers=None, seeds=(0,), steps=30):
    return {
        "name": "tiny",
        "seeds": list(seeds),
        "workloads": [
            {
                "name": "digits_tiny",
                "data": {"name": "digits"},
                "model": {"width": 16, "depth": 1},
                "batch_size": 32,
                "steps": steps,
                "eval_every": 10,
                "target": {"metric": "eval_accuracy", "value": 0.3},
            }
        ],
        "optimizers": optimizers
        or [
            {"name": "sgd", "hyperparameters": {"learning_rate": 0.5}},
            {"name": "momentum", "hyperparameters": {"learning_rate": 0.05}},
        ],
    }


@pytest.fixture
def tiny_raw():
    """Factory of a tiny suite mapping: digits, a 16-unit MLP, 30 steps."""
    return _tiny_raw


@pytest.fixture
def tiny_suite():
    return parse_suite(_tiny_raw())
