"""Adam-family optimizers against their authors' code (issue #14), part A.

Where the authors published a package (``adabelief-pytorch``, ``adabound``, ``adamp``,
``madgrad``, ``came-pytorch``, ``torch-adopt``) the test runs it with its defaults and the
same learning rate and weight decay; where they did not (Adan, AdEMAMix, simplified AdEMAMix,
LaProp), a short NumPy transcription of the paper's algorithm box is the reference (cited
per test).
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

import optzoo

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402

WD = 0.1

# --------------------------------------------------------------------------- packages


def _adabelief(ts, lr, wd):
    from adabelief_pytorch import AdaBelief

    return AdaBelief(ts, lr=lr, weight_decay=wd, print_change_log=False)


def _adabound(ts, lr, wd):
    from adabound import AdaBound

    return AdaBound(ts, lr=lr, weight_decay=wd)


def _adamp(ts, lr, wd):
    from adamp import AdamP

    return AdamP(ts, lr=lr, weight_decay=wd)


def _madgrad(ts, lr, wd):
    from madgrad import MADGRAD

    return MADGRAD(ts, lr=lr, weight_decay=wd)


def _came(ts, lr, wd):
    from came_pytorch import CAME

    return CAME(ts, lr=lr, weight_decay=wd)


def _adopt(ts, lr, wd):
    from adopt import ADOPT

    return ADOPT(ts, lr=lr, weight_decay=wd)


# name: (import name, distribution and version, torch factory, learning rate)
PACKAGES = {
    "adabelief": ("adabelief_pytorch", "adabelief-pytorch 0.2.1", _adabelief, 0.02),
    "adabound": ("adabound", "adabound 0.0.5", _adabound, 0.02),
    "adamp": ("adamp", "adamp 0.3.0", _adamp, 0.02),
    "madgrad": ("madgrad", "madgrad 1.3", _madgrad, 0.01),
    "came": ("came_pytorch", "came-pytorch 0.1.3", _came, 0.02),
    "adopt": ("adopt", "torch-adopt 0.1.0", _adopt, 0.02),
}


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_matches_the_authors_package(name):
    module, reference, make, lr = PACKAGES[name]
    pytest.importorskip(module)
    theirs = R.run_torch(lambda ts: make(ts, lr, WD))
    ours = R.run_optzoo(optzoo.create(name, preset="authors", learning_rate=lr, weight_decay=WD))
    R.check(name, R.displacement_error(ours, theirs), reference)


@pytest.mark.slow
def test_adopt_decoupled_decay_matches_torch_adopt():
    adopt = pytest.importorskip("adopt")
    lr = 0.02
    theirs = R.run_torch(lambda ts: adopt.ADOPT(ts, lr=lr, weight_decay=WD, decouple=True))
    ours = R.run_optzoo(optzoo.create("adopt", learning_rate=lr, weight_decay=WD, decouple=True))
    assert R.displacement_error(ours, theirs) <= R.TOL["float64"]


@pytest.mark.slow
@pytest.mark.parametrize("degenerated_to_sgd", [True, False])
def test_adabelief_rectification_without_decay_matches_the_package(degenerated_to_sgd):
    AdaBelief = pytest.importorskip("adabelief_pytorch").AdaBelief
    lr = 0.02
    theirs = R.run_torch(
        lambda ts: AdaBelief(
            ts, lr=lr, degenerated_to_sgd=degenerated_to_sgd, print_change_log=False
        )
    )
    ours = R.run_optzoo(optzoo.adabelief(lr, rectify=True, degenerated_to_sgd=degenerated_to_sgd))
    assert R.displacement_error(ours, theirs) <= R.TOL["float64"]
