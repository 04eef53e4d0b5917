"""optzoo.compat.keras against Keras 3 (JAX backend): 100-step float32 trajectories.

The error is max|w_optzoo - w_keras| / max|w_keras| per tensor, worst over all
steps; both sides are jitted, so most cases agree bit for bit.
"""

import inspect
import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from _problem import jax_trajectory, keras_trajectory, make_problem, max_rel_error  # noqa: E402

keras = pytest.importorskip("keras")
if keras.backend.backend() != "jax":
    pytest.skip("Keras was imported with a non-JAX backend", allow_module_level=True)

from optzoo.compat import keras as ok  # noqa: E402
from optzoo.compat.keras import schedules as oks  # noqa: E402

TOL = 1e-5

FAST = [
    ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    ("RMSprop", dict(rho=0.8, centered=True, momentum=0.5, epsilon=1e-6)),
    ("Adam", dict(learning_rate=0.01, amsgrad=True, beta_1=0.8)),
    ("Nadam", dict(learning_rate=0.01)),
    ("Adafactor", dict(learning_rate=0.05, clip_threshold=0.5)),
    ("Muon", dict(learning_rate=0.01)),
    # the common options, through Adam
    (
        "Adam",
        dict(
            learning_rate=0.01,
            clipnorm=0.05,
            use_ema=True,
            ema_momentum=0.9,
            ema_overwrite_frequency=7,
            gradient_accumulation_steps=3,
        ),
    ),
]

SLOW = [
    ("Adam", dict(learning_rate=0.01, beta_2=0.99, epsilon=1e-5, loss_scale_factor=4.0)),
    ("Adadelta", dict(learning_rate=1.0, epsilon=1e-5)),
    ("Adagrad", dict(learning_rate=0.1, epsilon=1e-4)),
    ("Lamb", dict(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-5)),
    ("Adafactor", dict(learning_rate=0.02, beta_2_decay=-0.6, epsilon_1=1e-20, epsilon_2=1e-2)),
    (
        "Muon",
        dict(
            learning_rate=0.01,
            momentum=0.9,
            ns_steps=3,
            muon_a=3.0,
            muon_b=-3.2,
            muon_c=1.2,
            weight_decay=0.1,
            adam_weight_decay=0.05,
            adam_beta_1=0.8,
            adam_beta_2=0.99,
            epsilon=1e-5,
        ),
    ),
    ("AdamW", dict(learning_rate=0.01, weight_decay=0.05)),
    ("Adadelta", dict(learning_rate=1.0, rho=0.9)),
    ("Adagrad", dict(learning_rate=0.1, initial_accumulator_value=0.2)),
    ("Adamax", dict(learning_rate=0.01, beta_2=0.99)),
    (
        "Ftrl",
        dict(
            learning_rate=0.1,
            l1_regularization_strength=0.01,
            l2_regularization_strength=0.01,
            l2_shrinkage_regularization_strength=0.01,
            beta=0.1,
            learning_rate_power=-0.6,
        ),
    ),
    ("Lion", dict(learning_rate=0.003, weight_decay=0.1)),
    ("Lamb", dict(learning_rate=0.01, weight_decay=0.01)),
    ("SGD", dict(learning_rate=0.1, momentum=0.5, global_clipnorm=0.05, use_ema=True)),
    ("SGD", dict()),
    ("SGD", dict(learning_rate=0.1, momentum=0.9, clipvalue=0.01, weight_decay=0.01)),
    ("RMSprop", dict(learning_rate=0.003)),
    ("Adam", dict(learning_rate=0.01, weight_decay=0.1)),
    ("Adam", dict(learning_rate=0.01, gradient_accumulation_steps=4, weight_decay=0.05)),
    ("Adagrad", dict(learning_rate=0.1, clipnorm=0.01)),
    ("Nadam", dict(learning_rate=0.003, epsilon=1e-5, use_ema=True)),
    ("Lion", dict(learning_rate=0.003, beta_1=0.8, beta_2=0.95)),
    ("Adafactor", dict(learning_rate=0.05, relative_step=False, weight_decay=0.1)),
    ("Muon", dict(learning_rate=0.01, nesterov=False, rms_rate=None, adam_lr_ratio=0.5)),
]


def _check(name, kw, shapes=None, tol=TOL):
    params, data = make_problem(shapes=shapes)
    ours = jax_trajectory(getattr(ok, name)(**kw), params, data)
    ref, _ = keras_trajectory(lambda: getattr(keras.optimizers, name)(**kw), params, data)
    err = max_rel_error(ours, ref)
    assert err <= tol, f"{name}{kw}: max rel error {err:.2e}"
    assert np.max(np.abs(ref["w"][-1] - params["w"])) > 1e-3


@pytest.mark.parametrize("name,kw", FAST, ids=[f"{n}-{i}" for i, (n, _) in enumerate(FAST)])
def test_trajectory(name, kw):
    _check(name, kw)


@pytest.mark.slow
@pytest.mark.parametrize("name,kw", SLOW, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SLOW)])
def test_trajectory_more_keywords(name, kw):
    _check(name, kw)


@pytest.mark.slow
def test_muon_excludes_embeddings_and_layers():
    shapes = {"w": (6, 4), "b": (4,), "embedding": (3, 5), "head": (4, 2)}
    params, data = make_problem(shapes=shapes)
    kw = dict(learning_rate=0.01, exclude_layers=["head"])
    ours = jax_trajectory(ok.Muon(**kw), params, data)
    ref, _ = keras_trajectory(lambda: keras.optimizers.Muon(**kw), params, data)
    assert max_rel_error(ours, ref) <= TOL


def test_schedule_as_learning_rate_and_ema_params():
    params, data = make_problem()
    sched_ours = oks.CosineDecay(0.01, decay_steps=60, warmup_target=0.05, warmup_steps=10)
    ours = jax_trajectory(ok.Adam(learning_rate=sched_ours, use_ema=True), params, data)
    ref, opt = keras_trajectory(
        lambda: keras.optimizers.Adam(
            learning_rate=keras.optimizers.schedules.CosineDecay(
                0.01, decay_steps=60, warmup_target=0.05, warmup_steps=10
            ),
            use_ema=True,
        ),
        params,
        data,
    )
    assert max_rel_error(ours, ref) <= TOL
    # the EMA of the weights, as Keras keeps it
    _, state = jax_trajectory(
        ok.Adam(learning_rate=sched_ours, use_ema=True), params, data, return_state=True
    )
    avg = ok.ema_params(state)
    keras_avg = {
        v.name.split("_average")[0]: np.asarray(v.value)
        for v in opt._model_variables_moving_average
    }
    for k in ("w", "b"):
        key = next(n for n in keras_avg if n.endswith(k))
        np.testing.assert_allclose(avg[k], keras_avg[key], rtol=1e-5, atol=1e-6)


NAMES = [
    "SGD",
    "RMSprop",
    "Adam",
    "AdamW",
    "Adadelta",
    "Adagrad",
    "Adamax",
    "Adafactor",
    "Nadam",
    "Ftrl",
    "Lion",
    "Lamb",
    "Muon",
]


@pytest.mark.parametrize("name", NAMES)
def test_same_arguments_and_defaults(name):
    ref = inspect.signature(getattr(keras.optimizers, name).__init__).parameters
    ours = inspect.signature(getattr(ok, name)).parameters
    for k, p in ref.items():
        if k in ("self", "kwargs"):
            continue
        assert k in ours, f"{name} lacks argument {k}"
        assert ours[k].default == p.default, f"{name}.{k}: {ours[k].default} != {p.default}"


def test_only_one_clip_option():
    with pytest.raises(ValueError):
        ok.Adam(clipnorm=1.0, clipvalue=1.0)


SCHEDULES = [
    ("ExponentialDecay", (0.1, 7, 0.8), {}),
    ("ExponentialDecay", (0.1, 7, 0.8), dict(staircase=True)),
    ("PiecewiseConstantDecay", ([10, 30, 55], [0.1, 0.05, 0.01, 0.001]), {}),
    ("PolynomialDecay", (0.1, 40), dict(end_learning_rate=0.001, power=2.0)),
    ("PolynomialDecay", (0.1, 25), dict(power=0.5, cycle=True)),
    ("InverseTimeDecay", (0.1, 5, 0.5), {}),
    ("InverseTimeDecay", (0.1, 5, 0.5), dict(staircase=True)),
    ("CosineDecay", (0.1, 50), dict(alpha=0.1)),
    ("CosineDecay", (0.01, 50), dict(warmup_target=0.1, warmup_steps=15)),
    ("CosineDecayRestarts", (0.1, 10), {}),
    ("CosineDecayRestarts", (0.1, 10), dict(t_mul=1.0, m_mul=0.8, alpha=0.05)),
]


@pytest.mark.parametrize(
    "name,args,kw", SCHEDULES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(SCHEDULES)]
)
def test_schedule_values(name, args, kw):
    ref_sched = getattr(keras.optimizers.schedules, name)(*args, **kw)
    ref = np.asarray(jax.jit(jax.vmap(ref_sched))(jnp.arange(100)))
    ours = np.asarray(jax.jit(jax.vmap(getattr(oks, name)(*args, **kw)))(jnp.arange(100)))
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-9)


def test_exclude_from_weight_decay():
    params, data = make_problem()

    def make():
        opt = keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.2)
        opt.exclude_from_weight_decay(var_names=["b"])
        return opt

    ref, _ = keras_trajectory(make, params, data)
    ours = jax_trajectory(
        ok.AdamW(learning_rate=0.01, weight_decay=0.2, exclude_from_weight_decay=["b"]),
        params,
        data,
    )
    assert max_rel_error(ours, ref) <= TOL
    # and it differs from decaying everything
    decayed = jax_trajectory(ok.AdamW(learning_rate=0.01, weight_decay=0.2), params, data)
    assert max_rel_error(decayed, ref) > 1e-3
