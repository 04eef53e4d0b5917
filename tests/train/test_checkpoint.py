"""Checkpoints: a resumed run reproduces the uninterrupted run exactly."""

import importlib.util
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
import warnings

import jax
import numpy as np
import pytest

from optzoo.cli_train import main
from optzoo.train import latest_checkpoint, restore_checkpoint, save_checkpoint, train_and_evaluate
from optzoo.train.checkpoint import (
    CheckpointError,
    CheckpointWarning,
    list_checkpoints,
    restore_latest,
)


def _load_helpers():
    path = pathlib.Path(__file__).with_name("train_helpers.py")
    spec = importlib.util.spec_from_file_location("optzoo_tests_train_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_helpers = _load_helpers()
rows = _helpers.rows
tiny = _helpers.tiny


def _numbers(workdir, name):
    """A row file without its wall-clock fields (which differ between runs)."""
    return [{k: v for k, v in r.items() if "time" not in k} for r in rows(workdir, name)]


def _arrays(path):
    """A checkpoint's arrays read with orbax alone, keyed by their path in the tree."""
    import orbax.checkpoint as ocp

    tree = ocp.PyTreeCheckpointer().restore((path / "state").absolute())
    return {
        jax.tree_util.keystr(p): np.asarray(x) for p, x in jax.tree_util.tree_leaves_with_path(tree)
    }


def _data_file(ckpt):
    """The largest file of a checkpoint's orbax state: where the arrays are."""
    return max(
        (f for f in (ckpt / "state").rglob("*") if f.is_file()), key=lambda f: f.stat().st_size
    )


def test_resume_is_exact(tmp_path):
    cfg = tiny(
        model={"norm": "batch", "dropout": 0.2},
        optimizer={"schedule": {"name": "cosine"}, "clip_norm": 1.0},
        # Evaluations at 5 and 10, and a final one at 12 after the last checkpoint.
        train={"steps": 12, "checkpoint_every": 6, "eval_every": 5, "log_every": 3},
    )
    full = tmp_path / "full"
    result = train_and_evaluate(cfg, full)
    assert [p.name for p in list_checkpoints(full)] == ["step_00000006", "step_00000012"]

    # A crash after step 12 damaged its checkpoint (cut short) and tore a row: the same
    # command again resumes from step 6 with a warning naming the file.
    part = tmp_path / "part"
    shutil.copytree(full, part)
    damaged = _data_file(part / "checkpoints" / "step_00000012")
    damaged.write_bytes(damaged.read_bytes()[:-100])
    (part / "metrics.json").unlink()
    with open(part / "metrics.jsonl", "a") as f:
        f.write('{"step": 13, "lo')
    with pytest.warns(CheckpointWarning, match=str(damaged)):
        resumed = train_and_evaluate(cfg, part)

    assert resumed["resumed_from_step"] == 6 and resumed["steps"] == 12
    assert (part / "checkpoints" / "corrupt_step_00000012").is_dir()
    for key in ("final_train_loss", "final_eval_loss", "final_eval_accuracy"):
        assert resumed[key] == result[key]
    assert [r["loss"] for r in rows(part)] == [r["loss"] for r in rows(full)]
    assert [r["step"] for r in rows(part)] == list(range(1, 13))
    assert _numbers(part, "eval.jsonl") == _numbers(full, "eval.jsonl")
    assert [r["step"] for r in rows(full, "eval.jsonl")] == [5, 10, 12]
    a = _arrays(full / "checkpoints" / "step_00000012")
    b = _arrays(part / "checkpoints" / "step_00000012")
    assert a.keys() == b.keys() and any("batch_stats" in k for k in a)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)

    # A finished run started again trains no more and adds no rows (it evaluates the
    # final state again: the same numbers).
    before = {n: _numbers(full, n) for n in ("metrics.jsonl", "eval.jsonl")}
    again = train_and_evaluate(cfg, full)
    assert (
        again["resumed_from_step"] == 12 and again["final_eval_loss"] == result["final_eval_loss"]
    )
    assert before == {n: _numbers(full, n) for n in before}


def test_checkpoint_round_trip_and_mismatch(tmp_path):
    state = {"a": np.arange(6.0).reshape(2, 3), "b": {"c": np.int32(4)}}
    for step in (1, 2, 3):
        save_checkpoint(tmp_path, state, step, {"note": step}, keep=2)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000002", "step_00000003"]
    restored, meta = restore_checkpoint(latest_checkpoint(tmp_path), state)
    assert meta["step"] == 3 and meta["note"] == 3
    np.testing.assert_array_equal(restored["a"], state["a"])
    with pytest.raises(CheckpointError, match="shape"):
        restore_checkpoint(latest_checkpoint(tmp_path), {"a": np.zeros(2), "b": {"c": 0}})
    with pytest.raises(CheckpointError, match="lacks"):
        restore_checkpoint(latest_checkpoint(tmp_path), {"z": np.zeros(2)})
    with pytest.raises(CheckpointError, match="arrays the state lacks"):
        restore_checkpoint(latest_checkpoint(tmp_path), {"a": state["a"]})
    assert not list((tmp_path / "checkpoints").glob(".tmp*"))


STATE = {"w": np.arange(6.0, dtype=np.float32).reshape(2, 3), "opt": {"count": np.int32(7)}}


def _cut(path):
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _flip_byte(path):
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))


def _without_checksums(ckpt):
    meta = json.loads((ckpt / "meta.json").read_text())
    del meta["files_sha256"]  # nothing to check the files against: refused, not guessed
    (ckpt / "meta.json").write_text(json.dumps(meta))


def _legacy_checkpoint(ckpt, arrays):
    """Turns ``ckpt`` into the ``arrays.npz`` format of optzoo 0.1 holding ``arrays``."""
    import hashlib

    shutil.rmtree(ckpt / "state")
    np.savez(ckpt / "arrays.npz", **arrays)
    meta = json.loads((ckpt / "meta.json").read_text())
    meta["arrays_sha256"] = hashlib.sha256((ckpt / "arrays.npz").read_bytes()).hexdigest()
    (ckpt / "meta.json").write_text(json.dumps(meta))


def _object_array(ckpt):
    # An old-format npz whose array needs unpickling; even with a matching checksum refused.
    arrays = {"['opt']['count']": np.int32(7), "['w']": np.array([{"x": 1}], dtype=object)}
    _legacy_checkpoint(ckpt, arrays)


def _wrong_step(ckpt):
    meta = json.loads((ckpt / "meta.json").read_text())
    (ckpt / "meta.json").write_text(json.dumps({**meta, "step": 1}))


DAMAGE = {
    "truncated arrays": (lambda c: _cut(_data_file(c)), "checksum mismatch"),
    "flipped byte": (lambda c: _flip_byte(_data_file(c)), "checksum mismatch"),
    "no checksums": (_without_checksums, "no file checksums"),
    "garbage meta": (lambda c: (c / "meta.json").write_text("{not json"), "meta.json: unreadable"),
    "meta not a record": (lambda c: (c / "meta.json").write_text("[1, 2]"), "integer 'step'"),
    "wrong step in meta": (_wrong_step, "step 1 but folder step_00000002"),
    "missing meta": (lambda c: (c / "meta.json").unlink(), "meta.json is missing"),
    "missing state": (lambda c: shutil.rmtree(c / "state"), "state/ is missing"),
    "missing state file": (lambda c: _data_file(c).unlink(), "missing"),
    "object array": (_object_array, "allow_pickle=False"),
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damaged_newest_checkpoint_falls_back_to_the_previous_one(tmp_path, kind):
    damage, message = DAMAGE[kind]
    for step in (1, 2):
        save_checkpoint(tmp_path, {**STATE, "w": STATE["w"] * step}, step, {"note": step}, keep=2)
    newest = tmp_path / "checkpoints" / "step_00000002"
    damage(newest)
    with pytest.raises(CheckpointError, match=message) as err:
        restore_checkpoint(newest, STATE)
    assert str(newest) in str(err.value)  # names the checkpoint (and the file)

    with pytest.warns(CheckpointWarning, match=message):
        state, meta, path = restore_latest(tmp_path, STATE)
    assert path.name == "step_00000001" and meta["note"] == 1
    np.testing.assert_array_equal(state["w"], STATE["w"])
    # The damaged one is kept for inspection, out of the way of later saves.
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000001"]
    assert (tmp_path / "checkpoints" / "corrupt_step_00000002").is_dir()
    save_checkpoint(tmp_path, STATE, 2, {"note": "again"}, keep=1)
    assert restore_latest(tmp_path, STATE)[1]["note"] == "again"

    # With no good checkpoint left the error lists the damaged one; nothing is guessed.
    damage(tmp_path / "checkpoints" / "step_00000002")
    shutil.rmtree(tmp_path / "checkpoints" / "step_00000001", ignore_errors=True)
    with pytest.warns(CheckpointWarning), pytest.raises(CheckpointError, match="no usable"):
        restore_latest(tmp_path, STATE)


def test_leftovers_of_a_crash_mid_save_are_ignored_and_cleaned(tmp_path):
    save_checkpoint(tmp_path, STATE, 5, {}, keep=2)
    root = tmp_path / "checkpoints"
    (root / ".tmp_step_00000010").mkdir()  # killed while writing step 10
    (root / ".tmp_step_00000010" / "arrays.npz").write_bytes(b"PK\x03")
    (root / ".trash_step_00000001").mkdir()  # killed while deleting an old one
    (root / "step_notanumber").mkdir()
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000005"]
    assert restore_latest(tmp_path, STATE)[1]["step"] == 5
    save_checkpoint(tmp_path, STATE, 10, {}, keep=2)
    assert not list(root.glob(".t*"))
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000005", "step_00000010"]
    assert restore_latest(tmp_path / "nowhere", STATE) is None


def test_prng_key_leaves_round_trip(tmp_path):
    state = {"key": jax.random.key(3), "x": np.ones(2)}
    save_checkpoint(tmp_path, state, 1, {})
    restored, _ = restore_checkpoint(latest_checkpoint(tmp_path), state)
    assert jax.dtypes.issubdtype(restored["key"].dtype, jax.dtypes.prng_key)
    np.testing.assert_array_equal(
        jax.random.key_data(restored["key"]), jax.random.key_data(state["key"])
    )


def test_cli_without_a_usable_checkpoint_stops_unless_told_to_restart(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "model: {width: 8, depth: 1}\ndata: {name: spirals}\n"
        "train: {steps: 4, batch_size: 16, checkpoint_every: 2, quiet: true}\n"
    )
    out = tmp_path / "run"
    assert main([str(cfg), "--out", str(out)]) == 0
    first = (out / "metrics.jsonl").read_text()
    ckpts = list_checkpoints(out)
    assert [p.name for p in ckpts] == ["step_00000002", "step_00000004"]
    (ckpts[0] / "meta.json").write_text("garbage")
    shutil.rmtree(ckpts[1] / "state")
    capsys.readouterr()

    assert main([str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(ckpts[0] / "meta.json") in err and str(ckpts[1]) in err
    assert "--restart-on-bad-checkpoint" in err and "Traceback" not in err
    assert "warning: skipping damaged checkpoint" in err

    assert main([str(cfg), "--out", str(out), "--restart-on-bad-checkpoint"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["resumed_from_step"] == 0 and metrics["steps"] == 4
    assert (out / "metrics.jsonl").read_text() == first  # redone from step 0, rows not doubled
    names = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert names == [
        "corrupt_step_00000002",
        "corrupt_step_00000004",
        "step_00000002",
        "step_00000004",
    ]


_SAVER = """
import sys
import numpy as np
from optzoo.train.checkpoint import save_checkpoint

step = 0
while True:
    step += 1
    state = {"w": np.full((1 << 21,), step, np.float32), "n": {"count": np.int32(step)}}
    save_checkpoint(sys.argv[1], state, step, {"note": step}, keep=2)
    print(step, flush=True)
"""


@pytest.mark.slow
def test_sigkill_during_checkpoint_writes_never_leaves_a_damaged_one(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).resolve().parents[2])}
    template = {"w": np.zeros((1 << 21,), np.float32), "n": {"count": np.int32(0)}}
    for i, delay in enumerate((0.05, 0.13, 0.31, 0.52)):
        out = tmp_path / f"run{i}"
        proc = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(out)], env=env, stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout.readline().strip() == "1"  # started and saved once
        time.sleep(delay)  # kill at some point of a later save (write, fsync, rename, delete)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a damaged checkpoint would warn
            state, meta, path = restore_latest(out, template)
        step = meta["step"]
        assert step >= 1 and meta["note"] == step and int(state["n"]["count"]) == step
        np.testing.assert_array_equal(state["w"], np.full_like(template["w"], step))
        for ckpt in list_checkpoints(out):  # every listed checkpoint loads
            restore_checkpoint(ckpt, template)


def test_resuming_with_a_changed_config_warns_with_the_changes(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "model: {width: 8, depth: 1}\ndata: {name: spirals}\n"
        "train: {steps: 4, batch_size: 16, checkpoint_every: 2}\n"
    )
    out = tmp_path / "run"
    assert main([str(cfg), "--out", str(out), "--quiet"]) == 0
    assert main([str(cfg), "--out", str(out)]) == 0  # only train.quiet differs: no warning
    assert "warning" not in capsys.readouterr().err
    assert main([str(cfg), "--out", str(out), "--quiet", "--set", "train.steps=6"]) == 0
    err = capsys.readouterr().err
    assert "written with another config (train.steps: 4 -> 6)" in err
    assert "step_00000004" in err
    assert json.loads((out / "metrics.json").read_text())["resumed_from_step"] == 4


def test_checkpoints_of_optzoo_0_1_npz_format_still_load(tmp_path):
    state = {"w": np.arange(6.0, dtype=np.float32).reshape(2, 3), "opt": {"count": np.int32(7)}}
    path = save_checkpoint(tmp_path, state, 3, {"note": 3})
    arrays = {"['w']": state["w"] * 2, "['opt']['count']": np.int32(9)}
    _legacy_checkpoint(path, arrays)
    restored, meta = restore_checkpoint(path, state)
    assert meta["note"] == 3
    np.testing.assert_array_equal(restored["w"], state["w"] * 2)
    assert restored["opt"]["count"] == 9 and restored["opt"]["count"].dtype == np.int32
    with pytest.raises(CheckpointError, match="shape"):
        restore_checkpoint(path, {"w": np.zeros(2), "opt": {"count": 0}})


def test_a_training_checkpoint_opens_with_plain_orbax(tmp_path):
    """What docs/training.md shows: orbax alone reads ``optzoo train``'s checkpoints."""
    import orbax.checkpoint as ocp

    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "model: {width: 16, depth: 1}\ndata: {name: digits}\n"
        "train: {steps: 6, batch_size: 16, quiet: true}\n"
    )
    out = tmp_path / "run"
    assert main([str(cfg), "--out", str(out)]) == 0
    newest = out / "checkpoints" / "step_00000006"
    tree = ocp.PyTreeCheckpointer().restore((newest / "state").absolute())
    assert int(tree["step"]) == 6
    assert tree["params"]["dense_0"]["kernel"].shape == (64, 16)  # 8x8 digits in, width 16
    assert tree["opt_state"]  # Adam's moments are there too, under their field names
    # optzoo's own reader (checksums checked) gives the same numbers from the same files.
    state, _ = restore_checkpoint(newest, tree)
    np.testing.assert_array_equal(
        state["params"]["dense_0"]["kernel"], tree["params"]["dense_0"]["kernel"]
    )
