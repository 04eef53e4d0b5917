"""Line searches: the conditions they promise, scipy's dcsrch as the More-Thuente reference,
and the transformation forms inside ``optax.chain``."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from optzoo import second_order as so2

sls = pytest.importorskip("scipy.optimize._linesearch")


def rosen(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


STARTS = [np.array([-1.2, 1.0]), np.array([0.5, -0.3]), np.array([2.0, 2.0])]
STEPS = [1.0, 1e-3, 10.0]


@functools.cache
def _search_fn(name, **kw):
    vg = jax.value_and_grad(rosen)
    search = so2.get_line_search(name)

    @jax.jit
    def go(x, step0):
        f0, g0 = vg(x)
        return search(vg, x, f0, g0, -g0, step0, **kw), f0, g0

    return go


def _run(name, x, step0, **kw):
    return _search_fn(name, **kw)(jnp.asarray(x), jnp.asarray(step0))


@pytest.mark.parametrize("name", ["wolfe", "more-thuente", "hager-zhang", "armijo"])
def test_conditions_hold(x64, name):
    for x in STARTS:
        for a0 in STEPS:
            res, f0, g0 = _run(name, x, a0)
            d = -np.asarray(g0)
            slope0 = float(np.dot(np.asarray(g0), d))
            a = float(res.step)
            assert bool(res.success), (name, x, a0)
            assert a > 0
            np.testing.assert_allclose(float(res.value), float(rosen(jnp.asarray(x + a * d))))
            slope = float(np.dot(np.asarray(res.grad), d))
            if name == "hager-zhang":  # Wolfe or approximate Wolfe
                assert slope >= 0.9 * slope0 and float(res.value) <= float(f0) * (1 + 1e-6)
            else:
                assert float(res.value) <= float(f0) + 1e-4 * a * slope0
            if name in ("wolfe", "more-thuente"):
                assert abs(slope) <= 0.9 * abs(slope0)


def test_more_thuente_matches_scipy_dcsrch(x64):
    # scipy's line_search_wolfe1 runs MINPACK-2's dcsrch: same step, same evaluations.
    f = lambda x: float(rosen(jnp.asarray(x)))
    fp = lambda x: np.asarray(jax.grad(rosen)(jnp.asarray(x)))
    for x in STARTS:
        for a0 in STEPS:
            g0 = fp(x)
            # old_old_fval chosen so that scipy's first trial step is exactly a0.
            slope0 = -float(g0 @ g0)
            old = f(x) - a0 * slope0 / 2.0 / 1.01
            a_ref, fc, gc, *_ = sls.line_search_wolfe1(
                f, fp, x, -g0, g0, f(x), old, amax=1e10, amin=0.0
            )
            res, _, _ = _run("more-thuente", x, min(a0, 1.0), max_step=1e10)
            if a_ref is None:
                continue
            np.testing.assert_allclose(float(res.step), a_ref, rtol=1e-10)
            assert int(res.nfev) == fc


def test_failure_returns_zero_step_never_hangs():
    # Ascent direction: no step decreases f; every search stops within its budget.
    f = lambda x: jnp.sum(x**2)
    vg = jax.value_and_grad(f)
    x = jnp.ones(2)
    f0, g0 = vg(x)
    for name in so2.LINE_SEARCHES:
        res = so2.get_line_search(name)(vg, x, f0, g0, g0, 1.0, max_steps=10)
        assert float(res.step) == 0.0 and not bool(res.success)
        assert int(res.nfev) <= 10
    with pytest.raises(ValueError, match="unknown line search"):
        so2.get_line_search("golden")


@pytest.mark.parametrize(
    "search",
    [
        so2.scale_by_armijo_linesearch(),
        so2.scale_by_wolfe_linesearch(method="zoom"),
        so2.scale_by_wolfe_linesearch(),
        so2.scale_by_hager_zhang_linesearch(initial_step="previous"),
    ],
    ids=["armijo", "zoom", "more-thuente", "hager-zhang"],
)
def test_transformation_forms_in_chain(search):
    # Steepest descent with a line search, as a chain, on a pytree problem.
    loss = lambda p: rosen(jnp.concatenate([p["a"], p["b"]]))
    tx = optax.chain(optax.scale(-1.0), search)
    params = {"a": jnp.array([-1.2]), "b": jnp.array([1.0])}
    state = tx.init(params)

    @jax.jit
    def step(params, state):
        v, g = jax.value_and_grad(loss)(params)
        u, state = tx.update(g, state, params, value=v, grad=g, value_fn=loss)
        return optax.apply_updates(params, u), state, v

    values = []
    for _ in range(30):
        params, state, v = step(params, state)
        values.append(float(v))
    assert all(b <= a for a, b in zip(values, values[1:], strict=False))  # monotone
    assert values[-1] < 0.5 * values[0]
