"""Sweeps across machines: shards of a suite, and merging their stores.

``optzoo bench run CONFIG --out DIR --shard K/N`` (``K`` numbered from 1 to ``N``)
runs the jobs of shard ``K`` into ``DIR/shard-K-of-N/bench.sqlite``, so shards
that share a file system never write the same file.

Assignment: the suite's distinct job keys (config hashes, SHA-256 of everything
that determines a result) are sorted, and the ``i``-th (from 0) goes to shard
``i % N + 1``. The rule depends only on the suite, never on the machine, the
order of expansion or Python's hash seed; shard sizes differ by at most one and
every job is in exactly one shard.

``optzoo bench merge DIR... --out MERGED`` combines stores into one: a job
recorded identically in several stores (the same store merged twice) is one row;
different results for the same job key keep one by a fixed rule
(:func:`preference`) and are listed.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import pathlib
import re
import shutil
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar

from optzoo.bench.store import DB_NAME, FINISHED, Store

__all__ = [
    "MergeSummary",
    "ShardError",
    "assign_shards",
    "find_stores",
    "merge_stores",
    "parse_shard",
    "select_shard",
    "shard_dir",
]

SHARD_META = "shard"  # meta key of a shard's store: {"shard": "K/N", "jobs": [...]}
MERGE_META = "merged_from"  # meta key of a merged store: the stores it was made from
_SHARD_RE = re.compile(r"shard-(\d+)-of-(\d+)")
_SQLITE_HEADER = b"SQLite format 3\x00"


class _Keyed(Protocol):
    @property
    def config_hash(self) -> str: ...


J = TypeVar("J", bound=_Keyed)


class ShardError(ValueError):
    """A bad ``--shard`` value; the message names the flag."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> ``(K, N)`` with ``1 <= K <= N``; else :class:`ShardError`."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not m:
        raise ShardError(
            f"--shard {text!r}: expected K/N, shard K of N numbered from 1 "
            "(e.g. --shard 2/4 for the second of four)"
        )
    k, n = int(m.group(1)), int(m.group(2))
    if n < 1:
        raise ShardError(f"--shard {text}: the shard count N must be at least 1")
    if not 1 <= k <= n:
        hint = " (for a 0-based index I pass $((I + 1))/N)" if k == 0 else ""
        raise ShardError(f"--shard {text}: K must be in 1..{n}; shards are numbered from 1{hint}")
    return k, n


def shard_dir(out: str | os.PathLike, k: int, n: int) -> str:
    """Where shard ``k`` of ``n`` keeps its store: ``OUT/shard-k-of-n``."""
    return os.path.join(os.fspath(out), f"shard-{k}-of-{n}")


def assign_shards(keys: Iterable[str], n: int) -> dict[str, int]:
    """Job key -> shard (1..n): the ``i``-th of the sorted distinct keys goes to ``i % n + 1``."""
    return {key: i % n + 1 for i, key in enumerate(sorted(set(keys)))}


def select_shard(jobs: Sequence[J], k: int, n: int) -> list[J]:
    """The jobs of shard ``k`` of ``n`` (each has a ``config_hash``), in suite order."""
    where = assign_shards((j.config_hash for j in jobs), n)
    return [j for j in jobs if where[j.config_hash] == k]


# --------------------------------------------------------------------------- merge
def find_stores(path: str | os.PathLike) -> list[str]:
    """The store files of one ``merge`` argument.

    ``path`` is a bench directory (``DIR/bench.sqlite``), a sharded run's
    directory (every ``DIR/shard-K-of-N/bench.sqlite``), or a store file.
    """
    p = os.fspath(path)
    if not os.path.exists(p):
        raise FileNotFoundError(f"{p}: no such directory")
    if os.path.isfile(p):
        return [p]
    own = os.path.join(p, DB_NAME)
    if os.path.isfile(own):
        return [own]
    found = []  # (N, K, store) of every DIR/shard-K-of-N/bench.sqlite
    for name in os.listdir(p):
        m = _SHARD_RE.fullmatch(name)
        if m and os.path.isfile(os.path.join(p, name, DB_NAME)):
            found.append((int(m.group(2)), int(m.group(1)), os.path.join(p, name, DB_NAME)))
    shards = [store for _, _, store in sorted(found)]
    if not shards:
        raise FileNotFoundError(
            f"{p}: no {DB_NAME} and no shard-K-of-N/{DB_NAME} inside; not an optzoo bench output"
        )
    return shards


def missing_shards(paths: Sequence[str]) -> list[str]:
    """``"K/N"`` for every shard of a count seen in ``paths`` that none of them holds."""
    seen: dict[int, set[int]] = {}
    for p in paths:
        found = _SHARD_RE.findall(p)
        if found:
            k, n = map(int, found[-1])
            seen.setdefault(n, set()).add(k)
    return [f"{k}/{n}" for n, ks in sorted(seen.items()) for k in range(1, n + 1) if k not in ks]


@dataclasses.dataclass
class _Source:
    path: str
    runs: list[dict]  # finished rows, without id, each with "_curve"
    meta: dict[str, Any]
    unfinished: int


def _read(path: str) -> _Source:
    """Reads a store file (read-only); errors name the path."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(_SQLITE_HEADER))
    except OSError as e:
        raise FileNotFoundError(f"{path}: cannot read ({e.strerror})") from e
    if head != _SQLITE_HEADER:
        raise ValueError(f"{path}: not an SQLite database; not an optzoo bench store")
    uri = pathlib.Path(path).resolve().as_uri()
    try:
        try:
            conn = sqlite3.connect(uri + "?mode=ro", uri=True)
            conn.execute("SELECT 1 FROM sqlite_master").fetchall()
        except sqlite3.OperationalError:  # a read-only directory without the WAL side files
            conn = sqlite3.connect(uri + "?immutable=1", uri=True)
        conn.row_factory = sqlite3.Row
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise ValueError(f"{path}: corrupt store (SQLite integrity check failed)")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if not {"runs", "curves", "meta"} <= tables:
                raise ValueError(f"{path}: not an optzoo bench store (no runs/curves/meta tables)")
            rows = [dict(r) for r in conn.execute("SELECT * FROM runs ORDER BY id")]
            curves: dict[int, list[tuple]] = {}
            for r in conn.execute(
                "SELECT run_id, step, wall_time, train_loss, eval_loss, eval_accuracy"
                " FROM curves ORDER BY run_id, step"
            ):
                curves.setdefault(r[0], []).append(tuple(r[1:]))
            meta = {r["key"]: json.loads(r["value"]) for r in conn.execute("SELECT * FROM meta")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise ValueError(f"{path}: corrupt store ({e})") from e
    finished = []
    for r in rows:
        if r["status"] not in FINISHED:
            continue
        r["_curve"] = curves.get(r.pop("id"), [])
        finished.append(r)
    return _Source(path, finished, meta, len(rows) - len(finished))


def _digest(run: dict) -> str:
    blob = json.dumps(run, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def preference(run: dict) -> tuple:
    """Sort key of conflicting results of one job; the smallest is kept.

    A finished result (``ok`` or ``diverged``, both final) beats ``failed`` (an
    error a rerun may not repeat); then the newest (``finished_at``); then the
    content digest, so the choice never depends on the order of the stores.
    """
    return (run["status"] == "failed", -(run.get("finished_at") or 0.0), _digest(run))


@dataclasses.dataclass
class MergeSummary:
    """What ``merge_stores`` did."""

    stores: list[str]
    runs: int = 0
    duplicates: int = 0  # identical copies of a run dropped
    conflicts: list[str] = dataclasses.field(default_factory=list)
    unfinished: int = 0  # claims without a result ('running'), not merged
    suites: dict[str, tuple[int, int]] = dataclasses.field(default_factory=dict)  # done, total
    warnings: list[str] = dataclasses.field(default_factory=list)


def _when(t: float | None) -> str:
    if not t:
        return "unknown time"
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _merge_meta(sources: list[_Source], summary: MergeSummary) -> dict[str, Any]:
    values: dict[str, dict[str, list[str]]] = {}  # key -> value json -> paths
    for s in sources:
        for key, value in s.meta.items():
            if key in (SHARD_META, MERGE_META):
                continue
            blob = json.dumps(value, sort_keys=True, default=str)
            values.setdefault(key, {}).setdefault(blob, []).append(s.path)
    meta = {}
    for key, by_value in sorted(values.items()):
        ranked = sorted(by_value.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        meta[key] = json.loads(ranked[0][0])
        if len(ranked) > 1:
            summary.warnings.append(
                f"meta {key} differs between stores; kept the one in {len(ranked[0][1])} of "
                f"them ({ranked[0][1][0]}), dropped the one in {', '.join(ranked[1][1])}"
                + (f" and {len(ranked) - 2} more" if len(ranked) > 2 else "")
            )
    return meta


def merge_stores(dirs: Sequence[str | os.PathLike], out: str | os.PathLike) -> MergeSummary:
    """Merges the stores of ``dirs`` (and what ``out`` already holds) into ``out/bench.sqlite``.

    One row per job key. Identical copies collapse; conflicting results keep the
    one :func:`preference` ranks first (the others are listed in
    ``MergeSummary.conflicts``). Unfinished claims are not merged. Rows are written
    in suite order (the order of the ``jobs`` lists in the stores' metadata), so a
    merged sharded run orders its runs as the unsharded run does. The new store
    replaces ``out/bench.sqlite`` only once it is complete.
    """
    out = os.fspath(out)
    paths = [p for d in dirs for p in find_stores(d)]
    summary = MergeSummary(stores=paths)
    for m in missing_shards(paths):
        summary.warnings.append(f"shard {m} is not among the merged stores")
    target = os.path.join(out, DB_NAME)
    sources = [_read(p) for p in paths]
    if os.path.isfile(target) and not any(os.path.samefile(target, p) for p in paths):
        sources.append(_read(target))  # merging into an earlier merge adds to it
    summary.unfinished = sum(s.unfinished for s in sources)

    by_key: dict[str, dict[str, tuple[dict, str]]] = {}  # hash -> digest -> (run, path)
    for s in sources:
        for run in s.runs:
            copies = by_key.setdefault(run["config_hash"], {})
            d = _digest(run)
            if d in copies:
                summary.duplicates += 1
            else:
                copies[d] = (run, s.path)
    meta = _merge_meta(sources, summary)
    order: dict[str, int] = {}
    for key, value in sorted(meta.items()):
        if key.startswith("suite:") and isinstance(value, dict):
            for h in value.get("jobs", []):
                order.setdefault(h, len(order))
    kept = []
    for h, copies in by_key.items():
        ranked = sorted(copies.values(), key=lambda rp: preference(rp[0]))
        kept.append(ranked[0][0])
        if len(ranked) > 1:
            run, path = ranked[0]
            dropped = "; ".join(
                f"{r['status']} finished {_when(r.get('finished_at'))} in {where}"
                for r, where in ranked[1:]
            )
            summary.conflicts.append(
                f"job {h} ({run['workload']}/{run['optimizer']} t{run['trial']} s{run['seed']}): "
                f"kept {run['status']} finished {_when(run.get('finished_at'))} in {path}; "
                f"dropped {dropped}"
            )
    kept.sort(key=lambda r: (order.get(r["config_hash"], len(order)), r["config_hash"]))
    summary.runs = len(kept)
    done = {r["config_hash"] for r in kept}
    for key, value in sorted(meta.items()):
        if key.startswith("suite:") and isinstance(value, dict) and "jobs" in value:
            jobs = set(value["jobs"])
            summary.suites[key[6:]] = (len(jobs & done), len(jobs))
    earlier = [p for s in sources for p in (s.meta.get(MERGE_META) or []) if isinstance(p, str)]
    meta[MERGE_META] = sorted({os.path.abspath(p) for p in [*paths, *earlier]})
    _write(out, kept, meta)
    return summary


def _write(out: str, runs: list[dict], meta: dict[str, Any]) -> None:
    """Writes a new store in a scratch folder of ``out``, then moves it over ``out``'s."""
    os.makedirs(out, exist_ok=True)
    scratch = os.path.join(out, f".merge-{os.getpid()}")
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        _replace(out, scratch, runs, meta)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _replace(out: str, scratch: str, runs: list[dict], meta: dict[str, Any]) -> None:
    store = Store(scratch)
    try:
        columns = {r[1] for r in store.conn.execute("PRAGMA table_info(runs)")} - {"id"}
        with store.transaction() as c:
            for i, run in enumerate(runs, start=1):
                row = {k: v for k, v in run.items() if k in columns}
                cols = ["id", *row]
                c.execute(
                    f"INSERT INTO runs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    [i, *row.values()],
                )
                c.executemany(
                    "INSERT INTO curves VALUES (?,?,?,?,?,?)", [(i, *r) for r in run["_curve"]]
                )
            c.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [(k, json.dumps(v, sort_keys=True, default=str)) for k, v in sorted(meta.items())],
            )
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    target = os.path.join(out, DB_NAME)
    if os.path.isfile(target):  # fold its WAL in and close it, so no stale -wal outlives it
        conn = sqlite3.connect(target)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    for side in ("-wal", "-shm"):
        for base in (target, os.path.join(scratch, DB_NAME)):
            if os.path.exists(base + side):
                os.remove(base + side)
    os.replace(os.path.join(scratch, DB_NAME), target)
