"""Study suites: ``question`` / ``table`` keys, the study table, and the per-run metrics."""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pytest

from optzoo.bench.config import ConfigError, load_suite, parse_suite
from optzoo.bench.metrics import TABLE_METRICS, aggregate_seeds, run_metrics, weight_sparsity
from optzoo.bench.runner import run_suite
from optzoo.bench.tuning import expand_jobs
from optzoo.bench.workloads import JobResult, run_job
from optzoo.cli_bench import main as bench_main
from optzoo.data import load_dataset

CONFIGS = pathlib.Path(__file__).resolve().parents[2] / "configs" / "bench"


def test_question_and_table_parse(tiny_raw):
    raw = tiny_raw()
    raw.update(question="Is momentum faster?", table=["steps_to_target", "weight_sparsity"])
    suite = parse_suite(raw)
    assert suite.question == "Is momentum faster?"
    assert suite.table == ("steps_to_target", "weight_sparsity")
    raw["table_trials"] = "every"
    with pytest.raises(ConfigError, match="table_trials.*best, all"):
        parse_suite(raw)


@pytest.mark.parametrize(
    "table, needles",
    [
        (
            ["steps_to_target", "best_eval_acc"],
            ["table[1]", "'best_eval_acc'", "best_eval_accuracy"],
        ),
        (["wall_time"], ["table[0]", "wall_time_s"]),
    ],
)
def test_unknown_table_metric_names_the_key(tiny_raw, table, needles):
    raw = tiny_raw()
    raw["table"] = table
    with pytest.raises(ConfigError) as e:
        parse_suite(raw)
    assert all(n in str(e.value) for n in needles), str(e.value)


def test_unknown_suite_key_suggests_question(tiny_raw):
    raw = tiny_raw()
    raw["qestion"] = "typo"
    with pytest.raises(ConfigError, match="'question'"):
        parse_suite(raw)


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("study_*.yaml")), ids=lambda p: p.name)
def test_every_study_has_question_table_and_command(path):
    suite = load_suite(path)
    assert suite.question and suite.table
    assert f"optzoo bench run configs/bench/{path.name}" in path.read_text()


def test_run_metrics_derived_values():
    curve = [(0, 0.5, 2.3, 2.3, 0.1), (10, 0.6, 1.0, 1.1, 0.5), (20, 0.7, 0.5, 0.6, 0.8)]
    res = JobResult(
        "ok",
        curve=curve,
        extra={
            "final_train_accuracy": 0.9,
            "n_train": 100,
            "batch_size": 25,
            "peak_memory_bytes": None,
        },
    )
    from optzoo.bench.config import TargetSpec

    m = run_metrics(res, TargetSpec("eval_accuracy", 0.75))
    assert m["steps_to_target"] == 20 and m["epochs_to_target"] == pytest.approx(20 * 25 / 100)
    assert m["train_eval_gap"] == pytest.approx(0.9 - 0.8)
    assert m["wall_time_s"] == 0.7 and m["peak_memory_bytes"] is None
    missed = run_metrics(res, TargetSpec("eval_accuracy", 0.95))
    assert missed["epochs_to_target"] is None
    row = aggregate_seeds(
        [
            {
                "workload": "w",
                "optimizer": "o",
                "trial": 0,
                "hyperparameters": {},
                "seed": 0,
                "status": "ok",
                "metrics": missed,
            }
        ]
    )[0]
    assert math.isinf(row["epochs_to_target"])  # a missed target is "not reached", not NaN


def test_weight_sparsity_counts_matrices_only():
    tree = {"w": np.array([[0.0, 5e-4], [2.0, -1e-3]]), "b": np.zeros(7), "k": np.ones((2, 2, 1))}
    assert weight_sparsity(tree) == pytest.approx(2 / 8)  # biases are not weight matrices
    pytest.importorskip("optzoo.train")
    from optzoo.train.loop import _weight_report

    assert _weight_report(tree) == {"param_count": 15, "weight_sparsity": pytest.approx(2 / 8)}


def test_builtin_run_records_every_table_metric(tiny_raw):
    raw = tiny_raw(optimizers=[{"name": "adam", "hyperparameters": {"learning_rate": 0.01}}])
    (job,) = expand_jobs(parse_suite(raw))
    res = run_job(job)
    assert res.status == "ok", res.error
    m = res.metrics
    assert set(TABLE_METRICS) <= set(m)
    n_train = len(load_dataset("digits", test_fraction=0.2, seed=0).x_train)
    assert m["epochs_to_target"] == pytest.approx(m["steps_to_target"] * 32 / n_train)
    assert 0.3 < m["final_train_accuracy"] <= 1.0
    sizes = [64 * 16, 16, 16 * 10, 10]
    assert m["param_count"] == sum(sizes)
    assert m["state_bytes"] == 2 * 4 * sum(sizes) + 4  # Adam: mu, nu (fp32) and the count
    assert 0.0 <= m["weight_sparsity"] < 0.1 and m["step_memory_bytes"] > 0
    assert 0 < m["compile_time_s"] < m["wall_time_s"]


def test_engine_timings_are_measured(tiny_raw):
    pytest.importorskip("optzoo.train")
    raw = tiny_raw(optimizers=[{"name": "sgd", "hyperparameters": {"learning_rate": 0.5}}])
    raw["workloads"][0].update(
        engine="train",
        model={"width": 16, "depth": 1, "options": {"dropout": 0.5}},
        engine_options={"optimizer": {"l1": 1e-3}},
    )
    (job,) = expand_jobs(parse_suite(raw))
    res = run_job(job)
    assert res.status == "ok", res.error
    m = res.metrics
    walls = [r[1] for r in res.curve]
    assert [r[0] for r in res.curve] == [0, 10, 20, 30]  # the initial parameters are evaluated
    # The clock starts before the first step's compilation: the first evaluation after
    # training includes the compile time.
    assert walls == sorted(walls) and 0 < m["compile_time_s"] <= walls[1]
    assert m["wall_time_s"] == pytest.approx(walls[-1])
    assert 0 < m["median_step_time_s"] <= m["p90_step_time_s"]
    assert set(TABLE_METRICS) <= set(m)
    assert 0.0 < m["final_train_accuracy"] <= 1.0 and m["n_train"] == 1438
    assert m["weight_sparsity"] is not None and m["param_count"] == 64 * 16 + 16 + 16 * 10 + 10


def fake_runner(job, progress=None):
    lr = job.hyperparameters["learning_rate"]
    reach = 0.2 + lr * (1 + 0.5 * job.seed)
    curve = [
        (s, 0.1 * s, 2.0 / (1 + s), 2.0 / (1 + s), min(0.99, reach * s / 10))
        for s in (0, 10, 20, 30)
    ]
    res = JobResult(
        "ok",
        curve=curve,
        compile_time_s=0.5,
        step_times=[0.002] * 30,
        state_bytes=2048,
        extra={"n_train": 300, "batch_size": 30, "final_train_accuracy": 0.95},
    )
    res.metrics = run_metrics(res, job.workload.target)
    return res


def test_study_table_opens_the_report(tmp_path, tiny_raw):
    raw = tiny_raw(seeds=(0, 1))
    raw["workloads"][0]["target"]["value"] = 0.5
    raw.update(
        question="Which reaches 50% first?",
        table=["steps_to_target", "epochs_to_target", "state_bytes", "peak_memory_bytes"],
    )
    run_suite(parse_suite(raw), tmp_path, quiet=True, runner=fake_runner)
    assert bench_main(["report", str(tmp_path)]) == 0
    md = (tmp_path / "report.md").read_text()
    assert md.index("## Question") < md.index("## Runs")
    assert "Which reaches 50% first?" in md
    head = (
        "| workload | optimizer | steps to target | epochs to target | optimizer state KiB |"
        " peak memory MiB | seeds ok/div/fail |"
    )
    assert head in md
    # sgd lr 0.5: seed 0 reaches 0.7*s/10 >= 0.5 at s=10; seed 1 too -> no spread.
    assert "| digits_tiny | sgd | 10 | 1 | 2.0 | — | 2/0/0 |" in md
    # momentum lr 0.05: seed 0 (0.25/10 per step) at 20, seed 1 (0.275) at 20 -> 20 steps.
    assert "| digits_tiny | momentum | 20 | 2 | 2.0 | — | 2/0/0 |" in md
    assert "Which reaches 50% first?" in (tmp_path / "report.html").read_text()


def test_studies_doc_sections_are_rerunnable(tmp_path, tiny_raw):
    import yaml

    configs = tmp_path / "configs"
    configs.mkdir()
    dirs = []
    for name, question in (("study_a", "Question A?"), ("study_b", "Question B?")):
        raw = tiny_raw()
        raw.update(name=name, question=question, table=["steps_to_target", "state_bytes"])
        run_suite(parse_suite(raw), tmp_path / name, quiet=True, runner=fake_runner)
        raw["notes"] = f"Reading of {name}."
        (configs / f"{name}.yaml").write_text(yaml.safe_dump(raw))
        dirs.append(str(tmp_path / name))
    doc = tmp_path / "studies.md"
    args = ["studies", "--out", str(doc), "--configs", str(configs)]
    assert bench_main([*args, dirs[0]]) == 0
    text = doc.read_text()
    assert "Question A?" in text and "Reading of study_a." in text
    assert "Machine load (1-min average at the end of each run): median" in text
    assert "| workload | optimizer | steps to target | optimizer state KiB |" in text
    assert f"optzoo bench run {configs / 'study_a.yaml'} --out runs/study_a" in text
    # Regenerating B alone keeps A; regenerating A again replaces (not duplicates) it.
    assert bench_main([*args, dirs[1]]) == 0
    assert bench_main([*args, dirs[0]]) == 0
    text = doc.read_text()
    assert text.count("Question A?") == 1 and "Question B?" in text
    assert text.index("<!-- study:study_a -->") < text.index("<!-- study:study_b -->")
    assert bench_main([*args, str(tmp_path / "missing")]) == 2


def test_table_trials_all_gives_a_row_per_trial(tmp_path, tiny_raw):
    from optzoo.bench.report import study_table
    from optzoo.bench.store import Store

    raw = tiny_raw(optimizers=[{"name": "sgd", "search": {"learning_rate": [0.1, 0.5]}}])
    raw.update(tuning={"protocol": "grid"}, table=["steps_to_target"], question="?")
    raw["workloads"][0]["target"]["value"] = 0.5
    suite = parse_suite(raw)
    run_suite(suite, tmp_path, quiet=True, runner=fake_runner)
    store = Store(tmp_path)
    runs, config = store.runs(), store.meta()["suite:tiny"]["config"]
    store.close()
    assert study_table(runs, config)[1] == [
        ["digits_tiny", "sgd", "learning_rate=0.5", "10", "1/0/0"]
    ]
    config["table_trials"] = "all"
    headers, rows = study_table(runs, config)
    assert headers[2] == "trial"
    assert [r[2:4] for r in rows] == [["learning_rate=0.1", "20"], ["learning_rate=0.5", "10"]]


def test_grid_metric_table(tmp_path, tiny_raw):
    raw = tiny_raw(
        optimizers=[
            {"name": "sgd", "label": "lr_0.1", "hyperparameters": {"learning_rate": 0.1}},
            {"name": "sgd", "label": "lr_0.5", "hyperparameters": {"learning_rate": 0.5}},
        ]
    )
    raw["workloads"].append({**raw["workloads"][0], "name": "second", "batch_size": 16})
    raw["workloads"][0]["target"]["value"] = 0.5
    raw.update(question="Grid?", table=["steps_to_target"], grid_metric="steps_to_target")
    run_suite(parse_suite(raw), tmp_path, quiet=True, runner=fake_runner)
    assert bench_main(["report", str(tmp_path)]) == 0
    md = (tmp_path / "report.md").read_text()
    assert "| steps to target (workload × optimizer) | lr_0.1 | lr_0.5 |" in md
    assert "| digits_tiny | 20 | 10 |" in md and "| second | 20 | 10 |" in md
    raw["grid_metric"] = "steps_to_targt"
    with pytest.raises(ConfigError, match="grid_metric.*'steps_to_target'"):
        parse_suite(raw)
