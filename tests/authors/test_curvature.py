"""Sophia, AdaHessian and Apollo against their authors' code (issue #14).

Sophia and AdaHessian estimate the Hessian diagonal. The shared problem
(tests/authors/_reference.py) is a separable quadratic, so its Hessian is
``diag(CURVATURE)`` at every point and a Hutchinson probe ``z * (H z)`` returns it exactly
for any Rademacher ``z``: the two sides need no common random numbers, and the comparison
tests the algorithm (moments, schedule, clipping, bias correction, weight decay), not the
probes. Apollo needs gradients only; its reference is a NumPy transcription of the paper's
Algorithm 1 with the author's code's defaults.
"""

from __future__ import annotations

import pathlib
import sys

import jax.numpy as jnp
import numpy as np
import pytest

import optzoo

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402

WD = 0.1


def _value_fn(params, t):
    return {"value_fn": lambda p: R.loss(p, t, lambda a: jnp.asarray(a, jnp.float64))}


# --------------------------------------------------------------------------- Sophia


class _SophiaLoop:
    """The authors' training loop around ``SophiaG`` (their README and train_sophiag.py):
    ``step`` every iteration, then after iterations k, 2k, ... a Hessian refresh at the
    updated parameters. Their estimator squares the gradient of a loss on sampled labels
    (Gauss-Newton-Bartlett); here the refresh gets the exact diagonal, which is what optzoo's
    Hutchinson probe returns on this problem (``p.grad = sqrt(c)``, so ``grad * grad = c``)."""

    def __init__(self, opt, tensors, k=10):
        self.opt, self.tensors, self.k, self.t = opt, tensors, k, 0

    def zero_grad(self):
        self.opt.zero_grad()

    def step(self):
        import torch

        self.opt.step()
        self.t += 1
        if self.t % self.k == 0:
            for p, name in zip(self.tensors, R.SHAPES, strict=True):
                p.grad = torch.from_numpy(np.sqrt(R.CURVATURE[name]))
            self.opt.update_hessian()


def test_sophia_matches_the_authors_sophiag():
    pytest.importorskip("torch")
    sophia_opt = pytest.importorskip("sophia_opt")
    lr = 0.05

    def make(tensors):
        return _SophiaLoop(sophia_opt.SophiaG(tensors, lr=lr, weight_decay=WD), tensors)

    theirs = R.run_torch(make)
    tx = optzoo.create("sophia", preset="authors", learning_rate=lr, weight_decay=WD)
    ours = R.run_optzoo(tx, extra=_value_fn)
    R.check("sophia", R.displacement_error(ours, theirs), "sophia-opt 0.2.2")


# --------------------------------------------------------------------------- AdaHessian


def _adahessian_step(lr, wd, b1=0.9, b2=0.999, eps=1e-4, k=1.0):
    """NumPy transcription of AdaHessian: Yao, Gholami, Shen, Mustafa, Keutzer, Mahoney.
    ADAHESSIAN: An Adaptive Second Order Optimizer for Machine Learning. 2020.
    https://arxiv.org/abs/2006.00719, Algorithm 1 (m: bias-corrected EMA of g; v: the root of
    the bias-corrected EMA of D*D; x -= lr m / v**k), with the authors' code's epsilon added
    to v**k and its decoupled decay x -= lr (m / (v**k + eps) + wd x). D is the Hessian
    diagonal: the authors' |H z| with a Rademacher z is exactly CURVATURE on this problem
    (so is optzoo's z * Hz), and their spatial averaging applies to rank-4 leaves only."""

    def step(params, grads, state, t):
        new = {}
        for key, p in params.items():
            m, v = state[key]
            d = R.CURVATURE[key]
            m = b1 * m + (1 - b1) * grads[key]
            v = b2 * v + (1 - b2) * d * d
            denom = np.sqrt(v / (1 - b2**t)) ** k + eps
            new[key] = p - lr * (m / (1 - b1**t) / denom + wd * p)
            state[key] = (m, v)
        return new, state

    return step


def test_adahessian_matches_the_paper():
    lr = 0.05
    zeros = {k: (np.zeros(s), np.zeros(s)) for k, s in R.SHAPES.items()}
    theirs = R.run_numpy(_adahessian_step(lr, WD), zeros)
    tx = optzoo.create("adahessian", preset="authors", learning_rate=lr, weight_decay=WD)
    R.check(
        "adahessian",
        R.displacement_error(R.run_optzoo(tx, extra=_value_fn), theirs),
        "NumPy transcription of Algorithm 1",
        kind="transcription",
    )


def test_sophia_rejects_an_unknown_refresh_by_name():
    with pytest.raises(ValueError, match="refresh"):
        optzoo.create("sophia", refresh="sometimes")


# --------------------------------------------------------------------------- Apollo (ApolloDQN)


def _apollo_step(lr, wd, beta=0.9, eps=1e-4, sigma=1.0, init_lr=0.01, warmup=30):
    """NumPy transcription of Apollo: Xuezhe Ma. Apollo: An Adaptive Parameter-wise Diagonal
    Quasi-Newton Method for Nonconvex Stochastic Optimization. 2020.
    https://arxiv.org/abs/2009.13586, Algorithm 1, per leaf:
    m_{t+1} = beta (1 - beta^t) / (1 - beta^{t+1}) m_t + (1 - beta) / (1 - beta^{t+1}) g_{t+1};
    alpha = (d_t^T (m_{t+1} - m_t) + d_t^T B_t d_t) / (||d_t||_4 + eps)^4;
    B_{t+1} = B_t - alpha Diag(d_t^2); D_{t+1} = rectify(B_{t+1}, sigma) = max(|B|, sigma);
    d_{t+1} = D_{t+1}^{-1} m_{t+1}; theta -= lr_t d_{t+1}. With the author's code's
    (XuezheMax/apollo, optim/apollo.py) defaults for the constant rebound: sigma = 1, L2 decay
    (g += wd theta) and the linear warm-up whose t-th step (from 1) uses
    init_lr + (lr - init_lr) (t - 1) / W for t <= W."""

    def step(params, grads, state, t):
        new = {}
        lr_t = init_lr + (lr - init_lr) * (t - 1) / warmup if t <= warmup else lr
        for key, p in params.items():
            m, b, d = state[key]
            g = grads[key] + wd * p
            m_new = (
                beta * (1 - beta ** (t - 1)) / (1 - beta**t) * m + (1 - beta) / (1 - beta**t) * g
            )
            n4 = np.sum(d**4) ** 0.25 + eps
            a = np.sum(d * (m_new - m)) + np.sum(d * b * d)
            b = b - a / n4**4 * d**2
            d = m_new / np.maximum(np.abs(b), sigma)
            new[key] = p - lr_t * d
            state[key] = (m_new, b, d)
        return new, state

    return step


def test_apollodqn_matches_the_paper():
    lr = 0.5
    zeros = {k: (np.zeros(s), np.zeros(s), np.zeros(s)) for k, s in R.SHAPES.items()}
    theirs = R.run_numpy(_apollo_step(lr, WD), zeros)
    tx = optzoo.create(
        "apollodqn", preset="authors", learning_rate=lr, weight_decay=WD, warmup_steps=30
    )
    R.check(
        "apollodqn",
        R.displacement_error(R.run_optzoo(tx), theirs),
        "NumPy transcription of Algorithm 1",
        kind="transcription",
    )
