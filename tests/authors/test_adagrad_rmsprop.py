"""AdaSmooth against the paper's algorithm box (the author published no code)."""

from __future__ import annotations

import pathlib
import sys

import numpy as np

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402


# Jun Lu. AdaSmooth: An Adaptive Learning Rate Method based on Effective Ratio. 2022.
# https://arxiv.org/abs/2204.00825, Algorithm 1 with the window M = t (all steps so far):
# e_t = |x_t - x_{t-M}| / sum |x_i - x_{i-1}|; c_t = (rho2 - rho1) e_t + (1 - rho2);
# E[g^2]_t = c_t^2 g_t^2 + (1 - c_t^2) E[g^2]_{t-1}; x_{t+1} = x_t - eta g_t / sqrt(E[g^2]_t + eps).
def test_adasmooth_matches_algorithm_1():
    lr, rho1, rho2, eps = 1e-2, 0.5, 0.99, 1e-6
    start = R.init_params()

    def step(x, g, s, t):
        path, v = s  # sum of |moves| so far, E[g^2]
        new, path2, v2 = {}, {}, {}
        for k in x:
            e = np.abs(x[k] - start[k]) / (path[k] + eps)
            c = (rho2 - rho1) * e + (1 - rho2)
            v2[k] = c**2 * g[k] ** 2 + (1 - c**2) * v[k]
            new[k] = x[k] - lr * g[k] / np.sqrt(v2[k] + eps)
            path2[k] = path[k] + np.abs(new[k] - x[k])
        return new, (path2, v2)

    zeros = {k: np.zeros_like(a) for k, a in start.items()}
    theirs = R.run_numpy(step, (zeros, zeros))
    ours = R.run_optzoo(optzoo.create("adasmooth", preset="authors", learning_rate=lr))
    err = R.displacement_error(ours, theirs)
    R.check("adasmooth", err, "NumPy transcription of Algorithm 1", kind="transcription")
