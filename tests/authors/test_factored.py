"""Factored-moment optimizers against their reference code: Adalite (its author published
training scripts, no package; pytorch_optimizer's ``Adalite`` is the maintained code)."""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402


# VatsaDev. Adalite. 2024. https://github.com/VatsaDev/adalite; pytorch_optimizer 4.1.0's Adalite
# in its default configuration (decoupled decay), lr raised so the trajectory moves.
def test_adalite_matches_pytorch_optimizer():
    pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    lr, wd = 3e-2, 1e-2
    theirs = R.run_torch(lambda ps: pto.Adalite(ps, lr=lr, weight_decay=wd))
    ours = R.run_optzoo(
        optzoo.create("adalite", preset="authors", learning_rate=lr, weight_decay=wd)
    )
    err = R.displacement_error(ours, theirs)
    R.check("adalite", err, "pytorch_optimizer 4.1.0 (Adalite)")


def _rms(a):
    return np.sqrt(np.mean(a**2))


# Shazeer, Stern. Adafactor: Adaptive Learning Rates with Sublinear Memory Cost. 2018.
# https://arxiv.org/abs/1804.04235, Algorithms 4 (factored, matrices) and 5 (vectors), with
# the paper's defaults: rho_t = min(1e-2, 1/sqrt(t)), alpha_t = max(eps2, RMS(X)) rho_t,
# beta2_t = 1 - t^-0.8, eps1 = 1e-30, eps2 = 1e-3, clipping d = 1, no momentum. The rank-3
# leaf is factored over its last two axes, the leading axis batched (tensor2tensor's choice).
def _adafactor_errors(cap):
    eps1, eps2, d = 1e-30, 1e-3, 1.0

    def step(x, g, state, t):
        rho = min(cap, 1 / np.sqrt(t))
        beta2 = 1 - t**-0.8
        new = {}
        for k in g:
            big = g[k] ** 2 + eps1
            if g[k].ndim >= 2:
                r, c = state[k]
                r = beta2 * r + (1 - beta2) * big.sum(axis=-1)
                c = beta2 * c + (1 - beta2) * big.sum(axis=-2)
                v = r[..., :, None] * c[..., None, :] / r.sum(axis=-1)[..., None, None]
                state[k] = (r, c)
            else:
                v = state[k] = beta2 * state[k] + (1 - beta2) * big
            u = g[k] / np.sqrt(v)
            u = u / max(1.0, _rms(u) / d)
            new[k] = x[k] - max(eps2, _rms(x[k])) * rho * u
        return new, state

    init = {
        k: (np.zeros(s[:-1]), np.zeros(s[:-2] + s[-1:])) if len(s) >= 2 else np.zeros(s)
        for k, s in R.SHAPES.items()
    }
    return R.displacement_error(
        R.run_authors_preset("adafactor", learning_rate=cap), R.run_numpy(step, init)
    )


def test_adafactor():
    err = _adafactor_errors(1e-2)  # the paper's: rho_t = 1e-2 for t <= 1e4
    R.check("adafactor", err, "NumPy transcription of Algorithms 4 and 5", kind="transcription")


@pytest.mark.slow
def test_adafactor_relative_step_below_the_cap():
    # A cap of 0.5 lets 1/sqrt(t) set the step from t = 5 on.
    assert _adafactor_errors(0.5) <= R.TOL["float64"]


# Anil, Gupta, Koren, Singer. Memory-Efficient Adaptive Optimization. 2019.
# https://arxiv.org/abs/1901.11150, SM3-II, with the momentum of the authors' TensorFlow
# optimizer (google-research sm3/sm3.py): nu = min over the axes' accumulators + g^2 (a plain
# sum for vectors), each axis accumulator = max of nu over the other axes,
# m = mu m + (1 - mu) g / sqrt(nu + 1e-30), w -= lr m.
def test_sm3():
    lr, mu = 0.1, 0.9

    def step(w, g, state, t):
        acc, m = state
        new = {}
        for k in g:
            if g[k].ndim < 2:
                nu = acc[k][0] + g[k] ** 2
                acc[k] = [nu]
            else:
                n = g[k].ndim
                shaped = [
                    a.reshape([-1 if j == i else 1 for j in range(n)]) for i, a in enumerate(acc[k])
                ]
                nu = np.minimum.reduce(np.broadcast_arrays(*shaped)) + g[k] ** 2
                acc[k] = [nu.max(axis=tuple(j for j in range(n) if j != i)) for i in range(n)]
            m[k] = mu * m[k] + (1 - mu) * g[k] / np.sqrt(nu + 1e-30)
            new[k] = w[k] - lr * m[k]
        return new, (acc, m)

    acc = {
        k: [np.zeros(d) for d in s] if len(s) >= 2 else [np.zeros(s)] for k, s in R.SHAPES.items()
    }
    ours = R.run_authors_preset("sm3", learning_rate=lr, momentum=mu)
    err = R.displacement_error(ours, R.run_numpy(step, (acc, R.zeros())))
    R.check("sm3", err, "NumPy transcription of sm3.py (SM3-II)", kind="transcription")


def test_adafactor_relative_step_needs_a_learning_rate_cap():
    with pytest.raises(ValueError, match="relative_step=True needs learning_rate"):
        optzoo.adafactor(None, relative_step=True)
