"""`optzoo bench run --shard K/N` and `optzoo bench merge`: a suite split over machines."""

from __future__ import annotations

import json
import os
import pathlib
import re
import sqlite3
import subprocess
import sys

import pytest
import yaml

from optzoo.bench.config import parse_suite
from optzoo.bench.metrics import run_metrics
from optzoo.bench.runner import run_suite
from optzoo.bench.shards import assign_shards, merge_stores, parse_shard, select_shard, shard_dir
from optzoo.bench.tuning import expand_jobs
from optzoo.bench.workloads import JobResult
from optzoo.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]


def fake_runner(job, progress=None):
    """Deterministic curves from the hyperparameters and seed (no training)."""
    lr = job.hyperparameters.get("learning_rate", 0.1)
    speed = lr * (0.2 if job.optimizer == "sgd" else 1.0) * (1 + 0.1 * job.seed)
    curve = [
        (s, 1.0 + 0.01 * s, 2.3 * (1 - speed * s / 40), 2.3 * (1 - speed * s / 40), 0.1 + s / 60)
        for s in range(0, 31, 10)
    ]
    res = JobResult("ok", curve=curve, compile_time_s=1.0, step_times=[1e-3] * 30, state_bytes=64)
    res.metrics = run_metrics(res, job.workload.target)
    return res


def failing_runner(job, progress=None):
    return JobResult("failed", error="RuntimeError: out of memory")


@pytest.fixture(autouse=True)
def no_plots(monkeypatch):
    """The tables are what these tests compare; drawing the plots only costs time."""
    monkeypatch.setattr("optzoo.bench.report._have_matplotlib", lambda: False)


@pytest.fixture
def grid_raw(tiny_raw):
    """2 workloads x (sgd + momentum over 2 learning rates) x 2 seeds = 12 jobs."""
    raw = tiny_raw(seeds=(0, 1))
    raw["tuning"] = {"protocol": "grid"}
    raw["optimizers"][1]["search"] = {"learning_rate": [0.5, 1.0]}
    raw["workloads"].append({**raw["workloads"][0], "name": "second"})
    return raw


@pytest.fixture
def grid_suite(grid_raw):
    return parse_suite(grid_raw)


def _runs(directory) -> list[tuple]:
    with sqlite3.connect(directory / "bench.sqlite") as db:
        return db.execute(
            "SELECT config_hash, status, metrics FROM runs ORDER BY config_hash"
        ).fetchall()


def _report(directory) -> str:
    assert main(["bench", "report", str(directory)]) == 0
    md = (directory / "report.md").read_text()
    return re.sub(r"generated [^.]*UTC", "generated -", md)


def _run_shards(suite, out, n, runner=fake_runner):
    for k in range(1, n + 1):
        run_suite(suite, shard_dir(out, k, n), quiet=True, runner=runner, shard=(k, n))


# ------------------------------------------------------------------ assignment
def test_assignment_is_round_robin_over_sorted_keys():
    # The rule uses only the sorted keys: no machine, order or hash seed enters.
    assert assign_shards(["c", "a", "d", "b", "a"], 3) == {"a": 1, "b": 2, "c": 3, "d": 1}
    assert assign_shards(["x"], 4) == {"x": 1}


@pytest.mark.parametrize("n", [1, 2, 3, 5, 13, 20])
def test_every_job_is_in_exactly_one_shard(grid_suite, n):
    jobs = expand_jobs(grid_suite)
    shards = [select_shard(jobs, k, n) for k in range(1, n + 1)]
    keys = [j.config_hash for shard in shards for j in shard]
    assert sorted(keys) == sorted(j.config_hash for j in jobs)  # all, none twice
    sizes = [len(s) for s in shards]
    assert max(sizes) - min(sizes) <= 1
    # The same assignment from the jobs in another order.
    assert select_shard(jobs[::-1], 2 if n > 1 else 1, n)[::-1] == shards[1 if n > 1 else 0]


def test_assignment_is_the_same_in_another_process(grid_raw):
    """Another interpreter, with another hash seed, deals the same shards."""
    code = (
        "import json, sys\n"
        "from optzoo.bench.config import parse_suite\n"
        "from optzoo.bench.shards import select_shard\n"
        "from optzoo.bench.tuning import expand_jobs\n"
        "jobs = expand_jobs(parse_suite(json.loads(sys.argv[1])))\n"
        "print(json.dumps([[j.config_hash for j in select_shard(jobs, k, 3)] for k in (1, 2, 3)]))"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345", JAX_PLATFORMS="cpu")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-c", code, json.dumps(grid_raw)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    jobs = expand_jobs(parse_suite(grid_raw))
    here = [[j.config_hash for j in select_shard(jobs, k, 3)] for k in (1, 2, 3)]
    assert json.loads(proc.stdout) == here


def test_each_shard_writes_only_its_jobs_to_its_own_store(tmp_path, grid_suite):
    _run_shards(grid_suite, tmp_path, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"shard-{k}-of-3" for k in (1, 2, 3)]
    seen = []
    for k in (1, 2, 3):
        rows = _runs(tmp_path / f"shard-{k}-of-3")
        assert len(rows) == 4 and all(status == "ok" for _, status, _ in rows)
        seen += [h for h, _, _ in rows]
    assert sorted(seen) == sorted(j.config_hash for j in expand_jobs(grid_suite))


# ------------------------------------------------------------------ --shard errors
@pytest.mark.parametrize("bad", ["3/2", "0/0", "x", "0/3", "1/0", "2", "-1/2", "1/2/3", ""])
def test_bad_shard_is_an_error_naming_the_flag(tmp_path, tiny_raw, capsys, bad):
    config = tmp_path / "suite.yaml"
    config.write_text(yaml.safe_dump(tiny_raw()))
    out = tmp_path / "out"
    assert main(["bench", "run", str(config), "--out", str(out), f"--shard={bad}"]) == 2
    err = capsys.readouterr().err
    assert "--shard" in err and "Traceback" not in err, err
    assert not out.exists()  # nothing written
    assert main(["bench", "list", str(config), f"--shard={bad}"]) == 2


def test_parse_shard():
    assert parse_shard("1/1") == (1, 1) and parse_shard(" 3 / 4 ") == (3, 4)
    with pytest.raises(ValueError, match=r"0-based index I pass \$\(\(I \+ 1\)\)/N"):
        parse_shard("0/4")


# ------------------------------------------------------------------ merge
def test_merged_shards_report_as_the_unsharded_run(tmp_path, grid_suite, capsys):
    whole, sharded, merged = tmp_path / "whole", tmp_path / "sharded", tmp_path / "merged"
    run_suite(grid_suite, whole, quiet=True, runner=fake_runner)
    _run_shards(grid_suite, sharded, 3)
    assert main(["bench", "report", str(sharded)]) == 2  # shards are reported once merged
    assert f"optzoo bench merge {sharded} --out MERGED" in capsys.readouterr().err
    assert main(["bench", "merge", str(sharded), "--out", str(merged)]) == 0
    out = capsys.readouterr().out
    assert "merged 3 stores" in out and "12 runs" in out and "suite tiny: 12/12 jobs" in out
    assert [r[:2] for r in _runs(merged)] == [r[:2] for r in _runs(whole)]
    # The same tables: runs, scores, per-workload metrics (the fake runner's times are fixed).
    assert _report(merged) == _report(whole)


def test_merge_is_idempotent(tmp_path, grid_suite, capsys):
    sharded, merged = tmp_path / "sharded", tmp_path / "merged"
    _run_shards(grid_suite, sharded, 3)
    one = str(sharded / "shard-1-of-3")
    assert main(["bench", "merge", one, one, "--out", str(merged)]) == 0  # the same shard twice
    assert "4 runs (4 identical copies dropped, 0 conflicts" in capsys.readouterr().out
    assert len(_runs(merged)) == 4
    assert main(["bench", "merge", str(sharded), "--out", str(merged)]) == 0  # adds the rest
    first = _runs(merged)
    assert len(first) == 12
    with sqlite3.connect(merged / "bench.sqlite") as db:
        n_curves = db.execute("SELECT COUNT(*) FROM curves").fetchone()[0]
    assert main(["bench", "merge", str(sharded), one, "--out", str(merged)]) == 0  # again
    assert "12 runs (16 identical copies dropped, 0 conflicts" in capsys.readouterr().out
    assert _runs(merged) == first
    with sqlite3.connect(merged / "bench.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM curves").fetchone()[0] == n_curves
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not [p.name for p in merged.iterdir() if p.name.startswith(".merge")]


def test_conflicting_results_keep_one_whatever_the_order(tmp_path, tiny_raw, capsys):
    suite = parse_suite(tiny_raw())
    good, bad = tmp_path / "good", tmp_path / "bad"
    run_suite(suite, good, quiet=True, runner=fake_runner)
    run_suite(suite, bad, quiet=True, runner=failing_runner)  # newer, but failed
    ab, ba = tmp_path / "ab", tmp_path / "ba"
    assert main(["bench", "merge", str(good), str(bad), "--out", str(ab)]) == 0
    err = capsys.readouterr().err
    assert err.count("conflict: job") == 2 and "dropped failed finished" in err, err
    assert str(bad) in err
    assert main(["bench", "merge", str(bad), str(good), "--out", str(ba)]) == 0
    assert _runs(ab) == _runs(ba) and {r[1] for r in _runs(ab)} == {"ok"}
    # Between two finished results the newer one is kept.
    newer = tmp_path / "newer"
    run_suite(suite, newer, quiet=True, runner=fake_runner)
    s = merge_stores([good, newer], tmp_path / "c")
    assert len(s.conflicts) == 2 and all(
        str(newer / "bench.sqlite") in c.split("kept")[1].split(";")[0] for c in s.conflicts
    )


def test_missing_shards_are_reported(tmp_path, grid_suite, capsys):
    sharded = tmp_path / "sharded"
    _run_shards(grid_suite, sharded, 3)
    (sharded / "shard-2-of-3" / "bench.sqlite").unlink()
    (sharded / "shard-x-of-y").mkdir()  # not a shard: ignored
    assert main(["bench", "merge", str(sharded), "--out", str(tmp_path / "m")]) == 0
    captured = capsys.readouterr()
    assert "shard 2/3 is not among the merged stores" in captured.err
    assert "suite tiny: 8/12 jobs finished" in captured.out


def test_merge_errors_name_the_path(tmp_path, grid_suite, capsys):
    sharded = tmp_path / "sharded"
    _run_shards(grid_suite, sharded, 2)
    missing = tmp_path / "nowhere"
    assert main(["bench", "merge", str(sharded), str(missing), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "no such directory" in err and "Traceback" not in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["bench", "merge", str(empty), "--out", str(tmp_path / "m")]) == 2
    assert "not an optzoo bench output" in capsys.readouterr().err
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "bench.sqlite").write_text("my notes")
    assert main(["bench", "merge", str(notes), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert str(notes / "bench.sqlite") in err and "not an SQLite database" in err
    # A store cut short on a shared file system: right header, broken pages.
    broken = sharded / "shard-2-of-2" / "bench.sqlite"
    data = broken.read_bytes()
    broken.write_bytes(data[:100] + b"\xff" * (len(data) - 100))
    assert main(["bench", "merge", str(sharded), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert str(broken) in err and "corrupt" in err and "Traceback" not in err
    assert not (tmp_path / "m").exists()  # nothing written on error


# ------------------------------------------------------------------ the CLI, training for real
def test_cli_shards_train_as_one_run(tmp_path, tiny_raw, capsys):
    """3 shards of a real (tiny) suite, merged, give the unsharded run's report tables."""
    sgd = [{"name": "sgd", "hyperparameters": {"learning_rate": 0.5}}]
    raw = tiny_raw(optimizers=sgd, seeds=(0, 1, 2), steps=10)
    raw["workloads"][0]["eval_every"] = 5
    config = tmp_path / "suite.yaml"
    config.write_text(yaml.safe_dump(raw))
    whole, sharded, merged = tmp_path / "whole", tmp_path / "sharded", tmp_path / "merged"
    assert main(["bench", "run", str(config), "--out", str(whole), "--quiet"]) == 0
    for k in (1, 2, 3):
        args = ["bench", "run", str(config), "--out", str(sharded), "--shard", f"{k}/3"]
        assert main([*args, "--quiet"]) == 0
        assert f"shard {k}/3: 1 jobs" in capsys.readouterr().err
    assert main(["bench", "merge", str(sharded), "--out", str(merged), "--report"]) == 0
    assert "suite tiny: 3/3 jobs finished" in capsys.readouterr().out

    def table(directory) -> dict[str, list[str]]:
        md = (directory / "report.md").read_text() if directory == merged else _report(directory)
        section = md.split("## Workload digits_tiny")[1].split("\n## ")[0]
        rows = [line.strip("| ").split(" | ") for line in section.splitlines() if line[:2] == "| "]
        header = rows[0]
        keep = [
            header.index(c)
            for c in (
                "hyperparameters",
                "ok/div/fail",
                "steps to target",
                "best eval acc",
                "final eval acc",
                "final train loss",
                "state KiB",
            )
        ]
        return {r[0]: [r[i] for i in keep] for r in rows[1:]}  # by optimizer; times differ

    assert table(merged) == table(whole) and list(table(whole)) == ["sgd"]
    assert "3 finished runs" in (merged / "report.md").read_text()
