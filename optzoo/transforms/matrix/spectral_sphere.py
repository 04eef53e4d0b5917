"""SpectralSphere: the polar factor of the momentum, kept tangent to the weight's top
singular direction by a Lagrange multiplier found by bisection.

Leaves of rank >= 2 are matrices (rank > 2: every axis but the last is the row axis, the
``"flatten"`` rule of :mod:`optzoo.transforms.matrix.utils`); the optimizer routes scalars
and vectors elsewhere (:func:`optzoo.spectralsphere`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.eager import compile_update
from optzoo.core.validation import check_decay, check_nonnegative, check_positive

__all__ = [
    "POLAR_EXPRESS_COEFFS",
    "ScaleBySpectralSphereState",
    "scale_by_spectral_sphere",
]

# Polar Express coefficients (Amsel et al. 2025), one triple per step; later steps reuse
# the last one.
POLAR_EXPRESS_COEFFS = (
    (8.2051, -22.9019, 16.4607),
    (4.0664, -2.8612, 0.5184),
    (3.9096, -2.8234, 0.5250),
    (3.2856, -2.4153, 0.4853),
    (2.2779, -1.6198, 0.3985),
    (1.8726, -1.2307, 0.3585),
    (1.8564, -1.2132, 0.3568),
    (1.8750, -1.2500, 0.3750),
)


class ScaleBySpectralSphereState(NamedTuple):
    """State of :func:`scale_by_spectral_sphere`: the momentum buffer."""

    mu: optax.Updates


def _normalize(x: jax.Array, eps: float = 1e-12) -> jax.Array:
    return x / jnp.maximum(jnp.linalg.norm(x), eps)


def _msign(x: jax.Array, steps: int) -> jax.Array:
    tall = x.shape[0] > x.shape[1]
    y = x.T if tall else x
    y = y / jnp.maximum(jnp.linalg.norm(y), 1e-7)
    for i in range(steps):
        a, b, c = POLAR_EXPRESS_COEFFS[min(i, len(POLAR_EXPRESS_COEFFS) - 1)]
        gram = y @ y.T
        y = a * y + (b * gram + c * gram @ gram) @ y
    return y.T if tall else y


def _top_singular_pair(w: jax.Array, steps: int) -> jax.Array:
    v = jnp.ones((w.shape[1], 1), w.dtype)
    v = jax.lax.fori_loop(0, steps, lambda _, v: _normalize(w.T @ (w @ v)), v)
    u = _normalize(w @ v)
    return u @ v.T


def _solve_multiplier(
    x: jax.Array, theta: jax.Array, msign_steps: int, tol: float, max_iterations: int
) -> jax.Array:
    """lambda with <theta, msign(x + lambda theta)> = 0: an expanding bracket (10 doublings
    of 1e-3 from 0) then bisection; 0 when no bracket is found."""

    def f(lam):
        return jnp.sum(theta * _msign(x + lam * theta, msign_steps))

    zero = jnp.zeros([], x.dtype)
    f0 = f(zero)
    step = jnp.where(f0 < 0, 1e-3, -1e-3).astype(x.dtype)
    found = jnp.abs(f0) < tol

    def expand(_, c):
        prev, prev_f, step, found, left, right, left_f, right_f = c
        cur = prev + step
        cur_f = f(cur)
        cross = ~found & ((prev_f <= 0) != (cur_f <= 0))
        asc = prev_f <= 0
        left = jnp.where(cross, jnp.where(asc, prev, cur), left)
        right = jnp.where(cross, jnp.where(asc, cur, prev), right)
        left_f = jnp.where(cross, jnp.where(asc, prev_f, cur_f), left_f)
        right_f = jnp.where(cross, jnp.where(asc, cur_f, prev_f), right_f)
        return cur, cur_f, step * 2, found | cross, left, right, left_f, right_f

    c = (zero, f0, step, found, zero, zero, f0, f0)
    _, _, _, found, left, right, left_f, right_f = jax.lax.fori_loop(0, 10, expand, c)
    use_left = jnp.abs(left_f) < jnp.abs(right_f)
    best = jnp.where(use_left, left, right)
    best_f = jnp.where(use_left, left_f, right_f)
    active = found & (jnp.abs(best_f) > tol)

    def bisect(_, c):
        left, right, best, best_f, active = c
        mid = (left + right) * 0.5
        mid_f = jnp.where(active, f(mid), best_f)
        better = active & (jnp.abs(mid_f) < jnp.abs(best_f))
        best = jnp.where(better, mid, best)
        best_f = jnp.where(better, mid_f, best_f)
        active = active & (jnp.abs(mid_f) > tol)
        left = jnp.where(active & (mid_f < 0), mid, left)
        right = jnp.where(active & (mid_f >= 0), mid, right)
        return left, right, best, best_f, active

    c2 = (left, right, best, best_f, active)
    return jax.lax.fori_loop(0, max_iterations, bisect, c2)[2]


def scale_by_spectral_sphere(
    momentum: float = 0.9,
    nesterov: bool = True,
    power_iteration_steps: int = 10,
    msign_steps: int = 5,
    solver_tolerance_f: float = 1e-8,
    solver_max_iterations: int = 100,
) -> optax.GradientTransformation:
    r"""SpectralSphere's direction for matrix leaves.

    .. math::
       b_t = \mu b_{t-1} + (1-\mu) G_t,\qquad
       M_t = (1-\mu) G_t + \mu b_t\ \text{(Nesterov) or } b_t,\qquad
       X_t = M_t / \|M_t\|_F,

    .. math::
       \Theta_t = u_1 v_1^\top\ \text{(power iteration on } W_t),\qquad
       u_t = \operatorname{msign}(X_t + \lambda_t \Theta_t),\quad
       \langle \Theta_t, \operatorname{msign}(X_t + \lambda_t\Theta_t)\rangle = 0,

    with :math:`\operatorname{msign}` the polar factor by ``msign_steps`` Polar Express
    Newton-Schulz steps and :math:`\lambda_t` found by an expanding bracket and bisection
    (0 when no bracket is found within 10 doublings). The update stays tangent to the
    sphere of the weight's spectral norm. Every leaf must have rank >= 2; rank > 2 leaves
    are one matrix with all axes but the last as rows. Arithmetic in float32 or wider
    (the reference implementation runs msign and power iteration in bfloat16). Needs
    ``params``.

    Args:
      momentum: :math:`\mu`.
      nesterov: orthogonalise the Nesterov look-ahead.
      power_iteration_steps: power-iteration steps for :math:`u_1, v_1`.
      msign_steps: Polar Express steps.
      solver_tolerance_f: stop when :math:`|f(\lambda)|` is below this.
      solver_max_iterations: bisection steps.

    Returns:
      A ``GradientTransformation`` with :class:`ScaleBySpectralSphereState`.

    References:
      Tian Xie, Haoming Luo, Haoyu Tang, Yiwen Hu, Jason Klein Liu, Qingnan Ren, Yang Wang,
      Wayne Xin Zhao, Rui Yan, Bing Su, Chong Luo, Baining Guo. Controlled LLM Training on
      Spectral Sphere. 2026. https://arxiv.org/abs/2601.08393
    """
    check_decay("momentum", momentum)
    check_positive("power_iteration_steps", power_iteration_steps)
    check_positive("msign_steps", msign_steps)
    check_nonnegative("solver_tolerance_f", solver_tolerance_f)
    check_nonnegative("solver_max_iterations", solver_max_iterations)

    def init_fn(params):
        for x in jax.tree.leaves(params):
            if jnp.ndim(x) < 2:
                raise ValueError(
                    f"scale_by_spectral_sphere needs rank >= 2 leaves, got shape {jnp.shape(x)}"
                )
        return ScaleBySpectralSphereState(mu=optax.tree.zeros_like(params))

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_spectral_sphere needs params (the weight's top direction)")

        def one(g, b, w):
            d = jnp.promote_types(g.dtype, jnp.float32)
            gf = g.astype(d)
            mu_ = jnp.asarray(momentum, d)
            bf = b.astype(d) + (1 - mu_) * (gf - b.astype(d))
            m = gf + mu_ * (bf - gf) if nesterov else bf
            rows = math.prod(g.shape[:-1])
            m = m.reshape(rows, g.shape[-1])
            x = m / jnp.maximum(jnp.linalg.norm(m), 1e-8)
            theta = _top_singular_pair(
                w.astype(d).reshape(rows, g.shape[-1]), power_iteration_steps
            )
            lam = _solve_multiplier(
                x, theta, msign_steps, solver_tolerance_f, solver_max_iterations
            )
            u = _msign(x + lam * theta, msign_steps).reshape(g.shape)
            return u.astype(g.dtype), bf.astype(b.dtype)

        g_leaves, treedef = jax.tree.flatten(updates)
        out = [
            one(g, b, w)
            for g, b, w in zip(
                g_leaves,
                treedef.flatten_up_to(state.mu),
                treedef.flatten_up_to(params),
                strict=True,
            )
        ]
        u = jax.tree.unflatten(treedef, [o[0] for o in out])
        mu = jax.tree.unflatten(treedef, [o[1] for o in out])
        return u, ScaleBySpectralSphereState(mu=mu)

    return optax.GradientTransformation(init_fn, compile_update(update_fn))
