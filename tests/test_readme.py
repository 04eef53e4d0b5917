"""The README's Python examples run: every ```python block, in order, in one namespace.

A block preceded by ``<!-- readme-test: skip ... -->`` is left out (the comment says why).
"""

from __future__ import annotations

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"(<!-- readme-test: skip[^>]*-->\s*)?```python\n(.*?)```", re.S)


def blocks() -> list[tuple[int, bool, str]]:
    """(line number, skipped, code) of every python block."""
    text = README.read_text(encoding="utf-8")
    return [
        (text[: m.start(2)].count("\n") + 1, bool(m.group(1)), m.group(2))
        for m in _BLOCK.finditer(text)
    ]


def test_the_readme_has_python_examples():
    found = blocks()
    assert len([b for b in found if not b[1]]) >= 5


def test_readme_python_blocks_run(capsys):
    namespace: dict = {"__name__": "readme"}
    for line, skipped, code in blocks():
        if skipped:
            continue
        try:
            exec(compile(code, f"README.md:{line}", "exec"), namespace)  # noqa: S102
        except Exception as e:  # noqa: BLE001
            pytest.fail(f"README.md block at line {line} raised {type(e).__name__}: {e}")
