"""Suite configuration: validation errors name the key and suggest the closest valid ones."""

from __future__ import annotations

import copy
import pathlib

import pytest
import yaml

from optzoo import registry
from optzoo.bench.config import ConfigError, load_suite, parse_suite
from optzoo.cli_bench import main as bench_main

CONFIGS = pathlib.Path(__file__).resolve().parents[2] / "configs" / "bench"
BASE = {
    "name": "t",
    "workloads": [{"name": "w", "data": {"name": "digits"}, "steps": 10, "eval_every": 5}],
    "optimizers": [{"name": "sgd", "hyperparameters": {"learning_rate": 0.1}}],
}


def _with(path: str, value):
    raw = copy.deepcopy(BASE)
    obj = raw
    keys = path.split(".")
    for k in keys[:-1]:
        obj = obj[int(k)] if isinstance(obj, list) else obj[k]
    obj[keys[-1]] = value
    return raw


def test_valid_suite_parses_with_defaults():
    suite = parse_suite(copy.deepcopy(BASE))
    assert suite.workloads[0].model.name == "mlp"
    assert suite.tuning.protocol == "defaults"
    assert suite.seeds == (0,)
    assert suite.optimizers[0].display == "sgd"


@pytest.mark.parametrize(
    "path, value, needles",
    [
        ("optimzers", [], ["unknown key 'optimzers'", "'optimizers'"]),
        ("workloads.0.batchsize", 3, ["'workloads[0].batchsize'", "'batch_size'"]),
        ("workloads.0.data.name", "digitz", ["workloads[0].data.name", "'digits'"]),
        ("workloads.0.target", {"metric": "eval_acc"}, ["target.metric", "'eval_accuracy'"]),
        ("workloads.0.steps", "ten", ["workloads[0].steps", "integer"]),
        ("workloads.0.steps", 0, ["workloads[0].steps", "> 0"]),
        ("tuning", {"protocol": "grids"}, ["tuning.protocol", "'grid'"]),
        ("tuning", {"select_by": "step"}, ["tuning.select_by", "'steps'"]),
        ("seeds", [], ["seeds"]),
        ("optimizers.0.schedule", {"name": "cosin"}, ["schedule.name", "'cosine'"]),
        (
            "optimizers.0.hyperparameters",
            {"learning_rat": 0.1},
            ["hyperparameters", "learning_rate"],
        ),
        ("optimizers.0.search", {"learning_rate": {"log_uniform": [0.0, 1.0]}}, ["> 0"]),
        ("optimizers.0.search", {"learning_rate": {"normal": [0, 1]}}, ["search.learning_rate"]),
        ("optimizers.0.search", {"learning_rate": {"uniform": [1.0, 0.1]}}, ["low"]),
    ],
)
def test_errors_name_the_key(path, value, needles):
    with pytest.raises(ConfigError) as e:
        parse_suite(_with(path, value))
    for needle in needles:
        assert needle in str(e.value)


def test_missing_required_key():
    raw = copy.deepcopy(BASE)
    del raw["workloads"]
    with pytest.raises(ConfigError, match="missing key 'workloads'"):
        parse_suite(raw)


def test_unknown_optimizer_error_and_skip():
    raw = _with("optimizers", [{"name": "sgd"}, {"name": "no_such_opt_xyz"}, {"name": "sdg"}])
    with pytest.raises(ConfigError) as e:
        parse_suite(raw)
    msg = str(e.value)
    assert "optimizers[1].name" in msg and "not in the registry" in msg
    assert "missing_optimizers: skip" in msg
    assert all(n in msg for n in registry.names())
    raw["optimizers"] = raw["optimizers"][:1] + raw["optimizers"][2:]
    with pytest.raises(ConfigError, match="did you mean 'sgd'"):
        parse_suite(raw)
    raw = _with("optimizers", [{"name": "sgd"}, {"name": "no_such_opt_xyz"}])
    raw["missing_optimizers"] = "skip"
    suite = parse_suite(raw)
    assert [o.name for o in suite.optimizers] == ["sgd"]
    assert suite.skipped == ("no_such_opt_xyz",)


def test_duplicate_label_and_exponent_strings(tmp_path):
    raw = _with("optimizers", [{"name": "sgd"}, {"name": "sgd"}])
    with pytest.raises(ConfigError, match="duplicate optimizer label"):
        parse_suite(raw)
    text = yaml.safe_dump(BASE).replace("learning_rate: 0.1", "learning_rate: 1e-3")
    assert "1e-3" in text
    (tmp_path / "s.yaml").write_text(text)
    suite = load_suite(tmp_path / "s.yaml")
    assert suite.optimizers[0].hyperparameters["learning_rate"] == pytest.approx(1e-3)


def test_cli_exits_2_with_key(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(_with("workloads.0.stepz", 3)))
    rc = bench_main(["run", str(tmp_path / "bad.yaml"), "--out", str(tmp_path / "out")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "workloads[0].stepz" in err and "'steps'" in err
    assert bench_main(["report", str(tmp_path / "nothing")]) == 2


def test_quickstart_config_is_valid():
    suite = load_suite(CONFIGS / "quickstart.yaml")
    names = {o.name for o in suite.optimizers} | set(suite.skipped)
    assert {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "lion"} <= names
    assert {w.data.name for w in suite.workloads} == {"digits", "mnist5k"}


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_suite_is_valid(path):
    from optzoo.bench.tuning import expand_jobs

    suite = load_suite(path)
    jobs = expand_jobs(suite)
    assert jobs and len({j.config_hash for j in jobs}) == len(jobs)


def test_sizes_pick_the_overrides_of_the_chosen_size(tiny_raw):
    raw = tiny_raw()
    raw["workloads"][0]["sizes"] = {
        "cpu": {"steps": 20},
        "gpu": {"steps": 5000, "batch_size": 256, "model": {"width": 1024}},
    }
    cpu, gpu = parse_suite(raw), parse_suite(raw, "gpu")
    assert (cpu.size, cpu.workloads[0].steps, cpu.workloads[0].batch_size) == ("cpu", 20, 32)
    w = gpu.workloads[0]
    assert (gpu.size, w.steps, w.batch_size, w.model.width) == ("gpu", 5000, 256, 1024)
    assert w.model.name == cpu.workloads[0].model.name  # nested keys merge, not replace
    assert parse_suite({**raw, "size": "gpu"}).workloads[0].steps == 5000
    with pytest.raises(ConfigError, match="size: 'tpu'"):
        parse_suite(raw, "tpu")
    raw["workloads"][0]["sizes"] = {"big": {}}
    with pytest.raises(ConfigError, match=r"workloads\[0\]\.sizes"):
        parse_suite(raw)


def test_size_flag_reaches_the_jobs(tmp_path, tiny_raw, capsys):
    raw = tiny_raw()
    raw["workloads"][0]["sizes"] = {"gpu": {"steps": 900}}
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(raw))
    keys = {}
    for size in ("cpu", "gpu"):
        assert bench_main(["list", str(path), "--size", size]) == 0
        keys[size] = capsys.readouterr().out.split()[0]
    assert bench_main(["list", str(path)]) == 0
    assert capsys.readouterr().out.split()[0] == keys["cpu"] != keys["gpu"]
