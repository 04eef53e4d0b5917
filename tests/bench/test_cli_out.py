"""``optzoo bench run --out DIR``: never writes into a directory that is not a bench output."""

from __future__ import annotations

import sqlite3

import pytest
import yaml

from optzoo.cli import main


@pytest.fixture
def suite_file(tmp_path, tiny_raw):
    raw = tiny_raw(optimizers=[{"name": "sgd", "hyperparameters": {"learning_rate": 0.5}}])
    raw["workloads"][0]["steps"] = 10
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _run(suite_file, out, *extra):
    return main(["bench", "run", str(suite_file), "--out", str(out), "--quiet", *extra])


def _foreign(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    return foreign


def test_refuses_a_foreign_directory(tmp_path, suite_file, capsys):
    foreign = _foreign(tmp_path)
    assert _run(suite_file, foreign) == 2
    err = capsys.readouterr().err
    assert str(foreign) in err and "--force" in err and "Traceback" not in err
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.tex"]  # nothing written


def test_force_writes_into_a_foreign_directory(tmp_path, suite_file):
    foreign = _foreign(tmp_path)
    assert _run(suite_file, foreign, "--force", "--max-jobs", "0") == 0
    assert (foreign / "bench.sqlite").is_file()
    assert (foreign / "thesis.tex").read_text() == "precious"
    # Now it is a bench output: later runs need no --force.
    assert _run(suite_file, foreign, "--max-jobs", "0") == 0


@pytest.mark.parametrize("existing", ["absent", "empty"])
def test_new_or_empty_directory_is_fine(tmp_path, suite_file, existing):
    out = tmp_path / "out"
    if existing == "empty":
        out.mkdir()
    assert _run(suite_file, out, "--max-jobs", "0") == 0
    assert (out / "bench.sqlite").is_file()


def test_a_file_or_a_fake_database_is_refused_even_with_force(tmp_path, suite_file, capsys):
    not_dir = tmp_path / "results.txt"
    not_dir.write_text("x")
    assert _run(suite_file, not_dir, "--force") == 2
    assert "not a directory" in capsys.readouterr().err
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "bench.sqlite").write_text("my notes, not a database")
    assert _run(suite_file, fake, "--force") == 2
    assert "not an SQLite database" in capsys.readouterr().err
    assert (fake / "bench.sqlite").read_text() == "my notes, not a database"


def test_existing_bench_directory_resumes(tmp_path, suite_file, capsys):
    out = tmp_path / "out"
    assert _run(suite_file, out) == 0
    assert "1 run now" in capsys.readouterr().err
    (out / "report.md").write_text("an earlier report")  # other bench files do not matter
    assert _run(suite_file, out) == 0
    assert "0 run now {}, 1 done earlier" in capsys.readouterr().err
    conn = sqlite3.connect(out / "bench.sqlite")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
