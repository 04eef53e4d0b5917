"""Zoo optimizers and blocks reject invalid hyperparameters with an error naming them."""

from __future__ import annotations

import jax.numpy as jnp
import pytest

import optzoo

# Invalid hyperparameters raise a ValueError that names the parameter.
INVALID = [
    (optzoo.lion, dict(learning_rate=1e-3, b2=1.5), "b2"),  # 1.0 is legal, as in optax
    (optzoo.adabelief, dict(learning_rate=1e-3, b1=-0.1), "b1"),
    (optzoo.adan, dict(learning_rate=1e-3, b3=1.5), "b3"),
    (optzoo.ademamix, dict(learning_rate=float("nan")), "learning_rate"),
    (optzoo.came, dict(learning_rate=1e-3, clip_threshold=0.0), "clip_threshold"),
    (optzoo.stable_adamw, dict(learning_rate=1e-3, weight_decay=-1.0), "weight_decay"),
    (optzoo.adabound, dict(learning_rate=1e-3, gamma=0.0), "gamma"),
    (optzoo.mars_adamw, dict(learning_rate=1e-3, gamma=-1.0), "gamma"),
    (optzoo.ftrl, dict(learning_rate=0.1, learning_rate_power=0.5), "learning_rate_power"),
    (optzoo.ftrl, dict(learning_rate=0.1, l1_regularization_strength=-1.0), "l1_regularization"),
    (optzoo.prodigy, dict(betas=(0.9, 1.0)), "beta2"),
    (optzoo.dadapt_sgd, dict(momentum=1.0), "momentum"),
    (optzoo.dadapt_lion, dict(b2=1.0), "b2"),
    (optzoo.dadapt_adagrad, dict(momentum=1.0), "momentum"),
    (optzoo.alig, dict(momentum=1.0), "momentum"),
    (optzoo.adamg, dict(b3=1.0), "b3"),
    (optzoo.dadapt_adan, dict(b3=1.0), "b3"),
    (optzoo.schedule_free_radam, dict(b1=1.0), "b1"),
    (optzoo.mechanize, dict(base_optimizer=optzoo.sgd(1.0), s_init=0.0), "s_init"),
]


@pytest.mark.parametrize(
    "factory,kwargs,word", INVALID, ids=[f"{f.__name__}-{w}" for f, _, w in INVALID]
)
def test_invalid_hyperparameters_raise(factory, kwargs, word):
    with pytest.raises(ValueError, match=word):
        factory(**kwargs)


def test_mode_and_init_step_are_checked():
    # As in optax, an unknown lion mode is reported when the update is traced.
    tx = optzoo.scale_by_lion(mode="soft")
    params = {"w": jnp.ones(3)}
    with pytest.raises(ValueError, match="mode"):
        tx.update(params, tx.init(params), params)
    with pytest.raises(ValueError, match="mode"):
        optzoo.scale_by_mars(mode="sgd")
    with pytest.raises(ValueError, match="init_step"):
        optzoo.scale_by_dog(("guess", 1.0))
