"""Synthetic data sets, generated from a seed: regression, spirals, adding, copy, char LM, NQM."""

from __future__ import annotations

import os
import pathlib

import numpy as np

from optzoo.data.dataset import Dataset

__all__ = [
    "regression",
    "spirals",
    "adding",
    "copy_task",
    "char_lm",
    "stdlib_text",
    "nqm",
    "nqm_curvature",
]


def _tt(rng: np.random.Generator, make, n_train: int, n_test: int):
    return make(rng, n_train), make(rng, n_test)


def regression(
    n_train: int = 1024, n_test: int = 256, features: int = 8, noise: float = 0.1, seed: int = 0
) -> Dataset:
    """``y = sin(x @ a) + 0.5 (x @ b) + noise`` with Gaussian ``x``: one regression target."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(2, features)) / np.sqrt(features)

    def make(r, n):
        x = r.normal(size=(n, features)).astype(np.float32)
        y = np.sin(x @ a) + 0.5 * (x @ b) + noise * r.normal(size=n)
        return x, y[:, None].astype(np.float32)

    (xtr, ytr), (xte, yte) = _tt(rng, make, n_train, n_test)
    return Dataset("regression", "regression", 1, xtr, ytr, xte, yte)


def spirals(
    n_train: int = 1024, n_test: int = 256, noise: float = 0.1, turns: float = 1.5, seed: int = 0
) -> Dataset:
    """Two interleaved spirals in the plane, one class each."""
    rng = np.random.default_rng(seed)

    def make(r, n):
        label = r.integers(0, 2, n)
        t = np.sqrt(r.uniform(size=n)) * turns * 2 * np.pi
        sign = np.where(label == 0, 1.0, -1.0)
        x = np.stack([sign * t * np.cos(t), sign * t * np.sin(t)], 1) / (turns * 2 * np.pi)
        x = x + noise * r.normal(size=x.shape) / (turns * 2)
        return x.astype(np.float32), label.astype(np.int32)

    (xtr, ytr), (xte, yte) = _tt(rng, make, n_train, n_test)
    return Dataset("spirals", "classification", 2, xtr, ytr, xte, yte)


def adding(n_train: int = 1024, n_test: int = 256, seq_len: int = 20, seed: int = 0) -> Dataset:
    """The adding problem: sum the two values marked in a random sequence (regression).

    Inputs are ``(N, T, 2)``: a uniform value and a 0/1 marker (two markers).
    """
    rng = np.random.default_rng(seed)

    def make(r, n):
        values = r.uniform(size=(n, seq_len))
        marks = np.zeros((n, seq_len))
        half = max(1, seq_len // 2)
        i = r.integers(0, half, n)
        j = r.integers(half, seq_len, n)
        marks[np.arange(n), i] = 1.0
        marks[np.arange(n), j] = 1.0
        x = np.stack([values, marks], -1).astype(np.float32)
        return x, (values * marks).sum(1, keepdims=True).astype(np.float32)

    (xtr, ytr), (xte, yte) = _tt(rng, make, n_train, n_test)
    return Dataset("adding", "regression", 1, xtr, ytr, xte, yte)


def copy_task(
    n_train: int = 1024,
    n_test: int = 256,
    length: int = 5,
    delay: int = 5,
    symbols: int = 8,
    seed: int = 0,
) -> Dataset:
    """The copy task: read ``length`` symbols, wait ``delay`` blanks, then repeat them.

    Tokens: ``0`` blank, ``1`` the go marker, ``2 .. symbols+1`` data. Targets are
    blank except in the answer steps, which alone carry weight.
    """
    rng = np.random.default_rng(seed)
    total = 2 * length + delay + 1

    def make(r, n):
        data = r.integers(2, symbols + 2, (n, length))
        x = np.zeros((n, total), np.int32)
        y = np.zeros((n, total), np.int32)
        w = np.zeros((n, total), np.float32)
        x[:, :length] = data
        x[:, length + delay] = 1
        y[:, length + delay + 1 :] = data
        w[:, length + delay + 1 :] = 1.0
        return x, y, w

    xtr, ytr, wtr = make(rng, n_train)
    xte, yte, wte = make(rng, n_test)
    return Dataset("copy", "sequence", symbols + 2, xtr, ytr, xte, yte, wtr, wte)


def stdlib_text(max_chars: int = 200_000) -> bytes:
    """Text of the Python standard library's own ``.py`` files, in sorted name order."""
    root = pathlib.Path(os.__file__).parent
    out = bytearray()
    for path in sorted(root.glob("*.py")):
        out += path.read_bytes()
        if len(out) >= max_chars:
            break
    return bytes(out[:max_chars])


def char_lm(
    seq_len: int = 64, max_chars: int = 200_000, test_fraction: float = 0.1, seed: int = 0
) -> Dataset:
    """A byte-level language-modelling corpus from the stdlib's source (vocabulary 128).

    Non-ASCII bytes map to 0. Each example is ``seq_len`` tokens and the next
    token at each position; the test split is the corpus's tail.
    """
    del seed
    tokens = np.frombuffer(stdlib_text(max_chars), np.uint8).astype(np.int32)
    tokens = np.where(tokens < 128, tokens, 0)
    n = (len(tokens) - 1) // seq_len
    x = tokens[: n * seq_len].reshape(n, seq_len)
    y = tokens[1 : n * seq_len + 1].reshape(n, seq_len)
    n_test = max(1, int(round(n * test_fraction)))
    return Dataset("char_lm", "sequence", 128, x[:-n_test], y[:-n_test], x[-n_test:], y[-n_test:])


def nqm_curvature(dim: int) -> np.ndarray:
    """The noisy quadratic model's diagonal curvature ``h_i = 1 / i`` (``i = 1 .. dim``)."""
    return (1.0 / np.arange(1, dim + 1)).astype(np.float32)


def nqm(dim: int = 100, n_train: int = 8192, n_test: int = 8, seed: int = 0) -> Dataset:
    """The noisy quadratic model (Zhang et al. 2019, arXiv:1907.04164) as a data set.

    Training examples are ``x ~ N(0, H^-1)`` with ``H = diag(1 / i)``; with the
    ``quadratic`` model's per-example loss ``1/2 sum_i h_i (theta_i - x_i)^2`` the
    minibatch gradient is ``H (theta - mean x)``, whose covariance is ``H / B`` at batch
    size ``B`` (the paper's noise model). The test split is ``n_test`` copies of
    ``x = 0``, so ``eval_loss`` is exactly the paper's noiseless loss
    ``L(theta) = 1/2 theta^T H theta`` (the expected per-example training loss is that
    plus the constant ``dim / 2``). Targets are zeros of shape ``(N, dim)``: the task is
    ``regression`` and the model's outputs carry the loss.
    """
    if dim < 1 or n_train < 1 or n_test < 1:
        raise ValueError(f"nqm: dim, n_train, n_test must be >= 1 (got {dim}, {n_train}, {n_test})")
    rng = np.random.default_rng(seed)
    std = 1.0 / np.sqrt(nqm_curvature(dim))
    x_train = (rng.normal(size=(n_train, dim)) * std).astype(np.float32)
    x_test = np.zeros((n_test, dim), np.float32)
    y_train = np.zeros((n_train, dim), np.float32)
    y_test = np.zeros((n_test, dim), np.float32)
    return Dataset("nqm", "regression", dim, x_train, y_train, x_test, y_test)
