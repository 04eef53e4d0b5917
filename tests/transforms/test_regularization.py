"""Coupled L2 / L1 penalties against NumPy transcriptions and torch.optim.Adam."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo

# Quadratic f(p) = 0.5 * sum(a * (p - b)^2): grad = a * (p - b). b is away from 0 and
# p0 has b's sign, so the L1 sign subgradient never flips along the trajectories.
_RNG = np.random.default_rng(0)
A = _RNG.uniform(0.5, 2.0, size=(7,)).astype(np.float32)
B = (np.sign(_RNG.standard_normal(7)) * _RNG.uniform(1.0, 3.0, 7)).astype(np.float32)
P0 = (0.5 * B).astype(np.float32)
STEPS = 100


def _grad_np(p):
    return A * (p - B)


# The transcriptions run in float32, like the JAX code, so the tolerance measures
# the order of operations rather than fp32 against fp64.
def _np_sgd(lr, penalty_grad):
    p = P0.copy()
    out = []
    for _ in range(STEPS):
        g = _grad_np(p) + penalty_grad(p)
        p = p - lr * g
        assert p.dtype == np.float32
        out.append(p.copy())
    return np.stack(out)


def _np_adam(lr, penalty_grad, b1=0.9, b2=0.999, eps=1e-8):
    p = P0.copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    out = []
    for t in range(1, STEPS + 1):
        g = _grad_np(p) + penalty_grad(p)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        # Bias corrections in fp32 as JAX computes them: with b2 rounded to fp32,
        # 1 - b2**t differs from its fp64 value by ~1e-5 relative in early steps.
        m_hat = m / (1 - np.float32(b1) ** np.float32(t))
        v_hat = v / (1 - np.float32(b2) ** np.float32(t))
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        assert p.dtype == np.float32
        out.append(p.copy())
    return np.stack(out)


def _run(tx, steps=STEPS):
    a, b = jnp.asarray(A), jnp.asarray(B)

    @jax.jit
    def step(p, s):
        g = a * (p - b)
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s

    p = jnp.asarray(P0)
    s = tx.init(p)
    out = []
    for _ in range(steps):
        p, s = step(p, s)
        out.append(np.asarray(p))
    return np.stack(out)


def _max_rel_err(x, ref):
    return float(np.max(np.linalg.norm(x - ref, axis=-1) / np.linalg.norm(ref, axis=-1)))


WD, L1 = 0.05, 0.03
CASES = [
    ("l2", lambda: optzoo.add_l2_penalty(WD), lambda p: WD * p),
    ("l1", lambda: optzoo.add_l1_penalty(L1), lambda p: L1 * np.sign(p).astype(np.float32)),
]


@pytest.mark.parametrize("name,make,penalty", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("base", ["sgd", "adam"])
def test_penalty_trajectory_matches_numpy(name, make, penalty, base):
    if base == "sgd":
        lr = 0.05
        tx = optax.chain(make(), optzoo.scale_by_learning_rate(lr))
        ref = _np_sgd(lr, penalty)
    else:
        lr = 0.01
        tx = optax.chain(make(), optzoo.scale_by_adam(), optzoo.scale_by_learning_rate(lr))
        ref = _np_adam(lr, penalty)
    got = _run(tx)
    assert _max_rel_err(got, ref) <= 1e-6
    # The penalty actually changes the trajectory.
    plain = _np_sgd(lr, lambda p: 0 * p) if base == "sgd" else _np_adam(lr, lambda p: 0 * p)
    assert _max_rel_err(plain, ref) > 1e-3


def test_l2_adam_matches_torch():
    torch = pytest.importorskip("torch")
    lr, wd, steps = 0.01, 0.1, 50
    w = torch.tensor(P0, requires_grad=True)
    opt = torch.optim.Adam([w], lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
    a_t, b_t = torch.tensor(A), torch.tensor(B)
    ref = []
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * torch.sum(a_t * (w - b_t) ** 2)
        loss.backward()
        opt.step()
        ref.append(w.detach().numpy().copy())
    tx = optax.chain(
        optzoo.add_l2_penalty(wd), optzoo.scale_by_adam(), optzoo.scale_by_learning_rate(lr)
    )
    got = _run(tx, steps)
    # torch forms 1 - b2**t in fp64 and optax-style Adam in fp32 (b2 rounded to fp32),
    # a ~1e-5 relative difference in early second-moment corrections: measured 1.6e-6.
    assert _max_rel_err(got, np.stack(ref)) <= 5e-6


def test_l2_penalty_equals_coupled_decayed_weights():
    """Before adaptive scaling, add_l2_penalty is optax.add_decayed_weights (same numbers)."""
    ours = optax.chain(optzoo.add_l2_penalty(WD), optax.scale_by_adam())
    theirs = optax.chain(optax.add_decayed_weights(WD), optax.scale_by_adam())
    np.testing.assert_array_equal(_run(ours, 20), _run(theirs, 20))


def test_mask_and_none_leaves():
    params = {"w": jnp.ones(3), "b": jnp.ones(2)}
    grads = {"w": jnp.zeros(3), "b": jnp.zeros(2)}
    tx = optzoo.add_l2_penalty(0.5, mask={"w": True, "b": False})
    u, _ = tx.update(grads, tx.init(params), params)
    np.testing.assert_allclose(u["w"], 0.5)
    np.testing.assert_allclose(u["b"], 0.0)
    tx = optzoo.add_l1_penalty(0.5, mask=lambda p: jax.tree.map(lambda x: x.size == 3, p))
    u, _ = tx.update(grads, tx.init(params), {"w": -jnp.ones(3), "b": jnp.ones(2)})
    np.testing.assert_allclose(u["w"], -0.5)
    np.testing.assert_allclose(u["b"], 0.0)
    tx = optzoo.add_l2_penalty(0.5)
    u, _ = tx.update({"w": None, "b": grads["b"]}, tx.init(params), params)
    assert u["w"] is None


def test_scheduled_strength_counts_steps():
    sched = optax.linear_schedule(1.0, 0.0, 4)
    tx = optzoo.add_l2_penalty(sched)
    p = jnp.ones(2)
    s = tx.init(p)
    assert isinstance(s, optzoo.RegularizationState)
    for k in range(3):
        u, s = tx.update(jnp.zeros(2), s, p)
        np.testing.assert_allclose(u, sched(k))
    assert int(s.count) == 3


def test_bf16_keeps_dtype_and_needs_params():
    p = jnp.ones(4, jnp.bfloat16)
    for tx in (optzoo.add_l2_penalty(1e-2), optzoo.add_l1_penalty(optax.constant_schedule(1e-2))):
        u, _ = jax.jit(tx.update)(jnp.ones(4, jnp.bfloat16), tx.init(p), p)
        assert u.dtype == jnp.bfloat16
        with pytest.raises(ValueError, match="params"):
            tx.update(p, tx.init(p))


@pytest.mark.parametrize(
    "make,arg", [(optzoo.add_l2_penalty, "weight_decay"), (optzoo.add_l1_penalty, "l1")]
)
def test_negative_strength_rejected(make, arg):
    with pytest.raises(ValueError, match=arg):
        make(-0.1)
