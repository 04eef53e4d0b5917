"""The generated semantics table is up to date, and the porting example agrees with torch."""

import importlib.util
import pathlib

import pytest

from optzoo.compat import semantics_table

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_semantics_table_is_generated():
    committed = (ROOT / "docs" / "semantics.md").read_text()
    assert committed == semantics_table.generate(), (
        "docs/semantics.md is stale: run `python -m optzoo.compat.semantics_table`"
    )


def test_semantics_table_covers_the_classic_optimizers():
    text = semantics_table.generate()
    for name in (
        "optzoo.compat.torch.Adam",
        "optzoo.compat.keras.Adam",
        "optax.adamw",
        "optzoo.compat.torch.RMSprop",
        "optzoo.compat.keras.Nadam",
    ):
        assert name in text
    # defaults come from the preset signatures: Keras's Adam epsilon is 1e-07
    assert "epsilon=1e-07" in text


def test_porting_example_curves_agree():
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location(
        "porting_torch", ROOT / "examples" / "porting_torch.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ref, ours = mod.main(steps=30)
    assert ref[-1] < 0.5 * ref[0]  # it trains
    assert max(abs(ours - ref) / abs(ref)) < 1e-4
