"""Tiger against its author's update rule (the author's code is Keras source, no package)."""

from __future__ import annotations

import pathlib
import sys

import numpy as np

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402


# Jianlin Su. Tiger: A Tight-fisted Optimizer. 2023. https://github.com/bojone/tiger:
# m_t = beta m_{t-1} + (1 - beta) g_t; x -= eta (sign(m_t) + lambda x).
def test_tiger_matches_the_update_rule():
    lr, beta, wd = 3e-3, 0.965, 0.01

    def step(x, g, m, t):
        m = {k: beta * m[k] + (1 - beta) * g[k] for k in x}
        return {k: x[k] - lr * (np.sign(m[k]) + wd * x[k]) for k in x}, m

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, zeros)
    ours = R.run_optzoo(
        optzoo.create("tiger", preset="authors", learning_rate=lr, beta=beta, weight_decay=wd)
    )
    err = R.displacement_error(ours, theirs)
    R.check("tiger", err, "NumPy transcription of the update rule", kind="transcription")


# Matthew K. ROSE: Stateless optimization through range-normalized gradient updates.
# https://github.com/MatthewK78/Rose: L2 decay; vectors g / (|max g| - min g); rank >= 2:
# rows centred, each divided by its range r_i blended with the mean range,
# d_i = mean + mean / (std + mean) (r_i - mean).
def test_rose_matches_the_update_rule():
    lr, wd = 1e-2, 1e-4

    def step(x, g, s, t):
        new = {}
        for k in x:
            gk = g[k] + wd * x[k]
            if gk.ndim == 1:
                d = abs(gk.max()) - gk.min()
            else:
                rows = gk.reshape(gk.shape[0], -1)
                rows = rows - rows.mean(1, keepdims=True)
                r = np.abs(rows.max(1, keepdims=True)) - rows.min(1, keepdims=True)
                d = r.mean() + r.mean() / (r.std() + r.mean()) * (r - r.mean())
                gk, d = rows.reshape(gk.shape), d.reshape((-1,) + (1,) * (gk.ndim - 1))
            new[k] = x[k] - lr * gk / d
        return new, s

    theirs = R.run_numpy(step, None)
    ours = R.run_optzoo(optzoo.create("rose", preset="authors", learning_rate=lr))
    err = R.displacement_error(ours, theirs)
    R.check("rose", err, "NumPy transcription of the update rule", kind="transcription")
