"""Hessian tools on pytrees: products, diagonals, eigenvalues, trace and spectral density.

Every tool takes a scalar function ``fun(params)`` and a pytree ``params`` (any float
dtype) and works under ``jit``. Products are forward-over-reverse
(``jvp`` of ``grad``), so one Hessian-vector product costs about two gradients.
Matrix-shaped results (the full Hessian, Lanczos tridiagonals) are on the
flattened parameter vector, in :func:`jax.flatten_util.ravel_pytree` order.

References:
  Nocedal, Wright. Numerical Optimization, 2nd ed. 2006. https://doi.org/10.1007/978-0-387-40065-5
  Pearlmutter. Fast Exact Multiplication by the Hessian. 1994.
  https://doi.org/10.1162/neco.1994.6.1.147
  Lanczos. An iteration method for the solution of the eigenvalue problem of linear
  differential and integral operators. 1950. https://doi.org/10.6028/jres.045.026
  Hutchinson. A stochastic estimator of the trace of the influence matrix for Laplacian
  smoothing splines. 1989. https://doi.org/10.1080/03610918908812806
  Ghorbani, Krishnan, Xiao. An Investigation into Neural Net Optimization via Hessian
  Eigenvalue Density. 2019. https://arxiv.org/abs/1901.10159
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

__all__ = [
    "hessian_vector_product",
    "hessian",
    "ggn_vector_product",
    "hessian_diagonal",
    "hutchinson_diagonal",
    "hutchinson_trace",
    "lanczos",
    "lanczos_eigs",
    "power_iteration_eigs",
    "spectral_density",
    "condition_number",
]

PyTree = Any
ScalarFn = Callable[[PyTree], jax.Array]


def hessian_vector_product(fun: ScalarFn, params: PyTree, v: PyTree) -> PyTree:
    r"""Hessian-vector product :math:`\nabla^2 f(x)\, v`, forward-over-reverse.

    Args:
      fun: scalar function of ``params``.
      params: the point :math:`x` (a pytree).
      v: a pytree shaped like ``params``.

    Returns:
      :math:`\nabla^2 f(x) v`, shaped like ``params``.

    Example:
      >>> import jax.numpy as jnp
      >>> from optzoo.hessian import hessian_vector_product
      >>> hessian_vector_product(lambda x: jnp.sum(x**3), jnp.ones(2), jnp.ones(2))
      Array([6., 6.], dtype=float32)

    References:
      Pearlmutter. Fast Exact Multiplication by the Hessian. 1994.
      https://doi.org/10.1162/neco.1994.6.1.147
    """
    return jax.jvp(jax.grad(fun), (params,), (v,))[1]


def _flat_hvp(
    fun: ScalarFn, params: PyTree
) -> tuple[Callable[[jax.Array], jax.Array], jax.Array, Callable]:
    """The Hessian as a matvec on the flat vector; returns (matvec, flat params, unravel)."""
    flat, unravel = ravel_pytree(params)
    grad_flat = lambda x: ravel_pytree(jax.grad(fun)(unravel(x)))[0]

    def matvec(v: jax.Array) -> jax.Array:
        return jax.jvp(grad_flat, (flat,), (v.astype(flat.dtype),))[1]

    return matvec, flat, unravel


def hessian(fun: ScalarFn, params: PyTree) -> jax.Array:
    r"""The full Hessian :math:`\nabla^2 f(x)` as an ``(n, n)`` matrix (small problems only).

    Rows and columns follow the flattened parameter vector (``ravel_pytree`` order).

    Args:
      fun: scalar function of ``params``.
      params: the point (a pytree with ``n`` scalars in total).

    Returns:
      The symmetric ``(n, n)`` Hessian.
    """
    flat, unravel = ravel_pytree(params)
    return jax.hessian(lambda x: fun(unravel(x)))(flat)


def ggn_vector_product(
    model_fn: Callable[[PyTree], PyTree],
    loss_fn: Callable[[PyTree], jax.Array],
    params: PyTree,
    v: PyTree,
) -> PyTree:
    r"""Generalised Gauss-Newton product :math:`J^\top H_L J v` for ``loss_fn(model_fn(params))``.

    :math:`J` is the Jacobian of the model outputs and :math:`H_L` the Hessian of the loss
    in the outputs. For a convex loss the GGN is positive semi-definite, which makes it
    the curvature of choice for Hessian-free training (Martens 2010).

    Args:
      model_fn: maps ``params`` to the outputs (any pytree, e.g. logits).
      loss_fn: maps the outputs to a scalar loss.
      params: the point.
      v: a pytree shaped like ``params``.

    Returns:
      The product, shaped like ``params``.

    References:
      Schraudolph. Fast Curvature Matrix-Vector Products for Second-Order Gradient Descent.
      2002. https://doi.org/10.1162/08997660260028683
      Martens. Deep learning via Hessian-free optimization. 2010.
      https://www.cs.toronto.edu/~jmartens/docs/Deep_HessianFree.pdf
    """
    outputs, jv = jax.jvp(model_fn, (params,), (v,))
    hjv = jax.jvp(jax.grad(loss_fn), (outputs,), (jv,))[1]
    _, vjp = jax.vjp(model_fn, params)
    return vjp(hjv)[0]


def hessian_diagonal(fun: ScalarFn, params: PyTree) -> PyTree:
    r"""The exact Hessian diagonal :math:`\mathrm{diag}\,\nabla^2 f(x)`, by ``n`` products.

    Costs ``n`` Hessian-vector products (vectorised with ``vmap``): for small problems.
    Use :func:`hutchinson_diagonal` for large ones.

    Args:
      fun: scalar function of ``params``.
      params: the point.

    Returns:
      The diagonal, shaped like ``params``.
    """
    matvec, flat, unravel = _flat_hvp(fun, params)
    eye = jnp.eye(flat.size, dtype=flat.dtype)
    diag = jax.vmap(lambda e: jnp.vdot(e, matvec(e)))(eye)
    return unravel(diag)


def _probes(key: jax.Array, num: int, n: int, dtype: Any) -> jax.Array:
    return jax.random.rademacher(key, (num, n), dtype=jnp.int8).astype(dtype)


def hutchinson_diagonal(
    fun: ScalarFn, params: PyTree, key: jax.Array, num_samples: int = 100
) -> PyTree:
    r"""Hutchinson estimate of the Hessian diagonal: :math:`\mathbb{E}[z \odot \nabla^2 f\, z]`.

    With Rademacher probes :math:`z` the estimate is unbiased; its variance falls as
    ``1 / num_samples``.

    Args:
      fun: scalar function of ``params``.
      params: the point.
      key: a PRNG key.
      num_samples: number of probes.

    Returns:
      The estimated diagonal, shaped like ``params``.

    References:
      Bekas, Kokiopoulou, Saad. An estimator for the diagonal of a matrix. 2007.
      https://doi.org/10.1016/j.apnum.2007.01.003
    """
    matvec, flat, unravel = _flat_hvp(fun, params)
    z = _probes(key, num_samples, flat.size, flat.dtype)
    return unravel(jnp.mean(jax.vmap(lambda zi: zi * matvec(zi))(z), axis=0))


def hutchinson_trace(
    fun: ScalarFn, params: PyTree, key: jax.Array, num_samples: int = 100
) -> jax.Array:
    r"""Hutchinson estimate of the trace, :math:`\mathbb{E}[z^\top \nabla^2 f(x)\, z]`.

    Args:
      fun: scalar function of ``params``.
      params: the point.
      key: a PRNG key.
      num_samples: number of Rademacher probes.

    Returns:
      The scalar estimate.

    References:
      Hutchinson. A stochastic estimator of the trace of the influence matrix for Laplacian
      smoothing splines. 1989. https://doi.org/10.1080/03610918908812806
    """
    matvec, flat, _ = _flat_hvp(fun, params)
    z = _probes(key, num_samples, flat.size, flat.dtype)
    return jnp.mean(jax.vmap(lambda zi: jnp.vdot(zi, matvec(zi)))(z))


def lanczos(
    matvec: Callable[[jax.Array], jax.Array], v0: jax.Array, num_iters: int
) -> tuple[jax.Array, jax.Array, jax.Array]:
    r"""Lanczos tridiagonalisation with full reorthogonalisation.

    Builds an orthonormal basis :math:`Q` of the Krylov space of ``matvec`` started at
    ``v0`` and the tridiagonal :math:`T = Q^\top A Q` (diagonal ``alpha``, off-diagonal
    ``beta``). If the Krylov space is exhausted early (an invariant subspace), the
    iteration restarts with a random orthogonal vector and the ``beta`` there is zero.

    Args:
      matvec: symmetric linear map on flat vectors.
      v0: start vector (normalised here).
      num_iters: number of steps ``m`` (``<= len(v0)``).

    Returns:
      ``(alpha, beta, Q)`` with shapes ``(m,)``, ``(m - 1,)``, ``(m, n)``.
    """
    n = v0.size
    dtype = v0.dtype
    q0 = v0 / jnp.linalg.norm(v0)
    tiny = jnp.finfo(dtype).eps * 10
    restart_key = jax.random.PRNGKey(0)

    def body(i, carry):
        q_mat, alpha, beta, q, q_prev, b_prev = carry
        q_mat = q_mat.at[i].set(q)
        w = matvec(q)
        a = jnp.vdot(q, w)
        w = w - a * q - b_prev * q_prev
        # Full reorthogonalisation against every stored vector (twice is enough).
        w = w - q_mat.T @ (q_mat @ w)
        w = w - q_mat.T @ (q_mat @ w)
        b = jnp.linalg.norm(w)
        alive = b > tiny * jnp.maximum(jnp.abs(a), 1.0)
        # On breakdown the Krylov space is invariant: restart with a fresh vector
        # orthogonal to it (beta = 0), so T stays block diagonal with true eigenvalues.
        r = jax.random.normal(jax.random.fold_in(restart_key, i), (n,), dtype)
        r = r - q_mat.T @ (q_mat @ r)
        r = r - q_mat.T @ (q_mat @ r)
        r = r / jnp.maximum(jnp.linalg.norm(r), jnp.finfo(dtype).tiny)
        q_next = jnp.where(alive, w / jnp.where(alive, b, 1.0), r)
        b = jnp.where(alive, b, 0.0)
        alpha = alpha.at[i].set(a)
        beta = beta.at[i].set(b)
        return q_mat, alpha, beta, q_next, q, b

    init = (
        jnp.zeros((num_iters, n), dtype),
        jnp.zeros((num_iters,), dtype),
        jnp.zeros((num_iters,), dtype),
        q0,
        jnp.zeros_like(q0),
        jnp.zeros((), dtype),
    )
    q_mat, alpha, beta, *_ = jax.lax.fori_loop(0, num_iters, body, init)
    return alpha, beta[:-1], q_mat


def _tridiag(alpha: jax.Array, beta: jax.Array) -> jax.Array:
    return jnp.diag(alpha) + jnp.diag(beta, 1) + jnp.diag(beta, -1)


def _lanczos_ritz(fun: ScalarFn, params: PyTree, key: jax.Array, num_iters: int | None):
    matvec, flat, unravel = _flat_hvp(fun, params)
    n = flat.size
    m = min(n, 64) if num_iters is None else min(num_iters, n)
    v0 = jax.random.normal(key, (n,), flat.dtype)
    alpha, beta, q_mat = lanczos(matvec, v0, m)
    theta, s = jnp.linalg.eigh(_tridiag(alpha, beta))
    # A Ritz pair is valid only where the Krylov space did not break down before it.
    return theta, s, q_mat, unravel


def lanczos_eigs(
    fun: ScalarFn,
    params: PyTree,
    key: jax.Array,
    k: int = 1,
    num_iters: int | None = None,
    which: str = "largest",
) -> tuple[jax.Array, PyTree]:
    r"""The ``k`` extreme Hessian eigenpairs by Lanczos (Ritz values of :math:`T_m`).

    Runs ``m = num_iters`` Lanczos steps (default ``min(n, 64)``) with full
    reorthogonalisation and returns the Ritz pairs at the chosen end of the spectrum.
    With ``m = n`` the result is exact up to rounding.

    Args:
      fun: scalar function of ``params``.
      params: the point.
      key: PRNG key for the start vector.
      k: number of eigenpairs.
      num_iters: Lanczos steps ``m``.
      which: ``"largest"`` (algebraically largest first) or ``"smallest"``.

    Returns:
      ``(eigenvalues, eigenvectors)``: ``(k,)`` values and a pytree whose leaves have a
      leading axis ``k`` (unit-norm vectors over the whole pytree).

    References:
      Lanczos. An iteration method for the solution of the eigenvalue problem of linear
      differential and integral operators. 1950. https://doi.org/10.6028/jres.045.026
    """
    if which not in ("largest", "smallest"):
        raise ValueError(f"which must be 'largest' or 'smallest', got {which!r}")
    theta, s, q_mat, unravel = _lanczos_ritz(fun, params, key, num_iters)
    idx = jnp.arange(k) if which == "smallest" else theta.size - 1 - jnp.arange(k)
    vecs = (q_mat.T @ s[:, idx]).T
    return theta[idx], jax.vmap(unravel)(vecs)


def power_iteration_eigs(
    fun: ScalarFn, params: PyTree, key: jax.Array, k: int = 1, num_iters: int = 100
) -> tuple[jax.Array, PyTree]:
    r"""The ``k`` Hessian eigenpairs of largest magnitude by deflated power iteration.

    For :math:`j = 1..k`: iterate :math:`v \leftarrow (H - \sum_{i<j} \lambda_i v_i v_i^\top) v /
    \lVert\cdot\rVert` for ``num_iters`` steps; :math:`\lambda_j = v^\top H v`.

    Args:
      fun: scalar function of ``params``.
      params: the point.
      key: PRNG key for the start vectors.
      k: number of eigenpairs.
      num_iters: power steps per eigenpair.

    Returns:
      ``(eigenvalues, eigenvectors)`` as in :func:`lanczos_eigs`, ordered by magnitude.
    """
    matvec, flat, unravel = _flat_hvp(fun, params)
    n = flat.size
    vals = jnp.zeros((k,), flat.dtype)
    vecs = jnp.zeros((k, n), flat.dtype)
    keys = jax.random.split(key, k)
    for j in range(k):
        deflated = lambda v, vals=vals, vecs=vecs: matvec(v) - vecs.T @ (vals * (vecs @ v))
        v = jax.random.normal(keys[j], (n,), flat.dtype)
        v = v / jnp.linalg.norm(v)

        def body(_, v, deflated=deflated):
            w = deflated(v)
            return w / jnp.maximum(jnp.linalg.norm(w), jnp.finfo(w.dtype).tiny)

        v = jax.lax.fori_loop(0, num_iters, body, v)
        vals = vals.at[j].set(jnp.vdot(v, deflated(v)))
        vecs = vecs.at[j].set(v)
    return vals, jax.vmap(unravel)(vecs)


def spectral_density(
    fun: ScalarFn,
    params: PyTree,
    key: jax.Array,
    num_probes: int = 4,
    num_iters: int = 64,
    grid: jax.Array | None = None,
    sigma: float | None = None,
) -> tuple[jax.Array, jax.Array]:
    r"""Hessian eigenvalue density by stochastic Lanczos quadrature (SLQ), for plots.

    For each Gaussian probe, ``m`` Lanczos steps give nodes :math:`\theta_j` (Ritz values)
    and weights :math:`\tau_j = s_{1j}^2`; the density is the probe average of
    :math:`\sum_j \tau_j \mathcal{N}(t; \theta_j, \sigma^2)`, which integrates to 1.

    Args:
      fun: scalar function of ``params``.
      params: the point.
      key: PRNG key for the probes.
      num_probes: number of probes (independent Lanczos runs).
      num_iters: Lanczos steps per probe.
      grid: points :math:`t` where the density is evaluated (default 512 points spanning the
        Ritz values with a margin).
      sigma: Gaussian smoothing width (default 1% of the spectrum width).

    Returns:
      ``(grid, density)``.

    References:
      Ghorbani, Krishnan, Xiao. An Investigation into Neural Net Optimization via Hessian
      Eigenvalue Density. 2019. https://arxiv.org/abs/1901.10159
    """
    matvec, flat, _ = _flat_hvp(fun, params)
    n = flat.size
    m = min(num_iters, n)

    def one(k):
        alpha, beta, _ = lanczos(matvec, jax.random.normal(k, (n,), flat.dtype), m)
        theta, s = jnp.linalg.eigh(_tridiag(alpha, beta))
        return theta, s[0] ** 2

    nodes, weights = jax.vmap(one)(jax.random.split(key, num_probes))
    lo, hi = jnp.min(nodes), jnp.max(nodes)
    width = jnp.maximum(hi - lo, jnp.finfo(flat.dtype).eps * (1 + jnp.abs(hi)))
    sig = 0.01 * width if sigma is None else jnp.asarray(sigma, flat.dtype)
    if grid is None:
        grid = jnp.linspace(lo - 0.05 * width - 3 * sig, hi + 0.05 * width + 3 * sig, 512)
    grid = jnp.asarray(grid, flat.dtype)
    gauss = jnp.exp(-0.5 * ((grid[:, None, None] - nodes[None]) / sig) ** 2)
    gauss = gauss / (sig * jnp.sqrt(2 * jnp.pi))
    density = jnp.sum(gauss * weights[None], axis=-1).mean(axis=-1)
    return grid, density


def condition_number(
    fun: ScalarFn, params: PyTree, key: jax.Array, num_iters: int | None = None
) -> jax.Array:
    r"""Estimate of :math:`\kappa = |\lambda|_{\max} / |\lambda|_{\min}` of the Hessian, by Lanczos.

    The extreme Ritz values converge first; the smallest-magnitude one is the weaker
    estimate (it bounds :math:`|\lambda|_{\min}` from above when the Hessian is positive
    definite, so :math:`\kappa` is underestimated). Exact with ``num_iters = n``.

    Args:
      fun: scalar function of ``params``.
      params: the point.
      key: PRNG key for the start vector.
      num_iters: Lanczos steps (default ``min(n, 64)``).

    Returns:
      The scalar estimate (``inf`` for a singular Hessian).
    """
    theta, *_ = _lanczos_ritz(fun, params, key, num_iters)
    mag = jnp.abs(theta)
    return jnp.max(mag) / jnp.min(mag)
