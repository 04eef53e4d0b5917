"""The catalogue's ``state_per_param`` is what each registered optimizer allocates.

Meaning of the registry value: float32 words (4 bytes) of optimizer state per parameter
for one large square float32 weight matrix (n x n), to leading order in n. State arrays
that grow like n^2 count by their bytes (a bfloat16 moment 0.5, an 8-bit one with a
4-byte scale per 256 entries (1 + 4/256) / 4); arrays that grow like n (factored or
row/column statistics) and scalars (counters, keys) count 0. ``inf`` marks state that
grows faster than the parameter count (BFGS's n^2 x n^2 inverse Hessian).

The measurement: ``jax.eval_shape`` of ``init`` (nothing is allocated) on a 1024 x 1024
matrix plus a 1024 bias, every state leaf counted.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import optzoo
from optzoo import registry

N = 1024
# O(n) statistics and the bias contribute O(1/n) words per parameter: 2 / n each at most
# for a handful of vectors, so the leading-order value must match within this.
TOLERANCE = 0.02


def _tree():
    return {
        "w": jax.ShapeDtypeStruct((N, N), jnp.float32),
        "b": jax.ShapeDtypeStruct((N,), jnp.float32),
    }


def _itemsize(dtype) -> int:
    # A typed PRNG key (noisy_sgd's) is two uint32 words.
    if jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        return 8
    return np.dtype(dtype).itemsize


def measured_state_per_param(name: str, tree) -> float:
    state = jax.eval_shape(optzoo.create(name).init, tree)
    nbytes = sum(int(np.prod(x.shape)) * _itemsize(x.dtype) for x in jax.tree.leaves(state))
    n_params = sum(int(np.prod(x.shape)) for x in jax.tree.leaves(tree))
    return nbytes / 4 / n_params


@pytest.mark.parametrize("name", registry.names())
def test_registry_state_per_param_matches_init(name):
    declared = registry.info(name).state_per_param
    got = measured_state_per_param(name, _tree())
    if math.isinf(declared):
        # Grows with the parameter count: at least n_params / 2 words per parameter.
        assert got >= (N * N + N) / 2, (name, got)
    else:
        assert abs(got - declared) <= TOLERANCE, (name, got, declared)


def test_factored_state_is_sublinear():
    # Adafactor keeps a row and a column vector per matrix: 0 to leading order, and the
    # measured value falls like 1/n (the O(n) terms really are O(n)).
    small = {"w": jax.ShapeDtypeStruct((256, 256), jnp.float32)}
    big = {"w": jax.ShapeDtypeStruct((N, N), jnp.float32)}
    a, b = measured_state_per_param("adafactor", small), measured_state_per_param("adafactor", big)
    assert registry.info("adafactor").state_per_param == 0
    assert 0 < b < a / 3
