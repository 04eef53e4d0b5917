"""The ``optzoo`` console command, started without importing JAX.

``import optzoo`` loads JAX, optax and Flax, which takes seconds. This launcher
loads ``optzoo.cli`` (whose parsers use only the standard library) under a bare
stand-in of the ``optzoo`` package, then drops the stand-in: ``optzoo --help``
and ``optzoo --version`` answer without JAX, and a command that needs the
library imports the real package on first use. ``python -m optzoo.cli`` runs
the same command through the normal (slower) import.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Sequence

__all__ = ["main"]


def _load_cli() -> types.ModuleType:
    if "optzoo" in sys.modules:
        return importlib.import_module("optzoo.cli")
    spec = importlib.util.find_spec("optzoo")
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError("optzoo is not installed")
    stand_in = types.ModuleType("optzoo")
    stand_in.__path__ = list(spec.submodule_search_locations)
    sys.modules["optzoo"] = stand_in
    try:
        return importlib.import_module("optzoo.cli")
    finally:
        del sys.modules["optzoo"]  # the next `import optzoo` runs the real package


def main(argv: Sequence[str] | None = None) -> int:
    return int(_load_cli().main(argv))
