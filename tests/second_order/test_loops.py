"""``packed_while_loop`` runs the same loop as ``lax.while_loop`` with its scalars packed;
``solver_jit`` passes its CPU compiler options only where JAX accepts them."""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from optzoo.second_order.loops import packed_while_loop


class _State(NamedTuple):
    i: jax.Array
    done: jax.Array
    f: jax.Array
    h: jax.Array
    x: jax.Array
    big: jax.Array


def _body(s: _State) -> _State:
    x = 0.5 * s.x + jnp.sin(s.f)
    f = s.f * 1.0000001 + jnp.sum(x) * 1e-3
    return _State(s.i + 1, f > 3.0, f, (s.h * 0.9).astype(s.h.dtype), x, s.big + 3)


def _cond(s: _State) -> jax.Array:
    return (~s.done) & (s.i < 50)


@pytest.mark.parametrize("x64", [False, True])
def test_same_values_and_dtypes_as_lax_while_loop(x64):
    with jax.enable_x64(x64):
        float_t = jnp.float64 if x64 else jnp.float32
        init = _State(
            i=jnp.asarray(0, jnp.int32),
            done=jnp.asarray(False),
            f=jnp.asarray(1.0, float_t),
            h=jnp.asarray(0.25, jnp.float16),
            x=jnp.linspace(0.0, 1.0, 5, dtype=float_t),
            # A count past float precision in float32 stays exact (it travels as an integer).
            big=jnp.asarray(2**40 + 1 if x64 else 2**24 + 1, jnp.int64 if x64 else jnp.int32),
        )
        want = jax.jit(lambda s: jax.lax.while_loop(_cond, _body, s))(init)
        got = jax.jit(lambda s: packed_while_loop(_cond, _body, s))(init)
        for w, g, name in zip(want, got, _State._fields, strict=True):
            assert g.dtype == w.dtype, name
            assert g.shape == w.shape, name
            np.testing.assert_array_equal(np.asarray(g), np.asarray(w), err_msg=name)
        assert int(got.i) > 1  # the loop ran


def test_only_arrays_and_a_single_scalar_kind():
    init = (jnp.asarray(0), jnp.ones(3))
    out = packed_while_loop(lambda c: c[0] < 4, lambda c: (c[0] + 1, c[1] * 2.0), init)
    assert int(out[0]) == 4
    np.testing.assert_array_equal(np.asarray(out[1]), np.full(3, 16.0))


def test_solver_jit_uses_the_cpu_options_only_at_the_top_level():
    # Eager calls compile with the CPU options; under jit, vmap and grad the plain jit is
    # used (JAX refuses compiler options on a nested jit), with the same values.
    from optzoo.second_order.loops import solver_jit

    @solver_jit(static_argnames=("k",))
    def f(x, *, k):
        return jnp.sin(x) * k + jnp.cumsum(x)

    x = jnp.linspace(0.0, 1.0, 5)
    expected = np.sin(np.asarray(x)) * 3 + np.cumsum(np.asarray(x))
    np.testing.assert_allclose(f(x, k=3), expected, rtol=1e-6)
    assert f.cpu_jit._cache_size() == 1 and f.jit._cache_size() == 0
    np.testing.assert_allclose(jax.jit(lambda y: f(y, k=3))(x), expected, rtol=1e-6)
    np.testing.assert_allclose(jax.vmap(lambda y: f(y, k=3))(x[None]), expected[None], rtol=1e-6)
    g = jax.grad(lambda y: f(y, k=3).sum())(x)
    np.testing.assert_allclose(g, 3 * np.cos(np.asarray(x)) + np.arange(5, 0, -1), rtol=1e-6)
    assert f.cpu_jit._cache_size() == 1  # the transformed calls did not use it


def test_minimize_inside_jit_with_host_start_and_traced_closure():
    # No argument of the solver is a tracer here (NumPy start point), but the call is staged
    # into the caller's jit: the solver must not pass compiler options there.
    from optzoo.second_order import minimize

    @jax.jit
    def solve(c):
        return minimize(lambda x: jnp.sum((x - c) ** 2), np.zeros(3), method="bfgs").x

    np.testing.assert_allclose(solve(jnp.arange(3.0)), np.arange(3.0), atol=1e-5)
