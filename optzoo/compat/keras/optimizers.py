"""Keras 3 ``keras.optimizers`` presets, built from :data:`optzoo.compat.keras.specs.SPECS`.

Each factory takes ``keras.optimizers.X``'s arguments and defaults and returns an
``optax.GradientTransformation`` whose updates are the weight change of one
``optimizer.apply(grads)``. :func:`build` is the one generic builder: the spec's
rule gives Keras's ``update_step``, :func:`~optzoo.compat.keras.base.keras_transform`
wraps it in Keras's ``apply`` loop with the common options.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import optax

from optzoo.compat._spec import Spec, factory
from optzoo.compat.keras.base import keras_transform
from optzoo.compat.keras.specs import COMMON, COMMON_DOC, SPECS

__all__ = [
    "SGD",
    "RMSprop",
    "Adam",
    "AdamW",
    "Adadelta",
    "Adagrad",
    "Adamax",
    "Nadam",
    "Ftrl",
    "Lion",
    "Lamb",
    "Adafactor",
    "Muon",
]


def build(spec: Spec, kw: dict[str, Any]) -> optax.GradientTransformation:
    """The transformation of ``spec`` for the bound arguments ``kw``."""
    rule = spec.rule(SimpleNamespace(**kw))
    common = {k: kw[k] for k in COMMON}
    if rule.weight_decay_fn is not None:  # per-tensor decay (Muon) replaces the global one
        common["weight_decay"] = None
    return keras_transform(
        rule.slots,
        rule.kernel,
        kw["learning_rate"],
        scalars=rule.scalars,
        scalar_step=rule.scalar_step,
        weight_decay_fn=rule.weight_decay_fn,
        **common,
    )


_BY_NAME = {spec.name: spec for spec in SPECS}


def _preset(name: str) -> Callable[..., optax.GradientTransformation]:
    preset = factory(_BY_NAME[name], build, __name__)
    preset.__doc__ = (preset.__doc__ or "") + COMMON_DOC
    return preset


SGD = _preset("SGD")
RMSprop = _preset("RMSprop")
Adam = _preset("Adam")
AdamW = _preset("AdamW")
Adadelta = _preset("Adadelta")
Adagrad = _preset("Adagrad")
Adamax = _preset("Adamax")
Nadam = _preset("Nadam")
Ftrl = _preset("Ftrl")
Lion = _preset("Lion")
Lamb = _preset("Lamb")
Adafactor = _preset("Adafactor")
Muon = _preset("Muon")
