"""``optzoo train`` and ``optzoo bench run`` answer bad input with status 2, no traceback.

Each message names the config file, the key and, where there is one, the closest valid
name. The table runs in-process through ``optzoo.cli.main``; ``python -m optzoo.cli``
runs in a subprocess for one case per command (all cases in the slow suite).
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from optzoo import cli

ROOT = pathlib.Path(__file__).resolve().parents[1]

TRAIN = (
    "model: {name: mlp, width: 4, depth: 1}\ndata: {name: spirals}\n"
    "optimizer: {name: adam, learning_rate: 0.01}\ntrain: {steps: 1, batch_size: 8}\n"
)
BENCH = """name: t
seeds: [0]
missing_optimizers: error
tuning: {protocol: defaults}
workloads:
  - name: w
    data: {name: digits}
    model: {name: mlp, width: 4, depth: 1}
    batch_size: 8
    steps: 2
    eval_every: 1
    target: {metric: eval_accuracy, value: 0.5}
optimizers:
  - {name: sgd, hyperparameters: {learning_rate: 0.1}}
"""

# (case, text edit (old, new), words the message must contain)
TRAIN_CASES = [
    ("malformed_yaml", ("model: {name", "model: [{name"), ["not valid YAML", "line"]),
    ("unknown_key", ("train: {", "trian: {"), ["trian", "did you mean 'train'"]),
    ("unknown_nested", ("width: 4", "widht: 4"), ["model.widht", "did you mean 'width'"]),
    ("wrong_type", ("width: 4", "width: wide"), ["model.width", "expected an integer"]),
    ("out_of_range", ("width: 4", "width: 0"), ["model.width", ">= 1"]),
    ("bad_hyperparameter", ("adam,", "adam, hyperparameters: {b1: 1.5},"), ["b1", "[0, 1)"]),
    ("unknown_optimizer", ("name: adam", "name: adamm"), ["optimizer.name", "'adam'"]),
    (
        "missing_data_file",
        ("{name: spirals}", "{name: mnist, path: /nonexistent/mnist}"),
        ["data", "/nonexistent/mnist"],
    ),
]
BENCH_CASES = [
    ("malformed_yaml", ("name: t\n", "name: [t\n"), ["line"]),
    ("unknown_key", ("    steps: 2", "    stepz: 2"), ["workloads[0].stepz", "'steps'"]),
    ("wrong_type", ("    steps: 2", "    steps: many"), ["workloads[0].steps", "integer"]),
    ("out_of_range", ("    steps: 2", "    steps: -3"), ["workloads[0].steps", "> 0"]),
    (
        "bad_hyperparameter",
        ("learning_rate: 0.1}", "learning_rate: 0.1, momentum: 1.5}"),
        ["optimizers[0].hyperparameters", "momentum"],
    ),
    ("unknown_optimizer", ("{name: sgd,", "{name: sgdd,"), ["optimizers[0].name", "'sgd'"]),
    ("unknown_dataset", ("{name: digits}", "{name: digitz}"), ["data.name", "'digits'"]),
    ("missing_data_path", ("{name: digits}", "{name: mnist}"), ["data.path", "'mnist'"]),
]


def _write(tmp_path, base, edit):
    old, new = edit
    assert old in base
    path = tmp_path / "config.yaml"
    path.write_text(base.replace(old, new, 1))
    return path


def _args(command, path, tmp_path):
    out = str(tmp_path / "out")
    if command == "train":
        return ["train", str(path), "--out", out, "--quiet"]
    return ["bench", "run", str(path), "--out", out]


def _check(rc, err, path, needles):
    assert rc == 2, err
    assert "Traceback" not in err, err
    assert str(path) in err, f"the message does not name the file: {err}"
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"


def _cases(command, cases):
    base = TRAIN if command == "train" else BENCH
    return [
        pytest.param(command, base, edit, needles, id=f"{command}-{c}")
        for c, edit, needles in cases
    ]


ALL = _cases("train", TRAIN_CASES) + _cases("bench", BENCH_CASES)


@pytest.mark.parametrize("command,base,edit,needles", ALL)
def test_bad_config_exits_2_naming_file_and_key(tmp_path, capsys, command, base, edit, needles):
    path = _write(tmp_path, base, edit)
    rc = cli.main(_args(command, path, tmp_path))
    _check(rc, capsys.readouterr().err, path, needles)


@pytest.mark.parametrize("command", ["train", "bench"])
def test_missing_config_file_exits_2(tmp_path, capsys, command):
    path = tmp_path / "nowhere.yaml"
    rc = cli.main(_args(command, path, tmp_path))
    _check(rc, capsys.readouterr().err, path, [])


def _subprocess(args):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-m", "optzoo.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
    )
    return proc.returncode, proc.stderr


SUBPROCESS = [
    p
    if p.id in ("train-unknown_optimizer", "bench-unknown_key")
    else pytest.param(*p.values, marks=pytest.mark.slow, id=p.id)
    for p in ALL
]


@pytest.mark.parametrize("command,base,edit,needles", SUBPROCESS)
def test_python_m_optzoo_cli_exits_2(tmp_path, command, base, edit, needles):
    path = _write(tmp_path, base, edit)
    rc, err = _subprocess(_args(command, path, tmp_path))
    _check(rc, err, path, needles)
