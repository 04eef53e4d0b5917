"""BFGS, L-BFGS, nonlinear CG and Hessian-free Newton-CG against NumPy transcriptions (issue #14).

None of these methods' authors published a package (BFGS 1970 and Fletcher-Reeves 1964 predate
distributed code; Liu and Nocedal's L-BFGS is Fortran 77; Martens' Hessian-free code is
MATLAB), so each reference is a short NumPy transcription of a textbook algorithm box:

* Nocedal, Wright. Numerical Optimization, 2nd ed. 2006. https://doi.org/10.1007/978-0-387-40065-5
  Algorithm 6.1 (BFGS), Algorithms 7.4-7.5 (L-BFGS two-loop recursion; Liu, Nocedal. On the
  limited memory BFGS method for large scale optimization. 1989.
  https://doi.org/10.1007/BF01589116) and Algorithm 5.4 (Fletcher-Reeves CG; Fletcher, Reeves.
  Function minimization by conjugate gradients. 1964. https://doi.org/10.1093/comjnl/7.2.149).
* Martens. Deep learning via Hessian-free optimization. ICML 2010, Algorithm 1.
  https://www.cs.toronto.edu/~jmartens/docs/Deep_HessianFree.pdf

The line-search methods are deterministic full-batch methods: their transcriptions and optzoo
run on the shared problem with the noise of step 0 at every step (``R.loss(p, 0)``), not on
the per-step noisy loss, so both sides minimise one fixed function (a loop of our own replaces
``R.run_optzoo``, whose gradients change with the step). Their line search on the reference
side is scipy's port of the MINPACK-2 Moré-Thuente routine ``dcsrch`` (the line search of
Liu and Nocedal's code and of L-BFGS-B), with the conditions, tolerances and first trial step
the optzoo preset uses; optzoo's ``more_thuente`` is its own JAX implementation. Hessian-free
Newton-CG has no line search and is meant for mini-batches, so it runs on the noisy loss.
"""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402

KEYS = sorted(R.SHAPES)  # ravel_pytree's order
SIZES = [int(np.prod(R.SHAPES[k])) for k in KEYS]
T0 = 0  # the fixed noise step of the full-batch problem


def _tree(x: np.ndarray) -> dict[str, np.ndarray]:
    parts = np.split(x, np.cumsum(SIZES)[:-1])
    return {k: p.reshape(R.SHAPES[k]) for k, p in zip(KEYS, parts, strict=True)}


def _flat(tree: dict[str, np.ndarray]) -> np.ndarray:
    return np.concatenate([np.ravel(tree[k]) for k in KEYS])


def _f(x: np.ndarray) -> float:
    return float(R.loss(_tree(x), T0))


def _g(x: np.ndarray) -> np.ndarray:
    return _flat(R.grad(_tree(x), T0))


def _wolfe_search(x, f0, g0, d, a0, c1=1e-4, c2=0.9, xtol=1e-14, max_evals=30):
    """Moré-Thuente strong Wolfe search along ``d`` from trial ``a0``: scipy's port of
    MINPACK-2 ``dcsrch`` (an implementation independent of optzoo's). Returns the step, or
    0 when it does not converge (only once the gradient is at rounding level)."""
    from scipy.optimize._dcsrch import DCSRCH

    search = DCSRCH(lambda a: _f(x + a * d), lambda a: _g(x + a * d) @ d, c1, c2, xtol, 0.0, 1e10)
    # dcsrch's first iteration only sets up; each later one costs one evaluation.
    stp, _, _, task = search(a0, phi0=f0, derphi0=g0 @ d, maxiter=max_evals + 1)
    return stp if task.startswith(b"CONV") else 0.0


def _bfgs(steps=R.STEPS):
    """N&W Algorithm 6.1: d = -H g, Wolfe step, inverse update (6.17); H_0 = I rescaled by
    y's / y'y (6.20) before the first update."""
    x = _flat(R.init_params())
    h = np.eye(x.size)
    g = _g(x)
    out = []
    for k in range(steps):
        d = -h @ g
        alpha = _wolfe_search(x, _f(x), g, d, 1.0)
        s = alpha * d
        x = x + s
        g_new = _g(x)
        y = g_new - g
        g = g_new
        if s @ y > 0:  # guaranteed by the Wolfe conditions; 0 only after a failed search
            if k == 0:
                h = (s @ y) / (y @ y) * h
            rho = 1.0 / (s @ y)
            v = np.eye(x.size) - rho * np.outer(y, s)
            h = v.T @ h @ v + rho * np.outer(s, s)
        out.append(_tree(x))
    return out


def _lbfgs(steps=R.STEPS, m=5):
    """N&W Algorithm 7.5 with the two-loop recursion (Algorithm 7.4) and H_0 = gamma I,
    gamma = s'y / y'y of the newest pair (7.20); Liu and Nocedal's code: first trial step
    1 / ||g_0||, then 1; search tolerance 1e-16, at most 20 evaluations."""
    x = _flat(R.init_params())
    g = _g(x)
    pairs: list[tuple[np.ndarray, np.ndarray]] = []
    out = []
    for k in range(steps):
        q = g.copy()
        alphas = []
        for s, y in reversed(pairs):
            a = (s @ q) / (s @ y)
            q -= a * y
            alphas.append(a)
        gamma = (pairs[-1][0] @ pairs[-1][1]) / (pairs[-1][1] @ pairs[-1][1]) if pairs else 1.0
        r = gamma * q
        for (s, y), a in zip(pairs, reversed(alphas), strict=True):
            r += (a - (y @ r) / (s @ y)) * s
        d = -r
        a0 = 1.0 / np.linalg.norm(d) if k == 0 else 1.0
        alpha = _wolfe_search(x, _f(x), g, d, a0, xtol=1e-16, max_evals=20)
        s = alpha * d
        x = x + s
        g_new = _g(x)
        y = g_new - g
        g = g_new
        if s @ y > 0:  # as in BFGS: fails only after a failed search
            pairs = [*pairs, (s, y)][-m:]
        out.append(_tree(x))
    return out


def _fletcher_reeves(steps=R.STEPS):
    """N&W Algorithm 5.4 (FR-CG): d = -g + beta d_prev, beta = g'g / g_prev'g_prev, a strong
    Wolfe step with c2 = 0.1 < 1/2 (Lemma 5.6: every d is then a descent direction). The
    first trial step is twice the last accepted one (N&W 3.5 leaves it open; optzoo's choice,
    starting from 1)."""
    x = _flat(R.init_params())
    g_prev = d_prev = None
    last = 1.0
    out = []
    for _ in range(steps):
        g = _g(x)
        d = -g if g_prev is None else -g + (g @ g) / (g_prev @ g_prev) * d_prev
        if not d @ g < 0:  # restart; never taken while the gradient is above rounding level
            d = -g
        alpha = _wolfe_search(x, _f(x), g, d, 2.0 * last, c2=0.1)
        if alpha > 0:
            x, last = x + alpha * d, alpha
        g_prev, d_prev = g, d
        out.append(_tree(x))
    return out


def _run_full_batch(tx):
    """``tx`` for :data:`R.STEPS` steps on the fixed loss ``R.loss(p, 0)`` in float64; also
    returns each step's line-search success flag."""
    with jax.enable_x64(True):
        params = {k: jnp.asarray(v) for k, v in R.INIT.items()}
        state = tx.init(params)
        value_fn = lambda p: R.loss(p, T0, jnp.asarray)  # noqa: E731

        @jax.jit
        def step(params, state):
            v, g = jax.value_and_grad(value_fn)(params)
            u, state = tx.update(g, state, params, value=v, grad=g, value_fn=value_fn)
            return optax.apply_updates(params, u), state

        out, success = [], []
        for _ in range(R.STEPS):
            params, state = step(params, state)
            out.append({k: np.asarray(v, np.float64) for k, v in params.items()})
            success.append(bool(state[-1].success))
    return out, success


FULL_BATCH = {
    "bfgs": (_bfgs, "NumPy transcription of Nocedal & Wright Algorithm 6.1 + scipy dcsrch"),
    "lbfgs_linesearch": (
        _lbfgs,
        "NumPy transcription of Nocedal & Wright Algorithms 7.4-7.5 + scipy dcsrch",
    ),
    "ncg": (
        _fletcher_reeves,
        "NumPy transcription of Nocedal & Wright Algorithm 5.4 + scipy dcsrch",
    ),
}


@pytest.mark.parametrize("name", list(FULL_BATCH))
def test_line_search_methods_match_their_algorithm_boxes(name):
    pytest.importorskip("scipy.optimize._dcsrch")
    transcription, reference = FULL_BATCH[name]
    ours, success = _run_full_batch(optzoo.create(name, preset="authors"))
    # The searches succeed while there is something to minimise (a search fails only once
    # the gradient is at rounding level), so the comparison covers the line search.
    assert all(success[:10]), success
    theirs = transcription()
    R.check(name, R.displacement_error(ours, theirs), reference, kind="transcription")


def _martens_cg(apply_a, b, x0, max_iter=50, eps=5e-4):
    """CG on A x = b from ``x0`` (N&W Algorithm 5.2) with Martens' stopping rule (section
    4.4): stop at iteration i > k once phi_i < 0 and (phi_i - phi_{i-k}) / phi_i < k eps,
    k = max(10, 0.1 i) (10 for the under 100 iterations here), phi(x) = x'Ax / 2 - b'x."""
    x = x0.copy()
    r = b - apply_a(x)
    d = r.copy()
    phis = [0.5 * x @ apply_a(x) - b @ x]
    for i in range(1, max_iter + 1):
        ad = apply_a(d)
        alpha = (r @ r) / (d @ ad)
        x = x + alpha * d
        r_new = r - alpha * ad
        d = r_new + (r_new @ r_new) / (r @ r) * d
        r = r_new
        phis.append(0.5 * x @ apply_a(x) - b @ x)
        k = max(10, i // 10)
        if i > k and phis[i] < 0 and (phis[i] - phis[i - k]) / phis[i] < k * eps:
            break
    return x


def _martens_hf(steps=R.STEPS, lam=1.0, zeta=0.95):
    """Martens (2010) Algorithm 1 on the per-step loss f_t: p = CG-Minimize of the damped
    model from zeta p_prev (section 4.5), theta += p, and the Levenberg-Marquardt rule of
    section 4.1 (lambda * 3/2 if rho < 1/4, * 2/3 if rho > 3/4; rho against the model
    g'p + p'Gp / 2). The Gauss-Newton matrix of this loss (model = identity) is
    diag(CURVATURE)."""
    x = _flat(R.init_params())
    curv = _flat(R.CURVATURE)
    p_prev = np.zeros_like(x)
    out = []
    for t in range(steps):
        f = lambda z, t=t: float(R.loss(_tree(z), t))  # noqa: E731
        g = _flat(R.grad(_tree(x), t))
        p = _martens_cg(lambda v, lam=lam: curv * v + lam * v, -g, zeta * p_prev)
        rho = (f(x + p) - f(x)) / (g @ p + 0.5 * p @ (curv * p))
        lam = lam * 1.5 if rho < 0.25 else lam * 2 / 3 if rho > 0.75 else lam
        x, p_prev = x + p, p
        out.append(_tree(x))
    return out


def test_newton_cg_matches_martens_algorithm_1():
    # Mini-batch use, as Martens': the per-step noisy loss, with Gauss-Newton products through
    # model_fn (the identity: the "outputs" are the parameters) and loss_fn.
    def extra(params, t):
        loss_t = lambda p: R.loss(p, t, jnp.asarray)  # noqa: E731
        return {"value_fn": loss_t, "model_fn": lambda p: p, "loss_fn": loss_t}

    ours = R.run_optzoo(optzoo.create("newton_cg", preset="authors"), extra=extra)
    theirs = _martens_hf()
    R.check(
        "newton_cg",
        R.displacement_error(ours, theirs),
        "NumPy transcription of Martens (2010) Algorithm 1",
        kind="transcription",
    )


def test_authors_flags_reject_bad_values():
    with pytest.raises(ValueError, match="first_step"):
        optzoo.create("lbfgs_linesearch", first_step="previous")
    with pytest.raises(ValueError, match="cg_stop"):
        optzoo.create("newton_cg", cg_stop="martens")
    with pytest.raises(ValueError, match="linesearch_options"):
        optzoo.create("ncg", linesearch=None, linesearch_options={"c2": 0.1})
    with pytest.raises(ValueError, match="c2"):  # Hager-Zhang names its constant sigma
        optzoo.create("ncg", linesearch_options={"c2": 0.1})
