"""Hessian tools against dense references (jax.hessian, NumPy eigh) on pytrees, f32 and f64."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from optzoo import hessian as H
from optzoo import second_order

RNG = np.random.default_rng(0)
N = 7
_M = RNG.normal(size=(N, N))
A = _M @ _M.T / N + np.diag(np.linspace(0.5, 4.0, N))  # SPD, distinct eigenvalues


def _split(x):
    return {"a": x[:3], "b": x[3:].reshape(2, 2)}


def _join(p):
    return jnp.concatenate([p["a"], p["b"].ravel()])


def fun(p):
    x = _join(p)
    return 0.5 * x @ jnp.asarray(A, x.dtype) @ x + jnp.sum(jnp.sin(x)) * 0.1


def dense_hessian(x):
    return np.asarray(jax.jit(jax.hessian(lambda v: fun(_split(v))))(x))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hvp_hessian_diagonal_match_dense(dtype):
    with jax.enable_x64(dtype == "float64"):
        x = jnp.asarray(RNG.normal(size=N), dtype)
        v = jnp.asarray(RNG.normal(size=N), dtype)
        ref = dense_hessian(x)
        tol = 1e-4 if dtype == "float32" else 1e-10
        tools = jax.jit(
            lambda x, v: (
                H.hessian_vector_product(fun, _split(x), _split(v)),
                H.hessian(fun, _split(x)),
                H.hessian_diagonal(fun, _split(x)),
            )
        )
        hv, full, diag = tools(x, v)
        assert hv["a"].dtype == jnp.dtype(dtype)
        np.testing.assert_allclose(_join(hv), ref @ np.asarray(v), rtol=tol, atol=tol)
        np.testing.assert_allclose(full, ref, rtol=tol, atol=tol)
        np.testing.assert_allclose(_join(diag), np.diag(ref), rtol=tol, atol=tol)


def test_optax_names_kept():
    # optax.second_order's own functions stay reachable with their own signatures.
    import optax

    assert second_order.hvp is optax.second_order.hvp
    assert second_order.hessian_diag is optax.second_order.hessian_diag
    assert second_order.fisher_diag is optax.second_order.fisher_diag


def test_ggn_vector_product_matches_explicit(x64):
    w = jnp.asarray(RNG.normal(size=(3, 4)))
    xs = jnp.asarray(RNG.normal(size=(5, 4)))
    labels = jnp.array([0, 1, 2, 1, 0])
    model = lambda p: xs @ p["w"].T + p["c"]
    loss = lambda logits: jnp.mean(-jax.nn.log_softmax(logits)[jnp.arange(5), labels])
    params = {"w": w, "c": jnp.zeros(3)}
    v = jax.tree.map(lambda t: jnp.asarray(RNG.normal(size=t.shape)), params)
    flat, unravel = jax.flatten_util.ravel_pytree(params)
    jac = jax.jacfwd(lambda f: model(unravel(f)).ravel())(flat)  # (15, n)
    out = model(params)
    hl = jax.hessian(lambda o: loss(o.reshape(5, 3)))(out.ravel())
    expected = jac.T @ hl @ jac @ jax.flatten_util.ravel_pytree(v)[0]
    ggn = jax.jit(lambda p, v: H.ggn_vector_product(model, loss, p, v))
    got = jax.flatten_util.ravel_pytree(ggn(params, v))[0]
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_hutchinson_estimates(x64):
    x = jnp.asarray(RNG.normal(size=N))
    ref = dense_hessian(x)
    key = jax.random.PRNGKey(1)
    tr, diag = jax.jit(
        lambda x: (
            H.hutchinson_trace(fun, _split(x), key, num_samples=4000),
            _join(H.hutchinson_diagonal(fun, _split(x), key, num_samples=4000)),
        )
    )(x)
    assert abs(float(tr) - np.trace(ref)) < 0.05 * np.trace(ref)
    np.testing.assert_allclose(diag, np.diag(ref), rtol=0.1, atol=0.05)


def test_lanczos_and_power_iteration_eigs(x64):
    x = jnp.asarray(RNG.normal(size=N))
    ref = dense_hessian(x)
    evals, evecs = np.linalg.eigh(ref)
    key = jax.random.PRNGKey(2)
    run = jax.jit(
        lambda x: (
            H.lanczos_eigs(fun, _split(x), key, k=2, num_iters=N),
            H.lanczos_eigs(fun, _split(x), key, k=1, num_iters=N, which="smallest")[0],
            H.power_iteration_eigs(fun, _split(x), key, k=2, num_iters=500),
            H.condition_number(fun, _split(x), key, num_iters=N),
        )
    )
    (vals, vecs), low, (pvals, pvecs), kappa = run(x)
    np.testing.assert_allclose(vals, evals[::-1][:2], rtol=1e-9)
    top = np.asarray(jax.vmap(_join)(vecs))[0]
    assert abs(abs(top @ evecs[:, -1]) - 1.0) < 1e-8
    np.testing.assert_allclose(low, evals[:1], rtol=1e-9)
    np.testing.assert_allclose(pvals, evals[::-1][:2], rtol=1e-6)
    ptop = np.asarray(jax.vmap(_join)(pvecs))[0]
    assert abs(abs(ptop @ evecs[:, -1]) - 1.0) < 1e-6
    np.testing.assert_allclose(kappa, np.linalg.cond(ref), rtol=1e-8)


def test_lanczos_restarts_on_invariant_subspace(x64):
    # Hessian 2*I has one distinct eigenvalue: the Krylov space breaks down after one step.
    f = lambda p: jnp.sum(p["w"] ** 2)
    eigs = jax.jit(lambda p: H.lanczos_eigs(f, p, jax.random.PRNGKey(0), k=5, num_iters=5)[0])
    vals = eigs({"w": jnp.ones(5)})
    np.testing.assert_allclose(vals, 2.0 * np.ones(5), rtol=1e-12)


def test_spectral_density_integrates_to_one_and_peaks_at_eigenvalues(x64):
    diag = jnp.array([1.0] * 20 + [10.0] * 5)
    f = lambda p: 0.5 * jnp.sum(diag * p["w"] ** 2)
    slq = jax.jit(
        lambda p: H.spectral_density(f, p, jax.random.PRNGKey(0), num_probes=8, num_iters=10,
                                     sigma=0.2)
    )  # fmt: skip
    grid, dens = slq({"w": jnp.zeros(25)})
    grid, dens = np.asarray(grid), np.asarray(dens)
    np.testing.assert_allclose(np.trapezoid(dens, grid), 1.0, rtol=1e-3)
    near1 = dens[np.abs(grid - 1.0) < 1.0].sum()
    near10 = dens[np.abs(grid - 10.0) < 1.0].sum()
    np.testing.assert_allclose(near1 / (near1 + near10), 0.8, atol=0.15)


def test_tools_jit():
    x = _split(jnp.ones(N))
    f = jax.jit(lambda p: H.lanczos_eigs(fun, p, jax.random.PRNGKey(0), k=1, num_iters=N)[0])
    assert np.isfinite(f(x)).all()
