"""optzoo.compat.torch.lr_scheduler against torch.optim.lr_scheduler, value by value."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from optzoo.compat.torch import lr_scheduler as ls  # noqa: E402

LR = 0.1
N = 120
TL = torch.optim.lr_scheduler


def _torch_values(make, n=N, opt="sgd"):
    p = torch.nn.Parameter(torch.zeros(2))
    if opt == "sgd":
        o = torch.optim.SGD([p], lr=LR, momentum=0.9)
    else:
        o = torch.optim.Adam([p], lr=LR)
    sched = make(o)
    vals = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(n):
            vals.append(o.param_groups[0]["lr"])
            o.step()
            sched.step()
    return np.asarray(vals, np.float64)


def _ours(schedule, n=N):
    return np.asarray(jax.jit(jax.vmap(schedule))(jnp.arange(n)), np.float64)


CASES = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[10, 30, 30, 80], gamma=0.3)),
    ("ConstantLR", dict(factor=0.25, total_iters=9)),
    ("ConstantLR", dict()),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.9, total_iters=40)),
    ("LinearLR", dict()),
    ("ExponentialLR", dict(gamma=0.97)),
    ("PolynomialLR", dict(total_iters=50, power=2.0)),
    ("PolynomialLR", dict(total_iters=30, power=0.5)),
    ("CosineAnnealingLR", dict(T_max=40, eta_min=1e-3)),
    ("CosineAnnealingLR", dict(T_max=25)),
    ("CosineAnnealingWarmRestarts", dict(T_0=10)),
    ("CosineAnnealingWarmRestarts", dict(T_0=7, T_mult=2, eta_min=1e-3)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=15)),
    (
        "CyclicLR",
        dict(base_lr=0.01, max_lr=0.1, step_size_up=10, step_size_down=5, mode="triangular2"),
    ),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=12, mode="exp_range", gamma=0.99)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=N)),
    (
        "OneCycleLR",
        dict(
            max_lr=0.5,
            epochs=6,
            steps_per_epoch=20,
            pct_start=0.25,
            anneal_strategy="linear",
            three_phase=True,
        ),
    ),
]


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_scheduler_values(name, kw):
    ref = _torch_values(lambda o: getattr(TL, name)(o, **kw))
    ours = _ours(getattr(ls, name)(lr=LR, **kw))
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-7 * LR)


def test_lambda_lr():
    ref = _torch_values(lambda o: TL.LambdaLR(o, lambda e: 1.0 / (1 + 0.05 * e)))
    ours = _ours(ls.LambdaLR(lr=LR, lr_lambda=lambda e: 1.0 / (1 + 0.05 * e)))
    np.testing.assert_allclose(ours, ref, rtol=1e-5)


def test_sequential_lr():
    def make(o):
        return TL.SequentialLR(
            o,
            [
                TL.LinearLR(o, start_factor=0.1, total_iters=10),
                TL.CosineAnnealingLR(o, T_max=50, eta_min=1e-3),
                TL.ExponentialLR(o, gamma=0.9),
            ],
            milestones=[10, 60],
        )

    ref = _torch_values(make)
    ours = _ours(
        ls.SequentialLR(
            lr=LR,
            schedulers=[
                ls.LinearLR(LR, start_factor=0.1, total_iters=10),
                ls.CosineAnnealingLR(LR, T_max=50, eta_min=1e-3),
                ls.ExponentialLR(LR, gamma=0.9),
            ],
            milestones=[10, 60],
        )
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-7 * LR)


@pytest.mark.parametrize(
    "kw",
    [
        dict(patience=2, factor=0.5),
        dict(mode="max", patience=1, threshold=0.05, threshold_mode="abs", cooldown=2, min_lr=0.01),
    ],
)
def test_reduce_lr_on_plateau(kw):
    rng = np.random.default_rng(0)
    metrics = np.concatenate([np.linspace(1.0, 0.5, 10), 0.5 + 0.01 * rng.random(30)])
    metrics = metrics.astype(np.float32)
    p = torch.nn.Parameter(torch.zeros(1))
    o = torch.optim.SGD([p], lr=LR)
    sched = TL.ReduceLROnPlateau(o, **kw)
    ref = []
    for m in metrics:
        ref.append(o.param_groups[0]["lr"])
        sched.step(float(m))
    tx = ls.ReduceLROnPlateau(LR, **kw)
    state = tx.init(jnp.zeros(1))
    got = []
    for m in metrics:
        u, state = tx.update(jnp.ones(1), state, value=jnp.float32(m))
        got.append(float(u[0]) * LR)
    np.testing.assert_allclose(got, ref, rtol=1e-6)
    assert min(ref) < LR  # the case exercises at least one reduction
