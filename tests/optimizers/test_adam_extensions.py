"""More Adam-family members against pytorch_optimizer 4.1.0 (float64, 60 steps, the shared
regression problem with a vector, a matrix and a rank-3 leaf): Adai, ..."""

import pathlib
import sys

import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import (  # noqa: E402
    TORCH_STEPS,
    check_matches_pytorch_optimizer,
    make_problem,
    trajectory,
)

# name -> (optzoo factory, kwargs, pytorch_optimizer class name, kwargs, problem kwargs)
TORCH_CASES = {
    # Coupled L2 decay (pytorch_optimizer's default weight_decouple=False).
    "adai": (
        optzoo.adai,
        dict(learning_rate=0.1, b0=0.1, b2=0.99, eps=1e-3, weight_decay=1e-2),
        "Adai",
        dict(lr=0.1, betas=(0.1, 0.99), eps=1e-3, weight_decay=1e-2),
        {},
    ),
    "adai_decoupled": (
        optzoo.adai,
        dict(learning_rate=0.1, b0=0.2, b2=0.9, weight_decay=1e-2, decouple=True),
        "Adai",
        dict(lr=0.1, betas=(0.2, 0.9), weight_decay=1e-2, weight_decouple=True),
        {},
    ),
    "adai_dampening": (
        optzoo.adai,
        dict(learning_rate=0.05, b0=0.1, b2=0.99, dampening=0.5, weight_decay=1e-2),
        "Adai",
        dict(lr=0.05, betas=(0.1, 0.99), dampening=0.5, weight_decay=1e-2),
        {},
    ),
    # pytorch_optimizer's per-tensor switch; eps and b2 chosen so that it switches to SGD
    # within the 60 steps (test_swats_switches checks that it does).
    "swats": (
        optzoo.swats,
        dict(
            learning_rate=1e-2,
            b2=0.9,
            eps=1e-2,
            eps_root=1e-15,
            convention="pytorch_optimizer",
            weight_decay=1e-2,
        ),
        "SWATS",
        dict(lr=1e-2, betas=(0.9, 0.9), eps=1e-2, weight_decay=1e-2),
        {},
    ),
    "swats_amsgrad": (
        optzoo.swats,
        dict(
            learning_rate=1e-2,
            b2=0.99,
            eps=0.2,
            eps_root=1e-15,
            amsgrad=True,
            convention="pytorch_optimizer",
        ),
        "SWATS",
        dict(lr=1e-2, betas=(0.9, 0.99), eps=0.2, ams_bound=True),
        {},
    ),
    # pytorch_optimizer's MSVAG has no weight decay.
    "msvag": (
        optzoo.msvag,
        dict(learning_rate=0.05, beta=0.9),
        "MSVAG",
        dict(lr=0.05, beta=0.9),
        {},
    ),
    "msvag_beta": (
        optzoo.msvag,
        dict(learning_rate=0.05, beta=0.5),
        "MSVAG",
        dict(lr=0.05, beta=0.5),
        {},
    ),
    # Decoupled decay on both sides (pytorch_optimizer's default weight_decouple=True).
    "adatam": (
        optzoo.adatam,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, decay_rate=0.8, weight_decay=1e-2),
        "AdaTAM",
        dict(lr=1e-2, betas=(0.9, 0.99), decay_rate=0.8, weight_decay=1e-2),
        {},
    ),
    "adatam_coupled": (
        optzoo.adatam,
        dict(learning_rate=1e-2, weight_decay=1e-2, decouple=False),
        "AdaTAM",
        dict(lr=1e-2, weight_decay=1e-2, weight_decouple=False),
        {},
    ),
    # switch_rate 0.05: the inverse step's weight reaches 0 within the 60 steps, so both
    # regimes are compared. Coupled L2 decay (pytorch_optimizer's default).
    "dualadam": (
        optzoo.dualadam,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, switch_rate=0.05, weight_decay=1e-2),
        "DualAdam",
        dict(lr=1e-2, betas=(0.9, 0.99), switch_rate=0.05, weight_decay=1e-2),
        {},
    ),
    "dualadam_decoupled": (
        optzoo.dualadam,
        dict(learning_rate=1e-2, switch_rate=0.03, weight_decay=1e-2, decouple=True),
        "DualAdam",
        dict(lr=1e-2, switch_rate=0.03, weight_decay=1e-2, weight_decouple=True),
        {},
    ),
    # extra_l2 = 0: pytorch_optimizer 4.1.0 writes the extra term as (gamma - l2) / 2, the
    # authors as gamma / 2 + l2.
    "amos": (
        optzoo.amos,
        dict(learning_rate=0.05, beta=0.99),
        "Amos",
        dict(lr=0.05, beta=0.99),
        {},
    ),
    "amos_momentum": (
        optzoo.amos,
        dict(learning_rate=0.05, beta=0.9, momentum=0.9, c_coef=0.5, d_coef=0.1),
        "Amos",
        dict(lr=0.05, beta=0.9, momentum=0.9, c_coef=0.5, d_coef=0.1),
        {},
    ),
    # sn=True puts every tensor in subsets (pytorch_optimizer reads the group's "sn" key);
    # pytorch_optimizer decays the updated weights.
    "adamwsn": (
        optzoo.adamwsn,
        dict(
            learning_rate=1e-2,
            b2=0.99,
            weight_decay=1e-2,
            subset_norm=True,
            decay_updated_weights=True,
        ),
        "AdamWSN",
        dict(lr=1e-2, betas=(0.9, 0.99), weight_decay=1e-2, sn=True),
        {},
    ),
    "adamwsn_subset_size": (
        optzoo.adamwsn,
        dict(learning_rate=1e-2, subset_size=4, subset_norm=True, decay_updated_weights=True),
        "AdamWSN",
        dict(lr=1e-2, subset_size=4, sn=True),
        {},
    ),
    "adamwsn_adam": (
        optzoo.adamwsn,
        dict(learning_rate=1e-2, weight_decay=1e-2, subset_norm=False, decay_updated_weights=True),
        "AdamWSN",
        dict(lr=1e-2, weight_decay=1e-2),
        {},
    ),
    # A constant rate: AdamC is AdamW (test_adamc_schedule_matches_pytorch_optimizer checks
    # the corrected decay under a schedule).
    "adamc": (
        optzoo.adamc,
        dict(learning_rate=1e-2, b2=0.99, weight_decay=0.1, eps_root=1e-15, normalized=True),
        "AdamC",
        dict(lr=1e-2, betas=(0.9, 0.99), weight_decay=0.1, normalized=True),
        {},
    ),
    "adamc_amsgrad": (
        optzoo.adamc,
        dict(learning_rate=1e-2, weight_decay=0.1, eps_root=1e-15, amsgrad=True),
        "AdamC",
        dict(lr=1e-2, weight_decay=0.1, ams_bound=True),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, TORCH_CASES)


@pytest.mark.parametrize("name", ["swats", "swats_amsgrad"])
def test_swats_switches(name):
    """The reference cases reach the SGD phase, so both phases are compared."""
    ours, kwargs, *_ = TORCH_CASES[name]
    params, loss = make_problem()
    _, state = trajectory(ours(**kwargs), params, loss, TORCH_STEPS)
    swats_state = [s for s in state if isinstance(s, optzoo.ScaleBySWATSState)][0]
    assert bool(swats_state.sgd) and float(swats_state.sgd_rate) > 0


def test_adamc_schedule_matches_pytorch_optimizer():
    """Under a decaying rate the normalized leaves ("w", "k") decay by lr_t^2 / lr_max * wd,
    the others ("b") by lr_t * wd, as pytorch_optimizer's AdamC with a LambdaLR schedule."""
    torch = pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    import jax
    import numpy as np

    peak, wd, steps = 2e-2, 0.5, TORCH_STEPS

    def factor(t):
        return 1.0 / (1.0 + 0.1 * t)

    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jax.numpy.float64)
        tx = optzoo.adamc(
            lambda t: peak * factor(t),
            weight_decay=wd,
            eps_root=1e-15,
            normalized={"w": True, "b": False, "k": True},
            max_learning_rate=peak,
        )
        traj, _ = trajectory(tx, params, loss, steps)
        tp = {k: torch.tensor(np.asarray(params[k]), requires_grad=True) for k in params}
        groups = [
            {"params": [tp["w"], tp["k"]], "normalized": True},
            {"params": [tp["b"]], "normalized": False},
        ]
        opt = pto.AdamC(groups, lr=peak, weight_decay=wd)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        grad = jax.jit(jax.grad(loss))
        for i in range(steps):
            g = grad({k: jax.numpy.asarray(tp[k].detach().numpy()) for k in tp})
            for k in tp:
                tp[k].grad = torch.tensor(np.array(g[k]))
            opt.step()
            sched.step()
            for k in tp:
                ref = tp[k].detach().numpy()
                err = np.max(np.abs(np.asarray(traj[i + 1][k]) - ref)) / np.max(np.abs(ref))
                assert err < 1e-6, (i, k, err)
    # The schedule matters: AdamW's decay (none normalized) lands elsewhere.
    with jax.enable_x64(True):
        other, _ = trajectory(
            optzoo.adamc(lambda t: peak * factor(t), weight_decay=wd, max_learning_rate=peak),
            params,
            loss,
            steps,
        )
    assert np.max(np.abs(np.asarray(other[-1]["w"]) - np.asarray(traj[-1]["w"]))) > 1e-4
