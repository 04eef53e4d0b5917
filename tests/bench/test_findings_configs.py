"""configs/bench/findings/: every "published finding" suite parses at both sizes, states its
question, uses bootstrap intervals over >= 3 seeds, gives every optimizer the same tuning
budget, and `optzoo bench list FILE` lists its jobs (no training)."""

from __future__ import annotations

import pathlib
from collections import Counter

import pytest

from optzoo.bench.config import load_suite, parse_suite
from optzoo.bench.tuning import expand_jobs
from optzoo.cli_bench import main as bench_main

FINDINGS = pathlib.Path(__file__).resolve().parents[2] / "configs" / "bench" / "findings"
PATHS = sorted(FINDINGS.glob("*.yaml"))


def test_the_four_findings_suites_exist():
    assert {p.stem for p in PATHS} >= {
        "muon_vs_adamw",
        "schedule_free_vs_cosine",
        "adamw_vs_modern",
        "lr_batch_scaling",
    }


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
@pytest.mark.parametrize("size", ["cpu", "gpu"])
def test_findings_suite_is_a_fair_study(path, size):
    suite = load_suite(path, size)
    assert suite.size == size
    assert suite.name == path.stem  # `bench studies --configs` finds the YAML by name
    assert suite.question.strip().endswith("?")
    assert suite.table
    assert suite.interval == "ci"
    assert len(set(suite.seeds)) >= 3
    text = path.read_text()
    assert "arxiv.org" in text or "kellerjordan.github.io" in text  # the source
    assert f"optzoo bench run configs/bench/findings/{path.name}" in text  # reproduce
    assert "min" in text and "CPU cores" in text  # the estimated run time
    jobs = expand_jobs(suite)
    trials: dict[tuple[str, str], set[int]] = {}
    seeds: Counter[tuple[str, str, int]] = Counter()
    for job in jobs:
        trials.setdefault((job.workload.name, job.label), set()).add(job.trial)
        seeds[(job.workload.name, job.label, job.trial)] += 1
    budgets = {len(t) for t in trials.values()}
    assert len(budgets) == 1, f"unequal tuning budgets: {trials}"
    assert set(seeds.values()) == {len(set(suite.seeds))}


def test_sizes_differ():
    for path in PATHS:
        cpu, gpu = load_suite(path, "cpu"), load_suite(path, "gpu")
        assert cpu.workloads != gpu.workloads, path.stem


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_bench_list_lists_the_jobs(path, capsys):
    assert bench_main(["list", str(path)]) == 0
    out = capsys.readouterr().out
    n = len(expand_jobs(load_suite(path, "cpu")))
    assert sum(" todo " in line for line in out.splitlines()) == n


def test_findings_doc_pending_sections_then_measured(tmp_path, tiny_raw):
    """`bench studies --pending` writes "not yet run" sections under the findings title; a
    run directory replaces its section, and --pending never overwrites a measured one."""
    import yaml

    from optzoo.bench.runner import run_suite
    from optzoo.bench.studies import FINDINGS_HEADER, HEADER, header_for

    from .test_study import fake_runner

    assert header_for("docs/findings.md") == FINDINGS_HEADER
    assert header_for("docs/studies.md") == HEADER
    configs = tmp_path / "configs"
    configs.mkdir()
    raw = tiny_raw()
    raw.update(name="claim_a", question="Is claim A true?", table=["steps_to_target"])
    suite_path = configs / "claim_a.yaml"
    suite_path.write_text("# Claim A, from Someone et al. 2024.\n" + yaml.safe_dump(raw))
    doc = tmp_path / "findings.md"
    args = ["studies", "--out", str(doc), "--configs", str(configs)]
    assert bench_main([*args, "--pending", str(suite_path), *map(str, PATHS)]) == 0
    text = doc.read_text()
    assert text.startswith("# Published findings, reproduced at small scale")
    assert "Seed studies" not in text
    assert text.count("Not yet run: no numbers exist") == 1 + len(PATHS)
    assert "Is claim A true?" in text and "Claim A, from Someone et al. 2024." in text
    run_suite(parse_suite(raw), tmp_path / "claim_a", quiet=True, runner=fake_runner)
    assert bench_main([*args, str(tmp_path / "claim_a")]) == 0
    assert bench_main([*args, "--pending", str(suite_path)]) == 0  # keeps the measured one
    text = doc.read_text()
    assert text.count("Not yet run: no numbers exist") == len(PATHS)
    assert text.count("<!-- study:claim_a -->") == 1
    assert "| workload | optimizer | steps to target |" in text
    assert bench_main(["studies", "--out", str(doc)]) == 2  # nothing to write
