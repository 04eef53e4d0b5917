"""Report: markdown tables, PNG plots and a self-contained HTML page."""

from __future__ import annotations

import base64
import csv
import re

from optzoo.bench.config import parse_suite
from optzoo.bench.metrics import run_metrics
from optzoo.bench.runner import run_suite
from optzoo.bench.workloads import JobResult
from optzoo.cli_bench import main as bench_main

PNG = b"\x89PNG\r\n\x1a\n"


def fake_runner(job, progress=None):
    """Deterministic curves: the larger the learning rate, the faster (sgd never reaches)."""
    lr = job.hyperparameters.get("learning_rate", 0.1)
    speed = lr * (0.2 if job.optimizer == "sgd" else 1.0) * (1 + 0.1 * job.seed)
    curve = [
        (
            s,
            1.0 + 0.01 * s,
            2.3 * (1 - speed * s / 40),
            2.3 * (1 - speed * s / 40),
            min(0.99, 0.1 + speed * s / 30),
        )
        for s in range(0, 31, 10)
    ]
    res = JobResult(
        "ok", curve=curve, compile_time_s=1.0, step_times=[0.001] * 30, state_bytes=4096
    )
    res.metrics = run_metrics(res, job.workload.target)
    return res


def test_report_files(tmp_path, tiny_raw, capsys):
    raw = tiny_raw(seeds=(0, 1))
    raw["tuning"] = {"protocol": "grid"}
    raw["optimizers"][1]["search"] = {"learning_rate": [0.5, 1.0]}
    raw["workloads"].append({**raw["workloads"][0], "name": "second"})
    suite = parse_suite(raw)
    run_suite(suite, tmp_path, quiet=True, runner=fake_runner)
    assert bench_main(["report", str(tmp_path)]) == 0
    listed = capsys.readouterr().out.split()
    names = {
        "report.md",
        "report.html",
        "performance_profile.png",
        "time_to_target.png",
        "lr_sensitivity.png",
        "curves_digits_tiny.png",
        "curves_second.png",
        "runs.csv",
        "curves.csv",
    }
    assert names <= {p.rsplit("/", 1)[-1] for p in listed}
    for n in names:
        if n.endswith(".png"):
            assert (tmp_path / n).read_bytes().startswith(PNG)
    md = (tmp_path / "report.md").read_text()
    assert "protocol **grid**" in md
    # momentum (fast) has integrated score 1, sgd never reaches the target: 0.
    assert re.search(r"\| momentum \| 1\.000 \| 1\.000 \| 2/2 \|", md)
    assert re.search(r"\| sgd \| 0\.000 \| 0\.000 \| 0/2 \|", md)
    # The best momentum trial (learning_rate=1) is the one reported, medians over 2 seeds.
    assert "| momentum | learning_rate=1 | 2/0/0 |" in md
    assert "## Tuneability" in md
    html = (tmp_path / "report.html").read_text()
    imgs = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert len(imgs) == 5 and all(base64.b64decode(i).startswith(PNG) for i in imgs)
    with open(tmp_path / "runs.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * 2 * (1 + 2)
    assert {"time_to_target_s", "state_bytes", "hyperparameters"} <= set(rows[0])


def test_report_on_empty_dir_is_an_error(tmp_path):
    assert bench_main(["report", str(tmp_path)]) == 2


def test_report_shows_only_the_current_suite(tmp_path, tiny_raw):
    raw = tiny_raw()
    run_suite(parse_suite(raw), tmp_path, quiet=True, runner=fake_runner)
    raw["optimizers"][1]["hyperparameters"]["learning_rate"] = 0.25  # edit the suite, rerun
    s = run_suite(parse_suite(raw), tmp_path, quiet=True, runner=fake_runner)
    assert (s.executed, s.reused) == (1, 1)
    assert bench_main(["report", str(tmp_path)]) == 0
    md = (tmp_path / "report.md").read_text()
    assert "1 runs in bench.sqlite from earlier versions" in md
    assert "| momentum | learning_rate=0.25 | 1/0/0 |" in md
    assert "learning_rate=0.05" not in md
