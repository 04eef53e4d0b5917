"""Gradient-descent family beyond the classics against pytorch_optimizer (asgd: torch.optim.ASGD)
(float64, 60 steps, the shared regression problem with a vector, a matrix and a rank-3 leaf)."""

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import check_matches_pytorch_optimizer  # noqa: E402

# name -> (optzoo factory, kwargs, pytorch_optimizer class name, kwargs, problem kwargs)
TORCH_CASES = {
    # Coupled L2 decay on both sides (pytorch_optimizer's default weight_decouple=False).
    "qhm": (
        optzoo.qhm,
        dict(learning_rate=0.05, momentum=0.9, nu=0.7, weight_decay=1e-2),
        "QHM",
        dict(lr=0.05, momentum=0.9, nu=0.7, weight_decay=1e-2),
        {},
    ),
    # Decoupled decay on both sides (pytorch_optimizer's default weight_decouple=True).
    "pnm": (
        optzoo.pnm,
        dict(learning_rate=0.02, b1=0.9, b0=1.0, weight_decay=1e-2),
        "PNM",
        dict(lr=0.02, betas=(0.9, 1.0), weight_decay=1e-2),
        {},
    ),
    "sgdw": (
        optzoo.sgdw,
        dict(learning_rate=0.02, momentum=0.9, weight_decay=1e-2),
        "SGDW",
        dict(lr=0.02, momentum=0.9, weight_decay=1e-2),
        {},
    ),
    "sgdw_nesterov": (
        optzoo.sgdw,
        dict(learning_rate=0.02, momentum=0.9, nesterov=True, weight_decay=1e-2),
        "SGDW",
        dict(lr=0.02, momentum=0.9, nesterov=True, weight_decay=1e-2),
        {},
    ),
    # Coupled L2 decay on both sides (AccSGD has no decoupled form).
    "accsgd": (
        optzoo.accsgd,
        dict(learning_rate=0.02, kappa=100.0, xi=5.0, constant=0.6, weight_decay=1e-2),
        "AccSGD",
        dict(lr=0.02, kappa=100.0, xi=5.0, constant=0.6, weight_decay=1e-2),
        {},
    ),
    # Decoupled decay (pytorch_optimizer's weight_decouple=True; its coupled form is added to
    # the gradient after the step is formed, a no-op); channels on axis 0 as in PyTorch.
    "sgdp": (
        optzoo.sgdp,
        dict(
            learning_rate=0.05,
            momentum=0.8,
            dampening=0.1,
            weight_decay=1e-2,
            wd_ratio=0.2,
            eps=1e-12,
            channel_axis=0,
        ),
        "SGDP",
        dict(lr=0.05, momentum=0.8, dampening=0.1, weight_decay=1e-2, wd_ratio=0.2, eps=1e-12),
        {},
    ),
    # The scale-invariant problem: the projection fires on ``w``.
    "sgdp_nesterov_projected": (
        optzoo.sgdp,
        dict(learning_rate=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2, channel_axis=0),
        "SGDP",
        dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2),
        dict(scale_invariant=True),
    ),
    # Coupled L2 decay (pytorch_optimizer's default), then decoupled.
    "pid": (
        optzoo.pid,
        dict(learning_rate=0.01, momentum=0.8, dampening=0.1, integral=3.0, weight_decay=1e-2),
        "PID",
        dict(lr=0.01, momentum=0.8, dampening=0.1, integral=3.0, weight_decay=1e-2),
        {},
    ),
    "pid_decoupled": (
        optzoo.pid,
        dict(learning_rate=0.01, momentum=0.9, weight_decay=1e-2, weight_decouple=True),
        "PID",
        dict(lr=0.01, momentum=0.9, weight_decay=1e-2, weight_decouple=True),
        {},
    ),
    "pid_no_momentum": (
        optzoo.pid,
        dict(learning_rate=0.05, momentum=0.0, weight_decay=1e-2),
        "PID",
        dict(lr=0.05, momentum=0.0, weight_decay=1e-2),
        {},
    ),
    # pytorch_optimizer's two departures from the authors' package as flags.
    "sgdsai": (
        optzoo.sgdsai,
        dict(
            learning_rate=1e-3,
            momentum=0.8,
            weight_decay=1e-2,
            first_momentum_is_grad=False,
            snr_on_vectors=False,
        ),
        "SGDSaI",
        dict(lr=1e-3, momentum=0.8, weight_decay=1e-2),
        {},
    ),
    "sgdsai_no_momentum": (
        optzoo.sgdsai,
        dict(learning_rate=1e-3, momentum=0.0, weight_decay=1e-2, snr_on_vectors=False),
        "SGDSaI",
        dict(lr=1e-3, momentum=0.0, weight_decay=1e-2),
        {},
    ),
    # alpha = 0: the initial velocity is zero on both sides (else it is random).
    "gravity": (
        optzoo.gravity,
        dict(learning_rate=0.05, alpha=0.0, beta=0.8),
        "Gravity",
        dict(lr=0.05, alpha=0.0, beta=0.8),
        {},
    ),
    # pytorch_optimizer's form (weights shifted by one step, no iterate average) as a flag;
    # the weights restart within the 60 steps. The paper's form: tests/authors.
    "srmm": (
        optzoo.srmm,
        dict(learning_rate=0.05, beta=0.6, memory_length=25, variant="pytorch_optimizer"),
        "SRMM",
        dict(lr=0.05, beta=0.6, memory_length=25),
        {},
    ),
    # Decoupled decay (pytorch_optimizer's default); its norms run along dim 0.
    "tam": (
        optzoo.tam,
        dict(learning_rate=0.02, momentum=0.8, decay_rate=0.7, weight_decay=1e-2, axis=0),
        "TAM",
        dict(lr=0.02, momentum=0.8, decay_rate=0.7, weight_decay=1e-2),
        {},
    ),
    "a2grad_uni": (
        optzoo.a2grad,
        dict(beta=5.0, lips=3.0, rho=0.7, variant="uni"),
        "A2Grad",
        dict(beta=5.0, lips=3.0, rho=0.7, variant="uni"),
        {},
    ),
    "a2grad_inc": (
        optzoo.a2grad,
        dict(beta=5.0, lips=3.0, rho=0.7, variant="inc"),
        "A2Grad",
        dict(beta=5.0, lips=3.0, rho=0.7, variant="inc"),
        {},
    ),
    "a2grad_exp": (
        optzoo.a2grad,
        dict(beta=5.0, lips=3.0, rho=0.7, variant="exp"),
        "A2Grad",
        dict(beta=5.0, lips=3.0, rho=0.7, variant="exp"),
        {},
    ),
    "aggmo": (
        optzoo.aggmo,
        dict(learning_rate=0.02, betas=(0.0, 0.9, 0.99), weight_decay=1e-2),
        "AggMo",
        dict(lr=0.02, betas=(0.0, 0.9, 0.99), weight_decay=1e-2),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, TORCH_CASES)


def test_qhm_limits_are_sgd_and_ema_momentum():
    params = {"w": jnp.array([1.0, -2.0])}
    grads = [{"w": jnp.array([0.5, 0.1]) * (i + 1)} for i in range(4)]

    def run(tx):
        state, out = tx.init(params), []
        for g in grads:
            u, state = tx.update(g, state, params)
            out.append(np.asarray(u["w"]))
        return np.stack(out)

    np.testing.assert_allclose(run(optzoo.qhm(0.1, nu=0.0)), run(optzoo.sgd(0.1)), rtol=1e-6)
    ema = run(optzoo.qhm(0.1, momentum=0.9, nu=1.0))
    # nu = 1: an EMA (weights 1 - momentum) where SGD's heavy ball sums the gradients.
    np.testing.assert_allclose(ema, run(optzoo.sgd(0.01, momentum=0.9)), rtol=1e-6)


def test_aggmo_rejects_bad_betas():
    with pytest.raises(ValueError, match="betas"):
        optzoo.aggmo(0.1, betas=())
    with pytest.raises(ValueError, match=r"betas\[1\]"):
        optzoo.aggmo(0.1, betas=(0.0, 1.5))


# asgd has torch.optim.ASGD's semantics (pytorch_optimizer's ASGD is another method, the
# adaptive-step SGD of Malitsky & Mishchenko): the iterates and the average ``ax``.
@pytest.mark.parametrize("t0", [1e6, 20.0])
def test_asgd_matches_torch_optim_asgd(t0):
    torch = pytest.importorskip("torch")
    from _helpers import TORCH_STEPS, make_problem, max_rel_err, torch_trajectory, trajectory

    kw = dict(lambd=1e-2, alpha=0.6, t0=t0, weight_decay=1e-2)
    holder = {}

    def make(ps, **k):
        holder["opt"] = torch.optim.ASGD(ps, **k)
        return holder["opt"]

    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jnp.float64)
        traj, state = trajectory(optzoo.asgd(0.05, **kw), params, loss, TORCH_STEPS)
        ref = torch_trajectory(make, dict(lr=0.05, **kw), params, loss, TORCH_STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    assert err <= 1e-6, err
    assert max_rel_err(traj[-1], traj[0]) > 1e-3
    opt, names = holder["opt"], sorted(params)
    tensors = opt.param_groups[0]["params"]
    their_ax = {k: opt.state[p]["ax"].numpy() for k, p in zip(names, tensors, strict=True)}
    ours_ax = optax.tree.get(state, "ax")
    assert max_rel_err(ours_ax, their_ax) <= 1e-6
    if t0 < TORCH_STEPS:  # averaging started: the average is not the last iterate
        assert max_rel_err(ours_ax, traj[-1]) > 1e-4


# Gravity's random initial velocity: pytorch_optimizer's state is set to optzoo's draw.
def test_gravity_matches_pytorch_optimizer_from_the_same_random_start():
    pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    import torch
    from _helpers import TORCH_STEPS, make_problem, max_rel_err, torch_trajectory, trajectory

    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jnp.float64)
        tx = optzoo.gravity(0.05, alpha=0.02, key=3)
        v0 = optax.tree.get(tx.init(params), "velocity")
        assert float(jnp.std(v0["w"])) > 0.1  # alpha / lr = 0.4

        def make(ps, **kw):
            opt = pto.Gravity(ps, **kw)
            for k, p in zip(sorted(params), ps, strict=True):
                opt.state[p]["v"] = torch.tensor(np.asarray(v0[k]))
            return opt

        traj, _ = trajectory(tx, params, loss, TORCH_STEPS)
        ref = torch_trajectory(make, dict(lr=0.05, alpha=0.02), params, loss, TORCH_STEPS)
    assert max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True)) <= 1e-6


# VSGD: decoupled decay (pytorch_optimizer's default weight_decouple=True) and L2.
VSGD_CASES = {
    "vsgd": (
        optzoo.vsgd,
        dict(learning_rate=0.05, weight_decay=1e-2),
        "VSGD",
        dict(lr=0.05, weight_decay=1e-2),
        {},
    ),
    "vsgd_l2": (
        optzoo.vsgd,
        dict(
            learning_rate=0.05,
            ghattg=10.0,
            ps=1e-3,
            tau1=0.7,
            tau2=0.8,
            weight_decay=1e-2,
            weight_decouple=False,
        ),
        "VSGD",
        dict(
            lr=0.05,
            ghattg=10.0,
            ps=1e-3,
            tau1=0.7,
            tau2=0.8,
            weight_decay=1e-2,
            weight_decouple=False,
        ),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(VSGD_CASES))
def test_vsgd_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, VSGD_CASES)


# ---------------------------------------------- optax's optimistic GD and noisy SGD (optax)

from _helpers import check_matches_optax, check_transform_matches_optax  # noqa: E402

# name -> (optzoo factory, kwargs, optax reference, kwargs); non-default hyperparameters.
OPTAX_SGD_CASES = {
    "optimistic_gradient_descent": (
        optzoo.optimistic_gradient_descent,
        dict(learning_rate=0.02, alpha=0.7, beta=0.4),
        optax.optimistic_gradient_descent,
        None,
    ),
    "optimistic_gradient_descent_schedule": (
        optzoo.optimistic_gradient_descent,
        dict(learning_rate=optax.linear_schedule(0.05, 0.01, 50)),
        optax.optimistic_gradient_descent,
        None,
    ),
    "noisy_sgd": (
        optzoo.noisy_sgd,
        dict(learning_rate=0.02, eta=0.05, gamma=0.6, key=3),
        optax.noisy_sgd,
        None,
    ),
}


@pytest.mark.parametrize("name", sorted(OPTAX_SGD_CASES))
def test_matches_optax(name):
    check_matches_optax(name, OPTAX_SGD_CASES)


@pytest.mark.parametrize("name", ["scale_by_optimistic_gradient"])
def test_transform_matches_optax(name):
    check_transform_matches_optax(
        name, {"scale_by_optimistic_gradient": (dict(alpha=0.5, beta=2.0), name)}
    )


def test_optimistic_gradient_descent_is_two_g_minus_previous():
    """alpha = beta = 1: u_t = 2 g_t - g_{t-1}, and u_1 = g_1."""
    tx = optzoo.optimistic_gradient_descent(1.0)
    params = jnp.zeros(2)
    state = tx.init(params)
    grads = [jnp.array([1.0, -2.0]), jnp.array([3.0, 0.5]), jnp.array([-1.0, 1.0])]
    outs = []
    for g in grads:
        u, state = tx.update(g, state, params)
        outs.append(np.asarray(u))
    np.testing.assert_allclose(outs[0], -grads[0])
    np.testing.assert_allclose(outs[1], -(2 * grads[1] - grads[0]))
    np.testing.assert_allclose(outs[2], -(2 * grads[2] - grads[1]))
