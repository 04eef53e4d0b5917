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


# Duchi, Hazan, Singer. Adaptive Subgradient Methods for Online Learning and Stochastic
# Optimization. JMLR 12, 2011. https://jmlr.org/papers/v12/duchi11a.html, Figure 1 (ADAGRAD
# with diagonal matrices): s += g^2, x -= eta g / (delta + sqrt(s)).
def test_adagrad():
    eta, delta = 0.1, 1e-10

    def step(x, g, s, t):
        s = {k: s[k] + g[k] ** 2 for k in g}
        return {k: x[k] - eta * g[k] / (delta + np.sqrt(s[k])) for k in g}, s

    err = R.displacement_error(
        R.run_authors_preset("adagrad", learning_rate=eta), R.run_numpy(step, R.zeros())
    )
    R.check("adagrad", err, "NumPy transcription of Figure 1", kind="transcription")


# Hinton, Srivastava, Swersky. Neural Networks for Machine Learning, Lecture 6e (rmsprop),
# 2012. https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf, slide
# "rmsprop": MeanSquare = 0.9 MeanSquare + 0.1 g^2, divide the gradient by sqrt(MeanSquare).
def test_rmsprop():
    eta = 0.01

    def step(x, g, ms, t):
        ms = {k: 0.9 * ms[k] + 0.1 * g[k] ** 2 for k in g}
        return {k: x[k] - eta * g[k] / np.sqrt(ms[k]) for k in g}, ms

    err = R.displacement_error(
        R.run_authors_preset("rmsprop", learning_rate=eta), R.run_numpy(step, R.zeros())
    )
    R.check("rmsprop", err, "NumPy transcription of lecture 6e", kind="transcription")


# Zeiler. ADADELTA: An Adaptive Learning Rate Method. 2012. https://arxiv.org/abs/1212.5701,
# Algorithm 1 (rho = 0.95, epsilon = 1e-6 as in its experiments; no learning rate).
def test_adadelta():
    rho, eps = 0.95, 1e-6

    def step(x, g, state, t):
        eg, edx = state
        eg = {k: rho * eg[k] + (1 - rho) * g[k] ** 2 for k in g}
        dx = {k: -np.sqrt(edx[k] + eps) / np.sqrt(eg[k] + eps) * g[k] for k in g}
        edx = {k: rho * edx[k] + (1 - rho) * dx[k] ** 2 for k in g}
        return {k: x[k] + dx[k] for k in g}, (eg, edx)

    err = R.displacement_error(
        R.run_authors_preset("adadelta"), R.run_numpy(step, (R.zeros(), R.zeros()))
    )
    R.check("adadelta", err, "NumPy transcription of Algorithm 1", kind="transcription")


# McMahan et al. Ad Click Prediction: a View from the Trenches. KDD 2013.
# https://doi.org/10.1145/2487575.2488200, Algorithm 1 (per-coordinate FTRL-Proximal with L1
# and L2): sigma = (sqrt(n + g^2) - sqrt(n)) / alpha, z += g - sigma w, n += g^2,
# w = 0 if |z| <= l1 else -(z - sign(z) l1) / ((beta + sqrt(n)) / alpha + l2).
# The harness starts both sides at its initial point rather than at w(z=0, n=0) = 0.
def test_ftrl():
    alpha, beta, l1, l2 = 0.1, 1.0, 0.01, 0.1

    def step(w, g, state, t):
        z, n = state
        sigma = {k: (np.sqrt(n[k] + g[k] ** 2) - np.sqrt(n[k])) / alpha for k in g}
        z = {k: z[k] + g[k] - sigma[k] * w[k] for k in g}
        n = {k: n[k] + g[k] ** 2 for k in g}
        w = {
            k: np.where(
                np.abs(z[k]) <= l1,
                0.0,
                -(z[k] - np.sign(z[k]) * l1) / ((beta + np.sqrt(n[k])) / alpha + l2),
            )
            for k in g
        }
        return w, (z, n)

    ours = R.run_authors_preset(
        "ftrl",
        learning_rate=alpha,
        l1_regularization_strength=l1,
        l2_regularization_strength=l2 / 2,  # the paper's lambda2 is twice Keras's
    )
    err = R.displacement_error(ours, R.run_numpy(step, (R.zeros(), R.zeros())))
    R.check("ftrl", err, "NumPy transcription of Algorithm 1", kind="transcription")
