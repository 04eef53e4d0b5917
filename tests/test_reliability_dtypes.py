"""Dtype policy (docs/reliability.md): integer, half-precision, float64 and complex leaves.

* Integer and boolean leaves are rejected by every registered optimizer in strict mode
  (``optzoo.create(name, strict=True)``) with a ValueError naming the path, or left
  unchanged by ``optzoo.skip_integer_leaves``.
* ``optzoo.upcast`` runs any optimizer in float32 on float16 / bfloat16 parameters.
* Trees mixing bfloat16 and float16 are named in the error of optimizers that keep
  tree-wide scalars.
* float64 parameters keep float64 updates and state (``jax_enable_x64``, in a subprocess).
* Complex parameters: the optimizers in ``COMPLEX_OPTIMIZERS`` converge on a complex
  least-squares problem; in strict mode every other registered optimizer rejects
  complex leaves.
"""

from __future__ import annotations

import inspect
import json
import os
import pathlib
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo
from optzoo import registry
from optzoo.core.tree_checks import COMPLEX_OPTIMIZERS

NAMES = registry.names()
ROOT = pathlib.Path(__file__).resolve().parents[1]


def _leaves_equal(a, b):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(np.asarray(x, np.float64), np.asarray(y, np.float64))


# ----------------------------------------------------------------------------- integers


@pytest.mark.parametrize("name", NAMES)
def test_integer_params_are_rejected_at_init_naming_the_path(name):
    params = {"w": jnp.ones((2, 3)), "layer": {"step": jnp.zeros((), jnp.int32)}}
    with pytest.raises(ValueError, match=r"\['layer'\]\['step'\].*int32.*skip_integer_leaves"):
        optzoo.create(name, strict=True).init(params)


def test_integer_leaves_are_rejected_at_update_naming_the_path():
    tx = optzoo.checked(optzoo.adam(1e-2), name="adam")
    state = tx.init({"w": jnp.ones(3), "n": jnp.ones(2)})
    ints = {"w": jnp.ones(3), "n": jnp.ones(2, jnp.int32)}
    with pytest.raises(ValueError, match=r"params leaf \['n'\] has integer dtype int32"):
        tx.update(ints, state, ints)
    with pytest.raises(ValueError, match=r"gradient leaf \['n'\] has integer dtype int32"):
        tx.update(ints, state)
    bools = {"w": jnp.ones(3), "n": jnp.ones(2, bool)}
    with pytest.raises(ValueError, match=r"\['n'\] has integer dtype bool"):
        tx.update(bools, state)


@pytest.mark.parametrize(
    "grad,kind",
    [
        (jnp.ones(2, jnp.int32), "integer"),
        (jnp.ones(2, bool), "integer"),
        (jnp.ones(2, jnp.complex64), "complex"),
    ],
)
def test_gradient_dtype_kind_mismatch_names_the_path(grad, kind):
    params = {"w": jnp.ones(3), "n": jnp.ones(2)}
    tx = optzoo.create("sgd", learning_rate=0.1, momentum=0.9, strict=True)
    with pytest.raises(ValueError, match=rf"\['n'\] is {kind} in the updates but float in params"):
        jax.jit(tx.update)({"w": jnp.ones(3), "n": grad}, tx.init(params), params)


def _mixed_params():
    return {
        "w": jnp.linspace(-1.0, 1.0, 6).reshape(2, 3),
        "step": jnp.array(7, jnp.int32),
        "flags": jnp.array([True, False]),
    }


def _loss(params):
    return jnp.sum(params["w"] ** 2) + params["step"] * 0.0


@pytest.mark.parametrize("name", ["adam", "sgd", "lion", "prodigy", "muon"])
def test_skip_integer_leaves_updates_only_float_leaves(name):
    tx = optzoo.skip_integer_leaves(optzoo.create(name))
    bare = optzoo.create(name)
    params = _mixed_params()
    floats = {"w": params["w"]}

    @jax.jit
    def step(p, s):
        g = jax.grad(_loss, allow_int=True)(p)  # float0 gradients for the integer leaves
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s, u

    @jax.jit
    def bare_step(p, s):
        u, s = bare.update(jax.grad(lambda q: jnp.sum(q["w"] ** 2))(p), s, p)
        return optax.apply_updates(p, u), s, u

    s, bs = tx.init(params), bare.init(floats)
    for _ in range(3):
        params, s, u = step(params, s)
        floats, bs, bu = bare_step(floats, bs)
        assert u["step"].dtype == jnp.int32 and u["flags"].dtype == jnp.bool_
        assert int(u["step"]) == 0 and not np.any(np.asarray(u["flags"]))
        _leaves_equal(u["w"], bu["w"])
    assert int(params["step"]) == 7 and params["step"].dtype == jnp.int32
    np.testing.assert_array_equal(params["flags"], [True, False])
    # Plain integer gradients (not float0) are accepted too.
    ints = {"w": jnp.ones((2, 3)), "step": jnp.array(1, jnp.int32), "flags": jnp.ones(2, bool)}
    u, _ = tx.update(ints, s, params)
    assert int(u["step"]) == 0


# ------------------------------------------------------------------------ half precision


def test_float16_zero_gradient_needs_upcast():
    params = {"w": jnp.ones(3, jnp.float16)}
    zeros = jax.tree.map(jnp.zeros_like, params)
    bare = optzoo.adam(1e-2)
    u, _ = bare.update(zeros, bare.init(params), params)
    # eps = 1e-8 is 0 in float16, so 0 / (sqrt(0) + 0) is NaN: the reason for upcast.
    assert np.all(np.isnan(np.asarray(u["w"], np.float32)))
    tx = optzoo.upcast(optzoo.adam(1e-2))
    state = tx.init(params)
    assert all(x.dtype in (jnp.float32, jnp.int32) for x in jax.tree.leaves(state))
    u, state = tx.update(zeros, state, params)
    assert u["w"].dtype == jnp.float16 and np.all(np.asarray(u["w"]) == 0)


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16])
@pytest.mark.parametrize("name", ["adam", "lion", "adafactor", "schedule_free_adamw", "sam"])
def test_upcast_gives_float32_state_and_the_float32_numbers(name, dtype):
    f32 = {"w": jnp.linspace(-1.0, 1.0, 6).reshape(2, 3), "b": jnp.array([0.5, -0.25])}
    low = jax.tree.map(lambda x: x.astype(dtype), f32)

    def loss(p):
        return sum(jnp.sum(x.astype(jnp.float32) ** 2) for x in jax.tree.leaves(p))

    needs = registry.info(name).needs
    tx, ref = optzoo.upcast(optzoo.create(name)), optzoo.create(name)
    grads = jax.grad(loss)(low)
    extra = {"value": loss(low), "grad": grads, "value_fn": loss} if needs else {}
    state = tx.init(low)
    floats = [x for x in jax.tree.leaves(state) if jnp.issubdtype(x.dtype, jnp.floating)]
    assert all(x.dtype == jnp.float32 for x in floats)
    u, _ = tx.update(grads, state, low, **extra)
    # The reference: the same optimizer on float32 copies, its update rounded once.
    g32, p32 = jax.tree.map(lambda x: x.astype(jnp.float32), (grads, low))
    extra32 = {"value": loss(p32), "grad": g32, "value_fn": loss} if needs else {}
    ru, _ = ref.update(g32, ref.init(p32), p32, **extra32)
    assert all(x.dtype == dtype for x in jax.tree.leaves(u))
    _leaves_equal(u, jax.tree.map(lambda x: x.astype(dtype), ru))


def test_mixing_bfloat16_and_float16_is_named_or_upcast():
    params = {"a": jnp.ones((2, 2), jnp.bfloat16), "b": jnp.ones(2, jnp.float16)}
    with pytest.raises(ValueError, match=r"bfloat16 \(at \['a'\]\) and float16 \(at \['b'\]\)"):
        optzoo.prodigy().init(params)
    tx = optzoo.upcast(optzoo.prodigy())
    u, _ = tx.update(params, tx.init(params), params)
    assert u["a"].dtype == jnp.bfloat16 and u["b"].dtype == jnp.float16


# ------------------------------------------------------------------------------ float64

FLOAT64_SCRIPT = r"""
import json, sys
import jax, jax.numpy as jnp, optax, optzoo
from optzoo import registry
out = {}
for name in json.loads(sys.argv[1]):
    p = {"w": jnp.linspace(-1.0, 1.0, 6, dtype=jnp.float64).reshape(2, 3)}
    loss = lambda q: jnp.sum(q["w"] ** 2)
    tx = optzoo.create(name)
    extra = {"value": loss(p), "grad": jax.grad(loss)(p), "value_fn": loss}
    extra = extra if registry.info(name).needs else {}
    u, s = jax.jit(lambda g, s, p: tx.update(g, s, p, **extra))(jax.grad(loss)(p), tx.init(p), p)
    floats = [str(x.dtype) for x in jax.tree.leaves(s) if jnp.issubdtype(x.dtype, jnp.floating)]
    big = [str(x.dtype) for x in jax.tree.leaves(s) if x.size > 1 and x.dtype != jnp.uint32]
    out[name] = {"update": str(u["w"].dtype), "state": sorted(set(big)),
                 "finite": bool(jnp.all(jnp.isfinite(u["w"])))}
res = optzoo.minimize(lambda x: jnp.sum((x - 1.0) ** 2), jnp.zeros(3, jnp.float64), method="bfgs")
out["minimize"] = {"x": str(res.x.dtype), "success": bool(res.success)}
print(json.dumps(out))
"""

FLOAT64_FAST = ["adam", "sgd", "lion", "prodigy", "schedule_free_adamw", "muon", "lbfgs_linesearch"]


def _run_float64(names):
    env = {**os.environ, "JAX_ENABLE_X64": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", FLOAT64_SCRIPT, json.dumps(names)],
        capture_output=True, text=True, timeout=600, env=env, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _check_float64(out, names):
    assert out["minimize"] == {"x": "float64", "success": True}
    for name in names:
        r = out[name]
        assert r["update"] == "float64" and r["finite"], (name, r)
        # State of parameter shape is float64 (factored / quantized states may hold more).
        assert "float32" not in r["state"] or name in FLOAT64_FP32_STATE, (name, r)


# Optimizers whose state is float32 by design (quantized or explicitly float32 buffers).
FLOAT64_FP32_STATE = {"adamw_8bit", "adamw_bf16_state"}


def test_float64_parameters_keep_float64_updates_and_state():
    _check_float64(_run_float64(FLOAT64_FAST), FLOAT64_FAST)


@pytest.mark.slow
def test_float64_every_optimizer():
    _check_float64(_run_float64(NAMES), NAMES)


# ------------------------------------------------------------------------------ complex

TARGET = {
    "w": jnp.array([[1 + 2j, -1j], [0.5, 2 - 1j], [1j, 1]], jnp.complex64),
    "b": jnp.array([1 - 1j, 2j], jnp.complex64),
}


def _complex_loss(z):
    pairs = zip(jax.tree.leaves(z), jax.tree.leaves(TARGET), strict=True)
    return sum(jnp.sum(jnp.abs(a - b) ** 2) for a, b in pairs)


def _best_complex_loss(name, steps=300):
    has_lr = "learning_rate" in inspect.signature(registry.info(name).factory).parameters
    needs = registry.info(name).needs
    z0 = jax.tree.map(jnp.zeros_like, TARGET)

    def run(lr):
        tx = optzoo.create(name, **({"learning_rate": lr} if has_lr else {}))

        def step(carry, _):
            p, s = carry
            # JAX's gradient of a real function of complex inputs is the conjugate of the
            # descent direction: optax's convention is to pass conj(grad).
            g = jax.tree.map(jnp.conj, jax.grad(_complex_loss)(p))
            extra = {"value": _complex_loss(p), "grad": g, "value_fn": _complex_loss}
            u, s = tx.update(g, s, p, **(extra if needs else {}))
            return (optax.apply_updates(p, u), s), None

        (p, _), _ = jax.lax.scan(step, (z0, tx.init(z0)), None, length=steps)
        assert all(x.dtype == jnp.complex64 for x in jax.tree.leaves(p))
        return _complex_loss(p)

    lrs = [1e-2, 1e-1, 1.0] if has_lr else [None]
    losses = [float(jax.jit(run)(lr)) for lr in lrs]
    return min(x for x in losses if np.isfinite(x)), float(_complex_loss(z0))


COMPLEX_FAST = ["adam", "sgd", "lion", "adafactor"]


@pytest.mark.parametrize(
    "name",
    COMPLEX_FAST
    + [
        pytest.param(n, marks=pytest.mark.slow)
        for n in sorted(COMPLEX_OPTIMIZERS - set(COMPLEX_FAST))
    ],
)
def test_complex_optimizers_converge(name):
    best, initial = _best_complex_loss(name)
    assert best < 0.01 * initial, (name, best, initial)


@pytest.mark.parametrize("name", sorted(set(NAMES) - COMPLEX_OPTIMIZERS))
def test_other_optimizers_reject_complex_params(name):
    with pytest.raises(ValueError, match=r"params leaf \['b'\] is complex.*COMPLEX_OPTIMIZERS"):
        optzoo.create(name, strict=True).init(TARGET)


def test_complex_list_names_registered_optimizers():
    assert COMPLEX_OPTIMIZERS <= set(NAMES)


@pytest.mark.parametrize("name", ["adahessian", "sophia"])
def test_hutchinson_methods_accept_trees_of_mixed_float_dtypes(name):
    params = {"a": jnp.ones((2, 2), jnp.bfloat16), "b": jnp.ones(3)}

    def loss(p):
        return jnp.sum(p["a"].astype(jnp.float32) ** 2) + jnp.sum(p["b"] ** 2)

    tx, g = optzoo.create(name), jax.grad(loss)(params)
    u, _ = tx.update(g, tx.init(params), params, value=loss(params), grad=g, value_fn=loss)
    assert u["a"].dtype == jnp.bfloat16 and u["b"].dtype == jnp.float32
    assert all(np.all(np.isfinite(np.asarray(x, np.float32))) for x in jax.tree.leaves(u))
