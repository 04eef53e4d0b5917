"""optzoo.compat without the frameworks: imports, composition, error messages."""

import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo
from optzoo.compat import keras as ok
from optzoo.compat import torch as ot


def test_compat_imports_neither_torch_nor_keras():
    code = (
        "import sys, optzoo; optzoo.compat.torch.Adam(); optzoo.compat.keras.Adam();"
        "optzoo.compat.torch.lr_scheduler.StepLR(0.1, 3);"
        "print('torch' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    "tx",
    [
        ot.Adam(lr=0.05),
        ot.SGD(lr=0.1, momentum=0.9),
        ok.Adam(learning_rate=0.05),
        ok.Lion(learning_rate=0.01, weight_decay=0.1),
    ],
    ids=["torch.Adam", "torch.SGD", "keras.Adam", "keras.Lion"],
)
def test_presets_minimise_a_quadratic_under_jit_and_chain(tx):
    tx = optax.chain(optzoo.clip_by_global_norm(10.0), tx)
    f = lambda p: jnp.sum((p["x"] - 1.0) ** 2)
    p = {"x": jnp.zeros(3)}

    @jax.jit
    def step(p, s):
        u, s = tx.update(jax.grad(f)(p), s, p)
        return optax.apply_updates(p, u), s

    s = tx.init(p)
    for _ in range(200):
        p, s = step(p, s)
    assert float(f(p)) < 1e-2


def test_torch_schedule_as_lr():
    sched = ot.lr_scheduler.StepLR(0.1, step_size=2, gamma=0.5)
    tx = ot.SGD(lr=sched)
    p = jnp.ones(1)
    s = tx.init(p)
    got = []
    for _ in range(5):
        u, s = tx.update(jnp.ones(1), s, p)
        got.append(-float(u[0]))
    np.testing.assert_allclose(got, [0.1, 0.1, 0.05, 0.05, 0.025], rtol=1e-6)


def test_presets_need_params():
    tx = ot.Adagrad()
    with pytest.raises(ValueError, match="params"):
        tx.update(jnp.ones(2), tx.init(jnp.ones(2)))
