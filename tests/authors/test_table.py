"""docs/authors.md is in step with the registry's Authors records and the measurements."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import sys

import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo
from optzoo import registry

# The table's generator sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import make_table  # noqa: E402


def test_docs_table_is_in_step():
    assert make_table.OUT.read_text() == make_table.render(), (
        "docs/authors.md is stale: run python tests/authors/make_table.py"
    )


def test_every_measurement_names_a_registered_optimizer_with_authors_record():
    for path in make_table.MEASURED.glob("*.json"):
        record = registry.info(path.stem).authors
        assert record is not None, f"{path.name}: {path.stem} has no Authors record"
        m = json.loads(path.read_text())
        assert m["kind"] in ("package", "transcription")
        if m["kind"] == "transcription":
            assert record.no_package, f"{path.stem}: say why no package could be used"


def test_authors_preset_is_applied_and_explicit_arguments_win(monkeypatch):
    authors = registry.Authors(code="paper, Algorithm 1", preset={"b1": 0.5, "learning_rate": 0.1})
    record = dataclasses.replace(registry.info("adam"), authors=authors)
    monkeypatch.setitem(registry._REGISTRY, "adam", record)
    params = {"w": jnp.array([1.0, -2.0, 3.0])}
    grads = [{"w": jnp.array([0.3, -0.1, 0.2]) * (i + 1)} for i in range(3)]

    def run(tx):
        state, out = tx.init(params), []
        for g in grads:
            u, state = tx.update(g, state, params)
            out.append(u["w"])
        return np.stack(out)

    np.testing.assert_array_equal(
        run(optzoo.create("adam", preset="authors")), run(optax.adam(0.1, b1=0.5))
    )
    np.testing.assert_array_equal(
        run(optzoo.create("adam", preset="authors", b1=0.8)), run(optax.adam(0.1, b1=0.8))
    )


def test_unknown_or_missing_presets_are_named():
    with pytest.raises(ValueError, match="unknown preset 'paper'"):
        optzoo.create("adam", preset="paper")
    without = [n for n in registry.names() if registry.info(n).authors is None]
    if without:
        with pytest.raises(ValueError, match="has no authors' preset"):
            optzoo.create(without[0], preset="authors")


def test_every_authors_preset_builds():
    for name in registry.names():
        if registry.info(name).authors is not None:
            tx = optzoo.create(name, preset="authors")
            assert isinstance(tx, optax.GradientTransformation), name


def test_a_preset_naming_an_unknown_argument_is_rejected_at_registration():
    with pytest.raises(ValueError, match=r"unknown arguments \['betas'\]"):

        @registry.register(
            "_test_bad_preset",
            family="sgd",
            reference=registry.info("sgd").reference,
            state_per_param=0,
            authors=registry.Authors(code="x", preset={"betas": (0.9, 0.99)}),
        )
        def _bad(learning_rate: float = 0.1):
            return optax.sgd(learning_rate)

    assert "_test_bad_preset" not in registry._REGISTRY


def test_every_registered_optimizer_is_checked_against_its_authors():
    missing = [
        n
        for n in registry.names()
        if registry.info(n).authors is None or not (make_table.MEASURED / f"{n}.json").exists()
    ]
    assert not missing, f"no authors' record or measurement (tests/authors/) for {missing}"
