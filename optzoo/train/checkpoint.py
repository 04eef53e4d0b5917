"""Checkpoints with orbax-checkpoint plus JSON metadata (no pickle), written atomically.

``DIR/checkpoints/step_00000100/{state/, meta.json}``. ``state/`` is a plain
orbax PyTree checkpoint of the train state as nested dicts keyed by pytree path
(``step``, ``params/Dense_0/kernel``, ``opt_state/0/mu/...``), so a user's own
script opens it with ``orbax.checkpoint.PyTreeCheckpointer().restore(".../state")``;
optzoo restores it into a freshly created state of the same config under any data-parallel strategy.

A checkpoint is written into ``checkpoints/.tmp_step_*``, every file and the
folder are fsynced, and only then is the folder renamed to ``step_*``: a
crash leaves either the whole checkpoint or none. ``meta.json`` records the
SHA-256 of every file under ``state/``; :func:`restore_latest` checks them, skips
a damaged checkpoint with a warning that names the file, and resumes from the
newest one that loads. Checkpoints of earlier optzoo versions (``arrays.npz``)
are still read, with ``allow_pickle=False``: a file holding object arrays is
refused, never unpickled.
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
from collections.abc import Mapping
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
_ARRAYS, _META, _STATE = "arrays.npz", "meta.json", "state"
_FORMAT = "orbax-pytree"


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


def _entry(k: Any) -> str:
    for attr in ("key", "name", "idx"):
        if hasattr(k, attr):
            return str(getattr(k, attr))
    return str(k)


def _slash_path(path: Any) -> str:
    """A pytree path as ``params/Dense_0/kernel``: the key of a leaf in the orbax tree."""
    return "/".join(_entry(k) for k in path)


def _host_tree(state: Any) -> dict:
    """``state`` as nested dicts of NumPy arrays keyed by pytree path: the tree orbax writes.

    Any pytree works (Flax structs, optax named tuples, registered dataclasses);
    PRNG keys are stored as their ``uint32`` key data.
    """
    tree: dict = {}
    for path, x in jax.tree_util.tree_flatten_with_path(state)[0]:
        node = tree
        names = [_entry(k) for k in path] or ["value"]
        for name in names[:-1]:
            node = node.setdefault(name, {})
        node[names[-1]] = np.asarray(jax.random.key_data(x) if _is_key_array(x) else x)
    return tree


def _state_files(folder: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _checkpointer() -> Any:
    """An orbax PyTree checkpointer that involves this process only.

    The train loop hands host (NumPy) arrays to one process, the lead, which writes
    alone; orbax's default would wait at a barrier for every process of a
    ``jax.distributed`` job, and the others never come.
    """
    import orbax.checkpoint as ocp

    me = jax.process_index()
    alone = ocp.options.MultiprocessingOptions(primary_host=me, active_processes={me})
    handler = ocp.PyTreeCheckpointHandler(multiprocessing_options=alone)
    return ocp.Checkpointer(handler, multiprocessing_options=alone)


def save_checkpoint(
    workdir: str | os.PathLike, state: Any, step: int, meta: dict, keep: int = 2
) -> pathlib.Path:
    """Writes ``state`` (host arrays) and ``meta`` for ``step``; keeps the newest ``keep``.

    ``step_N/state`` is an orbax-checkpoint PyTree checkpoint of the state as nested
    dicts keyed by pytree path (PRNG keys as their ``uint32`` data);
    ``step_N/meta.json`` holds ``meta``, the step and the SHA-256 of every file of it.
    """
    root = pathlib.Path(workdir) / "checkpoints"
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob(".t*_step_*"):  # leftovers of a crash: .tmp_* and .trash_*
        shutil.rmtree(stale, ignore_errors=True)
    final = root / f"step_{step:08d}"
    tmp = root / f".tmp_step_{step:08d}"
    tmp.mkdir()
    _checkpointer().save((tmp / _STATE).absolute(), _host_tree(state))
    sums = {}
    for file in _state_files(tmp / _STATE):
        _fsync(file)
        sums[file.relative_to(tmp).as_posix()] = _sha256(file)
    for folder in sorted({f.parent for f in _state_files(tmp / _STATE)}):
        _fsync(folder)
    record = {**meta, "step": step, "format": _FORMAT, "files_sha256": sums}
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

    Reads the orbax format (``state/``) and the ``.npz`` format of earlier optzoo
    versions (``arrays.npz``).

    Raises:
      CheckpointError: a missing or damaged file (the message names it), a
        checksum mismatch, object arrays (never unpickled), or arrays whose
        keys or shapes do not match ``template``.
    """
    path = pathlib.Path(path)
    meta = _read_meta(path)
    if (path / _ARRAYS).exists() and not (path / _STATE).exists():
        return _restore_npz(path, meta, template), meta
    folder = path / _STATE
    sums = meta.get("files_sha256")
    if not folder.is_dir():
        raise CheckpointError(f"checkpoint {path}: {_STATE}/ is missing")
    if not isinstance(sums, dict) or not sums:
        raise CheckpointError(f"checkpoint {path / _META}: no file checksums")
    for rel, expected in sums.items():
        file = path / rel
        if not file.is_file():
            raise CheckpointError(f"checkpoint {file}: missing")
        if _sha256(file) != expected:
            raise CheckpointError(f"checkpoint {file}: checksum mismatch (truncated or damaged)")
    try:
        stored = _checkpointer().restore(folder.absolute())
    except Exception as e:  # noqa: BLE001 - orbax/tensorstore raise many kinds
        raise CheckpointError(f"checkpoint {folder}: cannot be read ({e})") from None
    flat = {_slash_path(p): x for p, x in jax.tree_util.tree_flatten_with_path(stored)[0]}
    where = str(folder)
    leaves, treedef = jax.tree_util.tree_flatten_with_path(template)
    keys = [_slash_path(p) or "value" for p, _ in leaves]
    restored = [_conform(where, k, flat, x) for k, (_, x) in zip(keys, leaves, strict=True)]
    extra = set(flat) - set(keys)
    if extra:
        raise CheckpointError(
            f"checkpoint {where} has arrays the state lacks ({sorted(extra)[0]}, ...); "
            "was it written by another config?"
        )
    return jax.tree_util.tree_unflatten(treedef, restored), meta


def _conform(where: str, key: str, stored: Mapping[str, Any], like: Any) -> Any:
    """The stored array ``key`` with the dtype (and key type) of the template leaf ``like``."""
    if key not in stored:
        raise CheckpointError(f"checkpoint {where} lacks {key}; was it written by another config?")
    arr: Any = np.asarray(stored[key])
    want = jax.random.key_data(like) if _is_key_array(like) else np.asarray(like)
    if arr.shape != want.shape:
        raise CheckpointError(
            f"checkpoint {where}: {key} has shape {arr.shape}, expected {want.shape}"
        )
    arr = arr.astype(want.dtype)
    if _is_key_array(like):
        return jax.random.wrap_key_data(arr, impl=jax.random.key_impl(like))
    return arr


def _restore_npz(path: pathlib.Path, meta: dict, template: Any) -> Any:
    """The ``arrays.npz`` format of optzoo 0.1 checkpoints (read, never written now)."""
    file = path / _ARRAYS
    expected = meta.get("arrays_sha256")
    if expected is not None and _sha256(file) != expected:
        raise CheckpointError(f"checkpoint {file}: checksum mismatch (truncated or damaged)")
    leaves, treedef = jax.tree_util.tree_flatten_with_path(template)
    try:
        with np.load(file, allow_pickle=False) as data:
            stored = {k: data[k] for k in data.files}
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as e:
        raise CheckpointError(f"checkpoint {file}: cannot be read ({e})") from None
    restored = [_conform(str(file), _key(p), stored, x) for p, x in leaves]
    extra = set(stored) - {_key(p) for p, _ in leaves}
    if extra:
        raise CheckpointError(
            f"checkpoint {file} has arrays the state lacks ({sorted(extra)[0]}, ...); "
            "was it written by another config?"
        )
    return jax.tree_util.tree_unflatten(treedef, restored)


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
