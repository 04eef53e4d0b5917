"""Sophia and AdaHessian against their authors' code (issue #14).

Both estimate the Hessian diagonal. The shared problem (tests/authors/_reference.py) is a
separable quadratic, so its Hessian is ``diag(CURVATURE)`` at every point and a Hutchinson
probe ``z * (H z)`` returns it exactly for any Rademacher ``z``: the two sides need no
common random numbers, and the comparison tests the algorithm (moments, schedule, clipping,
bias correction, weight decay), not the probes.
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
