"""``optzoo train`` on a reused --out, a rejected config, --print-config, --version, --log."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest
import yaml

from optzoo.cli_train import main

ROOT = pathlib.Path(__file__).resolve().parents[2]
BASE = "model: {width: 8, depth: 1}\ndata: {name: spirals}\ntrain: {steps: 4, batch_size: 16}\n"


def _config(tmp_path, text=BASE, name="c.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_default_config_checkpoints_and_a_rerun_resumes(tmp_path, capsys):
    cfg, out = _config(tmp_path), tmp_path / "run"
    assert main([str(cfg), "--out", str(out), "--quiet"]) == 0
    assert (out / "checkpoints" / "step_00000004").is_dir()  # at the end, without a setting
    capsys.readouterr()
    assert main([str(cfg), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "resuming from step 4" in err
    assert json.loads((out / "metrics.json").read_text())["resumed_from_step"] == 4


def test_another_config_in_the_same_out_is_refused_first_then_forced(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([str(_config(tmp_path)), "--out", str(out), "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    wider = _config(tmp_path, BASE.replace("width: 8", "width: 16"), "wide.yaml")
    capsys.readouterr()
    assert main([str(wider), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "model.width: 8 -> 16" in err and "--force" in err
    assert "checkpoint" not in err  # not reported as a damaged checkpoint
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not (out / "checkpoints" / "corrupt_step_00000004").exists()

    assert main([str(wider), "--out", str(out), "--quiet", "--force"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["resumed_from_step"] == 0 and metrics["param_count"] > before_params(before)
    assert json.loads((out / "config.json").read_text())["model"]["width"] == 16


def before_params(files):
    return json.loads(files["metrics.json"])["param_count"]


def test_a_rejected_config_creates_nothing(tmp_path, capsys):
    bad = _config(tmp_path, BASE + "optimizer: {name: adamm}\n")
    out = tmp_path / "e1"
    assert main([str(bad), "--out", str(out)]) == 2
    assert "adamm" in capsys.readouterr().err
    assert not out.exists()


def test_print_config_shows_every_key_resolved_and_writes_nothing(tmp_path, capsys):
    cfg, out = _config(tmp_path), tmp_path / "run"
    assert (
        main(
            [str(cfg), "--out", str(out), "--set", "optimizer.learning_rate=0.5", "--print-config"]
        )
        == 0
    )
    shown = yaml.safe_load(capsys.readouterr().out)
    assert shown["optimizer"]["learning_rate"] == 0.5 and shown["model"]["width"] == 8
    assert shown["train"]["checkpoint_every"] == -1 and shown["model"]["activation"] == "relu"
    assert not out.exists()


def test_version_names_the_packages_without_importing_jax():
    code = (
        "import sys, optzoo_cli\n"
        "try:\n    optzoo_cli.main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print('jax loaded' if 'jax' in sys.modules else 'jax not loaded')\n"
    )
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for name in ("optzoo", "jax", "jaxlib", "optax", "flax"):
        assert any(line.split()[0] == name for line in out.stdout.splitlines()), name
    assert out.stdout.strip().endswith("jax not loaded")


def test_tensorboard_log_and_a_clear_error_without_the_extra(tmp_path, capsys, monkeypatch):
    pytest.importorskip("tensorboardX")
    cfg, out = _config(tmp_path), tmp_path / "run"
    assert main([str(cfg), "--out", str(out), "--quiet", "--log", "tensorboard"]) == 0
    events = list((out / "tensorboard").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 0
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 4  # JSONL as well

    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # as if not installed
    capsys.readouterr()
    assert main([str(cfg), "--out", str(tmp_path / "b"), "--quiet", "--log", "tensorboard"]) == 2
    assert "pip install 'optzoo[tensorboard]'" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()
