"""optzoo's own implementations of optax's optimizers give optax's numbers (100 steps)."""

from __future__ import annotations

import jax
import optax
import pytest

import optzoo
from test_zoo_a_helpers import make_problem, max_rel_err, trajectory

STEPS = 100
TOL = 1e-6

# name -> (optzoo factory, kwargs, optax reference, kwargs); non-default hyperparameters.
CASES = {
    "lion": (optzoo.lion, dict(learning_rate=3e-3, b1=0.8, b2=0.95, weight_decay=0.1),
             optax.lion, None),
    "lamb": (optzoo.lamb, dict(learning_rate=1e-2, b1=0.8, b2=0.99, weight_decay=0.05),
             optax.lamb, None),
    "lars": (optzoo.lars, dict(learning_rate=0.5, weight_decay=1e-3, momentum=0.8, nesterov=True,
                               trust_coefficient=0.01), optax.lars, None),
    "adabelief": (optzoo.adabelief, dict(learning_rate=1e-2, b1=0.85, b2=0.99, eps=1e-8),
                  optax.adabelief, None),
    "adabelief_nesterov": (optzoo.adabelief, dict(learning_rate=1e-2, nesterov=True),
                           optax.adabelief, None),
    "radam": (optzoo.radam, dict(learning_rate=1e-2, b1=0.8, b2=0.99, threshold=4.0),
              optax.radam, None),
    "radam_nesterov": (optzoo.radam, dict(learning_rate=1e-2, nesterov=True), optax.radam, None),
    "adan": (optzoo.adan, dict(learning_rate=1e-2, b1=0.9, b2=0.9, b3=0.95, weight_decay=0.01),
             optax.adan, None),
    "yogi": (optzoo.yogi, dict(learning_rate=2e-2, b1=0.8, b2=0.99, eps=1e-4), optax.yogi, None),
    "novograd": (optzoo.novograd, dict(learning_rate=1e-2, b1=0.8, b2=0.5, weight_decay=0.01),
                 optax.novograd, None),
    "sign_sgd": (optzoo.sign_sgd, dict(learning_rate=3e-3), optax.sign_sgd, None),
    "signum": (optzoo.signum, dict(learning_rate=3e-3, beta=0.7), optax.signum, None),
    "rprop": (optzoo.rprop, dict(learning_rate=1e-2, eta_minus=0.4, eta_plus=1.3,
                                 max_step_size=0.5), optax.rprop, None),
    "sm3": (optzoo.sm3, dict(learning_rate=0.05, momentum=0.8), optax.sm3, None),
}


def _tree_types(state):
    return [type(s).__name__ for s in jax.tree.leaves(
        state, is_leaf=lambda x: isinstance(x, tuple) and hasattr(x, "_fields"))]


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_optax(name):
    ours, kwargs, ref, ref_kwargs = CASES[name]
    params, loss = make_problem()
    traj, state = trajectory(ours(**kwargs), params, loss, STEPS)
    ref_traj, ref_state = trajectory(ref(**(ref_kwargs or kwargs)), params, loss, STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref_traj, strict=True))
    assert err <= TOL, f"{name}: max rel err {err:.3g}"
    # Same state classes, same tree structure.
    assert jax.tree.structure(state) == jax.tree.structure(ref_state)
    assert _tree_types(state) == _tree_types(ref_state)
    # The trajectory moved: the comparison is not vacuous.
    assert max_rel_err(traj[-1], traj[0]) > 1e-3
