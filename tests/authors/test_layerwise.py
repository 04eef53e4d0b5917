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


# Liu, Bernstein, Meister, Yue. Learning by Turning: Neural Architecture Aware Optimisation.
# 2021. https://arxiv.org/abs/2102.07227, Algorithm 1 (Nero), per neuron (row of a rank >= 2
# leaf; entry of a vector): v = b v + (1 - b) ||g||^2; x -= eta sigma g / sqrt(v / (1 - b^t));
# rank >= 2: x -= mean(x), x /= ||x|| (also at initialisation); sigma the initial mean norm.
def test_nero_matches_algorithm_1():
    lr, b, eps = 1e-2, 0.999, 1e-8

    def norms(a):
        if a.ndim <= 1:
            return np.abs(a)
        return np.sqrt((a.reshape(a.shape[0], -1) ** 2).sum(1)).reshape((-1,) + (1,) * (a.ndim - 1))

    def project(a):
        if a.ndim <= 1:
            return a
        a = a - a.reshape(a.shape[0], -1).mean(1).reshape((-1,) + (1,) * (a.ndim - 1))
        return a / (norms(a) + eps)

    start = {k: project(a) for k, a in R.init_params().items()}
    sigma = {k: norms(a).mean() for k, a in start.items()}

    def step(x, g, v, t):
        if t == 1:
            x = {k: project(a) for k, a in x.items()}
        v = {k: b * v[k] + (1 - b) * norms(g[k]) ** 2 for k in x}
        new = {}
        for k in x:
            d = np.sqrt(v[k] / (1 - b**t)) + eps
            new[k] = project(x[k] - lr * sigma[k] * g[k] / d)
        return new, v

    zeros = {k: np.zeros_like(norms(a)) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, zeros)
    ours = R.run_optzoo(optzoo.create("nero", preset="authors", learning_rate=lr))
    err = R.displacement_error(ours, theirs)
    R.check("nero", err, "NumPy transcription of Algorithm 1", kind="transcription")
