"""The Hessian tools work on Flax model parameters (nested dict pytrees)."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from optzoo import hessian as H


class TinyMLP(nn.Module):
    @nn.compact
    def __call__(self, x):
        return nn.Dense(3)(jnp.tanh(nn.Dense(4)(x)))


def _problem():
    model = TinyMLP()
    key = jax.random.PRNGKey(0)
    x = jax.random.normal(key, (16, 2))
    y = jax.random.randint(jax.random.PRNGKey(1), (16,), 0, 3)
    params = model.init(key, x)

    def logits_fn(p):
        return model.apply(p, x)

    def loss_from_logits(logits):
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1))

    def loss(p):
        return loss_from_logits(logits_fn(p))

    return params, loss, logits_fn, loss_from_logits


def _dense_hessian(loss, params):
    flat, unravel = ravel_pytree(params)
    return np.asarray(jax.hessian(lambda f: loss(unravel(f)))(flat)), flat, unravel


def test_hvp_and_full_hessian_match_jax_hessian_on_flax_params():
    params, loss, _, _ = _problem()
    dense, flat, unravel = _dense_hessian(loss, params)
    v = unravel(jax.random.normal(jax.random.PRNGKey(2), flat.shape))
    hv = H.hessian_vector_product(loss, params, v)
    assert jax.tree.structure(hv) == jax.tree.structure(params)
    np.testing.assert_allclose(
        ravel_pytree(hv)[0], dense @ ravel_pytree(v)[0], rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(np.asarray(H.hessian(loss, params)), dense, rtol=1e-4, atol=1e-5)
    diag = ravel_pytree(H.hessian_diagonal(loss, params))[0]
    np.testing.assert_allclose(diag, np.diag(dense), rtol=1e-4, atol=1e-5)


def test_spectrum_tools_on_flax_params():
    params, loss, logits_fn, loss_from_logits = _problem()
    dense, flat, _ = _dense_hessian(loss, params)
    eig = np.linalg.eigvalsh(dense.astype(np.float64))
    n = flat.size
    top, _ = H.lanczos_eigs(loss, params, jax.random.PRNGKey(3), k=1, num_iters=n)
    np.testing.assert_allclose(float(np.ravel(top)[0]), eig[-1], rtol=1e-3)
    samples = 2000
    trace = H.hutchinson_trace(loss, params, jax.random.PRNGKey(4), num_samples=samples)
    # Rademacher probes: Var[z'Hz] = 2 (||H||_F^2 - sum diag(H)^2); allow four standard errors.
    d = dense.astype(np.float64)
    stderr = np.sqrt(2 * (np.sum(d**2) - np.sum(np.diag(d) ** 2)) / samples)
    assert abs(float(trace) - np.trace(d)) < 4 * stderr
    # The GGN of softmax cross-entropy is positive semi-definite.
    v = jax.tree.map(jnp.ones_like, params)
    gv = H.ggn_vector_product(logits_fn, loss_from_logits, params, v)
    assert float(jnp.vdot(ravel_pytree(gv)[0], ravel_pytree(v)[0])) >= 0
