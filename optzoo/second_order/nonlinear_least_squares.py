r"""``least_squares(residual_fn, x0, method=...)``: Gauss-Newton and Levenberg-Marquardt.

Minimises :math:`F(x) = \tfrac12\|r(x)\|^2` for a residual :math:`r: \mathbb{R}^n \to
\mathbb{R}^m` given on pytrees, with the Jacobian from ``jax.jacfwd`` (``m >= n``) or
``jax.jacrev``, in one compiled ``lax.while_loop``.

References:
  Levenberg. A method for the solution of certain non-linear problems in least squares.
  1944. https://doi.org/10.1090/qam/10666
  Marquardt. An algorithm for least-squares estimation of nonlinear parameters. 1963.
  https://doi.org/10.1137/0111030
  Nielsen. Damping parameter in Marquardt's method. 1999.
  https://www2.imm.dtu.dk/documents/ftp/tr99/tr05_99.pdf
  Nocedal, Wright. Numerical Optimization, 2nd ed., ch. 10. 2006.
  https://doi.org/10.1007/978-0-387-40065-5
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from optzoo.second_order.linesearch import backtracking_armijo
from optzoo.second_order.result import OptimizeResult

__all__ = ["least_squares", "LEAST_SQUARES_METHODS"]

LEAST_SQUARES_METHODS = ("lm", "gauss-newton")


class _LS(NamedTuple):
    x: jax.Array
    r: jax.Array
    jac: jax.Array
    mu: jax.Array
    nu: jax.Array
    diag: jax.Array
    nit: jax.Array
    nfev: jax.Array
    njev: jax.Array
    status: jax.Array


def _status(finite, gnorm, gtol, f_small, x_small, flag, nit, maxiter):
    return jnp.where(
        ~finite, 3,
        jnp.where((gnorm <= gtol) | f_small | x_small, 0,
                  jnp.where(flag != 0, flag, jnp.where(nit >= maxiter, 1, -1))),
    )  # fmt: skip


@functools.partial(jax.jit, static_argnames=("residual_fn", "method"))
def _run(x0, args, ftol, xtol, gtol, maxiter, *, residual_fn, method) -> OptimizeResult:
    flat0, unravel = ravel_pytree(x0)
    if not jnp.issubdtype(flat0.dtype, jnp.floating):
        flat0 = flat0.astype(jnp.result_type(float))
    dtype = flat0.dtype
    n = flat0.size

    def res_fn(x):
        return jnp.ravel(jnp.asarray(residual_fn(unravel(x), *args))).astype(dtype)

    m = jax.eval_shape(res_fn, flat0).shape[0]
    jac_fn = jax.jacfwd(res_fn) if m >= n else jax.jacrev(res_fn)
    cost = lambda r: 0.5 * jnp.vdot(r, r)
    r0, j0 = res_fn(flat0), jac_fn(flat0)
    g0 = j0.T @ r0
    finite0 = jnp.all(jnp.isfinite(r0)) & jnp.all(jnp.isfinite(j0))
    diag0 = jnp.maximum(jnp.sum(j0 * j0, axis=0), jnp.finfo(dtype).tiny)
    status0 = jnp.where(~finite0, 3, jnp.where(jnp.max(jnp.abs(g0)) <= gtol, 0, -1))
    state = _LS(
        flat0, r0, j0, 1e-3 * jnp.max(diag0), jnp.asarray(2.0, dtype), diag0,
        jnp.asarray(0), jnp.asarray(1), jnp.asarray(1), status0,
    )  # fmt: skip

    def lm_body(s: _LS) -> _LS:
        # Marquardt's scaled damping: (J^T J + mu D) p = -J^T r with D = max-so-far diag(J^T J).
        a = s.jac.T @ s.jac
        g = s.jac.T @ s.r
        p = jnp.linalg.solve(a + s.mu * jnp.diag(s.diag), -g)
        x1 = s.x + p
        r1 = res_fn(x1)
        c0, c1 = cost(s.r), cost(r1)
        pred = -(jnp.vdot(g, p) + 0.5 * jnp.vdot(p, a @ p))
        ok = jnp.all(jnp.isfinite(r1))
        rho = jnp.where(ok & (pred > 0), (c0 - c1) / jnp.where(pred > 0, pred, 1.0), -1.0)
        accept = rho > 1e-4
        # Nielsen's damping update.
        mu = jnp.where(
            accept, s.mu * jnp.maximum(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3), s.mu * s.nu
        )
        nu = jnp.where(accept, 2.0, 2.0 * s.nu)
        j1 = jax.lax.cond(accept, lambda: jac_fn(x1), lambda: s.jac)
        x_new = jnp.where(accept, x1, s.x)
        r_new = jnp.where(accept, r1, s.r)
        diag = jnp.where(accept, jnp.maximum(s.diag, jnp.sum(j1 * j1, axis=0)), s.diag)
        g1 = j1.T @ r_new
        f_small = accept & (c0 - c1 <= ftol * c0) & (pred <= ftol * c0)
        x_small = jnp.linalg.norm(p) <= xtol * (xtol + jnp.linalg.norm(s.x))
        finite = jnp.all(jnp.isfinite(g1))
        flag = jnp.where(~jnp.isfinite(mu) | (mu > jnp.finfo(dtype).max / 1e4), 2, 0)
        nit = s.nit + 1
        status = _status(finite, jnp.max(jnp.abs(g1)), gtol, f_small, x_small, flag, nit, maxiter)
        return _LS(x_new, r_new, j1, mu, nu, diag, nit, s.nfev + 1, s.njev + accept, status)

    def gn_body(s: _LS) -> _LS:
        # Gauss-Newton step from the least-squares solve J p = -r, then Armijo backtracking.
        p = jnp.linalg.lstsq(s.jac, -s.r)[0]
        g = s.jac.T @ s.r
        vg = lambda x: (cost(res_fn(x)), jnp.zeros_like(x))  # Armijo needs values only
        c0 = cost(s.r)
        descent = jnp.vdot(g, p) < 0
        p = jnp.where(descent, p, -g)
        ls = backtracking_armijo(vg, s.x, c0, g, p, 1.0)
        x1 = s.x + ls.step * p
        moved = ls.step > 0
        r1 = jnp.where(moved, res_fn(x1), s.r)
        j1 = jax.lax.cond(moved, lambda: jac_fn(x1), lambda: s.jac)
        c1 = cost(r1)
        f_small = moved & (c0 - c1 <= ftol * c0)
        x_small = moved & (jnp.linalg.norm(ls.step * p) <= xtol * (xtol + jnp.linalg.norm(s.x)))
        finite = jnp.all(jnp.isfinite(j1.T @ r1))
        nit = s.nit + 1
        gnorm = jnp.max(jnp.abs(j1.T @ r1))
        status = _status(
            finite, gnorm, gtol, f_small, x_small, jnp.where(moved, 0, 2), nit, maxiter
        )
        return s._replace(
            x=x1, r=r1, jac=j1, nit=nit, nfev=s.nfev + ls.nfev + moved, njev=s.njev + moved,
            status=status,
        )  # fmt: skip

    body = lm_body if method == "lm" else gn_body
    s = jax.lax.while_loop(lambda s: s.status == -1, body, state)
    g = s.jac.T @ s.r
    return OptimizeResult(
        x=unravel(s.x), fun=cost(s.r), grad=unravel(g), grad_norm=jnp.max(jnp.abs(g)),
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
) -> OptimizeResult:
    r"""Nonlinear least squares :math:`\min_x \tfrac12\|r(x)\|^2`, as scipy's ``least_squares``.

    ``"lm"`` (Levenberg-Marquardt): solve :math:`(J^\top J + \mu D)p = -J^\top r`, with
    :math:`D` the running maximum of :math:`\mathrm{diag}(J^\top J)` (Marquardt's scaling),
    accept when the gain ratio :math:`\rho > 10^{-4}`, and update :math:`\mu` by Nielsen's
    rule. ``"gauss-newton"``: :math:`p = \arg\min\|Jp + r\|` with Armijo backtracking.

    Stops (success) when :math:`\|J^\top r\|_\infty \le` ``gtol``, when the cost falls by
    less than ``ftol`` relative (actual and predicted, as MINPACK), or when
    :math:`\|p\| \le` ``xtol`` :math:`(` ``xtol`` :math:`+ \|x\|)`.

    Args:
      residual_fn: ``residual_fn(x, *args)`` returns the residual array (any shape).
      x0: starting point, a pytree.
      method: ``"lm"`` or ``"gauss-newton"``.
      ftol, xtol, gtol: tolerances as above (scipy's defaults).
      maxiter: iteration cap (default ``100 * n``, as scipy's ``max_nfev`` for ``lm``).
      args: extra arguments for ``residual_fn``.

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
      https://www2.imm.dtu.dk/documents/ftp/tr99/tr05_99.pdf
    """
    method = method.lower().replace("_", "-")
    if method == "gn":
        method = "gauss-newton"
    if method not in LEAST_SQUARES_METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {LEAST_SQUARES_METHODS}")
    if maxiter is None:
        n = sum(jnp.size(leaf) for leaf in jax.tree.leaves(x0))
        maxiter = 100 * max(n, 1)
    if not isinstance(args, tuple):
        args = (args,)
    # Tolerances and maxiter are traced: changing them does not recompile.
    return _run(
        x0, args, float(ftol), float(xtol), float(gtol), jnp.asarray(maxiter, jnp.int32),
        residual_fn=residual_fn, method=method,
    )  # fmt: skip
