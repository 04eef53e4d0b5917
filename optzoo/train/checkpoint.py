"""Checkpoints as ``.npz`` arrays plus JSON metadata (no pickle), written atomically.

``DIR/checkpoints/step_00000100/{arrays.npz, meta.json}``. Arrays are keyed by
their pytree path, so a checkpoint restores into a freshly created state of
the same config under any data-parallel strategy.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
from typing import Any

import jax
import numpy as np

__all__ = ["save_checkpoint", "latest_checkpoint", "restore_checkpoint", "list_checkpoints"]


def _key(path: Any) -> str:
    return jax.tree_util.keystr(path)


def list_checkpoints(workdir: str | os.PathLike) -> list[pathlib.Path]:
    """Complete checkpoints in ``workdir``, oldest first."""
    root = pathlib.Path(workdir) / "checkpoints"
    if not root.is_dir():
        return []
    found = [p for p in root.glob("step_*") if (p / "meta.json").exists()]
    return sorted(found, key=lambda p: int(p.name.split("_")[1]))


def save_checkpoint(
    workdir: str | os.PathLike, state: Any, step: int, meta: dict, keep: int = 2
) -> pathlib.Path:
    """Writes ``state`` (host arrays) and ``meta`` for ``step``; keeps the newest ``keep``."""
    root = pathlib.Path(workdir) / "checkpoints"
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step_{step:08d}"
    tmp = root / f".tmp_step_{step:08d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    leaves = jax.tree_util.tree_flatten_with_path(state)[0]
    arrays = {_key(p): np.asarray(x) for p, x in leaves}
    np.savez(tmp / "arrays.npz", **arrays)  # type: ignore[arg-type]
    (tmp / "meta.json").write_text(json.dumps({**meta, "step": step}, indent=1))
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    for old in list_checkpoints(workdir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(workdir: str | os.PathLike) -> pathlib.Path | None:
    """The newest complete checkpoint, or ``None``."""
    found = list_checkpoints(workdir)
    return found[-1] if found else None


def restore_checkpoint(path: str | os.PathLike, template: Any) -> tuple[Any, dict]:
    """Loads a checkpoint into the structure of ``template``; returns (state, meta)."""
    path = pathlib.Path(path)
    meta = json.loads((path / "meta.json").read_text())
    with np.load(path / "arrays.npz", allow_pickle=False) as data:
        leaves, _ = jax.tree_util.tree_flatten_with_path(template)
        restored = []
        for p, x in leaves:
            key = _key(p)
            if key not in data:
                raise ValueError(
                    f"checkpoint {path} lacks {key}; was it written by another config?"
                )
            arr = data[key]
            if arr.shape != np.shape(x):
                raise ValueError(
                    f"checkpoint {path}: {key} has shape {arr.shape}, expected {np.shape(x)}"
                )
            restored.append(arr.astype(np.asarray(x).dtype))
    return jax.tree_util.tree_unflatten(jax.tree.structure(template), restored), meta
