"""PyTorch ``torch.optim`` presets, built from :data:`optzoo.compat.torch.specs.SPECS`.

Every factory takes ``torch.optim.X``'s keywords and defaults and returns an
``optax.GradientTransformation`` whose updates are the parameter change of one
``optimizer.step()`` (learning rate and sign included). ``lr`` may also be a
schedule of the 0-based step count (see :mod:`optzoo.compat.torch.lr_scheduler`).

:func:`build` is the one generic builder: it asks the spec's rule for the update
math and adds what the spec declares around it: ``maximize``, the weight-decay
coupling and the learning rate.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import optax

import optzoo
from optzoo.compat._per_tensor import Kernel, Rule, per_tensor
from optzoo.compat._spec import Spec, factory
from optzoo.compat.torch.specs import SPECS

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "Adagrad",
    "RMSprop",
    "Adadelta",
    "Adamax",
    "NAdam",
    "RAdam",
    "Rprop",
    "ASGD",
    "Adafactor",
    "Muon",
]


def _decayed(kernel: Kernel, coupling: str, wd: float) -> Kernel:
    """``kernel`` with coupled (``g += wd p``) or decoupled (``p -= lr wd p``) weight decay."""
    if not wd or coupling not in ("coupled", "decoupled"):
        return kernel

    def with_decay(g, p, s, t, lr, sc):
        if coupling == "coupled":
            return kernel(g + wd * p, p, s, t, lr, sc)
        d, s = kernel(g, p, s, t, lr, sc)
        return d - lr * wd * p, s

    return with_decay


def build(spec: Spec, kw: dict[str, Any]) -> optax.GradientTransformation:
    """The transformation of ``spec`` for the bound arguments ``kw``."""
    coupling = spec.decay
    if coupling == "switch":
        coupling = "decoupled" if kw["decoupled_weight_decay"] else "coupled"
    wd = kw.get("weight_decay", 0.0)
    maximize = kw.get("maximize", False)
    rule = spec.rule(SimpleNamespace(**kw))
    if isinstance(rule, Rule):
        kernel = _decayed(rule.kernel, coupling, wd)
        return per_tensor(
            rule.slots,
            kernel,
            kw["lr"],
            maximize=maximize,
            scalars=rule.scalars,
            scalar_step=rule.scalar_step,
        )
    # a chain giving the direction: PyTorch negates, adds L2, then scales by lr
    return optax.chain(
        *([optzoo.scale(-1.0)] if maximize else []),
        *([optzoo.add_decayed_weights(wd)] if wd and coupling == "coupled" else []),
        *rule,
        optzoo.scale_by_learning_rate(kw["lr"]),
    )


_BY_NAME = {spec.name: spec for spec in SPECS}


def _preset(name: str) -> Callable[..., optax.GradientTransformation]:
    return factory(_BY_NAME[name], build, __name__)


SGD = _preset("SGD")
Adam = _preset("Adam")
AdamW = _preset("AdamW")
Adagrad = _preset("Adagrad")
RMSprop = _preset("RMSprop")
Adadelta = _preset("Adadelta")
Adamax = _preset("Adamax")
NAdam = _preset("NAdam")
RAdam = _preset("RAdam")
Rprop = _preset("Rprop")
ASGD = _preset("ASGD")
Adafactor = _preset("Adafactor")
Muon = _preset("Muon")
