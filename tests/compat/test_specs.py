"""The presets are built from declarative specs: the public API they make is unchanged,
their defaults are the frameworks' own, and bad arguments are rejected by name.

``public_signatures.json`` was recorded with ``inspect.signature`` from the hand-written
presets before they became specs: every public name of ``optzoo.compat.torch``,
``optzoo.compat.torch.lr_scheduler``, ``optzoo.compat.keras`` and
``optzoo.compat.keras.schedules``, and for each callable its parameters (name, kind,
``repr`` of the default) in positional order.
"""

import inspect
import json
import os
import pathlib
import re

import pytest

from optzoo.compat import keras as ok
from optzoo.compat import torch as ot
from optzoo.compat.keras import schedules as oks
from optzoo.compat.keras import specs as keras_specs
from optzoo.compat.torch import lr_scheduler as ols
from optzoo.compat.torch import specs as torch_specs

RECORD = json.loads((pathlib.Path(__file__).parent / "public_signatures.json").read_text())
MODULES = {"torch": ot, "torch.lr_scheduler": ols, "keras": ok, "keras.schedules": oks}


def _params(obj):
    return [
        [p.name, p.kind.name, None if p.default is inspect.Parameter.empty else repr(p.default)]
        for p in inspect.signature(obj).parameters.values()
    ]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_public_names_unchanged(module):
    assert sorted(MODULES[module].__all__) == RECORD["public_names"][module]


@pytest.mark.parametrize("qualname", sorted(RECORD["signatures"]))
def test_public_signatures_unchanged(qualname):
    module, name = qualname.rsplit(".", 1)
    assert _params(getattr(MODULES[module], name)) == RECORD["signatures"][qualname]


def test_every_preset_is_a_spec():
    torch_names = {s.name for s in torch_specs.SPECS}
    keras_names = {s.name for s in keras_specs.SPECS}
    assert torch_names == set(ot.optim.__all__)
    assert keras_names == set(ok.optimizers.__all__)
    for spec in torch_specs.SPECS:
        assert getattr(ot, spec.name).spec is spec
    for spec in keras_specs.SPECS:
        assert getattr(ok, spec.name).spec is spec


def _framework_params(cls, skip):
    return {
        k: p
        for k, p in inspect.signature(cls.__init__).parameters.items()
        if k not in skip and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    }


@pytest.mark.parametrize("spec", torch_specs.SPECS, ids=lambda s: s.name)
def test_torch_spec_defaults_are_torchs(spec):
    torch = pytest.importorskip("torch")
    ref = _framework_params(getattr(torch.optim, spec.name), ("self", "params"))
    ours = spec.signature.parameters
    assert [k for k in ours if k in ref] == list(ref), "positional order differs from torch"
    for k, p in ref.items():
        assert spec.defaults[k] == p.default, f"{spec.name}.{k}"
        assert ours[k].kind == p.kind, f"{spec.name}.{k} keyword-only or not, unlike torch"


@pytest.mark.parametrize("spec", keras_specs.SPECS, ids=lambda s: s.name)
def test_keras_spec_defaults_are_keras(spec):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    ref = _framework_params(getattr(keras.optimizers, spec.name), ("self",))
    assert [k for k in spec.signature.parameters if k in ref] == list(ref)
    for k, p in ref.items():
        assert spec.defaults[k] == p.default, f"{spec.name}.{k}"


@pytest.mark.parametrize(
    "preset",
    [ot.Adam, ot.SGD, ok.Adam, ok.Muon],
    ids=["torch.Adam", "torch.SGD", "keras.Adam", "keras.Muon"],
)
def test_unknown_argument_is_named(preset):
    with pytest.raises(TypeError, match="unexpected keyword argument 'betas1'"):
        preset(betas1=0.9)
    with pytest.raises(TypeError, match="too many positional arguments"):
        preset(*range(40))


# arguments torch rejects: ours must reject them too, naming the argument
TORCH_BAD = [
    ("SGD", dict(lr=-0.1), "lr"),
    ("SGD", dict(momentum=-0.5), "momentum"),
    ("Adam", dict(betas=(1.0, 0.999)), "betas[0]"),
    ("AdamW", dict(weight_decay=-1.0), "weight_decay"),
    ("Adamax", dict(betas=(0.9, 1.0)), "betas[1]"),
    ("Adagrad", dict(lr_decay=-0.1), "lr_decay"),
    ("RMSprop", dict(alpha=-0.1), "alpha"),
    ("Adadelta", dict(rho=1.5), "rho"),
    ("NAdam", dict(momentum_decay=-1.0), "momentum_decay"),
    ("RAdam", dict(eps=-1e-8), "eps"),
    ("Adafactor", dict(d=0.5), "d"),
    ("Adafactor", dict(beta2_decay=0.5), "beta2_decay"),
    ("Adafactor", dict(eps=(-1.0, 1e-3)), "eps[0]"),
    ("Muon", dict(momentum=-0.1), "momentum"),
]
# boundary values torch accepts: ours must accept them
TORCH_GOOD = [
    ("SGD", dict(lr=0.0, momentum=0.0)),
    ("Adam", dict(betas=(0.0, 0.0), eps=0.0)),
    ("Adadelta", dict(rho=1.0)),
    ("Adafactor", dict(d=1.0, beta2_decay=0.0, eps=(None, 0.0))),
    ("RMSprop", dict(alpha=0.0)),
]


def _torch_accepts(torch, name, kw):
    try:
        getattr(torch.optim, name)([torch.zeros(2, 2, requires_grad=True)], **kw)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("name,kw,arg", TORCH_BAD, ids=lambda x: str(x))
def test_out_of_range_arguments_rejected_as_torch_does(name, kw, arg):
    torch = pytest.importorskip("torch")
    assert not _torch_accepts(torch, name, kw)
    with pytest.raises(ValueError, match=f"invalid {re.escape(arg)} value"):
        getattr(ot, name)(**kw)


@pytest.mark.parametrize("name,kw", TORCH_GOOD, ids=lambda x: str(x))
def test_boundary_arguments_accepted_as_torch_does(name, kw):
    torch = pytest.importorskip("torch")
    assert _torch_accepts(torch, name, kw)
    getattr(ot, name)(**kw)


def test_schedules_pass_range_checks():
    # a schedule is not a number: PyTorch has no such check, nor do we
    ot.Adam(lr=ols.StepLR(0.1, 3))


def test_keras_rejections_name_the_argument():
    with pytest.raises(ValueError, match="weight_decay"):
        ok.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="momentum"):
        ok.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="beta_1"):
        ok.Lion(beta_1=0.0)
