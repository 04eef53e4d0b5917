"""PyTorch parameter groups (``torch.optim.X([{"params": ...}, ...])``) as ``optax.partition``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import optax

import optzoo

__all__ = ["param_groups"]


def param_groups(
    optimizer: Callable[..., optax.GradientTransformation],
    groups: Sequence[dict[str, Any]],
    labels: Any,
    **defaults: Any,
) -> optax.GradientTransformation:
    """Builds a PyTorch optimizer with per-group hyperparameters.

    ``torch.optim.SGD([{"params": base}, {"params": head, "lr": 1e-3}], lr=1e-2,
    momentum=0.9)`` becomes::

        param_groups(ot.SGD, [{"params": "base"}, {"params": "head", "lr": 1e-3}],
                     labels=label_tree, lr=1e-2, momentum=0.9)

    Each group's ``"params"`` is a label; ``labels`` is a pytree of labels matching
    the parameters (or a function ``params -> labels``). Every group gets its own
    copy of the optimizer, built from ``defaults`` updated with the group's keys, so
    its state and step counter are per group, as in PyTorch.

    Args:
      optimizer: an :mod:`optzoo.compat.torch` factory, e.g. ``ot.AdamW``.
      groups: one dict per group, ``{"params": label, **overrides}``.
      labels: pytree of labels, or callable ``params -> labels``.
      **defaults: the optimizer's keywords shared by all groups.

    Returns:
      ``optax.partition`` of the per-group optimizers.
    """
    transforms = {}
    for i, group in enumerate(groups):
        group = dict(group)
        if "params" not in group:
            raise ValueError(f"param group {i} has no 'params' label")
        label = group.pop("params")
        if label in transforms:
            raise ValueError(f"some parameters appear in more than one parameter group: {label}")
        transforms[label] = optimizer(**{**defaults, **group})
    return optzoo.partition(transforms, labels)
