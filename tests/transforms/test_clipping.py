"""Clipping transforms and add_noise against optax, plus direct behaviour."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo

SHAPES = {
    "vec": (5,),
    "row": (1, 6),
    "dense": (4, 3),
    "heads": (3, 2, 4),
    "conv": (3, 3, 2, 4),
    "conv3d": (2, 2, 2, 3, 2),
    "scalar": (),
}


def _tree(seed, scale=1.0):
    keys = jax.random.split(jax.random.key(seed), len(SHAPES))
    return {
        n: scale * jax.random.normal(k, s) for (n, s), k in zip(SHAPES.items(), keys, strict=True)
    }


GRADS = _tree(0, scale=3.0)
PARAMS = _tree(1)

CASES = [
    ("clip", (0.5,)),
    ("clip_by_block_rms", (0.7,)),
    ("clip_by_global_norm", (2.0,)),
    ("clip_by_global_norm", (1e3,)),  # not triggered
    ("adaptive_grad_clip", (0.05,)),
    ("adaptive_grad_clip", (0.5, 1e-2)),
]


@pytest.mark.parametrize("name,args", CASES)
def test_matches_optax(name, args):
    ours, theirs = getattr(optzoo, name)(*args), getattr(optax, name)(*args)
    assert getattr(optzoo, name) is not getattr(optax, name)
    s_ours, s_theirs = ours.init(PARAMS), theirs.init(PARAMS)
    assert type(s_ours) is type(s_theirs)
    u_ours, _ = ours.update(GRADS, s_ours, PARAMS)
    u_theirs, _ = theirs.update(GRADS, s_theirs, PARAMS)
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7), u_ours, u_theirs
    )


def test_state_classes_are_optax():
    assert isinstance(optzoo.clip(1.0).init(PARAMS), optax.ClipState)
    assert isinstance(optzoo.clip_by_global_norm(1.0).init(PARAMS), optax.ClipByGlobalNormState)
    assert isinstance(optzoo.adaptive_grad_clip(1.0).init(PARAMS), optax.AdaptiveGradClipState)
    assert isinstance(optzoo.add_noise(0.1, 0.55, key=0).init(PARAMS), optax.AddNoiseState)


def _norm(x):
    return float(np.linalg.norm(np.asarray(x, np.float64).ravel()))


def test_clip_behaviour():
    u, _ = optzoo.clip(0.5).update(GRADS, optax.EmptyState())
    assert all(float(jnp.max(jnp.abs(x))) <= 0.5 for x in jax.tree.leaves(u))
    small = jax.tree.map(lambda g: 0.1 * jnp.tanh(g), GRADS)
    u, _ = optzoo.clip(0.5).update(small, optax.EmptyState())
    jax.tree.map(np.testing.assert_array_equal, u, small)


def test_global_norm_behaviour():
    u, _ = optzoo.clip_by_global_norm(2.0).update(GRADS, optax.EmptyState())
    assert float(optax.tree.norm(u)) == pytest.approx(2.0, rel=1e-6)
    # direction is kept: every leaf is scaled by the same factor
    ratios = [
        float(_norm(a) / _norm(b))
        for a, b in zip(jax.tree.leaves(u), jax.tree.leaves(GRADS), strict=True)
    ]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-5)


def test_block_rms_behaviour():
    u, _ = optzoo.clip_by_block_rms(0.7).update(GRADS, optax.EmptyState())
    for x in jax.tree.leaves(u):
        assert float(jnp.sqrt(jnp.mean(x**2))) <= 0.7 * (1 + 1e-6)


def test_clip_by_norm_per_leaf():
    tx = optzoo.clip_by_norm(1.5)
    u, state = jax.jit(tx.update)(GRADS, tx.init(PARAMS))
    assert isinstance(state, optax.EmptyState)
    for name, g in GRADS.items():
        n_in, n_out = _norm(g), _norm(u[name])
        if n_in > 1.5:
            assert n_out == pytest.approx(1.5, rel=1e-6), name
            np.testing.assert_allclose(u[name] * n_in / n_out, g, rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_array_equal(u[name], g)
    # one huge leaf does not shrink the others (unlike the global-norm clip)
    grads = {"big": jnp.full(4, 100.0), "small": jnp.full(4, 0.1)}
    u, _ = jax.jit(tx.update)(grads, optax.EmptyState())
    np.testing.assert_allclose(u["small"], 0.1)
    assert _norm(u["big"]) == pytest.approx(1.5, rel=1e-6)
    # zero gradient gives zero update and zero (not NaN) derivative
    z = jax.grad(lambda g: jnp.sum(tx.update(g, optax.EmptyState())[0]))(jnp.zeros(3))
    np.testing.assert_array_equal(z, 1.0)
    # bf16 in, bf16 out
    u, _ = tx.update(jnp.full(4, 10.0, jnp.bfloat16), optax.EmptyState())
    assert u.dtype == jnp.bfloat16


def test_adaptive_grad_clip_behaviour():
    clipping, eps = 0.05, 1e-3
    tx = optzoo.adaptive_grad_clip(clipping, eps)
    u, _ = tx.update(GRADS, optax.EmptyState(), PARAMS)
    # dense (in, out): each output unit (a column, reduced over axis 0) is clipped.
    g, p, out = GRADS["dense"], PARAMS["dense"], u["dense"]
    for j in range(g.shape[1]):
        limit = clipping * max(_norm(p[:, j]), eps)
        assert _norm(out[:, j]) <= limit * (1 + 1e-5)
        if _norm(g[:, j]) < limit:
            np.testing.assert_array_equal(out[:, j], g[:, j])
    # a (1, n) "row" counts as a vector: one unit
    assert _norm(u["row"]) == pytest.approx(clipping * _norm(PARAMS["row"]), rel=1e-5)
    # zero params: eps floor lets the update through at size clipping * eps
    u, _ = tx.update(jnp.ones(4), optax.EmptyState(), jnp.zeros(4))
    assert _norm(u) == pytest.approx(clipping * eps, rel=1e-5)
    with pytest.raises(ValueError, match="params"):
        tx.update(GRADS, optax.EmptyState())
    with pytest.raises(ValueError, match="axis"):
        tx.update(jnp.ones((2,) * 6), optax.EmptyState(), jnp.ones((2,) * 6))
    # explicit axis
    u, _ = optzoo.adaptive_grad_clip(0.05, axis=1).update(g, optax.EmptyState(), p)
    v, _ = optax.adaptive_grad_clip(0.05, axis=1).update(g, optax.EmptyState(), p)
    np.testing.assert_allclose(u, v, rtol=1e-6)


def test_add_noise_matches_optax():
    grads = {"a": GRADS["vec"], "b": GRADS["dense"], "c": GRADS["scalar"]}
    for key in (7, jax.random.key(3)):
        ours, theirs = optzoo.add_noise(0.01, 0.55, key=key), optax.add_noise(0.01, 0.55, key=key)
        s1, s2 = ours.init(grads), theirs.init(grads)
        for _ in range(3):
            u1, s1 = ours.update(grads, s1)
            u2, s2 = theirs.update(grads, s2)
            jax.tree.map(np.testing.assert_array_equal, u1, u2)
        assert int(s1.count) == int(s2.count) == 3
        np.testing.assert_array_equal(
            jax.random.key_data(s1.rng_key), jax.random.key_data(s2.rng_key)
        )


def test_add_noise_behaviour():
    """Noise has std sqrt(eta / t**gamma) and fresh samples each step."""
    eta, gamma, n = 0.5, 0.55, 100_000
    tx = optzoo.add_noise(eta, gamma, key=1)
    s = tx.init(jnp.zeros(n))
    prev = None
    for t in (1, 2, 3):
        u, s = tx.update(jnp.zeros(n), s)
        assert float(jnp.std(u)) == pytest.approx(np.sqrt(eta / t**gamma), rel=1e-2)
        if prev is not None:
            assert abs(float(jnp.corrcoef(u, prev)[0, 1])) < 1e-2
        prev = u
    with pytest.warns(UserWarning, match="key"):
        optzoo.add_noise(0.1, 0.55)
    with pytest.raises(ValueError, match="seed"):
        optzoo.add_noise(0.1, 0.55, key=1, seed=2)


@pytest.mark.parametrize(
    "make,arg",
    [
        (lambda: optzoo.clip(-1.0), "max_delta"),
        (lambda: optzoo.clip_by_block_rms(-1.0), "threshold"),
        (lambda: optzoo.clip_by_global_norm(-1.0), "max_norm"),
        (lambda: optzoo.clip_by_norm(-1.0), "max_norm"),
        (lambda: optzoo.adaptive_grad_clip(-0.1), "clipping"),
        (lambda: optzoo.adaptive_grad_clip(0.1, eps=-1.0), "eps"),
        (lambda: optzoo.add_noise(-0.1, 0.55, key=0), "eta"),
    ],
)
def test_bad_arguments(make, arg):
    with pytest.raises(ValueError, match=arg):
        make()


def test_in_chain_with_extra_args_and_masked():
    tx = optax.chain(optzoo.clip_by_norm(1.0), optzoo.clip_by_global_norm(1.0), optax.sgd(0.1))
    s = tx.init(PARAMS)
    u, s = tx.update(GRADS, s, PARAMS, value=jnp.zeros([]))
    assert float(optax.tree.norm(u)) <= 0.1 * (1 + 1e-6)
    tx = optax.masked(optzoo.clip(0.1), {n: n == "vec" for n in GRADS})
    u, _ = tx.update(GRADS, tx.init(PARAMS))
    assert jnp.max(jnp.abs(u["vec"])) <= np.float32(0.1)
    np.testing.assert_array_equal(u["dense"], GRADS["dense"])


def test_inject_hyperparams_gives_the_same_updates():
    for make, kw in [
        (optzoo.clip_by_norm, {"max_norm": 1.5}),
        (optzoo.adaptive_grad_clip, {"clipping": 0.05}),
        (optzoo.clip_by_global_norm, {"max_norm": 2.0}),
    ]:
        tx = make(**kw)
        injected = optax.inject_hyperparams(make)(**kw)
        u, _ = tx.update(GRADS, tx.init(PARAMS), PARAMS)
        v, _ = jax.jit(injected.update)(GRADS, injected.init(PARAMS), PARAMS)
        jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7), u, v)
