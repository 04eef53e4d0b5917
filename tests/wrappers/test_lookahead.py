"""Lookahead against optax.lookahead."""

from __future__ import annotations

import pathlib
import sys

import jax
import numpy as np
import optax

import optzoo

# The shared problem sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _wrappers_problem import _loss, _params, _rel, _run  # noqa: E402

# ---------------------------------------------------------------- lookahead


def test_lookahead_matches_optax_lookahead():
    with jax.enable_x64(True):
        p0 = _params(3)
        fast = optax.adam(0.05, b1=0.8)
        ours, _ = _run(optzoo.with_lookahead(fast, sync_period=4, slow_step_size=0.3), p0, 100)
        ref_tx = optax.lookahead(fast, sync_period=4, slow_step_size=0.3)
        lp = optax.LookaheadParams.init_synced(p0)
        state = ref_tx.init(lp)
        ref = []
        step = jax.jit(lambda lp, s: ref_tx.update(jax.grad(_loss)(lp.fast), s, lp))
        for _ in range(100):
            u, state = step(lp, state)
            lp = optax.apply_updates(lp, u)
            ref.append(jax.tree.map(np.asarray, lp.fast))
        assert _rel(ours, ref) <= 1e-6
