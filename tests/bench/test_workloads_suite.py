"""configs/bench/workloads.yaml: the four workloads where optimizers differ (Transformer LM,
ConvNet with batch norm and augmentation, GRU by BPTT, noisy quadratic model), sized for a CPU
and for an accelerator, and the NQM target reached by the AdamW baseline it was set from."""

from __future__ import annotations

import dataclasses
import pathlib

import pytest

from optzoo.bench.config import load_suite
from optzoo.bench.runner import run_suite
from optzoo.bench.store import Store
from optzoo.bench.tuning import expand_jobs

PATH = pathlib.Path(__file__).resolve().parents[2] / "configs" / "bench" / "workloads.yaml"


@pytest.mark.parametrize("size", ["cpu", "gpu"])
def test_the_four_workloads_at_both_sizes(size):
    suite = load_suite(PATH, size)
    w = {x.name: x for x in suite.workloads}
    assert set(w) == {"char_lm_transformer", "mnist5k_convnet", "adding_gru", "nqm"}
    assert w["char_lm_transformer"].model.name == "transformer"
    assert w["mnist5k_convnet"].model.name == ("lenet5" if size == "cpu" else "resnet")
    assert w["mnist5k_convnet"].model.options["norm"] == "batch"
    assert w["mnist5k_convnet"].data.options["augment"] == {"shift": 2}
    assert w["adding_gru"].model.options["cell"] == "gru"
    assert (w["nqm"].data.name, w["nqm"].model.name) == ("nqm", "quadratic")
    assert all(x.target.metric and x.target.value > 0 for x in w.values())
    # Every optimizer gets the same number of trials.
    trials = {}
    for job in expand_jobs(suite):
        trials.setdefault(job.label, set()).add(job.trial)
    assert {len(t) for t in trials.values()} == {3}


def test_gpu_size_is_larger():
    cpu = {x.name: x for x in load_suite(PATH, "cpu").workloads}
    gpu = {x.name: x for x in load_suite(PATH, "gpu").workloads}
    for name in cpu:
        assert gpu[name].steps > cpu[name].steps, name
        assert gpu[name].batch_size >= cpu[name].batch_size, name
    assert gpu["nqm"].data.options["dim"] == 100 * cpu["nqm"].data.options["dim"]


def test_adamw_baseline_reaches_the_nqm_target(tmp_path):
    # The nqm target (0.03) is AdamW's final noiseless loss at its best calibrated rate (1e-2),
    # rounded looser; the same job reaches it (about a second of training).
    suite = load_suite(PATH, "cpu")
    nqm = next(x for x in suite.workloads if x.name == "nqm")
    adamw = next(o for o in suite.optimizers if o.name == "adamw")
    suite = dataclasses.replace(suite, workloads=(nqm,), optimizers=(adamw,), seeds=(0,))
    run_suite(suite, tmp_path / "run", quiet=True)
    rows = Store(tmp_path / "run").runs()
    by_lr = {round(r["hyperparameters"]["learning_rate"], 4): r for r in rows}
    best = by_lr[0.01]["metrics"]
    assert best["final_eval_loss"] <= nqm.target.value
    assert best["steps_to_target"] is not None
    # The smallest rate of the grid does not get there in 500 steps: the workload separates rates.
    assert by_lr[0.001]["metrics"]["final_eval_loss"] > 10 * nqm.target.value
