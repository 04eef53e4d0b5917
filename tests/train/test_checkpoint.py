"""Checkpoints: a resumed run reproduces the uninterrupted run exactly."""

import importlib.util
import pathlib
import shutil

import numpy as np
import pytest

from optzoo.train import latest_checkpoint, restore_checkpoint, save_checkpoint, train_and_evaluate
from optzoo.train.checkpoint import list_checkpoints


def _load_helpers():
    path = pathlib.Path(__file__).with_name("train_helpers.py")
    spec = importlib.util.spec_from_file_location("optzoo_tests_train_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_helpers = _load_helpers()
rows = _helpers.rows
tiny = _helpers.tiny


def _arrays(path):
    with np.load(path / "arrays.npz", allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def test_resume_is_exact(tmp_path):
    cfg = tiny(
        model={"norm": "batch", "dropout": 0.2},
        optimizer={"schedule": {"name": "cosine"}, "clip_norm": 1.0},
        train={"steps": 12, "checkpoint_every": 6, "eval_every": 6, "log_every": 3},
    )
    full = tmp_path / "full"
    result = train_and_evaluate(cfg, full)
    assert [p.name for p in list_checkpoints(full)] == ["step_00000006", "step_00000012"]

    # Interrupt after step 6: drop what came later, then run the same command again.
    part = tmp_path / "part"
    shutil.copytree(full, part)
    shutil.rmtree(part / "checkpoints" / "step_00000012")
    (part / "metrics.json").unlink()
    resumed = train_and_evaluate(cfg, part)

    assert resumed["resumed_from_step"] == 6 and resumed["steps"] == 12
    for key in ("final_train_loss", "final_eval_loss", "final_eval_accuracy"):
        assert resumed[key] == result[key]
    assert [r["loss"] for r in rows(part)] == [r["loss"] for r in rows(full)]
    assert len(rows(part)) == 12 and len(rows(part, "eval.jsonl")) == 2
    a = _arrays(full / "checkpoints" / "step_00000012")
    b = _arrays(part / "checkpoints" / "step_00000012")
    assert a.keys() == b.keys() and any("batch_stats" in k for k in a)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)

    # A finished run started again does nothing more.
    again = train_and_evaluate(cfg, full)
    assert (
        again["resumed_from_step"] == 12 and again["final_eval_loss"] == result["final_eval_loss"]
    )


def test_checkpoint_round_trip_and_mismatch(tmp_path):
    state = {"a": np.arange(6.0).reshape(2, 3), "b": {"c": np.int32(4)}}
    for step in (1, 2, 3):
        save_checkpoint(tmp_path, state, step, {"note": step}, keep=2)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000002", "step_00000003"]
    restored, meta = restore_checkpoint(latest_checkpoint(tmp_path), state)
    assert meta["step"] == 3 and meta["note"] == 3
    np.testing.assert_array_equal(restored["a"], state["a"])
    with pytest.raises(ValueError, match="shape"):
        restore_checkpoint(latest_checkpoint(tmp_path), {"a": np.zeros(2), "b": {"c": 0}})
    with pytest.raises(ValueError, match="lacks"):
        restore_checkpoint(latest_checkpoint(tmp_path), {"z": np.zeros(2)})
    assert not list((tmp_path / "checkpoints").glob(".tmp*"))
