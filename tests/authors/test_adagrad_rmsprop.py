"""KATE against its authors' code (issue #14).

The authors published their experiment code (nazya/KATE, ``codes/optimizers.py``), not a
package; the test transcribes their ``KATE.step`` in NumPy: ``b += g^2``,
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
