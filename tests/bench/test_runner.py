"""Runner and store: resume, divergence, stale claims, concurrent runners."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

import pytest
import yaml

from optzoo.bench.config import parse_suite
from optzoo.bench.runner import run_suite
from optzoo.bench.store import Store
from optzoo.bench.tuning import expand_jobs
from optzoo.bench.workloads import JobResult

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class CountingRunner:
    """A fake job adapter that records which jobs it executed."""

    def __init__(self):
        self.executed = []

    def __call__(self, job, progress=None):
        self.executed.append(job.config_hash)
        curve = [(0, 0.0, 2.3, 2.3, 0.1), (10, 1.0, 0.5, 0.6, 0.9)]
        return JobResult("ok", metrics={"time_to_target_s": 1.0}, curve=curve)


def _grid_suite(tiny_raw):
    raw = tiny_raw(seeds=(0, 1))
    raw["tuning"] = {"protocol": "grid"}
    raw["optimizers"][0]["search"] = {"learning_rate": [0.01, 0.1, 1.0]}
    return parse_suite(raw)  # (3 + 1) trials x 2 seeds = 8 jobs


def test_resume_runs_only_missing_jobs(tmp_path, tiny_raw):
    suite = _grid_suite(tiny_raw)
    all_hashes = {j.config_hash for j in expand_jobs(suite)}
    assert len(all_hashes) == 8
    first = CountingRunner()
    s1 = run_suite(suite, tmp_path, max_jobs=3, quiet=True, runner=first)  # "killed" after 3
    assert (s1.executed, len(first.executed)) == (3, 3)
    second = CountingRunner()
    s2 = run_suite(suite, tmp_path, quiet=True, runner=second)
    assert (s2.executed, s2.reused) == (5, 3)
    assert set(first.executed).isdisjoint(second.executed)
    assert set(first.executed) | set(second.executed) == all_hashes
    third = CountingRunner()
    s3 = run_suite(suite, tmp_path, quiet=True, runner=third)
    assert (s3.executed, s3.reused, third.executed) == (0, 8, [])
    store = Store(tmp_path)
    assert len(store.runs()) == 8 and store.integrity_ok()
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_interrupted_run_is_released_and_redone(tmp_path, tiny_suite):
    class Boom(CountingRunner):
        def __call__(self, job, progress=None):
            if len(self.executed) == 1:
                raise KeyboardInterrupt
            return super().__call__(job, progress)

    with pytest.raises(KeyboardInterrupt):
        run_suite(tiny_suite, tmp_path, quiet=True, runner=Boom())
    counts = Store(tmp_path).counts()
    assert counts == {"ok": 1, "running": 1}  # only the run in progress is lost
    again = CountingRunner()
    s = run_suite(tiny_suite, tmp_path, quiet=True, runner=again)
    assert (s.executed, s.reused) == (1, 1)
    store = Store(tmp_path)
    assert store.counts() == {"ok": 2} and store.integrity_ok()
    _assert_no_duplicates(tmp_path / "bench.sqlite", 2)


def test_stale_claim_of_dead_process_is_taken_over(tmp_path, tiny_suite):
    job = expand_jobs(tiny_suite)[0]
    store = Store(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state, _ = store.claim(job, "tiny", f"{os.uname().nodename}:{dead.pid}")
    assert state == "claimed"
    # A live owner with a fresh heartbeat keeps its claim.
    assert store.claim(job, "tiny", "otherhost:1")[0] == "claimed"  # dead local pid: taken over
    assert store.claim(job, "tiny", "thirdhost:2")[0] == "busy"
    store.conn.execute("UPDATE runs SET heartbeat=?", (time.time() - 10 * store.lease_s,))
    assert store.claim(job, "tiny", "thirdhost:2")[0] == "claimed"  # lease expired


def test_real_runs_divergence_and_curves(tmp_path, tiny_raw):
    raw = tiny_raw(
        optimizers=[
            {"name": "sgd", "hyperparameters": {"learning_rate": 0.5}},
            {"name": "sgd", "label": "sgd_huge_lr", "hyperparameters": {"learning_rate": 1e30}},
        ]
    )
    s = run_suite(parse_suite(raw), tmp_path, quiet=True)
    assert s.statuses == {"ok": 1, "diverged": 1}
    store = Store(tmp_path)
    runs = {r["optimizer"]: r for r in store.runs()}
    ok, bad = runs["sgd"], runs["sgd_huge_lr"]
    assert ok["status"] == "ok" and bad["status"] == "diverged"
    m = ok["metrics"]
    assert m["steps"] == 30 and m["target_reached"] and m["final_train_loss"] < 2.3
    assert m["compile_time_s"] > 0 and 0 < m["time_to_target_s"] <= m["wall_time_s"]
    assert m["time_to_target_s"] >= m["compile_time_s"]  # compile time counts
    assert bad["metrics"]["final_train_loss"] is None and bad["metrics"]["steps"] < 30
    curves = store.curves()
    assert [r[0] for r in curves[ok["id"]]] == [0, 10, 20, 30]
    walls = [r[1] for r in curves[ok["id"]]]
    assert walls == sorted(walls)
    assert ok["versions"]["jax"] and ok["device"].startswith("cpu")
    assert runs["sgd_huge_lr"]["resolved_hyperparameters"]["learning_rate"] == 1e30


_FAKE_RUNNER_SCRIPT = """
import sys, time, yaml
from optzoo.bench.config import parse_suite
from optzoo.bench.runner import run_suite
from optzoo.bench.workloads import JobResult

def fake(job, progress=None):
    time.sleep(0.05)
    return JobResult("ok", metrics={}, curve=[(0, 0.0, 2.3, 2.3, 0.1), (10, 0.1, 1.0, 1.0, 0.5)])

with open(sys.argv[1]) as f:
    suite = parse_suite(yaml.safe_load(f))
s = run_suite(suite, sys.argv[2], quiet=True, runner=fake)
print(s.executed, s.reused, s.busy)
"""


def test_two_processes_claim_disjoint_jobs(tmp_path, tiny_raw):
    raw = tiny_raw(seeds=list(range(20)))  # 40 quick fake jobs
    cfg = tmp_path / "suite.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": ROOT, "JAX_PLATFORMS": "cpu"}
    cmd = [sys.executable, "-c", _FAKE_RUNNER_SCRIPT, str(cfg), str(out)]
    procs = [
        subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=240)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    executed = [int(o.split()[0]) for o in outs]
    assert sum(executed) == 40
    conn = sqlite3.connect(out / "bench.sqlite")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = conn.execute("SELECT config_hash, status, owner FROM runs").fetchall()
    assert len(rows) == 40 == len({h for h, _, _ in rows})
    assert {s for _, s, _ in rows} == {"ok"}
    assert conn.execute("SELECT COUNT(*) FROM curves").fetchone()[0] == 80
    _assert_no_duplicates(out / "bench.sqlite", 40)


@pytest.mark.slow
def test_two_runner_processes_share_one_directory(tmp_path, tiny_raw):
    raw = tiny_raw(seeds=(0, 1), steps=20)
    cfg = tmp_path / "suite.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "optzoo.cli_bench", "run", str(cfg), "--out", str(out), "--quiet"]
    env = {**os.environ, "PYTHONPATH": ROOT, "JAX_PLATFORMS": "cpu"}
    procs = [
        subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    errs = [p.communicate(timeout=240)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    conn = sqlite3.connect(out / "bench.sqlite")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = conn.execute("SELECT config_hash, status FROM runs").fetchall()
    assert len(rows) == 4 == len({h for h, _ in rows})
    assert {s for _, s in rows} == {"ok"}
    executed = [int(e.split(" run now")[0].rsplit(",", 1)[1]) for e in errs]
    assert sum(executed) == 4
    n_curve = conn.execute("SELECT COUNT(*) FROM curves").fetchone()[0]
    assert n_curve == 4 * 3  # steps 0, 10, 20 per run, no duplicates
    _assert_no_duplicates(out / "bench.sqlite", 4)


@pytest.mark.slow
def test_sigkill_loses_at_most_the_run_in_progress(tmp_path, tiny_raw):
    raw = tiny_raw(seeds=(0, 1, 2), steps=400)
    cfg = tmp_path / "suite.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "optzoo.cli_bench", "run", str(cfg), "--out", str(out), "--quiet"]
    env = {**os.environ, "PYTHONPATH": ROOT, "JAX_PLATFORMS": "cpu"}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    db = out / "bench.sqlite"
    deadline = time.time() + 240
    done = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.5)
        if db.exists():
            conn = sqlite3.connect(db, timeout=30)
            try:
                done = conn.execute("SELECT COUNT(*) FROM runs WHERE status='ok'").fetchone()[0]
            except sqlite3.OperationalError:  # the file exists, its tables not yet
                done = 0
            finally:
                conn.close()
            if done >= 1:
                break
    proc.kill()
    proc.wait()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"  # before any recovery
    conn.close()
    store = Store(out)
    before = store.counts()
    assert before.get("ok", 0) >= 1 and before.get("running", 0) <= 1
    again = CountingRunner()
    s = run_suite(parse_suite(raw), out, quiet=True, runner=again)
    assert s.reused == before["ok"] and s.executed == 6 - before["ok"]
    assert Store(out).counts() == {"ok": 6}
    _assert_no_duplicates(db, 6)
    # The killed run's partial curve was replaced by its rerun (the fake's two points).
    conn = sqlite3.connect(db)
    n_points = dict(conn.execute("SELECT run_id, COUNT(*) FROM curves GROUP BY run_id"))
    assert sorted(n_points.values()) == [2] * s.executed + [41] * s.reused


def _assert_no_duplicates(db, n_jobs):
    """``PRAGMA integrity_check`` is ok; one row per job; one curve point per (run, step)."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        hashes = [h for (h,) in conn.execute("SELECT config_hash FROM runs")]
        assert len(hashes) == n_jobs == len(set(hashes))
        dup = conn.execute(
            "SELECT run_id, step FROM curves GROUP BY run_id, step HAVING COUNT(*) > 1"
        ).fetchall()
        assert dup == []
        orphans = "SELECT COUNT(*) FROM curves WHERE run_id NOT IN (SELECT id FROM runs)"
        assert conn.execute(orphans).fetchone()[0] == 0
    finally:
        conn.close()


def test_time_budget_and_divergence_factor(tiny_raw):
    from optzoo.bench.workloads import run_job

    raw = tiny_raw(optimizers=[{"name": "sgd", "hyperparameters": {"learning_rate": 1e3}}])
    raw["workloads"][0].update(max_seconds=1e-3)
    (job,) = expand_jobs(parse_suite(raw))
    res = run_job(job)
    assert res.status == "ok" and res.metrics["steps"] == 1  # compile alone exceeds the budget
    assert res.curve[-1][0] == 1
    raw["workloads"][0].update(max_seconds=0.0, divergence_factor=10.0)
    (job,) = expand_jobs(parse_suite(raw))
    res = run_job(job)
    assert res.status == "diverged" and res.metrics["steps"] < 30
