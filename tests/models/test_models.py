"""Shapes, initialisers and truncated BPTT of the Flax models."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from optzoo.models import (
    INITIALIZERS,
    MLP,
    LeNet5,
    RecurrentNet,
    TransformerLM,
    build_model,
    get_initializer,
)


def _init_apply(model, x, train=False):
    variables = jax.jit(model.init)(jax.random.key(0), x)
    kwargs = {"mutable": ["batch_stats"]} if train and "batch_stats" in variables else {}
    apply = jax.jit(
        lambda v, xx: model.apply(v, xx, train=train, rngs={"dropout": jax.random.key(1)}, **kwargs)
    )
    out = apply(variables, x)
    return variables, out[0] if kwargs else out


@pytest.mark.parametrize(
    "model,x,shape",
    [
        (
            MLP(3, width=8, depth=2, activation="gelu", norm="layer", dropout=0.1),
            jnp.ones((4, 5)),
            (4, 3),
        ),
        (MLP(3, width=8, depth=1, activation="sigmoid", norm="batch"), jnp.ones((4, 2, 2)), (4, 3)),
        pytest.param(
            LeNet5(10, pool="avg", norm="batch", dropout=0.2, width_multiplier=0.5),
            jnp.ones((2, 8, 8, 1)),
            (2, 10),
            marks=pytest.mark.slow,
        ),
        (RecurrentNet(1, cell="simple", hidden=8), jnp.ones((2, 6, 2)), (2, 1)),
        (
            RecurrentNet(7, cell="gru", hidden=8, vocab_size=7, output="all"),
            jnp.ones((2, 6), jnp.int32),
            (2, 6, 7),
        ),
    ],
)
def test_output_shapes_train_and_eval(model, x, shape):
    for train in (False, True):
        _, out = _init_apply(model, x, train)
        assert out.shape == shape
        assert bool(jnp.all(jnp.isfinite(out)))


def test_every_named_initializer_is_usable():
    for name in INITIALIZERS:
        w = get_initializer(name)(jax.random.key(0), (16, 16), jnp.float32)
        assert w.shape == (16, 16)
    w = get_initializer("orthogonal")(jax.random.key(0), (16, 16), jnp.float32)
    np.testing.assert_allclose(w.T @ w, np.eye(16), atol=1e-5)
    zero_mlp = MLP(2, width=4, depth=1, initializer="zeros")
    kernel = jax.jit(zero_mlp.init)(jax.random.key(0), jnp.ones((1, 3)))
    assert float(jnp.abs(kernel["params"]["dense_0"]["kernel"]).sum()) == 0.0
    he = get_initializer("he_normal")(jax.random.key(0), (2000, 50), jnp.float32)
    assert abs(float(he.std()) - np.sqrt(2 / 2000)) < 0.1 * np.sqrt(2 / 2000)
    with pytest.raises(ValueError, match="xavier_uniform"):
        get_initializer("xavier_unifrom")


def test_causal_transformer_ignores_the_future():
    model = TransformerLM(13, dim=16, heads=2, layers=2, max_len=8)
    x = jnp.arange(8)[None] % 13
    variables = jax.jit(model.init)(jax.random.key(0), x)
    y = x.at[0, 5].set(3)
    apply = jax.jit(model.apply)
    a, b = apply(variables, x), apply(variables, y)
    np.testing.assert_allclose(a[0, :5], b[0, :5], atol=1e-6)
    assert float(jnp.abs(a[0, 5:] - b[0, 5:]).max()) > 1e-4


@pytest.mark.parametrize(
    "cell",
    [
        "lstm",
        pytest.param("simple", marks=pytest.mark.slow),
        pytest.param("gru", marks=pytest.mark.slow),
    ],
)
def test_truncated_bptt_cuts_gradient_to_early_inputs(cell):
    x = jax.random.normal(jax.random.key(0), (2, 8, 3))
    full = RecurrentNet(1, cell=cell, hidden=8)
    trunc = RecurrentNet(1, cell=cell, hidden=8, truncate=4)
    params = jax.jit(full.init)(jax.random.key(1), x)
    # Same parameters, same forward values.
    np.testing.assert_allclose(
        jax.jit(full.apply)(params, x), jax.jit(trunc.apply)(params, x), atol=1e-6
    )
    g_full = jax.jit(jax.grad(lambda xx: full.apply(params, xx).sum()))(x)
    g_trunc = jax.jit(jax.grad(lambda xx: trunc.apply(params, xx).sum()))(x)
    assert float(jnp.abs(g_full[:, :4]).max()) > 0
    assert float(jnp.abs(g_trunc[:, :4]).max()) == 0.0
    np.testing.assert_allclose(g_full[:, 4:], g_trunc[:, 4:], atol=1e-6)


def test_build_model_by_name():
    assert isinstance(build_model("mlp", 3), MLP)
    assert build_model("transformer", 20).vocab_size == 20
    with pytest.raises(ValueError, match="unknown model"):
        build_model("vgg", 3)
