"""low_precision_state: bytes, codes vs a NumPy transcription, unbiased rounding, training."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo
from optzoo import registry
from optzoo.wrappers.low_precision import (
    dequantize_blockwise,
    quantization_code,
    quantize_blockwise,
    stochastic_round_bf16,
)

# ------------------------------------------------------- NumPy transcription of the scheme


def _decode_dynamic_byte(byte: int, signed: bool) -> float:
    """Value of one 8-bit pattern of the dynamic tree code, read bit by bit.

    Signed: sign bit, then 7 magnitude bits; unsigned: 8 magnitude bits. In the
    magnitude bits, e leading zeros give the decade 10^-e, a 1 ends them and the L
    bits after it pick bin f of 2^L equal bins of [0.1, 1] (value: the bin centre).
    The all-zero magnitude is 0; the spare pattern (signed: "-0"; unsigned: seven
    zeros then a 1) encodes 1.0.
    """
    bits = f"{byte:08b}"
    sign, mag = (bits[0], bits[1:]) if signed else ("0", bits)
    if "1" not in mag:
        return 1.0 if sign == "1" else 0.0
    e = mag.index("1")
    frac = mag[e + 1 :]
    if not signed and e == 7:
        return 1.0
    n_bins = 2 ** len(frac)
    f = int(frac, 2) if frac else 0
    value = 10.0**-e * (0.1 + 0.9 * (f + 0.5) / n_bins)
    return -value if sign == "1" else value


def _numpy_code(signed: bool) -> np.ndarray:
    return np.sort([_decode_dynamic_byte(b, signed) for b in range(256)]).astype(np.float32)


def _numpy_quantize(x: np.ndarray, block_size: int):
    """Block-wise absmax quantization to the nearest code value (argmin, not midpoints).

    In an unsigned block a positive entry is never rounded to the code value 0.
    """
    signed_code, unsigned_code = _numpy_code(True), _numpy_code(False)
    flat = x.astype(np.float32).ravel()
    blocks = np.pad(flat, (0, (-flat.size) % block_size)).reshape(-1, block_size)
    out = np.empty_like(blocks)
    for i, block in enumerate(blocks):
        absmax = np.abs(block).max()
        table = signed_code if (block < 0).any() else unsigned_code
        y = block / absmax if absmax > 0 else block
        q = np.abs(y[:, None] - table[None, :]).argmin(axis=1)
        if table is unsigned_code:  # a positive entry keeps at least the smallest code > 0
            q = np.where(y > 0, np.maximum(q, 1), q)
        out[i] = table[q] * absmax
    return out.ravel()[: flat.size].reshape(x.shape)


def _state_bytes(state, min_elements: int = 0) -> int:
    """Bytes of the state's array leaves with at least ``min_elements`` elements."""
    leaves = [np.asarray(x) for x in jax.tree.leaves(state)]
    return sum(x.nbytes for x in leaves if x.size >= min_elements)


# ------------------------------------------------------------------------------- codes


@pytest.mark.parametrize("signed", [True, False])
def test_dynamic_code_matches_bitwise_transcription(signed):
    np.testing.assert_allclose(quantization_code("dynamic", signed), _numpy_code(signed), rtol=1e-6)


@pytest.mark.parametrize("block_size", [64, 256])
@pytest.mark.parametrize("kind", ["normal", "positive", "heavy_tailed"])
def test_blockwise_round_trip_matches_numpy(kind, block_size):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((37, 301)).astype(np.float32)
    if kind == "positive":  # like a second moment: many decades, all >= 0
        x = (x**2) * 10.0 ** rng.uniform(-8, 0, x.shape).astype(np.float32)
    elif kind == "heavy_tailed":
        x = rng.standard_cauchy(x.shape).astype(np.float32)
    codes, scales = quantize_blockwise(jnp.asarray(x), block_size)
    assert codes.dtype == jnp.uint8 and scales.dtype == jnp.float32
    got = np.asarray(dequantize_blockwise(codes, scales, x.shape))
    want = _numpy_quantize(x, block_size)
    # Same scheme: equal except where x sits (within float rounding) on a midpoint.
    mismatch = np.mean(~np.isclose(got, want, rtol=1e-6, atol=0))
    assert mismatch < 1e-4, mismatch
    # Error bound: the farthest any point of [-1, 1] lies from the code, times absmax.
    signed, unsigned = _numpy_code(True), _numpy_code(False)
    gap = max(np.diff(signed).max() / 2, signed[0] + 1, np.diff(unsigned).max() / 2)
    flat = np.pad(x.ravel(), (0, (-x.size) % block_size)).reshape(-1, block_size)
    absmax = np.repeat(np.abs(flat).max(axis=1), block_size)[: x.size].reshape(x.shape)
    assert np.all(np.abs(got - x) <= gap * absmax * (1 + 1e-4))
    # A block's largest element, when positive, is exactly representable (code value 1).
    top = x == absmax
    np.testing.assert_array_equal(got[top], x[top])
    if kind == "positive":  # dynamic code keeps relative precision over decades
        # Unsigned decade 10^-e has 2^(7-e) bins over [0.1, 1] 10^-e: relative
        # half-gap 4.5 / 2^(7-e), i.e. 0.14 down to 10^-3 of the block's absmax.
        big = x > 1e-3 * absmax
        assert np.max(np.abs(got - x)[big] / x[big]) < 4.5 / 2**5
        # A second moment never decodes to 0 (an Adam step would divide by eps alone).
        assert np.all(got[x > 0] > 0)


def test_linear_code_round_trip_error():
    x = np.random.default_rng(1).uniform(-1, 1, 4096).astype(np.float32)
    codes, scales = quantize_blockwise(jnp.asarray(x), 256, code="linear")
    got = np.asarray(dequantize_blockwise(codes, scales, x.shape, code="linear"))
    assert np.max(np.abs(got - x)) <= (1 / 127) * np.abs(x).max()


# ------------------------------------------------------------------ stochastic rounding


@pytest.mark.parametrize("x", [1.0 + 2.0**-10, -3.0 - 3 * 2.0**-9, 1e-3 * (1 + 2.0**-9)])
def test_stochastic_rounding_is_unbiased(x):
    n = 200_000
    xs = jnp.full((n,), x, jnp.float32)
    r = np.asarray(stochastic_round_bf16(xs, jax.random.PRNGKey(42)), np.float64)
    lo, hi = np.unique(r)  # rounds to the two bf16 neighbours only
    p = (abs(np.float32(x)) - abs(lo)) / (abs(hi) - abs(lo))
    sigma = abs(hi - lo) * np.sqrt(p * (1 - p) / n)
    assert abs(r.mean() - np.float32(x)) < 4 * sigma
    nearest = float(jnp.asarray(x, jnp.bfloat16))
    assert abs(nearest - np.float32(x)) > 10 * sigma  # nearest rounding would be biased
    same = stochastic_round_bf16(xs[:10], jax.random.PRNGKey(42))
    np.testing.assert_array_equal(same, stochastic_round_bf16(xs[:10], jax.random.PRNGKey(42)))


def test_stochastic_rounding_keeps_specials():
    x = jnp.array([0.0, -0.0, jnp.inf, -jnp.inf, jnp.nan, 1.0], jnp.float32)
    r = np.asarray(stochastic_round_bf16(x, jax.random.PRNGKey(0)), np.float32)
    np.testing.assert_array_equal(r[[0, 1, 2, 3, 5]], np.asarray(x)[[0, 1, 2, 3, 5]])
    assert np.isnan(r[4])


# -------------------------------------------------------------------------- the wrapper


def _big_params():
    # w and v reach min_size=4096 and are compressed; b is not.
    return {"w": jnp.ones((128, 64)), "v": jnp.ones((64, 80)), "b": jnp.ones((64,))}


@pytest.mark.parametrize(("dtype", "limit"), [("bf16", 0.5), ("int8", 0.3)])
def test_state_bytes(dtype, limit):
    params = {"w": jnp.ones((512, 512)), "v": jnp.ones((300, 100))}
    fp32_state = optzoo.adam(1e-3).init(params)
    state = optzoo.low_precision_state(optzoo.adam(1e-3), dtype=dtype).init(params)
    # Moments (every leaf but the step counter and the 2-word PRNG key) ...
    assert _state_bytes(state, 16) <= limit * _state_bytes(fp32_state, 16)
    # ... and all of it: the int32 counter stays whole, plus the 8-byte key.
    assert _state_bytes(state) <= limit * _state_bytes(fp32_state) + 12


def test_counters_and_small_leaves_untouched():
    params = _big_params()
    tx = optzoo.low_precision_state(optzoo.adam(1e-3), dtype="int8")
    state = tx.init(params)
    assert optax.tree.get(state, "count").dtype == jnp.int32
    inner = state.inner_state[0]
    assert isinstance(inner, optax.ScaleByAdamState)
    assert inner.mu["b"].dtype == jnp.float32  # 64 < min_size
    grads = jax.tree.map(lambda p: 0.01 * p, params)
    ref = optzoo.adam(1e-3)
    ref_state = ref.init(params)
    for _ in range(3):
        updates, state = jax.jit(tx.update)(grads, state, params)
        ref_updates, ref_state = ref.update(grads, ref_state, params)
    # The small leaf's state is never compressed: same updates up to jit-vs-eager rounding.
    np.testing.assert_allclose(updates["b"], ref_updates["b"], rtol=2e-5)
    assert int(optax.tree.get(state, "count")) == 3


@pytest.mark.parametrize("dtype", ["bf16", "int8"])
def test_first_step_equals_inner(dtype):
    params = _big_params()
    grads = jax.tree.map(lambda p: jax.random.normal(jax.random.PRNGKey(p.size), p.shape), params)
    tx = optzoo.low_precision_state(optzoo.adamw(1e-3), dtype=dtype)
    updates, _ = tx.update(grads, tx.init(params), params)
    ref_updates, _ = optzoo.adamw(1e-3).update(grads, optzoo.adamw(1e-3).init(params), params)
    jax.tree.map(np.testing.assert_array_equal, updates, ref_updates)


def _digits():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return jnp.asarray(x[:600] / 16.0, jnp.float32), jnp.asarray(y[:600])


@functools.cache
def _train_fp32() -> tuple[float, float]:
    return _train(optzoo.adam(3e-3))


def _train(tx, steps=150):
    x, y = _digits()
    k1, k2 = jax.random.split(jax.random.PRNGKey(0))
    params = {
        "w1": 0.1 * jax.random.normal(k1, (64, 64)),
        "b1": jnp.zeros(64),
        "w2": 0.1 * jax.random.normal(k2, (64, 10)),
        "b2": jnp.zeros(10),
    }

    def loss(p):
        logits = jnp.tanh(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    def step(carry, _):
        p, s = carry
        g = jax.grad(loss)(p)
        u, s = tx.update(g, s, p)
        return (optax.apply_updates(p, u), s), None

    run = jax.jit(lambda p, s: jax.lax.scan(step, (p, s), None, length=steps)[0])
    params, _ = run(params, tx.init(params))
    return float(loss(params)), float(loss(jax.tree.map(jnp.zeros_like, params)))


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["bf16", "int8"])
def test_training_matches_fp32(dtype):
    # Every leaf compressed (min_size=0), small blocks so w2 spans several.
    tx = optzoo.low_precision_state(optzoo.adam(3e-3), dtype=dtype, min_size=0, block_size=64)
    final, initial = _train(tx)
    ref, _ = _train_fp32()
    # Tolerance: 1% of the initial loss log(10) ~ 2.3. The compressed run follows a
    # perturbed trajectory (quantization noise of ~1e-2 relative in the moments), so
    # bitwise agreement is not expected; measured |difference| from the float32 run's
    # 0.0537: 5.5e-3 (int8) and 2e-6 (bf16).
    assert ref < 0.1 * initial
    assert abs(final - ref) < 0.01 * initial, (final, ref)


def _wave(p, i):
    return jnp.cos(p * (i + 1) + jnp.arange(p.size).reshape(p.shape))


@pytest.mark.parametrize("dtype", ["bf16", "int8"])
def test_jit_chain_multisteps(dtype):
    params = _big_params()
    inner = optax.chain(optax.clip_by_global_norm(1.0), optzoo.adam(1e-2))
    tx = optax.MultiSteps(optzoo.low_precision_state(inner, dtype=dtype), every_k_schedule=2)
    ref = optax.MultiSteps(inner, every_k_schedule=2)
    state, ref_state = tx.init(params), ref.init(params)
    step, ref_step = jax.jit(tx.update), jax.jit(ref.update)
    for i in range(4):
        g = jax.tree.map(lambda p, i=i: _wave(p, i), params)
        updates, state = step(g, state, params)
        ref_updates, ref_state = ref_step(g, ref_state, params)
        for u, r in zip(jax.tree.leaves(updates), jax.tree.leaves(ref_updates), strict=True):
            np.testing.assert_allclose(u, r, atol=2e-3 * 1e-2 * 10, rtol=0.05)
    assert step._cache_size() == 1
    assert int(optax.tree.get(state, "mini_step")) == 0


def test_registry_entries():
    for name, spp in [("adamw_bf16_state", 1.0), ("adamw_8bit", 0.5078125)]:
        record = registry.info(name)
        assert record.state_per_param == spp
        assert "arxiv.org" in record.reference.url
        params = {"w": jnp.ones((256, 256))}
        state = optzoo.create(name).init(params)
        measured = _state_bytes(state) / 4 / params["w"].size
        assert abs(measured - spp) < 0.01, (name, measured)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="dtype"):
        optzoo.low_precision_state(optzoo.adam(1e-3), dtype="fp8")
    with pytest.raises(ValueError):
        optzoo.low_precision_state(optzoo.adam(1e-3), dtype="int8", block_size=0)
