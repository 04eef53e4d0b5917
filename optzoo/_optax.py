"""The drop-in layer: every public optax name that optzoo does not implement itself.

``reexport`` copies the public, non-module names of an optax module into an
optzoo namespace and returns them, so each optzoo module that mirrors an optax
module (``optzoo.contrib``, ``optzoo.tree`` ...) is one line plus its own
overrides. Names optzoo implements are bound later and replace these.
"""

from __future__ import annotations

import types
from typing import Any

import optax

# optax submodules that optzoo mirrors as submodules of its own.
SUBMODULES = (
    "contrib",
    "schedules",
    "transforms",
    "tree",
    "tree_utils",
    "losses",
    "projections",
    "second_order",
)


def public_names(module: types.ModuleType) -> list[str]:
    """Public attributes of ``module`` that are not themselves modules."""
    return sorted(
        n
        for n in dir(module)
        if not n.startswith("_") and not isinstance(getattr(module, n), types.ModuleType)
    )


def reexport(module: types.ModuleType, namespace: dict[str, Any]) -> list[str]:
    """Binds every public name of ``module`` into ``namespace``; returns the names."""
    names = public_names(module)
    for n in names:
        namespace[n] = getattr(module, n)
    return names


__all__ = reexport(optax, globals())

# optax's other public submodules are reachable under the same attribute names.
assignment = optax.assignment
experimental = optax.experimental
microbatching = optax.microbatching
perturbations = optax.perturbations
