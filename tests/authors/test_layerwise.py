"""Fromage against the paper's Algorithm 1 (the authors published source files, no package)."""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

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


def _norm(a):
    return np.sqrt(np.sum(a**2))


# You, Li, Reddi, Hseu, Kumar, Bhojanapalli, Song, Demmel, Keutzer, Hsieh. Large Batch
# Optimization for Deep Learning: Training BERT in 76 minutes. 2020.
# https://arxiv.org/abs/1904.00962, Algorithm 2 (LAMB, phi = identity): Adam moments with bias
# correction, r = m_hat / (sqrt(v_hat) + eps), x -= eta ||x|| / ||r + wd x|| (r + wd x).
def test_lamb():
    eta, wd, b1, b2, eps = 0.02, 0.1, 0.9, 0.999, 1e-6

    def step(x, g, state, t):
        m, v = state
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in g}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in g}
        new = {}
        for k in g:
            r = (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + eps) + wd * x[k]
            new[k] = x[k] - eta * _norm(x[k]) / _norm(r) * r
        return new, (m, v)

    ours = R.run_authors_preset("lamb", learning_rate=eta, weight_decay=wd)
    err = R.displacement_error(ours, R.run_numpy(step, (R.zeros(), R.zeros())))
    R.check("lamb", err, "NumPy transcription of Algorithm 2", kind="transcription")


# You, Gitman, Ginsburg. Large Batch Training of Convolutional Networks. 2017.
# https://arxiv.org/abs/1708.03888, Algorithm 1 (with the LARS coefficient eta of eq. 6), at
# a constant learning rate gamma: local lr = eta ||w|| / (||g|| + beta ||w||),
# v = m v + gamma * local_lr * (g + beta w), w -= v.
def test_lars():
    gamma, eta, beta, m = 1.0, 0.01, 0.1, 0.9

    def step(w, g, v, t):
        local = {k: eta * _norm(w[k]) / (_norm(g[k]) + beta * _norm(w[k])) for k in g}
        v = {k: m * v[k] + gamma * local[k] * (g[k] + beta * w[k]) for k in g}
        return {k: w[k] - v[k] for k in g}, v

    ours = R.run_authors_preset(
        "lars", learning_rate=gamma, weight_decay=beta, trust_coefficient=eta
    )
    err = R.displacement_error(ours, R.run_numpy(step, R.zeros()))
    R.check("lars", err, "NumPy transcription of Algorithm 1", kind="transcription")


# Ginsburg et al. Stochastic Gradient Methods with Layer-wise Adaptive Moments for Training of
# Deep Networks. 2019. https://arxiv.org/abs/1905.11286, Algorithm 1, as the authors' NovoGrad2
# in NVIDIA OpenSeq2Seq (open_seq2seq/optimizers/novograd.py) computes it: per layer
# v = ||g||^2 on the first step, then b2 v + (1 - b2) ||g||^2; m = b1 m + g / sqrt(v + eps)
# + wd w (m = 0 before the first step); w -= lr m.
def test_novograd():
    lr, wd, b1, b2, eps = 0.01, 0.1, 0.95, 0.98, 1e-8

    def step(w, g, state, t):
        m, v = state
        v = {k: _norm(g[k]) ** 2 if t == 1 else b2 * v[k] + (1 - b2) * _norm(g[k]) ** 2 for k in g}
        m = {k: b1 * m[k] + g[k] / np.sqrt(v[k] + eps) + wd * w[k] for k in g}
        return {k: w[k] - lr * m[k] for k in g}, (m, v)

    ours = R.run_authors_preset("novograd", learning_rate=lr, weight_decay=wd)
    err = R.displacement_error(ours, R.run_numpy(step, (R.zeros(), {k: 0.0 for k in R.SHAPES})))
    R.check("novograd", err, "NumPy transcription of OpenSeq2Seq NovoGrad2", kind="transcription")


def test_lars_split_norm_needs_a_scalar_weight_decay():
    with pytest.raises(ValueError, match="split_norm=True needs a scalar weight_decay"):
        optzoo.lars(1.0, weight_decay=lambda count: 0.1, split_norm=True)
