"""The catalogue contract: names(), info(), create() and the README table."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import optax
import pytest

import optzoo
from optzoo import cli, registry

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_names_are_sorted_unique_and_nonempty():
    names = registry.names()
    assert names == sorted(set(names))
    assert {"sgd", "momentum", "nesterov", "gd"} <= set(names)


def test_also_in_lists_exactly_the_optax_namespaces_with_the_same_name():
    import optax.contrib

    namespaces = {"optax": optax, "optax.contrib": optax.contrib}
    for r in registry.catalogue():
        assert isinstance(r.also_in, tuple), r.name
        assert set(r.also_in) <= set(namespaces), (r.name, r.also_in)
        shipped = {ns for ns, module in namespaces.items() if hasattr(module, r.name)}
        assert set(r.also_in) == shipped, (r.name, r.also_in, shipped)


@pytest.mark.parametrize("name", registry.names())
def test_every_record_is_complete(name):
    r = registry.info(name)
    assert r.name == name and r.family
    ref = r.reference
    assert ref.authors and ref.title and 1800 < ref.year < 2100
    assert re.match(r"https?://", ref.url), ref.url
    assert str(ref.year) in str(ref) and ref.url in str(ref)
    assert r.state_per_param >= 0
    assert isinstance(r.hyperparameters, dict) or hasattr(r.hyperparameters, "items")
    assert not r.required, f"{name}: create() needs defaults for {r.required}"
    # The docstring cites the same paper as the registry.
    doc = r.factory.__doc__ or ""
    assert str(ref.year) in doc, f"{name}: docstring lacks the reference year"
    tx = optzoo.create(name)
    assert isinstance(tx, optax.GradientTransformation)


def test_create_passes_hyperparameters():
    tx = optzoo.create("sgd", learning_rate=0.5, momentum=0.9)
    state = tx.init({"w": optax.tree.zeros_like({"w": 1.0})["w"]})
    assert optax.tree.get(state, "trace") is not None


def test_unknown_name_suggests_closest():
    with pytest.raises(ValueError, match=r"unknown optimizer 'sdg'.*'sgd'"):
        optzoo.create("sdg")
    with pytest.raises(ValueError, match="unknown optimizer"):
        registry.info("no_such_optimizer_at_all")


def test_unknown_hyperparameter_suggests_closest():
    with pytest.raises(ValueError, match=r"momentm.*did you mean 'momentum'"):
        optzoo.create("sgd", momentm=0.9)


def test_invalid_hyperparameter_names_the_parameter():
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\]"):
        optzoo.create("momentum", momentum=1.5)
    with pytest.raises(ValueError, match="learning_rate"):
        optzoo.create("sgd", learning_rate=float("nan"))
    optzoo.create("sgd", learning_rate=-0.1)  # ascent stays legal


def test_readme_catalogue_is_generated_from_the_registry():
    text = README.read_text()
    start = text.index(cli.CATALOGUE_START) + len(cli.CATALOGUE_START)
    end = text.index(cli.CATALOGUE_END)
    assert text[start:end].strip() == cli.render_markdown().strip(), (
        "README catalogue is stale: run `python -m optzoo.cli list --markdown` and paste it"
    )


def test_cli_list_prints_every_optimizer():
    out = subprocess.run(
        [sys.executable, "-m", "optzoo.cli", "list"], capture_output=True, text=True, check=True
    ).stdout
    for name in registry.names():
        assert re.search(rf"^{re.escape(name)}\s", out, re.M), name
    md = subprocess.run(
        [sys.executable, "-m", "optzoo.cli", "list", "--markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert md.strip() == cli.render_markdown().strip()


def test_family_is_the_module_that_defines_the_optimizer():
    families: dict[str, set[str]] = {}
    for name in registry.names():
        record = registry.info(name)
        families.setdefault(record.factory.__module__, set()).add(record.family)
    for module, found in families.items():
        assert len(found) == 1, f"{module} registers several families: {sorted(found)}"
    own = {m: f.pop() for m, f in families.items() if m.startswith("optzoo.optimizers.")}
    assert len(set(own.values())) == len(own), own
    for module, family in own.items():
        assert family == {"gradient_descent": "sgd"}.get(m := module.rsplit(".", 1)[-1], m)


def _list(*args):
    return subprocess.run(
        [sys.executable, "-m", "optzoo.cli", "list", *args], capture_output=True, text=True
    )


@pytest.mark.slow
def test_cli_list_filters_by_family_year_and_words():
    out = _list("--family", "matrix,sign", "--since", "2024").stdout
    shown = [n for n in re.findall(r"^([a-z0-9_]+)\s", out, re.M) if n in registry.names()]
    expected = [
        n
        for n in registry.names()
        if registry.info(n).family in ("matrix", "sign") and registry.info(n).year >= 2024
    ]
    assert sorted(shown) == sorted(expected) and "muon" in shown
    found = _list("schedule", "free").stdout
    assert "schedule_free_adamw" in found and not re.search(r"^adam\s", found, re.M)
    assert "prodigy" in _list("Mishchenko").stdout  # an author's name
    bad = _list("--family", "nosuch")
    assert bad.returncode == 2 and "unknown family 'nosuch'" in bad.stderr
    assert "matrix" in bad.stderr
    assert _list("zzzz-no-such-word").returncode == 1
    families = _list("--families").stdout
    assert f"{len(registry.names())} optimizers" in families
