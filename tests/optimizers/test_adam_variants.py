"""Adam variants beyond optax: QHAdam, AdaMod and diffGrad against pytorch_optimizer (float64,
60 steps, the shared regression problem with a vector, a matrix and a rank-3 leaf)."""

import pathlib
import sys

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
    # Coupled L2 decay (pytorch_optimizer's default weight_decouple=False).
    "qhadam": (
        optzoo.qhadam,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, nu1=0.7, nu2=0.9, eps=1e-8, weight_decay=1e-2),
        "QHAdam",
        dict(lr=1e-2, betas=(0.9, 0.99), nus=(0.7, 0.9), eps=1e-8, weight_decay=1e-2),
        {},
    ),
    # Decoupled decay on both sides (pytorch_optimizer's default weight_decouple=True).
    "adamod": (
        optzoo.adamod,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, b3=0.9, eps=1e-8, weight_decay=1e-2),
        "AdaMod",
        dict(lr=1e-2, betas=(0.9, 0.99, 0.9), eps=1e-8, weight_decay=1e-2),
        {},
    ),
    "diffgrad": (
        optzoo.diffgrad,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, eps=1e-8, weight_decay=1e-2),
        "DiffGrad",
        dict(lr=1e-2, betas=(0.9, 0.99), eps=1e-8, weight_decay=1e-2),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, TORCH_CASES)


def test_qhadam_with_unit_nus_is_adam():
    params = {"w": jnp.array([1.0, -2.0, 0.5])}
    grads = [{"w": jnp.array([0.5, 0.1, -0.3]) * (i + 1)} for i in range(5)]

    def run(tx):
        state, out = tx.init(params), []
        for g in grads:
            u, state = tx.update(g, state, params)
            out.append(np.asarray(u["w"]))
        return np.stack(out)

    ours = run(optzoo.qhadam(1e-2, b1=0.9, b2=0.999, nu1=1.0, nu2=1.0))
    np.testing.assert_allclose(ours, run(optax.adam(1e-2)), rtol=1e-5)


def test_adamod_coupled_decay_matches_pytorch_optimizer():
    cases = {
        "adamod_coupled": (
            optzoo.adamod,
            dict(learning_rate=1e-2, b3=0.9, weight_decay=1e-2, decouple=False),
            "AdaMod",
            dict(lr=1e-2, betas=(0.9, 0.999, 0.9), weight_decay=1e-2, weight_decouple=False),
            {},
        )
    }
    check_matches_pytorch_optimizer("adamod_coupled", cases)


# AdaNorm, AdaPNM, AdaShift, AvaGrad, FAdam, EXAdam, AdamS and Padam.
try:  # pytorch_optimizer's FAdam keeps float32 states unless told otherwise
    import torch

    FADAM_F64 = {"momentum_dtype": torch.float64, "fim_dtype": torch.float64}
except ImportError:  # the torch tests skip
    FADAM_F64 = {}

LATE_ADAM_CASES = {
    # Decoupled decay on both sides (pytorch_optimizer's default weight_decouple=True).
    "adanorm": (
        optzoo.adanorm,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, r=0.9, eps=1e-8, weight_decay=1e-2),
        "AdaNorm",
        dict(lr=1e-2, betas=(0.9, 0.99), r=0.9, eps=1e-8, weight_decay=1e-2),
        {},
    ),
    "adanorm_coupled_ams": (
        optzoo.adanorm,
        dict(learning_rate=1e-2, r=0.99, weight_decay=1e-2, decouple=False, ams_bound=True),
        "AdaNorm",
        dict(lr=1e-2, r=0.99, weight_decay=1e-2, weight_decouple=False, ams_bound=True),
        {},
    ),
    "adapnm": (
        optzoo.adapnm,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, b0=1.0, weight_decay=1e-2),
        "AdaPNM",
        dict(lr=1e-2, betas=(0.9, 0.99, 1.0), weight_decay=1e-2),
        {},
    ),
    "adapnm_coupled_no_ams": (
        optzoo.adapnm,
        dict(learning_rate=1e-2, b0=0.5, weight_decay=1e-2, decouple=False, ams_bound=False),
        "AdaPNM",
        dict(
            lr=1e-2,
            betas=(0.9, 0.999, 0.5),
            weight_decay=1e-2,
            weight_decouple=False,
            ams_bound=False,
        ),
        {},
    ),
    # pytorch_optimizer's AdaShift has no weight decay; block-wise max and element-wise.
    "adashift": (
        optzoo.adashift,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, keep_num=5, eps=1e-10),
        "AdaShift",
        dict(lr=1e-2, betas=(0.9, 0.99), keep_num=5, eps=1e-10),
        {},
    ),
    "adashift_elementwise": (
        optzoo.adashift,
        dict(learning_rate=1e-2, keep_num=3, reduce_fn=None),
        "AdaShift",
        dict(lr=1e-2, keep_num=3, reduce_func=None),
        {},
    ),
    "avagrad": (
        optzoo.avagrad,
        dict(learning_rate=0.1, b1=0.9, b2=0.99, eps=0.1, weight_decay=1e-2),
        "AvaGrad",
        dict(lr=0.1, betas=(0.9, 0.99), eps=0.1, weight_decay=1e-2),
        {},
    ),
    "avagrad_coupled": (
        optzoo.avagrad,
        dict(learning_rate=0.05, eps=1e-3, weight_decay=1e-2, decouple=False),
        "AvaGrad",
        dict(lr=0.05, eps=1e-3, weight_decay=1e-2, weight_decouple=False),
        {},
    ),
    # The Fisher-preconditioned, clipped decay of both sides; clip=0.5 makes clipping bite.
    "fadam": (
        optzoo.fadam,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, clip=0.5, weight_decay=0.1),
        "FAdam",
        dict(lr=1e-2, betas=(0.9, 0.99), clip=0.5, weight_decay=0.1, **FADAM_F64),
        {},
    ),
    # Adaptive epsilon where eps_2 RMS(g) < eps, and another Fisher power.
    "fadam_adaptive_eps_p": (
        optzoo.fadam,
        dict(learning_rate=1e-2, eps=0.05, eps_2=0.01, p=0.4, weight_decay=0.0),
        "FAdam",
        dict(lr=1e-2, eps=0.05, eps_2=0.01, p=0.4, weight_decay=0.0, **FADAM_F64),
        {},
    ),
    # eps=1e-3 makes the cross-moment ratios v / (v + eps) differ from 1.
    "exadam": (
        optzoo.exadam,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, eps=1e-3, weight_decay=1e-2),
        "EXAdam",
        dict(lr=1e-2, betas=(0.9, 0.99), eps=1e-3, weight_decay=1e-2),
        {},
    ),
    "exadam_coupled": (
        optzoo.exadam,
        dict(learning_rate=1e-2, weight_decay=1e-2, decouple=False),
        "EXAdam",
        dict(lr=1e-2, weight_decay=1e-2, weight_decouple=False),
        {},
    ),
    "adams": (
        optzoo.adams,
        dict(learning_rate=1e-2, b1=0.9, b2=0.99, weight_decay=0.05),
        "AdamS",
        dict(lr=1e-2, betas=(0.9, 0.99), weight_decay=0.05),
        {},
    ),
    "adams_coupled_ams": (
        optzoo.adams,
        dict(learning_rate=1e-2, weight_decay=1e-2, decouple=False, ams_bound=True),
        "AdamS",
        dict(lr=1e-2, weight_decay=1e-2, weight_decouple=False, ams_bound=True),
        {},
    ),
    # Coupled L2 decay (pytorch_optimizer's default weight_decouple=False).
    "padam": (
        optzoo.padam,
        dict(learning_rate=0.05, b1=0.9, b2=0.99, partial=0.125, weight_decay=1e-2),
        "PAdam",
        dict(lr=0.05, betas=(0.9, 0.99), partial=0.125, weight_decay=1e-2),
        {},
    ),
    "padam_decoupled": (
        optzoo.padam,
        dict(learning_rate=0.05, partial=0.25, weight_decay=1e-2, decouple=True),
        "PAdam",
        dict(lr=0.05, partial=0.25, weight_decay=1e-2, weight_decouple=True),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(LATE_ADAM_CASES))
def test_late_adam_variants_match_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, LATE_ADAM_CASES)
