"""Low-rank projection methods against ``pytorch_optimizer`` 4.1.0 (float64, 60 steps).

The problem's matrix ``w`` (5 x 3) is projected to rank 2; the vector and the rank-3 leaf
take plain Adam on both sides. ``pytorch_optimizer`` refreshes the projection at its
1-based steps 1 and kT (``torch_refresh=True``); the authors' steps 1 + kT are checked
against a short NumPy transcription.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optzoo
from tests.optimizers._helpers import (
    TORCH_STEPS,
    check_matches_pytorch_optimizer,
    make_problem,
    max_rel_err,
    torch_trajectory,
    trajectory,
)

TORCH_CASES = {
    "galore_adamw": (
        optzoo.galore_adamw,
        dict(learning_rate=1e-2, rank=2, update_proj_gap=7, scale=0.5, torch_refresh=True),
        "GaLore",
        dict(lr=1e-2, rank=2, update_proj_gap=7, scale=0.5, projection_type="std"),
        {},
    ),
    # 60 steps: resets at 10, 20, ..., clipping from step 3 (t % 10 >= 3), warm-up of 4 steps;
    # threshold 2 makes the clip fire. density 1 (pytorch_optimizer's random masks use
    # torch's RNG; density < 1 is checked in test_spam_mask_*).
    "spam": (
        optzoo.spam,
        dict(
            learning_rate=1e-2,
            threshold=2.0,
            grad_accu_steps=3,
            update_proj_gap=10,
            warmup_steps=4,
            weight_decay=0.1,
            decay_updated_weights=True,
        ),
        "SPAM",
        dict(
            lr=1e-2,
            threshold=2,
            grad_accu_steps=3,
            update_proj_gap=10,
            warmup_epoch=4,
            weight_decay=0.1,
            foreach=False,
        ),
        {},
    ),
    "spam_no_clip": (
        optzoo.spam,
        dict(learning_rate=1e-2, threshold=0.0, update_proj_gap=25, warmup_steps=10, b2=0.99),
        "SPAM",
        dict(lr=1e-2, threshold=0, update_proj_gap=25, warmup_epoch=10, betas=(0.9, 0.99)),
        {},
    ),
    "stablespam": (
        optzoo.stablespam,
        dict(learning_rate=1e-2, update_proj_gap=20, weight_decay=0.1, theta=0.9),
        "StableSPAM",
        dict(lr=1e-2, update_proj_gap=20, weight_decay=0.1, theta=0.9),
        {},
    ),
    # The cosine decay of b1 and gamma1 (t_max) and gamma1 = -1 (b1).
    "stablespam_t_max": (
        optzoo.stablespam,
        dict(learning_rate=1e-2, t_max=40, eta_min=0.3, gamma1=-1, update_proj_gap=25),
        "StableSPAM",
        dict(lr=1e-2, t_max=40, eta_min=0.3, gamma1=-1, update_proj_gap=25),
        {},
    ),
    "fira": (
        optzoo.fira,
        dict(
            learning_rate=1e-2,
            rank=2,
            update_proj_gap=7,
            scale=0.5,
            weight_decay=0.1,
            torch_refresh=True,
            decay_updated_weights=True,
        ),
        "Fira",
        dict(
            lr=1e-2,
            rank=2,
            update_proj_gap=7,
            scale=0.5,
            weight_decay=0.1,
            projection_type="std",
            foreach=False,
        ),
        {},
    ),
    "conda": (
        optzoo.conda,
        dict(
            learning_rate=1e-2,
            update_proj_gap=7,
            scale=0.5,
            weight_decay=0.1,
            decay_updated_weights=True,
        ),
        "Conda",
        dict(lr=1e-2, update_proj_gap=7, scale=0.5, weight_decay=0.1, foreach=False),
        {},
    ),
    "racs": (
        optzoo.racs,
        dict(learning_rate=1e-2, alpha=0.3, weight_decay=0.1),
        "RACS",
        dict(lr=1e-2, alpha=0.3, weight_decay=0.1),
        {},
    ),
    "racs_coupled_decay": (
        optzoo.racs,
        dict(learning_rate=1e-2, alpha=0.3, beta=0.8, weight_decay=0.1, weight_decouple=False),
        "RACS",
        dict(lr=1e-2, alpha=0.3, beta=0.8, weight_decay=0.1, weight_decouple=False),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_matches_pytorch_optimizer(name):
    check_matches_pytorch_optimizer(name, TORCH_CASES)


def _numpy_galore(params, loss, steps, lr, rank, gap, alpha, b1, b2, eps, wd):
    """The paper's Algorithm 2 (GaLore-AdamW) with the authors' 0-based refresh t % T == 0."""
    grad = jax.grad(loss)
    x = {k: np.asarray(v) for k, v in params.items()}
    st = {}
    out = [dict(x)]
    for t in range(steps):
        g = {k: np.asarray(v) for k, v in grad({k: jnp.asarray(v) for k, v in x.items()}).items()}
        new = {}
        for k, gk in g.items():
            right = gk.ndim == 2 and gk.shape[0] >= gk.shape[1]
            if gk.ndim == 2 and t % gap == 0:
                u, _, vh = np.linalg.svd(gk, full_matrices=False)
                st[k, "P"] = vh[:rank] if right else u[:, :rank]
            if gk.ndim == 2:
                p = st[k, "P"]
                r = gk @ p.T if right else p.T @ gk
            else:
                r = gk
            m = b1 * st.get((k, "m"), 0.0) + (1 - b1) * r
            v = b2 * st.get((k, "v"), 0.0) + (1 - b2) * r * r
            st[k, "m"], st[k, "v"] = m, v
            n = np.sqrt(1 - b2 ** (t + 1)) / (1 - b1 ** (t + 1)) * m / (np.sqrt(v) + eps)
            if gk.ndim == 2:
                n = alpha * (n @ p if right else p @ n)
            new[k] = x[k] - lr * (n + wd * x[k])
        x = new
        out.append(dict(x))
    return out


@pytest.mark.parametrize("wd", [0.0, 1e-2])
def test_galore_adamw_matches_paper_transcription(wd):
    kw = dict(lr=1e-2, rank=2, gap=7, alpha=0.5, b1=0.9, b2=0.99, eps=1e-8, wd=wd)
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jnp.float64)
        params["v"] = jnp.asarray(np.random.default_rng(1).normal(size=(3, 6)), jnp.float64)
        base = loss

        def loss(p):
            return base({k: p[k] for k in ("w", "b", "k")}) + jnp.sum(jnp.sin(p["v"]) ** 2)

        tx = optzoo.galore_adamw(
            kw["lr"],
            rank=2,
            update_proj_gap=7,
            scale=0.5,
            b1=0.9,
            b2=0.99,
            eps=1e-8,
            weight_decay=wd,
        )
        traj, _ = trajectory(tx, params, loss, TORCH_STEPS)
        ref = _numpy_galore(params, loss, TORCH_STEPS, **kw)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    assert err <= 1e-6, err
    assert max_rel_err(traj[-1], traj[0]) > 1e-3


def test_spam_mask_is_reproducible_and_sparse():
    """density < 1: pytorch_optimizer draws its masks from torch's RNG, so this checks the
    deterministic parts: int(density * size) entries at step 1, masked-out entries never
    move between refreshes, a fresh mask at each reset, the same key gives the same run."""
    params, loss = make_problem()
    tx = optzoo.spam(1e-2, density=0.4, update_proj_gap=10, threshold=0.0, key=3)
    traj, state = trajectory(tx, params, loss, 25)
    traj2, _ = trajectory(
        optzoo.spam(1e-2, density=0.4, update_proj_gap=10, threshold=0.0, key=3),
        params,
        loss,
        25,
    )
    assert max_rel_err(traj[-1], traj2[-1]) == 0.0
    mask0 = np.asarray(tx.init(params)[0].mask["w"])
    assert mask0.sum() == int(0.4 * mask0.size)
    moved = np.abs(np.asarray(traj[9]["w"]) - np.asarray(params["w"])) > 0
    np.testing.assert_array_equal(moved, mask0)
    assert np.asarray(state[0].mask["b"]).size == 0  # vectors are never masked
    assert not np.array_equal(np.asarray(state[0].mask["w"]), mask0)  # refreshed at step 10, 20


def test_spam_clips_spikes():
    params, loss = make_problem()
    a, _ = trajectory(optzoo.spam(1e-2, threshold=2.0, grad_accu_steps=2), params, loss, 30)
    b, _ = trajectory(optzoo.spam(1e-2, threshold=0.0), params, loss, 30)
    assert max_rel_err(a[-1], b[-1]) > 1e-6


def _apollo_problem():
    params, base = make_problem(dtype=jnp.float64)
    params["v"] = jnp.asarray(np.random.default_rng(1).normal(size=(3, 6)), jnp.float64)

    def loss(p):
        return base({k: p[k] for k in ("w", "b", "k")}) + jnp.sum(jnp.sin(p["v"]) ** 2)

    return params, loss


@pytest.mark.parametrize(
    "kw",
    [
        dict(scale_type="tensor", scale=2.0),
        dict(scale_type="channel", scale=0.5, b2=0.99, correct_bias=False),
    ],
)
def test_apollo_matches_pytorch_optimizer_on_the_same_projections(monkeypatch, kw):
    """pytorch_optimizer draws APOLLO's projections with ``torch.randn``: this feeds it the
    matrices optzoo draws from its PRNG key (``apollo_projection``), so everything else
    (moments, scaling, limiter, projecting back) is compared. ``full_rank_update=False`` is
    pytorch_optimizer's form; no weight decay (pytorch_optimizer scales its decay by Adam's
    bias correction)."""
    torch = pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    from optzoo.transforms.low_rank import apollo_projection

    rank, gap, key = 2, 7, 5
    refresh_steps = [1] + list(range(gap, 200, gap))
    # torch visits the matrices in the order v (3 x 6: left, uses its first draw) and
    # w (5 x 3: right, its second); optzoo's leaf indices (sorted keys b, k, v, w): 2 and 3.
    calls = []

    def fake_randn(*shape, device=None, dtype=None):
        if len(shape) == 1 and isinstance(shape[0], tuple):
            shape = shape[0]
        c = len(calls)
        calls.append(shape)
        pair, within = divmod(c, 2)
        step_no, which = divmod(pair, 2)
        t = refresh_steps[step_no]
        index, mshape, used = ((2, (3, 6), 0), (3, (5, 3), 1))[which]
        if within != used:
            return torch.zeros(shape, dtype=dtype)
        with jax.enable_x64(True):
            draw = apollo_projection(
                jax.random.PRNGKey(key), jnp.asarray(t), index, mshape, rank, jnp.float64
            )
            draw = np.asarray(draw) * np.sqrt(rank)
        assert draw.shape == tuple(shape)
        return torch.tensor(draw, dtype=dtype)

    monkeypatch.setattr(torch, "randn", fake_randn)
    with jax.enable_x64(True):
        params, loss = _apollo_problem()
        tx = optzoo.apollo(
            1e-2, rank=rank, update_proj_gap=gap, key=key, full_rank_update=False, **kw
        )
        traj, _ = trajectory(tx, params, loss, TORCH_STEPS)
        ref_kw = dict(
            lr=1e-2,
            rank=rank,
            update_proj_gap=gap,
            scale=kw["scale"],
            scale_type=kw["scale_type"],
            projection_type="std",
            betas=(0.9, kw.get("b2", 0.999)),
            correct_bias=kw.get("correct_bias", True),
            foreach=False,
        )
        ref = torch_trajectory(pto.APOLLO, ref_kw, params, loss, TORCH_STEPS)
    assert len(calls) == 2 * 2 * len([s for s in refresh_steps if s <= TORCH_STEPS])
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    assert err <= 1e-6, err
    assert max_rel_err(traj[-1], traj[0]) > 1e-3


def test_apollo_projection_is_reproducible_and_redrawn():
    params, loss = make_problem()
    tx = optzoo.apollo(1e-2, rank=2, update_proj_gap=4, key=1)
    _, s1 = trajectory(tx, params, loss, 3)
    _, s2 = trajectory(optzoo.apollo(1e-2, rank=2, update_proj_gap=4, key=1), params, loss, 3)
    _, s3 = trajectory(tx, params, loss, 4)
    p1, p2, p3 = (np.asarray(s[0].proj["w"]) for s in (s1, s2, s3))
    np.testing.assert_array_equal(p1, p2)
    assert not np.array_equal(p1, p3)
    assert p1.shape == (2, 3)


def test_fira_matches_pytorch_optimizer_on_a_wide_matrix():
    """The left projection (m < n: a 3 x 6 matrix), with its column-wise scaling. One SVD
    (gap 100 > 60 steps): at a later refresh torch's and JAX's LAPACK may return singular
    vectors of opposite signs, and the moments, kept across refreshes, then differ in sign
    (both are the method; the comparison would not be)."""
    pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    with jax.enable_x64(True):
        params, loss = _apollo_problem()
        tx = optzoo.fira(1e-2, rank=2, update_proj_gap=100, scale=0.5, torch_refresh=True)
        traj, _ = trajectory(tx, params, loss, TORCH_STEPS)
        ref_kw = dict(lr=1e-2, rank=2, update_proj_gap=100, scale=0.5, projection_type="std")
        ref = torch_trajectory(pto.Fira, dict(ref_kw, foreach=False), params, loss, TORCH_STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    assert err <= 1e-6, err
    assert max_rel_err(traj[-1]["v"], traj[0]["v"]) > 1e-3


def test_conda_matches_pytorch_optimizer_on_a_wide_matrix():
    """The left rotation (m < n: a 3 x 6 matrix); Conda's update does not depend on the
    signs of the singular vectors, so refreshes (every 7 steps) compare too."""
    pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    with jax.enable_x64(True):
        params, loss = _apollo_problem()
        tx = optzoo.conda(1e-2, update_proj_gap=7, b2=0.99)
        traj, _ = trajectory(tx, params, loss, TORCH_STEPS)
        ref_kw = dict(lr=1e-2, update_proj_gap=7, betas=(0.9, 0.99), foreach=False)
        ref = torch_trajectory(pto.Conda, ref_kw, params, loss, TORCH_STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    assert err <= 1e-6, err
    assert max_rel_err(traj[-1]["v"], traj[0]["v"]) > 1e-3


@pytest.mark.parametrize(
    "kw",
    [
        dict(weight_decay=0.1),
        dict(b3=0.0, weight_decay=0.1, weight_decouple=False, alpha_c=0.8),
    ],
)
def test_alice_matches_pytorch_optimizer(monkeypatch, kw):
    """leading_basis == rank: no random columns (pytorch_optimizer draws them with
    torch.randperm); one switch (update_interval > 60 steps), since eigh's signs may differ
    between LAPACKs and the moments are kept across switches. pytorch_optimizer runs the
    subspace iteration in float32: made float64 here (torch.float32 -> torch.float64), as
    optzoo runs it in the parameters' dtype."""
    torch = pytest.importorskip("torch")
    pto = pytest.importorskip("pytorch_optimizer")
    monkeypatch.setattr(torch, "float32", torch.float64)
    common = dict(rank=2, leading_basis=2, update_interval=100)
    with jax.enable_x64(True):
        params, loss = make_problem(dtype=jnp.float64)
        traj, _ = trajectory(optzoo.alice(1e-2, **common, **kw), params, loss, TORCH_STEPS)
        ref_kw = dict(lr=1e-2, **common, **kw)
        if "b3" in ref_kw:
            ref_kw["betas"] = (0.9, 0.9, ref_kw.pop("b3"))
        ref = torch_trajectory(pto.Alice, ref_kw, params, loss, TORCH_STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    assert err <= 1e-6, err
    assert max_rel_err(traj[-1], traj[0]) > 1e-3


def test_alice_random_complement_is_reproducible():
    params, loss = make_problem()
    run = lambda key: trajectory(  # noqa: E731
        optzoo.alice(1e-2, rank=3, leading_basis=1, update_interval=3, key=key), params, loss, 7
    )
    (a, _), (b, _), (c, _) = run(1), run(1), run(2)
    assert max_rel_err(a[-1], b[-1]) == 0.0
    assert max_rel_err(a[-1], c[-1]) > 0.0


# DeMo (Peng, Quesnelle, Kingma 2024, https://arxiv.org/abs/2411.19870). pytorch_optimizer's
# DeMo takes vectors and matrices only (no rank-3 leaf) and asks torch.distributed for the
# world size (patched to 1: one process, where the all-gather is the identity). Power-of-two
# chunks: an FFT DCT basis (theirs) holds ~1e-17 where the cosine vanishes (other lengths),
# and sign(q) there would be round-off; optzoo's basis holds exact zeros.
def _demo_problem():
    rng = np.random.default_rng(3)
    x = jnp.asarray(rng.normal(size=(16, 16)))
    y = jnp.asarray(rng.normal(size=(16, 8)))
    params = {
        "w": jnp.asarray(rng.normal(size=(16, 8)) * 0.5),
        "b": jnp.asarray(rng.normal(size=(8,)) * 0.1),
        "v": jnp.asarray(rng.normal(size=(32,))),
    }
    target = jnp.asarray(rng.normal(size=(32,)))

    def loss(p):
        h = jnp.tanh(x @ p["w"] + p["b"])
        return (
            jnp.mean((h - y) ** 2) + 0.01 * jnp.sum(p["w"] ** 4) + jnp.sum((p["v"] - target) ** 2)
        )

    return params, loss


@pytest.mark.parametrize(
    "kw",
    [
        {},
        dict(compression_top_k=3, compression_chunk=4, weight_decay=0.1),
        dict(compression_top_k=5, compression_chunk=8, compression_decay=0.9),
        dict(compression_top_k=1, compression_chunk=2, weight_decay=0.01),
    ],
)
def test_demo_matches_pytorch_optimizer(monkeypatch, kw):
    pytest.importorskip("torch")
    pytest.importorskip("einops")  # pytorch_optimizer's DeMo needs it
    pto = pytest.importorskip("pytorch_optimizer")
    import pytorch_optimizer.optimizer.demo as torch_demo

    monkeypatch.setattr(torch_demo, "get_world_size", lambda *a, **k: 1)
    with jax.enable_x64(True):
        params, loss = _demo_problem()
        traj, _ = trajectory(optzoo.demo(1e-2, **kw), params, loss, TORCH_STEPS)
        ref = torch_trajectory(pto.DeMo, dict(lr=1e-2, **kw), params, loss, TORCH_STEPS)
    err = max(max_rel_err(a, b) for a, b in zip(traj, ref, strict=True))
    assert err <= 1e-6, err
    assert max_rel_err(traj[-1]["w"], traj[0]["w"]) > 1e-3


def _np_dct(n):
    k, i = np.arange(n)[:, None], np.arange(n)[None, :]
    c = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2 / n)
    c[0] /= np.sqrt(2)
    c[(2 * i + 1) * k % (2 * n) == n] = 0
    return c


def _np_demo_coefficients(m, top_k, h, w):
    """Per (h x w) chunk of the matrix m: the kept DCT coefficients and their mask."""
    ch, cw = _np_dct(h), _np_dct(w)
    sel, keep = np.zeros_like(m), np.zeros(m.shape, bool)
    for i in range(0, m.shape[0], h):
        for j in range(0, m.shape[1], w):
            c = ch @ m[i : i + h, j : j + w] @ cw.T
            top = np.argsort(-np.abs(c).ravel())[:top_k]
            kk = np.zeros(c.size, bool)
            kk[top] = True
            keep[i : i + h, j : j + w] = kk.reshape(c.shape)
            sel[i : i + h, j : j + w] = np.where(kk.reshape(c.shape), c, 0)
    return sel, keep


def _np_demo_decode(sel, h, w):
    ch, cw = _np_dct(h), _np_dct(w)
    q = np.zeros_like(sel)
    for i in range(0, sel.shape[0], h):
        for j in range(0, sel.shape[1], w):
            q[i : i + h, j : j + w] = ch.T @ sel[i : i + h, j : j + w] @ cw
    return q


def test_demo_paper_form_and_schedule_match_a_transcription():
    """Algorithm 1 as written (no sign, m = beta m + g, x -= eta_t q) with a scheduled
    learning rate; and the authors' form (eta_t g into the momentum, sign) with it."""
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(12, 6, 9))
    # Values exact in float32 (optax computes schedules of its int32 count in float32).
    sched = optax.piecewise_constant_schedule(0.125, {4: 0.5, 8: 0.5})
    for paper in (True, False):
        tx = optzoo.demo(
            sched,
            0.8,
            4,
            3,
            sign=not paper,
            learning_rate_in_momentum=not paper,
        )
        with jax.enable_x64(True):
            x = jnp.zeros((6, 9))
            s = tx.init(x)
            update = jax.jit(tx.update)
            xn, m = np.zeros((6, 9)), np.zeros((6, 9))
            for t, g in enumerate(grads):
                u, s = update(jnp.asarray(g), s, x)
                x = optax.apply_updates(x, u)
                eta = float(sched(t))
                m = 0.8 * m + (g if paper else eta * g)
                q = _np_demo_decode(_np_demo_coefficients(m, 4, 3, 3)[0], 3, 3)
                m = m - q
                xn = xn - eta * (q if paper else np.sign(q))
                np.testing.assert_allclose(np.asarray(x), xn, rtol=0, atol=1e-12)


def test_demo_axis_name_averages_the_selected_components():
    """Two replicas under a named vmap: each coefficient of Q is the mean over the replicas
    that selected it (the authors' all-gather + scatter-mean); the residual stays local."""
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(3, 2, 8, 4))  # steps, replicas, matrix
    tx = optzoo.scale_by_demo(0.9, 3, 4, axis_name="r")
    with jax.enable_x64(True):
        s = jax.vmap(tx.init)(jnp.zeros((2, 8, 4)))
        step = jax.jit(jax.vmap(tx.update, axis_name="r"))
        ms = np.zeros((2, 8, 4))
        shared = unshared = False
        for g in grads:
            u, s = step(jnp.asarray(g), s)
            parts = []
            for r in range(2):
                ms[r] = 0.9 * ms[r] + g[r]
                sel, keep = _np_demo_coefficients(ms[r], 3, 4, 4)
                ms[r] = ms[r] - _np_demo_decode(sel, 4, 4)
                parts.append((sel, keep))
            total = parts[0][0] + parts[1][0]
            count = parts[0][1].astype(float) + parts[1][1]
            q = _np_demo_decode(total / np.maximum(count, 1), 4, 4)
            np.testing.assert_allclose(np.asarray(u), np.broadcast_to(np.sign(q), (2, 8, 4)))
            np.testing.assert_allclose(np.asarray(s.delta), ms, atol=1e-12)
            shared, unshared = shared or np.any(count == 2), unshared or np.any(count == 1)
        assert shared and unshared


def test_demo_basis_and_leaf_rules():
    """The basis is scipy's orthonormal DCT-II (and pytorch_optimizer's); a rank-3 leaf is
    its (first axis, rest) matrix; a scalar is a 1-vector (signSGD on it)."""
    from scipy.fft import dct

    from optzoo.transforms.low_rank import _dct_matrix

    x = np.random.default_rng(2).normal(size=(7, 12))
    np.testing.assert_allclose(x @ _dct_matrix(12).T, dct(x, norm="ortho"), atol=1e-12)
    tx = optzoo.scale_by_demo(0.9, 2, 6)
    g = jnp.asarray(np.random.default_rng(3).normal(size=(2, 3, 4)), jnp.float32)
    update = jax.jit(tx.update)
    u3, s3 = update(g, tx.init(g))
    u2, s2 = update(g.reshape(2, 12), tx.init(g.reshape(2, 12)))
    np.testing.assert_array_equal(np.asarray(u3).reshape(2, 12), np.asarray(u2))
    assert u3.dtype == jnp.float32 and s3.delta.shape == (2, 3, 4)
    us, _ = update(jnp.asarray(-0.3), tx.init(jnp.asarray(0.0)))
    assert float(us) == -1.0
