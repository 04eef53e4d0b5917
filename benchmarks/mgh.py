"""The Moré-Garbow-Hillstrom set: optzoo.minimize / least_squares against scipy, jaxopt, optimistix.

Every ``minimize`` method and both ``least_squares`` methods run on the 35 problems of
:mod:`optzoo.second_order.mgh_problems` (standard starts, float64), next to their
counterparts in scipy.optimize, jaxopt and optimistix when those are installed (a peer that
is not installed is skipped and the report says so). For each run: whether the problem was
solved, whether the solver claimed success at a point failing the first-order test
("false success"), evaluations, warm time and compile time.

* Solved: the final objective :math:`F = \\sum r_i^2` is within ``1e-4 |f*| + 1e-7`` of
  the paper's minimum ``f*`` (the same test for every solver, whatever it reports).
* First-order test (checked here with JAX on the returned point): ``minimize`` methods
  ``|grad F|_inf <= 1e-5`` (scipy's ``gtol``); least squares ``|J^T r|_inf <= 1e-8`` or the
  largest cosine between ``r`` and a column of ``J`` ``<= 1e-8`` (scipy ``lm``'s ``gtol``).
* Warm time: the best of the timed calls (``--repeats``), which follow the first call and
  ``--warmup`` untimed ones (default 5: on the 2-core VM the first four or five calls of a
  freshly compiled program, optzoo's and the peers' alike, take 1.2-10x the steady time).
  Each solve is timed called from Python as a user calls it (optimistix's through its own
  jit wrapper; jaxopt's ``solver.run`` under ``jax.jit``, as its documentation calls it)
  and, for optzoo and optimistix, also inside a jitted function returning
  ``(x, success, nfev)`` ("in jit"). Compile time: the direct call's first call
  minus its warm time (scipy has none; it calls the jitted objective / gradient / Hessian
  through NumPy, compiled once per problem before timing).
* Tolerances (default run): optzoo and scipy use their defaults (``gtol=1e-5`` minimize;
  ``ftol = xtol = gtol = 1e-8`` least squares); jaxopt ``tol=1e-5`` (its gradient-norm
  test); optimistix ``rtol = atol = 1e-8`` (its Cauchy test on ``f`` and ``x``). Iteration
  cap ``max(1000, 200 n)`` for every solver. ``--gtol G`` (a matched-tolerance run) gives
  every gradient-norm test the same ``G``: optzoo ``tol``, scipy ``gtol`` (L-BFGS-B also
  ``ftol=0``, so its objective-decrease stop does not end the run first; Newton-CG has no
  gradient test and keeps its default), jaxopt ``tol``; optimistix keeps ``rtol = atol =
  1e-8``.

One process compiles several thousand solvers over the whole set; on a machine with the
default ``vm.max_map_count`` (65530) LLVM can then fail with "Cannot allocate memory" near
the end. Run the problems in ranges (``--problems``) and combine them with ``--merge``.

``--sync-dispatch`` runs every JAX solve on the calling thread
(``jax_cpu_enable_async_dispatch=False``). By default XLA CPU runs a program inline only
when its static cost estimate is under 1000 flops (each loop body counted once) and hands
any other to a worker thread, a few to 20 microseconds per call here; the peers' smaller
programs stay under that line on more problems, so the default run measures the dispatch
path as well as the solve.

Usage: ``PYTHONPATH=. python benchmarks/mgh.py [--problems 1,10] [--methods bfgs,lm]
[--peers scipy,jaxopt,optimistix] [--repeats 2] [--warmup 5] [--gtol 1e-8] [--sync-dispatch]
[--name mgh_cpu] [--out benchmarks/results]``
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine_info  # noqa: E402

from optzoo.second_order import (  # noqa: E402
    LEAST_SQUARES_METHODS,
    MINIMIZE_METHODS,
    least_squares,
    minimize,
)
from optzoo.second_order.mgh_problems import MGH_PROBLEMS, MGHProblem  # noqa: E402

GTOL_MIN = 1e-5
# ``--gtol``: the gradient tolerance every minimize solver gets (None: each one's default).
MATCHED = {"gtol": None}
WARMUP = [5]  # untimed calls between the first (compiling) call and the timed ones
GTOL_LS = 1e-8

# optzoo method -> peer method names (None: the peer has no counterpart)
SCIPY = {
    "bfgs": "BFGS", "lbfgs": "L-BFGS-B", "ncg": "CG", "newton-cg": "Newton-CG",
    "trust-ncg": "trust-ncg", "trust-exact": "trust-exact", "lm": "lm",
}  # fmt: skip
JAXOPT = {
    "bfgs": "BFGS", "lbfgs": "LBFGS", "ncg": "NonlinearCG", "lm": "LevenbergMarquardt",
    "gauss-newton": "GaussNewton",
}  # fmt: skip
OPTIMISTIX = {
    "bfgs": "BFGS", "lbfgs": "LBFGS", "ncg": "NonlinearCG", "lm": "LevenbergMarquardt",
    "gauss-newton": "GaussNewton",
}  # fmt: skip


def maxiter(p: MGHProblem) -> int:
    return max(1000, 200 * p.n)


def solved(p: MGHProblem, f: float) -> bool:
    return bool(np.isfinite(f) and f <= p.fstar + 1e-4 * abs(p.fstar) + 1e-7)


def first_order(p: MGHProblem, x, ls: bool) -> tuple[bool, float]:
    """The first-order test at ``x`` (see the module docstring) and ``|grad F|_inf``."""
    x = jnp.asarray(x)
    if ls:
        r = p.residual(x)
        j = jax.jacfwd(p.residual)(x)
        g = np.asarray(j.T @ r)
        denom = np.asarray(jnp.sqrt(jnp.sum(j * j, axis=0)) * jnp.linalg.norm(r))
        cos = np.where(denom > 0, np.abs(g) / np.where(denom > 0, denom, 1.0), 0.0)
        gn = float(np.max(np.abs(g)))
        return bool(gn <= GTOL_LS or np.max(cos) <= GTOL_LS), gn
    gn = float(np.max(np.abs(np.asarray(jax.grad(p.objective)(x)))))
    return bool(gn <= GTOL_MIN), gn


def _time(call, repeats):
    t0 = time.perf_counter()
    out = call()
    first = time.perf_counter() - t0
    for _ in range(WARMUP[0]):
        call()
    warm = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = call()
        warm.append(time.perf_counter() - t0)
    best = min(warm) if warm else first
    return out, best, max(first - best, 0.0)


# ---------------------------------------------------------------------------------- optzoo
def run_optzoo(p: MGHProblem, method: str, repeats: int) -> dict:
    x0 = jnp.asarray(p.x0)

    def solve(y0):
        if method in LEAST_SQUARES_METHODS:
            return least_squares(p.residual, y0, method=method, maxiter=maxiter(p))
        return minimize(p.objective, y0, method=method, maxiter=maxiter(p), tol=MATCHED["gtol"])

    res, warm, comp = _time(lambda: jax.block_until_ready(solve(x0)), repeats)
    # The same solve inside a jitted function returning (x, success, nfev), as the JAX peers
    # are timed: no Python wrapper, three outputs. Both times are reported.
    in_jit = jax.jit(lambda y0: (lambda r: (r.x, r.success, r.nfev))(solve(y0)))
    _, warm_jit, _ = _time(lambda: jax.block_until_ready(in_jit(x0)), repeats)
    f = float(p.objective(res.x))
    return {
        "f": f, "claimed": bool(res.success), "status": int(res.status),
        "nfev": int(res.nfev), "nit": int(res.nit), "warm_s": warm, "compile_s": comp,
        "warm_jit_s": warm_jit, "x": res.x,
    }  # fmt: skip


# ----------------------------------------------------------------------------------- scipy
class _ScipyFns:
    def __init__(self, p: MGHProblem):
        self.f = jax.jit(p.objective)
        self.g = jax.jit(jax.grad(p.objective))
        self.h = jax.jit(jax.hessian(p.objective))
        self.hvp = jax.jit(lambda x, v: jax.jvp(jax.grad(p.objective), (x,), (v,))[1])
        self.r = jax.jit(p.residual)
        self.j = jax.jit(jax.jacfwd(p.residual))
        x0 = jnp.asarray(p.x0)
        for fn in (self.f, self.g, self.h, self.r, self.j):
            fn(x0).block_until_ready()
        self.hvp(x0, x0).block_until_ready()


def run_scipy(p: MGHProblem, method: str, fns: _ScipyFns, repeats: int) -> dict:
    import scipy.optimize as so

    name = SCIPY[method]
    x0 = np.asarray(p.x0)
    if name == "lm":

        def call():
            return so.least_squares(
                lambda x: np.asarray(fns.r(x)), x0, jac=lambda x: np.asarray(fns.j(x)),
                method="lm", max_nfev=maxiter(p),
            )  # fmt: skip
    else:
        kw: dict = {"jac": lambda x: np.asarray(fns.g(x))}
        if name in ("Newton-CG", "trust-ncg"):
            kw["hessp"] = lambda x, v: np.asarray(fns.hvp(x, v))
        if name == "trust-exact":
            kw["hess"] = lambda x: np.asarray(fns.h(x))

        options: dict = {"maxiter": maxiter(p)}
        if MATCHED["gtol"] is not None and name != "Newton-CG":
            options["gtol"] = MATCHED["gtol"]
            if name == "L-BFGS-B":
                options["ftol"] = 0.0

        def call():
            with np.errstate(all="ignore"):
                return so.minimize(
                    lambda x: float(fns.f(x)), x0, method=name, options=options, **kw
                )  # fmt: skip

    res, warm, _ = _time(call, repeats)
    return {
        "f": float(p.objective(jnp.asarray(res.x))), "claimed": bool(res.success),
        "status": int(res.status), "nfev": int(res.nfev), "nit": int(getattr(res, "nit", -1)),
        "warm_s": warm, "compile_s": 0.0, "x": res.x,
    }  # fmt: skip


# ---------------------------------------------------------------------------------- jaxopt
def run_jaxopt(p: MGHProblem, method: str, repeats: int) -> dict:
    import jaxopt

    name = JAXOPT[method]
    cls = getattr(jaxopt, name)
    if method in LEAST_SQUARES_METHODS:
        solver = cls(residual_fun=p.residual, tol=GTOL_LS, maxiter=maxiter(p))
    else:
        solver = cls(fun=p.objective, tol=MATCHED["gtol"] or GTOL_MIN, maxiter=maxiter(p))
    run = jax.jit(solver.run)
    x0 = jnp.asarray(p.x0)
    # jaxopt's documented call is a jitted run (called directly it traces again on every
    # call: 0.2-0.8 s per solve on the MGH problems tried), so both warm times are its.
    (x, state), warm, comp = _time(lambda: jax.block_until_ready(run(x0)), repeats)
    nit = int(state.iter_num)
    nfev = int(getattr(state, "num_fun_eval", nit + 1))
    err = float(state.error)
    return {
        "f": float(p.objective(x)), "claimed": bool(np.isfinite(err) and err <= solver.tol),
        "status": 0, "nfev": nfev, "nit": nit, "warm_s": warm, "compile_s": comp,
        "warm_jit_s": warm, "x": x,
    }  # fmt: skip


# ------------------------------------------------------------------------------ optimistix
def run_optimistix(p: MGHProblem, method: str, repeats: int) -> dict:
    import optimistix as optx

    solver = getattr(optx, OPTIMISTIX[method])(rtol=1e-8, atol=1e-8)
    x0 = jnp.asarray(p.x0)
    if method in LEAST_SQUARES_METHODS:
        entry, fn = optx.least_squares, lambda y, _: p.residual(y)
    else:
        entry, fn = optx.minimise, lambda y, _: p.objective(y)

    def solve(y0):
        return entry(fn, solver, y0, max_steps=maxiter(p), throw=False)

    @jax.jit
    def run(y0):
        sol = solve(y0)
        return sol.value, sol.result == optx.RESULTS.successful, sol.stats["num_steps"]

    # Called directly, as optzoo's warm and compile times are: through optimistix's own jit
    # wrapper; then inside a jitted function, as optzoo's warm time in jit is.
    _, warm, comp = _time(lambda: jax.block_until_ready(solve(x0).value), repeats)
    (x, ok, steps), warm_jit, _ = _time(lambda: jax.block_until_ready(run(x0)), repeats)
    return {
        "f": float(p.objective(x)), "claimed": bool(ok), "status": 0, "nfev": int(steps) + 1,
        "nit": int(steps), "warm_s": warm, "compile_s": comp, "warm_jit_s": warm_jit, "x": x,
    }  # fmt: skip


PEERS = {"scipy": SCIPY, "jaxopt": JAXOPT, "optimistix": OPTIMISTIX}


def _installed(peer: str) -> str | None:
    """The installed version of ``peer`` (a distribution name), or None."""
    try:
        return importlib.metadata.version(peer)
    except importlib.metadata.PackageNotFoundError:
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", default="", help="comma-separated numbers (default: all 35)")
    ap.add_argument("--methods", default="", help="comma-separated optzoo methods (default all)")
    ap.add_argument("--peers", default="scipy,jaxopt,optimistix")
    ap.add_argument("--repeats", type=int, default=2, help="timed calls after the warm-up")
    ap.add_argument(
        "--warmup", type=int, default=5, help="untimed calls after the first (compiling) one"
    )
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    ap.add_argument("--name", default="mgh_cpu")
    ap.add_argument(
        "--merge", default="", help="comma-separated JSON files of partial runs to combine"
    )
    ap.add_argument(
        "--gtol", type=float, default=None, help="one gradient tolerance for every minimize solver"
    )
    ap.add_argument(
        "--sync-dispatch",
        action="store_true",
        help="run every JAX solve on the calling thread (jax_cpu_enable_async_dispatch=False)",
    )
    args = ap.parse_args()
    MATCHED["gtol"] = args.gtol
    if args.warmup < 0 or args.repeats < 0:
        ap.error("--warmup and --repeats must be >= 0")
    WARMUP[0] = args.warmup
    if args.sync_dispatch:
        # Before the CPU client exists: it reads the setting once.
        jax.config.update("jax_cpu_enable_async_dispatch", False)
    if args.merge:
        merge(args)
        return

    problems = [
        q for q in MGH_PROBLEMS
        if not args.problems or q.number in {int(v) for v in args.problems.split(",")}
    ]  # fmt: skip
    methods = [
        m for m in (*MINIMIZE_METHODS, *LEAST_SQUARES_METHODS)
        if not args.methods or m in args.methods.split(",")
    ]  # fmt: skip
    versions: dict[str, str | None] = {}
    peers = []
    for peer in [s for s in args.peers.split(",") if s]:
        versions[peer] = _installed(peer)
        if versions[peer] is None:
            print(f"{peer} is not installed: skipped")
        else:
            peers.append(peer)

    rows = []
    for p in problems:
        fns = _ScipyFns(p) if "scipy" in peers else None
        for method in methods:
            ls = method in LEAST_SQUARES_METHODS
            solvers = [("optzoo", method)] + [
                (peer, PEERS[peer][method]) for peer in peers if method in PEERS[peer]
            ]
            for peer, name in solvers:
                try:
                    if peer == "optzoo":
                        out = run_optzoo(p, method, args.repeats)
                    elif peer == "scipy":
                        out = run_scipy(p, method, fns, args.repeats)
                    elif peer == "jaxopt":
                        out = run_jaxopt(p, method, args.repeats)
                    else:
                        out = run_optimistix(p, method, args.repeats)
                except Exception as e:  # noqa: BLE001 - a peer's crash is a result too
                    print(f"  {peer} {name} on {p.name}: {type(e).__name__}: {e}"[:300])
                    out = {"f": float("nan"), "claimed": False, "status": -99, "nfev": 0,
                           "nit": 0, "warm_s": float("nan"), "compile_s": float("nan"),
                           "x": p.x0, "error": f"{type(e).__name__}"}  # fmt: skip
                fo, gn = first_order(p, out.pop("x"), ls)
                row = {
                    "problem": p.number, "name": p.name, "n": p.n, "m": p.m, "method": method,
                    "solver": peer, "solver_method": name, "fstar": p.fstar,
                    "solved": solved(p, out["f"]), "first_order": fo, "grad_inf": gn,
                    "false_success": bool(out["claimed"] and not fo), **out,
                }  # fmt: skip
                rows.append(row)
                print(
                    f"{p.number:2d} {p.name[:22]:22s} {method:12s} {peer:10s} "
                    f"f={row['f']:.6g} solved={row['solved']} claimed={row['claimed']} "
                    f"fo={fo} nfev={row['nfev']} warm={row['warm_s']:.4f}s "
                    f"jit={row.get('warm_jit_s', float('nan')):.4f}s "
                    f"compile={row['compile_s']:.2f}s",
                    flush=True,
                )
        write(rows, methods, peers, versions, args, quiet=True)  # partial results as we go
    write(rows, methods, peers, versions, args)


def merge(args) -> None:
    """Combines the runs of several partial result files (first one wins per run)."""
    rows, seen, versions, sources = [], set(), {}, []
    paths = args.merge.split(",")
    datas = [json.loads(Path(path).read_text()) for path in paths]
    if not any(d["machine"].get("cpu_async_dispatch", True) for d in datas):
        jax.config.update("jax_cpu_enable_async_dispatch", False)  # say so in the report
    for path, data in zip(paths, datas, strict=True):
        taken = set()
        MATCHED["gtol"] = data["machine"].get("matched_gtol", MATCHED["gtol"])
        # Files written before --warmup existed timed right after the first call, and did
        # not record how many calls they timed.
        WARMUP[0] = data["machine"].get("warmup_calls", 0)
        args.repeats = data["machine"].get("timed_calls")
        for k, v in data["machine"].items():
            if k.endswith("_version"):
                versions[k[: -len("_version")]] = v
        for r in data["runs"]:
            key = (r["problem"], r["method"], r["solver"])
            if key not in seen:
                seen.add(key)
                rows.append(r)
                taken.add(r["solver"])
        load = data["machine"].get("load_avg_1m")
        what = ", ".join(sorted(taken)) or "nothing"
        if isinstance(load, float):
            what += f"; load {load:.1f}"
        timed = "unrecorded" if args.repeats is None else args.repeats
        what += f"; {WARMUP[0]} warm-up and {timed} timed calls"
        sources.append(f"`{Path(path).name}` ({what})")
    rows.sort(key=lambda r: r["problem"])
    order = (*MINIMIZE_METHODS, *LEAST_SQUARES_METHODS)
    methods = [m for m in order if any(r["method"] == m for r in rows)]
    peers = [q for q in PEERS if any(r["solver"] == q for r in rows)]
    write(rows, methods, peers, versions, args, sources=sources)


def _median(v):
    v = [a for a in v if np.isfinite(a)]
    return statistics.median(v) if v else float("nan")


def summarise(rows, methods, peers):
    table = []
    for method in methods:
        solvers = ["optzoo"] + [peer for peer in peers if method in PEERS[peer]]
        for solver in solvers:
            rs = [r for r in rows if r["method"] == method and r["solver"] == solver]
            if not rs:
                continue
            table.append(
                {
                    "method": method,
                    "solver": solver if solver == "optzoo" else f"{solver} {PEERS[solver][method]}",
                    "peer": solver,
                    "problems": len(rs),
                    "solved": sum(r["solved"] for r in rs),
                    "claimed": sum(r["claimed"] for r in rs),
                    "false_success": sum(r["false_success"] for r in rs),
                    "median_nfev_solved": _median([r["nfev"] for r in rs if r["solved"]]),
                    "median_warm_ms": 1e3 * _median([r["warm_s"] for r in rs]),
                    "median_warm_jit_ms": 1e3 * _median([r.get("warm_jit_s", np.nan) for r in rs]),
                    "median_compile_s": _median([r["compile_s"] for r in rs]),
                    "total_compile_s": float(np.nansum([r["compile_s"] for r in rs])),
                }
            )
    return table


def _common_medians(rows, method, peer):
    """Median warm time and evaluations of optzoo and ``peer`` over problems both solve."""
    by = {}
    for r in rows:
        if r["method"] == method and r["solved"]:
            by.setdefault(r["problem"], {})[r["solver"]] = r
    both = [v for v in by.values() if "optzoo" in v and peer in v]
    if not both:
        return None
    return {
        "common": len(both),
        "optzoo_warm_ms": 1e3 * _median([v["optzoo"]["warm_s"] for v in both]),
        "peer_warm_ms": 1e3 * _median([v[peer]["warm_s"] for v in both]),
        "optzoo_warm_jit_ms": 1e3 * _median([v["optzoo"].get("warm_jit_s", np.nan) for v in both]),
        "peer_warm_jit_ms": 1e3 * _median([v[peer].get("warm_jit_s", np.nan) for v in both]),
        "optzoo_nfev": _median([v["optzoo"]["nfev"] for v in both]),
        "peer_nfev": _median([v[peer]["nfev"] for v in both]),
    }


def _ms(v) -> str:
    return "-" if v is None or not np.isfinite(v) else f"{v:.3f}"


def write(rows, methods, peers, versions, args, quiet=False, sources=()):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table = summarise(rows, methods, peers)
    info = machine_info()
    info["matched_gtol"] = MATCHED["gtol"]
    info["cpu_async_dispatch"] = jax.config.values["jax_cpu_enable_async_dispatch"]
    info["warmup_calls"], info["timed_calls"] = WARMUP[0], args.repeats
    timed = "the" if args.repeats is None else args.repeats  # None: merged from old files
    info.update({f"{k}_version": v for k, v in versions.items()})
    common = {
        f"{m} vs {peer}": c
        for m in methods
        for peer in peers
        if m in PEERS[peer] and (c := _common_medians(rows, m, peer))
    }
    (out / f"{args.name}.json").write_text(
        json.dumps(
            {"machine": info, "summary": table, "common": common, "runs": rows}, default=float
        )
    )
    lines = [
        "# Moré-Garbow-Hillstrom set: optzoo against scipy, jaxopt, optimistix",
        "",
        "Written by `benchmarks/mgh.py` (see its docstring for the tests and tolerances). "
        f"{len({r['problem'] for r in rows})} problems, float64, CPU. Tolerances: "
        + (
            "each solver's default."
            if MATCHED["gtol"] is None
            else f"matched, gradient tolerance {MATCHED['gtol']:g} for every minimize solver "
            "(see the docstring)."
        ),
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()),
        "",
        *(
            [
                "Combined by `--merge` (the first file wins per problem, method and solver): "
                + "; ".join(sources)
                + ". The machine line is the combining run's.",
                "",
            ]
            if sources
            else []
        ),
        "Solved: final F within 1e-4 |f*| + 1e-7 of the paper's minimum. False success: the",
        "solver claimed success at a point failing the first-order test. Warm time: median",
        f"over all problems of the best of {timed} timed calls, which follow the first",
        f"call and {WARMUP[0]} untimed ones; compile: first call minus warm, for the",
        "direct call. Warm: each library's solve called from Python as a user calls it",
        "(optimistix's through its own jit wrapper, jaxopt's run under jax.jit; optzoo's adds",
        "its Python wrapper and all ten result fields). Warm in jit: the solve inside a",
        "jitted function that returns (x, success, nfev); scipy has none."
        + (
            ""
            if info["cpu_async_dispatch"]
            else " Every JAX solve ran on the calling thread (`--sync-dispatch`)."
        ),
        "",
        "| method | solver | solved | claimed success | false success | median nfev (solved) "
        "| median warm ms | median warm ms in jit | median compile s | total compile s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in table:
        lines.append(
            f"| {t['method']} | {t['solver']} | {t['solved']}/{t['problems']} | {t['claimed']} "
            f"| {t['false_success']} | {t['median_nfev_solved']:.0f} | "
            f"{t['median_warm_ms']:.3f} | {_ms(t.get('median_warm_jit_ms'))} | "
            f"{t['median_compile_s']:.2f} | {t['total_compile_s']:.1f} |"
        )
    lines += [
        "",
        "## Over the problems both solve (median)",
        "",
        "| method vs peer | problems | optzoo warm ms | peer warm ms | optzoo warm ms in jit "
        "| peer warm ms in jit | optzoo nfev | peer nfev |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k, c in common.items():
        lines.append(
            f"| {k} | {c['common']} | {c['optzoo_warm_ms']:.3f} | {c['peer_warm_ms']:.3f} | "
            f"{_ms(c.get('optzoo_warm_jit_ms'))} | {_ms(c.get('peer_warm_jit_ms'))} "
            f"| {c['optzoo_nfev']:.0f} | {c['peer_nfev']:.0f} |"
        )
    lines += ["", "## Per problem (solved: S, claimed success: c, false success: !)", ""]
    solvers = sorted({(r["method"], r["solver"]) for r in rows})
    lines.append("| # | problem | " + " | ".join(f"{m} {s}" for m, s in solvers) + " |")
    lines.append("|---|---|" + "---|" * len(solvers))
    for p in sorted({r["problem"] for r in rows}):
        cells = []
        for m, s in solvers:
            r = next((r for r in rows if r["problem"] == p and r["method"] == m
                      and r["solver"] == s), None)  # fmt: skip
            if r is None:
                cells.append("")
                continue
            tag = ("S" if r["solved"] else "-") + ("c" if r["claimed"] else "")
            tag += "!" if r["false_success"] else ""
            cells.append(tag)
        name = next(r["name"] for r in rows if r["problem"] == p)
        lines.append(f"| {p} | {name} | " + " | ".join(cells) + " |")
    (out / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    if not quiet:
        print("\n".join(lines[:40]))


if __name__ == "__main__":
    main()
