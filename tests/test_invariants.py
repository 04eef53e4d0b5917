"""Generic invariants, checked for every registered optimizer.

One table (the registry) drives every test here: convergence on a quadratic and
on Rosenbrock, equality under ``inject_hyperparams``, composition with ``chain`` /
``masked`` / ``MultiSteps`` under ``jit`` (and no recompilation of that jitted step), and
bf16 parameters keeping bf16 updates.
"""

from __future__ import annotations

import inspect

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from absl.testing import parameterized

import optzoo
from optzoo import registry

NAMES = registry.names()
LEARNING_RATES = jnp.array([1e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0])


def _quadratic(params):
    scales = jnp.linspace(1.0, 5.0, params["w"].size).reshape(params["w"].shape)
    return 0.5 * jnp.sum(scales * params["w"] ** 2) + 0.5 * jnp.sum(params["b"] ** 2)


def _quadratic_init():
    return {"w": jnp.ones((4, 3)), "b": jnp.full((3,), -1.0)}


def _rosenbrock(params):
    x, y = params["xy"][0], params["xy"][1]
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def _rosenbrock_init():
    return {"xy": jnp.array([-1.2, 1.0])}


def _extra_args(name, loss, params, grads):
    """Extra update arguments for optimizers that declare ``needs``."""
    needs = registry.info(name).needs
    if not needs:
        return {}
    return {"value": loss(params), "grad": grads, "value_fn": loss}


def _has_lr(name: str) -> bool:
    return "learning_rate" in inspect.signature(registry.info(name).factory).parameters


# SaRA trains only the weights that start below its threshold (1e-3 by default, for
# fine-tuning); every weight of these problems starts above it, so the runs use a threshold
# that selects them all (its freezing is checked in tests/optimizers/test_sparse.py).
RUN_KWARGS = {"sara": {"threshold": 10.0}}


def _run(name, loss, init, steps, learning_rate=None):
    kwargs = {} if learning_rate is None else {"learning_rate": learning_rate}
    kwargs.update(RUN_KWARGS.get(name, {}))
    tx = optzoo.create(name, **kwargs)
    params = init()
    state = tx.init(params)

    def step(carry, _):
        params, state = carry
        grads = jax.grad(loss)(params)
        updates, state = tx.update(grads, state, params, **_extra_args(name, loss, params, grads))
        return (optax.apply_updates(params, updates), state), None

    (params, _), _ = jax.lax.scan(step, (params, state), None, length=steps)
    return loss(params)


def _best_final_loss(name, loss, init, steps):
    if _has_lr(name):
        finals = jax.jit(jax.vmap(lambda lr: _run(name, loss, init, steps, lr)))(LEARNING_RATES)
    else:
        finals = jnp.atleast_1d(jax.jit(lambda: _run(name, loss, init, steps))())
    finals = np.asarray(finals)
    return float(np.min(np.where(np.isfinite(finals), finals, np.inf)))


# Methods that constrain the update direction cannot reach these minima by design:
# gradient centralization keeps every column mean of a matrix fixed, and OrthoGrad drops
# the gradient component along the weights (Ranger centralises too). They must still make
# clear progress.
# SPlus moves non-matrix leaves by lr * nonstandard_constant (1e-3) per step: at the sweep's
# largest lr (1.0) the bias can travel at most 1.0 in 1000 steps, just its distance to the
# minimum, so it stops short (0.91 from 19.5); the matrix leaf converges.
CONSTRAINED = {
    "adamw_gc": 0.7,
    "orthograd_adamw": 0.7,
    "ranger": 0.7,
    "splus": 0.1,
    "spectralsphere": 0.2,
}
# Nero keeps every row of w centred with unit norm (its constraint), so the quadratic's
# minimum (w = 0) is out of reach: 5.8 of 19.5 at best.
CONSTRAINED["nero"] = 0.5
# ROSE centres each row of a matrix gradient, so the rows' means of w never move from 1: the
# quadratic's floor on that set is about 0.88 of the start (17.8 of 19.5 reached).
CONSTRAINED["rose"] = 0.95
# AdaGO (pytorch_optimizer's accumulator, no root) takes steps max(lr ||G|| / sum ||G||^2, eps)
# that shrink like 1/t down to the floor eps: w stalls at 11.9 of 19.5 in 1000 steps.
CONSTRAINED["adago"] = 0.7
# SpectralSphere keeps each update tangent to the weight's top singular direction, so the
# matrix's spectral norm only shrinks through weight decay and second-order drift: best of the
# grid 2.92 from 19.5 on the quadratic (minimum at 0): 0.2 above.
# Ranger21 centralises matrix gradients too (every column mean of w stays 1), and its norm
# loss pulls each unit towards norm 1: 10.6 of 19.5 at best.
CONSTRAINED["ranger21"] = 0.7

# Rosenbrock only: D-Adapt Lion's step d * lr never shrinks (d only grows) and its sign steps
# keep that size, so in the curved valley it stalls in a d-sized oscillation (best of the grid
# 3.2 from 24.2, at lr 3e-2); the quadratic still meets the default 1e-3.
# Ranger (no centralisation on this rank-1 leaf) reaches 0.084 of the start in 5000 steps:
# Lookahead's pull-back (alpha 0.5) and b1 0.95 slow it down the valley.
# KATE's steps shrink like 1/b_t (AdaGrad without the root): 0.066 of the start after 5000.
# Gravity damps each entry to g / (1 + (g max|g|)^2) ~ 1/g^3 for |g| >> 1: at Rosenbrock's
# start (|g| ~ 216) its steps are ~1e-7 and it does not move for any lr of the grid (its random
# initial velocity, alpha = 0.01 per step, leaves it at 28.1 from 24.2); the quadratic
# (|g| <= 5) still meets the default 1e-3.
# A2Grad's step 1 / (2L / (k + 1) + beta h_k) takes ``lips`` L as the curvature bound: with the
# default L = 10 (Rosenbrock's is ~2000 in the valley) it oscillates (best 16.7 from 24.2, lr
# 1e-3); with lips=1000 it reaches 0.018.
STALLS_ON_ROSENBROCK = {
    "dadapt_lion": 0.2,
    "ranger": 0.1,
    "kate": 0.1,
    "gravity": 1.2,
    "a2grad": 0.7,
}


@pytest.mark.parametrize("name", NAMES)
def test_converges_on_quadratic(name):
    initial = float(_quadratic(_quadratic_init()))
    best = _best_final_loss(name, _quadratic, _quadratic_init, steps=1000)
    factor = CONSTRAINED.get(name, 1e-3)
    assert best < factor * initial, f"{name}: best final loss {best:.3g} from {initial:.3g}"


# Rosenbrock only: DualAdam's first ~1/switch_rate steps (100 by default) are mostly InvAdam's
# m_hat * sqrt(v_hat), of size lr * g^2; with Rosenbrock's start gradient (~215) every rate of
# the grid (>= 1e-3) diverges in that phase (as does 1e-4; 1e-5 stays finite, 3.5 from 24.2).
# The quadratic still meets the default 1e-3.
DIVERGES_ON_ROSENBROCK = {"dualadam"}
# Apollo (ApolloDQN) with its constant rebound: the first steps are m / sigma (sigma 0.01) of
# Rosenbrock's ~215 gradient, and the secant estimate of the valley's curvature never recovers:
# every rate of the grid goes non-finite, as pytorch_optimizer's ApolloDQN does in float64
# (lr 1e-3, 1e-2, 0.1: non-finite by step 437, 195, 163). rebound="belief" converges (0.022
# from 24.2 at lr 1e-3); the quadratic still meets the default 1e-3.
DIVERGES_ON_ROSENBROCK.add("apollodqn")
# bSAM's ascent step rho g / s is not normalised (unlike SAM's) and s starts at 1: the
# starting gradient (~200) throws the perturbed point ~10 away, where the quartic's gradient
# explodes; every learning rate of the sweep gives NaN (rho=0 converges: 5e-5 at lr 1e-2).
DIVERGES_ON_ROSENBROCK.add("bsam")


@pytest.mark.parametrize("name", NAMES)
def test_converges_on_rosenbrock(name):
    initial = float(_rosenbrock(_rosenbrock_init()))
    best = _best_final_loss(name, _rosenbrock, _rosenbrock_init, steps=5000)
    if name in DIVERGES_ON_ROSENBROCK:
        # The documented behaviour: no rate of the grid makes progress. If one does, the
        # method (or its defaults) changed: move it out of DIVERGES_ON_ROSENBROCK.
        assert not best < initial, f"{name} now converges on Rosenbrock ({best:.3g})"
        return
    factor = STALLS_ON_ROSENBROCK.get(name, CONSTRAINED.get(name, 0.05))
    assert best < factor * initial, f"{name}: best final loss {best:.3g} from {initial:.3g}"


def _updates(tx, name, n=3, dtype=jnp.float32, jit=True):
    """Runs ``n`` steps of ``tx`` on the quadratic; returns the list of updates and final state."""
    params = jax.tree.map(lambda p: p.astype(dtype), _quadratic_init())

    def step(params, state):
        grads = jax.grad(_quadratic)(params)
        updates, state = tx.update(
            grads, state, params, **_extra_args(name, _quadratic, params, grads)
        )
        return optax.apply_updates(params, updates), state, updates

    step_fn = jax.jit(step) if jit else step
    state = tx.init(params)
    out = []
    for _ in range(n):
        params, state, updates = step_fn(params, state)
        out.append(updates)
    return out, state, step_fn


# Conda rotates Adam into the full singular basis of the momentum: the quadratic's gradient
# is a rank-2 4 x 3 matrix, so one rotated column is float32 roundoff, which Adam's
# m / (sqrt(v) + eps) turns into a step of order one with the roundoff's sign (the method's
# own behaviour, pytorch_optimizer's alike): float32 hyperparameters change that sign.
# Alice alike: its rank-2 basis of the bias, a 3 x 1 matrix, has one direction orthogonal
# to the gradient.
ROUNDOFF_DIRECTIONS = {
    "conda": "Adam on a roundoff-only singular direction (rank-deficient test gradient)",
    "alice": "Adam on a roundoff-only eigendirection (a vector's rank-2 basis)",
}


@pytest.mark.parametrize("name", NAMES)
def test_inject_hyperparams_gives_same_updates(name):
    record = registry.info(name)
    kwargs = dict(record.hyperparameters)
    # Integer and boolean hyperparameters are structural (sizes, intervals, flags) and a
    # callable default is a function argument, not a schedule: those stay static.
    static = tuple(k for k, v in kwargs.items() if isinstance(v, (bool, int)) or callable(v))
    # The roundoff-direction methods compare in float64, where a Python float and an
    # injected array round alike (float32 flips the sign of the roundoff-only direction).
    x64 = name in ROUNDOFF_DIRECTIONS
    dtype = jnp.float64 if x64 else jnp.float32
    with jax.enable_x64(x64):
        plain, _, _ = _updates(record.factory(**kwargs), name, dtype=dtype)
        injected_tx = optax.inject_hyperparams(record.factory, static_args=static)(**kwargs)
        injected, state, _ = _updates(injected_tx, name, dtype=dtype)
    assert "hyperparams" in state._fields
    # Injected hyperparameters are float32 arrays rather than Python floats, which may
    # change the last bits of a rounding; anything beyond 1e-4 is a real difference.
    for a, b in zip(plain, injected, strict=True):
        chex.assert_trees_all_close(a, b, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_composes_with_chain_masked_multisteps(name):
    tx = optzoo.create(name)
    # masked: the masked-out leaf passes through untouched (the raw gradient). Methods that
    # evaluate the loss themselves (value_fn) need every parameter: they refuse clearly.
    mask = {"w": True, "b": False}
    if "value_fn" in registry.info(name).needs:
        with pytest.raises(ValueError, match="mask"):
            _updates(optax.masked(tx, mask), name, n=1)
    else:
        masked, _, _ = _updates(optax.masked(tx, mask), name, n=1)
        grad_b = jax.grad(_quadratic)(_quadratic_init())["b"]
        np.testing.assert_array_equal(masked[0]["b"], grad_b)
    # chain after a clipping (by a norm above the gradients', 11.4 at the start), under jit,
    # and MultiSteps(k=2) around that chain: zero updates between k-th micro-steps; as
    # parameters do not move in between, both micro-gradients agree, so every k-th update
    # equals the chain's own.
    chained = optax.chain(optax.clip_by_global_norm(100.0), tx)
    multi, _, _ = _updates(optax.MultiSteps(chained, every_k_schedule=2), name, n=8)
    bare, _, bare_step = _updates(chained, name, n=4)
    # The jitted step compiled once: no recompilation on its later calls.
    assert bare_step._cache_size() == 1
    assert all(np.all(np.isfinite(u)) for u in jax.tree.leaves(bare))
    assert all(np.all(u == 0) for step in multi[0::2] for u in jax.tree.leaves(step))

    # XLA fuses the step differently inside MultiSteps' cond; iterative matrix functions
    # (Newton-Schulz) then differ in the last float32 bits, hence a tolerance relative to the
    # update's scale.
    def close(x, y):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-4 * float(np.max(np.abs(y))) + 1e-7)

    for m, b in zip(multi[1::2], bare, strict=True):
        jax.tree.map(close, m, b)


@pytest.mark.parametrize("name", NAMES)
def test_bf16_params_keep_bf16_updates(name):
    updates, _, _ = _updates(optzoo.create(name), name, n=2, dtype=jnp.bfloat16)
    params = jax.tree.map(lambda p: p.astype(jnp.bfloat16), _quadratic_init())
    chex.assert_trees_all_equal_shapes_and_dtypes(updates[-1], params)
    chex.assert_tree_all_finite(updates[-1])


# The first optimizer of every family (plain, matrix, learning-rate-free, schedule-free,
# low-precision, wrapper, ...): chex variants multiply the test count, so they run on one
# representative each, not on all of the catalogue. Second-order methods (line searches:
# seconds to trace) are left to tests/test_reliability_minimizers.py.
FAMILY_REPRESENTATIVES = sorted(
    set({registry.info(n).family: n for n in reversed(NAMES)}.values()) - {"bfgs"}
)
# The pmap variant needs several devices: tests/test_invariants_pmap.py runs this class in
# a process with 4 CPU devices (JAX fixes the CPU device count at start-up).
SEVERAL_DEVICES = jax.device_count() > 1


class UpdateUnderTransforms(chex.TestCase):
    """One update step gives the eager numbers under ``jit`` and ``pmap`` (chex variants).

    ``with_pmap`` maps the step over every local device (the arguments broadcast to each)
    and checks the first device's output.
    """

    @chex.variants(with_jit=True, without_jit=True, with_pmap=SEVERAL_DEVICES)
    @parameterized.parameters(*FAMILY_REPRESENTATIVES)
    def test_update_matches_eager(self, name):
        tx = optzoo.create(name)
        params = _quadratic_init()
        grads = jax.grad(_quadratic)(params)
        state = tx.init(params)
        extra = _extra_args(name, _quadratic, params, grads)

        def step(grads, state, params):
            return tx.update(grads, state, params, **extra)

        want_updates, want_state = step(grads, state, params)
        updates, new_state = self.variant(step)(grads, state, params)
        chex.assert_tree_all_finite(updates)
        chex.assert_trees_all_equal_shapes_and_dtypes(updates, params)
        chex.assert_trees_all_equal_structs(new_state, want_state)
        scale = max(float(jnp.max(jnp.abs(u))) for u in jax.tree.leaves(want_updates))
        chex.assert_trees_all_close(updates, want_updates, rtol=1e-5, atol=1e-6 * scale + 1e-8)
