"""`optzoo bench run --workers N`: N runner processes share one DIR, each job runs once."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
import yaml

SUITE = {
    "name": "tiny_workers",
    "seeds": [0, 1, 2],
    "tuning": {"protocol": "defaults"},
    "workloads": [
        {
            "name": "digits",
            "data": {"name": "digits"},
            "model": {"width": 16},
            "steps": 20,
            "eval_every": 10,
        }
    ],
    "optimizers": [
        {"name": "sgd", "hyperparameters": {"learning_rate": 0.1}},
        {"name": "adam", "hyperparameters": {"learning_rate": 0.01}},
    ],
}


def _bench(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    return subprocess.run(
        [sys.executable, "-m", "optzoo.cli", "bench", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_two_workers_run_every_job_once(tmp_path):
    config = tmp_path / "suite.yaml"
    config.write_text(yaml.safe_dump(SUITE))
    out = tmp_path / "out"
    proc = _bench("run", str(config), "--out", str(out), "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    # Both workers reported progress, each line tagged with its index.
    assert "[bench w0 " in proc.stderr and "[bench w1 " in proc.stderr
    with sqlite3.connect(out / "bench.sqlite") as db:
        rows = db.execute("SELECT config_hash, status FROM runs").fetchall()
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len(rows) == 6 and len({h for h, _ in rows}) == 6
    assert all(status == "ok" for _, status in rows)
    # A rerun, with workers or without, finds nothing left to do.
    again = _bench("run", str(config), "--out", str(out))
    assert again.returncode == 0 and "0 run now" in again.stderr, again.stderr


def test_workers_must_be_positive(tmp_path):
    config = tmp_path / "suite.yaml"
    config.write_text(yaml.safe_dump(SUITE))
    proc = _bench("run", str(config), "--out", str(tmp_path / "out"), "--workers", "0")
    assert proc.returncode == 2
    assert "--workers" in proc.stderr and "Traceback" not in proc.stderr
