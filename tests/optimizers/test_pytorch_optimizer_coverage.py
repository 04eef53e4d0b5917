"""docs/pytorch_optimizer.md accounts for every optimizer of pytorch-optimizer 4.1.0.

Each name is in optzoo's registry (under the names the table gives), left out with the
reason written in the table, or marked ``not yet``; the totals line adds up.
"""

from __future__ import annotations

import pathlib
import re

import pytest

from optzoo import registry

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "pytorch_optimizer.md"
ROW = re.compile(r"^\| `([a-z0-9_]+)` \| (.+?) \| (.*?) \|$", re.M)


def _rows() -> dict[str, tuple[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    return {m.group(1): (m.group(2).strip(), m.group(3).strip()) for m in ROW.finditer(text)}


def test_every_pytorch_optimizer_name_is_in_the_table():
    po = pytest.importorskip("pytorch_optimizer")
    names = {n.lower() for n in po.get_supported_optimizers()}
    rows = _rows()
    assert sorted(names - set(rows)) == [], "docs/pytorch_optimizer.md lacks these names"
    assert sorted(set(rows) - names) == [], "docs/pytorch_optimizer.md lists unknown names"


def test_each_row_names_registered_optimizers_or_a_reason_and_the_totals_add_up():
    counts = {"in": 0, "left": 0, "not": 0}
    for name, (status, note) in _rows().items():
        if status == "left out":
            assert len(note) > 20, f"{name}: say why it is left out"
            counts["left"] += 1
        elif status == "not yet":
            counts["not"] += 1
        else:
            ours = re.findall(r"`([a-z0-9_]+)`", status)
            assert ours, f"{name}: no optzoo name in {status!r}"
            for one in ours:
                assert one in registry.names(), f"{name}: {one} is not registered"
            counts["in"] += 1
    total = sum(counts.values())
    line = (
        f"{counts['in']} in optzoo, {counts['left']} left out, {counts['not']} not yet, of {total}."
    )
    assert line in DOC.read_text(encoding="utf-8")


def test_a_registered_optimizer_with_a_pytorch_optimizer_name_is_not_marked_not_yet():
    for name, (status, note) in _rows().items():
        if name in registry.names() and "different algorithm" not in note:
            assert status != "not yet", f"{name} is registered: give its name in the table"
