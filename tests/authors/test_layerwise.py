"""Fromage against the paper's Algorithm 1 (the authors published source files, no package)."""

from __future__ import annotations

import pathlib
import sys

import numpy as np

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402


# Bernstein, Vahdat, Yue, Liu. On the distance between two neural networks and the stability
# of learning. 2020. https://arxiv.org/abs/2002.03432, Algorithm 1, per layer:
# x <- (x - eta ||x|| / ||g|| g) / sqrt(1 + eta^2).
def test_fromage_matches_algorithm_1():
    lr = 1e-2

    def step(x, g, s, t):
        new = {}
        for k in x:
            ratio = np.linalg.norm(x[k]) / np.linalg.norm(g[k])
            new[k] = (x[k] - lr * ratio * g[k]) / np.sqrt(1 + lr**2)
        return new, s

    theirs = R.run_numpy(step, None)
    ours = R.run_optzoo(optzoo.create("fromage", preset="authors", learning_rate=lr))
    err = R.displacement_error(ours, theirs)
    R.check("fromage", err, "NumPy transcription of Algorithm 1", kind="transcription")
