"""Crash safety of ``optzoo train``: kill -9 mid-run, rerun, get the uninterrupted result.

Runs the real command (``python -m optzoo.cli train``) in subprocesses on CPU:
one uninterrupted run, and one SIGKILLed after its first checkpoint, started
again with the same command, killed again after a later checkpoint (when it
has not finished by then) and started once more. Parameters, optimizer state, the loss
curve and the evaluations must match the uninterrupted run bit for bit, and
the ``*.jsonl`` files must hold each step once, with no torn line.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
STEPS, EVERY = 400, 40

CONFIG = {
    "model": {"name": "mlp", "width": 32, "depth": 2, "dropout": 0.1},
    "data": {"name": "digits"},
    "optimizer": {"name": "adamw", "learning_rate": 3e-3, "schedule": {"name": "cosine"}},
    "train": {
        "steps": STEPS,
        "batch_size": 32,
        "log_every": 100,  # rows of steps up to a checkpoint must reach the disk before it
        "eval_every": 100,
        "checkpoint_every": EVERY,
        "keep_checkpoints": 2,
    },
    "seed": 3,
}


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}


def _command(cfg: pathlib.Path, out: pathlib.Path) -> list[str]:
    return [sys.executable, "-m", "optzoo.cli", "train", str(cfg), "--out", str(out), "--quiet"]


def _arrays(ckpt: pathlib.Path) -> dict[str, np.ndarray]:
    """The checkpoint's arrays, read with orbax alone, keyed by their path in the tree."""
    import jax
    import orbax.checkpoint as ocp

    tree = ocp.PyTreeCheckpointer().restore((ckpt / "state").absolute())
    leaves = jax.tree_util.tree_leaves_with_path(tree)
    return {jax.tree_util.keystr(p): np.asarray(x) for p, x in leaves}


def _rows(path: pathlib.Path) -> list[dict]:
    text = path.read_text()
    assert text.endswith("\n"), f"{path.name}: torn last line"
    return [json.loads(line) for line in text.splitlines()]


def _curve(rows: list[dict], keys: tuple[str, ...]) -> list[tuple]:
    return [tuple(r[k] for k in ("step", *keys)) for r in rows]


def _saved(out: pathlib.Path) -> list[int]:
    ckpts = out / "checkpoints"
    names = [p.name for p in ckpts.iterdir()] if ckpts.is_dir() else []
    return sorted(int(n.split("_")[1]) for n in names if n.startswith("step_"))


def _kill_after_checkpoint(cfg: pathlib.Path, out: pathlib.Path, beyond: int) -> int | None:
    """Starts the command, SIGKILLs it once a checkpoint past ``beyond`` exists.

    Returns the newest checkpoint step at the kill, or ``None`` if the run ended first.
    """
    proc = subprocess.Popen(_command(cfg, out), cwd=ROOT, env=_env(), stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        if any(s > beyond for s in _saved(out)):
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0 and beyond > 0:
        return None  # a resumed run may finish before a second kill lands
    assert proc.returncode == -signal.SIGKILL, err.decode()[-2000:]
    assert not (out / "metrics.json").exists()  # it really died mid-way
    return max(_saved(out))


@pytest.mark.slow
def test_sigkill_then_resume_is_bit_identical(tmp_path):
    cfg = tmp_path / "job.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    full, crashed = tmp_path / "full", tmp_path / "crashed"

    # Killed after its first checkpoint, resumed and killed again after a later one.
    first = _kill_after_checkpoint(cfg, crashed, 0)
    assert first is not None and EVERY <= first < STEPS
    second = _kill_after_checkpoint(cfg, crashed, first)
    last = second or first

    ref = subprocess.run(_command(cfg, full), cwd=ROOT, env=_env(), capture_output=True)
    assert ref.returncode == 0, ref.stderr.decode()[-2000:]
    if second is not None:
        again = subprocess.run(_command(cfg, crashed), cwd=ROOT, env=_env(), capture_output=True)
        assert again.returncode == 0, again.stderr.decode()[-2000:]
    ckpts = crashed / "checkpoints"

    a, b = (json.loads((d / "metrics.json").read_text()) for d in (full, crashed))
    assert b["resumed_from_step"] == last > 0
    assert a["steps"] == b["steps"] == STEPS
    for key in ("final_train_loss", "final_eval_loss", "final_eval_accuracy", "best_eval_loss"):
        assert a[key] == b[key], key

    final = f"step_{STEPS:08d}"
    want, got = _arrays(full / "checkpoints" / final), _arrays(ckpts / final)
    assert want.keys() == got.keys() and any("params" in k for k in want)
    assert any("opt_state" in k for k in want)
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k, strict=True)

    # Results stay usable: every step once, no torn or duplicated rows, same numbers.
    ra, rb = _rows(full / "metrics.jsonl"), _rows(crashed / "metrics.jsonl")
    assert [r["step"] for r in rb] == list(range(1, STEPS + 1))
    keys = ("loss", "accuracy", "grad_norm", "skipped")
    assert _curve(rb, keys) == _curve(ra, keys)
    ea, eb = _rows(full / "eval.jsonl"), _rows(crashed / "eval.jsonl")
    assert [r["step"] for r in eb] == [100, 200, 300, 400]
    assert _curve(eb, ("eval_loss", "eval_accuracy")) == _curve(ea, ("eval_loss", "eval_accuracy"))
