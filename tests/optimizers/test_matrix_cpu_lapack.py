"""XLA:CPU LAPACK hang of the matrix preconditioners (Shampoo/SOAP/PSGD refresh steps).

jaxlib 0.10 splits a batched eigh/qr/triangular-solve custom call over XLA's intra-op
pool and blocks until the pieces finish; with as many such calls in flight as the
pool has threads, or with several XLA threads inside a multi-threaded OpenBLAS, the
step never ends. ``optzoo.transforms.matrix.utils.per_matrix`` loops single-matrix calls on CPU and
``cpu_lapack_guard`` pins OpenBLAS to one thread. The end-to-end check runs in a
subprocess with a timeout so that a hang fails the test instead of blocking CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from optzoo.transforms.matrix import utils as mu_

# Before the fix this program hung (or ran for minutes) in the first refresh step on a
# 2-core machine: 2 x 48 tiles of 128 x 128 give concurrent batched eigh/QR calls.
_PROGRAM = textwrap.dedent(
    """
    import jax, jax.numpy as jnp, optzoo
    key = jax.random.PRNGKey(0)
    params = {f"w{i}": jax.random.normal(jax.random.fold_in(key, i), (768, 512)) for i in range(2)}
    params["v"] = jnp.ones((8, 384, 128))
    grads = jax.tree.map(lambda x: jnp.sin(3.0 * x) * 1e-2, params)
    for tx in (
        optzoo.scale_by_shampoo(block_size=128, precondition_frequency=1),
        optzoo.scale_by_soap(precondition_frequency=1),
    ):
        state = tx.init(params)
        upd = jax.jit(tx.update)
        for _ in range(3):
            u, state = upd(grads, state)
            jax.block_until_ready(u)
    print("finished")
    """
)


@pytest.mark.slow
def test_matrix_refreshes_finish_on_cpu():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=root)
    env.pop("OPTZOO_KEEP_LAPACK_THREADS", None)
    r = subprocess.run(
        [sys.executable, "-c", _PROGRAM],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,  # a normal run takes ~10 s; a hang raises TimeoutExpired
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "finished" in r.stdout


def _spd(key, b, n):
    x = jax.random.normal(key, (b, n, n))
    return x @ x.transpose(0, 2, 1) / n + jnp.eye(n)


def test_per_matrix_ops_equal_batched_lapack():
    a = _spd(jax.random.PRNGKey(0), 6, 24)
    b = jax.random.normal(jax.random.PRNGKey(1), (6, 24, 5))
    w, v = jax.jit(jax.vmap(mu_.eigh))(a)
    w_ref, v_ref = jnp.linalg.eigh(a)
    np.testing.assert_array_equal(w, w_ref)
    np.testing.assert_array_equal(v, v_ref)
    np.testing.assert_array_equal(jax.jit(jax.vmap(mu_.qr_q))(a), jnp.linalg.qr(a)[0])
    u = jnp.triu(a)
    got = jax.jit(jax.vmap(mu_.solve_upper_t))(u, b)
    ref = jax.scipy.linalg.solve_triangular(u, b, trans="T")
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)  # last-bit BLAS paths
    # An unbatched operand is broadcast; nested vmap loops over both axes.
    got = jax.vmap(mu_.solve_upper_t, in_axes=(None, 0))(u[0], b)
    ref = jax.scipy.linalg.solve_triangular(u[0], b, trans="T")
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    a2 = a.reshape(2, 3, 24, 24)
    w2, _ = jax.jit(jax.vmap(jax.vmap(mu_.eigh)))(a2)
    np.testing.assert_array_equal(w2.reshape(6, 24), w_ref)


def test_cpu_lapack_guard_pins_the_openblas_jax_uses():
    paths = mu_.cpu_lapack_guard()
    assert mu_.cpu_lapack_guard() == paths  # once only
    if os.environ.get("OPTZOO_KEEP_LAPACK_THREADS", "") not in ("", "0"):
        assert paths == []
    for p in paths:
        assert "openblas" in p.lower() and "numpy.libs" not in p
