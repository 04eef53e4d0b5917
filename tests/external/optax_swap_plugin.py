"""pytest plugin that runs another project's test files with ``import optax`` giving optzoo.

Loaded by ``run_external_suites.py`` with ``-p optax_swap_plugin`` (this directory is put on
``PYTHONPATH``); it is not a conftest, so optzoo's own suite never loads it. Environment:

- ``OPTZOO_EXTERNAL_AGAINST``: ``optzoo`` (default) binds ``sys.modules["optax"]`` to optzoo
  before any test file, or Flax, is imported; ``optax`` leaves real optax in place (the
  baseline run that finds the tests that fail with optax itself).
- ``OPTZOO_EXTERNAL_SRC``: the unpacked source distribution; ``optax.<...>_test`` modules
  (test files importing each other) load from there.
- ``OPTZOO_EXTERNAL_OPTAX_TESTS_ONLY``: comma-separated test files (relative to the source
  root) of which only the tests whose own source mentions ``optax`` are kept.
- ``OPTZOO_EXTERNAL_RESULTS``: JSON file that receives every test's outcome.

How the swap resolves names. Every real optax module (``optax._src.alias``,
``optax.contrib._muon`` ...) is imported first, so it stays in ``sys.modules`` under its own
name; then ``sys.modules["optax"]`` becomes optzoo. Hence:

- ``import optax`` / ``optax.adam`` / ``from optax import contrib, tree_utils, transforms``
  give optzoo's objects (attribute lookups on the optzoo module);
- ``import optax.tree`` binds the name ``optax`` to optzoo, so ``optax.tree.add`` is optzoo's;
- ``from optax._src import alias``, ``from optax.transforms import _clipping`` and other
  internal imports give real optax's modules, but in every real optax module each function
  that optzoo implements itself is rebound to optzoo's (``_rebind_internals``): optax's
  ``alias_test`` calling ``alias.adam`` tests optzoo's ``adam``, and optax's own code that
  calls ``transform.scale_by_adam`` at run time gets optzoo's. Most of optax's tests import
  its internals, not ``optax``; without the rebinding they would test optax again. Classes
  (state classes, ``GradientTransformation``) are shared by both and stay as they are.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import inspect
import json
import os
import pkgutil
import sys
import types
from typing import Any

AGAINST = os.environ.get("OPTZOO_EXTERNAL_AGAINST", "optzoo")
SRC = os.environ.get("OPTZOO_EXTERNAL_SRC", "")


class _SdistTestFinder(importlib.abc.MetaPathFinder):
    """Finds ``optax.<...>_test`` modules in the unpacked source distribution.

    The installed wheel ships the same files; loading them from the source distribution keeps
    one copy of each test module whichever test imports it first.
    """

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if not SRC or not fullname.startswith("optax.") or not fullname.endswith("_test"):
            return None
        file = os.path.join(SRC, *fullname.split(".")) + ".py"
        if not os.path.isfile(file):
            return None
        return importlib.util.spec_from_file_location(fullname, file)


def _import_all_real_optax() -> types.ModuleType:
    import optax

    failed: list[str] = []
    for info in pkgutil.walk_packages(optax.__path__, "optax.", onerror=failed.append):
        if info.name.endswith("_test"):
            continue
        importlib.import_module(info.name)
    if failed:
        raise ImportError(f"could not import real optax submodules: {failed}")
    return optax


def _swap() -> None:
    if AGAINST not in ("optzoo", "optax"):
        raise ValueError(f"OPTZOO_EXTERNAL_AGAINST must be 'optzoo' or 'optax', not {AGAINST!r}")
    sys.meta_path.insert(0, _SdistTestFinder())
    real = _import_all_real_optax()
    if SRC and os.path.realpath(real.__file__).startswith(os.path.realpath(SRC) + os.sep):
        raise ImportError(f"optax was imported from the source copy {SRC}, not the installed one")
    if AGAINST == "optax":
        return
    stale = sorted(m for m in sys.modules if m == "flax" or m.startswith("flax."))
    if stale:  # flax's own modules would keep real optax under the name ``optax``
        raise RuntimeError(f"flax was imported before optax was swapped for optzoo: {stale[:3]}")
    import optzoo

    sys.modules["optax"] = optzoo
    assert sys.modules["optax._src.alias"].__name__ == "optax._src.alias"
    assert real is not optzoo
    _rebind_internals(real, optzoo)


def _rebind_internals(real: types.ModuleType, optzoo: types.ModuleType) -> None:
    """Every binding of an optax function that optzoo implements itself, in every real optax
    module, now names optzoo's: ``alias.adam`` in optax's own ``alias_test`` is optzoo's adam.
    """
    ours = {}  # id of optax's function -> optzoo's
    for name in dir(real):
        if name.startswith("_"):
            continue
        theirs, mine = getattr(real, name), getattr(optzoo, name, None)
        if (
            mine is not None
            and mine is not theirs
            and callable(theirs)
            and not isinstance(theirs, type)
        ):
            ours[id(theirs)] = mine
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] != "optax" or module is optzoo or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if id(value) in ours:
                setattr(module, attr, ours[id(value)])


_swap()


def _mentions_optax(item: Any) -> bool:
    fn = getattr(item, "function", None)
    if fn is None:
        return True
    try:
        return "optax" in inspect.getsource(inspect.unwrap(fn))
    except (OSError, TypeError):
        return True


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    only = {f for f in os.environ.get("OPTZOO_EXTERNAL_OPTAX_TESTS_ONLY", "").split(",") if f}
    if not only:
        return
    keep: list[Any] = []
    drop: list[Any] = []
    for item in items:
        file = item.nodeid.split("::", 1)[0]
        (keep if file not in only or _mentions_optax(item) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


_outcomes: dict[str, str] = {}
_messages: dict[str, str] = {}  # the first error line of each failed test
_ORDER = {"passed": 0, "skipped": 1, "failed": 2}


def _record(nodeid: str, outcome: str) -> None:
    if _ORDER[outcome] >= _ORDER.get(_outcomes.get(nodeid, "passed"), 0):
        _outcomes[nodeid] = outcome
    out = os.environ.get("OPTZOO_EXTERNAL_RESULTS")
    # A running log (by the main process only), so that an interrupted run tells what it ran.
    if out and not os.environ.get("PYTEST_XDIST_WORKER"):
        with open(out + ".log", "a") as f:
            f.write(json.dumps([nodeid, outcome, _messages.get(nodeid, "")]) + "\n")


def _message(report: Any) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return text.strip().splitlines()[0][:300] if text.strip() else ""


def pytest_runtest_logreport(report: Any) -> None:
    if report.failed:
        _messages.setdefault(report.nodeid, _message(report))
        _record(report.nodeid, "failed")
    elif report.skipped:
        _record(report.nodeid, "skipped")  # skips and expected failures
    elif report.when == "call":
        _record(report.nodeid, "passed")


def pytest_collectreport(report: Any) -> None:
    if report.failed:  # a file that does not import counts as one failed test
        _messages.setdefault(report.nodeid or "<collection>", _message(report))
        _record(report.nodeid or "<collection>", "failed")


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    out = os.environ.get("OPTZOO_EXTERNAL_RESULTS")
    if not out or hasattr(session.config, "workerinput"):  # xdist workers report to the main
        return
    with open(out, "w") as f:
        json.dump(
            {
                "against": AGAINST,
                "exitstatus": int(exitstatus),
                "tests": _outcomes,
                "messages": _messages,
            },
            f,
        )
