"""optzoo's own schedules against torch StepLR, Keras InverseTimeDecay and a NumPy WSD."""

import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo
from optzoo import schedules


def _values(sched, n):
    return np.asarray(jax.jit(jax.vmap(sched))(jnp.arange(n)))


@pytest.mark.parametrize(
    "lr,step_size,gamma", [(0.1, 7, 0.1), (3e-4, 1, 0.9), (1.0, 25, 0.5), (0.05, 10, 1.0)]
)
def test_step_decay_matches_torch_steplr(lr, step_size, gamma):
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=gamma)
    ref = []
    for _ in range(100):
        ref.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    got = _values(schedules.step_decay(lr, step_size, gamma), 100)
    np.testing.assert_allclose(got, ref, rtol=1e-6)
    # a plain Python int step gives the same value
    assert float(schedules.step_decay(lr, step_size, gamma)(37)) == pytest.approx(ref[37], 1e-6)


def test_inverse_time_decay_matches_keras():
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "jax":
        pytest.skip("keras was imported earlier with another backend")
    for lr, steps, rate, stair in [
        (0.1, 10, 0.5, False),
        (0.1, 10, 0.5, True),
        (2e-3, 3, 2.0, True),
        (1.0, 1, 0.0, False),
    ]:
        ref_fn = keras.optimizers.schedules.InverseTimeDecay(lr, steps, rate, staircase=stair)
        ref = np.array([float(ref_fn(t)) for t in range(60)])
        got = _values(schedules.inverse_time_decay(lr, steps, rate, staircase=stair), 60)
        np.testing.assert_allclose(got, ref, rtol=1e-6, err_msg=str((lr, steps, rate, stair)))


def _np_wsd(t, peak, w, s, d, end, init, shape):
    if t < w:
        return init + (peak - init) * t / w
    if t < w + s:
        return peak
    f = 1.0 if d == 0 else min(1.0, (t - w - s) / d)
    h = {"linear": 1 - f, "cosine": 0.5 * (1 + math.cos(math.pi * f)), "1-sqrt": 1 - math.sqrt(f)}[
        shape
    ]
    return end + (peak - end) * h


WSD_CASES = [
    (1e-3, 10, 30, 20, 0.0, 0.0, "linear"),
    (1e-3, 10, 30, 20, 1e-5, 1e-4, "cosine"),
    (0.5, 7, 0, 40, 0.05, 0.0, "1-sqrt"),
    (0.5, 0, 12, 9, 0.0, 0.0, "1-sqrt"),
    (0.5, 5, 5, 0, 0.1, 0.2, "linear"),
]


@pytest.mark.parametrize("peak,w,s,d,end,init,shape", WSD_CASES)
def test_wsd_matches_numpy(peak, w, s, d, end, init, shape):
    n = w + s + d + 10
    ref = np.array([_np_wsd(t, peak, w, s, d, end, init, shape) for t in range(n)])
    sched = schedules.warmup_stable_decay(peak, w, s, d, end, init_value=init, decay_shape=shape)
    np.testing.assert_allclose(_values(sched, n), ref, rtol=1e-6, atol=1e-9 * peak)
    # phases: starts at init (or peak without warmup), plateau at peak, ends at end_value
    assert float(sched(0)) == pytest.approx(init if w else (peak if s else ref[0]))
    assert float(sched(w)) == pytest.approx(peak if s else ref[w])
    assert float(sched(w + s + d)) == pytest.approx(end, rel=1e-6, abs=1e-9)
    assert float(sched(10**6)) == pytest.approx(end, rel=1e-6, abs=1e-9)
    # non-increasing after the warmup
    assert np.all(np.diff(ref[w:]) <= 1e-12)


def test_schedules_drive_an_optimizer_under_jit():
    for sched in (
        schedules.step_decay(0.1, 5, 0.5),
        schedules.inverse_time_decay(0.1, 5, 1.0, staircase=True),
        schedules.warmup_stable_decay(0.1, 3, 5, 5, decay_shape="cosine"),
    ):
        tx = optax.inject_hyperparams(optax.sgd)(learning_rate=sched)
        p = jnp.array([1.0, -2.0])
        s = tx.init(p)
        step = jax.jit(lambda p, s, tx=tx: tx.update(p, s, p))
        for k in range(12):
            u, s = step(p, s)
            assert float(s.hyperparams["learning_rate"]) == pytest.approx(float(sched(k)), 1e-6)
            p = optax.apply_updates(p, u)


def test_names_and_aliases():
    for name in ("step_decay", "inverse_time_decay", "warmup_stable_decay", "reduce_on_plateau"):
        assert name in schedules.__all__
        assert getattr(optzoo, name) is getattr(schedules, name)
    assert schedules.reduce_on_plateau is optzoo.contrib.reduce_on_plateau
    # optax's schedules are still there, unchanged
    assert schedules.cosine_decay_schedule is optax.schedules.cosine_decay_schedule
    assert "step_decay" not in optzoo.registry.names()


@pytest.mark.parametrize(
    "make,arg",
    [
        (lambda: schedules.step_decay(0.1, 0), "step_size"),
        (lambda: schedules.step_decay(0.1, 2.5), "step_size"),
        (lambda: schedules.step_decay(0.1, 10, 0.0), "factor"),
        (lambda: schedules.step_decay(0.1, 10, 1.5), "factor"),
        (lambda: schedules.step_decay(float("nan"), 10), "init_value"),
        (lambda: schedules.inverse_time_decay(0.1, 0, 0.5), "decay_steps"),
        (lambda: schedules.inverse_time_decay(0.1, 10, -0.5), "decay_rate"),
        (lambda: schedules.warmup_stable_decay(0.1, -1, 10, 10), "warmup_steps"),
        (lambda: schedules.warmup_stable_decay(0.1, 1, -10, 10), "stable_steps"),
        (lambda: schedules.warmup_stable_decay(0.1, 1, 10, 1.5), "decay_steps"),
        (lambda: schedules.warmup_stable_decay(0.1, 1, 10, 10, decay_shape="exp"), "decay_shape"),
        (lambda: schedules.warmup_stable_decay(float("inf"), 1, 10, 10), "peak_value"),
    ],
)
def test_bad_arguments(make, arg):
    with pytest.raises(ValueError, match=arg):
        make()
