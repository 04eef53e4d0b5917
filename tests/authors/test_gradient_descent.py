"""QHM against its authors' package (qhoptim) and AggMo against the paper's Algorithm 1."""

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


# Ma & Yarats. Quasi-hyperbolic momentum and Adam for deep learning. 2018.
# https://arxiv.org/abs/1810.06801; the authors' package is qhoptim (coupled decay by default).
def test_qhm_matches_qhoptim():
    pytest.importorskip("torch")
    qhoptim = pytest.importorskip("qhoptim.pyt")
    kw = dict(momentum=0.9, nu=0.7)
    theirs = R.run_torch(lambda p: qhoptim.QHM(p, lr=0.05, weight_decay=WD, **kw))
    ours = R.run_optzoo(
        optzoo.create("qhm", preset="authors", learning_rate=0.05, weight_decay=WD, **kw)
    )
    R.check("qhm", R.displacement_error(ours, theirs), "qhoptim 1.1.0")


# Lucas, Sun, Zemel, Grosse. Aggregated Momentum: Stability Through Passive Damping. 2018.
# https://arxiv.org/abs/1804.00325, Algorithm 1: v_i <- beta_i v_i - grad; x <- x + lr/K sum v_i.
def test_aggmo_matches_algorithm_1():
    lr, betas = 0.02, (0.0, 0.9, 0.99)

    def step(x, g, v, t):
        v = {k: [b * vi - g[k] for b, vi in zip(betas, v[k], strict=True)] for k in x}
        x = {k: x[k] + lr / len(betas) * sum(v[k]) for k in x}
        return x, v

    v0 = {k: [np.zeros_like(a) for _ in betas] for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, v0)
    ours = R.run_optzoo(optzoo.create("aggmo", preset="authors", learning_rate=lr, betas=betas))
    err = R.displacement_error(ours, theirs)
    R.check("aggmo", err, "NumPy transcription of Algorithm 1", kind="transcription")
