r"""Second-order building blocks as ``GradientTransformationExtraArgs`` for training loops.

* Line searches: :func:`scale_by_line_search` (and the named forms
  :func:`scale_by_armijo_linesearch`, :func:`scale_by_wolfe_linesearch`,
  :func:`scale_by_hager_zhang_linesearch`) take the incoming updates as a *descent
  direction* :math:`d` and return :math:`\alpha d`, using the extra arguments ``value``,
  ``grad`` and ``value_fn`` exactly as ``optax.scale_by_zoom_linesearch`` does.
* Directions: :func:`scale_by_bfgs`, :func:`scale_by_lbfgs_memory`, :func:`scale_by_ncg`
  map the gradient to :math:`H g` (to be negated by ``scale_by_learning_rate``).
* :func:`scale_by_hessian_free`: Martens-style Hessian-free Newton-CG (damped, warm-started
  CG on Hessian or Gauss-Newton products, Levenberg-Marquardt damping), for full or
  mini-batches.

Pytrees are flattened with ``ravel_pytree``; internal arithmetic is at least float32 and
updates come back in the parameters' dtypes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from optzoo.core.eager import compile_update
from optzoo.core.tree_checks import reject_masked
from optzoo.core.validation import check_nonnegative, check_positive, check_positive_int
from optzoo.second_order.hessian_tools import ggn_vector_product
from optzoo.second_order.linesearch import get_line_search
from optzoo.second_order.quasi_newton import (
    NCG_VARIANTS,
    bfgs_inverse_update,
    lbfgs_direction,
    ncg_beta,
)

__all__ = [
    "LineSearchState",
    "scale_by_line_search",
    "scale_by_armijo_linesearch",
    "scale_by_wolfe_linesearch",
    "scale_by_hager_zhang_linesearch",
    "BFGSState",
    "scale_by_bfgs",
    "LBFGSMemoryState",
    "scale_by_lbfgs_memory",
    "NCGState",
    "scale_by_ncg",
    "HessianFreeState",
    "scale_by_hessian_free",
]


def _flat(tree: Any) -> tuple[jax.Array, Callable]:
    """Flat vector in at least float32, and the inverse map back to the tree's dtypes."""
    flat, unravel = ravel_pytree(tree)
    dtype = jnp.promote_types(flat.dtype, jnp.float32)
    return flat.astype(dtype), lambda v: unravel(v.astype(flat.dtype))


def _flat_step(name: str, updates: Any, params: Any) -> tuple[jax.Array, jax.Array, Callable]:
    """Flat ``params`` and ``updates`` (:func:`_flat`) and the map back to the updates' tree."""
    if params is None:
        raise ValueError(f"{name} needs params")
    x, _ = _flat(params)
    g, unravel = _flat(updates)
    return x, g, unravel


def _static_int(name: str, value: Any) -> Any:
    """A positive int hyperparameter; traced values (``inject_hyperparams``) pass through."""
    if isinstance(value, jax.core.Tracer):
        return value
    if isinstance(value, (jax.Array, np.ndarray)) and np.ndim(value) == 0:
        value = int(value)
    check_positive_int(name, value)
    return value


def _value_and_grad(value_fn, params, value, grad):
    if value is None or grad is None:
        value, grad = jax.value_and_grad(value_fn)(params)
    return value, grad


class LineSearchState(NamedTuple):
    """State of :func:`scale_by_line_search`: last accepted step, evaluations, success flag."""

    step: jax.Array
    nfev: jax.Array
    success: jax.Array


def scale_by_line_search(
    linesearch: str = "more-thuente",
    max_steps: int = 30,
    initial_step: str = "one",
    **search_kwargs: Any,
) -> optax.GradientTransformationExtraArgs:
    r"""Scales a descent direction by a line-search step: :math:`u \leftarrow \alpha d`.

    :math:`\alpha` satisfies the chosen conditions on :math:`\phi(\alpha) = f(x + \alpha d)`
    (see :mod:`optzoo.second_order.linesearch`). If :math:`d` is not a descent direction
    (:math:`\nabla f^\top d \ge 0`) the search runs along :math:`-\nabla f` instead.

    Args:
      linesearch: ``"armijo"``, ``"wolfe"`` (zoom), ``"more-thuente"`` or ``"hager-zhang"``.
      max_steps: evaluation budget per search.
      initial_step: ``"one"`` (right for quasi-Newton directions), ``"previous"`` (twice the
        last accepted step, for gradient directions) or ``"inverse_norm"`` (``1 / ||d||`` for
        the first search, then 1: Liu and Nocedal's L-BFGS code and L-BFGS-B).
      **search_kwargs: forwarded to the search (``c1``, ``c2``, ``delta``, ``sigma`` ...).

    Returns:
      A ``GradientTransformationExtraArgs``; ``update`` needs the keyword ``value_fn``
      (``params -> loss``) and uses ``value`` and ``grad`` at ``params`` when given.

    References:
      Nocedal, Wright. Numerical Optimization, 2nd ed., ch. 3. 2006.
      https://doi.org/10.1007/978-0-387-40065-5
    """
    search = get_line_search(linesearch)
    check_positive_int("max_steps", max_steps)
    accepted = set(inspect.signature(search).parameters) - {"vg", "x", "f0", "g0", "d", "step0"}
    unknown = sorted(set(search_kwargs) - accepted)
    if unknown:
        raise ValueError(
            f"line search {linesearch!r} takes no {unknown}; it takes {sorted(accepted)}"
        )
    if initial_step not in ("one", "previous", "inverse_norm"):
        raise ValueError(
            f"initial_step must be 'one', 'previous' or 'inverse_norm', got {initial_step!r}"
        )

    def init_fn(params):
        # The last step is kept in the parameters' precision (at least float32): "previous"
        # restarts from it, and a float32 copy would perturb float64 searches.
        x, _ = _flat(params)
        return LineSearchState(jnp.ones((), x.dtype), jnp.zeros((), jnp.int32), jnp.asarray(True))

    def update_fn(updates, state, params=None, *, value=None, grad=None, value_fn=None, **extra):
        del extra
        if params is None or value_fn is None:
            raise ValueError("a line search needs params and the keyword argument value_fn")
        reject_masked(params, "a line search")
        value, grad = _value_and_grad(value_fn, params, value, grad)
        x, unravel = _flat(params)
        d, _ = _flat(updates)
        g, _ = _flat(grad)
        d = d.astype(x.dtype)
        g = g.astype(x.dtype)
        bad = ~(jnp.vdot(g, d) < 0)
        d = jnp.where(bad, -g, d)

        def vg(z):
            v, gz = jax.value_and_grad(value_fn)(unravel(z))
            return jnp.asarray(v, x.dtype), _flat(gz)[0].astype(x.dtype)

        a0 = jnp.ones((), x.dtype)
        if initial_step == "previous":
            a0 = 2.0 * state.step.astype(x.dtype)
        elif initial_step == "inverse_norm":  # no search has run yet: nfev is still 0
            a0 = jnp.where(state.nfev == 0, 1.0 / jnp.linalg.norm(d), a0)
        res = search(
            vg, x, jnp.asarray(value, x.dtype), g, d, a0, max_steps=max_steps, **search_kwargs
        )
        new_state = LineSearchState(
            jnp.where(res.step > 0, res.step, state.step).astype(state.step.dtype),
            res.nfev.astype(jnp.int32),
            res.success,
        )
        return unravel(res.step * d), new_state

    return optax.GradientTransformationExtraArgs(init_fn, compile_update(update_fn))


def scale_by_armijo_linesearch(
    max_steps: int = 30, c1: float = 1e-4, initial_step: str = "one"
) -> optax.GradientTransformationExtraArgs:
    """Backtracking Armijo line search as a transformation (see :func:`scale_by_line_search`)."""
    return scale_by_line_search("armijo", max_steps, initial_step, c1=c1)


def scale_by_wolfe_linesearch(
    max_steps: int = 30,
    c1: float = 1e-4,
    c2: float = 0.9,
    method: str = "more-thuente",
    initial_step: str = "one",
) -> optax.GradientTransformationExtraArgs:
    """Strong Wolfe line search as a transformation (``method``: ``"more-thuente"``, ``"zoom"``)."""
    if method not in ("more-thuente", "zoom"):
        raise ValueError(f"method must be 'more-thuente' or 'zoom', got {method!r}")
    name = "more-thuente" if method == "more-thuente" else "wolfe"
    return scale_by_line_search(name, max_steps, initial_step, c1=c1, c2=c2)


def scale_by_hager_zhang_linesearch(
    max_steps: int = 30,
    delta: float = 0.1,
    sigma: float = 0.9,
    epsilon: float = 1e-6,
    initial_step: str = "one",
) -> optax.GradientTransformationExtraArgs:
    """Hager-Zhang (approximate Wolfe) line search as a transformation.

    References:
      Hager, Zhang. A new conjugate gradient method with guaranteed descent and an
      efficient line search. 2005. https://doi.org/10.1137/030601880
    """
    return scale_by_line_search(
        "hager-zhang", max_steps, initial_step, delta=delta, sigma=sigma, epsilon=epsilon
    )


class BFGSState(NamedTuple):
    """Dense BFGS state: update count, inverse Hessian, previous flat params and gradient."""

    count: jax.Array  # type: ignore[assignment]  # as optax states, shadows tuple.count
    inv_hessian: jax.Array
    prev_params: jax.Array
    prev_grad: jax.Array


def scale_by_bfgs(scale_init: bool = True) -> optax.GradientTransformationExtraArgs:
    r"""Dense BFGS direction :math:`u = H_k g_k` (negate it with ``scale_by_learning_rate``).

    :math:`H_k` is updated from :math:`s = x_k - x_{k-1}`, :math:`y = g_k - g_{k-1}` by
    the inverse BFGS formula (skipped when :math:`s^\top y \le 0`). State is ``n x n``: for
    small models.

    Args:
      scale_init: rescale :math:`H_0 = I` by :math:`s^\top y / y^\top y` before the first
        update (N&W eq. 6.20).

    References:
      Nocedal, Wright. Numerical Optimization, 2nd ed., section 6.1. 2006.
      https://doi.org/10.1007/978-0-387-40065-5
    """

    def init_fn(params):
        x, _ = _flat(params)
        return BFGSState(
            jnp.zeros((), jnp.int32), jnp.eye(x.size, dtype=x.dtype), x, jnp.zeros_like(x)
        )

    def update_fn(updates, state, params=None, **extra):
        del extra
        x, g, unravel = _flat_step("scale_by_bfgs", updates, params)
        s, y = x - state.prev_params, g - state.prev_grad
        h = state.inv_hessian
        if scale_init:
            yy = jnp.vdot(y, y)
            sc = jnp.where(yy > 0, jnp.vdot(s, y) / jnp.where(yy > 0, yy, 1.0), 1.0)
            h = jnp.where((state.count == 1) & (sc > 0), sc * h, h)
        h = jnp.where(state.count > 0, bfgs_inverse_update(h, s, y), h)
        return unravel(h @ g), BFGSState(optax.safe_increment(state.count), h, x, g)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


class LBFGSMemoryState(NamedTuple):
    """L-BFGS state: stored pairs count, ``(m, n)`` buffers, previous flat params and gradient."""

    count: jax.Array  # type: ignore[assignment]  # as optax states, shadows tuple.count
    s_mem: jax.Array
    y_mem: jax.Array
    prev_params: jax.Array
    prev_grad: jax.Array
    started: jax.Array


def scale_by_lbfgs_memory(memory_size: int = 10) -> optax.GradientTransformationExtraArgs:
    r"""L-BFGS direction :math:`u = H_k g_k` by the two-loop recursion (Liu & Nocedal 1989).

    Pairs with :math:`s^\top y \le \epsilon\, y^\top y` are not stored. Differs from
    ``optax.scale_by_lbfgs`` in skipping such pairs and in its state layout.

    References:
      Liu, Nocedal. On the limited memory BFGS method for large scale optimization. 1989.
      https://doi.org/10.1007/BF01589116
    """
    memory_size = _static_int("memory_size", memory_size)

    def init_fn(params):
        x, _ = _flat(params)
        z = jnp.zeros((int(memory_size), x.size), x.dtype)
        return LBFGSMemoryState(
            jnp.zeros((), jnp.int32), z, z, x, jnp.zeros_like(x), jnp.asarray(False)
        )

    def update_fn(updates, state, params=None, **extra):
        del extra
        x, g, unravel = _flat_step("scale_by_lbfgs_memory", updates, params)
        m = state.s_mem.shape[0]  # static even when memory_size is injected
        s, y = x - state.prev_params, g - state.prev_grad
        ok = state.started & (jnp.vdot(s, y) > jnp.finfo(x.dtype).eps * jnp.vdot(y, y))
        slot = state.count % m
        s_mem = jnp.where(ok, state.s_mem.at[slot].set(s), state.s_mem)
        y_mem = jnp.where(ok, state.y_mem.at[slot].set(y), state.y_mem)
        count = jnp.where(ok, state.count + 1, state.count)
        u = lbfgs_direction(g, s_mem, y_mem, count)
        return unravel(u), LBFGSMemoryState(count, s_mem, y_mem, x, g, jnp.asarray(True))

    return optax.GradientTransformationExtraArgs(init_fn, compile_update(update_fn))


class NCGState(NamedTuple):
    """Nonlinear CG state: previous flat gradient and previous direction (as :math:`-d`)."""

    count: jax.Array  # type: ignore[assignment]  # as optax states, shadows tuple.count
    prev_grad: jax.Array
    prev_dir: jax.Array


def scale_by_ncg(variant: str = "pr+") -> optax.GradientTransformationExtraArgs:
    r"""Nonlinear CG direction: :math:`d_k = -g_k + \beta_k d_{k-1}`, output :math:`u = -d_k`.

    Restarts (:math:`\beta = 0`) when :math:`d_k` is not a descent direction.

    Args:
      variant: ``"pr+"`` (Polak-Ribière+), ``"fr"`` (Fletcher-Reeves), ``"hs"``
        (Hestenes-Stiefel), ``"dy"`` (Dai-Yuan).

    References:
      Hager, Zhang. A survey of nonlinear conjugate gradient methods. 2006.
      https://people.clas.ufl.edu/hager/files/cg_survey.pdf
    """
    if variant not in NCG_VARIANTS:
        raise ValueError(f"unknown nonlinear CG variant {variant!r}; choose from {NCG_VARIANTS}")

    def init_fn(params):
        x, _ = _flat(params)
        return NCGState(jnp.zeros((), jnp.int32), jnp.zeros_like(x), jnp.zeros_like(x))

    def update_fn(updates, state, params=None, **extra):
        del params, extra
        g, unravel = _flat(updates)
        d_old = -state.prev_dir
        beta = jnp.where(state.count > 0, ncg_beta(variant, g, state.prev_grad, d_old), 0.0)
        d = -g + beta * d_old
        d = jnp.where(jnp.vdot(d, g) < 0, d, -g)
        return unravel(-d), NCGState(optax.safe_increment(state.count), g, -d)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


class HessianFreeState(NamedTuple):
    """Hessian-free state: step count, damping :math:`\\lambda`, previous CG solution."""

    count: jax.Array  # type: ignore[assignment]  # as optax states, shadows tuple.count
    damping: jax.Array
    prev_step: jax.Array


def _cg(matvec, b, x0, maxiter, tol, rule="residual"):
    """CG on A x = b from x0; stops at maxiter, on non-positive curvature, and when
    ``||r|| <= tol`` (``rule="residual"``) or on Martens' relative-progress rule
    (``rule="progress"``)."""
    r = b - matvec(x0)
    progress = rule == "progress"
    # Martens' rule watches phi(x) = x'Ax / 2 - b'x = -x'(b + r) / 2 over the iterations.
    phi = lambda x, r: -0.5 * jnp.vdot(x, b + r)  # noqa: E731
    if progress and isinstance(maxiter, jax.core.Tracer):
        raise ValueError("cg_stop='progress' needs a static cg_maxiter (not injected)")
    phis = jnp.zeros((maxiter + 1 if progress else 1,), b.dtype).at[0].set(phi(x0, r))

    def slow(i, phis):
        # Martens (2010) section 4.4: stop at i > k when phi_i < 0 and
        # (phi_i - phi_{i-k}) / phi_i < k * 5e-4, with k = max(10, 0.1 i).
        k = jnp.maximum(10, i // 10)
        now, before = phis[i], phis[jnp.maximum(i - k, 0)]
        ratio = (now - before) / jnp.where(now < 0, now, -1.0)
        return (i > k) & (now < 0) & (ratio < k * 5e-4)

    def cond(s):
        i, _, _, _, rr, neg, phis = s
        go = (~neg) & (i < maxiter)
        if progress:
            return go & (rr > 0) & ~slow(i, phis)
        return go & (jnp.sqrt(rr) > tol)

    def body(s):
        i, x, r, p, rr, _, phis = s
        ap = matvec(p)
        curv = jnp.vdot(p, ap)
        neg = ~(curv > 0)
        alpha = rr / jnp.where(neg, 1.0, curv)
        x_new, r_new = x + alpha * p, r - alpha * ap
        rr_new = jnp.vdot(r_new, r_new)
        p_new = r_new + rr_new / jnp.where(rr > 0, rr, 1.0) * p
        keep = lambda a, b: jnp.where(neg, b, a)
        x, r = keep(x_new, x), keep(r_new, r)
        if progress:
            phis = phis.at[i + 1].set(phi(x, r))
        return i + 1, x, r, keep(p_new, p), keep(rr_new, rr), neg, phis

    rr = jnp.vdot(r, r)
    init = (jnp.asarray(0), x0, r, r, rr, jnp.asarray(False), phis)
    return jax.lax.while_loop(cond, body, init)[1]


def scale_by_hessian_free(
    damping: float = 1.0,
    cg_maxiter: int = 50,
    cg_tol: float = 1e-4,
    warm_start: float = 0.95,
    curvature: str = "ggn",
    adapt_damping: bool = True,
    cg_stop: str = "residual",
) -> optax.GradientTransformationExtraArgs:
    r"""Hessian-free Newton-CG direction (Martens 2010): :math:`u = -p`, :math:`(B+\lambda I)p=-g`.

    :math:`B` is the Hessian (``curvature="hessian"``, products from ``value_fn``) or the
    generalised Gauss-Newton matrix (``curvature="ggn"``, products
    :math:`J^\top H_L J` from the extra arguments ``model_fn`` and ``loss_fn``, which may
    close over the current mini-batch). CG starts from ``warm_start`` times the previous
    solution and stops at a relative residual ``cg_tol`` (or on Martens' progress rule,
    ``cg_stop="progress"``), after ``cg_maxiter`` products, or on negative curvature. With
    ``adapt_damping`` the Levenberg-Marquardt rule updates :math:`\lambda` from
    :math:`\rho = (f(x+p) - f(x)) / (g^\top p + \frac12 p^\top B p)`
    (:math:`\lambda \times 3/2` if :math:`\rho < 1/4`, :math:`\times 2/3` if
    :math:`\rho > 3/4`) and a step that increases the loss is rejected (:math:`u = 0`).

    Args:
      damping: initial :math:`\lambda > 0`.
      cg_maxiter: CG products per step.
      cg_tol: CG stops when :math:`\|r\| \le` ``cg_tol`` :math:`\|g\|`.
      warm_start: decay of the previous solution used to start CG (0 for a cold start).
      curvature: ``"ggn"`` or ``"hessian"``.
      adapt_damping: adapt :math:`\lambda` and reject bad steps (one extra loss evaluation).
      cg_stop: ``"residual"`` (:math:`\|r\| \le` ``cg_tol`` :math:`\|g\|`) or
        ``"progress"``: Martens' rule (section 4.4), stop at iteration :math:`i > k` once
        :math:`\phi_i < 0` and :math:`(\phi_i - \phi_{i-k}) / \phi_i < 5\cdot10^{-4} k`,
        :math:`k = \max(10, \lfloor i/10 \rfloor)`, for the CG objective
        :math:`\phi(p) = \frac12 p^\top (B+\lambda I) p + g^\top p` (``cg_tol`` unused).

    Returns:
      A ``GradientTransformationExtraArgs``; ``update`` needs ``value_fn`` (and, for GGN,
      ``model_fn`` and ``loss_fn`` with ``loss_fn(model_fn(params)) == value_fn(params)``).

    References:
      Martens. Deep learning via Hessian-free optimization. 2010.
      https://www.cs.toronto.edu/~jmartens/docs/Deep_HessianFree.pdf
    """
    check_positive("damping", damping)
    cg_maxiter = _static_int("cg_maxiter", cg_maxiter)
    check_nonnegative("cg_tol", cg_tol)
    if curvature not in ("ggn", "hessian"):
        raise ValueError(f"curvature must be 'ggn' or 'hessian', got {curvature!r}")
    if cg_stop not in ("residual", "progress"):
        raise ValueError(f"cg_stop must be 'residual' or 'progress', got {cg_stop!r}")

    def init_fn(params):
        x, _ = _flat(params)
        return HessianFreeState(
            jnp.zeros((), jnp.int32), jnp.asarray(damping, x.dtype), jnp.zeros_like(x)
        )

    def update_fn(
        updates, state, params=None, *, value=None, value_fn=None, model_fn=None, loss_fn=None,
        **extra,
    ):  # fmt: skip
        del extra
        if params is None:
            raise ValueError("scale_by_hessian_free needs params")
        reject_masked(params, "scale_by_hessian_free")
        g, unravel = _flat(updates)
        x, unravel_p = _flat(params)
        g = g.astype(x.dtype)
        if curvature == "ggn":
            if model_fn is None or loss_fn is None:
                raise ValueError("curvature='ggn' needs the keyword arguments model_fn and loss_fn")
            prod = lambda v: ggn_vector_product(model_fn, loss_fn, params, unravel_p(v))
        else:
            if value_fn is None:
                raise ValueError("curvature='hessian' needs the keyword argument value_fn")
            prod = lambda v: jax.jvp(jax.grad(value_fn), (params,), (unravel_p(v),))[1]
        curv = lambda v: _flat(prod(v))[0].astype(x.dtype)
        lam = state.damping
        p = _cg(lambda v: curv(v) + lam * v, -g, warm_start * state.prev_step, cg_maxiter,
                cg_tol * jnp.linalg.norm(g), cg_stop)  # fmt: skip
        p = jnp.where(jnp.vdot(p, g) < 0, p, -g)
        new_lam = lam
        if adapt_damping:
            if value_fn is None:
                raise ValueError("adapt_damping needs the keyword argument value_fn")
            f0 = value_fn(params) if value is None else value
            f1 = value_fn(unravel_p(x + p))
            q = jnp.vdot(g, p) + 0.5 * jnp.vdot(p, curv(p))
            rho = jnp.where(q < 0, (f1 - f0) / jnp.where(q < 0, q, -1.0), -1.0)
            rho = jnp.where(jnp.isfinite(rho), rho, -1.0)
            new_lam = jnp.where(
                rho < 0.25, lam * 1.5, jnp.where(rho > 0.75, lam * (2.0 / 3.0), lam)
            )
            p = jnp.where(jnp.isfinite(f1) & (f1 < f0), p, jnp.zeros_like(p))
        new_state = HessianFreeState(optax.safe_increment(state.count), new_lam.astype(x.dtype), p)
        return unravel(-p), new_state

    return optax.GradientTransformationExtraArgs(init_fn, compile_update(update_fn))
