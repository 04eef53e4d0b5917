"""Checkpoints as ``.npz`` arrays plus JSON metadata (no pickle), written atomically.

``DIR/checkpoints/step_00000100/{arrays.npz, meta.json}``. Arrays are keyed by
their pytree path, so a checkpoint restores into a freshly created state of
the same config under any data-parallel strategy.

A checkpoint is written into ``checkpoints/.tmp_step_*``, every file and the
folder are fsynced, and only then is the folder renamed to ``step_*``: a
crash leaves either the whole checkpoint or none. ``meta.json`` records the
SHA-256 of ``arrays.npz``; :func:`restore_latest` checks it, skips a damaged
checkpoint with a warning that names the file, and resumes from the newest one
that loads. Arrays are read with ``allow_pickle=False``: a file holding object
arrays is refused, never unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
import shutil
import warnings
import zipfile
from typing import Any

import jax
import numpy as np

__all__ = [
    "CheckpointError",
    "CheckpointWarning",
    "save_checkpoint",
    "latest_checkpoint",
    "restore_checkpoint",
    "restore_latest",
    "list_checkpoints",
    "atomic_write_text",
    "quarantine",
    "config_changes",
]

_STEP_DIR = re.compile(r"step_(\d+)")
_ARRAYS, _META = "arrays.npz", "meta.json"


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded: damaged, incomplete or from another config."""


class CheckpointWarning(UserWarning):
    """A damaged checkpoint was skipped; training resumes from an older one."""


def _key(path: Any) -> str:
    return jax.tree_util.keystr(path)


def _is_key_array(x: Any) -> bool:
    return isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def _fsync(path: pathlib.Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot fsync a directory
        pass
    finally:
        os.close(fd)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Writes ``text`` to ``path`` through a fsynced temporary file and a rename."""
    path = pathlib.Path(path)
    tmp = path.with_name(f".tmp_{path.name}.{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync(path.parent)


def _sha256(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def list_checkpoints(workdir: str | os.PathLike) -> list[pathlib.Path]:
    """Checkpoint folders ``checkpoints/step_N`` in ``workdir``, oldest first.

    Every renamed-into-place folder is listed, damaged or not; use
    :func:`restore_latest` to load the newest good one.
    """
    root = pathlib.Path(workdir) / "checkpoints"
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if _STEP_DIR.fullmatch(p.name) and p.is_dir()]
    return sorted(found, key=lambda p: int(p.name.split("_")[1]))


def _remove(path: pathlib.Path) -> None:
    """Renames ``path`` out of the listing first, so a crash mid-delete leaves no half folder."""
    trash = path.with_name(f".trash_{path.name}")
    shutil.rmtree(trash, ignore_errors=True)
    try:
        os.replace(path, trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def save_checkpoint(
    workdir: str | os.PathLike, state: Any, step: int, meta: dict, keep: int = 2
) -> pathlib.Path:
    """Writes ``state`` (host arrays) and ``meta`` for ``step``; keeps the newest ``keep``."""
    root = pathlib.Path(workdir) / "checkpoints"
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob(".t*_step_*"):  # leftovers of a crash: .tmp_* and .trash_*
        shutil.rmtree(stale, ignore_errors=True)
    final = root / f"step_{step:08d}"
    tmp = root / f".tmp_step_{step:08d}"
    tmp.mkdir()
    leaves = jax.tree_util.tree_flatten_with_path(state)[0]
    arrays = {
        _key(p): np.asarray(jax.random.key_data(x) if _is_key_array(x) else x) for p, x in leaves
    }
    with open(tmp / _ARRAYS, "wb") as f:
        np.savez(f, **arrays)  # type: ignore[arg-type]
        f.flush()
        os.fsync(f.fileno())
    record = {**meta, "step": step, "arrays_sha256": _sha256(tmp / _ARRAYS)}
    with open(tmp / _META, "w", encoding="utf-8") as f:
        f.write(json.dumps(record, indent=1))
        f.flush()
        os.fsync(f.fileno())
    _fsync(tmp)
    if final.exists():
        _remove(final)
    os.replace(tmp, final)
    _fsync(root)
    for old in list_checkpoints(workdir)[:-keep]:
        _remove(old)
    return final


def latest_checkpoint(workdir: str | os.PathLike) -> pathlib.Path | None:
    """The newest checkpoint folder (not checked; see :func:`restore_latest`), or ``None``."""
    found = list_checkpoints(workdir)
    return found[-1] if found else None


def _read_meta(path: pathlib.Path) -> dict:
    file = path / _META
    try:
        meta = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {path}: {file.name} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"checkpoint {file}: unreadable metadata ({e})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("step"), int):
        raise CheckpointError(f"checkpoint {file}: metadata lacks an integer 'step'")
    m = _STEP_DIR.fullmatch(path.name)
    if m and int(m.group(1)) != meta["step"]:
        raise CheckpointError(f"checkpoint {file}: step {meta['step']} but folder {path.name}")
    return meta


def restore_checkpoint(path: str | os.PathLike, template: Any) -> tuple[Any, dict]:
    """Loads a checkpoint into the structure of ``template``; returns (state, meta).

    Raises:
      CheckpointError: a missing or damaged file (the message names it), a
        checksum mismatch, object arrays (never unpickled), or arrays whose
        keys or shapes do not match ``template``.
    """
    path = pathlib.Path(path)
    meta = _read_meta(path)
    file = path / _ARRAYS
    if not file.is_file():
        raise CheckpointError(f"checkpoint {path}: {_ARRAYS} is missing")
    expected = meta.get("arrays_sha256")
    if expected is not None and _sha256(file) != expected:
        raise CheckpointError(f"checkpoint {file}: checksum mismatch (truncated or damaged)")
    leaves, treedef = jax.tree_util.tree_flatten_with_path(template)
    restored = []
    try:
        with np.load(file, allow_pickle=False) as data:
            for p, x in leaves:
                key = _key(p)
                if key not in data.files:
                    raise CheckpointError(
                        f"checkpoint {file} lacks {key}; was it written by another config?"
                    )
                arr = data[key]
                want = jax.random.key_data(x) if _is_key_array(x) else np.asarray(x)
                if arr.shape != want.shape:
                    raise CheckpointError(
                        f"checkpoint {file}: {key} has shape {arr.shape}, expected {want.shape}"
                    )
                arr = arr.astype(want.dtype)
                if _is_key_array(x):
                    arr = jax.random.wrap_key_data(arr, impl=jax.random.key_impl(x))
                restored.append(arr)
            extra = set(data.files) - {_key(p) for p, _ in leaves}
    except CheckpointError:
        raise
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as e:
        raise CheckpointError(f"checkpoint {file}: cannot be read ({e})") from None
    if extra:
        raise CheckpointError(
            f"checkpoint {file} has arrays the state lacks ({sorted(extra)[0]}, ...); "
            "was it written by another config?"
        )
    return jax.tree_util.tree_unflatten(treedef, restored), meta


def restore_latest(
    workdir: str | os.PathLike, template: Any, move_bad: bool = True
) -> tuple[Any, dict, pathlib.Path] | None:
    """Restores the newest checkpoint that loads; ``None`` when ``workdir`` has none.

    A damaged newer checkpoint is skipped with a :class:`CheckpointWarning` naming
    the file and, with ``move_bad``, renamed to ``checkpoints/corrupt_step_N``
    (kept for inspection, out of the way of later saves).

    Returns:
      ``(state, meta, path)`` of the checkpoint restored, or ``None``.

    Raises:
      CheckpointError: checkpoints exist but none loads; the message lists why.
    """
    found = list_checkpoints(workdir)
    errors = []
    for path in reversed(found):
        try:
            state, meta = restore_checkpoint(path, template)
        except CheckpointError as e:
            errors.append(str(e))
            warnings.warn(f"skipping damaged checkpoint: {e}", CheckpointWarning, stacklevel=2)
            continue
        for bad in found[found.index(path) + 1 :] if move_bad else []:
            quarantine(bad)
        return state, meta, path
    if errors:
        raise CheckpointError(
            f"no usable checkpoint in {pathlib.Path(workdir) / 'checkpoints'}: " + "; ".join(errors)
        )
    return None


def quarantine(path: str | os.PathLike) -> pathlib.Path:
    """Renames a damaged checkpoint folder ``step_N`` to ``corrupt_step_N``; returns it."""
    path = pathlib.Path(path)
    target = path.with_name(f"corrupt_{path.name}")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(path, target)
    return target


def _flat(tree: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(tree, dict):
        return {prefix.rstrip("."): tree}
    out: dict[str, Any] = {}
    for k, v in tree.items():
        out.update(_flat(v, f"{prefix}{k}."))
    return out


def config_changes(
    old: dict, new: dict, ignore: tuple[str, ...] = ("train.quiet", "parallel.")
) -> list[str]:
    """``key: old -> new`` for every dotted config key that differs (keys in ``ignore`` skipped).

    Resuming with a changed config is allowed (say, more steps), but the result
    is no longer the uninterrupted run of either config; the loop warns with this.
    """
    a, b = _flat(old), _flat(new)
    keys = sorted(k for k in a.keys() | b.keys() if not k.startswith(ignore))
    return [f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in keys if a.get(k) != b.get(k)]
