"""optzoo is a drop-in superset of optax: every public optax name, same signature."""

from __future__ import annotations

import inspect
import types

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo
from optzoo import _optax


def _optax_modules():
    yield "", optax, optzoo
    for sub in _optax.SUBMODULES:
        yield sub, getattr(optax, sub), getattr(optzoo, sub)


def _cases():
    for sub, ox_mod, oz_mod in _optax_modules():
        for n in _optax.public_names(ox_mod):
            yield pytest.param(ox_mod, oz_mod, n, id=f"{sub or 'optax'}.{n}")


def _params(fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    return [(p.name, p.kind, p.default is inspect.Parameter.empty) for p in sig.parameters.values()]


@pytest.mark.parametrize("ox_mod,oz_mod,name", list(_cases()))
def test_every_optax_name_exists_with_compatible_signature(ox_mod, oz_mod, name):
    assert hasattr(oz_mod, name), f"optzoo lacks {ox_mod.__name__}.{name}"
    ox, oz = getattr(ox_mod, name), getattr(oz_mod, name)
    if oz is ox:
        return
    if isinstance(ox, type):
        assert oz is ox, f"{name}: optzoo must reuse optax's class"
        return
    if callable(ox):
        ox_params, oz_params = _params(ox), _params(oz)
        if ox_params is None:
            return
        # optzoo may append keyword-only options, never drop or reorder optax's.
        assert oz_params[: len(ox_params)] == ox_params, f"{name}: {oz_params} vs {ox_params}"
        extra = oz_params[len(ox_params) :]
        assert all(kind == inspect.Parameter.KEYWORD_ONLY and not req for _, kind, req in extra)


def test_submodules_are_reachable_by_attribute():
    for sub in (*_optax.SUBMODULES, "experimental", "microbatching", "perturbations"):
        assert isinstance(getattr(optzoo, sub), types.ModuleType)


def test_all_is_explicit_and_resolves():
    assert len(optzoo.__all__) == len(set(optzoo.__all__))
    for n in optzoo.__all__:
        assert hasattr(optzoo, n), n
    assert set(optax.__all__) <= set(optzoo.__all__)


def test_import_optzoo_as_optax_runs_an_optax_program():
    """A typical optax training loop, run once with optax and once with optzoo."""

    def program(optax):  # noqa: F811 - the module under test stands in for optax
        def loss(p, x, y):
            pred = jnp.tanh(x @ p["w1"] + p["b1"]) @ p["w2"]
            return jnp.mean((pred - y) ** 2)

        key = jax.random.PRNGKey(0)
        k1, k2, k3 = jax.random.split(key, 3)
        params = {
            "w1": jax.random.normal(k1, (5, 8)) * 0.3,
            "b1": jnp.zeros(8),
            "w2": jax.random.normal(k2, (8, 1)) * 0.3,
        }
        x = jax.random.normal(k3, (32, 5))
        y = jnp.sin(x[:, :1])
        schedule = optax.warmup_cosine_decay_schedule(0.0, 0.05, 10, 100)
        tx = optax.chain(
            optax.clip_by_global_norm(1.0),
            optax.sgd(schedule, momentum=0.9, nesterov=True),
        )
        state = tx.init(params)
        initial = loss(params, x, y)

        @jax.jit
        def step(params, state):
            grads = jax.grad(loss)(params, x, y)
            updates, state = tx.update(grads, state, params)
            return optax.apply_updates(params, updates), state

        for _ in range(100):
            params, state = step(params, state)
        count = optax.tree.get(state, "count")
        return params, initial, loss(params, x, y), count

    p_ref, init_ref, l_ref, c_ref = program(optax)
    p_zoo, init_zoo, l_zoo, c_zoo = program(optzoo)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7), p_ref, p_zoo)
    assert float(l_zoo) < 0.5 * float(init_zoo)
    np.testing.assert_allclose(l_zoo, l_ref, rtol=1e-6)
    assert int(c_ref) == int(c_zoo) == 100
