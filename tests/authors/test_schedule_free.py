"""Schedule-free optimizers against the authors' package ``schedulefree`` (issue #14).

The package's parameters during training are the gradient points :math:`y`, as optzoo's
``params``; both run in float64 on the shared problem of ``_reference.py`` with weight decay.
"""

from __future__ import annotations

import pathlib
import sys

import pytest

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402

REFERENCE = "schedulefree 1.4.1"

# name: (package class, optzoo hyperparameters, the package's hyperparameters)
CASES = {
    "schedule_free_sgd": (
        "SGDScheduleFree",
        dict(learning_rate=0.1, weight_decay=0.1),
        dict(lr=0.1, weight_decay=0.1),
    ),
    "schedule_free_adamw": (
        "AdamWScheduleFree",
        dict(learning_rate=1e-2, weight_decay=0.1),
        dict(lr=1e-2, weight_decay=0.1),
    ),
    "schedule_free_radam": (
        "RAdamScheduleFree",
        dict(learning_rate=1e-2, weight_decay=0.1),
        dict(lr=1e-2, weight_decay=0.1),
    ),
}


def _run_package(cls_name, **kw):
    schedulefree = pytest.importorskip("schedulefree")

    def make(params):
        opt = getattr(schedulefree, cls_name)(params, **kw)
        opt.train()  # the package refuses to step in eval mode
        return opt

    return R.run_torch(make)


@pytest.mark.parametrize("name", sorted(CASES))
def test_authors_package(name):
    cls_name, ours_kw, theirs_kw = CASES[name]
    theirs = _run_package(cls_name, **theirs_kw)
    ours = R.run_optzoo(optzoo.create(name, preset="authors", **ours_kw))
    R.check(name, R.displacement_error(ours, theirs), REFERENCE)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["schedule_free_sgd", "schedule_free_adamw"])
@pytest.mark.parametrize("extra", [dict(warmup_steps=10), dict(r=1.0)], ids=["warmup", "r"])
def test_authors_package_warmup_and_polynomial_weights(name, extra):
    cls_name, ours_kw, theirs_kw = CASES[name]
    theirs = _run_package(cls_name, **theirs_kw, **extra)
    ours = R.run_optzoo(optzoo.create(name, preset="authors", **ours_kw, **extra))
    err = R.displacement_error(ours, theirs)
    assert err <= R.TOL["float64"], (name, extra, err)
