"""``minimize(fun, x0, method=...)``: scipy-style minimisation in one compiled while loop."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from optzoo.second_order import newton, quasi_newton
from optzoo.second_order.loops import packed_while_loop, solver_jit
from optzoo.second_order.result import OptimizeResult

__all__ = ["minimize", "MINIMIZE_METHODS"]

MINIMIZE_METHODS = ("lbfgs", "bfgs", "newton", "newton-cg", "trust-ncg", "trust-exact", "ncg", "gd")


class _Loop(NamedTuple):
    x: jax.Array
    f: jax.Array
    g: jax.Array
    aux: Any
    nit: jax.Array
    nfev: jax.Array
    nhev: jax.Array
    status: jax.Array


def _make_method(method: str, vg: Callable, fun: Callable, opts: dict, n: int, dtype: Any):
    if method == "gd":
        return quasi_newton.make_gd(vg, opts)
    if method == "bfgs":
        return quasi_newton.make_bfgs(vg, opts)
    if method == "lbfgs":
        return quasi_newton.make_lbfgs(vg, opts)
    if method == "ncg":
        return quasi_newton.make_ncg(vg, opts)
    if method == "newton":
        return newton.make_newton(vg, fun, opts)
    if method == "newton-cg":
        return newton.make_newton_cg(vg, fun, opts, n)
    if method == "trust-ncg":
        return newton.make_trust_ncg(vg, fun, opts, n, dtype)
    return newton.make_trust_exact(vg, fun, opts, dtype)


def _inf_norm(g: jax.Array) -> jax.Array:
    return jnp.max(jnp.abs(g)) if g.size else jnp.zeros((), g.dtype)


@solver_jit(static_argnames=("fun", "method", "opts"))
def _run(x0, args, gtol, ftol, maxiter, *, fun, method, opts) -> OptimizeResult:
    flat0, unravel = ravel_pytree(x0)
    if not jnp.issubdtype(flat0.dtype, jnp.floating):
        flat0 = flat0.astype(jnp.result_type(float))
    dtype = flat0.dtype
    n = flat0.size
    zero = jnp.asarray(0)
    out_shape = jax.eval_shape(lambda x: fun(unravel(x), *args), flat0)
    if getattr(out_shape, "shape", None) != ():
        nan = jnp.full((), jnp.nan, dtype)
        return OptimizeResult(
            x0, nan, jax.tree.map(jnp.zeros_like, x0), nan, zero, zero, zero, zero,
            jnp.asarray(4), jnp.asarray(False),
        )  # fmt: skip

    def flat_fun(x):
        return jnp.asarray(fun(unravel(x), *args)).astype(dtype)

    vg = jax.value_and_grad(flat_fun)
    init, step = _make_method(method, vg, flat_fun, dict(opts), n, dtype)
    # A method whose step can evaluate the start (``step.evaluates_start``) gets it from its
    # first loop iteration (the one with no evaluation yet; not counted in nit) instead of a
    # call here: one copy of the objective and its gradient fewer to compile. The statuses
    # are the same either way.
    inside = getattr(step, "evaluates_start", False)
    if inside:
        f0, g0 = jnp.full((), jnp.nan, dtype), jnp.zeros_like(flat0)
        status0, nfev0 = jnp.asarray(-1), zero
    else:
        f0, g0 = vg(flat0)
        finite0 = jnp.isfinite(f0) & jnp.all(jnp.isfinite(g0))
        status0 = jnp.where(
            ~finite0, 3, jnp.where(_inf_norm(g0) <= gtol, 0, jnp.where(maxiter <= 0, 1, -1))
        )
        nfev0 = jnp.asarray(1)
    state = _Loop(flat0, f0, g0, init(flat0, f0, g0), zero, nfev0, zero, status0)

    def cond(s: _Loop):
        return s.status == -1

    def body(s: _Loop) -> _Loop:
        first = (s.nfev == 0) if inside else False
        o = step(s.x, s.f, s.g, s.aux, first) if inside else step(s.x, s.f, s.g, s.aux)
        finite = jnp.isfinite(o.f) & jnp.all(jnp.isfinite(o.g) & jnp.isfinite(o.x))
        # The first iteration of a method that evaluates the start is not counted, and its
        # values are kept even when not finite (status 3 then reports them).
        nit = s.nit + 1 if first is False else s.nit + jnp.where(first, 0, 1)
        small_decrease = o.moved & (
            (s.f - o.f) <= ftol * jnp.maximum(jnp.maximum(jnp.abs(s.f), jnp.abs(o.f)), 1.0)
        )
        status = jnp.where(
            ~finite, 3,
            jnp.where(_inf_norm(o.g) <= gtol, 0,
                      jnp.where(small_decrease & (ftol > 0), 6,
                                jnp.where(o.flag != 0, o.flag, jnp.where(nit >= maxiter, 1, -1)))),
        )  # fmt: skip
        kept = finite | first
        keep = lambda new, old: jnp.where(kept, new, old)
        return _Loop(
            keep(o.x, s.x), keep(o.f, s.f), keep(o.g, s.g), o.aux, nit,
            s.nfev + o.nfev, s.nhev + o.nhev, status,
        )  # fmt: skip

    s = packed_while_loop(cond, body, state)
    return OptimizeResult(
        x=unravel(s.x),
        fun=s.f,
        grad=unravel(s.g),
        grad_norm=_inf_norm(s.g),
        nit=s.nit,
        nfev=s.nfev,
        njev=s.nfev,
        nhev=s.nhev,
        status=s.status,
        success=s.status == 0,
    )


def minimize(
    fun: Callable[..., jax.Array],
    x0: Any,
    method: str = "lbfgs",
    tol: float | None = None,
    maxiter: int | None = None,
    args: tuple = (),
    options: dict[str, Any] | None = None,
) -> OptimizeResult:
    r"""Minimises a scalar function of a pytree, like ``scipy.optimize.minimize``.

    The whole run is one ``lax.while_loop`` compiled with ``jit`` (cached per ``fun``,
    ``method`` and options); gradients, Hessians and Hessian-vector products come from
    JAX. It stops when :math:`\|\nabla f\|_\infty \le` ``gtol``, and fails cleanly
    (``success=False`` and a message, never a hang) on a non-finite start or iterate, a
    non-scalar objective, a line search or trust region that can make no progress, or
    ``maxiter``.

    Methods:
      ``"lbfgs"`` (default), ``"bfgs"``, ``"ncg"`` (nonlinear CG), ``"gd"``: line-search
      methods (strong Wolfe by default; ``options["linesearch"]`` in ``"wolfe"``,
      ``"armijo"``, ``"hager-zhang"``). ``"newton"``: exact Hessian with modified
      Cholesky. ``"newton-cg"``: Hessian-free truncated CG plus line search.
      ``"trust-ncg"``: CG-Steihaug trust region. ``"trust-exact"``: trust region with
      Moré-Sorensen's nearly exact subproblem (a dense Cholesky per try; small problems).

    Args:
      fun: objective ``fun(x, *args) -> scalar``; ``x`` has the structure of ``x0``.
      x0: starting point, any pytree of float arrays (float32 or float64).
      method: one of ``MINIMIZE_METHODS``.
      tol: gradient tolerance ``gtol`` (infinity norm; default ``1e-5`` as scipy).
      maxiter: iteration cap (default ``200 * n``; ``15000`` for ``"lbfgs"``).
      args: extra arguments passed to ``fun`` (traced, not static).
      options: method options: ``gtol``, ``ftol`` (stop when the relative decrease of ``f``
        falls below it, default 0: off; ``2.2e-9`` is scipy L-BFGS-B's ``factr`` stop; such a
        stop is status 6, ``success=False``, unless the gradient test holds), ``linesearch``,
        ``max_linesearch_steps`` (30; 20 for ``"lbfgs"``, L-BFGS-B's ``maxls``), ``c2``,
        ``memory_size`` (lbfgs, 10), ``variant`` (ncg: ``"pr+"``, ``"fr"``, ``"hs"``,
        ``"dy"``), ``cg_maxiter``, ``initial_trust_radius``,
        ``max_trust_radius``, ``eta``, ``k_easy`` and ``k_hard`` (trust-exact's subproblem
        tolerances, 0.1 and 0.2 as scipy). Values must be hashable.

    Returns:
      An :class:`OptimizeResult` with ``x``, ``fun``, ``grad``, ``grad_norm``, ``nit``,
      ``nfev``, ``njev``, ``nhev``, ``status``, ``success`` and ``message``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> rosen = lambda x: jnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
      >>> res = optzoo.second_order.minimize(rosen, jnp.zeros(5), method="bfgs")
      >>> bool(res.success)
      True

    References:
      Nocedal, Wright. Numerical Optimization, 2nd ed. 2006.
      https://doi.org/10.1007/978-0-387-40065-5
    """
    method = method.lower()
    if method not in MINIMIZE_METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {MINIMIZE_METHODS}")
    opts = dict(options or {})
    gtol = float(tol) if tol is not None else float(opts.pop("gtol", 1e-5))
    opts.pop("gtol", None)
    # No objective-decrease stop by default: it is not a convergence test (scipy's L-BFGS-B
    # ``factr`` stop reports success with |g| far above gtol); pass ``ftol`` to get it, as
    # status 6 (``success=False``) when the gradient test does not hold there.
    ftol = float(opts.pop("ftol", 0.0))
    if maxiter is None:
        n = sum(np.size(leaf) for leaf in jax.tree.leaves(x0))
        maxiter = 15000 if method == "lbfgs" else 200 * max(n, 1)
    if not isinstance(args, tuple):
        args = (args,)
    # Tolerances and maxiter are traced: changing them does not recompile.
    return _run(
        x0, args, *_scalar_args((x0, args), gtol, ftol, _maxiter(maxiter)), fun=fun, method=method,
        opts=tuple(sorted(opts.items())),
    )  # fmt: skip


def _scalar_args(inputs: Any, *values: Any) -> tuple:
    """A solver's scalar arguments as device arrays, each made once per value and reused.

    A Python or NumPy scalar passed to a jitted function is copied to the device on every
    call (1-2 µs each on a 2-core CPU); a cached array is not. The arrays carry the same
    dtype and weak type as the scalars, so the compiled solver is the same one. Under a
    trace (``inputs``, the starting point and extra arguments, traced) the values go
    through as they are, and so do device arrays."""
    if any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(inputs)):
        return values
    default_float = jnp.result_type(float)  # the flag jax_enable_x64, part of the cache key
    return tuple(
        _device_scalar(v, default_float) if isinstance(v, (bool, int, float, np.generic)) else v
        for v in values
    )


@functools.lru_cache(maxsize=256, typed=True)
def _device_scalar(value: Any, default_float: Any) -> jax.Array:
    with jax.ensure_compile_time_eval():
        return jnp.asarray(value)


def _maxiter(maxiter: Any) -> Any:
    """A host int32 (no eager op per call), or a traced / device value as an int32 array."""
    if isinstance(maxiter, jax.Array):
        return maxiter.astype(jnp.int32)
    return np.int32(maxiter)
