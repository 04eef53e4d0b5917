"""The drop-in layer: every public optax name that optzoo does not implement itself.

``reexport`` copies the public, non-module names of an optax module into an
optzoo namespace and returns them, so each optzoo module that mirrors an optax
module (``optzoo.contrib``, ``optzoo.tree`` ...) is one line plus its own
overrides. Names optzoo implements are bound later and replace these.
"""

from __future__ import annotations

import inspect
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


def evaluate_annotations(namespaces: dict[str, dict[str, Any]]) -> None:
    """Gives the functions optzoo implements under optax's names optax's annotation objects.

    optzoo's modules postpone annotations (``from __future__ import annotations``), so
    ``inspect.signature(optzoo.sgd).parameters["learning_rate"].annotation`` would be the
    string ``"optax.ScalarOrSchedule"`` where optax's is the type itself; code that reads
    annotations (optax's own tests ask whether ``learning_rate`` is annotated
    ``ScalarOrSchedule`` to decide whether a schedule is accepted) would treat optzoo's
    functions differently. Each string is resolved by ``inspect.get_annotations`` in the
    function's module, as Python would have evaluated it at definition time; one that names
    something defined only for type checkers stays a string. ``namespaces`` maps the name of
    an optax submodule (``""`` for optax itself) to the namespace of the optzoo module that
    mirrors it.
    """
    for path, ours in namespaces.items():
        theirs = getattr(optax, path) if path else optax
        for name in public_names(theirs):
            fn = ours.get(name)
            if not isinstance(fn, types.FunctionType) or fn is getattr(theirs, name):
                continue
            while isinstance(fn, types.FunctionType):  # and what it wraps: inspect reads that
                fn.__annotations__ = {
                    key: _evaluated(value, fn.__globals__)
                    for key, value in fn.__annotations__.items()
                }
                fn = getattr(fn, "__wrapped__", None)


def _evaluated(annotation: Any, module_globals: dict[str, Any]) -> Any:
    if not isinstance(annotation, str):
        return annotation

    def holder() -> None: ...

    holder.__annotations__ = {"value": annotation}
    try:  # the standard library's resolution of a postponed annotation, one at a time
        return inspect.get_annotations(holder, globals=module_globals, eval_str=True)["value"]
    except Exception:  # noqa: BLE001 - a name only type checkers see: keep the string
        return annotation
