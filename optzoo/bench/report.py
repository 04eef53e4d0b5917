"""Benchmark report: ``DIR/report.md``, ``DIR/report.html`` (PNGs embedded) and PNG plots.

The report is built from the store alone, so it can be regenerated at any time,
also while runners are still adding results.
"""

from __future__ import annotations

import base64
import datetime
import glob
import html
import json
import math
import os
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import numpy as np

from optzoo.bench.config import TargetSpec
from optzoo.bench.metrics import (
    TABLE_METRICS,
    aggregate_seeds,
    integrated_score,
    performance_profile,
    performance_ratios,
    select_best_trials,
    trial_key,
    tuneability,
)
from optzoo.bench.stats import LEVEL, indistinguishable, median_interval, score_interval
from optzoo.bench.store import DB_NAME as DB
from optzoo.bench.store import Store

__all__ = [
    "build_report",
    "R_MAX",
    "study_table",
    "study_grid",
    "question_blocks",
    "DEFAULT_TABLE",
]

R_MAX = 4.0  # performance-profile horizon, as in AlgoPerf
Block = tuple  # ("h1"|"h2"|"p", text) | ("table", headers, rows) | ("img", file, caption)


def _f(x: Any, fmt: str = ".3g") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, float) and math.isinf(x):
        return "not reached"
    return format(x, fmt)


def _spread(row: dict, key: str, fmt: str = ".3g", scale: float = 1.0) -> str:
    med, lo, hi = (row.get(key + s, math.nan) for s in ("", "_min", "_max"))
    if isinstance(med, float) and math.isfinite(med) and row["n"] > 1:
        return f"{_f(med * scale, fmt)} [{_f(lo * scale, fmt)}, {_f(hi * scale, fmt)}]"
    return _f(med * scale if isinstance(med, float) and math.isfinite(med) else med, fmt)


def _hp(d: dict) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in d.items())


def _model(m: dict) -> str:
    if m["name"] != "mlp":
        return f"{m['name']} {m.get('options') or ''}".strip()
    return f"{m['name']} (width {m['width']}, depth {m['depth']}, {m['activation']})"


def _device(d: str) -> str:
    """``cpu:cpu x1 (model, 2 cores)`` -> ``1 CPU device (model, 2 cores)``."""
    head, _, rest = d.partition(" (")
    platform, _, kind_n = head.partition(":")
    kind, _, n = kind_n.rpartition(" x")
    if not n.isdigit():
        return d
    what = f"{platform.upper()} device" if kind.lower() == platform.lower() else kind
    plural = "s" if int(n) != 1 and what.endswith("device") else ""
    return f"{n} {what}{plural}" + (f" ({rest}" if rest else "")


def _have_matplotlib() -> bool:
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, directory: str, name: str) -> str:
    fig.tight_layout()
    fig.savefig(os.path.join(directory, name), dpi=90)
    _plt().close(fig)
    return name


def _best_curves(wl: str, best: dict, runs: list, curves: dict) -> dict[str, np.ndarray]:
    """Optimizer -> the curve of its best trial's first seed on workload ``wl``."""
    out = {}
    for (w, opt), row in sorted(best.items()):
        if w != wl:
            continue
        mine = [r for r in runs if r["workload"] == wl and r["optimizer"] == opt]
        mine = [r for r in mine if trial_key(r) == row["key"] and r["id"] in curves]
        if mine:
            out[opt] = np.array(curves[min(mine, key=lambda r: r["seed"])["id"]], dtype=float)
    return out


def identical_curves(by_opt: dict[str, np.ndarray]) -> list[list[str]]:
    """Groups of optimizers whose curves are the same numbers (one line hides the others)."""
    groups: list[list[str]] = []
    for opt, c in by_opt.items():
        for g in groups:
            other = by_opt[g[0]]
            if other.shape == c.shape and np.array_equal(other, c, equal_nan=True):
                g.append(opt)
                break
        else:
            groups.append([opt])
    return [g for g in groups if len(g) > 1]


def _plot_curves(directory: str, wl: str, by_opt: dict[str, np.ndarray], target: TargetSpec) -> str:
    plt = _plt()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for opt, c in by_opt.items():
        (line,) = ax1.plot(c[:, 0], c[:, 2], label=opt)
        ax2.plot(c[:, 0], c[:, 4], color=line.get_color(), label=opt)
    target_ax = {"train_loss": ax1, "eval_accuracy": ax2}.get(target.metric)
    if target_ax is not None:
        target_ax.axhline(target.value, color="k", ls="--", lw=0.8, label="target")
    ax1.set(xlabel="step", ylabel="train loss", yscale="log", title=f"{wl}: train loss")
    ax2.set(xlabel="step", ylabel="eval accuracy", title=f"{wl}: eval accuracy")
    ax2.legend(fontsize=7, ncol=2)
    return _save(fig, directory, f"curves_{wl}.png")


def _plot_profile(directory: str, times: dict) -> str:
    plt = _plt()
    taus = np.linspace(1.0, R_MAX, 300)
    prof = performance_profile(times, taus)
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for opt, rho in sorted(prof.items()):
        ax.step(taus, rho, where="post", label=opt)
    ax.set(xlabel="tau (time-to-target ratio to the fastest)", ylabel="fraction of workloads")
    ax.set(ylim=(-0.02, 1.02), title="Performance profile")
    ax.legend(fontsize=7, ncol=2)
    return _save(fig, directory, "performance_profile.png")


def _plot_lr(directory: str, rows: list, runs: list, targets: dict) -> str:
    plt = _plt()
    wls = sorted({r["workload"] for r in rows})
    lr_of = {
        (r["workload"], r["optimizer"], trial_key(r)): r["resolved_hyperparameters"] for r in runs
    }
    fig, axes = plt.subplots(1, len(wls), figsize=(5 * len(wls), 3.8), squeeze=False)
    for ax, wl in zip(axes[0], wls, strict=True):
        t = targets[wl]
        key = "best_eval_accuracy" if t.metric == "eval_accuracy" else "best_eval_loss"
        pts: dict[str, list] = defaultdict(list)
        for r in rows:
            lr = lr_of.get((wl, r["optimizer"], r["key"]), {}).get("learning_rate")
            if r["workload"] == wl and isinstance(lr, int | float):
                pts[r["optimizer"]].append((float(lr), r[key]))
        for opt, p in sorted(pts.items()):
            p.sort()
            ax.plot([a for a, _ in p], [b for _, b in p], "o-", label=opt, markersize=4)
        ax.set(xscale="log", xlabel="learning rate", ylabel=key.replace("_", " "), title=wl)
        ax.legend(fontsize=7, ncol=2)
    return _save(fig, directory, "lr_sensitivity.png")


def _lr_count(rows: list, runs: list) -> int:
    """The most learning rates any optimizer was run with on one workload."""
    lrs: dict[tuple, set] = defaultdict(set)
    for r in runs:
        lr = (r["resolved_hyperparameters"] or {}).get("learning_rate")
        if isinstance(lr, int | float):
            lrs[(r["workload"], r["optimizer"])].add(float(lr))
    return max((len(v) for v in lrs.values()), default=0)


def _plot_ttt(directory: str, times: dict) -> str:
    plt = _plt()
    opts = sorted(times)
    wls = sorted({w for per in times.values() for w in per})
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.35 * len(opts) * len(wls) + 1))
    height = 0.8 / max(len(wls), 1)
    for j, wl in enumerate(wls):
        ys = np.arange(len(opts)) + j * height
        vals = [times[o].get(wl, math.inf) for o in opts]
        finite = [v if math.isfinite(v) else 0.0 for v in vals]
        ax.barh(ys, finite, height=height, label=wl)
        for y, v in zip(ys, vals, strict=True):
            if not math.isfinite(v):
                ax.text(0, y, " not reached", va="center", fontsize=7)
    ax.set_yticks(np.arange(len(opts)) + 0.4 - height / 2, opts)
    ax.set(xlabel="time to target (s, compile included)", title="Time to target (best trial)")
    ax.legend(fontsize=7)
    return _save(fig, directory, "time_to_target.png")


DEFAULT_TABLE = ("best_eval_accuracy", "steps_to_target", "time_to_target_s", "final_train_loss")
MISSING = "—"


def _study_value(x: Any, fmt: str, scale: float, inner: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return MISSING
    if isinstance(x, float) and math.isinf(x):
        return "n.r." if inner else "not reached"
    return format(x * scale, fmt)


def _study_cell(row: dict, key: str, interval: str = "range") -> str:
    """Median over seeds, with [min, max] (or the bootstrap interval: ``interval="ci"``)
    when several seeds differ."""
    _, fmt, scale = TABLE_METRICS[key]
    med, lo, hi = (row.get(key + s, math.nan) for s in ("", "_min", "_max"))
    if interval == "ci" and "seed_values" in row:
        lo, hi = median_interval(row["seed_values"][key])
    text = _study_value(med, fmt, scale)
    finite = [v for v in (lo, hi) if isinstance(v, float) and not math.isnan(v)]
    if row["n"] > 1 and len(finite) == 2:
        a, b = _study_value(lo, fmt, scale, True), _study_value(hi, fmt, scale, True)
        if a != b:
            text += f" [{a}, {b}]"
    return text


def _suite_runs(runs: list, meta_entry: dict) -> list:
    jobs = set(meta_entry.get("jobs", []))
    return [r for r in runs if r["config_hash"] in jobs] if jobs else list(runs)


def _best_trials(runs: list, config: dict) -> tuple[list[dict], dict[tuple[str, str], dict]]:
    """(seed-aggregated rows, best trial per (workload, optimizer)) of a study suite's runs."""
    targets = {r["workload"]: TargetSpec(**r["job"]["workload"]["target"]) for r in runs}
    rows = aggregate_seeds(runs)
    select_by = config.get("tuning", {}).get("select_by", "time")
    return rows, select_best_trials(rows, targets, by=select_by)


def study_table(runs: list, config: dict) -> tuple[list[str], list[list[str]]]:
    """The study table of one suite: a row per (workload, optimizer label), its best trial.

    ``config`` is the suite configuration as a mapping (``dataclasses.asdict`` of
    a :class:`~optzoo.bench.config.SuiteConfig`); its ``table`` names the metric
    columns (``DEFAULT_TABLE`` when empty). Values are medians over seeds with
    [min, max] when several seeds differ; "not reached" marks a missed target,
    "—" a value the run does not have.
    """
    keys = list(config.get("table") or DEFAULT_TABLE)
    rows, chosen = _best_trials(runs, config)
    best: dict[tuple, dict] = dict(chosen)
    if config.get("table_trials") == "all":
        best = {(r["workload"], r["optimizer"], r["key"]): r for r in rows}
    trials: dict[tuple, int] = defaultdict(int)
    for r in rows:
        trials[(r["workload"], r["optimizer"])] += 1
    tuned = any(n > 1 for n in trials.values())
    wl_order = [w["name"] for w in config.get("workloads", [])]
    opt_order = [o.get("label") or o["name"] for o in config.get("optimizers", [])]

    def order(key: tuple) -> tuple:
        wl, opt = key[:2]
        hp = sorted((k, str(v)) for k, v in best[key]["hyperparameters"].items())
        return (
            wl_order.index(wl) if wl in wl_order else len(wl_order),
            opt_order.index(opt) if opt in opt_order else len(opt_order),
            wl,
            opt,
            [(k, float(v)) if _is_num(v) else (k, v) for k, v in hp],
        )

    trial_header = "trial" if config.get("table_trials") == "all" else "best trial"
    headers = ["workload", "optimizer"] + ([trial_header] if tuned else [])
    headers += [TABLE_METRICS[k][0] for k in keys] + ["seeds ok/div/fail"]
    table = []
    for key in sorted(best, key=order):
        row = best[key]
        cells = [key[0], key[1]] + ([_hp(row["hyperparameters"])] if tuned else [])
        cells += [_study_cell(row, k, config.get("interval", "range")) for k in keys]
        cells.append(f"{row['n_ok']}/{row['n_diverged']}/{row['n_failed']}")
        table.append(cells)
    return headers, table


# Metrics whose seeds decide whether two optimizers differ (report notes, study notes).
DISTINGUISH = ("time_to_target_s", "steps_to_target", "final_train_loss", "final_eval_loss")


def distinguish_note(best_rows: list[dict], keys: tuple[str, ...] = DISTINGUISH) -> str | None:
    """ "Not distinguishable" pairs among one workload's best rows, per metric (None if none).

    A pair is listed when the bootstrap interval of the difference of its medians over
    seeds contains 0 (:func:`optzoo.bench.stats.indistinguishable`). Rows with one seed
    are left out: one seed tells nothing about noise.
    """
    multi = [r for r in best_rows if r.get("n", 1) > 1 and "seed_values" in r]
    if len(multi) < 2:
        return None
    parts = []
    for key in keys:
        values = {r["optimizer"]: r["seed_values"].get(key, []) for r in multi}
        if all(all(v is None or math.isnan(v) for v in vs) for vs in values.values()):
            continue
        pairs = indistinguishable(values)
        if pairs:
            label = TABLE_METRICS[key][0]
            parts.append(f"{label}: " + ", ".join(f"{a} ~ {b}" for a, b in pairs))
    if not parts:
        return None
    return (
        f"Not distinguishable (the {LEVEL:.0%} bootstrap interval of the difference of medians "
        "over seeds contains 0): " + "; ".join(parts) + "."
    )


def budget_note(rows: list[dict]) -> str:
    """The tuning budget: trials per (workload, optimizer), and whether it is equal."""
    trials: dict[tuple[str, str], int] = defaultdict(int)  # rows are trials (seeds merged)
    for r in rows:
        trials[(r["optimizer"], r["workload"])] += 1
    per: dict[str, int] = {}
    for (opt, _), n in trials.items():
        per[opt] = max(per.get(opt, 0), n)
    counts = sorted(set(per.values()))
    if len(counts) == 1:
        n = counts[0]
        plural = "s" if n != 1 else ""
        return f"Tuning budget: {n} trial{plural} per optimizer and workload (equal)."
    detail = ", ".join(f"{o} {n}" for o, n in sorted(per.items()))
    return f"Tuning budget: UNEQUAL trials per optimizer and workload ({detail})."


def study_grid(runs: list, config: dict) -> tuple[list[str], list[list[str]]] | None:
    """``grid_metric`` as a workload (rows) x optimizer label (columns) table, or None."""
    metric = config.get("grid_metric")
    if not metric:
        return None
    _, best = _best_trials(runs, config)
    targets = {w for w, _ in best}
    names = [w["name"] for w in config.get("workloads", [])]
    wls = [w for w in names if w in targets] + sorted(targets - set(names))
    labels = [o.get("label") or o["name"] for o in config.get("optimizers", [])]
    opts = [o for o in labels if any(k[1] == o for k in best)]
    opts += sorted({k[1] for k in best} - set(opts))
    rows = [
        [w] + [_study_cell(best[(w, o)], metric) if (w, o) in best else MISSING for o in opts]
        for w in wls
    ]
    return [f"{TABLE_METRICS[metric][0]} (workload × optimizer)", *opts], rows


def _is_num(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def question_blocks(runs: list, meta: dict) -> list[Block]:
    """The report's opening "Question" section: per study suite, its question and table."""
    blocks: list[Block] = []
    for key, value in sorted(meta.items()):
        config = value.get("config", {}) if key.startswith("suite:") else {}
        if not config.get("question"):
            continue
        mine = _suite_runs(runs, value)
        if not mine:
            continue
        blocks.append(("h2", "Question"))
        blocks.append(("p", config["question"]))
        headers, table = study_table(mine, config)
        blocks.append(("table", headers, table))
        agg, chosen = _best_trials(mine, config)
        for wl in sorted({w for w, _ in chosen}):
            note = distinguish_note([r for (w, _), r in sorted(chosen.items()) if w == wl])
            if note:
                blocks.append(("p", f"{wl}: {note}"))
        grid = study_grid(mine, config)
        if grid is not None:
            blocks.append(("table", *grid))
        seeds = config.get("seeds", [])
        select_by = config.get("tuning", {}).get("select_by", "time")
        blocks.append(
            (
                "p",
                f"Suite `{config['name']}`: medians over {len(seeds)} seed(s) {list(seeds)}"
                + (
                    (
                        f" with the {LEVEL:.0%} bootstrap interval of the median"
                        if config.get("interval") == "ci"
                        else " with [min, max]"
                    )
                    if len(seeds) > 1
                    else ""
                )
                + (
                    "; a row per trial"
                    if config.get("table_trials") == "all"
                    else f"; best trial per row by {select_by}"
                )
                + ". Training time and time to target: wall seconds from before compilation, "
                "evaluation excluded. " + budget_note(agg),
            )
        )
    return blocks


def _render_md(blocks: list[Block]) -> str:
    out = []
    for b in blocks:
        if b[0] == "h1":
            out.append(f"# {b[1]}\n")
        elif b[0] == "h2":
            out.append(f"## {b[1]}\n")
        elif b[0] == "p":
            out.append(f"{b[1]}\n")
        elif b[0] == "table":
            out.append("| " + " | ".join(b[1]) + " |")
            out.append("|" + "---|" * len(b[1]))
            out.extend("| " + " | ".join(str(c) for c in row) + " |" for row in b[2])
            out.append("")
        elif b[0] == "img":
            out.append(f"![{b[2]}]({b[1]})\n")
    return "\n".join(out)


def _render_html(blocks: list[Block], directory: str) -> str:
    e = html.escape
    out = [
        "<!doctype html><html><head><meta charset='utf-8'><title>optzoo benchmark</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;"
        "padding:2px 6px}img{max-width:100%}</style></head><body>",
    ]
    for b in blocks:
        if b[0] in ("h1", "h2"):
            out.append(f"<{b[0]}>{e(b[1])}</{b[0]}>")
        elif b[0] == "p":
            out.append(f"<p>{e(b[1])}</p>")
        elif b[0] == "table":
            out.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in b[1]) + "</tr>")
            for row in b[2]:
                out.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>")
            out.append("</table>")
        elif b[0] == "img":
            with open(os.path.join(directory, b[1]), "rb") as f:
                data = base64.b64encode(f.read()).decode()
            out.append(f"<figure><img alt='{e(b[2])}' src='data:image/png;base64,{data}'>")
            out.append(f"<figcaption>{e(b[2])}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out)


def _protocol_blocks(meta: dict) -> list[Block]:
    blocks: list[Block] = [("h2", "Protocol and budget")]
    for key, value in sorted(meta.items()):
        if not key.startswith("suite:"):
            continue
        b = value["budget"]
        text = (
            f"Suite `{key[6:]}`: protocol **{b['protocol']}** (best trial by "
            f"{b.get('select_by', 'time')}), seeds {b['seeds']}, "
            f"workloads {b['workloads']}"
            + (f", size `{value['config']['size']}`" if value.get("config", {}).get("size") else "")
            + "."
        )
        if b.get("skipped_optimizers"):
            text += f" Skipped (not in the registry): {b['skipped_optimizers']}."
        blocks.append(("p", text))
        rows = [
            [o, n, b["steps_per_optimizer"][o], json.dumps(b["search_space"].get(o, {}))]
            for o, n in b["trials_per_optimizer"].items()
        ]
        header = ["optimizer", "trials", "training steps in all", "search space"]
        blocks.append(("table", header, rows))
        blocks.append(
            (
                "p",
                "Training steps in all = trials x seeds x the steps of every workload "
                "(each workload's own step count is in its section).",
            )
        )
    return blocks


def build_report(directory: str | os.PathLike) -> list[str]:
    """Writes the report files into ``directory``; returns their paths."""
    directory = os.fspath(directory)
    if not os.path.exists(os.path.join(directory, "bench.sqlite")):
        if glob.glob(os.path.join(glob.escape(directory), "shard-*-of-*", "bench.sqlite")):
            raise FileNotFoundError(
                f"{directory}: no bench.sqlite, but shards (shard-K-of-N/bench.sqlite); merge "
                f"them first: optzoo bench merge {directory} --out MERGED"
            )
        raise FileNotFoundError(f"{directory}: no bench.sqlite (run `optzoo bench run` first)")
    store = Store(directory)
    try:
        runs, curves, meta = store.runs(), store.curves(), store.meta()
        csvs = store.export_csv()
    finally:
        store.close()
    current = {h for k, v in meta.items() if k.startswith("suite:") for h in v.get("jobs", [])}
    stale = [r for r in runs if current and r["config_hash"] not in current]
    runs = [r for r in runs if not current or r["config_hash"] in current]
    if not runs:
        raise ValueError(f"{directory}: no finished runs yet")
    targets = {r["workload"]: TargetSpec(**r["job"]["workload"]["target"]) for r in runs}
    rows = aggregate_seeds(runs)
    budgets = [v["budget"] for k, v in sorted(meta.items()) if k.startswith("suite:")]
    select_by = budgets[0].get("select_by", "time") if budgets else "time"
    best = select_best_trials(rows, targets, by=select_by)
    opts = sorted({r["optimizer"] for r in rows})
    wls = sorted(targets)
    times = {o: {w: best[(w, o)]["time_to_target_s"] for w in wls if (w, o) in best} for o in opts}
    steps = {o: {w: best[(w, o)]["steps_to_target"] for w in wls if (w, o) in best} for o in opts}
    scores = integrated_score(times, R_MAX)
    step_scores = integrated_score(steps, R_MAX)

    def cells(key: str) -> dict:
        return {
            o: {w: best[(w, o)]["seed_values"][key] for w in wls if (w, o) in best} for o in opts
        }

    def score_fn(t: Mapping[str, Mapping[str, float]]) -> Mapping[str, float]:
        return integrated_score(t, R_MAX)

    score_ci = score_interval(cells("time_to_target_s"), score_fn)
    step_score_ci = score_interval(cells("steps_to_target"), score_fn)
    ratios = performance_ratios(times)
    status: dict[str, int] = defaultdict(int)
    for r in runs:
        status[r["status"]] += 1
    devices = sorted({r["device"] for r in runs if r["device"]})
    versions = runs[-1]["versions"]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    plots = _have_matplotlib()
    blocks: list[Block] = [("h1", "optzoo benchmark report"), *question_blocks(runs, meta)]
    blocks += [
        ("h2", "Runs"),
        ("p", f"{len(runs)} finished runs ({dict(status)}); generated {now}."),
        ("p", f"Device: {'; '.join(map(_device, devices))}. Versions: {json.dumps(versions)}."),
        (
            "p",
            "Time to target is wall-clock training time from before compilation (compile "
            "time included, evaluation excluded) to the first evaluation meeting the target; "
            "medians over seeds with [min, max]; a seed that misses counts as not reached.",
        ),
    ]
    if stale:
        blocks.append(
            (
                "p",
                f"{len(stale)} runs in {DB} from earlier versions of the suite configuration are "
                "not shown (they stay in the store and the CSV export).",
            )
        )
    blocks += _protocol_blocks(meta)
    blocks.append(("h2", "Integrated score (AlgoPerf-style performance profile)"))
    blocks.append(
        (
            "p",
            f"Best trial per workload and optimizer; score = area under the performance profile "
            f"for tau in [1, {R_MAX:g}], normalised to 1 (fastest everywhere). 'score' uses "
            "wall-clock time to target (compile included), 'score (steps)' the step count "
            "(hardware- and compile-free; on tiny workloads compile time dominates the clock). "
            f"The {LEVEL:.0%} intervals resample every cell's seeds (bootstrap, 500 draws) and "
            "rescore; with one seed per cell they are a single point.",
        )
    )
    score_rows = []
    for o in sorted(opts, key=lambda o: -scores.get(o, 0.0)):
        reached = sum(math.isfinite(t) for t in times[o].values())
        rs = [f"{w}: {_f(ratios[o][w], '.2f')}" for w in wls if w in ratios[o]]
        score_rows.append(
            [
                o,
                f"{scores.get(o, 0.0):.3f}",
                f"{step_scores.get(o, 0.0):.3f}",
                f"{reached}/{len(wls)}",
                "; ".join(rs),
                "[{:.3f}, {:.3f}]".format(*score_ci.get(o, (math.nan, math.nan))),
                "[{:.3f}, {:.3f}]".format(*step_score_ci.get(o, (math.nan, math.nan))),
            ]
        )
    blocks.append(
        (
            "table",
            [
                "optimizer",
                "score",
                "score (steps)",
                "targets reached",
                "time ratio to fastest",
                f"score {LEVEL:.0%} interval",
                f"score (steps) {LEVEL:.0%} interval",
            ],
            score_rows,
        )
    )
    blocks.append(("p", budget_note(rows)))
    for wl in wls:
        t = targets[wl]
        spec = next(r["job"]["workload"] for r in runs if r["workload"] == wl)
        blocks.append(("h2", f"Workload {wl}"))
        blocks.append(
            (
                "p",
                f"Data {spec['data']['name']}, model {_model(spec['model'])}, "
                f"batch {spec['batch_size']}, "
                f"{spec['steps']} steps; target {t.metric} {'>=' if t.mode == 'max' else '<='} "
                f"{t.value:g}.",
            )
        )
        table = []
        mine = sorted((row for (w, _), row in best.items() if w == wl), key=lambda r: r["_rank"])
        for row in mine:
            table.append(
                [
                    row["optimizer"],
                    _hp(row["hyperparameters"]),
                    f"{row['n_ok']}/{row['n_diverged']}/{row['n_failed']}",
                    _spread(row, "time_to_target_s", ".2f"),
                    _spread(row, "steps_to_target", ".0f"),
                    _spread(row, "best_eval_accuracy", ".4f"),
                    _spread(row, "final_eval_accuracy", ".4f"),
                    _spread(row, "final_train_loss", ".3g"),
                    _spread(row, "median_step_time_s", ".3g", 1e3),
                    _spread(row, "compile_time_s", ".2f"),
                    _f(row["state_bytes"] / 1024, ".1f"),
                ]
            )
        blocks.append(
            (
                "table",
                [
                    "optimizer",
                    "hyperparameters",
                    "ok/div/fail",
                    "time to target s",
                    "steps to target",
                    "best eval acc",
                    "final eval acc",
                    "final train loss",
                    "step ms",
                    "compile s",
                    "state KiB",
                ],
                table,
            )
        )
        note = distinguish_note(mine)
        if note:
            blocks.append(("p", note))
        by_opt = _best_curves(wl, best, runs, curves)
        for group in identical_curves(by_opt):
            names = ", ".join(group)
            blocks.append(("p", f"{names}: identical curves on {wl} (drawn on top of each other)."))
        if plots:
            caption = f"{wl}: best trial per optimizer, first seed"
            blocks.append(("img", _plot_curves(directory, wl, by_opt, t), caption))
    tune = tuneability(rows, targets)
    if any(v["trials"] > 1 for v in tune.values()):
        blocks.append(("h2", "Tuneability"))
        blocks.append(
            (
                "p",
                "Expected best score (median over seeds of the best eval metric) "
                "after k random trials from the tried configurations, averaged "
                "over workloads (Sivaprasad et al. 2020).",
            )
        )
        blocks.append(
            (
                "table",
                ["optimizer", "trials", "k=1", "k=4", "all", "trials reaching target"],
                [
                    [
                        o,
                        f"{v['trials']:.0f}",
                        _f(v["k1"], ".4f"),
                        _f(v["k4"], ".4f"),
                        _f(v["kall"], ".4f"),
                        f"{v['frac_reach_target']:.2f}",
                    ]
                    for o, v in sorted(tune.items(), key=lambda kv: -kv[1]["k1"])
                ],
            )
        )
    blocks.append(("h2", "Plots"))
    if not plots:
        blocks.append(
            ("p", "Plots skipped: matplotlib is not installed (pip install 'optzoo[bench]').")
        )
    else:
        blocks.append(("img", _plot_profile(directory, times), "performance profile"))
        blocks.append(("img", _plot_ttt(directory, times), "time to target"))
        if _lr_count(rows, runs) > 1:
            lr_plot = _plot_lr(directory, rows, runs, targets)
            blocks.append(("img", lr_plot, "learning-rate sensitivity"))
        else:
            blocks.append(
                (
                    "p",
                    "No learning-rate sensitivity plot: every optimizer ran at one learning rate "
                    "(protocol defaults, or a search space without learning_rate).",
                )
            )
    failed = [r for r in runs if r["status"] == "failed"]
    if failed:
        blocks.append(("h2", "Failed runs"))
        blocks.append(
            (
                "table",
                ["workload", "optimizer", "seed", "error"],
                [
                    [
                        r["workload"],
                        r["optimizer"],
                        r["seed"],
                        (r["error"] or "").splitlines()[0][:160],
                    ]
                    for r in failed
                ],
            )
        )
    paths = [os.path.join(directory, "report.md"), os.path.join(directory, "report.html")]
    with open(paths[0], "w", encoding="utf-8") as f:
        f.write(_render_md(blocks))
    with open(paths[1], "w", encoding="utf-8") as f:
        f.write(_render_html(blocks, directory))
    pngs = [os.path.join(directory, b[1]) for b in blocks if b[0] == "img"]
    return paths + pngs + csvs
