r"""Newton-type methods on flat vectors for :func:`minimize`.

* ``newton``: exact Hessian, made positive definite by a modified Cholesky
  factorisation (add :math:`\tau I` until it factors, N&W Algorithm 3.3), then a line search.
* ``newton-cg``: Hessian-free; truncated CG on :math:`\nabla^2 f\,p = -g` stopped at the
  forcing tolerance :math:`\min(0.5, \sqrt{\|g\|})\|g\|` or at negative curvature, then a
  Wolfe line search (N&W Algorithm 7.1).
* ``trust-ncg``: CG-Steihaug inside a trust region (N&W Algorithm 7.2, Steihaug 1983).
* ``trust-exact``: the trust-region subproblem solved exactly from the eigendecomposition
  of the Hessian, hard case included (N&W section 4.3); for small problems.

References:
  Nocedal, Wright. Numerical Optimization, 2nd ed., ch. 3, 4, 7. 2006.
  https://doi.org/10.1007/978-0-387-40065-5
  Steihaug. The conjugate gradient method and trust regions in large scale optimization.
  1983. https://doi.org/10.1137/0720042
  Moré, Sorensen. Computing a trust region step. 1983. https://doi.org/10.1137/0904038
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from optzoo.second_order.linesearch import get_line_search
from optzoo.second_order.loops import packed_while_loop
from optzoo.second_order.quasi_newton import StepOut

__all__ = [
    "modified_cholesky_solve",
    "steihaug_cg",
    "trust_exact_step",
    "make_newton",
    "make_newton_cg",
    "make_trust_ncg",
    "make_trust_exact",
]


def modified_cholesky_solve(
    h: jax.Array, g: jax.Array, beta: float = 1e-3, max_tries: int = 64, growth: float = 4.0
) -> tuple[jax.Array, jax.Array]:
    r"""Solves :math:`(H + \tau I) p = -g` with a small :math:`\tau` for which the Cholesky
    factorisation exists (N&W Algorithm 3.3).

    :math:`\tau = 0` when the diagonal is positive, else :math:`-\min_i H_{ii}` plus
    ``beta`` times the largest diagonal magnitude. When a factorisation fails the shift
    restarts from :math:`10\,\epsilon \max_i |H_{ii}|` (not from ``beta`` times it, which on
    badly scaled Hessians such as Meyer's is nine orders of magnitude too large) and grows
    by ``growth`` per try, so the accepted shift is within a factor ``growth`` of the
    smallest one in the sequence.

    Returns:
      ``(p, tau)``.
    """
    n = h.shape[0]
    eye = jnp.eye(n, dtype=h.dtype)
    scale = jnp.maximum(jnp.max(jnp.abs(jnp.diag(h))), 1.0)
    b = beta * scale
    floor = 10.0 * jnp.finfo(h.dtype).eps * scale
    min_diag = jnp.min(jnp.diag(h))
    tau0 = jnp.where(min_diag > 0, 0.0, -min_diag + b).astype(h.dtype)

    def factor(tau):
        chol = jnp.linalg.cholesky(h + tau * eye)
        return chol, jnp.all(jnp.isfinite(chol))

    def cond(s):
        i, _, _, ok = s
        return (~ok) & (i < max_tries)

    def body(s):
        i, tau, _, _ = s
        tau = jnp.maximum(growth * tau, floor)
        chol, ok = factor(tau)
        return i + 1, tau, chol, ok

    chol, ok = factor(tau0)
    _, tau, chol, ok = packed_while_loop(cond, body, (jnp.asarray(0), tau0, chol, ok))
    p = -jax.scipy.linalg.cho_solve((chol, True), g)
    return jnp.where(ok, p, -g), tau


class _CG(NamedTuple):
    i: jax.Array
    z: jax.Array
    r: jax.Array
    d: jax.Array
    rr: jax.Array
    done: jax.Array
    boundary: jax.Array


def steihaug_cg(
    hvp: Callable[[jax.Array], jax.Array],
    g: jax.Array,
    tol: jax.Array,
    maxiter: int,
    radius: jax.Array | None = None,
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    r"""Truncated CG on :math:`H p = -g` from :math:`p = 0`.

    Stops when :math:`\|Hp + g\| \le` ``tol``, after ``maxiter`` products, on negative
    curvature, or (with ``radius``) when the iterate leaves the trust region, where it
    returns the boundary point (Steihaug 1983). Without a radius, negative curvature on the
    first step returns :math:`-g`.

    Returns:
      ``(p, residual Hp + g, products used, hit boundary or negative curvature)``.
    """
    dtype = g.dtype
    rad = jnp.asarray(jnp.inf if radius is None else radius, dtype)

    def to_boundary(z, d):
        a, b, c = jnp.vdot(d, d), 2 * jnp.vdot(z, d), jnp.vdot(z, z) - rad * rad
        return (-b + jnp.sqrt(jnp.maximum(b * b - 4 * a * c, 0.0))) / (2 * jnp.where(a > 0, a, 1.0))

    def cond(s: _CG):
        return (~s.done) & (s.i < maxiter)

    def body(s: _CG) -> _CG:
        hd = hvp(s.d)
        curv = jnp.vdot(s.d, hd)
        neg = ~(curv > 0)
        alpha = s.rr / jnp.where(neg, 1.0, curv)
        z_new = s.z + alpha * s.d
        outside = jnp.linalg.norm(z_new) >= rad
        stop_edge = neg | outside
        if radius is None:
            first = s.i == 0
            z_edge = jnp.where(first, -g, s.z)
            r_edge = s.r
        else:
            tau = to_boundary(s.z, s.d)
            z_edge = s.z + tau * s.d
            r_edge = s.r + tau * hd
        r_new = s.r + alpha * hd
        rr_new = jnp.vdot(r_new, r_new)
        conv = jnp.sqrt(rr_new) <= tol
        beta = rr_new / jnp.where(s.rr > 0, s.rr, 1.0)
        return _CG(
            i=s.i + 1,
            z=jnp.where(stop_edge, z_edge, z_new),
            r=jnp.where(stop_edge, r_edge, r_new),
            d=-r_new + beta * s.d,
            rr=rr_new,
            done=stop_edge | conv,
            boundary=stop_edge,
        )

    rr0 = jnp.vdot(g, g)
    init = _CG(
        jnp.asarray(0), jnp.zeros_like(g), g, -g, rr0, jnp.sqrt(rr0) <= tol, jnp.asarray(False)
    )
    s = packed_while_loop(cond, body, init)
    return s.z, s.r, s.i, s.boundary


def trust_exact_step(
    lam: jax.Array, q: jax.Array, g: jax.Array, radius: jax.Array, bisections: int = 100
) -> jax.Array:
    r"""Exact minimiser of :math:`g^\top p + \frac12 p^\top H p` over :math:`\|p\| \le \Delta`.

    With :math:`H = Q\Lambda Q^\top` and :math:`\tilde g = Q^\top g`, the solution is
    :math:`p(\mu) = -Q(\Lambda+\mu I)^{-1}\tilde g` with :math:`\mu = 0` when that is an
    interior minimiser, else :math:`\mu \ge \max(0, -\lambda_1)` with
    :math:`\|p(\mu)\| = \Delta` (found by bisection on the monotone
    :math:`\|p(\mu)\|`). In the hard case (:math:`\tilde g` orthogonal to the lowest
    eigenspace) a multiple of the lowest eigenvector reaches the boundary.
    """
    dtype = g.dtype
    gt = q.T @ g
    lmin = lam[0]
    span = jnp.maximum(jnp.max(jnp.abs(lam)), 1.0)
    low_space = lam - lmin <= 1e3 * jnp.finfo(dtype).eps * span

    def pnorm(mu, mask=None):
        c = gt / (lam + mu)
        c = c if mask is None else jnp.where(mask, 0.0, c)
        return jnp.linalg.norm(c)

    lo = jnp.maximum(0.0, -lmin)
    interior = (lmin > 0) & (pnorm(0.0) <= radius)
    hi = lo + jnp.linalg.norm(g) / radius + jnp.finfo(dtype).tiny

    def bis(_, ab):
        a, b = ab
        mid = 0.5 * (a + b)
        big = ~(pnorm(mid) <= radius)  # nan/inf count as too long
        return jnp.where(big, mid, a), jnp.where(big, b, mid)

    _, mu = jax.lax.fori_loop(0, bisections, bis, (lo, hi))
    p_t = -gt / (lam + mu)
    # Hard case: the step without the lowest eigenspace is shorter than the radius at mu=lo.
    excl = jnp.where(low_space, 0.0, -gt / jnp.where(low_space, 1.0, lam + lo))
    g_low = jnp.linalg.norm(jnp.where(low_space, gt, 0.0))
    hard = (
        (lmin <= 0)
        & (jnp.linalg.norm(excl) < radius)
        & (g_low <= 1e-8 * jnp.linalg.norm(gt) + jnp.finfo(dtype).tiny)
    )
    tau = jnp.sqrt(jnp.maximum(radius**2 - jnp.vdot(excl, excl), 0.0))
    e1 = jnp.zeros_like(gt).at[0].set(1.0)
    p_hard = excl + tau * e1
    p_newton = -gt / jnp.where(lam != 0, lam, 1.0)
    p_t = jnp.where(interior, p_newton, jnp.where(hard, p_hard, p_t))
    return q @ p_t


def _line_search_newton(vg, opts, direction, default_ls):
    ls = get_line_search(opts.get("linesearch", default_ls))
    max_steps = opts.get("max_linesearch_steps", 30)

    def init(x, f, g):
        return jnp.asarray(False)  # the next direction is steepest descent

    def step(x, f, g, steepest):
        d, nh = direction(x, g)
        slope = jnp.vdot(g, d)
        bad = ~(slope < 0) | ~jnp.all(jnp.isfinite(d)) | steepest
        d = jnp.where(bad, -g, d)
        res = ls(vg, x, f, g, d, jnp.ones((), x.dtype), max_steps=max_steps)
        moved = res.step > 0
        # A failed search along a Newton (or negative-curvature) direction is retried along
        # steepest descent; only a failed steepest-descent search ends the run.
        flag = jnp.where(moved | ~bad, 0, 2)
        return StepOut(x + res.step * d, res.value, res.grad, ~moved, res.nfev, nh, flag, moved)

    return init, step


def make_newton(vg: Callable, fun: Callable, opts: dict):
    """Newton with the exact Hessian and modified Cholesky, backtracking Armijo by default."""
    hess = jax.hessian(fun)

    def direction(x, g):
        p, _ = modified_cholesky_solve(hess(x), g)
        return p, jnp.asarray(1)

    return _line_search_newton(vg, opts, direction, "armijo")


def _hvp_fn(fun: Callable, x: jax.Array) -> Callable[[jax.Array], jax.Array]:
    return lambda v: jax.jvp(jax.grad(fun), (x,), (v,))[1]


def make_newton_cg(vg: Callable, fun: Callable, opts: dict, n: int):
    """Line-search Newton-CG (Hessian-free), Moré-Thuente strong Wolfe search by default."""
    cg_maxiter = int(opts.get("cg_maxiter", 20 * n))

    def direction(x, g):
        gn = jnp.linalg.norm(g)
        tol = jnp.minimum(0.5, jnp.sqrt(gn)) * gn
        p, _, nh, _ = steihaug_cg(_hvp_fn(fun, x), g, tol, cg_maxiter)
        return p, nh

    return _line_search_newton(vg, opts, direction, "more-thuente")


class _TRAux(NamedTuple):
    radius: jax.Array
    model: tuple  # trust-exact: (eigenvalues, eigenvectors); trust-ncg: ()


def _trust_region(vg, opts, init_model, solve, dtype):
    eta = opts.get("eta", 0.15)
    r_max = opts.get("max_trust_radius", 1000.0)
    r0 = opts.get("initial_trust_radius", 1.0)
    r_min = opts.get("min_trust_radius", float(jnp.finfo(dtype).eps) * 1e-2)

    def init(x, f, g):
        return _TRAux(jnp.asarray(r0, dtype), init_model(x))

    def step(x, f, g, aux: _TRAux) -> StepOut:
        p, pred, nh = solve(x, g, aux)
        f1, g1 = vg(x + p)
        ok = jnp.isfinite(f1) & jnp.all(jnp.isfinite(g1))
        rho = jnp.where(ok & (pred > 0), (f - f1) / jnp.where(pred > 0, pred, 1.0), -1.0)
        pn = jnp.linalg.norm(p)
        radius = jnp.where(
            rho < 0.25,
            0.25 * aux.radius,
            jnp.where(
                (rho > 0.75) & (pn >= 0.99 * aux.radius),
                jnp.minimum(2 * aux.radius, r_max),
                aux.radius,
            ),
        )
        accept = rho > eta
        x1 = jnp.where(accept, x + p, x)
        model, nh2 = jax.lax.cond(
            accept, lambda: (init_model(x1), jnp.asarray(1)), lambda: (aux.model, jnp.asarray(0))
        )
        flag = jnp.where(radius < r_min, 5, 0)
        return StepOut(
            x1, jnp.where(accept, f1, f), jnp.where(accept, g1, g), _TRAux(radius, model),
            jnp.asarray(1), nh + nh2 * int(bool(aux.model)), flag, accept,
        )  # fmt: skip

    return init, step


def make_trust_ncg(vg: Callable, fun: Callable, opts: dict, n: int, dtype):
    """Trust-region Newton-CG (Steihaug)."""
    cg_maxiter = int(opts.get("cg_maxiter", 20 * n))

    def solve(x, g, aux):
        gn = jnp.linalg.norm(g)
        tol = jnp.minimum(0.5, jnp.sqrt(gn)) * gn
        p, r, nh, _ = steihaug_cg(_hvp_fn(fun, x), g, tol, cg_maxiter, aux.radius)
        pred = -0.5 * (jnp.vdot(p, r) + jnp.vdot(g, p))
        return p, pred, nh

    return _trust_region(vg, opts, lambda x: (), solve, dtype)


def make_trust_exact(vg: Callable, fun: Callable, opts: dict, dtype):
    """Trust-region Newton with the exact subproblem (dense eigendecomposition)."""
    hess = jax.hessian(fun)

    def model(x):
        return jnp.linalg.eigh(hess(x))

    def solve(x, g, aux):
        lam, q = aux.model
        p = trust_exact_step(lam, q, g, aux.radius)
        pt = q.T @ p
        pred = -(jnp.vdot(g, p) + 0.5 * jnp.vdot(pt, lam * pt))
        return p, pred, jnp.asarray(0)

    return _trust_region(vg, opts, model, solve, dtype)
