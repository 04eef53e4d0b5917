"""`optzoo bench run` starts the CPU backend with the devices a suite's jobs name."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest
import yaml

SUITE = {
    "name": "tiny_devices",
    "tuning": {"protocol": "defaults"},
    "workloads": [
        {
            "name": f"mlp_{strategy}_2dev",
            "engine": "train",
            "data": {"name": "digits"},
            "model": {"name": "mlp", "width": 16, "depth": 1},
            "batch_size": 32,
            "steps": 3,
            "eval_every": 3,
            "engine_options": {"parallel": {"strategy": strategy, "devices": 2}},
        }
        for strategy in ("pmap", "sharded")
    ],
    "optimizers": [{"name": "sgd", "hyperparameters": {"learning_rate": 0.1}}],
}


def _run(tmp_path, env_extra: dict) -> tuple[subprocess.CompletedProcess, list]:
    config = tmp_path / "suite.yaml"
    config.write_text(yaml.safe_dump(SUITE))
    env = {k: v for k, v in os.environ.items() if k not in ("JAX_NUM_CPU_DEVICES", "XLA_FLAGS")}
    env.update(JAX_PLATFORMS="cpu", **env_extra)
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "optzoo.cli",
            "bench",
            "run",
            str(config),
            "--out",
            str(out),
            "--quiet",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    rows = []
    if (out / "bench.sqlite").exists():
        with sqlite3.connect(out / "bench.sqlite") as db:
            rows = db.execute("SELECT workload, status, error, metrics FROM runs").fetchall()
    return proc, rows


@pytest.mark.slow
def test_suite_devices_are_provided_without_environment(tmp_path):
    proc, rows = _run(tmp_path, {})
    assert proc.returncode == 0, proc.stderr
    assert sorted(r[0] for r in rows) == ["mlp_pmap_2dev", "mlp_sharded_2dev"]
    for workload, status, error, metrics in rows:
        assert status == "ok", (workload, error)
        assert json.loads(metrics)["final_eval_loss"] > 0


@pytest.mark.slow
def test_explicit_device_count_in_environment_wins(tmp_path):
    # One device by request: the 2-device jobs fail (recorded, not crashed), naming devices.
    proc, rows = _run(tmp_path, {"JAX_NUM_CPU_DEVICES": "1"})
    assert proc.returncode == 0, proc.stderr
    assert rows and all(status == "failed" for _, status, _, _ in rows)
    assert all("device" in error for _, _, error, _ in rows)
