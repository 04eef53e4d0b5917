"""Registered second-order optimizers (transformation forms) in training loops.

Reference: scipy's L-BFGS-B optimum of the same full-batch objective (L2-regularised
logistic regression on ``load_breast_cancer``), and ``optax.lbfgs``.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo
from optzoo import registry

NAMES = ["bfgs", "lbfgs_linesearch", "ncg", "newton_cg"]


@pytest.fixture(scope="module")
def breast_cancer():
    datasets = pytest.importorskip("sklearn.datasets")
    x, y = datasets.load_breast_cancer(return_X_y=True)
    x = (x - x.mean(0)) / x.std(0)
    return jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32)


def _logreg(data):
    x, y = data

    def loss(p):
        z = x @ p["w"] + p["b"]
        return jnp.mean(jax.nn.softplus(z) - y * z) + 1e-2 * jnp.sum(p["w"] ** 2)

    return loss


def _train(tx, loss, params, steps):
    state = tx.init(params)

    @jax.jit
    def step(params, state):
        v, g = jax.value_and_grad(loss)(params)
        u, state = tx.update(g, state, params, value=v, grad=g, value_fn=loss)
        return optax.apply_updates(params, u), state

    for _ in range(steps):
        params, state = step(params, state)
    return float(loss(params))


def test_registered_with_needs_and_references():
    for name in NAMES:
        record = registry.info(name)
        assert record.needs == ("value_fn",)
        assert record.reference.year <= 2010 and record.reference.url.startswith("https://")
    # optax's own L-BFGS keeps its name and signature.
    assert optzoo.lbfgs is optax.lbfgs or "lbfgs" not in registry.names()


@pytest.mark.parametrize(
    "name",
    ["lbfgs_linesearch", *(pytest.param(n, marks=pytest.mark.slow) for n in NAMES[:1] + NAMES[2:])],
)
def test_full_batch_logistic_regression_reaches_scipy_optimum(breast_cancer, name):
    so = pytest.importorskip("scipy.optimize")
    loss = _logreg(breast_cancer)
    p0 = {"w": jnp.zeros(30), "b": jnp.zeros(())}
    flat0, unravel = jax.flatten_util.ravel_pytree(p0)
    fg = jax.jit(jax.value_and_grad(lambda f: loss(unravel(f))))
    ref = so.minimize(
        lambda f: tuple(np.asarray(t, np.float64) for t in fg(jnp.asarray(f, jnp.float32))),
        np.asarray(flat0, np.float64),
        jac=True,
        method="L-BFGS-B",
        options={"gtol": 1e-7, "ftol": 1e-12},
    )
    final = _train(optzoo.create(name), loss, p0, steps=60)
    assert final <= ref.fun + 1e-4, (name, final, ref.fun)


def test_hessian_free_ggn_on_minibatches():
    datasets = pytest.importorskip("sklearn.datasets")
    x, y = datasets.load_digits(return_X_y=True)
    x = jnp.asarray(x / 16.0, jnp.float32)
    y = jnp.asarray(y)
    params = {"w": jnp.zeros((64, 10)), "b": jnp.zeros(10)}
    tx = optzoo.second_order.newton_cg(curvature="ggn", cg_maxiter=20)
    state = tx.init(params)

    def full_loss(p):
        return optax.softmax_cross_entropy_with_integer_labels(x @ p["w"] + p["b"], y).mean()

    @jax.jit
    def step(params, state, idx):
        xb, yb = x[idx], y[idx]
        model_fn = lambda p: xb @ p["w"] + p["b"]
        loss_fn = lambda logits: optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()
        value_fn = lambda p: loss_fn(model_fn(p))
        g = jax.grad(value_fn)(params)
        u, state = tx.update(
            g, state, params, value_fn=value_fn, model_fn=model_fn, loss_fn=loss_fn
        )
        return optax.apply_updates(params, u), state

    key = jax.random.PRNGKey(0)
    start = float(full_loss(params))
    for i in range(25):
        idx = jax.random.choice(jax.random.fold_in(key, i), x.shape[0], (256,), replace=False)
        params, state = step(params, state, idx)
    final = float(full_loss(params))
    assert final < 0.2 * start, (start, final)
    acc = float(jnp.mean(jnp.argmax(x @ params["w"] + params["b"], -1) == y))
    assert acc > 0.9


def test_line_search_needs_value_fn():
    tx = optzoo.second_order.bfgs()
    p = {"w": jnp.ones(3)}
    state = tx.init(p)
    with pytest.raises(ValueError, match="value_fn"):
        tx.update(p, state, p)
