"""Reference tests of the newer learning-rate-free optimizers: float64 trajectories on the
vector/matrix/rank-3 problem against the authors' package (``dadaptation`` 3.2) where it has
the class, else against ``pytorch_optimizer``."""

from __future__ import annotations

import pathlib
import sys

import jax
import pytest

import optzoo

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import (  # noqa: E402
    TOL,
    TORCH_STEPS,
    make_problem,
    max_rel_err,
    torch_trajectory,
    trajectory,
)

# name -> (optzoo factory, kwargs, (module, class name), reference kwargs)
CASES = {
    "dadapt_adagrad": (
        optzoo.dadapt_adagrad,
        dict(learning_rate=0.5, d0=1e-3, weight_decay=1e-2, eps=1e-5),
        ("dadaptation", "DAdaptAdaGrad"),
        dict(lr=0.5, d0=1e-3, weight_decay=1e-2, eps=1e-5),
    ),
    "dadapt_adagrad_momentum": (
        optzoo.dadapt_adagrad,
        dict(learning_rate=0.5, momentum=0.7, d0=1e-3, weight_decay=1e-2, growth_rate=1.5),
        ("dadaptation", "DAdaptAdaGrad"),
        dict(lr=0.5, momentum=0.7, d0=1e-3, weight_decay=1e-2, growth_rate=1.5),
    ),
    "dadapt_lion": (
        optzoo.dadapt_lion,
        dict(learning_rate=0.5, b1=0.8, b2=0.95, d0=1e-3, weight_decay=1e-2),
        ("dadaptation", "DAdaptLion"),
        dict(lr=0.5, betas=(0.8, 0.95), d0=1e-3, weight_decay=1e-2),
    ),
    "dadapt_lion_pytorch_optimizer": (
        optzoo.dadapt_lion,
        dict(learning_rate=0.5, b1=0.8, b2=0.95, d0=1e-3, weight_decay=1e-2),
        ("pytorch_optimizer", "DAdaptLion"),
        dict(lr=0.5, betas=(0.8, 0.95), d0=1e-3, weight_decay=1e-2, weight_decouple=True),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_reference(name):
    pytest.importorskip("torch")
    ours, kwargs, (module, cls), ref_kwargs = CASES[name]
    ref_cls = getattr(pytest.importorskip(module), cls)
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jax.numpy.float64)
        traj, _ = trajectory(ours(**kwargs), params, loss, TORCH_STEPS)
        ref = torch_trajectory(ref_cls, ref_kwargs, params, loss, TORCH_STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    print(f"{name}: max rel err {err:.3g}")
    assert err <= TOL, f"{name}: max rel err {err:.3g}"
    assert max_rel_err(traj[-1], traj[0]) > 1e-3  # it moved
