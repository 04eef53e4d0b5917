"""The low-rank / low-memory family against its authors' code (issue #14).

GaLore-AdamW runs against the authors' package, galore-torch 1.0; the others against NumPy
transcriptions of their papers' algorithm boxes (the authors published repositories, not
packages). See tests/authors/_reference.py for the problem and the tolerance.
"""

from __future__ import annotations

import math
import pathlib
import sys

import numpy as np
import pytest

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402


# Huang et al. SPAM: Spike-Aware Adam with Momentum Reset for Stable LLM Training. 2025.
# https://arxiv.org/abs/2501.06842, Algorithm 1: every Delta T steps reset m, v (and restart a
# cosine warm-up of the step); after N steps past a reset clip entries with g^2 > theta v to
# sign(g) sqrt(theta v); Adam step; weight decay of the stepped weights (authors' code).
def test_spam_matches_algorithm_1():
    lr, b1, b2, eps, theta, n_accu, gap, warm, wd = 1e-2, 0.9, 0.999, 1e-6, 3.0, 5, 30, 10, 0.1

    def step(x, g, st, t):
        if t % gap == 0:
            st = {"m": {k: 0 * v for k, v in x.items()}, "v": {k: 0 * v for k, v in x.items()}}
        # steps since the last reset (s = 0 at the reset step); no ramp before the first one
        s = t % gap
        w = 1.0
        if t >= gap and s < warm:
            w = 1 - 0.99 * 0.5 * (1 + math.cos(math.pi * (s + 1) / (warm + 1)))
        new = {}
        for k in x:
            gk, m, v = g[k].copy(), st["m"][k], st["v"][k]
            if t >= n_accu and s >= n_accu:
                spike = gk**2 > theta * v
                gk[spike] = np.sign(gk[spike]) * np.sqrt(theta * v[spike])
            m = b1 * m + (1 - b1) * gk
            v = b2 * v + (1 - b2) * gk**2
            st["m"][k], st["v"][k] = m, v
            step_size = lr * w * math.sqrt(1 - b2**t) / (1 - b1**t)
            new[k] = (x[k] - step_size * m / (np.sqrt(v) + eps)) * (1 - lr * wd)
        return new, st

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, {"m": dict(zeros), "v": {k: z.copy() for k, z in zeros.items()}})
    tx = optzoo.create(
        "spam",
        preset="authors",
        learning_rate=lr,
        threshold=theta,
        grad_accu_steps=n_accu,
        update_proj_gap=gap,
        warmup_steps=warm,
        weight_decay=wd,
    )
    err = R.displacement_error(R.run_optzoo(tx), theirs)
    R.check("spam", err, "NumPy transcription of Algorithm 1", kind="transcription")


# Huang et al. Stable-SPAM: How to Train in 4-Bit More Stably than 16-Bit Adam. 2025.
# https://arxiv.org/abs/2502.17055, Algorithm 1: adaptive spike-aware clipping (entries above
# the debiased EMA of max|g| are scaled by it / max|g|), adaptive gradient-norm normalisation
# (g / ||g|| * m_norm_hat / (sqrt(v_norm_hat) + eps)), Adam with momentum reset every Delta T.
def test_stablespam_matches_algorithm_1():
    lr, b1, b2, g1, g2, theta, gap, eps, wd = 1e-2, 0.9, 0.999, 0.7, 0.9, 0.9, 30, 1e-8, 0.1

    def step(x, g, st, t):
        if t % gap == 0:
            st["m"] = {k: 0 * v for k, v in x.items()}
            st["v"] = {k: 0 * v for k, v in x.items()}
        k_adam = t if t < gap else t % gap + 1
        new = {}
        for k in x:
            gk = g[k].copy()
            gmax = np.max(np.abs(gk))
            st["max"][k] = theta * st["max"][k] + (1 - theta) * gmax
            bound = st["max"][k] / (1 - theta**t)
            big = np.abs(gk) > bound
            gk[big] = gk[big] / gmax * bound
            n = np.linalg.norm(gk)
            st["a"][k] = g1 * st["a"][k] + (1 - g1) * n
            st["b"][k] = g2 * st["b"][k] + (1 - g2) * n**2
            c = (st["a"][k] / (1 - g1**t)) / (np.sqrt(st["b"][k] / (1 - g2**t)) + eps)
            gk = gk / n * c
            st["m"][k] = b1 * st["m"][k] + (1 - b1) * gk
            st["v"][k] = b2 * st["v"][k] + (1 - b2) * gk**2
            m_hat = st["m"][k] / (1 - b1**k_adam)
            v_hat = st["v"][k] / (1 - b2**k_adam)
            new[k] = x[k] * (1 - lr * wd) - lr * m_hat / (np.sqrt(v_hat) + eps)
        return new, st

    x0 = R.init_params()
    st = {
        "m": {k: np.zeros_like(a) for k, a in x0.items()},
        "v": {k: np.zeros_like(a) for k, a in x0.items()},
        "max": dict.fromkeys(x0, 0.0),
        "a": dict.fromkeys(x0, 0.0),
        "b": dict.fromkeys(x0, 0.0),
    }
    theirs = R.run_numpy(step, st)
    tx = optzoo.create(
        "stablespam",
        preset="authors",
        learning_rate=lr,
        theta=theta,
        update_proj_gap=gap,
        weight_decay=wd,
    )
    err = R.displacement_error(R.run_optzoo(tx), theirs)
    R.check("stablespam", err, "NumPy transcription of Algorithm 1", kind="transcription")


def _apollo_transcription(lr, rank, gap, alpha, scale_type, wd, key):
    """Zhu et al. APOLLO: SGD-like Memory, AdamW-level Performance. 2024.
    https://arxiv.org/abs/2412.05270, Algorithm 1 with the authors' code's norm-growth
    limiter and weight decay: R = G P^T (P Gaussian N(0, 1/r), redrawn every T steps), Adam
    on R, s = ||R~|| / ||R|| per channel (row) or per tensor, G~ = sqrt(alpha) G s. The
    projections are optzoo's draws (``apollo_projection``), fed to the transcription."""
    import jax
    import jax.numpy as jnp

    from optzoo.transforms.low_rank import apollo_projection

    b1, b2, eps = 0.9, 0.999, 1e-6

    def step(x, g, st, t):
        new = {}
        c = math.sqrt(1 - b2**t) / (1 - b1**t)
        for k in x:
            gk = g[k]
            if k == "matrix":
                if t == 1 or t % gap == 0:
                    with jax.enable_x64(True):
                        p = apollo_projection(
                            jax.random.PRNGKey(key), jnp.asarray(t), 0, gk.shape, rank, jnp.float64
                        )
                    st["P"] = np.asarray(p)
                r = gk @ st["P"].T
            else:
                r = gk
            st["m"][k] = b1 * st["m"].get(k, 0) + (1 - b1) * r
            st["v"][k] = b2 * st["v"].get(k, 0) + (1 - b2) * r * r
            n = st["m"][k] / (np.sqrt(st["v"][k]) + eps)
            if k == "matrix":
                if scale_type == "channel":
                    s = np.linalg.norm(n, axis=1, keepdims=True) / (
                        np.linalg.norm(r, axis=1, keepdims=True) + 1e-8
                    )
                else:
                    s = np.linalg.norm(n) / (np.linalg.norm(r) + 1e-8)
                n = gk * s
                norm = np.linalg.norm(n)
                if "last" in st:
                    lim = max(norm / (st["last"] + 1e-8), 1.01) / 1.01
                    n, norm = n / lim, norm / lim
                st["last"] = norm
                n = n * math.sqrt(alpha)
            new[k] = (x[k] - lr * c * n) * (1 - lr * wd)
        return new, st

    return R.run_numpy(step, {"m": {}, "v": {}})


def test_apollo_matches_algorithm_1():
    lr, rank, gap, wd, key = 1e-2, 2, 20, 0.1, 7
    theirs = _apollo_transcription(lr, rank, gap, 1.0, "channel", wd, key)
    tx = optzoo.create(
        "apollo",
        preset="authors",
        learning_rate=lr,
        rank=rank,
        update_proj_gap=gap,
        weight_decay=wd,
        key=key,
    )
    err = R.displacement_error(R.run_optzoo(tx), theirs)
    R.check(
        "apollo",
        err,
        "NumPy transcription of Algorithm 1 (optzoo's random projections)",
        kind="transcription",
    )


def test_apollo_mini_matches_algorithm_1():
    lr, gap, wd, key = 1e-3, 20, 0.1, 7
    theirs = _apollo_transcription(lr, 1, gap, 128.0, "tensor", wd, key)
    tx = optzoo.create(
        "apollo_mini",
        preset="authors",
        learning_rate=lr,
        update_proj_gap=gap,
        weight_decay=wd,
        key=key,
    )
    err = R.displacement_error(R.run_optzoo(tx), theirs)
    R.check(
        "apollo_mini",
        err,
        "NumPy transcription of Algorithm 1 (optzoo's random projections)",
        kind="transcription",
    )


# Chen et al. Fira: Can We Achieve Full-rank Training of LLMs Under Low-rank Constraint?
# 2024. https://arxiv.org/abs/2410.01623, Algorithm 1: GaLore's projected Adam (SVD basis
# refreshed at 0-based steps t % T == 0), plus the residual G - alpha P^T P G scaled per
# channel by ||N|| / ||R||, divided by the norm-growth limiter; the authors' weight decay
# of the stepped weights.
def test_fira_matches_algorithm_1():
    lr, rank, gap, alpha, wd = 1e-2, 2, 20, 0.5, 0.1
    b1, b2, eps = 0.9, 0.999, 1e-6

    def step(x, g, st, t):
        new = {}
        c = math.sqrt(1 - b2**t) / (1 - b1**t)
        for k in x:
            gk = g[k]
            if k == "matrix":  # 4 x 3: right projection
                if (t - 1) % gap == 0:
                    st["P"] = np.linalg.svd(gk, full_matrices=False)[2][:rank]
                r = gk @ st["P"].T
            else:
                r = gk
            st["m"][k] = b1 * st["m"].get(k, 0) + (1 - b1) * r
            st["v"][k] = b2 * st["v"].get(k, 0) + (1 - b2) * r * r
            n = st["m"][k] / (np.sqrt(st["v"][k]) + eps)
            if k == "matrix":
                phi = np.linalg.norm(n, axis=1, keepdims=True) / (
                    np.linalg.norm(r, axis=1, keepdims=True) + 1e-8
                )
                e = (gk - alpha * r @ st["P"]) * phi
                norm = np.linalg.norm(e)
                if "last" in st:
                    lim = max(norm / (st["last"] + 1e-8), 1.01) / 1.01
                    e, norm = e / lim, norm / lim
                st["last"] = norm
                n = alpha * n @ st["P"] + e
            new[k] = (x[k] - lr * c * n) * (1 - lr * wd)
        return new, st

    theirs = R.run_numpy(step, {"m": {}, "v": {}})
    tx = optzoo.create(
        "fira",
        preset="authors",
        learning_rate=lr,
        rank=rank,
        update_proj_gap=gap,
        scale=alpha,
        weight_decay=wd,
    )
    err = R.displacement_error(R.run_optzoo(tx), theirs)
    R.check("fira", err, "NumPy transcription of Algorithm 1", kind="transcription")


# Wang et al. Conda: Column-Normalized Adam for Training Large Language Models Faster. 2025.
# https://arxiv.org/abs/2509.24218, Algorithm 1: m_t full; at t = 1 and every T steps
# U, S, V^T = svd(m_t); the second moment of the rotated gradient, the rotated momentum over
# its root, rotated back; the authors' weight decay of the stepped weights.
def test_conda_matches_algorithm_1():
    lr, gap, alpha, wd = 1e-2, 20, 0.5, 0.1
    b1, b2, eps = 0.9, 0.999, 1e-8

    def step(x, g, st, t):
        new = {}
        c = math.sqrt(1 - b2**t) / (1 - b1**t)
        for k in x:
            st["m"][k] = b1 * st["m"].get(k, 0) + (1 - b1) * g[k]
            if k == "matrix":  # 4 x 3: rotate on the right by V^T (3 x 3)
                if t == 1 or t % gap == 0:
                    st["P"] = np.linalg.svd(st["m"][k], full_matrices=False)[2]
                r, mr = g[k] @ st["P"].T, st["m"][k] @ st["P"].T
            else:
                r, mr = g[k], st["m"][k]
            st["v"][k] = b2 * st["v"].get(k, 0) + (1 - b2) * r * r
            n = mr / (np.sqrt(st["v"][k]) + eps)
            if k == "matrix":
                n = alpha * n @ st["P"]
            new[k] = (x[k] - lr * c * n) * (1 - lr * wd)
        return new, st

    theirs = R.run_numpy(step, {"m": {}, "v": {}})
    tx = optzoo.create(
        "conda",
        preset="authors",
        learning_rate=lr,
        update_proj_gap=gap,
        scale=alpha,
        weight_decay=wd,
    )
    err = R.displacement_error(R.run_optzoo(tx), theirs)
    R.check("conda", err, "NumPy transcription of Algorithm 1", kind="transcription")


# GaLore-AdamW against galore-torch 1.0. The authors' GaLoreAdamW takes the SVD of a float64
# gradient in float32 (get_orthogonal_matrix casts every non-float32 matrix), so the comparison
# runs in float32. The matrix is projected (the rank group); the vector and the rank-3 tensor
# are plain AdamW, as in the authors' examples.
def test_galore_adamw_matches_galore_torch():
    pytest.importorskip("torch")
    galore_torch = pytest.importorskip("galore_torch")
    lr, wd, rank, gap, scale = 1e-2, 1e-2, 2, 10, 0.25

    def make(tensors):
        vector, matrix, tensor = tensors
        return galore_torch.GaLoreAdamW(
            [
                dict(params=[vector, tensor]),
                dict(
                    params=[matrix],
                    rank=rank,
                    update_proj_gap=gap,
                    scale=scale,
                    proj_type="std",
                ),
            ],
            lr=lr,
            weight_decay=wd,
            no_deprecation_warning=True,
        )

    theirs = R.run_torch(make, dtype="float32")
    tx = optzoo.create(
        "galore_adamw",
        preset="authors",
        learning_rate=lr,
        weight_decay=wd,
        rank=rank,
        update_proj_gap=gap,
        scale=scale,
    )
    ours = R.run_optzoo(tx, dtype="float32")
    R.check(
        "galore_adamw",
        R.displacement_error(ours, theirs),
        "galore-torch 1.0",
        dtype="float32",
    )


# Gong et al. Towards Efficient Optimizer Design for LLM via Structured Fisher Approximation
# with a Low-Rank Extension. 2025. https://arxiv.org/abs/2502.07752, RACS: s, q = EMAs of the
# squared gradient's row and column means; G / (sqrt(s) sqrt(q)^T); norm-growth limiter
# gamma; x -= eta alpha rho G_hat, decoupled decay.
def test_racs_matches_the_algorithm_box():
    lr, beta, alpha, gamma, eps, wd = 1e-2, 0.9, 0.3, 1.01, 1e-8, 0.1

    def step(x, g, st, t):
        new = {}
        for k in x:
            gm = g[k].reshape(g[k].shape[0], -1) if g[k].ndim >= 2 else g[k].reshape(-1, 1)
            sq = gm**2
            st["s"][k] = beta * st["s"].get(k, 0) + (1 - beta) * sq.mean(axis=1)
            st["q"][k] = beta * st["q"].get(k, 1) + (1 - beta) * sq.mean(axis=0)
            ghat = gm / (np.sqrt(st["s"][k] + eps)[:, None] * np.sqrt(st["q"][k] + eps)[None, :])
            norm = np.linalg.norm(ghat)
            rho = 1.0 if t == 1 else gamma / max(norm / (st["phi"][k] + eps), gamma)
            st["phi"][k] = norm * rho
            new[k] = x[k] * (1 - lr * wd) - lr * alpha * rho * ghat.reshape(x[k].shape)
        return new, st

    theirs = R.run_numpy(step, {"s": {}, "q": {}, "phi": {}})
    tx = optzoo.create("racs", preset="authors", learning_rate=lr, alpha=alpha, weight_decay=wd)
    err = R.displacement_error(R.run_optzoo(tx), theirs)
    R.check("racs", err, "NumPy transcription of the RACS algorithm box", kind="transcription")


# Gong et al. (2025), the Alice algorithm box: switch U (one subspace iteration of
# Q~ = b3 U Q U^T + (1 - b3) G G^T from the old U, leading eigenvectors; here
# leading_basis == rank, so no random columns, and one switch at step 1), Sigma = U^T G,
# EMAs of Q, m, v, the compensation sqrt(m - r) (G - U Sigma) / sqrt(p) with its limiter,
# x -= eta alpha (U m / (sqrt v + eps) + alpha_c C), decoupled decay.
def test_alice_matches_the_algorithm_box():
    lr, b1, b2, b3, alpha, alpha_c, gamma, eps, wd = (
        1e-2,
        0.9,
        0.9,
        0.999,
        0.3,
        0.4,
        1.01,
        1e-8,
        0.1,
    )
    rank = 2

    def step(x, g, st, t):
        new = {}
        for k in x:
            gm = g[k].reshape(g[k].shape[0], -1) if g[k].ndim >= 2 else g[k].reshape(-1, 1)
            rows, cols = gm.shape
            r = min(rank, rows)
            if k not in st:
                z = np.zeros
                st[k] = dict(U=z((rows, r)), Q=z((r, r)), m=z((r, cols)), v=z((r, cols)))
                st[k].update(p=z(cols), phi=0.0)
            s = st[k]
            if t == 1:
                qt = b3 * s["U"] @ s["Q"] @ s["U"].T + (1 - b3) * gm @ gm.T
                u, _ = np.linalg.qr(qt @ s["U"])
                vals, vecs = np.linalg.eigh(u.T @ qt @ u)
                s["U"] = (u @ vecs)[:, np.argsort(-vals)[:r]]
            sig = s["U"].T @ gm
            s["Q"] = b3 * s["Q"] + (1 - b3) * sig @ sig.T
            s["m"] = b1 * s["m"] + (1 - b1) * sig
            s["v"] = b2 * s["v"] + (1 - b2) * sig**2
            s["p"] = np.maximum(b1 * s["p"] + (1 - b1) * ((gm**2).sum(0) - (sig**2).sum(0)), 1e-8)
            c = np.sqrt(rows - r) * (gm - s["U"] @ sig) / np.sqrt(s["p"])
            if s["phi"] > 0:
                c = c * gamma / max(np.linalg.norm(c) / s["phi"], gamma)
            s["phi"] = np.linalg.norm(c)
            upd = alpha * (s["U"] @ (s["m"] / (np.sqrt(s["v"]) + eps)) + alpha_c * c)
            new[k] = x[k] * (1 - lr * wd) - lr * upd.reshape(x[k].shape)
        return new, st

    theirs = R.run_numpy(step, {})
    tx = optzoo.create(
        "alice",
        preset="authors",
        learning_rate=lr,
        rank=rank,
        leading_basis=rank,
        update_interval=1000,
        weight_decay=wd,
    )
    err = R.displacement_error(R.run_optzoo(tx), theirs)
    R.check("alice", err, "NumPy transcription of the Alice algorithm box", kind="transcription")


# Peng, Quesnelle, Kingma. DeMo: Decoupled Momentum Optimization. 2024.
# https://arxiv.org/abs/2411.19870, Algorithm 1 on one process (Synchronize is the identity) in
# the form of the authors' code (bloc97/DeMo, a repository, no package): m = beta m + eta g,
# q = IDCT(TopK(DCT(m))) per chunk (the orthonormal DCT-II, as a matrix C: C x is
# scipy.fft.dct(x, norm="ortho") and their _dct(x, norm="ortho")), m -= q,
# x = x (1 - eta lambda) - eta sign(q). Leaves of rank 3 as (first axis, rest), optzoo's rule
# (the authors' code takes vectors and matrices only).
def _demo_chunk(n, target):
    return max(d for d in range(1, min(n, target) + 1) if n % d == 0)


def _demo_dct(n):
    """Orthonormal DCT-II matrix, exact zeros where cos(pi (2i + 1) k / 2n) vanishes (an FFT
    DCT, like scipy's, leaves ~1e-17 there, and sign(q) of round-off)."""
    k, i = np.arange(n)[:, None], np.arange(n)[None, :]
    c = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2 / n)
    c[0] /= np.sqrt(2)
    c[(2 * i + 1) * k % (2 * n) == n] = 0
    return c


def _demo_extract(m, top_k, chunk):
    x = m.reshape(m.shape[0], -1) if m.ndim >= 2 else m.reshape(1, -1)
    rows, cols = x.shape
    h = _demo_chunk(rows, chunk) if m.ndim >= 2 else 1
    w = _demo_chunk(cols, chunk)
    ch, cw = _demo_dct(h), _demo_dct(w)
    q = np.zeros_like(x)
    for i in range(0, rows, h):
        for j in range(0, cols, w):
            c = ch @ x[i : i + h, j : j + w] @ cw.T
            keep = np.argsort(-np.abs(c).ravel())[: min(top_k, c.size)]
            sel = np.zeros(c.size)
            sel[keep] = c.ravel()[keep]
            q[i : i + h, j : j + w] = ch.T @ sel.reshape(c.shape) @ cw
    return q.reshape(m.shape)


def test_demo_matches_algorithm_1():
    lr, beta, top_k, chunk, wd = 1e-2, 0.9, 2, 6, 0.1

    def step(x, g, st, t):
        new = {}
        for k in x:
            m = beta * st.get(k, np.zeros_like(x[k])) + lr * g[k]
            q = _demo_extract(m, top_k, chunk)
            st[k] = m - q
            new[k] = x[k] * (1 - lr * wd) - lr * np.sign(q)
        return new, st

    theirs = R.run_numpy(step, {})
    tx = optzoo.create(
        "demo",
        preset="authors",
        learning_rate=lr,
        compression_decay=beta,
        compression_top_k=top_k,
        compression_chunk=chunk,
        weight_decay=wd,
    )
    err = R.displacement_error(R.run_optzoo(tx), theirs)
    R.check("demo", err, "NumPy transcription of Algorithm 1", kind="transcription")
