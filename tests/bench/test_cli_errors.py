"""``optzoo bench``: one-line errors for a missing file or package; a report without plots."""

from __future__ import annotations

import os

import yaml

from optzoo.bench import report
from optzoo.bench.config import parse_suite
from optzoo.bench.runner import run_suite
from optzoo.cli_bench import main as bench_main


def test_missing_suite_file_is_one_line_exit_2(tmp_path, capsys):
    out = tmp_path / "out"
    assert bench_main(["run", str(tmp_path / "nope.yaml"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err
        == f"optzoo bench: error: cannot read suite {str(tmp_path / 'nope.yaml')!r}: no such file"
    )
    assert not out.exists()


def test_a_rejected_suite_leaves_no_directory(tmp_path, tiny_raw, capsys):
    raw = tiny_raw()
    raw["workloads"][0]["batch_size"] = "many"
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    out = tmp_path / "out"
    assert bench_main(["run", str(cfg), "--out", str(out)]) == 2
    assert "batch_size" in capsys.readouterr().err
    assert not out.exists()


def test_a_missing_data_package_names_the_extra_before_running(
    tmp_path, tiny_raw, capsys, monkeypatch
):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "sklearn" else real(name, *a)
    )
    cfg = tmp_path / "s.yaml"
    cfg.write_text(yaml.safe_dump(tiny_raw()))
    out = tmp_path / "out"
    assert bench_main(["run", str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "data digits needs sklearn" in err and "pip install 'optzoo[bench]'" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


def _fake(job, progress=None):
    from optzoo.bench.metrics import run_metrics
    from optzoo.bench.workloads import JobResult

    curve = [(s, 1.0, 2.0 - s / 40, 2.0 - s / 40, 0.1 + s / 40) for s in range(0, 31, 10)]
    res = JobResult("ok", curve=curve, compile_time_s=0.1, step_times=[1e-3] * 30, state_bytes=64)
    res.metrics = run_metrics(res, job.workload.target)
    return res


def test_report_without_matplotlib_writes_tables_and_says_plots_were_skipped(
    tmp_path, tiny_raw, monkeypatch
):
    run_suite(parse_suite(tiny_raw()), tmp_path, quiet=True, runner=_fake)
    monkeypatch.setattr(report, "_have_matplotlib", lambda: False)
    paths = report.build_report(tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert "Plots skipped: matplotlib is not installed (pip install 'optzoo[bench]')" in text
    assert "| sgd |" in text.replace("`", "")  # the tables are there
    assert not [p for p in paths if p.endswith(".png")]
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".png")]
    # Both fake optimizers drew the same curve: said, since one line hides the other.
    assert "momentum, sgd: identical curves on digits_tiny" in text or (
        "sgd, momentum: identical curves on digits_tiny" in text
    )
    # Protocol defaults: one learning rate per optimizer, so no sensitivity plot (said why).
    monkeypatch.setattr(report, "_have_matplotlib", lambda: True)
    paths = report.build_report(tmp_path)
    assert not any("lr_sensitivity" in p for p in paths)
    assert "every optimizer ran at one learning rate" in (tmp_path / "report.md").read_text()


def test_device_names_read_naturally():
    assert report._device("cpu:cpu x1 (AMD EPYC, 2 cores)") == "1 CPU device (AMD EPYC, 2 cores)"
    assert report._device("cpu:cpu x4") == "4 CPU devices"
    assert report._device("gpu:NVIDIA H200 x8") == "8 NVIDIA H200"
