r"""Newton-type methods on flat vectors for :func:`minimize`.

* ``newton``: exact Hessian, made positive definite by a modified Cholesky
  factorisation (add :math:`\tau I` until it factors, N&W Algorithm 3.3), then a line search.
* ``newton-cg``: Hessian-free; truncated CG on :math:`\nabla^2 f\,p = -g` stopped at the
  forcing tolerance :math:`\min(0.5, \sqrt{\|g\|})\|g\|` or at negative curvature, then a
  Wolfe line search (N&W Algorithm 7.1).
* ``trust-ncg``: CG-Steihaug inside a trust region (N&W Algorithm 7.2, Steihaug 1983).
* ``trust-exact``: the trust-region subproblem solved nearly exactly by Moré and Sorensen's
  iteration on the damping (Cholesky factorisations, hard case included), with scipy's
  tolerances; for small problems.

References:
  Nocedal, Wright. Numerical Optimization, 2nd ed., ch. 3, 4, 7. 2006.
  https://doi.org/10.1007/978-0-387-40065-5
  Steihaug. The conjugate gradient method and trust regions in large scale optimization.
  1983. https://doi.org/10.1137/0720042
  Moré, Sorensen. Computing a trust region step. 1983. https://doi.org/10.1137/0904038
  Conn, Gould, Toint. Trust-Region Methods, section 7.3. 2000.
  https://doi.org/10.1137/1.9780898719857
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
    "more_sorensen_step",
    "hessian_bounds",
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


def _cholesky(a: jax.Array) -> jax.Array:
    """The Cholesky factor ``L`` of a symmetric ``a`` (``a = L L^T``) in the lower triangle,
    straight from LAPACK: the upper triangle keeps ``a``'s entries, and a failed
    factorisation is NaN throughout. ``jax.lax.linalg.cholesky`` also zeroes the upper
    triangle (and ``jnp.linalg.cholesky`` symmetrises ``a`` first), one more kernel per call
    that the triangular solves and the callers here never read."""
    return jax.lax.linalg.cholesky_p.bind(a)


def _cholesky_lower(a: jax.Array) -> tuple[jax.Array, jax.Array]:
    """:func:`_cholesky` of ``a`` and whether it exists."""
    low = _cholesky(a)
    return low, jnp.all(jnp.isfinite(low))


def _failed_cholesky_shift(a: jax.Array) -> jax.Array:
    r"""For a symmetric ``a`` that is not positive definite: :math:`\delta/\|v\|^2`, with
    :math:`k` the first leading block that is not positive definite, :math:`\delta` the
    amount that makes it singular when added to :math:`a_{kk}`, and :math:`v` its null
    vector (:math:`v_k = 1`). Then :math:`\lambda_1(a) \le -\delta/\|v\|^2`.

    The factorisation proceeds as Cholesky does (outer-product form) up to the first
    pivot that is not positive, whose Schur complement is :math:`-\delta` (Moré-Sorensen
    1983, section 3; Conn-Gould-Toint 2000, section 7.3.8).
    """
    n = a.shape[0]
    idx = jnp.arange(n)

    def body(j, c):
        schur, u_mat, k = c
        d = schur[j, j]
        ok = (k == n) & (d > 0)
        row = jnp.where(idx > j, schur[j] / jnp.sqrt(jnp.where(ok, d, 1.0)), 0.0)
        row = row.at[j].set(jnp.sqrt(jnp.where(ok, d, 1.0)))
        schur = jnp.where(ok, schur - jnp.outer(row, row) * (idx > j)[:, None], schur)
        u_mat = jnp.where(ok, u_mat.at[j].set(row), u_mat)
        return schur, u_mat, jnp.where((k == n) & ~ok, j, k)

    schur, u_mat, k = jax.lax.fori_loop(0, n, body, (a, jnp.zeros_like(a), jnp.asarray(n)))
    # Leading k x k factor U_k, the k-th column above the diagonal u: v[:k] = -U_k^{-1} u.
    lead = idx < k
    tri = jnp.where(lead[:, None] & lead[None, :], u_mat, jnp.eye(n, dtype=a.dtype))
    u = jnp.where(lead, u_mat[:, k], 0.0)
    v = jax.scipy.linalg.solve_triangular(tri, -u, lower=False)
    # k == n: the factorisation went through after all (rounding): no bound.
    return jnp.where(k < n, -schur[k, k] / (jnp.vdot(v, v) + 1.0), -jnp.inf)


def _smallest_singular_value(low: jax.Array) -> tuple[jax.Array, jax.Array]:
    r"""Estimate of the smallest singular value of ``U = low^T`` (upper triangular) and its right
    singular vector: choose :math:`e \in \{\pm1\}^n` greedily so that :math:`U^\top w = e`
    has a large solution, then :math:`Uv = w` (Cline, Moler, Stewart, Wilkinson 1979;
    Golub, Van Loan, Matrix Computations, 4th ed., Algorithm 3.5.1)."""
    n = low.shape[0]
    idx = jnp.arange(n)

    def body(k, c):
        acc, w = c
        wp = (1.0 - acc[k]) / low[k, k]
        wm = (-1.0 - acc[k]) / low[k, k]
        later = idx > k
        pp = jnp.where(later, acc + low[:, k] * wp, 0.0)
        pm = jnp.where(later, acc + low[:, k] * wm, 0.0)
        plus = jnp.abs(wp) + jnp.sum(jnp.abs(pp)) >= jnp.abs(wm) + jnp.sum(jnp.abs(pm))
        acc = jnp.where(later, jnp.where(plus, pp, pm), acc)
        return acc, w.at[k].set(jnp.where(plus, wp, wm))

    _, w = jax.lax.fori_loop(0, n, body, (jnp.zeros(n, low.dtype), jnp.zeros(n, low.dtype)))
    v = jax.scipy.linalg.solve_triangular(low, w, trans="T", lower=True)
    vn = jnp.linalg.norm(v)
    return jnp.linalg.norm(w) / vn, v / vn


class _MS(NamedTuple):
    lam: jax.Array  # the damping (Moré-Sorensen's lambda)
    lb: jax.Array
    ub: jax.Array
    p: jax.Array
    i: jax.Array
    done: jax.Array
    interior: jax.Array
    tentative: jax.Array  # lam is a Newton update from inside the region, not yet factored
    lam_fallback: jax.Array  # that update: the lower bound should it not factor


def hessian_bounds(h: jax.Array) -> jax.Array:
    """``[gershgorin_lb, gershgorin_ub, |H|_F, |H|_inf, min_i H_ii]`` of a symmetric ``h``."""
    d = jnp.diag(h)
    rows = jnp.sum(jnp.abs(h), axis=1)
    return jnp.stack([
        jnp.min(d + jnp.abs(d) - rows), jnp.max(d - jnp.abs(d) + rows),
        jnp.linalg.norm(h), jnp.max(rows), jnp.min(d),
    ])  # fmt: skip


def more_sorensen_step(
    h: jax.Array,
    g: jax.Array,
    radius: jax.Array,
    bounds: jax.Array,
    lb_prev: jax.Array,
    k_easy: float = 0.1,
    k_hard: float = 0.2,
    maxiter: int = 25,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    r"""A nearly exact trust-region step: Moré and Sorensen's iteration on the damping.

    Minimises :math:`g^\top p + \frac12 p^\top H p` over :math:`\|p\| \le \Delta` as
    Moré-Sorensen (1983) with the safeguards of Conn-Gould-Toint (2000, Algorithm 7.3.6).
    Each iteration factors :math:`H + \lambda I = U^\top U`. When that succeeds,
    :math:`p = -(H+\lambda I)^{-1} g`. Then one of the following happens:

    * :math:`\lambda = 0` and :math:`\|p\| \le \Delta`: the interior Newton step.
    * :math:`\|p\| > \Delta`: stop when :math:`|\|p\| - \Delta| \le` ``k_easy``
      :math:`\Delta`, else take Newton's step on :math:`1/\|p(\lambda)\| = 1/\Delta`.
    * :math:`\|p\| < \Delta`: move to the boundary along :math:`z`, the estimated
      smallest right singular vector of :math:`U`, when that changes the model by at most
      ``k_hard`` of :math:`p^\top(H+\lambda I)p + \lambda\Delta^2` (the hard case); else
      narrow the bounds on :math:`\lambda`.

    A failed factorisation raises the lower bound on :math:`\lambda` from the incomplete
    factor. The defaults are scipy's ``trust-exact`` (``k_easy=0.1``, ``k_hard=0.2``, at
    most 25 factorisations), whose iterates this follows.

    Args:
      bounds: :func:`hessian_bounds` of ``h`` (for the initial bounds on :math:`\lambda`).
      lb_prev: the lower bound the previous solve at the same point ended with, reused
        when the radius shrank (``-inf``: none).

    Returns:
      ``(p, boundary, lb)``: the step, whether it is a boundary step (false only for an
      interior Newton step), and the final lower bound on :math:`\lambda`.
    """
    dtype = g.dtype
    n = g.shape[0]
    eye = jnp.eye(n, dtype=dtype)
    gmag = jnp.linalg.norm(g)
    g_lb, g_ub, h_fro, h_inf, dmin = bounds
    big_g = gmag > n * jnp.finfo(dtype).eps * h_inf
    ub0 = jnp.maximum(0.0, gmag / radius + jnp.minimum(jnp.minimum(-g_lb, h_fro), h_inf))
    lb0 = jnp.maximum(
        jnp.maximum(0.0, -dmin), gmag / radius - jnp.minimum(jnp.minimum(g_ub, h_fro), h_inf)
    )
    lb0 = jnp.maximum(lb0, lb_prev)

    def between(lb, ub):
        return jnp.maximum(jnp.sqrt(jnp.abs(lb * ub)), lb + 0.01 * (ub - lb))

    def factored(s: _MS, low: jax.Array) -> _MS:
        lam = s.lam
        p = jax.scipy.linalg.cho_solve((low, True), -g)
        pn = jnp.linalg.norm(p)
        interior = (lam == 0) & (pn <= radius)
        w = jax.scipy.linalg.solve_triangular(low, p, lower=True)
        lam_new = lam + (pn / jnp.linalg.norm(w)) ** 2 * (pn - radius) / radius
        outside = pn >= radius

        # The smallest singular pair is needed inside the region and for a tiny gradient.
        s_min, z = jax.lax.cond(
            big_g & (outside | interior),
            lambda: (jnp.zeros((), dtype), p),
            lambda: _smallest_singular_value(low),
        )
        # Small gradient: the step is radius * z, accepted when lambda is nearly -lambda_1.
        tiny_done = (lam == 0) | ((radius * s_min) ** 2 <= k_hard * lam * radius**2)
        p_tiny = jnp.where(lam == 0, 0.0, radius * z)
        # Inside: to the boundary along z, the shorter of the two ways.
        zz, pz, c = jnp.vdot(z, z), 2.0 * jnp.vdot(p, z), pn * pn - radius**2
        aux = pz + jnp.where(pz >= 0, 1.0, -1.0) * jnp.sqrt(jnp.maximum(pz * pz - 4 * zz * c, 0))
        ta = -aux / (2 * zz)
        tb = -2 * c / jnp.where(aux == 0, 1.0, aux)
        lo_t, hi_t = jnp.minimum(ta, tb), jnp.maximum(ta, tb)
        t = jnp.where(jnp.abs(hi_t) < jnp.abs(lo_t), hi_t, lo_t)
        quad = -jnp.vdot(g, p)  # p^T (H + lam I) p
        hard_done = (t * s_min) ** 2 / (quad + lam * radius**2) <= k_hard
        easy_done = jnp.abs(pn - radius) / radius <= k_easy
        done = jnp.where(big_g, interior | jnp.where(outside, easy_done, hard_done), tiny_done)
        p_out = jnp.where(big_g, jnp.where(~outside & ~interior & hard_done, p + t * z, p), p_tiny)
        # Not done: inside (or tiny gradient) narrows [lb, ub] around lam; outside, lam is
        # the new lower bound and Newton's step follows (a tentative one from inside).
        lb_in = jnp.maximum(s.lb, lam - s_min**2)
        lb = jnp.where(big_g & outside, lam, lb_in)
        ub = jnp.where(big_g & outside, s.ub, lam)
        tentative = big_g & ~outside
        lam_next = jnp.where(big_g, lam_new, between(lb_in, lam))
        return s._replace(
            lam=jnp.where(done, lam, lam_next), lb=jnp.where(done, s.lb, lb),
            ub=jnp.where(done, s.ub, ub), p=p_out, done=done,
            interior=jnp.where(big_g, interior, lam == 0), tentative=~done & tentative,
            lam_fallback=lam_new,
        )  # fmt: skip

    def failed(s: _MS, a: jax.Array) -> _MS:
        # A tentative Newton update that does not factor: lb >= it. Otherwise the incomplete
        # factor's bound on the lowest eigenvalue.
        lb = jax.lax.cond(
            s.tentative,
            lambda: jnp.maximum(s.lb, s.lam_fallback),
            lambda: jnp.maximum(s.lb, s.lam + _failed_cholesky_shift(a)),
        )
        return s._replace(lam=between(lb, s.ub), lb=lb, tentative=jnp.asarray(False))

    def body(s: _MS) -> _MS:
        a = h + s.lam * eye
        low, ok = _cholesky_lower(a)
        # A tentative update that fails is part of the iteration that proposed it.
        s = s._replace(i=s.i + jnp.where(s.tentative & ~ok, 0, 1))
        return jax.lax.cond(ok, factored, failed, s, jnp.where(ok, low, a))

    init = _MS(
        jnp.where(lb0 == 0, 0.0, between(lb0, ub0)), lb0, ub0, jnp.zeros_like(g),
        jnp.asarray(0), jnp.asarray(False), jnp.asarray(False), jnp.asarray(False),
        jnp.zeros((), dtype),
    )  # fmt: skip
    s = packed_while_loop(lambda s: ~s.done & (s.i < maxiter), body, init)
    return s.p, ~s.interior, s.lb


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
    model: tuple  # trust-exact: (Hessian, hessian_bounds); trust-ncg: ()
    sub: tuple  # trust-exact: (lower bound on lambda, radius) of the last solve at x


def _trust_region(vg, opts, init_model, solve, dtype, init_sub=lambda: ()):
    eta = opts.get("eta", 0.15)
    r_max = opts.get("max_trust_radius", 1000.0)
    r0 = opts.get("initial_trust_radius", 1.0)
    r_min = opts.get("min_trust_radius", float(jnp.finfo(dtype).eps) * 1e-2)

    def init(x, f, g):
        return _TRAux(jnp.asarray(r0, dtype), init_model(x), init_sub())

    def step(x, f, g, aux: _TRAux) -> StepOut:
        p, pred, nh, boundary, sub = solve(x, g, aux)
        f1, g1 = vg(x + p)
        ok = jnp.isfinite(f1) & jnp.all(jnp.isfinite(g1))
        rho = jnp.where(ok & (pred > 0), (f - f1) / jnp.where(pred > 0, pred, 1.0), -1.0)
        radius = jnp.where(
            rho < 0.25,
            0.25 * aux.radius,
            jnp.where((rho > 0.75) & boundary, jnp.minimum(2 * aux.radius, r_max), aux.radius),
        )
        accept = rho > eta
        x1 = jnp.where(accept, x + p, x)
        model, nh2 = jax.lax.cond(
            accept, lambda: (init_model(x1), jnp.asarray(1)), lambda: (aux.model, jnp.asarray(0))
        )
        # A new point starts the subproblem's memory afresh.
        sub = jax.tree.map(lambda a, b: jnp.where(accept, a, b), init_sub(), sub)
        flag = jnp.where(radius < r_min, 5, 0)
        return StepOut(
            x1, jnp.where(accept, f1, f), jnp.where(accept, g1, g), _TRAux(radius, model, sub),
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
        return p, pred, nh, jnp.linalg.norm(p) >= 0.99 * aux.radius, ()

    return _trust_region(vg, opts, lambda x: (), solve, dtype)


def make_trust_exact(vg: Callable, fun: Callable, opts: dict, dtype):
    """Trust-region Newton with Moré-Sorensen's nearly exact subproblem (dense Cholesky)."""
    hess = jax.hessian(fun)
    k_easy = opts.get("k_easy", 0.1)
    k_hard = opts.get("k_hard", 0.2)

    def model(x):
        h = hess(x)
        return h, hessian_bounds(h)

    def init_sub():
        return jnp.asarray(-jnp.inf, dtype), jnp.asarray(-1.0, dtype)

    def solve(x, g, aux):
        h, bounds = aux.model
        lb_prev, r_prev = aux.sub
        lb_prev = jnp.where(aux.radius < r_prev, lb_prev, -jnp.inf)
        p, boundary, lb = more_sorensen_step(h, g, aux.radius, bounds, lb_prev, k_easy, k_hard)
        pred = -(jnp.vdot(g, p) + 0.5 * jnp.vdot(p, h @ p))
        return p, pred, jnp.asarray(0), boundary, (lb, aux.radius)

    return _trust_region(vg, opts, model, solve, dtype, init_sub)
