"""Learning-rate-free optimizers against their authors' own packages (issue #14).

Each optimizer runs in its authors' configuration (``optzoo.create(name, preset="authors")``)
against the authors' published PyTorch package with its defaults, the same learning rate and
weight decay, on the shared problem of ``_reference.py``, in float64.
"""

from __future__ import annotations

import pathlib
import sys

import pytest

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402

torch = pytest.importorskip("torch")


def _prodigy(params, **kw):
    prodigyopt = pytest.importorskip("prodigyopt")
    return prodigyopt.Prodigy(params, **kw)


def _dadapt_adam(params, **kw):
    dadaptation = pytest.importorskip("dadaptation")
    return dadaptation.DAdaptAdam(params, **kw)


def _dadapt_sgd(params, **kw):
    dadaptation = pytest.importorskip("dadaptation")
    return dadaptation.DAdaptSGD(params, **kw)


def _dadapt_adagrad(params, **kw):
    dadaptation = pytest.importorskip("dadaptation")
    return dadaptation.DAdaptAdaGrad(params, **kw)


def _dadapt_adan(params, **kw):
    dadaptation = pytest.importorskip("dadaptation")
    return dadaptation.DAdaptAdan(params, **kw)


def _dadapt_lion(params, **kw):
    dadaptation = pytest.importorskip("dadaptation")
    return dadaptation.DAdaptLion(params, **kw)


def _dog(params, **kw):
    dog = pytest.importorskip("dog")
    return dog.DoG(params, **kw)


def _cocob(params, **kw):
    parameterfree = pytest.importorskip("parameterfree")
    return parameterfree.COCOB(params, **kw)


def _mechanic(params, **kw):
    mechanic_pytorch = pytest.importorskip("mechanic_pytorch")
    lr = kw.pop("lr")
    return mechanic_pytorch.mechanize(torch.optim.Adam, **kw)(params, lr=lr)


# name: (optzoo hyperparameters, torch constructor, its hyperparameters, reference)
CASES = {
    "prodigy": (
        dict(learning_rate=1.0, weight_decay=0.1),
        _prodigy,
        dict(lr=1.0, weight_decay=0.1),
        "prodigyopt 1.1.2",
    ),
    "dadapt_adam": (
        dict(learning_rate=1.0, weight_decay=0.1),
        _dadapt_adam,
        dict(lr=1.0, weight_decay=0.1),
        "dadaptation 3.2",
    ),
    "dadapt_sgd": (
        dict(learning_rate=1.0, weight_decay=0.1),
        _dadapt_sgd,
        dict(lr=1.0, weight_decay=0.1),
        "dadaptation 3.2",
    ),
    "dadapt_adagrad": (
        dict(learning_rate=1.0, weight_decay=0.1),
        _dadapt_adagrad,
        dict(lr=1.0, weight_decay=0.1),
        "dadaptation 3.2",
    ),
    "dadapt_adan": (
        dict(learning_rate=1.0, weight_decay=0.1),
        _dadapt_adan,
        dict(lr=1.0, weight_decay=0.1),
        "dadaptation 3.2",
    ),
    "dadapt_lion": (
        dict(learning_rate=1.0, weight_decay=0.1),
        _dadapt_lion,
        dict(lr=1.0, weight_decay=0.1),
        "dadaptation 3.2",
    ),
    "dog": (
        dict(learning_rate=1.0, weight_decay=0.1),
        _dog,
        dict(lr=1.0, weight_decay=0.1),
        "dog-optimizer 1.0.3",
    ),
    "cocob": (
        dict(weight_decay=0.1),
        _cocob,
        dict(weight_decay=0.1),
        "parameterfree 0.0.1",
    ),
    "mechanic": (
        dict(learning_rate=1e-2, weight_decay=0.1),
        _mechanic,
        dict(lr=1e-2, s_decay=0.1),
        "mechanic-pytorch 0.0.1",
    ),
}


@pytest.fixture
def torch_float64():
    """Some packages make their scalar state with torch's default dtype: run them in float64."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


@pytest.mark.parametrize("name", sorted(CASES))
def test_authors_package(name, torch_float64):
    ours_kw, make, theirs_kw, reference = CASES[name]
    theirs = R.run_torch(lambda params: make(params, **theirs_kw))
    ours = R.run_optzoo(optzoo.create(name, preset="authors", **ours_kw))
    R.check(name, R.displacement_error(ours, theirs), reference)


# Flags beyond the authors' defaults: (registry name, optzoo extra, the package's extra).
FLAGS = [
    ("prodigy", dict(decouple=False), dict(decouple=False)),
    ("prodigy", dict(use_bias_correction=True), dict(use_bias_correction=True)),
    (
        "prodigy",
        dict(safeguard_warmup=True, betas=(0.8, 0.99)),
        dict(safeguard_warmup=True, betas=(0.8, 0.99)),
    ),
    ("dadapt_adam", dict(decouple=True), dict(decouple=True)),
    ("dadapt_adam", dict(use_bias_correction=True), dict(use_bias_correction=True)),
    ("dadapt_adam", dict(growth_rate=1.02), dict(growth_rate=1.02)),
    ("dadapt_sgd", dict(momentum=0.9), dict(momentum=0.9)),
    ("dadapt_sgd", dict(growth_rate=1.05), dict(growth_rate=1.05)),
    ("dog", dict(init_step=("learning_rate", 1e-3)), dict(init_eta=1e-3)),
    ("cocob", dict(alpha=20.0), dict(alpha=20.0)),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "ours_extra", "theirs_extra"), FLAGS)
def test_authors_package_flags(name, ours_extra, theirs_extra, torch_float64):
    ours_kw, make, theirs_kw, _ = CASES[name]
    theirs = R.run_torch(lambda params: make(params, **theirs_kw, **theirs_extra))
    ours = R.run_optzoo(optzoo.create(name, preset="authors", **ours_kw, **ours_extra))
    err = R.displacement_error(ours, theirs)
    assert err <= R.TOL["float64"], (name, ours_extra, err)
