"""optzoo's own implementations of optax names (optimizers, building blocks) against optax 0.2.8.

Every case runs 100 steps of the optzoo and the optax transformation side by side
(one jit, ``lax.scan``) on a small two-layer MLP regression and compares the whole
parameter trajectory, the final state and its pytree structure (state classes and
field names included).
"""

from __future__ import annotations

import inspect
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo

STEPS = 100
RTOL = 1e-6

# ---------------------------------------------------------------------------------------
# The problem: a small MLP on fixed random data, parameters in a nested dict.


def _problem():
    k = jax.random.split(jax.random.key(0), 4)
    x = jax.random.normal(k[0], (16, 5))
    y = jax.random.normal(k[1], (16, 2))
    params = {
        "hidden": 0.5 * jax.random.normal(k[2], (5, 4)),
        "out": {"w": 0.5 * jax.random.normal(k[3], (4, 2)), "b": 0.1 * jnp.ones(2)},
    }

    def loss(p):
        h = jnp.tanh(x @ p["hidden"])
        return jnp.mean((h @ p["out"]["w"] + p["out"]["b"] - y) ** 2)

    return params, loss


PARAMS, LOSS = _problem()
MASK_TREE = {"hidden": True, "out": {"w": True, "b": False}}


def _matrices_only(p):
    return jax.tree.map(lambda x: x.ndim > 1, p)


def _run(tx, params=PARAMS):
    """Params after each of STEPS steps, and the final state."""

    def step(carry, _):
        p, s = carry
        g = jax.grad(LOSS)(p)
        u, s = tx.update(g, s, p)
        p = optax.apply_updates(p, u)
        return (p, s), p

    (_, state), trajectory = jax.lax.scan(step, (params, tx.init(params)), None, length=STEPS)
    return trajectory, state


def _max_rel_diff(a, b):
    diffs = jax.tree.map(
        lambda x, y: jnp.max(
            jnp.abs(x.astype(jnp.float32) - y.astype(jnp.float32))
            / jnp.maximum(jnp.abs(y.astype(jnp.float32)), 1e-6)
        ),
        a,
        b,
    )
    return float(max(jax.tree.leaves(diffs), default=0.0))


def _compare(zoo_tx, ref_tx):
    run_both = jax.jit(lambda: (_run(zoo_tx), _run(ref_tx)))
    (traj, state), (ref_traj, ref_state) = run_both()
    assert jax.tree.structure(state) == jax.tree.structure(ref_state)
    assert jax.tree.map(lambda x: x.dtype, state) == jax.tree.map(lambda x: x.dtype, ref_state)
    assert all(np.isfinite(x).all() for x in jax.tree.leaves(ref_traj))
    return max(_max_rel_diff(traj, ref_traj), _max_rel_diff(state, ref_state))


# ---------------------------------------------------------------------------------------
# Case tables: (name, kwargs). The same name and kwargs build both sides.

_COSINE = optax.cosine_decay_schedule(3e-2, STEPS, alpha=0.1)
_WD_SCHEDULE = optax.linear_schedule(0.1, 0.0, STEPS)

SLOW = pytest.mark.slow

OPTIMIZER_CASES = [
    ("adagrad", dict(learning_rate=0.1)),
    ("adagrad", dict(learning_rate=_COSINE, initial_accumulator_value=0.0, eps=1e-10)),
    ("rmsprop", dict(learning_rate=1e-2)),
    ("rmsprop", dict(learning_rate=3e-3, centered=True, momentum=0.9, nesterov=True)),
    (
        "rmsprop",
        dict(
            learning_rate=1e-2,
            bias_correction=True,
            eps_in_sqrt=False,
            decay=0.99,
            initial_scale=1.0,
        ),
    ),
    (
        "rmsprop",
        dict(
            learning_rate=_COSINE,
            centered=True,
            bias_correction=True,
            eps_in_sqrt=False,
            momentum=0.5,
        ),
    ),
    ("adadelta", dict(learning_rate=1.0)),
    ("adadelta", dict()),  # learning_rate=None: optax applies no scaling (not even -1)
    (
        "adadelta",
        dict(learning_rate=2.0, rho=0.95, eps=1e-4, weight_decay=0.05, weight_decay_mask=MASK_TREE),
    ),
    ("adam", dict(learning_rate=1e-2)),
    ("adam", dict(learning_rate=1e-2, b1=0.5, b2=0.9, eps=1e-4, eps_root=1e-8, nesterov=True)),
    ("adam", dict(learning_rate=_COSINE, mu_dtype=jnp.bfloat16)),
    ("nadam", dict(learning_rate=1e-2)),
    ("nadam", dict(learning_rate=1e-2, b2=0.99, nesterov=False)),
    ("adamw", dict(learning_rate=1e-2, weight_decay=0.1, mask=MASK_TREE)),
    (
        "adamw",
        dict(
            learning_rate=_COSINE,
            weight_decay=_WD_SCHEDULE,
            mask=_matrices_only,
            nesterov=True,
            mu_dtype="bfloat16",
        ),
    ),
    ("nadamw", dict(learning_rate=1e-2, weight_decay=0.05, mask=MASK_TREE, eps_root=1e-8)),
    ("amsgrad", dict(learning_rate=1e-2)),
    (
        "amsgrad",
        dict(
            learning_rate=1e-2,
            bias_correction_mu=False,
            bias_correction_nu=False,
            mu_dtype=jnp.bfloat16,
        ),
    ),
    ("amsgrad", dict(learning_rate=_COSINE, b1=0.8, b2=0.95, eps_root=1e-8)),
    ("adamax", dict(learning_rate=1e-2)),
    ("adamax", dict(learning_rate=_COSINE, b1=0.5, b2=0.9, eps=1e-4)),
    ("adamaxw", dict(learning_rate=1e-2, weight_decay=_WD_SCHEDULE, mask=_matrices_only)),
    # Heavier tier: single options in isolation and the plain defaults.
    pytest.param("adagrad", dict(learning_rate=0.05, eps=1e-3), marks=SLOW),
    pytest.param("rmsprop", dict(learning_rate=1e-2, centered=True), marks=SLOW),
    pytest.param("rmsprop", dict(learning_rate=3e-3, momentum=0.9), marks=SLOW),
    pytest.param("rmsprop", dict(learning_rate=1e-2, eps_in_sqrt=False), marks=SLOW),
    pytest.param("adam", dict(learning_rate=1e-2, b1=0.0), marks=SLOW),
    pytest.param("adam", dict(learning_rate=1e-2, nesterov=True), marks=SLOW),
    pytest.param("adam", dict(learning_rate=1e-2, eps_root=1e-8), marks=SLOW),
    pytest.param("adamw", dict(learning_rate=1e-2), marks=SLOW),
    pytest.param("adamw", dict(learning_rate=1e-2, weight_decay=0.1, nesterov=True), marks=SLOW),
    pytest.param("nadamw", dict(learning_rate=1e-2), marks=SLOW),
    pytest.param("amsgrad", dict(learning_rate=1e-2, bias_correction_nu=False), marks=SLOW),
    pytest.param("adamaxw", dict(learning_rate=1e-2, weight_decay=0.1, mask=MASK_TREE), marks=SLOW),
]

BLOCK_CASES = [
    ("scale_by_adam", dict(b1=0.8, b2=0.99, eps=1e-6, eps_root=1e-9, nesterov=True)),
    ("scale_by_adam", dict(mu_dtype=jnp.bfloat16)),
    ("scale_by_amsgrad", dict(b1=0.7, eps_root=1e-8, bias_correction_mu=False)),
    ("scale_by_adamax", dict(b2=0.99, eps=1e-5)),
    ("scale_by_rms", dict(decay=0.95, initial_scale=0.5)),
    ("scale_by_rms", dict(eps_in_sqrt=False, bias_correction=True)),
    ("scale_by_stddev", dict(decay=0.95, eps=1e-4)),
    ("scale_by_stddev", dict(eps_in_sqrt=False, bias_correction=True, initial_scale=1.0)),
    ("scale_by_rss", dict(initial_accumulator_value=0.0)),
    ("scale_by_adadelta", dict(rho=0.8, eps=1e-3)),
    ("add_decayed_weights", dict(weight_decay=0.1, mask=MASK_TREE)),
    ("add_decayed_weights", dict(weight_decay=_WD_SCHEDULE, mask=_matrices_only)),
    pytest.param("scale_by_adam", dict(), marks=SLOW),
    pytest.param("scale_by_amsgrad", dict(mu_dtype=jnp.bfloat16), marks=SLOW),
    pytest.param("scale_by_rss", dict(initial_accumulator_value=1.0, eps=1e-3), marks=SLOW),
    pytest.param("add_decayed_weights", dict(weight_decay=0.1), marks=SLOW),
    pytest.param("add_decayed_weights", dict(weight_decay=0.0), marks=SLOW),
]


def _values(case):
    return case.values if hasattr(case, "values") else case


def _case_id(case):
    name, kwargs = _values(case)
    parts = [
        f"{k}={getattr(v, '__name__', None) or ('sched' if callable(v) else v)}"
        for k, v in kwargs.items()
    ]
    return f"{name}({','.join(parts)})"


@pytest.mark.parametrize("name,kwargs", OPTIMIZER_CASES, ids=[_case_id(c) for c in OPTIMIZER_CASES])
def test_optimizer_matches_optax(name, kwargs):
    zoo, ref = getattr(optzoo, name), getattr(optax, name)
    assert zoo is not ref and zoo.__module__.startswith("optzoo.")
    assert _compare(zoo(**kwargs), ref(**kwargs)) <= RTOL


@pytest.mark.parametrize("name,kwargs", BLOCK_CASES, ids=[_case_id(c) for c in BLOCK_CASES])
def test_building_block_matches_optax(name, kwargs):
    zoo, ref = getattr(optzoo, name), getattr(optax, name)
    assert zoo is not ref and zoo.__module__.startswith("optzoo.")
    step = optax.scale(-1e-2)
    assert _compare(optax.chain(zoo(**kwargs), step), optax.chain(ref(**kwargs), step)) <= RTOL


ALL_NAMES = sorted({_values(c)[0] for c in OPTIMIZER_CASES + BLOCK_CASES})


@pytest.mark.parametrize("name", ALL_NAMES)
def test_signature_matches_optax(name):
    zoo = inspect.signature(getattr(optzoo, name))
    ref = inspect.signature(getattr(optax, name))
    describe = lambda sig: [(p.name, p.kind, p.default) for p in sig.parameters.values()]
    # optax's parameters first, unchanged; then only keyword-only options with defaults
    # (the authors' switches of issue #14), as in tests/test_optax_surface.py.
    ours, theirs = describe(zoo), describe(ref)
    assert ours[: len(theirs)] == theirs
    assert all(
        kind == inspect.Parameter.KEYWORD_ONLY and default is not inspect.Parameter.empty
        for _, kind, default in ours[len(theirs) :]
    ), ours
    assert getattr(optzoo.transforms if name.startswith(("scale", "add")) else optzoo, name) is (
        getattr(optzoo, name)
    )


# ---------------------------------------------------------------------------------------
# State classes and extra arguments.


def test_state_classes_are_optax_classes():
    p = {"a": jnp.ones(3)}
    s = optzoo.scale_by_adam().init(p)
    assert isinstance(s, optax.ScaleByAdamState) and s._fields == ("count", "mu", "nu")
    assert isinstance(optzoo.scale_by_adamax().init(p), optax.ScaleByAdamState)
    assert isinstance(optzoo.scale_by_amsgrad().init(p), optax.ScaleByAmsgradState)
    assert isinstance(optzoo.scale_by_rms().init(p), optax.ScaleByRmsState)
    assert isinstance(optzoo.scale_by_stddev().init(p), optax.ScaleByRStdDevState)
    assert isinstance(optzoo.scale_by_rss().init(p), optax.ScaleByRssState)
    assert isinstance(optzoo.scale_by_adadelta().init(p), optax.ScaleByAdaDeltaState)
    assert isinstance(optzoo.add_decayed_weights(0.1).init(p), optax.AddDecayedWeightsState)
    masked = optzoo.add_decayed_weights(0.1, mask={"a": True}).init(p)
    assert isinstance(masked, optax.MaskedState)
    # optax.tree.get finds the step count inside a chain's state, as it does for optax.
    tx = optzoo.adamw(1e-3)
    state = tx.init(p)
    _, state = tx.update(p, state, p)
    assert int(optax.tree.get(state, "count")) == 1
    for with_count in (
        optzoo.scale_by_rms(bias_correction=True),
        optzoo.rmsprop(0.1, bias_correction=True),
    ):
        assert int(optax.tree.get(with_count.init(p), "count")) == 0


@pytest.mark.parametrize("name", sorted({_values(c)[0] for c in OPTIMIZER_CASES}))
def test_update_accepts_extra_args(name):
    tx = optzoo.create(name)
    ref = getattr(optax, name)(1.0)
    assert isinstance(tx, optax.GradientTransformationExtraArgs)
    assert type(tx) is type(ref)
    p = {"a": jnp.arange(3.0), "b": jnp.ones((2, 2))}
    g = jax.tree.map(lambda x: 0.5 * x + 1.0, p)
    updates, _ = tx.update(g, tx.init(p), p, value=jnp.asarray(1.0), grad=g, value_fn=LOSS)
    assert jax.tree.structure(updates) == jax.tree.structure(p)


@pytest.mark.parametrize("name", sorted({_values(c)[0] for c in BLOCK_CASES}))
def test_building_block_extra_args_through_chain(name):
    tx = optax.chain(getattr(optzoo, name)(), optzoo.scale_by_learning_rate(0.1))
    p = {"a": jnp.arange(3.0)}
    updates, _ = tx.update(p, tx.init(p), p, value=jnp.asarray(1.0), grad=p, value_fn=LOSS)
    assert updates["a"].shape == (3,)


# ---------------------------------------------------------------------------------------
# Validation.

BAD_HYPERPARAMETERS = [
    (optzoo.adam, dict(b1=1.0), "b1"),
    (optzoo.adam, dict(b1=-0.1), "b1"),
    (optzoo.adam, dict(b2=1.5), "b2"),
    (optzoo.adam, dict(eps=-1e-8), "eps"),
    (optzoo.adam, dict(eps_root=-1.0), "eps_root"),
    (optzoo.nadam, dict(b1=1.0), "b1"),
    (optzoo.adamw, dict(weight_decay=-1e-4), "weight_decay"),
    (optzoo.nadamw, dict(weight_decay=-1e-4), "weight_decay"),
    (optzoo.adamaxw, dict(weight_decay=-1e-4), "weight_decay"),
    (optzoo.adamax, dict(b2=1.0), "b2"),
    (optzoo.adamax, dict(eps=-1.0), "eps"),
    (optzoo.amsgrad, dict(b1=2.0), "b1"),
    (optzoo.amsgrad, dict(eps=-1.0), "eps"),
    (optzoo.adagrad, dict(initial_accumulator_value=-0.1), "initial_accumulator_value"),
    (optzoo.adagrad, dict(eps=-1.0), "eps"),
    (optzoo.rmsprop, dict(decay=1.0, bias_correction=True), "decay"),
    (optzoo.rmsprop, dict(decay=1.5), "decay"),
    (optzoo.rmsprop, dict(eps=-1.0), "eps"),
    (optzoo.rmsprop, dict(centered=True, eps=-1.0), "eps"),
    (optzoo.rmsprop, dict(initial_scale=-1.0), "initial_scale"),
    (optzoo.rmsprop, dict(momentum=1.5), "momentum"),
    (optzoo.adadelta, dict(rho=1.5), "rho"),
    (optzoo.adadelta, dict(eps=-1.0), "eps"),
    (optzoo.adadelta, dict(weight_decay=-0.1), "weight_decay"),
]


@pytest.mark.parametrize(
    "factory,kwargs,param",
    BAD_HYPERPARAMETERS,
    ids=[f"{f.__name__}-{k}" for f, k, _ in BAD_HYPERPARAMETERS],
)
def test_bad_hyperparameter_raises(factory, kwargs, param):
    with pytest.raises(ValueError, match=rf"^{param} must be"):
        factory(1e-3, **kwargs)


@pytest.mark.parametrize("name", sorted({_values(c)[0] for c in OPTIMIZER_CASES}))
@pytest.mark.parametrize("lr", [math.nan, math.inf, -math.inf])
def test_non_finite_learning_rate_raises(name, lr):
    with pytest.raises(ValueError, match="learning_rate"):
        getattr(optzoo, name)(lr)


def test_block_validation():
    with pytest.raises(ValueError, match="weight_decay"):
        optzoo.add_decayed_weights(-1.0)
    with pytest.raises(ValueError, match="b1"):
        optzoo.scale_by_adam(b1=1.0)
    with pytest.raises(ValueError, match="decay"):
        optzoo.scale_by_stddev(decay=-0.5)
    with pytest.raises(ValueError, match="rho"):
        optzoo.scale_by_adadelta(rho=1.5)


def test_negative_learning_rate_is_gradient_ascent():
    p = {"a": jnp.arange(3.0)}
    g = {"a": jnp.array([1.0, -2.0, 3.0])}
    up, _ = optzoo.adam(-1e-2).update(g, optzoo.adam(-1e-2).init(p), p)
    ref, _ = optax.adam(-1e-2).update(g, optax.adam(-1e-2).init(p), p)
    np.testing.assert_array_equal(up["a"], ref["a"])
    assert (up["a"] * g["a"] > 0).all()


def test_traced_hyperparameters_inside_jit():
    p = {"a": jnp.arange(3.0)}
    g = {"a": jnp.array([1.0, -2.0, 3.0])}

    @jax.jit
    def one_step(lr, b1, wd):
        tx = optzoo.adamw(lr, b1=b1, weight_decay=wd)
        return tx.update(g, tx.init(p), p)[0]

    got = one_step(1e-2, 0.8, 0.1)
    ref_tx = optax.adamw(1e-2, b1=0.8, weight_decay=0.1)
    ref = ref_tx.update(g, ref_tx.init(p), p)[0]
    np.testing.assert_allclose(got["a"], ref["a"], rtol=RTOL)


@pytest.mark.parametrize(
    "name,hyper",
    [
        ("adam", dict(learning_rate=1e-2, b1=0.8, eps=1e-6)),
        ("rmsprop", dict(learning_rate=1e-2, decay=0.95, momentum=0.5)),
        ("adamw", dict(learning_rate=1e-2, weight_decay=0.1)),
    ],
)
def test_inject_hyperparams_matches_optax(name, hyper):
    zoo = optax.inject_hyperparams(getattr(optzoo, name))(**hyper)
    ref = optax.inject_hyperparams(getattr(optax, name))(**hyper)
    assert _compare(zoo, ref) <= RTOL


# ---------------------------------------------------------------------------------------
# Registry.

EXPECTED_STATE = {
    "adagrad": 1,
    "rmsprop": 1,
    "adadelta": 2,
    "adam": 2,
    "adamw": 2,
    "nadam": 2,
    "nadamw": 2,
    "amsgrad": 3,
    "adamax": 2,
    "adamaxw": 2,
}


@pytest.mark.parametrize("name", sorted(EXPECTED_STATE))
def test_registry_record(name):
    record = optzoo.registry.info(name)
    assert record.family == record.factory.__module__.rsplit(".", 1)[-1]  # adam, adagrad_rmsprop
    assert record.reference.year >= 2011 and record.reference.url.startswith("https://")
    assert record.state_per_param == EXPECTED_STATE[name]
    # The declared state size is what init allocates (per parameter, counts excluded).
    p = {"w": jnp.ones((4, 3)), "b": jnp.ones(5)}
    state = optzoo.create(name, learning_rate=1e-2).init(p)
    floats = sum(x.size for x in jax.tree.leaves(state) if x.ndim > 0)
    assert floats == record.state_per_param * 17


@pytest.mark.parametrize("name", sorted(EXPECTED_STATE))
def test_registry_default_converges_on_quadratic(name):
    target = jnp.linspace(-1.0, 1.0, 8)
    loss = lambda x: 0.5 * jnp.sum((x - target) ** 2)
    # adadelta's signature default (learning_rate=None) does not descend, as in optax.
    tx = optzoo.create(name, learning_rate=1.0) if name == "adadelta" else optzoo.create(name)

    @jax.jit
    def run(x):
        def step(carry, _):
            x, s = carry
            u, s = tx.update(jax.grad(loss)(x), s, x)
            return (optax.apply_updates(x, u), s), None

        return jax.lax.scan(step, (x, tx.init(x)), None, length=500)[0][0]

    x0 = jnp.zeros(8)
    assert loss(run(x0)) < 0.1 * loss(x0)


def test_add_decayed_weights_needs_params():
    tx = optzoo.add_decayed_weights(0.1)
    p = {"a": jnp.ones(2)}
    with pytest.raises(ValueError, match="params"):
        tx.update(p, tx.init(p))


@pytest.mark.parametrize("name", sorted(EXPECTED_STATE))
def test_bf16_params_match_optax_dtypes(name):
    p = {"w": jnp.ones((3, 2), jnp.bfloat16), "b": jnp.full((2,), 0.5, jnp.bfloat16)}
    g = jax.tree.map(lambda x: (x * 0.3).astype(jnp.bfloat16), p)
    tx, ref = optzoo.create(name, learning_rate=1e-2), getattr(optax, name)(1e-2)
    up, state = tx.update(g, tx.init(p), p)
    ref_up, ref_state = ref.update(g, ref.init(p), p)
    assert all(x.dtype == jnp.bfloat16 for x in jax.tree.leaves(up))
    assert jax.tree.map(lambda x: x.dtype, state) == jax.tree.map(lambda x: x.dtype, ref_state)
    jax.tree.map(np.testing.assert_array_equal, up, ref_up)
