"""SQLite result store: one file ``DIR/bench.sqlite`` (WAL mode), safe for concurrent runners.

Tables:

* ``runs``: one row per job, keyed by its config hash (UNIQUE); status is
  ``running`` while a process holds it (with ``owner`` and a ``heartbeat``),
  then ``ok``, ``diverged`` or ``failed``.
* ``curves``: (run id, step) -> wall time, train loss, eval loss, eval accuracy.
* ``meta``: suite configurations and tuning budgets, keyed by suite name.

A runner claims a job inside ``BEGIN IMMEDIATE`` (one writer at a time), so two
processes never run the same job; a claim whose owner stopped heartbeating (or
whose process on this host is gone) is taken over.
"""

from __future__ import annotations

import csv
import json
import math
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Store", "DB_NAME", "owner_id"]

DB_NAME = "bench.sqlite"
FINISHED = ("ok", "diverged", "failed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    config_hash TEXT NOT NULL UNIQUE,
    suite TEXT, workload TEXT NOT NULL, optimizer TEXT NOT NULL, registry_name TEXT,
    trial INTEGER, seed INTEGER, hyperparameters TEXT, resolved_hyperparameters TEXT,
    job TEXT, status TEXT NOT NULL, metrics TEXT, error TEXT,
    compile_time_s REAL, wall_time_s REAL, median_step_time_s REAL, state_bytes INTEGER,
    versions TEXT, device TEXT, owner TEXT, heartbeat REAL, started_at REAL, finished_at REAL
);
CREATE TABLE IF NOT EXISTS curves (
    run_id INTEGER NOT NULL REFERENCES runs(id), step INTEGER NOT NULL, wall_time REAL,
    train_loss REAL, eval_loss REAL, eval_accuracy REAL, PRIMARY KEY (run_id, step)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_dead(owner: str | None) -> bool:
    """True when ``owner`` is a process on this host that no longer exists."""
    if not owner or ":" not in owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _num(x: Any) -> Any:
    return None if isinstance(x, float) and not math.isfinite(x) else x


class Store:
    """The result database of one benchmark directory."""

    def __init__(self, directory: str | os.PathLike, lease_s: float = 120.0):
        os.makedirs(directory, exist_ok=True)
        self.directory = os.fspath(directory)
        self.path = os.path.join(self.directory, DB_NAME)
        self.lease_s = lease_s
        self.conn = self._connect()
        self.conn.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=60000")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self, conn: sqlite3.Connection | None = None) -> Iterator[sqlite3.Connection]:
        c = conn or self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            yield c
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")

    # ------------------------------------------------------------------ claims
    def claim(self, job: Any, suite: str, owner: str, retry_failed: bool = False) -> tuple:
        """Atomically claims ``job``: ('claimed', run_id) | ('done', status) | ('busy', owner)."""
        from optzoo.bench.config import resolved_hyperparameters

        now = time.time()
        h = job.config_hash
        with self.transaction() as c:
            row = c.execute(
                "SELECT id, status, owner, heartbeat FROM runs WHERE config_hash=?", (h,)
            ).fetchone()
            if row is None:
                cur = c.execute(
                    "INSERT INTO runs (config_hash, suite, workload, optimizer, registry_name,"
                    " trial, seed, hyperparameters, resolved_hyperparameters, job, status, owner,"
                    " heartbeat, started_at) VALUES (?,?,?,?,?,?,?,?,?,?,'running',?,?,?)",
                    (
                        h,
                        suite,
                        job.workload.name,
                        job.label,
                        job.optimizer,
                        job.trial,
                        job.seed,
                        json.dumps(job.hyperparameters, sort_keys=True, default=str),
                        json.dumps(
                            resolved_hyperparameters(job.optimizer, job.hyperparameters),
                            sort_keys=True,
                            default=str,
                        ),
                        json.dumps(job.spec(), sort_keys=True, default=str),
                        owner,
                        now,
                        now,
                    ),
                )
                return "claimed", int(cur.lastrowid or 0)
            status = row["status"]
            if status in FINISHED and not (retry_failed and status == "failed"):
                return "done", status
            stale = (now - (row["heartbeat"] or 0.0)) > self.lease_s or _owner_dead(row["owner"])
            if status == "running" and not stale:
                return "busy", row["owner"]
            c.execute(
                "UPDATE runs SET status='running', owner=?, heartbeat=?, started_at=?, error=NULL"
                " WHERE id=?",
                (owner, now, now, row["id"]),
            )
            c.execute("DELETE FROM curves WHERE run_id=?", (row["id"],))
            return "claimed", int(row["id"])

    def heartbeat(self, run_id: int, owner: str, conn: sqlite3.Connection | None = None) -> None:
        with self.transaction(conn) as c:
            c.execute(
                "UPDATE runs SET heartbeat=? WHERE id=? AND owner=? AND status='running'",
                (time.time(), run_id, owner),
            )

    def release(self, run_id: int, owner: str) -> None:
        """Gives a claim back unfinished (e.g. on Ctrl-C) so another runner can take it."""
        with self.transaction() as c:
            c.execute(
                "UPDATE runs SET heartbeat=0 WHERE id=? AND owner=? AND status='running'",
                (run_id, owner),
            )

    def finish(self, run_id: int, owner: str, result: Any, versions: dict, device: str) -> None:
        """Records a finished run and its curve in one transaction."""
        m = result.metrics
        with self.transaction() as c:
            c.execute("DELETE FROM curves WHERE run_id=?", (run_id,))
            c.executemany(
                "INSERT OR REPLACE INTO curves VALUES (?,?,?,?,?,?)",
                [(run_id, int(r[0]), *(_num(float(v)) for v in r[1:])) for r in result.curve],
            )
            c.execute(
                "UPDATE runs SET status=?, metrics=?, error=?, compile_time_s=?, wall_time_s=?,"
                " median_step_time_s=?, state_bytes=?, versions=?, device=?, finished_at=?,"
                " heartbeat=? WHERE id=?",
                (
                    result.status,
                    json.dumps(m, sort_keys=True),
                    result.error or None,
                    _num(result.compile_time_s),
                    _num(m.get("wall_time_s")),
                    _num(m.get("median_step_time_s")),
                    result.state_bytes,
                    json.dumps(versions, sort_keys=True),
                    device,
                    time.time(),
                    time.time(),
                    run_id,
                ),
            )

    # ------------------------------------------------------------------ reading
    def set_meta(self, key: str, value: Any) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO meta VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, json.dumps(value, sort_keys=True, default=str)),
            )

    def meta(self) -> dict[str, Any]:
        return {r["key"]: json.loads(r["value"]) for r in self.conn.execute("SELECT * FROM meta")}

    def runs(self, finished_only: bool = True) -> list[dict]:
        q = "SELECT * FROM runs"
        if finished_only:
            q += " WHERE status IN ('ok', 'diverged', 'failed')"
        out = []
        for r in self.conn.execute(q + " ORDER BY id"):
            d = dict(r)
            for k in ("hyperparameters", "resolved_hyperparameters", "job", "metrics", "versions"):
                d[k] = json.loads(d[k]) if d[k] else {}
            out.append(d)
        return out

    def curves(self) -> dict[int, list[tuple]]:
        out: dict[int, list[tuple]] = {}
        for r in self.conn.execute("SELECT * FROM curves ORDER BY run_id, step"):
            out.setdefault(r["run_id"], []).append(
                (r["step"], r["wall_time"], r["train_loss"], r["eval_loss"], r["eval_accuracy"])
            )
        return out

    def counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT status, COUNT(*) AS n FROM runs GROUP BY status")
        return {r["status"]: r["n"] for r in rows}

    def integrity_ok(self) -> bool:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def export_csv(self) -> list[str]:
        """Writes ``runs.csv`` (metrics flattened) and ``curves.csv``; returns their paths."""
        runs = self.runs()
        mkeys = sorted({k for r in runs for k in r["metrics"]})
        base = ["id", "config_hash", "suite", "workload", "optimizer", "registry_name", "trial"]
        base += ["seed", "status", "hyperparameters", "device"]
        p_runs = os.path.join(self.directory, "runs.csv")
        with open(p_runs, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(base + mkeys)
            for r in runs:
                hp = json.dumps(r["hyperparameters"], sort_keys=True)
                w.writerow(
                    [r[k] if k != "hyperparameters" else hp for k in base]
                    + [r["metrics"].get(k) for k in mkeys]
                )
        p_curves = os.path.join(self.directory, "curves.csv")
        by_id = {r["id"]: r for r in runs}
        with open(p_curves, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(
                ["run_id", "workload", "optimizer", "trial", "seed", "step", "wall_time_s"]
                + ["train_loss", "eval_loss", "eval_accuracy"]
            )
            for rid, rows in self.curves().items():
                if rid not in by_id:
                    continue
                r = by_id[rid]
                for row in rows:
                    w.writerow([rid, r["workload"], r["optimizer"], r["trial"], r["seed"], *row])
        return [p_runs, p_curves]
