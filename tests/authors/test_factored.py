"""Factored-moment optimizers against their reference code: Adalite (its author published
training scripts, no package; pytorch_optimizer's ``Adalite`` is the maintained code)."""

from __future__ import annotations

import pathlib
import sys

import pytest

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402


# VatsaDev. Adalite. 2024. https://github.com/VatsaDev/adalite; pytorch_optimizer 4.1.0's Adalite
# in its default configuration (decoupled decay), lr raised so the trajectory moves.
def test_adalite_matches_pytorch_optimizer():
    pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    lr, wd = 3e-2, 1e-2
    theirs = R.run_torch(lambda ps: pto.Adalite(ps, lr=lr, weight_decay=wd))
    ours = R.run_optzoo(
        optzoo.create("adalite", preset="authors", learning_rate=lr, weight_decay=wd)
    )
    err = R.displacement_error(ours, theirs)
    R.check("adalite", err, "pytorch_optimizer 4.1.0 (Adalite)")
