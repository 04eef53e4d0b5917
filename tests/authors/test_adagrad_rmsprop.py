"""The Adagrad/RMSProp family against its authors' code (issue #14).

Mirror MADGRAD runs against the authors' package (madgrad). AdaSmooth's author published no
code: the test transcribes the paper's algorithm box. KATE's authors published their
experiment code (nazya/KATE, ``codes/optimizers.py``), not a package; the test transcribes
their ``KATE.step`` in NumPy: ``b += g^2``,
``m += eta g^2 + g^2 / (b + eps)``, ``x -= lr sqrt(m) g / (b + eps)``.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

import optzoo

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402


def _authors_kate(lr, eta, eps):
    def step(x, g, state, t):
        m, b = state
        for k in x:
            gg = g[k] * g[k]
            b[k] = b[k] + gg
            denom = b[k] + eps
            m[k] = m[k] + eta * gg + gg / denom
            x[k] = x[k] - lr * np.sqrt(m[k]) * g[k] / denom
        return x, (m, b)

    zeros = lambda: {k: np.zeros_like(a) for k, a in R.init_params().items()}  # noqa: E731
    return R.run_numpy(step, (zeros(), zeros()))


def test_kate_matches_the_authors_step():
    lr, eta, eps = 0.05, 1e-3, 1e-8
    theirs = _authors_kate(lr, eta, eps)
    ours = R.run_optzoo(optzoo.create("kate", preset="authors", learning_rate=lr))
    R.check(
        "kate",
        R.displacement_error(ours, theirs),
        "NumPy transcription of the authors' KATE.step",
        kind="transcription",
    )


def test_kate_default_accumulates_eps_unlike_the_authors():
    """The flag matters: with a large eps the accumulated form leaves the authors' path."""
    lr, eta, eps = 0.05, 1e-3, 1e-2
    theirs = _authors_kate(lr, eta, eps)
    ours = R.run_optzoo(optzoo.kate(lr, delta=eta, eps=eps))
    assert R.displacement_error(ours, theirs) > 1e-3


def test_kate_eps_in_sum_is_keyword_only():
    with pytest.raises(TypeError):
        optzoo.kate(1.0, 1e-3, 1e-8, 0.0, None, False)  # type: ignore[misc]


@pytest.mark.parametrize(("weight_decay", "decouple"), [(0.0, False), (0.1, False), (0.1, True)])
def test_mirror_madgrad_matches_the_authors_package(weight_decay, decouple):
    """The authors' ``MirrorMADGRAD`` (madgrad 1.3) with their defaults, in float64."""
    pytest.importorskip("torch")
    madgrad = pytest.importorskip("madgrad")
    lr = 1e-2

    def make(tensors):
        return madgrad.MirrorMADGRAD(
            tensors, lr=lr, weight_decay=weight_decay, decouple_decay=decouple
        )

    theirs = R.run_torch(make)
    tx = optzoo.create(
        "mirror_madgrad",
        preset="authors",
        learning_rate=lr,
        weight_decay=weight_decay,
        decouple_decay=decouple,
    )
    err = R.displacement_error(R.run_optzoo(tx), theirs)
    if weight_decay and not decouple:
        R.check("mirror_madgrad", err, "madgrad 1.3 (MirrorMADGRAD)")
    else:
        assert err <= 1e-10, err


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
