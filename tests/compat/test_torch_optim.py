"""optzoo.compat.torch optimizers against torch.optim: 100-step float32 trajectories.

The error is max|p_optzoo - p_torch| / max|p_torch| per tensor, worst over all steps.
The default run covers every optimizer once with its math-changing keywords; the
remaining keyword combinations, and every default case again in float64 (to 1e-10),
are marked slow.

The problem and hyperparameters are chosen outside chaotic regimes: sign-like
adaptive methods (Rprop, RMSprop with a short memory, Adafactor with slow decay)
near a zero gradient amplify a one-ulp difference by orders of magnitude within a
few steps, in float64 as well, which would measure the problem, not the preset.
"""

import inspect

import numpy as np
import pytest
from _problem import jax_trajectory, make_problem, max_rel_error, torch_trajectory

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

from optzoo.compat import torch as ot  # noqa: E402

TOL = 1e-5
# float32 floor: Rprop branches on sign(g_t g_{t-1}) and centered RMSprop divides by
# sqrt(v - m^2); near a zero gradient a one-ulp difference flips a branch or is
# amplified, so their float32 trajectories agree to 1e-4 (float64: 1e-10, tested).

FAST = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.003, centered=True, momentum=0.5, weight_decay=0.01), 1e-4),
    ("NAdam", dict(lr=0.003, weight_decay=0.1, momentum_decay=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Rprop", dict(lr=0.01, etas=(0.4, 1.3), step_sizes=(1e-5, 0.5)), 1e-4),
    ("Adafactor", dict(lr=0.05, weight_decay=0.1, d=1.5)),
]

SLOW = [
    ("RMSprop", dict(lr=0.001, alpha=0.9, eps=1e-4)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("Adadelta", dict(maximize=True, lr=0.5)),
    ("Adamax", dict(lr=0.01, eps=1e-4, maximize=True)),
    ("NAdam", dict(lr=0.003, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("RAdam", dict(lr=0.01, eps=1e-6, maximize=True)),
    ("ASGD", dict(lr=0.05, maximize=True)),
    ("ASGD", dict(lr=0.1, t0=20, lambd=0.01, alpha=0.6, weight_decay=0.01)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1)),
    ("Adadelta", dict(rho=0.8, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5, maximize=True)),
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01, amsgrad=True)),
    ("Adagrad", dict(lr=0.1, eps=1e-3)),
    ("RMSprop", dict(lr=0.001)),
    ("RMSprop", dict(lr=0.003, momentum=0.5, maximize=True), 1e-4),
    ("Adadelta", dict(lr=0.5, eps=1e-4)),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99))),
    ("NAdam", dict(lr=0.001)),
    ("NAdam", dict(lr=0.003, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, betas=(0.9, 0.99))),
    ("Rprop", dict(), 1e-4),
    ("ASGD", dict(lr=0.05)),
    ("Adafactor", dict(lr=0.01, beta2_decay=-0.5, eps=(1e-3, 1e-2))),
    ("Adafactor", dict(maximize=True)),
]


def _case(c):
    return (*c, TOL) if len(c) == 2 else c


FAST = [_case(c) for c in FAST]
SLOW = [_case(c) for c in SLOW]


def _check(name, kw, shapes=None, dtype=np.float32, tol=TOL):
    params, data = make_problem(shapes=shapes, dtype=dtype)
    ours = jax_trajectory(getattr(ot, name)(**kw), params, data)
    ref = torch_trajectory(lambda ps: getattr(torch.optim, name)(ps, **kw), params, data)
    err = max_rel_error(ours, ref)
    assert err <= tol, f"{name}{kw}: max rel error {err:.2e}"
    # the optimizer moved the parameters: the comparison is not vacuous
    assert np.max(np.abs(ref["w"][-1] - params["w"])) > 1e-3


@pytest.mark.parametrize("name,kw,tol", FAST, ids=[f"{c[0]}-{i}" for i, c in enumerate(FAST)])
def test_trajectory(name, kw, tol):
    _check(name, kw, tol=tol)


@pytest.mark.slow
@pytest.mark.parametrize("name,kw,tol", FAST, ids=[f"{c[0]}-{i}" for i, c in enumerate(FAST)])
def test_trajectory_float64(name, kw, tol):
    # In float64 there is no float32 chaos to hide behind: the formulas must agree.
    _check(name, kw, dtype=np.float64, tol=1e-10)


@pytest.mark.slow
@pytest.mark.parametrize("name,kw,tol", SLOW, ids=[f"{c[0]}-{i}" for i, c in enumerate(SLOW)])
def test_trajectory_more_keywords(name, kw, tol):
    _check(name, kw, tol=tol)
    _check(name, kw, dtype=np.float64, tol=1e-10)


def test_adafactor_factored_3d():
    _check("Adafactor", dict(lr=0.05), shapes={"w": (6, 4), "b": (4,), "k": (2, 3, 5)})


@pytest.mark.parametrize(
    "kw",
    [
        dict(lr=0.02, nesterov=False, adjust_lr_fn="match_rms_adamw", weight_decay=0.0),
        dict(lr=0.02, nesterov=False, weight_decay=0.0, momentum=0.8, ns_steps=3),
        dict(lr=0.02, nesterov=False, weight_decay=0.0, ns_coefficients=(3.0, -3.2, 1.2), eps=1e-3),
    ],
)
def test_muon_trajectory(kw):
    # PyTorch runs Newton-Schulz in bfloat16; the preset reproduces its rounding.
    _check("Muon", kw, shapes={"w": (6, 4)})


@pytest.mark.parametrize("kw", [dict(lr=0.02), dict(lr=0.02, weight_decay=0.05, nesterov=False)])
def test_muon_short(kw):
    # float32 floor: with Nesterov or weight decay the parameters drift by float32
    # rounding (~1e-7); after some tens of steps one bfloat16 rounding in Newton-Schulz
    # flips and the difference grows to ~1e-2. 20 steps stay below 1e-5.
    params, data = make_problem(shapes={"w": (6, 4)})
    ours = jax_trajectory(ot.Muon(**kw), params, data, steps=20)
    ref = torch_trajectory(lambda ps: torch.optim.Muon(ps, **kw), params, data, steps=20)
    assert max_rel_error(ours, ref) <= TOL


NAMES = [
    "SGD",
    "Adam",
    "AdamW",
    "Adagrad",
    "RMSprop",
    "Adadelta",
    "Adamax",
    "NAdam",
    "RAdam",
    "Rprop",
    "ASGD",
    "Adafactor",
    "Muon",
    "LBFGS",
]


@pytest.mark.parametrize("name", NAMES)
def test_same_keywords_and_defaults(name):
    if not hasattr(ot, name):
        pytest.fail(f"optzoo.compat.torch.{name} missing")
    ref = inspect.signature(getattr(torch.optim, name).__init__).parameters
    ours = inspect.signature(getattr(ot, name)).parameters
    for k, p in ref.items():
        if k in ("self", "params"):
            continue
        assert k in ours, f"{name} lacks keyword {k}"
        assert ours[k].default == p.default, f"{name}.{k}: {ours[k].default} != {p.default}"


def test_sgd_nesterov_validation():
    with pytest.raises(ValueError):
        ot.SGD(lr=0.1, nesterov=True)


@pytest.mark.parametrize(
    "name,defaults,w_group,b_group",
    [
        ("SGD", dict(lr=0.05, momentum=0.9), dict(lr=0.1, weight_decay=0.01), dict(nesterov=True)),
        ("AdamW", dict(lr=0.01), dict(weight_decay=0.1), dict(lr=0.003, weight_decay=0.0)),
    ],
)
def test_param_groups(name, defaults, w_group, b_group):
    params, data = make_problem()
    tx = ot.param_groups(
        getattr(ot, name),
        [{"params": "w", **w_group}, {"params": "b", **b_group}],
        labels={"w": "w", "b": "b"},
        **defaults,
    )
    ours = jax_trajectory(tx, params, data)

    def make(ps):  # torch_trajectory passes tensors in sorted key order: b, w
        return getattr(torch.optim, name)(
            [{"params": [ps[1]], **w_group}, {"params": [ps[0]], **b_group}], **defaults
        )

    ref = torch_trajectory(make, params, data)
    assert max_rel_error(ours, ref) <= TOL
