r"""``least_squares(residual_fn, x0, method=...)``: Gauss-Newton and Levenberg-Marquardt.

Minimises :math:`F(x) = \tfrac12\|r(x)\|^2` for a residual :math:`r: \mathbb{R}^n \to
\mathbb{R}^m` given on pytrees, with the Jacobian by forward mode (``m >= n``, kept
transposed, the layout forward mode makes it in) or reverse mode, in one compiled
``lax.while_loop``.

References:
  Levenberg. A method for the solution of certain non-linear problems in least squares.
  1944. https://doi.org/10.1090/qam/10666
  Marquardt. An algorithm for least-squares estimation of nonlinear parameters. 1963.
  https://doi.org/10.1137/0111030
  Nielsen. Damping parameter in Marquardt's method. 1999.
  https://www2.imm.dtu.dk/documents/ftp/tr99/tr05_99.pdf
  Chamberlain, Powell, Lemarechal, Pedersen. The watchdog technique for forcing
  convergence in algorithms for constrained optimization. Mathematical Programming
  Study 16, 1-17, 1982.
  Nocedal, Wright. Numerical Optimization, 2nd ed., ch. 10 and 15.6. 2006.
  https://doi.org/10.1007/978-0-387-40065-5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from optzoo.second_order.loops import packed_while_loop, solver_jit
from optzoo.second_order.minimization import _maxiter, _scalar_args
from optzoo.second_order.newton import _cholesky
from optzoo.second_order.result import OptimizeResult

__all__ = ["least_squares", "LEAST_SQUARES_METHODS"]

LEAST_SQUARES_METHODS = ("lm", "gauss-newton")

# The largest Jacobian basis (identity) built into the compiled program as a constant: 256 x
# 256, 512 KiB in float64. See ``lin_fn`` in ``_run``.
_CONSTANT_BASIS = 256


class _LS(NamedTuple):
    x: jax.Array
    r: jax.Array
    c: jax.Array  # the cost 0.5 |r|^2
    jt: jax.Array  # the Jacobian, transposed (n x m): the layout forward mode makes it in
    a: jax.Array  # J^T J at x (lm only; a 0-size placeholder for gauss-newton)
    g: jax.Array  # J^T r at x
    mu: jax.Array
    nu: jax.Array
    diag: jax.Array
    nit: jax.Array
    nfev: jax.Array
    njev: jax.Array
    status: jax.Array
    f_small: jax.Array  # the previous iteration met the ftol test
    stall: jax.Array  # consecutive iterations, any step length, that met it (gauss-newton)
    wd: _Watchdog  # gauss-newton's nonmonotone steps (lm carries it unchanged)


class _Watchdog(NamedTuple):
    """Gauss-Newton's reference point: the last one whose step passed the Armijo test."""

    v: jax.Array  # its x, direction p and J^T r, in one buffer (one select per iteration)
    c: jax.Array  # its cost
    slope: jax.Array  # J^T r . p there
    a: jax.Array  # the step backtracking tries first if the run returns to it
    k: jax.Array  # relaxed (unchecked) steps taken since it; 0: the current point is it
    full: jax.Array  # the last checked step was a full one (relaxed steps are allowed)

    @staticmethod
    def pack(x, p, g) -> jax.Array:
        return jnp.concatenate([x, p, g])

    def parts(self, n: int) -> list[jax.Array]:
        """``x, p, g`` of the reference (``n`` parameters)."""
        return jnp.split(self.v, [n, 2 * n])


def _first_order(jt, r, g, gtol):
    """The first-order test: ``|J^T r|_inf <= gtol``, or MINPACK's scale-free form (scipy
    ``lm``'s ``gtol``): the largest cosine between ``r`` and a column of ``J`` is ``<= gtol``.
    ``jt`` is ``J^T``."""
    # One reduction gives the squared column norms and |r|^2 (returned: the cost's 2x).
    sq = jnp.sum(jnp.concatenate([jt, r[None, :]], axis=0) ** 2, axis=1)
    denom = jnp.sqrt(sq[:-1] * sq[-1])
    cos = jnp.where(denom > 0, jnp.abs(g) / jnp.where(denom > 0, denom, 1.0), 0.0)
    return (jnp.max(jnp.abs(g)) <= gtol) | (jnp.max(cos) <= gtol), sq[-1]


def _status(finite, first_order, f_small, x_small, flag, nit, maxiter):
    # 0 only when the first-order test holds; ftol / xtol stops without it are 6 / 7.
    return jnp.where(
        ~finite, 3,
        jnp.where(first_order, 0,
                  jnp.where(f_small, 6, jnp.where(x_small, 7,
                            jnp.where(flag != 0, flag, jnp.where(nit >= maxiter, 1, -1))))),
    )  # fmt: skip


def _gn_solve(jt: jax.Array, r: jax.Array, g: jax.Array) -> jax.Array:
    """Gauss-Newton step ``argmin |J p + r|``, given ``jt`` (``J^T``) and ``g = J^T r``
    (the solver keeps both): :func:`_direct_step` where it is safe, else
    :func:`_pivoted_solve` (rank deficient or nearly so). Fewer residuals than parameters:
    ``lstsq`` (minimum norm)."""
    n, m = jt.shape
    if m < n:
        return jnp.linalg.lstsq(jt.T, -r)[0]
    p, ok = _direct_step(jt, r, g)
    return jax.lax.cond(ok, lambda: p, lambda: _pivoted_solve(jt.T, r))


def _direct_step(jt: jax.Array, r: jax.Array, g: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The Gauss-Newton step by one small LAPACK factorisation (a third to a fifth of the
    pivoted QR's cost at n = 3 to 10), and whether its factor shows it safe (``m >= n``).

    A square ``J`` is solved by LU with partial pivoting of ``[J | -r]``, so the row
    interchanges and the forward substitution reach ``-r`` inside the one LAPACK call and
    only the back substitution is left (no permutation vector is built: XLA builds it from
    the pivots in a loop of ``n`` steps). It is safe when every ``|U_ii|`` is above
    ``100 n eps`` times the largest: a margin of 100 over the pivoted QR's rank cutoff
    (above the cutoff the QR drops no column and both give the same step), as an LU's
    pivots show a near-singular ``J`` less reliably than a pivoted QR's diagonal.

    A tall ``J`` is solved by the normal equations, safe when every ``L_ii`` of the Cholesky
    factor of ``J^T J`` is above ``eps**0.25`` times the norm of column ``i`` of ``J``.
    ``L_ii / |J_i|`` is the sine of the angle between column ``i`` and the columns before
    it, which the columns' scales do not change; nor do they change the accuracy of the
    Cholesky solve (van der Sluis 1969, "Condition numbers and equilibration of matrices",
    Numer. Math. 14), so a well-conditioned ``J`` with badly scaled columns (Meyer's,
    Gulf's) takes this path. Above the bound, squaring the scaled condition number costs
    little accuracy. A failed factorisation (NaN) is not safe.
    """
    n, m = jt.shape
    eps = jnp.finfo(jt.dtype).eps
    jac = jt.T
    if m == n:
        # Pivots are chosen in the first n columns only; the last column becomes L^-1 P (-r).
        lu = jax.lax.linalg.lu(jnp.concatenate([jac, -r[:, None]], axis=1))[0]
        d = jnp.abs(jnp.diag(lu))
        p = jax.scipy.linalg.solve_triangular(lu[:, :n], lu[:, n], lower=False)
        return p, jnp.min(d) > 100 * n * eps * jnp.max(d)
    a = jt @ jac
    chol = _cholesky(a)
    p = jax.scipy.linalg.cho_solve((chol, True), -g)
    return p, jnp.min(jnp.diag(chol) / jnp.sqrt(jnp.diag(a))) > eps**0.25


def _pivoted_solve(jac: jax.Array, r: jax.Array) -> jax.Array:
    """``argmin |J p + r|`` by QR with column pivoting (``m >= n``): columns beyond the
    numerical rank (``|R_ii| <= eps * max(m, n) * |R_00|``) get a zero component, so a
    rank-deficient ``J`` gives a basic least-squares solution instead of a huge step."""
    m, n = jac.shape
    q, rr, perm = jax.scipy.linalg.qr(jac, mode="economic", pivoting=True)
    d = jnp.abs(jnp.diag(rr))
    keep = d > jnp.finfo(jac.dtype).eps * max(m, n) * d[0]
    rr = jnp.where(keep[:, None] & keep[None, :], rr, jnp.eye(n, dtype=jac.dtype))
    rhs = jnp.where(keep, -(q.T @ r), 0.0)
    z = jax.scipy.linalg.solve_triangular(rr, rhs, lower=False)
    return jnp.zeros_like(z).at[perm].set(z)


@solver_jit(static_argnames=("residual_fn", "method"))
def _run(x0, args, ftol, xtol, gtol, maxiter, watchdog, *, residual_fn, method) -> OptimizeResult:
    flat0, unravel = ravel_pytree(x0)
    if not jnp.issubdtype(flat0.dtype, jnp.floating):
        flat0 = flat0.astype(jnp.result_type(float))
    dtype = flat0.dtype
    n = flat0.size

    def res_fn(x):
        return jnp.ravel(jnp.asarray(residual_fn(unravel(x), *args))).astype(dtype)

    m = jax.eval_shape(res_fn, flat0).shape[0]

    def basis(k):
        # Up to _CONSTANT_BASIS the basis is a NumPy constant, so XLA folds the products of
        # the residual's constants with it; above, it is built at run time, which keeps the
        # compiled program small.
        return np.eye(k, dtype=dtype) if k <= _CONSTANT_BASIS else jnp.eye(k, dtype=dtype)

    def lin_fn(x):
        """``r`` and ``J^T`` at ``x``, from one linearisation (the residual is the primal
        output of the Jacobian's forward or reverse pass, not a second evaluation).
        Forward mode (``m >= n``) makes ``J^T`` row by row, so the solver keeps it in that
        layout (carrying ``J`` made XLA transpose it for every ``J^T J``); reverse mode
        (``m < n``) makes ``J``."""
        if m < n:
            r, pullback = jax.vjp(res_fn, x)
            return r, jax.vmap(lambda u: pullback(u)[0], out_axes=1)(basis(m))
        return jax.vmap(lambda v: jax.jvp(res_fn, (x,), (v,)), out_axes=(None, 0))(basis(n))

    cost = lambda r: 0.5 * jnp.vdot(r, r)
    lm = method == "lm"
    r0, j0 = lin_fn(flat0)
    g0, c0 = j0 @ r0, cost(r0)
    a0 = j0 @ j0.T if lm else jnp.zeros((0, 0), dtype)
    finite0 = jnp.all(jnp.isfinite(r0)) & jnp.all(jnp.isfinite(j0))
    diag0 = jnp.maximum(jnp.sum(j0 * j0, axis=1), jnp.finfo(dtype).tiny)
    status0 = jnp.where(~finite0, 3, jnp.where(_first_order(j0, r0, g0, gtol)[0], 0, -1))
    status0 = jnp.where((status0 == -1) & (maxiter <= 0), 1, status0)
    # Marquardt's scaling: the damping is mu * D with D ~ diag(J^T J), so mu is relative and
    # starts at 1e-3 whatever the scale of J (not 1e-3 * max diag, which on badly scaled
    # problems such as Meyer means a relative damping of 1e9).
    state = _LS(
        flat0, r0, c0, j0, a0, g0, jnp.asarray(1e-3, dtype), jnp.asarray(2.0, dtype),
        diag0,
        jnp.asarray(0), jnp.asarray(1), jnp.asarray(1), status0, jnp.asarray(False),
        jnp.asarray(0),
        _Watchdog(_Watchdog.pack(flat0, jnp.zeros_like(flat0), g0), c0,
                  jnp.zeros((), dtype), jnp.ones((), dtype), jnp.asarray(0), jnp.asarray(True)),
    )  # fmt: skip

    def lm_body(s: _LS) -> _LS:
        # Marquardt's scaled damping: (J^T J + mu D) p = -J^T r with D = max-so-far diag(J^T J).
        chol = _cholesky(s.a + s.mu * jnp.diag(s.diag))
        p = -jax.scipy.linalg.cho_solve((chol, True), s.g)
        x1 = s.x + p
        r1 = res_fn(x1)
        c0, c1 = s.c, cost(r1)
        pred = -(jnp.vdot(s.g, p) + 0.5 * jnp.vdot(p, s.a @ p))
        ok = jnp.all(jnp.isfinite(r1)) & jnp.all(jnp.isfinite(p))
        rho = jnp.where(ok & (pred > 0), (c0 - c1) / jnp.where(pred > 0, pred, 1.0), -1.0)
        accept = rho > 1e-4
        # Nielsen's damping update.
        mu = jnp.where(
            accept, s.mu * jnp.maximum(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3), s.mu * s.nu
        )
        nu = jnp.where(accept, 2.0, 2.0 * s.nu)
        j1, a1, g1 = jax.lax.cond(
            accept,
            lambda: (lambda j: (j, j @ j.T, j @ r1))(lin_fn(x1)[1]),
            lambda: (s.jt, s.a, s.g),
        )
        x_new = jnp.where(accept, x1, s.x)
        r_new = jnp.where(accept, r1, s.r)
        diag = jnp.where(accept, jnp.maximum(s.diag, jnp.diag(a1)), s.diag)
        f_small = accept & (c0 - c1 <= ftol * c0) & (pred <= ftol * c0)
        x_small = ok & (jnp.linalg.norm(p) <= xtol * (xtol + jnp.linalg.norm(s.x)))
        finite = jnp.all(jnp.isfinite(g1))
        flag = jnp.where(~jnp.isfinite(mu) | (mu > jnp.finfo(dtype).max / 1e4), 2, 0)
        nit = s.nit + 1
        first, _ = _first_order(j1, r_new, g1, gtol)
        # ftol stops on the second accepted step in a row that meets it, so a run one step
        # short of the gradient test takes that step.
        f_stop = f_small & s.f_small
        status = _status(finite, first, f_stop, x_small, flag, nit, maxiter)
        return _LS(
            x_new,
            r_new,
            jnp.where(accept, c1, s.c),
            j1,
            a1,
            g1,
            mu,
            nu,
            diag,
            nit,
            s.nfev + 1,
            s.njev + accept,
            status,
            jnp.where(accept, f_small, s.f_small),
            s.stall,
            s.wd,
        )

    def gn_body(s: _LS) -> _LS:
        # Gauss-Newton step from the least-squares solve J p = -r. The full step is tried
        # first. A full step that fails the Armijo test may still be taken, up to
        # ``watchdog`` in a row (Chamberlain et al.'s watchdog): the run keeps the last
        # checked point (the reference) and takes the full step that brings the cost below
        # the reference's Armijo bound. If none does, it returns to the reference and
        # backtracks from there (quadratic interpolation, kept in [0.1, 0.5] times the last
        # step) along the reference's direction, so the method stays globally convergent.
        p = _gn_solve(s.jt, s.r, s.g)
        c0 = s.c
        slope_p = jnp.vdot(s.g, p)
        ok_p = (slope_p < 0) & jnp.isfinite(slope_p)  # a finite slope: a finite p (g is finite)
        p = jnp.where(ok_p, p, -s.g)
        slope = jnp.where(ok_p, slope_p, -jnp.vdot(s.g, s.g))
        w = s.wd
        wx, wp, _ = w.parts(n)
        at_ref = w.k == 0
        xb, pb = jnp.where(at_ref, s.x, wx), jnp.where(at_ref, p, wp)
        cb, sb = jnp.where(at_ref, c0, w.c), jnp.where(at_ref, slope, w.slope)

        def trial(x, d, a):
            r_t = res_fn(x + a * d)
            # One reduction for the cost and the finiteness test: a non-finite residual
            # makes the cost NaN (an overflowing finite one makes it inf, as before).
            c_t = 0.5 * jnp.sum(jnp.where(jnp.isfinite(r_t), r_t * r_t, jnp.nan))
            ok = ~jnp.isnan(c_t)
            done = ok & (c_t <= cb + 1e-4 * a * sb)
            den = 2.0 * (c_t - cb - sb * a)
            quad = jnp.where(ok & (den > 0), -sb * a * a / jnp.where(den > 0, den, 1.0), 0.5 * a)
            a_next = jnp.where(done, a, jnp.clip(quad, 0.1 * a, 0.5 * a))
            return a_next, done, ok

        # The full step from the current point, checked against the reference.
        a_next, full, finite_t = trial(s.x, p, jnp.ones((), dtype))
        relax = finite_t & ~full & ok_p & (w.k < watchdog) & w.full

        def backtrack(c):
            def body(c):
                i, a, _ = c
                return (i + 1, *trial(xb, pb, a)[:2])

            return packed_while_loop(lambda c: (~c[2]) & (c[0] < 30), body, c)

        # Backtracking (from the reference) runs only when the full step is neither
        # accepted nor relaxed; from a reference reached by relaxed steps it starts where
        # the reference's own rejected full step left it.
        first = (jnp.asarray(1), jnp.where(at_ref, a_next, w.a), full | relax)
        nls, step, moved = jax.lax.cond(first[2], lambda c: c, backtrack, first)
        back = ~(full | relax)
        x1 = jnp.where(back, xb + step * pb, s.x + p)
        x1 = jnp.where(moved, x1, xb)
        # The residual and the Jacobian at the new point come from one linearisation (the
        # trials' residuals are not carried out of the search). Not moved ends the run
        # (flag 2), so this runs unconditionally (at the reference then), not under a cond.
        r1, j1 = lin_fn(x1)
        g1 = j1 @ r1
        first, rr1 = _first_order(j1, r1, g1, gtol)
        c1 = 0.5 * rr1
        # ftol only counts after a full Gauss-Newton step (a backtracked step says nothing
        # about convergence); xtol looks at the Gauss-Newton step itself. Both compare
        # with the reference; a relaxed step counts for neither.
        small = moved & ~relax & (cb - c1 <= ftol * cb)
        f_small = small & full
        # A stall: five iterations in a row whose (backtracked) steps barely lower the cost.
        # Where the Gauss-Newton direction is poor (large residuals, a near-singular J),
        # backtracking can otherwise creep along for thousands of evaluations.
        stall = jnp.where(relax, s.stall, jnp.where(small, s.stall + 1, 0))
        pn, xn = jnp.sqrt(jnp.sum(jnp.stack([p, s.x]) ** 2, axis=1))
        x_small = ok_p & at_ref & (pn <= xtol * (xtol + xn))
        # On a relaxed point only the first-order test and the iteration cap end the run
        # (the cap returns the reference, below): a non-finite Jacobian there sends the next
        # iteration back to the reference (its full step is not finite).
        finite = jnp.all(jnp.isfinite(g1)) | relax
        nit = s.nit + 1
        status = _status(
            finite, first, (f_small & s.f_small) | (stall >= 5), x_small & ~relax,
            jnp.where(moved, 0, 2), nit, maxiter,
        )  # fmt: skip
        # A relaxed step from the reference makes the current point the reference.
        new_ref = relax & at_ref
        wd = _Watchdog(
            jnp.where(new_ref, _Watchdog.pack(s.x, p, s.g), w.v),
            jnp.where(new_ref, c0, w.c), jnp.where(new_ref, slope, w.slope),
            jnp.where(new_ref, a_next, w.a), jnp.where(relax, w.k + 1, 0),
            jnp.where(relax, w.full, full),
        )  # fmt: skip
        return s._replace(
            x=x1, r=r1, c=c1, jt=j1, g=g1, nit=nit, nfev=s.nfev + nls, njev=s.njev + moved,
            status=status, f_small=f_small, stall=stall, wd=wd,
        )  # fmt: skip

    body = lm_body if lm else gn_body
    s = packed_while_loop(lambda s: s.status == -1, body, state)
    # Stopped by the cap on a relaxed point: the reference (the lowest checked cost) is the
    # answer. A stationary relaxed point (status 0) is kept.
    relaxed_end = (s.wd.k > 0) & (s.status != 0)
    ref_x, _, ref_g = s.wd.parts(n)
    s = s._replace(
        x=jnp.where(relaxed_end, ref_x, s.x), c=jnp.where(relaxed_end, s.wd.c, s.c),
        g=jnp.where(relaxed_end, ref_g, s.g),
    )  # fmt: skip
    return OptimizeResult(
        x=unravel(s.x), fun=s.c, grad=unravel(s.g), grad_norm=jnp.max(jnp.abs(s.g)),
        nit=s.nit, nfev=s.nfev, njev=s.njev, nhev=jnp.asarray(0), status=s.status,
        success=s.status == 0,
    )  # fmt: skip


def least_squares(
    residual_fn: Callable[..., jax.Array],
    x0: Any,
    method: str = "lm",
    ftol: float = 1e-8,
    xtol: float = 1e-8,
    gtol: float = 1e-8,
    maxiter: int | None = None,
    args: tuple = (),
    watchdog: int = 3,
) -> OptimizeResult:
    r"""Nonlinear least squares :math:`\min_x \tfrac12\|r(x)\|^2`, as scipy's ``least_squares``.

    ``"lm"`` (Levenberg-Marquardt): solve :math:`(J^\top J + \mu D)p = -J^\top r`, with
    :math:`D` the running maximum of :math:`\mathrm{diag}(J^\top J)` (Marquardt's scaling),
    accept when the gain ratio :math:`\rho > 10^{-4}`, and update :math:`\mu` by Nielsen's
    rule. ``"gauss-newton"``: :math:`p = \arg\min\|Jp + r\|` (LU, normal equations or QR
    with column pivoting, by conditioning) with Armijo backtracking, guarded by a watchdog
    (Chamberlain, Powell, Lemarechal, Pedersen 1982): a full step that fails the Armijo
    test may still be taken, up to ``watchdog`` in a row, and the run keeps the first full
    step that lands below the last checked point's Armijo bound; if none does, it returns
    to that point and backtracks from it. Through curved valleys, where a full step first
    raises the cost and the next lands near the minimum, this takes 3 evaluations on
    Rosenbrock instead of 27. ``watchdog=0`` is the monotone method.

    Succeeds (status 0) when the first-order test holds: :math:`\|J^\top r\|_\infty \le`
    ``gtol``, or the largest cosine between :math:`r` and a column of :math:`J` is
    :math:`\le` ``gtol`` (MINPACK's and scipy ``lm``'s scale-free test). It also stops when
    the cost falls by less than ``ftol`` relative on two iterations in a row (actual and
    predicted, as MINPACK; for ``"gauss-newton"`` after full steps, or on five in a row
    whatever the step: a stall) or when the step is below ``xtol`` :math:`(` ``xtol``
    :math:`+ \|x\|)`; where the first-order test does not hold there, that is status 6
    (ftol) or 7 (xtol) with ``success=False``, not a success as in scipy.

    Args:
      residual_fn: ``residual_fn(x, *args)`` returns the residual array (any shape).
      x0: starting point, a pytree.
      method: ``"lm"`` or ``"gauss-newton"``.
      ftol, xtol, gtol: tolerances as above (scipy's defaults).
      maxiter: iteration cap (default ``100 * n``, as scipy's ``max_nfev`` for ``lm``).
      args: extra arguments for ``residual_fn``.
      watchdog: ``"gauss-newton"`` only: how many unchecked full steps in a row it may
        take (default 3; 0: monotone backtracking). Relaxed steps are tried only after a
        checked full step, and a run never ends on one unless it is stationary (the
        iteration cap returns the last checked point).

    Returns:
      :class:`OptimizeResult` with ``fun`` the cost :math:`\tfrac12\|r\|^2` (scipy's ``cost``),
      ``grad`` :math:`= J^\top r`, ``nfev`` residual evaluations and ``njev`` Jacobians.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> t = jnp.linspace(0, 1, 20); y = 2.0 * jnp.exp(-3.0 * t)
      >>> res = optzoo.second_order.least_squares(
      ...     lambda p: p[0] * jnp.exp(-p[1] * t) - y, jnp.ones(2))
      >>> bool(res.success)
      True

    References:
      Levenberg 1944, https://doi.org/10.1090/qam/10666; Marquardt 1963,
      https://doi.org/10.1137/0111030; Nielsen 1999,
      https://www2.imm.dtu.dk/documents/ftp/tr99/tr05_99.pdf; Chamberlain, Powell,
      Lemarechal, Pedersen 1982, Mathematical Programming Study 16, 1-17 (the watchdog)
    """
    method = method.lower().replace("_", "-")
    if method == "gn":
        method = "gauss-newton"
    if method not in LEAST_SQUARES_METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {LEAST_SQUARES_METHODS}")
    if maxiter is None:
        n = sum(np.size(leaf) for leaf in jax.tree.leaves(x0))
        maxiter = 100 * max(n, 1)
    if not isinstance(args, tuple):
        args = (args,)
    if isinstance(watchdog, bool) or not isinstance(watchdog, (int, np.integer)) or watchdog < 0:
        raise ValueError(f"watchdog must be an integer >= 0, got {watchdog!r}")
    # Tolerances and maxiter are traced: changing them does not recompile.
    scalars = _scalar_args(
        (x0, args), float(ftol), float(xtol), float(gtol), _maxiter(maxiter), int(watchdog)
    )
    return _run(x0, args, *scalars, residual_fn=residual_fn, method=method)
