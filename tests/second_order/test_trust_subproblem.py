"""``trust-exact``'s subproblem (Moré-Sorensen) against scipy's ``IterativeSubproblem``.

Reference: scipy.optimize's ``trust-exact`` subproblem, the same algorithm (Moré, Sorensen,
"Computing a trust region step", 1983, https://doi.org/10.1137/0904038, with the safeguards
of Conn, Gould, Toint 2000, Algorithm 7.3.6) run on the same Hessian, gradient and radius.

scipy differs in one place: after a Newton update of the damping from inside the region
factors, its next iteration reuses the factor of the previous damping (the new one is stored
under another name), while optzoo uses the new one. The comparison therefore takes the
cases where scipy never enters that path (its Cholesky is called once per iteration).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from optzoo.second_order import minimize
from optzoo.second_order.mgh_problems import MGH_PROBLEMS
from optzoo.second_order.newton import hessian_bounds, more_sorensen_step

scipy_exact = pytest.importorskip("scipy.optimize._trustregion_exact")

_step = jax.jit(more_sorensen_step)


def _scipy_step(h, g, radius):
    """scipy's step, boundary flag, and whether it reused a stale factor."""
    sub = scipy_exact.IterativeSubproblem(np.zeros(len(g)), lambda x: 0.0, lambda x: g, lambda x: h)
    calls = []
    chol = sub.cholesky

    def counted(a, **kw):
        calls.append(1)
        return chol(a, **kw)

    sub.cholesky = counted
    p, boundary = sub.solve(radius)
    return p, boundary, len(calls) != sub.niter


def _ours(h, g, radius):
    h = jnp.asarray(h)
    p, boundary, _ = _step(h, jnp.asarray(g), jnp.asarray(radius), hessian_bounds(h), -jnp.inf)
    return np.asarray(p), bool(boundary)


def _cases():
    rng = np.random.default_rng(0)
    for n in (2, 5, 12):
        for kind in ("pd", "indefinite", "hard"):
            for radius in (0.05, 1.0, 20.0):
                a = rng.standard_normal((n, n))
                lam = rng.uniform(0.1, 5.0, n)
                if kind != "pd":
                    lam[: n // 2] *= -1
                q, _ = np.linalg.qr(a)
                h = (q * lam) @ q.T
                g = rng.standard_normal(n)
                if kind == "hard":  # no component along the lowest eigenvector
                    v = q[:, np.argmin(lam)]
                    g -= (g @ v) * v
                yield h, g, radius


def test_matches_scipy_subproblem(x64):
    compared = 0
    for h, g, radius in _cases():
        ref, ref_boundary, stale = _scipy_step(h, g, radius)
        if stale:
            continue
        p, boundary = _ours(h, g, radius)
        np.testing.assert_allclose(p, ref, rtol=1e-9, atol=1e-12 * np.linalg.norm(ref))
        assert boundary == ref_boundary
        compared += 1
    assert compared >= 20, compared  # most cases take the common path


def test_step_obeys_more_sorensen_bounds(x64):
    # Within (1 + k_easy) of the radius, interior only for a positive definite Hessian,
    # and a model decrease (the step is a descent step for the quadratic model).
    for h, g, radius in _cases():
        p, boundary = _ours(h, g, radius)
        assert np.linalg.norm(p) <= 1.1 * radius + 1e-12
        if not boundary:
            assert np.linalg.eigvalsh(h)[0] > 0
            np.testing.assert_allclose(p, -np.linalg.solve(h, g), rtol=1e-8)
        assert g @ p + 0.5 * p @ h @ p < 0


def test_trust_exact_solves_biggs_exp6_as_scipy(x64):
    # Biggs EXP6 starts on a symmetric ridge (x1 = x5, x3 = x6) with a Hessian whose
    # negative-curvature direction is orthogonal to the gradient. The exact subproblem
    # solution stays on the ridge, whose infimum (f = 0.2427) lies at infinity; scipy's
    # Moré-Sorensen steps leave it through the hard-case test and reach f = 0. So do ours:
    # the first four iterates agree with scipy's to 1e-10.
    so = pytest.importorskip("scipy.optimize")
    prob = next(p for p in MGH_PROBLEMS if p.number == 18)
    grad, hess = jax.jit(jax.grad(prob.objective)), jax.jit(jax.hessian(prob.objective))
    path = []
    so.minimize(
        lambda x: float(prob.objective(jnp.asarray(x))), np.asarray(prob.x0),
        jac=lambda x: np.asarray(grad(x)), hess=lambda x: np.asarray(hess(x)),
        method="trust-exact", callback=lambda xk: path.append(np.array(xk)),
    )  # fmt: skip
    for k in range(1, 5):
        res = minimize(prob.objective, jnp.asarray(prob.x0), method="trust-exact", maxiter=k)
        np.testing.assert_allclose(np.asarray(res.x), path[k - 1], rtol=1e-10)
    res = minimize(prob.objective, jnp.asarray(prob.x0), method="trust-exact", tol=1e-8)
    assert bool(res.success) and float(res.fun) < 1e-12
