"""Assorted Adam-family optimizers against their papers' algorithm boxes (no packages)."""

from __future__ import annotations

import pathlib
import sys

import numpy as np

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402


def _norm(a):
    return np.sqrt((a**2).sum())


# Wang et al. AdaGC: Improving Training Stability for Large Language Model Pretraining. 2025.
# https://arxiv.org/abs/2502.11034, Algorithm 1: warm-up (t < T): global clipping at
# lambda_abs, gamma = min(gamma, ||g_hat||); then per tensor h = min(lambda_rel gamma / ||g||, 1),
# gamma = beta gamma + (1 - beta) ||g_hat||; AdamW on g_hat.
def test_adagc_matches_algorithm_1():
    lr, b1, b2, beta, eps, wd = 1e-2, 0.9, 0.999, 0.98, 1e-8, 0.1
    lam_abs, lam_rel, warmup = 1.0, 1.05, 10

    def step(x, g, s, t):
        m, v, gamma = s
        m, v, gamma = dict(m), dict(v), dict(gamma)
        total = np.sqrt(sum((a**2).sum() for a in g.values()))
        new = {}
        for k in x:
            if t < warmup or t == 1:
                gh = g[k] * min(lam_abs / (total + eps), 1.0)
                gamma[k] = _norm(gh) if t == 1 else min(gamma[k], _norm(gh))
            else:
                gh = g[k] * min(lam_rel * max(gamma[k], eps) / max(_norm(g[k]), eps), 1.0)
                gamma[k] = beta * gamma[k] + (1 - beta) * _norm(gh)
            m[k] = b1 * m[k] + (1 - b1) * gh
            v[k] = b2 * v[k] + (1 - b2) * gh**2
            mh, vh = m[k] / (1 - b1**t), v[k] / (1 - b2**t)
            new[k] = x[k] - lr * (mh / (np.sqrt(vh) + eps) + wd * x[k])
        return new, (m, v, gamma)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros, {k: 0.0 for k in zeros}))
    ours = R.run_optzoo(
        optzoo.create("adagc", preset="authors", learning_rate=lr, warmup_steps=warmup)
    )
    err = R.displacement_error(ours, theirs)
    R.check("adagc", err, "NumPy transcription of Algorithm 1", kind="transcription")


# Zhang, Niwa, Kleijn. A DNN Optimizer that Improves over AdaBelief by Suppression of the
# Adaptive Stepsize Range. 2022. https://arxiv.org/abs/2203.13273, Algorithm 1 as in the
# authors' code (guoqiang-x-zhang/AidaOptimizer): L2 decay; m = b1 m + (1 - b1) g; K mutual
# projections of g and m; v = b2 v + (1 - b2) (m~ - g~)^2 + eps;
# x -= lr / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t)).
def test_aida_matches_algorithm_1():
    lr, b1, b2, eps, wd, K, xi = 1e-2, 0.9, 0.999, 1e-8, 1e-2, 2, 1e-20

    def step(x, g, s, t):
        m, v = dict(s[0]), dict(s[1])
        new = {}
        for key in x:
            gk = g[key] + wd * x[key]
            m[key] = b1 * m[key] + (1 - b1) * gk
            pg, pm = gk.copy(), m[key].copy()
            for _ in range(K):
                sg = (pg * pm).sum() / ((pg**2).sum() + xi)
                sm = (pg * pm).sum() / ((pm**2).sum() + xi)
                pg, pm = pg * sg, pm * sm
            v[key] = b2 * v[key] + (1 - b2) * (pm - pg) ** 2 + eps
            denom = np.sqrt(v[key]) / np.sqrt(1 - b2**t)
            new[key] = x[key] - lr / (1 - b1**t) * m[key] / denom
        return new, (m, v)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, zeros))
    ours = R.run_optzoo(optzoo.create("aida", preset="authors", learning_rate=lr, weight_decay=wd))
    err = R.displacement_error(ours, theirs)
    R.check(
        "aida", err, "NumPy transcription of Algorithm 1 (the authors' code)", kind="transcription"
    )
