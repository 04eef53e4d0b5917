"""Learning-rate-free optimizers: COCOB, DoG, Prodigy, D-Adaptation and Mechanic against
optax.contrib (100 steps), D-Adapt SGD against pytorch_optimizer (float64, 60 steps)."""

from __future__ import annotations

import pathlib
import sys

import optax
import optax.contrib as contrib
import pytest

import optzoo

# The shared helpers sit next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _helpers import check_matches_optax, check_matches_pytorch_optimizer, slow_marked  # noqa: E402

# name -> (optzoo factory, kwargs, optax reference, kwargs); non-default hyperparameters.
OPTAX_CASES = {
    "cocob": (optzoo.cocob, dict(alpha=50.0, weight_decay=1e-3), contrib.cocob, None),
    "dog": (
        optzoo.dog,
        dict(learning_rate=0.8, init_step=("heuristic", 1e-4), weight_decay=1e-3),
        contrib.dog,
        None,
    ),
    "dog_lr_init": (optzoo.dog, dict(init_step=("learning_rate", 1e-3)), contrib.dog, None),
    "prodigy": (
        optzoo.prodigy,
        dict(betas=(0.8, 0.99), weight_decay=0.01, estim_lr0=1e-4),
        contrib.prodigy,
        None,
    ),
    "prodigy_safeguard": (
        optzoo.prodigy,
        dict(learning_rate=optax.linear_schedule(0.1, 1.0, 20), safeguard_warmup=True, beta3=0.9),
        contrib.prodigy,
        None,
    ),
    "dadapt_adamw": (
        optzoo.dadapt_adamw,
        dict(betas=(0.8, 0.99), weight_decay=0.01, estim_lr0=1e-4),
        contrib.dadapt_adamw,
        None,
    ),
    "mechanize_sgd": (
        lambda **k: optzoo.mechanize(optax.sgd(0.1), **k),
        dict(weight_decay=1e-3, s_init=1e-5, num_betas=4),
        lambda **k: contrib.mechanize(optax.sgd(0.1), **k),
        None,
    ),
    "mechanic": (
        optzoo.mechanic,
        dict(learning_rate=1e-2, weight_decay=1e-3),
        lambda learning_rate, weight_decay: contrib.mechanize(
            optax.adam(learning_rate), weight_decay=weight_decay
        ),
        None,
    ),
}


# Second configurations of an optimizer already covered: run with the slow tests.
OPTAX_SLOW = {"dog_lr_init", "mechanize_sgd", "prodigy_safeguard"}


@pytest.mark.parametrize("name", slow_marked(OPTAX_CASES, OPTAX_SLOW))
def test_matches_optax(name):
    check_matches_optax(name, OPTAX_CASES)


# name -> (optzoo factory, kwargs, pytorch_optimizer class name, kwargs, problem kwargs)
TORCH_CASES = {
    "dadapt_sgd": (
        optzoo.dadapt_sgd,
        dict(learning_rate=0.5, momentum=0.8, d0=1e-3, weight_decay=1e-3, growth_rate=1.5),
        "DAdaptSGD",
        dict(lr=0.5, momentum=0.8, d0=1e-3, weight_decay=1e-3, growth_rate=1.5),
        {},
    ),
}


TORCH_SLOW: set[str] = set()


@pytest.mark.parametrize("name", slow_marked(TORCH_CASES, TORCH_SLOW))
def test_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, TORCH_CASES)


def test_mechanic_rejects_an_unknown_variant():
    with pytest.raises(ValueError, match="variant"):
        optzoo.mechanic(variant="paper")


def test_dadapt_adamw_rejects_a_nonpositive_growth_rate():
    with pytest.raises(ValueError, match="growth_rate"):
        optzoo.dadapt_adamw(growth_rate=0.0)


# ------------------------------------------------------ DoWG, MoMo, MoMo-Adam (optax.contrib)

# name -> (optzoo factory, kwargs, optax reference, kwargs); non-default hyperparameters.
OPTAX_CONTRIB_CASES = {
    "dowg": (
        optzoo.dowg,
        dict(weight_decay=1e-3, init_estim_sq_dist=1e-3, eps=1e-6),
        contrib.dowg,
        None,
    ),
    "dowg_defaults": (optzoo.dowg, dict(), contrib.dowg, None),
}


@pytest.mark.parametrize("name", sorted(OPTAX_CONTRIB_CASES))
def test_contrib_matches_optax(name):
    check_matches_optax(name, OPTAX_CONTRIB_CASES)


import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from _helpers import OPTAX_STEPS, TOL, make_problem, max_rel_err  # noqa: E402


def _value_trajectory(tx, params, loss, steps):
    """Jitted updates that pass the loss (``update(..., value=loss)``)."""

    @jax.jit
    def step(p, s):
        value, g = jax.value_and_grad(loss)(p)
        u, s = tx.update(g, s, p, value=value)
        return optax.apply_updates(p, u), s

    state, out, p = tx.init(params), [params], params
    for _ in range(steps):
        p, state = step(p, state)
        out.append(p)
    return out, state


# name -> (optzoo factory, optax factory, kwargs): the optimizers that take ``value=``.
MOMO_CASES = {
    "momo": (optzoo.momo, contrib.momo, dict(learning_rate=0.5, beta=0.8, weight_decay=1e-3)),
    "momo_adaptive": (
        optzoo.momo,
        contrib.momo,
        dict(
            learning_rate=optax.linear_schedule(1.0, 0.1, 50),
            lower_bound=-1.0,
            adapt_lower_bound=True,
        ),
    ),
    "momo_adam": (
        optzoo.momo_adam,
        contrib.momo_adam,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, weight_decay=1e-3),
    ),
    "momo_adam_adaptive": (
        optzoo.momo_adam,
        contrib.momo_adam,
        dict(learning_rate=0.05, lower_bound=-1.0, adapt_lower_bound=True),
    ),
}


@pytest.mark.parametrize("name", sorted(MOMO_CASES))
def test_momo_matches_optax(name):
    ours, ref, kwargs = MOMO_CASES[name]
    params, loss = make_problem()
    traj, state = _value_trajectory(ours(**kwargs), params, loss, OPTAX_STEPS)
    ref_traj, ref_state = _value_trajectory(ref(**kwargs), params, loss, OPTAX_STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref_traj, strict=True))
    assert err <= TOL, f"{name}: max rel err {err:.3g}"
    assert jax.tree.structure(state) == jax.tree.structure(ref_state)
    assert type(state) is type(ref_state)
    assert max_rel_err(traj[-1], traj[0]) > 1e-3


def test_momo_needs_the_loss():
    params = {"w": jnp.ones(2)}
    for tx in (optzoo.momo(), optzoo.momo_adam()):
        with pytest.raises(ValueError, match="loss value"):
            tx.update(params, tx.init(params), params, value=None)
