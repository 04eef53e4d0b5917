"""collect() builds a package's names from its modules' __all__ lists."""

from __future__ import annotations

import importlib
import sys

import pytest


def _make_package(tmp_path, name, modules):
    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from optzoo.core.exports import collect\n__all__ = collect(__name__, globals())\n"
    )
    for mod, body in modules.items():
        (pkg / f"{mod}.py").write_text(body)
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


def test_collects_every_module(tmp_path):
    pkg = _make_package(
        tmp_path,
        "pkg_ok",
        {
            "a": "__all__ = ['f']\ndef f(): return 1\n",
            "b": "__all__ = ['g']\ndef g(): return 2\ndef hidden(): pass\n",
            "_private": "X = 1\n",
        },
    )
    assert pkg.__all__ == ["f", "g"]
    assert pkg.f() == 1 and pkg.g() == 2


def test_duplicate_export_is_an_error(tmp_path):
    with pytest.raises(ImportError, match="'f' is exported by both a and b"):
        _make_package(
            tmp_path, "pkg_dup", {"a": "__all__ = ['f']\nf = 1\n", "b": "__all__ = ['f']\nf = 2\n"}
        )


def test_module_without_all_is_an_error(tmp_path):
    with pytest.raises(ImportError, match="must declare an explicit __all__"):
        _make_package(tmp_path, "pkg_noall", {"a": "f = 1\n"})
