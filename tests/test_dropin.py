"""``import optzoo as optax`` runs optax programs unchanged (issue #13).

Each case runs one program twice, once with the real optax and once with optzoo, and
requires bit-identical updates, states (values, dtypes and state classes) and the same
transformation class, or the same exception type raised at the same moment
(construction, ``init`` or ``update``). The odd inputs optax accepts are all here:
integer and boolean leaves, every bfloat16 / float16 / float32 params x gradient mix,
``max_norm`` reaching 0 under ``inject_hyperparams``, ``None`` leaves, empty trees,
``MaskedNode`` via ``optax.masked``. The strict layer (``optzoo.checked``,
``create(strict=True)``) is checked to raise, naming the culprit.

Results are compared jitted for every optimizer. Eagerly, optax forms Adam-style bias
corrections inside a jitted helper, so op-by-op results of those optimizers can differ in
the last bit; the eager comparisons use the optimizers without bias correction.
"""

from __future__ import annotations

import inspect
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo


def _schedule(count):
    return 0.1 - 0.001 * count


# Every optax name optzoo implements itself, with constructor arguments.
CTORS = {
    **{
        n: {"learning_rate": 0.1}
        for n in (
            "adabelief adadelta adafactor adagrad adam adamax adamaxw adamw adan amsgrad fromage "
            "lamb lars lion nadam nadamw novograd radam rmsprop rprop sgd sign_sgd signum sm3 yogi"
        ).split()
    },
    "adaptive_grad_clip": {"clipping": 0.1},
    "add_decayed_weights": {"weight_decay": 0.1},
    "add_noise": {"eta": 0.1, "gamma": 0.55, "key": 0},
    "clip": {"max_delta": 0.5},
    "clip_by_block_rms": {"threshold": 0.5},
    "clip_by_global_norm": {"max_norm": 0.5},
    "scale": {"step_size": 0.3},
    "scale_by_learning_rate": {"learning_rate": 0.1},
    "scale_by_rprop": {"learning_rate": 0.1},
    "scale_by_schedule": {"step_size_fn": _schedule},
    "trace": {"decay": 0.9},
    "optimistic_gradient_descent": {"learning_rate": 0.1, "alpha": 0.7, "beta": 0.4},
    "noisy_sgd": {"learning_rate": 0.1, "key": 0},
    "scale_by_optimistic_gradient": {"alpha": 0.7, "beta": 0.4},
    "optimistic_adam": {"learning_rate": 0.1, "optimism": 0.05},
    "optimistic_adam_v2": {"learning_rate": 0.1, "alpha": 0.7, "beta": 0.4},
    **{
        n: {}
        for n in (
            "scale_by_adadelta scale_by_adam scale_by_adamax scale_by_adan scale_by_amsgrad "
            "scale_by_belief scale_by_factored_rms scale_by_lion scale_by_novograd "
            "scale_by_radam scale_by_rms scale_by_rss scale_by_sign scale_by_sm3 "
            "scale_by_stddev scale_by_trust_ratio scale_by_yogi"
        ).split()
    },
}
VARIANTS = {
    "sgd_momentum": ("sgd", {"learning_rate": 0.1, "momentum": 0.9}),
    "sgd_nesterov": ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    "rmsprop_centered": ("rmsprop", {"learning_rate": 0.1, "centered": True, "momentum": 0.9}),
    "rmsprop_debiased": ("rmsprop", {"learning_rate": 0.1, "bias_correction": True}),
    "adam_nesterov_schedule": ("adam", {"learning_rate": _schedule, "nesterov": True}),
    "adam_bf16_mu": ("adam", {"learning_rate": 0.1, "mu_dtype": jnp.bfloat16}),
    "adafactor_momentum": (
        "adafactor",
        {"learning_rate": 0.1, "momentum": 0.9, "weight_decay_rate": 0.01},
    ),
    **{n: (n, kw) for n, kw in CTORS.items()},
}
# No bias correction inside: eager results are bit-identical too.
EAGER = ["sgd", "sgd_momentum", "lion", "adagrad", "rmsprop", "clip_by_global_norm", "trace"]
# optax's sm3 fails on scalar leaves (optzoo's does not): it runs on the scenarios without.
SCALAR_FREE = {"sm3", "scale_by_sm3"}


def _make(mod, variant):
    name, kw = VARIANTS[variant]
    return getattr(mod, name)(**kw)


def _make_injected(mod, variant):
    name, kw = VARIANTS[variant]
    # As optax's own test does for adafactor (whose factoring test needs a Python number).
    static = ("min_dim_size_to_factor",) if name == "adafactor" else ()
    return mod.inject_hyperparams(getattr(mod, name), static_args=static)(**kw)


def _floats(pdtype, gdtype):
    params = {
        "a": (jnp.arange(3.0) - 1.0).astype(pdtype),
        "b": (jnp.arange(6.0).reshape(3, 2) / 5 - 0.4).astype(pdtype),
        "c": jnp.asarray(0.5, pdtype),
    }
    grads = []
    for i in range(3):
        keys = jax.random.split(jax.random.key(i), 3)
        grads.append(
            {
                k: jax.random.normal(key, params[k].shape).astype(gdtype)
                for k, key in zip("abc", keys, strict=True)
            }
        )
    return params, grads


def _no_scalars(params, grads):
    """The dict leaves with at least one axis (optax's sm3 fails on scalars)."""
    keep = [k for k, v in params.items() if v is not None and jnp.ndim(v) > 0]
    return {k: params[k] for k in keep}, [{k: g[k] for k in keep} for g in grads]


def _run(mod, variant, params, grads, *, jit, wrap=None, make=_make):
    """(class, updates, final state) of three steps, or (phase, exception class)."""
    phase = "construct"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tx = make(mod, variant)
        if wrap is not None:
            tx = wrap(tx)
        phase = "init"
        state = tx.init(params)
        phase = "update"
        update = jax.jit(tx.update) if jit else tx.update
        outs = []
        for g in grads:
            u, state = update(g, state, params)
            outs.append(u)
        return type(tx), outs, state
    except Exception as e:  # noqa: BLE001 - the outcome under test
        return phase, type(e)


def _assert_identical(a, b):
    leaves_a, def_a = jax.tree.flatten(a, is_leaf=lambda x: x is None)
    leaves_b, def_b = jax.tree.flatten(b, is_leaf=lambda x: x is None)
    assert def_a == def_b  # same containers and state classes
    for x, y in zip(leaves_a, leaves_b, strict=True):
        if x is None or y is None:
            assert x is y
            continue
        assert jnp.asarray(x).dtype == jnp.asarray(y).dtype
        if jax.dtypes.issubdtype(jnp.asarray(x).dtype, jax.dtypes.prng_key):
            x, y = jax.random.key_data(x), jax.random.key_data(y)
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def _same_program(variant, params, grads, *, jit=True, wrap=None, make=_make):
    theirs = _run(optax, variant, params, grads, jit=jit, wrap=wrap, make=make)
    ours = _run(optzoo, variant, params, grads, jit=jit, wrap=wrap, make=make)
    if isinstance(theirs[0], str) or isinstance(ours[0], str):
        assert ours[:2] == theirs[:2], (ours, theirs)
        return
    assert ours[0] is theirs[0]
    _assert_identical(ours[1:], theirs[1:])


# ------------------------------------------------------------------- classes and names


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_same_transformation_class_as_optax(variant):
    assert type(_make(optzoo, variant)) is type(_make(optax, variant))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_inject_hyperparams_gives_optax_hyperparameters_and_state(variant):
    # optax's inject_hyperparams makes every numeric argument, defaults included, a
    # hyperparameter in the state: an optzoo-only keyword with a numeric default would add
    # one (and a weight decay a block of state). Found by optax's own alias_test run against
    # optzoo's functions (tests/external).
    params, grads = _floats(jnp.float32, jnp.float32)
    if VARIANTS[variant][0] in SCALAR_FREE:
        params, grads = _no_scalars(params, grads)
    _same_program(variant, params, grads, make=_make_injected)


@pytest.mark.parametrize("name", sorted({n for n, _ in VARIANTS.values()}))
def test_signature_annotations_are_optax_objects(name):
    # Code that reads annotations sees what optax's function shows: optax's own contrib tests
    # skip a learning-rate schedule check unless `learning_rate` is annotated ScalarOrSchedule.
    ours = inspect.signature(getattr(optzoo, name)).parameters
    theirs = inspect.signature(getattr(optax, name)).parameters
    assert not [k for k, p in ours.items() if isinstance(p.annotation, str)]
    if "learning_rate" in theirs:
        assert ours["learning_rate"].annotation == theirs["learning_rate"].annotation


def test_the_table_covers_every_name_optzoo_implements():
    ours = {
        n
        for n in dir(optax)
        if not n.startswith("_")
        and callable(getattr(optax, n))
        and getattr(optzoo, n, None) is not getattr(optax, n)
    }
    assert ours == set(CTORS)


# -------------------------------------------------------------------------- odd inputs

INTS = {
    "python_ints": lambda: ({"a": 1, "b": 2}, [{"a": 1, "b": 2}] * 3),
    "int32": lambda: (
        {"a": jnp.arange(3), "b": jnp.ones((3, 2), jnp.int32)},
        [{"a": jnp.arange(3) - 1, "b": jnp.ones((3, 2), jnp.int32)}] * 3,
    ),
    "int_and_float": lambda: (
        {"w": jnp.ones(3), "n": jnp.array(2, jnp.int32)},
        [{"w": jnp.arange(3.0), "n": jnp.array(1, jnp.int32)}] * 3,
    ),
    "bool_and_float": lambda: (
        {"w": jnp.ones(3), "f": jnp.array([True, False])},
        [{"w": jnp.arange(3.0), "f": jnp.array([True, True])}] * 3,
    ),
}
CORE = ["adam", "adamw", "sgd_momentum", "rmsprop", "lion", "lamb", "adagrad", "adafactor"]
CORE += ["clip_by_global_norm", "scale_by_adam", "trace"]


@pytest.mark.parametrize("case", sorted(INTS))
@pytest.mark.parametrize("variant", CORE)
def test_integer_and_boolean_leaves_as_optax(variant, case):
    _same_program(variant, *INTS[case]())
    # Eagerly optax's adagrad rejects Python-scalar leaves (abs_sq wants arrays); optzoo's
    # accepts them (README, "Differences from optax").
    if variant in EAGER and not (variant == "adagrad" and case == "python_ints"):
        _same_program(variant, *INTS[case](), jit=False)


def test_adam_init_on_integer_leaves_gives_integer_zero_moments():
    state = optzoo.adam(1e-3).init({"a": 1, "b": 2})
    _assert_identical(state, optax.adam(1e-3).init({"a": 1, "b": 2}))
    assert state[0].mu["a"].dtype == jnp.int32


DTYPES = [jnp.bfloat16, jnp.float16, jnp.float32]
MIXED = ["adam", "sgd_momentum", "lion", "adafactor"]


@pytest.mark.parametrize("gdtype", DTYPES, ids=lambda d: jnp.dtype(d).name)
@pytest.mark.parametrize("pdtype", DTYPES, ids=lambda d: jnp.dtype(d).name)
@pytest.mark.parametrize("variant", MIXED)
def test_mixed_precision_as_optax(variant, pdtype, gdtype):
    _same_program(variant, *_floats(pdtype, gdtype))
    if variant in EAGER:
        _same_program(variant, *_floats(pdtype, gdtype), jit=False)


@pytest.mark.parametrize("gdtype", DTYPES, ids=lambda d: jnp.dtype(d).name)
@pytest.mark.parametrize("pdtype", DTYPES, ids=lambda d: jnp.dtype(d).name)
def test_multisteps_mixed_precision_as_optax(pdtype, gdtype):
    # optax's transforms/_accumulation_test.py, test_multi_steps_mixed_precision, compared.
    params, grads = _floats(pdtype, gdtype)
    out = []
    for mod in (optax, optzoo):
        tx = optax.MultiSteps(mod.adam(0.1, mu_dtype=jnp.float32), every_k_schedule=2)
        state, update = tx.init(params), jax.jit(tx.update)
        for g in grads:
            u, state = update(g, state, params)
        out.append((u, state))
    _assert_identical(*out)


@pytest.mark.parametrize("variant", ["clip_by_global_norm", "clip_by_block_rms"])
def test_clip_norm_reaching_zero_under_inject_hyperparams(variant):
    arg = {"clip_by_global_norm": "max_norm", "clip_by_block_rms": "threshold"}[variant]
    params, grads = _floats(jnp.float32, jnp.float32)
    out = []
    for mod in (optax, optzoo):
        factory = getattr(mod, variant)
        tx = optax.inject_hyperparams(factory)(**{arg: optax.linear_schedule(1.0, 0.0, 99)})
        state, update = tx.init(params), jax.jit(tx.update)
        for i in range(101):
            u, state = update(grads[i % 3], state, params)
        out.append((u, state))
    _assert_identical(*out)
    assert all(float(jnp.max(jnp.abs(x))) < 1e-8 for x in jax.tree.leaves(out[1][0]))
    # Eagerly the schedule's concrete 0 reaches the constructor's range check too.
    tx = optax.inject_hyperparams(optzoo.clip_by_global_norm)(max_norm=0.0)
    u, _ = tx.update(grads[0], tx.init(params))
    _assert_identical(u, optax.clip_by_global_norm(0.0).update(grads[0], None)[0])


# Edge values optax computes with: accepted, and the same numbers.
LEGAL_EDGES = [
    ("clip_by_global_norm", {"max_norm": 0.0}),
    ("clip_by_block_rms", {"threshold": 0.0}),
    ("adaptive_grad_clip", {"clipping": 0.0}),
    ("rmsprop", {"learning_rate": 0.1, "decay": 1.0, "initial_scale": 1.0}),
    ("adadelta", {"learning_rate": 0.1, "rho": 1.0}),
    ("signum", {"learning_rate": 0.1, "beta": 1.0}),
    ("lion", {"learning_rate": 0.1, "b2": 1.0}),
    ("rprop", {"learning_rate": 0.1, "eta_minus": 0.0}),
    ("adafactor", {"learning_rate": 0.1, "clipping_threshold": 0.0, "decay_offset": -2}),
    ("adamw", {"learning_rate": -0.1}),
]


@pytest.mark.parametrize("name,kwargs", LEGAL_EDGES, ids=[f"{n}-{k}" for n, k in LEGAL_EDGES])
def test_edge_hyperparameters_optax_accepts(name, kwargs):
    params, grads = _floats(jnp.float32, jnp.float32)
    out = []
    for mod in (optax, optzoo):
        tx = getattr(mod, name)(**kwargs)
        state, update = tx.init(params), jax.jit(tx.update)
        for g in grads:
            u, state = update(g, state, params)
        out.append((u, state))
    _assert_identical(*out)


EDGE = {
    "none_leaf": lambda: (
        {"a": jnp.ones(3), "b": None},
        [{"a": jnp.arange(3.0) - 1, "b": None}] * 3,
    ),
    "empty": lambda: ({}, [{}] * 3),
    "bare_array": lambda: (jnp.arange(4.0), [jnp.arange(4.0) * (i + 1) - 1 for i in range(3)]),
    "zero_grads": lambda: (
        _floats(jnp.float32, jnp.float32)[0],
        [jax.tree.map(jnp.zeros_like, _floats(jnp.float32, jnp.float32)[0])] * 3,
    ),
}


@pytest.mark.parametrize("case", sorted(EDGE))
@pytest.mark.parametrize("variant", CORE)
def test_none_leaves_empty_trees_bare_arrays_as_optax(variant, case):
    _same_program(variant, *EDGE[case]())


@pytest.mark.parametrize("variant", CORE)
def test_masked_node_via_optax_masked_as_optax(variant):
    mask = {"a": True, "b": False, "c": True}
    _same_program(variant, *_floats(jnp.float32, jnp.float32), wrap=lambda t: optax.masked(t, mask))


def test_lion_invalid_mode_raises_at_update_as_optax():
    for mod in (optax, optzoo):
        tx = mod.scale_by_lion(mode="invalid_mode")  # construction and init succeed
        state = tx.init(jnp.array([0.1, -0.2]))
        with pytest.raises(ValueError, match="invalid_mode"):
            tx.update(jnp.array([0.1, -0.2]), state)


def test_chain_with_keyword_only_extra_args_on_integer_params():
    # optax's own test (transforms/_combining_test.py, ExtraArgsTest.test_extra_args).
    def update_fn(updates, state, params=None, *, loss, **extra_args):
        assert loss == 1
        return updates, state

    extra = optax.GradientTransformationExtraArgs(lambda p: (), update_fn)
    out = []
    for mod in (optax, optzoo):
        tx = mod.chain(mod.adam(1e-3), extra)
        assert isinstance(tx, optax.GradientTransformationExtraArgs)
        params = {"a": 1, "b": 2}
        out.append(tx.update(params, tx.init(params), loss=1, ignored_kwarg="hi"))
    _assert_identical(*out)


PRECISIONS = [f"{p}/{g}" for p in "bf16 f16 f32".split() for g in "bf16 f16 f32".split()]


def _covered_by_default_tests(variant: str, case: str) -> bool:
    """Whether one of the default tests above already runs this pair (same program)."""
    if case in PRECISIONS:
        return variant in MIXED
    return variant in CORE


@pytest.mark.slow
@pytest.mark.parametrize(
    "variant,case",
    [
        (v, c)
        for v in sorted(VARIANTS)
        for c in [*INTS, *EDGE, "masked", *PRECISIONS]
        if not _covered_by_default_tests(v, c)
    ],
)
def test_every_name_on_every_odd_input(variant, case):
    dt = {"bf16": jnp.bfloat16, "f16": jnp.float16, "f32": jnp.float32}
    wrap = None
    if case in INTS:
        params, grads = INTS[case]()
    elif case in EDGE:
        params, grads = EDGE[case]()
    else:
        p, g = case.split("/") if "/" in case else ("f32", "f32")
        params, grads = _floats(dt[p], dt[g])
        if case == "masked":
            wrap = lambda t: optax.masked(t, {"a": True, "b": False, "c": True})  # noqa: E731
    if VARIANTS[variant][0] in SCALAR_FREE and isinstance(params, dict):
        params, grads = _no_scalars(params, grads)
    _same_program(variant, params, grads, wrap=wrap)


# --------------------------------------------------------------------- default diagnosis


def test_a_real_tree_error_keeps_optax_type_and_gets_a_note_naming_the_path():
    params = {"w": jnp.ones(3), "b": jnp.ones(2)}
    grads = {"w": jnp.ones(3)}
    errors = []
    for mod in (optax, optzoo):
        tx = mod.sgd(0.1, momentum=0.9)
        with pytest.raises((ValueError, TypeError)) as info:
            tx.update(grads, tx.init(params), params)
        errors.append(info.value)
    assert type(errors[1]) is type(errors[0])
    assert str(errors[1]) == str(errors[0])
    assert "['b']" in " ".join(getattr(errors[1], "__notes__", []))


# ------------------------------------------------------------------------- strict layer

STRICT = {
    "integer param at init": (
        "init",
        {"w": jnp.ones(2), "step": jnp.array(1, jnp.int32)},
        None,
        r"adam: params leaf \['step'\] has integer dtype int32.*skip_integer_leaves",
    ),
    "boolean param at init": (
        "init",
        {"w": jnp.ones(2), "flag": jnp.array(True)},
        None,
        r"params leaf \['flag'\] has integer dtype bool",
    ),
    "integer gradient": (
        "update",
        {"w": jnp.ones(2)},
        {"w": jnp.ones(2, jnp.int32)},
        r"adam: .*\['w'\] is integer in the updates but float in params",
    ),
    "complex gradient": (
        "update",
        {"w": jnp.ones(2)},
        {"w": jnp.ones(2, jnp.complex64)},
        r"\['w'\] is complex in the updates but float",
    ),
    "missing leaf": (
        "update",
        {"w": jnp.ones(2), "b": jnp.ones(1)},
        {"w": jnp.ones(2)},
        r"params has a leaf at \['b'\] that the updates lack",
    ),
    "wrong shape": (
        "update",
        {"w": jnp.ones(2)},
        {"w": jnp.ones(3)},
        r"leaf \['w'\] has shape \(3,\) in the updates but \(2,\)",
    ),
}


@pytest.mark.parametrize("case", sorted(STRICT))
@pytest.mark.parametrize(
    "make",
    [
        lambda: optzoo.create("adam", learning_rate=1e-3, strict=True),
        lambda: optzoo.checked(optzoo.adam(1e-3), name="adam"),
        lambda: optzoo.checked(optax.adam(1e-3), name="adam"),
    ],
    ids=["create", "checked_optzoo", "checked_optax"],
)
def test_strict_layer_names_the_culprit(make, case):
    when, params, grads, match = STRICT[case]
    tx = make()
    with pytest.raises(ValueError, match=match):
        if when == "init":
            tx.init(params)
        else:
            jax.jit(tx.update)(grads, tx.init(params), params)


def test_strict_layer_rejects_complex_params_of_real_only_optimizers():
    z = {"w": jnp.ones(2, jnp.complex64)}
    with pytest.raises(ValueError, match=r"adadelta: params leaf \['w'\] is complex"):
        optzoo.create("adadelta", strict=True).init(z)
    optzoo.create("adam", strict=True).init(z)  # adam supports complex parameters
    optzoo.adadelta(1.0).init(z)  # and by default nothing is checked, as in optax


def test_strict_layer_accepts_mixed_precision_and_keeps_the_numbers():
    params, grads = _floats(jnp.bfloat16, jnp.float32)
    strict = optzoo.create("adam", learning_rate=0.1, strict=True)
    plain = optax.adam(0.1)
    u1, _ = jax.jit(strict.update)(grads[0], strict.init(params), params)
    u2, _ = jax.jit(plain.update)(grads[0], plain.init(params), params)
    _assert_identical(u1, u2)
