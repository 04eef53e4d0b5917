"""QHAdam and AdaMod against their authors' packages (qhoptim, adamod); diffGrad against the
paper's Algorithm 1."""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402

WD = 0.01


def test_qhadam_matches_qhoptim():
    pytest.importorskip("torch")
    qhoptim = pytest.importorskip("qhoptim.pyt")
    theirs = R.run_torch(
        lambda p: qhoptim.QHAdam(p, lr=1e-2, nus=(0.7, 0.9), betas=(0.9, 0.99), weight_decay=WD)
    )
    ours = R.run_optzoo(
        optzoo.create(
            "qhadam",
            preset="authors",
            learning_rate=1e-2,
            nu1=0.7,
            nu2=0.9,
            b2=0.99,
            weight_decay=WD,
        )
    )
    R.check("qhadam", R.displacement_error(ours, theirs), "qhoptim 1.1.0")


def test_adamod_matches_the_authors_package():
    # The authors' AdaMod decays decoupled (x <- x - lr wd x), as optzoo's default.
    pytest.importorskip("torch")
    adamod = pytest.importorskip("adamod")
    theirs = R.run_torch(lambda p: adamod.AdaMod(p, lr=1e-2, beta3=0.99, weight_decay=WD))
    ours = R.run_optzoo(
        optzoo.create("adamod", preset="authors", learning_rate=1e-2, b3=0.99, weight_decay=WD)
    )
    R.check("adamod", R.displacement_error(ours, theirs), "adamod 0.0.3")


# Dubey et al. diffGrad: An Optimization Method for Convolutional Neural Networks. 2019.
# https://arxiv.org/abs/1909.11015, Algorithm 1; eps = 1e-12 on both sides, where the box's
# placement (after the bias correction) and the authors' code's (before it) agree.
def test_diffgrad_matches_algorithm_1():
    lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-12

    def step(x, g, s, t):
        m, v, prev = s
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in x}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in x}
        xi = {k: 1 / (1 + np.exp(-np.abs(prev[k] - g[k]))) for k in x}
        x = {
            k: x[k] - lr * xi[k] * (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + eps)
            for k in x
        }
        return x, (m, v, g)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros, zeros))
    ours = R.run_optzoo(optzoo.create("diffgrad", preset="authors", learning_rate=lr, eps=eps))
    err = R.displacement_error(ours, theirs)
    R.check("diffgrad", err, "NumPy transcription of Algorithm 1", kind="transcription")
