"""``optzoo bench list``: every name a suite can use, and each listed name validates in a suite."""

from __future__ import annotations

import pytest

from optzoo import registry
from optzoo.bench import config as cfg
from optzoo.bench.config import ConfigError, parse_suite
from optzoo.cli_bench import main as bench_main
from optzoo.data import DATASETS, FILE_DATASETS
from optzoo.models import ACTIVATIONS, INITIALIZERS, MODELS


def _listing(capsys) -> dict[str, str]:
    assert bench_main(["list"]) == 0
    sections: dict[str, str] = {}
    current = ""
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("  "):
            sections[current] += line.strip() + "\n"
        else:
            current, _, rest = line.partition(":")
            sections[current] = rest.strip()
    return sections


def _names(text: str) -> set[str]:
    """First word of each entry: ``a (x), b`` or one entry a line."""
    entries = text.splitlines() if "\n" in text else text.split(", ")
    return {e.split(" ")[0] for e in entries if e}


def test_list_names_everything_from_the_registries(capsys):
    s = _listing(capsys)
    assert _names(s["data sets"]) == set(DATASETS)
    models = {"mlp", "lenet5", "resnet", "rnn", "transformer", "quadratic"}
    assert _names(s["models"]) == set(MODELS) == models
    assert _names(s["activations"]) == set(ACTIVATIONS)
    assert _names(s["initializers"]) == set(INITIALIZERS)
    assert _names(s["protocols"]) == set(cfg.PROTOCOLS)
    assert _names(s["schedules"]) == set(cfg.SCHEDULES)
    assert _names(s["table metrics"]) == set(cfg.TABLE_METRICS)
    assert _names(s["optimizers"]) == set(registry.names())  # value_fn ones included
    assert "not runnable" not in s
    for name in FILE_DATASETS:
        listed = f"{name} (data.path: local files; options: augment {{shift, flip}})"
        assert listed in s["data sets"]
    assert "rnn (cell, hidden, layers, embed, output, truncate, init)" in s["models"]


def _suite(workload: dict, optimizer: str = "adam") -> dict:
    base = {"name": "w", "batch_size": 8, "steps": 2, "eval_every": 1}
    return {
        "name": "listed",
        "workloads": [{**base, **workload}],
        "optimizers": [{"name": optimizer, "hyperparameters": {"learning_rate": 0.01}}],
    }


@pytest.mark.parametrize(
    "workload",
    [
        {"data": {"name": "digits"}, "model": {"name": "lenet5", "options": {"pool": "avg"}}},
        {"data": {"name": "mnist5k"}, "model": {"name": "resnet", "options": {"blocks": 1}}},
        {"data": {"name": "adding"}, "model": {"name": "rnn", "options": {"cell": "gru"}}},
        {"data": {"name": "char_lm", "options": {"seq_len": 16}}, "model": {"name": "transformer"}},
        {"data": {"name": "spirals"}, "model": {"name": "mlp", "activation": "tanh"}},
        {"data": {"name": "cifar10", "path": "/data/cifar10"}, "model": {"name": "resnet"}},
        {"data": {"name": "nqm", "options": {"dim": 10}}, "model": {"name": "quadratic"}},
    ],
    ids=lambda w: f"{w['model']['name']}-{w['data']['name']}",
)
def test_listed_models_and_data_sets_validate_in_a_suite(workload):
    suite = parse_suite(_suite(workload))
    assert suite.workloads[0].model.name == workload["model"]["name"]


def test_listed_names_are_checked(capsys):
    with pytest.raises(ConfigError, match=r"workloads\[0\]\.model\.name.*'lenet5'"):
        parse_suite(_suite({"model": {"name": "lenet"}}))
    with pytest.raises(ConfigError, match=r"workloads\[0\]\.data\.path.*'mnist'"):
        parse_suite(_suite({"data": {"name": "mnist"}}))
    raw = _suite({}, optimizer="bfgs")
    raw["optimizers"][0]["hyperparameters"] = {}
    with pytest.raises(ConfigError, match=r"optimizers\[0\]\.hyperparameters\.learning_rate"):
        parse_suite(raw)  # line-search methods default to no learning rate; the engine needs one
