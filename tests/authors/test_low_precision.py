"""The low-precision AdamW variants against their references.

8-bit AdamW runs against the authors' package, bitsandbytes, in float32 (it keeps no float64
state); AdamW with bfloat16 state against a NumPy transcription with the same stochastic
rounding.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402


# Dettmers, Lewis, Shleifer, Zettlemoyer. 8-bit Optimizers via Block-wise Quantization. 2021.
# https://arxiv.org/abs/2110.02861; the authors' package is bitsandbytes. Its optimizers keep
# float32 (not float64) parameters, and like optzoo it keeps 32-bit state for leaves under
# 4096 elements, so this compares the AdamW arithmetic; the 8-bit codes are compared below.
def test_adamw_8bit():
    bnb = pytest.importorskip("bitsandbytes")
    lr, wd = 0.02, 0.1
    ours = R.run_optzoo(
        optzoo.create("adamw_8bit", preset="authors", learning_rate=lr, weight_decay=wd),
        dtype="float32",
    )
    theirs = R.run_torch(lambda p: bnb.optim.AdamW8bit(p, lr=lr, weight_decay=wd), dtype="float32")
    version = bnb.__version__
    R.check("adamw_8bit", R.displacement_error(ours, theirs), f"bitsandbytes {version}", "float32")


@pytest.mark.slow
def test_adamw_8bit_codes_match_bitsandbytes():
    # One step on an 8192-element leaf (32 blocks of 256, quantized on both sides): the block
    # scales agree; optzoo always stores the nearest code, and bitsandbytes' CPU search (not
    # an exact nearest search) returns another code for about 0.1% of the first moment (all
    # near-ties between two neighbours) and 3% of the second (small values of the unsigned
    # code, up to 6 codes away). Over 100 steps that moves the trajectories ~4e-3 apart.
    bnb = pytest.importorskip("bitsandbytes")
    torch = pytest.importorskip("torch")
    import jax.numpy as jnp

    from optzoo.wrappers.low_precision import quantization_code

    rng = np.random.default_rng(0)
    x0, g = (rng.normal(size=(64, 128)).astype(np.float32) for _ in range(2))
    tx = optzoo.create("adamw_8bit", preset="authors", learning_rate=1e-2)
    _, state = tx.update(jnp.asarray(g), tx.init(jnp.asarray(x0)), jnp.asarray(x0))
    p = torch.nn.Parameter(torch.from_numpy(x0.copy()))
    opt = bnb.optim.AdamW8bit([p], lr=1e-2)
    p.grad = torch.from_numpy(g.copy())
    opt.step()
    theirs = opt.state[p]
    adam = state.inner_state[0]
    moments = ((adam.mu, 1, True, 0.1 * g, 0.005), (adam.nu, 2, False, 1e-3 * g**2, 0.05))
    for leaf, n, signed, exact, share in moments:
        np.testing.assert_allclose(np.abs(leaf.scales), theirs[f"absmax{n}"].numpy(), rtol=1e-6)
        ours_q = np.asarray(leaf.codes).astype(int)
        their_q = theirs[f"state{n}"].numpy().ravel().astype(int)
        assert (ours_q != their_q).mean() < share
        code = quantization_code("dynamic", signed)
        y = exact.ravel() / np.repeat(np.abs(np.asarray(leaf.scales)), 256)
        assert np.all(np.abs(code[ours_q] - y) <= np.abs(code[their_q] - y) + 1e-7)


def _stochastic_round_bf16(x, noise):
    # Zamirai et al., section 3: round to a bfloat16 neighbour at random, up with probability
    # equal to the distance from the lower neighbour over the gap. On the float32 bit pattern:
    # add 16 random low bits, then cut the low half off.
    bits = x.astype(np.float32).view(np.uint32)
    return ((bits + noise) & np.uint32(0xFFFF0000)).view(np.float32)


# Zamirai, Zhang, Aberger, De Sa. Revisiting BFloat16 Training. 2020.
# https://arxiv.org/abs/2010.06192: stochastic rounding to bfloat16 (section 3), which optzoo
# applies to the storage of AdamW's two moments (float32 arithmetic in between; the parameters
# stay float32). The random bits are drawn as optzoo draws them (jax.random: the state key is
# split every step and folded in with the index of the state leaf), so the trajectories can
# be compared; the rounding and AdamW are NumPy.
def test_adamw_bf16_state():
    import jax

    lr, wd, b1, b2, eps = 0.01, 0.1, 0.9, 0.999, 1e-8
    names = sorted(R.SHAPES)  # the order of the leaves of a dict

    def step(x, g, state, t):
        m, v, key = state
        key, sub = jax.random.split(key)
        new = {}
        for i, k in enumerate(names):
            gk = g[k].astype(np.float32)
            mk = (1 - b1) * gk + b1 * m[k]
            vk = (1 - b2) * gk**2 + b2 * v[k]
            u = (mk / np.float32(1 - b1**t)) / (np.sqrt(vk / np.float32(1 - b2**t)) + eps)
            new[k] = (x[k] - lr * (u + wd * x[k])).astype(np.float32)
            # the state leaves: the step count (0), then mu (1, 2, 3), then nu (4, 5, 6)
            for moment, arr, index in ((m, mk, 1 + i), (v, vk, 4 + i)):
                bits = jax.random.bits(jax.random.fold_in(sub, index), arr.shape, np.uint32)
                moment[k] = _stochastic_round_bf16(arr, np.asarray(bits) & np.uint32(0xFFFF))
        return new, (m, v, key)

    def run_numpy_float32():
        params = {k: v.astype(np.float32) for k, v in R.init_params().items()}
        state = (R.zeros(), R.zeros(), jax.random.PRNGKey(0))
        state = tuple({k: a.astype(np.float32) for k, a in s.items()} for s in state[:2]) + (
            state[2],
        )
        out = []
        for t in range(R.STEPS):
            g = R.grad({k: p.astype(np.float64) for k, p in params.items()}, t)
            params, state = step(params, g, state, t + 1)
            out.append({k: p.astype(np.float64) for k, p in params.items()})
        return out

    ours = R.run_optzoo(
        optzoo.create("adamw_bf16_state", preset="authors", learning_rate=lr, weight_decay=wd),
        dtype="float32",
    )
    err = R.displacement_error(ours, run_numpy_float32())
    R.check(
        "adamw_bf16_state",
        err,
        "NumPy transcription of stochastic rounding (section 3)",
        "float32",
        "transcription",
    )
