"""Second-order benchmark: optzoo.minimize / least_squares against scipy.optimize and torch LBFGS.

Problems: Rosenbrock (2, 100, 1000 dims), extended Powell (100), Beale, L2-regularised
logistic regression on ``load_breast_cancer``, a nonlinear least-squares curve fit, and a
small MLP (64-32-10) on ``load_digits``, full batch. All in float64.

For each run: iterations, function evaluations (value-and-gradient calls for optzoo and
torch; scipy's ``nfev``), final value, and wall time. optzoo is timed after compilation
(first call compiles; the median of the timed calls is reported). scipy gets the same
objective as jitted JAX callbacks; torch runs the same objective written in torch.

Usage: ``PYTHONPATH=. python benchmarks/second_order.py [--out benchmarks/results]
[--methods trust-exact]`` (``--methods``: rerun only those optzoo methods' rows and update
the stored results in place).
"""

from __future__ import annotations

import os

# One BLAS thread: small dense numpy products in scipy's BFGS spin-wait badly on a shared,
# oversubscribed machine otherwise (measured: 36 ms per BFGS iteration at n=100).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.optimize as so  # noqa: E402

from optzoo.second_order import least_squares, minimize  # noqa: E402

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - torch is optional
    torch = None


# ---------------------------------------------------------------- problems (JAX and torch)
def rosen(x, xp=jnp):
    return xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def powell(x, xp=jnp):
    x = x.reshape(-1, 4)
    a, b, c, d = x[:, 0], x[:, 1], x[:, 2], x[:, 3]
    return xp.sum((a + 10 * b) ** 2 + 5 * (c - d) ** 2 + (b - 2 * c) ** 4 + 10 * (a - d) ** 4)


def beale(x, xp=jnp):
    return (
        (1.5 - x[0] + x[0] * x[1]) ** 2
        + (2.25 - x[0] + x[0] * x[1] ** 2) ** 2
        + (2.625 - x[0] + x[0] * x[1] ** 3) ** 2
    )


def logreg_problem():
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    x = (x - x.mean(0)) / x.std(0)

    def f(w, xp=jnp):
        xx = jnp.asarray(x) if xp is jnp else torch.as_tensor(x)
        yy = jnp.asarray(y, float) if xp is jnp else torch.as_tensor(y, dtype=torch.float64)
        z = xx @ w[:-1] + w[-1]
        sp = jax.nn.softplus(z) if xp is jnp else torch.nn.functional.softplus(z)
        return xp.mean(sp - yy * z) + 1e-3 * xp.sum(w[:-1] ** 2)

    return f, np.zeros(x.shape[1] + 1)


def mlp_problem():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    onehot = np.eye(10)[y]
    sizes = [(64, 32), (32,), (32, 10), (10,)]
    n = sum(int(np.prod(s)) for s in sizes)
    rng = np.random.default_rng(0)
    w0 = np.concatenate(
        [rng.normal(size=int(np.prod(s))) * (np.sqrt(1.0 / s[0]) if len(s) == 2 else 0.0)
         for s in sizes]
    )  # fmt: skip

    def f(w, xp=jnp):
        i = 0
        mats = []
        for s in sizes:
            k = int(np.prod(s))
            mats.append(w[i : i + k].reshape(s))
            i += k
        w1, b1, w2, b2 = mats
        xx = jnp.asarray(x) if xp is jnp else torch.as_tensor(x)
        oh = jnp.asarray(onehot) if xp is jnp else torch.as_tensor(onehot)
        h = xp.tanh(xx @ w1 + b1)
        logits = h @ w2 + b2
        if xp is jnp:
            logp = jax.nn.log_softmax(logits)
        else:
            logp = torch.log_softmax(logits, -1)
        return -xp.mean(xp.sum(oh * logp, -1)) + 1e-4 * (xp.sum(w1**2) + xp.sum(w2**2))

    assert w0.size == n
    return f, w0


def curve_fit_problem():
    t = np.linspace(0.0, 4.0, 200)
    true = np.array([2.0, 1.3, 0.5, 3.0, 0.2])
    model = lambda p: p[0] * jnp.exp(-p[1] * t) + p[2] * jnp.sin(p[3] * t) + p[4]
    y = np.asarray(model(jnp.asarray(true))) + 0.01 * np.cos(17.0 * t)
    return (lambda p: model(p) - y), np.array([1.0, 1.0, 1.0, 2.5, 0.0])


# ---------------------------------------------------------------- runners
def _time(fn: Callable[[], object], repeats: int) -> tuple[object, float]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        jax.block_until_ready(out) if not isinstance(out, so.OptimizeResult) else None
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times)


def run_ours(f, x0, method, repeats):
    x0 = jnp.asarray(x0)
    minimize(f, x0, method=method)  # compile
    res, t = _time(lambda: minimize(f, x0, method=method), repeats)
    return dict(nit=int(res.nit), nfev=int(res.nfev), fun=float(res.fun), time=t,
                success=bool(res.success))  # fmt: skip


def run_scipy(f, x0, method, repeats):
    fg = jax.jit(jax.value_and_grad(f))
    kw: dict = {}
    if method in ("Newton-CG", "trust-ncg"):
        hp = jax.jit(lambda x, v: jax.jvp(jax.grad(f), (x,), (v,))[1])
        kw["hessp"] = lambda x, v: np.asarray(hp(x, v))
    if method == "trust-exact":
        h = jax.jit(jax.hessian(f))
        kw["hess"] = lambda x: np.asarray(h(x))

    def fun(x):
        v, g = fg(x)
        return float(v), np.asarray(g)

    fun(np.asarray(x0))
    if "hessp" in kw:
        kw["hessp"](np.asarray(x0), np.asarray(x0))
    if "hess" in kw:
        kw["hess"](np.asarray(x0))
    res, t = _time(lambda: so.minimize(fun, np.asarray(x0), jac=True, method=method, **kw), repeats)
    return dict(nit=int(res.nit), nfev=int(res.nfev), fun=float(res.fun), time=t,
                success=bool(res.success))  # fmt: skip


def run_torch(f, x0, repeats):
    if torch is None:
        return None

    def once():
        w = torch.tensor(np.asarray(x0), dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([w], lr=1, max_iter=15000, max_eval=20000, history_size=10,
                                tolerance_grad=1e-5, tolerance_change=1e-12,
                                line_search_fn="strong_wolfe")  # fmt: skip
        count = [0]

        def closure():
            opt.zero_grad()
            loss = f(w, xp=torch)
            loss.backward()
            count[0] += 1
            return loss

        opt.step(closure)
        state = opt.state[opt._params[0]]
        return dict(nit=int(state["n_iter"]), nfev=count[0], fun=float(f(w.detach(), xp=torch)))

    out, t = _time(once, repeats)
    out["time"] = t
    out["success"] = True
    return out


def run_least_squares(repeats):
    r, x0 = curve_fit_problem()
    least_squares(r, jnp.asarray(x0))
    res, t = _time(lambda: least_squares(r, jnp.asarray(x0)), repeats)
    ours = dict(nit=int(res.nit), nfev=int(res.nfev), fun=float(res.fun), time=t,
                success=bool(res.success))  # fmt: skip
    rj = jax.jit(r)
    jac = jax.jit(jax.jacfwd(r))
    rf = lambda p: np.asarray(rj(p))
    jf = lambda p: np.asarray(jac(p))
    rf(x0), jf(x0)
    ref, t = _time(lambda: so.least_squares(rf, x0, jac=jf, method="lm"), repeats)
    theirs = dict(nit=int(ref.njev), nfev=int(ref.nfev), fun=float(ref.cost), time=t,
                  success=bool(ref.success))  # fmt: skip
    return ours, theirs


# ---------------------------------------------------------------- main
PAIRS = [("lbfgs", "L-BFGS-B"), ("bfgs", "BFGS"), ("newton-cg", "Newton-CG"),
         ("trust-ncg", "trust-ncg"), ("trust-exact", "trust-exact")]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--methods",
        default="",
        help="comma-separated optzoo methods to rerun; their rows replace those in the stored "
        "second_order.json, whose other rows are kept (default: the whole benchmark)",
    )
    args = parser.parse_args()
    only = [m for m in args.methods.split(",") if m]

    lr_f, lr_x0 = logreg_problem()
    mlp_f, mlp_x0 = mlp_problem()
    rosen_x0 = lambda n: np.tile([-1.2, 1.0], n // 2)
    every = ["lbfgs", "bfgs", "newton-cg", "trust-ncg", "trust-exact"]
    problems = [
        ("rosenbrock-2", rosen, rosen_x0(2), every),
        ("rosenbrock-100", rosen, rosen_x0(100), every),
        # No dense BFGS at n=1000: scipy's BFGS update costs two n^3 products per iteration
        # (about 2 GFLOP at n=1000, over 10 minutes for Rosenbrock here).
        ("rosenbrock-1000", rosen, rosen_x0(1000), ["lbfgs", "newton-cg", "trust-ncg"]),
        ("powell-100", powell, np.tile([3.0, -1.0, 0.0, 1.0], 25), every),
        ("beale", beale, np.array([1.0, 1.0]), every),
        ("logreg-breast-cancer", lr_f, lr_x0, ["lbfgs", "bfgs", "newton-cg", "trust-exact"]),
        ("mlp-digits", mlp_f, mlp_x0, ["lbfgs", "newton-cg"]),
    ]
    rows = []
    for name, f, x0, methods in problems:
        methods = [m for m in methods if not only or m in only]
        for ours in methods:
            theirs = dict(PAIRS)[ours]
            reps = 1 if x0.size >= 1000 else args.repeats
            a = run_ours(f, x0, ours, reps)
            b = run_scipy(f, x0, theirs, reps)
            rows.append(dict(problem=name, n=int(x0.size), ours=ours, ref=f"scipy {theirs}",
                             o=a, r=b))  # fmt: skip
            print(name, ours, a, b, flush=True)
        if "lbfgs" in methods and torch is not None:
            reps = 1 if x0.size >= 1000 else args.repeats
            a = next(r["o"] for r in rows if r["problem"] == name and r["ours"] == "lbfgs")
            t = run_torch(f, x0, reps)
            rows.append(dict(problem=name, n=int(x0.size), ours="lbfgs", ref="torch LBFGS",
                             o=a, r=t))  # fmt: skip
            print(name, "torch", t, flush=True)
    if not only or "lm" in only:
        a, b = run_least_squares(args.repeats)
        rows.append(
            dict(problem="curve-fit-least-squares", n=5, ours="lm", ref="scipy lm", o=a, r=b)
        )
        print("curve fit", a, b, flush=True)

    machine = {
        "cpu": platform.processor() or platform.machine(),
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "jax": jax.__version__,
        "jaxlib": __import__("jaxlib").__version__,
        "device": str(jax.devices()[0]),
        "scipy": scipy.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }
    import pathlib

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if only:
        # A partial rerun: the new rows take the places of the stored ones (same order), and
        # the machine block says which rows were rerun, when.
        stored = json.loads((out / "second_order.json").read_text())
        fresh = {(r["problem"], r["ours"], r["ref"]): r for r in rows}
        rows = [fresh.pop((r["problem"], r["ours"], r["ref"]), r) for r in stored["rows"]]
        rows += list(fresh.values())
        reruns = stored["machine"].get("reruns", [])
        machine = {
            **stored["machine"],
            "reruns": [*reruns, f"{','.join(only)} at {machine['date_utc']}"],
        }
    (out / "second_order.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=1))
    (out / "second_order.md").write_text(_markdown(machine, rows))
    print(_markdown(machine, rows))


def _cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _markdown(machine, rows) -> str:
    lines = [
        "# Second-order benchmark: optzoo vs scipy.optimize and torch.optim.LBFGS",
        "",
        "Generated by `benchmarks/second_order.py` (float64, full batch). optzoo times are",
        "after compilation (median of repeats; one run at n >= 1000); scipy calls jitted JAX",
        "value-and-gradient (and Hessian / Hessian-vector) callbacks; torch runs the same",
        "objective in torch (1 thread). nfev: objective(+gradient) evaluations. Shared,",
        "loaded 2-core machine: ratios measured in one run count more than absolute times.",
        "",
        "Machine: " + ", ".join(f"{k}={v}" for k, v in machine.items()),
        "",
        "| problem | n | optzoo | reference | nit (ours/ref) | nfev (ours/ref) | f ours | f ref "
        "| time ours [ms] | time ref [ms] | ref time / ours |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        o, r = row["o"], row["r"]
        if r is None:
            continue
        lines.append(
            f"| {row['problem']} | {row['n']} | {row['ours']} | {row['ref']} | "
            f"{o['nit']} / {r['nit']} | {o['nfev']} / {r['nfev']} | {o['fun']:.3e} | "
            f"{r['fun']:.3e} | {1e3 * o['time']:.1f} | {1e3 * r['time']:.1f} | "
            f"{r['time'] / o['time']:.1f}x |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
