"""Un-jitted (eager) steps: no compilation per step, and optax's bits for the classics.

Outside ``jit`` every operation compiles once per distinct program; an update rule that
bakes the step count into a program (``beta ** count`` becomes ``integer_pow`` with the
exponent as a constant) or traces fresh ``lax.cond`` / ``while_loop`` closures compiles
on every step. The first test counts XLA compilations (jax's backend-compile monitoring
event) over 20 eager steps of every registered optimizer after a few warm-up steps.
"""

from __future__ import annotations

import collections

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax import monitoring

import optzoo
from optzoo import registry

_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


class _CompileCounter:
    """Names of the functions XLA compiles while the ``with`` block runs."""

    def __enter__(self):
        self.names: list[str] = []
        monitoring.register_event_duration_secs_listener(self._listen)
        return self

    def _listen(self, event, duration, **kwargs):
        del duration
        if event == _COMPILE_EVENT:
            self.names.append(str(kwargs.get("fun_name", "?")))

    def __exit__(self, *exc):
        monitoring.unregister_event_duration_listener(self._listen)


def _quadratic(params):
    scales = jnp.linspace(1.0, 5.0, params["w"].size).reshape(params["w"].shape)
    return 0.5 * jnp.sum(scales * params["w"] ** 2) + 0.5 * jnp.sum(params["b"] ** 2)


def _init():
    return {"w": jnp.ones((4, 3)), "b": jnp.full((3,), -1.0)}


_grad = jax.jit(jax.grad(_quadratic))
_value = jax.jit(_quadratic)


def _eager_step(tx, name, params, state):
    grads = _grad(params)
    extra = {}
    if registry.info(name).needs:
        extra = {"value": _value(params), "grad": grads, "value_fn": _quadratic}
    updates, state = tx.update(grads, state, params, **extra)
    return optax.apply_updates(params, updates), state


def test_compile_counter_sees_eager_recompilation():
    # The counter itself: a concrete integer exponent compiles one integer_pow per value.
    with _CompileCounter() as counter:
        for n in range(1000, 1003):
            jnp.float32(0.9) ** jnp.asarray(n, jnp.int32)
    assert collections.Counter(counter.names)["jit(integer_pow)"] == 3


@pytest.mark.parametrize("name", registry.names())
def test_no_compilation_per_eager_step(name):
    # Cached programs from earlier tests would hide compilations (integer_pow at the same
    # counts); start from empty caches.
    jax.clear_caches()
    tx = optzoo.create(name)
    params = _init()
    state = tx.init(params)
    for _ in range(3):
        params, state = _eager_step(tx, name, params, state)
    with _CompileCounter() as counter:
        for _ in range(20):
            params, state = _eager_step(tx, name, params, state)
        jax.block_until_ready(params)
    assert not counter.names, (
        f"{name}: {len(counter.names)} compilations in 20 eager steps: "
        f"{dict(collections.Counter(counter.names))}"
    )
    assert all(np.all(np.isfinite(p)) for p in jax.tree.leaves(params))


def _optax(name):
    return getattr(optax, name, None) or getattr(optax.contrib, name)


# (optimizer name in both libraries, keyword arguments besides the learning rate)
CLASSICS = [
    ("sgd", {}),
    ("sgd", {"momentum": 0.9}),
    ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("adam", {}),
    ("adam", {"b1": 0.8, "b2": 0.99, "eps_root": 1e-8}),
    ("adam", {"nesterov": True}),
    ("adamw", {"weight_decay": 1e-2}),
    ("nadam", {}),
    ("nadamw", {}),
    ("radam", {}),
    ("amsgrad", {}),
    ("adamax", {}),
    ("adamaxw", {}),
    ("rmsprop", {}),
    ("rmsprop", {"bias_correction": True}),
    ("rmsprop", {"centered": True, "bias_correction": True}),
    ("rmsprop", {"eps_in_sqrt": False, "momentum": 0.9}),
    ("lion", {}),
    ("adafactor", {}),
    ("adagrad", {}),
    ("lamb", {}),
    ("lars", {}),
    ("adabelief", {}),
    ("yogi", {}),
    ("novograd", {}),
    ("adan", {}),
    ("adadelta", {}),
    ("sm3", {}),
    ("sign_sgd", {}),
    ("rprop", {}),
    ("adopt", {}),
    ("ademamix", {}),
    ("simplified_ademamix", {}),
    ("schedule_free_adamw", {}),
    ("prodigy", {}),
    ("dadapt_adamw", {}),
]


@pytest.mark.parametrize(
    ("name", "kwargs"), CLASSICS, ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in CLASSICS]
)
def test_eager_updates_bit_identical_to_optax(name, kwargs):
    ours, theirs = getattr(optzoo, name), _optax(name)
    assert ours is not theirs, f"optzoo.{name} is optax's own: nothing to compare"
    lr = 1.0 if name in ("adadelta", "prodigy", "dadapt_adamw") else 1e-2
    txs = [ours(lr, **kwargs), theirs(lr, **kwargs)]
    params = [_init(), _init()]
    states = [tx.init(p) for tx, p in zip(txs, params, strict=True)]
    for step in range(20):
        outs = []
        for i, tx in enumerate(txs):
            grads = _grad(params[i])
            updates, states[i] = tx.update(grads, states[i], params[i])
            params[i] = optax.apply_updates(params[i], updates)
            outs.append(updates)
        for path, a in jax.tree_util.tree_leaves_with_path(outs[0]):
            b = outs[1]
            for key in path:
                b = b[key.key]
            np.testing.assert_array_equal(
                a, b, err_msg=f"{name} {kwargs}: step {step}, leaf {jax.tree_util.keystr(path)}"
            )
