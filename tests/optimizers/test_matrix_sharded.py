"""Matrix optimizers on parameters sharded over two (virtual CPU) devices.

Runs in a subprocess because the device count must be set before JAX starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import sys
    import jax, jax.numpy as jnp, numpy as np, optax
    MODE = sys.argv[1]
    from jax.sharding import NamedSharding, PartitionSpec as P
    import optzoo

    assert len(jax.devices()) == 2
    from jax.sharding import AxisType
    mesh = jax.make_mesh((2,), ("x",), axis_types=(getattr(AxisType, MODE),))
    k = jax.random.split(jax.random.PRNGKey(0), 4)
    params = {
        "w": jax.random.normal(k[0], (8, 6)),
        "v": jax.random.normal(k[1], (8, 6)),
        "c": jax.random.normal(k[2], (2, 4, 3)),
        "b": jax.random.normal(k[3], (6,)),
    }
    specs = {"w": P("x", None), "v": P(None, "x"), "c": P("x", None, None), "b": P()}
    # SOAP on square matrices only: a rank-deficient G G^T has an arbitrary null-space
    # eigenbasis, which legitimately differs between sharded and unsharded eigh.
    square = {"w": params["w"][:6], "v": params["v"][:6], "b": params["b"]}

    def shard(tree):
        return {n: jax.device_put(x, NamedSharding(mesh, specs[n])) for n, x in tree.items()}

    def loss(p):
        return sum(jnp.sum(jnp.cos(x) + 0.3 * x**2) for x in jax.tree.leaves(p))

    def run(tx, p):
        s = tx.init(p)
        step = jax.jit(lambda p, s: tx.update(jax.grad(loss)(p), s, p))
        for _ in range(4):
            u, s = step(p, s)
            p = optax.apply_updates(p, u)
        return p

    for name, tx in {
        "muon": optzoo.muon(0.02),
        "shampoo": optzoo.shampoo(1e-2, block_size=4, precondition_frequency=2),
        "soap": optzoo.soap(1e-2, precondition_frequency=2),
        "psgd_kron": optzoo.psgd_kron(1e-2),
        "scion": optzoo.scion(1e-2),
    }.items():
        tree = square if name == "soap" else params
        a = run(tx, shard(tree))
        b = run(tx, tree)
        for n in tree:
            # float32 eigh / QR of SOAP differ slightly when partitioned.
            tol = 1e-3 if name == "soap" else 1e-4
            np.testing.assert_allclose(np.asarray(a[n]), np.asarray(b[n]), rtol=tol,
                                       atol=tol / 10, err_msg=name + "/" + n)
        print(name, "ok")
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["Auto", "Explicit"])
def test_matrix_optimizers_on_sharded_params(mode):
    env = dict(os.environ)
    env["XLA_FLAGS"] = env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"
    env["JAX_PLATFORMS"] = "cpu"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stdout + out.stderr
    for name in ("muon", "shampoo", "soap", "psgd_kron", "scion"):
        assert f"{name} ok" in out.stdout
