"""Magma (momentum-aligned gradient masking on AdamW) against pytorch_optimizer with masks that
always keep (mask_prob 1: torch and JAX draw differently), and its masks' statistics."""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import optzoo

sys.path.insert(0, str(pathlib.Path(__file__).parent.parent / "optimizers"))
from _helpers import check_matches_pytorch_optimizer  # noqa: E402

CASES = {
    "magma": (
        optzoo.magma,
        dict(learning_rate=1e-2, mask_prob=1.0),
        "Magma",
        dict(lr=1e-2, mask_prob=1.0),
        {},
    ),
    "magma_tau": (
        optzoo.magma,
        dict(
            learning_rate=1e-2,
            b1=0.8,
            b2=0.99,
            weight_decay=0.1,
            mask_prob=1.0,
            tau=0.5,
            alignment_ema=0.5,
        ),
        "Magma",
        dict(
            lr=1e-2,
            betas=(0.8, 0.99),
            weight_decay=0.1,
            mask_prob=1.0,
            tau=0.5,
            alignment_ema=0.5,
        ),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_magma_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, CASES)


def test_magma_masks_whole_leaves_at_the_rate():
    tx = optzoo.magma(1e-2, mask_prob=0.3, seed=1)
    params = {f"p{i}": jnp.ones(4) for i in range(50)}
    state = tx.init(params)
    step = jax.jit(tx.update)
    kept = []
    for _ in range(20):
        u, state = step(jax.tree.map(jnp.ones_like, params), state, params)
        for leaf in jax.tree.leaves(u):
            leaf = np.asarray(leaf)
            assert np.all(leaf == 0) or np.all(leaf != 0)  # whole leaves
            kept.append(bool(np.any(leaf != 0)))
    assert 0.2 < np.mean(kept) < 0.4


def test_magma_never_keeping_never_moves():
    tx = optzoo.magma(1e-2, mask_prob=0.0)
    params = {"w": jnp.ones((3, 2))}
    u, _ = tx.update(params, tx.init(params), params)
    assert not np.any(np.asarray(u["w"]))
