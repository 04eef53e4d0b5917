"""``least_squares`` against ``scipy.optimize.least_squares(method='lm')``."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from optzoo.second_order import least_squares

so = pytest.importorskip("scipy.optimize")

T = np.linspace(0.0, 4.0, 60)
TRUE = np.array([2.0, 1.3, 0.5, 3.0])


def model(p, t):
    return p[0] * jnp.exp(-p[1] * t) + p[2] * jnp.sin(p[3] * t)


Y = np.asarray(model(TRUE, T)) + 0.01 * np.cos(7.0 * T)


def residual(p, t, y):
    return model(p, t) - y


def _scipy(x0):
    jac = jax.jit(jax.jacfwd(residual))
    res = jax.jit(residual)
    return so.least_squares(
        lambda p: np.asarray(res(p, T, Y)), x0, jac=lambda p: np.asarray(jac(p, T, Y)), method="lm"
    )


@pytest.mark.parametrize("method", ["lm", "gauss-newton"])
def test_curve_fit_matches_scipy_lm(x64, method):
    x0 = np.array([1.0, 1.0, 1.0, 2.5])
    ref = _scipy(x0)
    res = least_squares(residual, jnp.asarray(x0), method=method, args=(T, Y))
    assert bool(res.success), res.message
    np.testing.assert_allclose(np.asarray(res.x), ref.x, rtol=1e-6)
    np.testing.assert_allclose(float(res.fun), ref.cost, rtol=1e-9)
    if method == "lm":
        assert int(res.nfev) <= ref.nfev


def test_pytree_and_float32():
    t = jnp.linspace(0, 1, 20)
    y = 2.0 * jnp.exp(-3.0 * t)
    res = least_squares(
        lambda p: p["a"] * jnp.exp(-p["k"] * t) - y, {"a": jnp.float32(1.0), "k": jnp.float32(1.0)}
    )
    assert bool(res.success), res.message
    assert res.x["a"].dtype == jnp.float32
    np.testing.assert_allclose([res.x["a"], res.x["k"]], [2.0, 3.0], rtol=1e-4)


def test_rosenbrock_residuals_and_failures(x64):
    r = lambda x: jnp.array([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]])
    res = least_squares(r, jnp.array([-1.2, 1.0]))
    np.testing.assert_allclose(np.asarray(res.x), [1.0, 1.0], atol=1e-8)
    res = least_squares(r, jnp.array([-1.2, 1.0]), maxiter=2)
    assert not bool(res.success) and "Maximum" in res.message
    res = least_squares(r, jnp.array([jnp.nan, 1.0]))
    assert not bool(res.success) and int(res.status) == 3
    with pytest.raises(ValueError, match="unknown method"):
        least_squares(r, jnp.ones(2), method="dogbox")


@pytest.mark.parametrize("shape", [(6, 6), (12, 4), (40, 10)])
def test_gauss_newton_step_matches_lstsq(x64, shape):
    # The LU (square) and normal-equations (tall) fast paths give NumPy's least-squares step
    # on well-conditioned J, also when its columns' scales span ten orders of magnitude (the
    # tests that choose the fast path do not depend on the scales); a rank-deficient J falls
    # back to the pivoted QR's basic solution (zero on the dropped column), not a huge step.
    from optzoo.second_order.nonlinear_least_squares import _direct_step, _gn_solve

    rng = np.random.default_rng(0)
    jac = rng.standard_normal(shape)
    r = rng.standard_normal(shape[0])
    ref = np.linalg.lstsq(jac, -r, rcond=None)[0]
    # _gn_solve takes J transposed (the layout the solver keeps it in) and J^T r.
    args = lambda j: (jnp.asarray(j.T), jnp.asarray(r), jnp.asarray(j.T @ r))
    solve = lambda j: np.asarray(_gn_solve(*args(j)))
    step = solve(jac)
    np.testing.assert_allclose(np.asarray(step), ref, rtol=1e-9, atol=1e-12)
    scale = np.logspace(-5, 5, shape[1])
    p, safe = _direct_step(*args(jac * scale))
    assert bool(safe)
    # J D z = -r has the solution z = D^-1 p; compared as D z, componentwise.
    np.testing.assert_allclose(np.asarray(p) * scale, ref, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(solve(jac * scale) * scale, ref, rtol=1e-8, atol=1e-12)
    deficient = jac.copy()
    deficient[:, -1] = deficient[:, 0]  # two equal columns: rank n - 1
    assert not bool(_direct_step(*args(deficient))[1])
    p = solve(deficient)
    assert np.all(np.isfinite(p)) and np.linalg.norm(p) < 1e3
    assert np.count_nonzero(np.abs(p) < 1e-12) == 1  # the dropped column gets no step
    # It is still a least-squares solution: the same residual as NumPy's minimum-norm one.
    best = np.linalg.lstsq(deficient, -r, rcond=None)[0]
    np.testing.assert_allclose(np.linalg.norm(deficient @ p + r),
                               np.linalg.norm(deficient @ best + r), rtol=1e-9)  # fmt: skip


def test_scalar_arguments_are_cached_device_arrays_that_compile_the_same_solver():
    """Tolerances and ``maxiter`` reach the compiled solver as device arrays made once per
    value (no host-to-device copy per call), typed as the scalars would be, so the program
    is the one the scalars give; under a trace and for device arrays they pass as they are."""
    from optzoo.second_order import minimization as mz
    from optzoo.second_order import nonlinear_least_squares as nls

    def res(p):
        return p * p - jnp.arange(1.0, 4.0)

    x0 = jnp.ones(3)
    for x64 in (False, True):
        with jax.enable_x64(x64):
            host = (1e-8, 1e-8, 1e-8, mz._maxiter(50), 3)
            dev = mz._scalar_args((x0, ()), *host)
            assert all(a is b for a, b in zip(dev, mz._scalar_args((x0, ()), *host), strict=True))
            assert [(a.dtype, a.weak_type) for a in dev] == [
                (jnp.asarray(v).dtype, jnp.asarray(v).weak_type) for v in host
            ]
            kw = {"residual_fn": res, "method": "gauss-newton"}
            x = jnp.ones(3, jnp.result_type(float))
            assert nls._run.jit.lower(x, (), *host, **kw).as_text() == (
                nls._run.jit.lower(x, (), *dev, **kw).as_text()
            )
            np.testing.assert_array_equal(
                least_squares(res, x, method="gauss-newton", maxiter=50).x,
                nls._run(x, (), *host, **kw).x,
            )
    m = jnp.asarray(7, jnp.int32)
    assert mz._scalar_args((x0, ()), 1e-3, m)[1] is m

    @jax.jit
    def traced(y):
        assert type(mz._scalar_args((y, ()), 1e-3)[0]) is float
        return least_squares(res, y, method="lm", maxiter=50).x

    np.testing.assert_allclose(traced(jnp.ones(3)), np.sqrt([1.0, 2.0, 3.0]), rtol=1e-5)


@pytest.mark.parametrize("method", ["gauss-newton", "lm"])
def test_one_linearisation_gives_residual_and_jacobian(x64, method, monkeypatch):
    """The residual and the Jacobian come from one linearisation: forward mode over a basis
    built into the program as a constant (small ``n``) or at run time (large ``n``), which
    take the same iterates, and reverse mode when there are fewer residuals than
    parameters."""
    from optzoo.second_order import nonlinear_least_squares as nls

    def rosenbrock(x):  # extended Rosenbrock, zero residual at all ones
        a, b = x[0::2], x[1::2]
        return jnp.stack([10.0 * (b - a * a), 1.0 - a], axis=1).ravel()

    x0 = jnp.asarray(np.tile([-1.2, 1.0], 10))
    const = least_squares(lambda x: rosenbrock(x), x0, method=method)
    monkeypatch.setattr(nls, "_CONSTANT_BASIS", 0)  # a fresh function below: a fresh trace
    built = least_squares(lambda x: rosenbrock(x), x0, method=method)
    assert bool(const.success) and bool(built.success)
    np.testing.assert_allclose(np.asarray(const.x), np.ones(20), atol=1e-8)
    np.testing.assert_allclose(np.asarray(built.x), np.asarray(const.x), rtol=1e-12, atol=1e-14)
    assert int(built.nfev) == int(const.nfev) and int(built.njev) == int(const.njev)

    # Two residuals, five parameters: reverse mode; a zero-residual point is found.
    wide = lambda x: jnp.array([jnp.sum(x * x) - 1.0, x[0] - 2.0 * x[1]])
    res = least_squares(wide, jnp.asarray([0.3, 0.1, 0.2, 0.4, 0.5]), method=method)
    assert bool(res.success), res.message
    np.testing.assert_allclose(np.asarray(wide(res.x)), 0.0, atol=1e-8)
    np.testing.assert_allclose(float(res.fun), 0.0, atol=1e-16)
