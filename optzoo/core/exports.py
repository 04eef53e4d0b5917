"""Assembles a subpackage's public names from its modules' explicit ``__all__`` lists.

Each module of ``optzoo.transforms``, ``.optimizers``, ``.wrappers`` and ``.schedules``
declares an explicit ``__all__``; the package ``__init__`` calls :func:`collect`, which
imports the modules in name order and binds their names. Adding a module needs no
edit to the ``__init__``, and two modules exporting different objects under the same
name is an error (a compatibility module at an old path may re-export the same object).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def collect(package: str, namespace: dict[str, Any], base: list[str] | None = None) -> list[str]:
    """Imports every public submodule of ``package`` and binds its ``__all__`` into ``namespace``.

    Args:
      package: the package's ``__name__``.
      namespace: the package's ``globals()``.
      base: names already bound (e.g. re-exported from optax); own modules may override them.

    Returns:
      The sorted union of ``base`` and every module's ``__all__``.
    """
    path = namespace["__path__"]
    owner: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        names = getattr(module, "__all__", None)
        if names is None:
            raise ImportError(f"{module.__name__} must declare an explicit __all__")
        for n in names:
            if n in owner and namespace[n] is not getattr(module, n):
                both = f"{owner[n]} and {info.name}"
                raise ImportError(f"{package}: {n!r} is exported by both {both}")
            owner.setdefault(n, info.name)
            namespace[n] = getattr(module, n)
    return sorted({*(base or []), *owner})
