"""The matrix optimizers against their authors' code (issue #14).

Muon runs against Keller Jordan's package (``muon-optimizer``) and ``torch.optim.Muon``;
PSGD-Kron against Xi-Lin Li's ``psgd_torch``; SOAP, Shampoo and Scion against NumPy
transcriptions of the papers' algorithm boxes (their authors published no package). See
tests/authors/_reference.py for the problem and the tolerance.
"""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import optzoo

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402

WD = 0.1


def _no_bfloat16(monkeypatch, torch):
    """The authors' Newton-Schulz casts to bfloat16 (``G.bfloat16()``): make that cast the
    identity so their code runs in float64 like optzoo's (bfloat16 matmuls of two libraries
    cannot agree to 1e-6)."""
    monkeypatch.setattr(torch.Tensor, "bfloat16", lambda self, *a, **k: self)


class _Both:
    """Steps two torch optimizers as one (a Muon for the matrices, an Adam for the rest)."""

    def __init__(self, *opts):
        self.opts = opts

    def zero_grad(self):
        for o in self.opts:
            o.zero_grad()

    def step(self):
        for o in self.opts:
            o.step()


# --------------------------------------------------------------------------- Muon


def test_muon_matches_keller_jordan(monkeypatch):
    torch = pytest.importorskip("torch")
    muon = pytest.importorskip("muon")
    _no_bfloat16(monkeypatch, torch)
    lr = 0.02

    def make(tensors):
        vector, matrix, tensor = tensors
        return muon.SingleDeviceMuonWithAuxAdam(
            [
                dict(params=[matrix, tensor], lr=lr, weight_decay=WD, use_muon=True),
                dict(params=[vector], weight_decay=WD, use_muon=False),
            ]
        )

    theirs = R.run_torch(make)
    tx = optzoo.create(
        "muon", preset="authors", learning_rate=lr, weight_decay=WD, adam_weight_decay=WD
    )
    ours = R.run_optzoo(tx)
    R.check("muon", R.displacement_error(ours, theirs), "muon-optimizer 0.1.0")


@pytest.mark.slow
@pytest.mark.parametrize("adjust_lr_fn", [None, "original", "match_rms_adamw"])
def test_muon_matches_torch_optim_muon(monkeypatch, adjust_lr_fn):
    """torch.optim.Muon (2-D parameters only) with torch.optim.AdamW for the others, as its
    documentation recommends: optzoo with ``higher_rank="adam"`` and torch's AdamW defaults.
    torch's momentum is ``m = mu m + g`` (no ``1 - mu``): the same direction after
    Newton-Schulz's normalisation up to its epsilon."""
    torch = pytest.importorskip("torch")
    _no_bfloat16(monkeypatch, torch)
    lr = 0.02

    def make(tensors):
        vector, matrix, tensor = tensors
        return _Both(
            torch.optim.Muon([matrix], lr=lr, weight_decay=WD, adjust_lr_fn=adjust_lr_fn),
            torch.optim.AdamW([vector, tensor], lr=lr, weight_decay=WD),
        )

    theirs = R.run_torch(make)
    tx = optzoo.muon(
        lr,
        eps=1e-7,
        weight_decay=WD,
        bias_correction=False,
        higher_rank="adam",
        matrix_layout="out_in",
        consistent_rms=0.2 if adjust_lr_fn == "match_rms_adamw" else None,
        adam_eps=1e-8,
        adam_nesterov=False,
        adam_weight_decay=WD,
    )
    err = R.displacement_error(R.run_optzoo(tx), theirs)
    assert err <= R.TOL["float64"], err


# --------------------------------------------------------------------------- PSGD-Kron


def _kron_probes(seed: int = 0) -> list[dict[str, np.ndarray]]:
    """The Gaussian probes ``V`` optzoo draws at each step (``seed``: psgd_kron's ``seed``):
    ``key, sub = split(key)``, then ``normal(fold_in(sub, i))`` for the ``i``-th leaf in tree
    order. The reference is handed the same arrays in place of its ``torch.randn_like``."""
    with jax.enable_x64(True):
        key, out = jax.random.PRNGKey(seed), []
        for _ in range(R.STEPS):
            key, sub = jax.random.split(key)
            out.append(
                {
                    k: np.asarray(
                        jax.random.normal(jax.random.fold_in(sub, i), R.SHAPES[k], jnp.float64)
                    )
                    for i, k in enumerate(sorted(R.SHAPES))
                }
            )
    return out


def test_psgd_kron_matches_the_authors_kron(monkeypatch):
    """kron_torch (Evan Walters, Omead Pooladzandi, Xi-Lin Li), with its preconditioner in
    float64 (``precond_dtype``; its default float32) and torch.compile off (eager, the same
    code). Their random factor re-balancing (1% of steps) leaves the preconditioner unchanged
    in exact arithmetic and is kept. What is left (~1e-8) is theirs: the triangular solves
    cast to float32 whatever ``precond_dtype`` (``_solve_triangular_right``), and their RMS
    cap adds 1e-12 where optzoo adds 1e-6."""
    torch = pytest.importorskip("torch")
    kron_torch = pytest.importorskip("kron_torch")
    monkeypatch.setattr(torch._dynamo.config, "disable", True)
    probes = iter(
        torch.from_numpy(p[k].copy()) for p in _kron_probes() for k in R.SHAPES
    )  # their loop visits the leaves in parameter order: vector, matrix, tensor
    monkeypatch.setattr(torch, "randn_like", lambda g: next(probes).reshape(g.shape))
    lr = 0.01

    def make(tensors):
        return kron_torch.Kron(tensors, lr=lr, weight_decay=WD, precond_dtype=torch.float64)

    theirs = R.run_torch(make)
    ours = R.run_optzoo(
        optzoo.create("psgd_kron", preset="authors", learning_rate=lr, weight_decay=WD)
    )
    R.check("psgd_kron", R.displacement_error(ours, theirs), "kron-torch 0.3.3")


# --------------------------------------------------------------------------- SOAP


def _as_matrices(x: np.ndarray) -> np.ndarray:
    """optzoo's ``higher_rank="batch"`` view: a stack of matrices over the last two axes."""
    return x.reshape(-1, *x.shape[-2:])


def _eig_desc(a: np.ndarray) -> np.ndarray:
    _, q = np.linalg.eigh(a)
    return q[..., ::-1]


def _t(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def _soap_step(lr, wd, b1=0.95, b2=0.95, eps=1e-8, freq=10):
    """NumPy transcription of SOAP: Vyas, Morwani, Zhao, Kwun, Shapira, Brandfonbrener,
    Janson, Kakade. SOAP: Improving and Stabilizing Shampoo using Adam. 2024.
    https://arxiv.org/abs/2409.11321, Algorithm 3 (one step on an m x n layer: Adam on
    Q_L^T G Q_R, the step rotated back) and Algorithm 4 (every f steps, one power-iteration
    step and QR for the eigenbases, columns ordered by Q^T L Q's diagonal, V reordered to
    match), with the authors' code's conventions: step 1 only accumulates L, R and takes
    their eigenvectors (no update, no decay); Adam's bias correction counts from step 2;
    the decay multiplies the updated weights; vectors get plain Adam (no rotation)."""

    def step(params, grads, state, t):
        new = {}
        for k, p in params.items():
            s = state[k]
            g = grads[k] if p.ndim == 1 else _as_matrices(grads[k])
            if p.ndim > 1 and t == 1:
                s["L"] = (1 - b2) * g @ _t(g)
                s["R"] = (1 - b2) * _t(g) @ g
                s["QL"], s["QR"] = _eig_desc(s["L"]), _eig_desc(s["R"])
            if t == 1:
                s["M"], s["V"] = np.zeros_like(g), np.zeros_like(g)
                new[k] = p
                continue

            def rot(x, s=s, vec=p.ndim == 1):
                return x if vec else _t(s["QL"]) @ x @ s["QR"]

            def unrot(x, s=s, vec=p.ndim == 1):
                return x if vec else s["QL"] @ x @ _t(s["QR"])

            n = t - 1  # Adam's step count
            s["M"] = b1 * s["M"] + (1 - b1) * g
            s["V"] = b2 * s["V"] + (1 - b2) * rot(g) ** 2
            direction = unrot(rot(s["M"]) / (np.sqrt(s["V"]) + eps))
            size = lr * np.sqrt(1 - b2**n) / (1 - b1**n)
            new[k] = (p - size * direction.reshape(p.shape)) * (1 - lr * wd)
            if p.ndim > 1:
                s["L"] = b2 * s["L"] + (1 - b2) * g @ _t(g)
                s["R"] = b2 * s["R"] + (1 - b2) * _t(g) @ g
                if n % freq == 0:  # Algorithm 4, on each matrix of the stack
                    for b in range(g.shape[0]):
                        for side, axis in (("L", 0), ("R", 1)):
                            q, gg = s["Q" + side][b], s[side][b]
                            order = np.argsort(-np.diag(q.T @ gg @ q), kind="stable")
                            s["V"][b] = np.take(s["V"][b], order, axis=axis)
                            s["Q" + side][b] = np.linalg.qr(gg @ q[:, order])[0]
        return new, state

    return step


def test_soap_matches_the_paper():
    """The rank-3 leaf is a stack of (3, 4) matrices on both sides (``higher_rank="batch"``):
    flattened to (6, 4), L starts with a 2-dimensional null space in which any basis is an
    eigenbasis, and two LAPACK builds pick different ones (the authors keep one factor per
    axis instead, which optzoo does not implement)."""
    lr = 3e-2
    theirs = R.run_numpy(_soap_step(lr, WD), {k: {} for k in R.SHAPES})
    tx = optzoo.create(
        "soap", preset="authors", learning_rate=lr, weight_decay=WD, higher_rank="batch"
    )
    ours = R.run_optzoo(tx)
    R.check(
        "soap",
        R.displacement_error(ours, theirs),
        "NumPy transcription of Algorithms 3 and 4",
        kind="transcription",
    )


# --------------------------------------------------------------------------- Scion


def _newton_schulz(g: np.ndarray, steps: int = 5, eps: float = 1e-7) -> np.ndarray:
    """Keller Jordan's quintic Newton-Schulz on the last two axes (a batch of matrices for a
    rank-3 leaf), on the wide orientation, each matrix normalised by ``|X|_F + 1e-7``, in
    float64 (the Scion, AdaMuon and NorMuon authors' code runs it in bfloat16)."""
    a, b, c = 3.4445, -4.7750, 2.0315
    tall = g.shape[-2] > g.shape[-1]
    x = np.swapaxes(g, -1, -2) if tall else g
    x = x / (np.linalg.norm(x, axis=(-2, -1), keepdims=True) + eps)
    for _ in range(steps):
        s = x @ np.swapaxes(x, -1, -2)
        x = a * x + (b * s + c * s @ s) @ x
    return np.swapaxes(x, -1, -2) if tall else x


def _scion_step(lr, alpha, radius=1.0):
    """NumPy transcription of Scion: Pethick, Xie, Antonakopoulos, Zhu, Silveti-Falls,
    Cevher. Training Deep Learning Models with Norm-Constrained LMOs. 2025.
    https://arxiv.org/abs/2502.07529, the SCG algorithm box (d = (1 - alpha) d + alpha g,
    x = (1 - gamma) x + gamma lmo(d)), with the LMOs of the authors' code for PyTorch
    ``(out, in)`` weights: matrices ``-radius sqrt(out/in) NS(d)``, vectors
    ``-radius d / (RMS(d) + 1e-8)``. The rank-3 leaf is viewed as optzoo's (6, 4) matrix
    (the authors' code has a conv-kernel rule instead). What is left (~1e-8) is the
    Newton-Schulz epsilon: theirs 1e-7, optzoo's 1e-8 (one ``eps`` with the RMS
    normalisation, where theirs is 1e-8 too)."""

    def lmo(d):
        if d.ndim == 1:
            return -radius * d / (np.sqrt(np.mean(d * d)) + 1e-8)
        mat = _as_matrices(d).reshape(-1, d.shape[-1])  # every axis but the last: rows
        rows, cols = mat.shape
        return -radius * np.sqrt(rows / cols) * _newton_schulz(mat).reshape(d.shape)

    def step(params, grads, state, t):
        new = {}
        for k, p in params.items():
            state[k] = (1 - alpha) * state[k] + alpha * grads[k]
            new[k] = (1 - lr) * p + lr * lmo(state[k])
        return new, state

    return step


def test_scion_matches_the_paper():
    lr, alpha = 0.01, 0.1  # alpha: the paper's and every authors' example's momentum
    theirs = R.run_numpy(_scion_step(lr, alpha), {k: np.zeros(s) for k, s in R.SHAPES.items()})
    tx = optzoo.create("scion", preset="authors", learning_rate=lr, momentum=alpha)
    R.check(
        "scion",
        R.displacement_error(R.run_optzoo(tx), theirs),
        "NumPy transcription of the SCG algorithm box",
        kind="transcription",
    )


# --------------------------------------------------------------------------- Shampoo


def _inverse_root(a: np.ndarray, p: int) -> np.ndarray:
    w, v = np.linalg.eigh(a)
    return (v * w ** (-1.0 / p)) @ v.T


def _shampoo_step(lr, eps=1e-6):
    """NumPy transcription of Shampoo: Gupta, Koren, Singer. Shampoo: Preconditioned
    Stochastic Tensor Optimization. 2018. https://arxiv.org/abs/1802.09568, Algorithm 1
    (L_0 = eps I_m, R_0 = eps I_n; L_t = L_{t-1} + G G^T, R_t = R_{t-1} + G^T G;
    W_{t+1} = W_t - lr L_t^{-1/4} G_t R_t^{-1/4}). The rank-3 leaf is optzoo's (6, 4)
    matrix (Algorithm 2 would keep one factor per axis with exponent -1/6), and the vector
    gets diagonal AdaGrad, optzoo's rule for rank-1 leaves (Algorithm 2 would use
    full-matrix AdaGrad, ``(eps I + sum g g^T)^{-1/2} g``)."""

    def step(params, grads, state, t):
        new = {}
        for k, p in params.items():
            g = grads[k]
            if p.ndim == 1:
                state[k] = state[k] + g * g
                new[k] = p - lr * g / (np.sqrt(state[k]) + 1e-8)
                continue
            g = g.reshape(-1, g.shape[-1])
            if not state[k]:
                state[k] = [eps * np.eye(g.shape[0]), eps * np.eye(g.shape[1])]
            state[k][0] = state[k][0] + g @ g.T
            state[k][1] = state[k][1] + g.T @ g
            pre = _inverse_root(state[k][0], 4) @ g @ _inverse_root(state[k][1], 4)
            new[k] = p - lr * pre.reshape(p.shape)
        return new, state

    return step


def test_shampoo_matches_the_paper():
    lr = 0.05
    theirs = R.run_numpy(_shampoo_step(lr), {"vector": np.zeros(5), "matrix": [], "tensor": []})
    ours = R.run_optzoo(optzoo.create("shampoo", preset="authors", learning_rate=lr))
    R.check(
        "shampoo",
        R.displacement_error(ours, theirs),
        "NumPy transcription of Algorithm 1",
        kind="transcription",
    )


@pytest.mark.parametrize(
    "name, kwargs, culprit",
    [
        ("muon", {"matrix_layout": "rows"}, "matrix_layout"),
        ("scion", {"matrix_layout": "rows"}, "matrix_layout"),
        ("muon", {"adam_eps": -1.0}, "adam_eps"),
        ("psgd_kron", {"damping": -1.0}, "damping"),
    ],
)
def test_the_new_arguments_reject_bad_values_by_name(name, kwargs, culprit):
    with pytest.raises(ValueError, match=culprit):
        optzoo.create(name, **kwargs)


# --------------------------------------------------------------- AdaMuon and NorMuon


def _adamw_step(x, g, m, v, t, lr, b1, b2, eps):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    x = x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return x, m, v


def test_adamuon_matches_the_authors_step():
    """The authors' ``AdaMuon.step`` (adamuon.py): Nesterov momentum, Newton-Schulz, an
    element-wise second moment with bias correction, renormalisation to
    ``sqrt(min(shape)) / |O|_F`` and the step ``0.2 sqrt(max(m, n)) lr``, decay
    ``x *= 1 - lr wd`` first. The vector takes AdamW (optzoo's ``adam_*`` defaults); the
    authors' code has no rule for a rank-3 leaf, so it is given the (6, 4) matrix optzoo
    makes of it."""
    lr, mom, b2, eps, wd = 0.02, 0.95, 0.999, 1e-8, 0.01

    def step(x, g, state, t):
        buf, v, am, av = state
        for k in ("matrix", "tensor"):
            gk = g[k].reshape(-1, g[k].shape[-1])
            buf[k] = mom * buf[k] + (1 - mom) * gk
            o = _newton_schulz((1 - mom) * gk + mom * buf[k])
            v[k] = b2 * v[k] + (1 - b2) * o * o
            o = o / (np.sqrt(v[k] / (1 - b2**t)) + eps)
            o = o * min(o.shape) ** 0.5 / (np.linalg.norm(o) + eps)
            xk = x[k].reshape(o.shape) * (1 - lr * wd)
            x[k] = (xk - lr * 0.2 * max(o.shape) ** 0.5 * o).reshape(x[k].shape)
        x["vector"], am, av = _adamw_step(
            x["vector"], g["vector"], am, av, t, lr, 0.9, 0.999, 1e-10
        )
        return x, (buf, v, am, av)

    mats = {
        k: np.zeros((R.INIT[k].size // R.INIT[k].shape[-1], R.INIT[k].shape[-1]))
        for k in ("matrix", "tensor")
    }
    state = (mats, {k: a.copy() for k, a in mats.items()}, np.zeros(5), np.zeros(5))
    theirs = R.run_numpy(step, state)
    ours = R.run_optzoo(optzoo.create("adamuon", preset="authors", learning_rate=lr))
    R.check(
        "adamuon",
        R.displacement_error(ours, theirs),
        "NumPy transcription of the authors' AdaMuon.step (Newton-Schulz in float64)",
        kind="transcription",
    )


def test_normuon_matches_the_authors_step():
    """The authors' ``SingleDeviceNorMuon.step`` / ``normuon_update`` (normuon.py):
    Nesterov momentum, Newton-Schulz per matrix of the last two axes, an EMA of the mean
    square of each row (no bias correction), the update renormalised to the Frobenius norm
    of the orthogonalised one and scaled by ``sqrt(max(1, rows / cols))``, decay
    ``x *= 1 - lr wd`` first. The vector takes AdamW (optzoo's ``adam_*`` defaults)."""
    lr, mom, b2, wd = 0.02, 0.95, 0.95, 0.01

    def step(x, g, state, t):
        buf, v, am, av = state
        for k in ("matrix", "tensor"):
            buf[k] = mom * buf[k] + (1 - mom) * g[k]
            o = _newton_schulz((1 - mom) * g[k] + mom * buf[k])
            norm = np.linalg.norm(o, axis=(-2, -1), keepdims=True)
            v[k] = b2 * v[k] + (1 - b2) * np.mean(o * o, axis=-1, keepdims=True)
            o = o / (np.sqrt(v[k]) + 1e-10)
            o = o * norm / (np.linalg.norm(o, axis=(-2, -1), keepdims=True) + 1e-10)
            o = o * max(1, g[k].shape[-2] / g[k].shape[-1]) ** 0.5
            x[k] = x[k] * (1 - lr * wd) - lr * o
        x["vector"], am, av = _adamw_step(
            x["vector"], g["vector"], am, av, t, lr, 0.9, 0.999, 1e-10
        )
        return x, (buf, v, am, av)

    buf = {k: np.zeros_like(R.INIT[k]) for k in ("matrix", "tensor")}
    v = {k: np.zeros(R.INIT[k].shape[:-1] + (1,)) for k in ("matrix", "tensor")}
    theirs = R.run_numpy(step, (buf, v, np.zeros(5), np.zeros(5)))
    ours = R.run_optzoo(
        optzoo.create("normuon", preset="authors", learning_rate=lr, weight_decay=wd)
    )
    R.check(
        "normuon",
        R.displacement_error(ours, theirs),
        "NumPy transcription of the authors' SingleDeviceNorMuon.step (Newton-Schulz in float64)",
        kind="transcription",
    )


# --------------------------------------------------------------------------- ScionLight


def _scionlight_step(lr, alpha, radius=1.0):
    """NumPy transcription of the Scion authors' ScionLight (Pethick et al. 2025,
    https://arxiv.org/abs/2502.07529, LIONS-EPFL/scion): the gradient buffer is decayed by
    ``1 - alpha`` after each step and the next gradient is added to it (d = (1 - alpha) d + g),
    then the unconstrained step x = x + lr lmo(d), with the LMOs of ``_scion_step``."""

    def lmo(d):
        if d.ndim == 1:
            return -radius * d / (np.sqrt(np.mean(d * d)) + 1e-8)
        mat = _as_matrices(d).reshape(-1, d.shape[-1])
        rows, cols = mat.shape
        return -radius * np.sqrt(rows / cols) * _newton_schulz(mat).reshape(d.shape)

    def step(params, grads, state, t):
        new = {}
        for k, p in params.items():
            state[k] = (1 - alpha) * state[k] + grads[k]
            new[k] = p + lr * lmo(state[k])
        return new, state

    return step


def test_scionlight_matches_the_authors_rule():
    lr, alpha = 0.01, 0.1
    theirs = R.run_numpy(_scionlight_step(lr, alpha), {k: np.zeros(s) for k, s in R.SHAPES.items()})
    tx = optzoo.create("scionlight", preset="authors", learning_rate=lr)
    R.check(
        "scionlight",
        R.displacement_error(R.run_optzoo(tx), theirs),
        "NumPy transcription of the authors' ScionLight update",
        kind="transcription",
    )


# --------------------------------------------------------------------------- SPlus


def _splus_step(lr, b1=0.9, b2=0.999, wd=1e-2, inverse_every=100, nonstandard=1e-3, eps=1e-30):
    """NumPy transcription of the authors' optax SPlus (Frans, Levine, Abbeel. A Stable
    Whitening Optimizer for Efficient Neural Network Training. 2025.
    https://arxiv.org/abs/2506.07254; kvfrans/splus, optax/splus.py): momentum, the sign of
    the momentum in the eigenbases of the EMAs of G G^T and G^T G (refreshed after the step-1
    update and every ``inverse_every`` steps), plus ``wd * x``, times ``lr`` and the shape
    factor ``1 / (m + n) / 2`` (matrices) or ``nonstandard`` (other leaves)."""

    def step(params, grads, state, t):
        new = {}
        for k, p in params.items():
            g = grads[k]
            st = state.setdefault(k, {"m": np.zeros_like(p)})
            st["m"] = b1 * st["m"] + (1 - b1) * g
            if p.ndim == 2:
                if "q" not in st:
                    st["s"] = [np.zeros((d, d)) for d in p.shape]
                    st["q"] = [np.eye(d) for d in p.shape]
                u = st["q"][0] @ np.sign(st["q"][0].T @ st["m"] @ st["q"][1]) @ st["q"][1].T
                st["s"][0] = b2 * st["s"][0] + (1 - b2) * g @ g.T
                st["s"][1] = b2 * st["s"][1] + (1 - b2) * g.T @ g
                if t == 1 or t % inverse_every == 0:
                    st["q"] = [np.linalg.eigh(s + eps * np.eye(len(s)))[1] for s in st["s"]]
                scale = 1 / (p.shape[0] + p.shape[1]) / 2
            else:
                u = np.sign(st["m"])
                scale = nonstandard
            new[k] = p - lr * scale * (u + wd * p)
        return new, state

    return step


def test_splus_matches_the_authors_code():
    lr = 0.1
    theirs = R.run_numpy(_splus_step(lr, inverse_every=10), {})
    tx = optzoo.create("splus", preset="authors", learning_rate=lr, inverse_steps=10)
    R.check(
        "splus",
        R.displacement_error(R.run_optzoo(tx), theirs),
        "NumPy transcription of the authors' optax code",
        kind="transcription",
    )


def _ns_jordan(x, steps=5, a=3.4445, b=-4.7750, c=2.0315):
    tall = x.shape[0] > x.shape[1]
    x = x.T if tall else x
    x = x / np.linalg.norm(x)
    for _ in range(steps):
        s = x @ x.T
        x = a * x + (b * s + c * s @ s) @ x
    return x.T if tall else x


# Zhang, Liu, Schaeffer. AdaGrad Meets Muon: Adaptive Stepsizes for Orthogonal Updates. 2025.
# https://arxiv.org/abs/2509.02981, Algorithm 1 (AdaGO) on rank >= 2 leaves (a (d0, d1, d2)
# tensor as the (d0 d1, d2) matrix): M = mu M + (1 - mu) G; v^2 += min(||G||^2, gamma^2);
# W -= max(eps, lr min(||G||, gamma) / v) NS(M); vectors take AdamW.
def test_adago_matches_algorithm_1():
    lr, mu, gamma, eps, v0 = 0.05, 0.95, 10.0, 5e-4, 1e-6
    alr, b1, b2, aeps = 3e-4, 0.9, 0.95, 1e-10

    def step(x, g, s, t):
        m, v = dict(s[0]), dict(s[1])
        new = {}
        for k in x:
            if x[k].ndim == 1:  # AdamW (no decay): m holds the first moment, v the second
                m[k] = b1 * m[k] + (1 - b1) * g[k]
                v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
                mh, vh = m[k] / (1 - b1**t), v[k] / (1 - b2**t)
                new[k] = x[k] - alr * mh / (np.sqrt(vh) + aeps)
                continue
            m[k] = mu * m[k] + (1 - mu) * g[k]
            n = np.linalg.norm(g[k])
            v[k] = v[k] + min(n**2, gamma**2)
            o = _ns_jordan(m[k].reshape(-1, m[k].shape[-1])).reshape(m[k].shape)
            new[k] = x[k] - max(eps, lr * min(n, gamma) / np.sqrt(v[k])) * o
        return new, (m, v)

    init = R.init_params()
    m0 = {k: np.zeros_like(a) for k, a in init.items()}
    v0s = {k: (np.zeros_like(a) if a.ndim == 1 else v0**2) for k, a in init.items()}
    theirs = R.run_numpy(step, (m0, v0s))
    ours = R.run_optzoo(optzoo.create("adago", preset="authors", learning_rate=lr))
    err = R.displacement_error(ours, theirs)
    R.check("adago", err, "NumPy transcription of Algorithm 1", kind="transcription")


# --------------------------------------------------------------------------- SpectralSphere


@pytest.mark.slow
def test_spectralsphere_matches_the_paper():
    """Xie et al. Controlled LLM Training on Spectral Sphere. 2026.
    https://arxiv.org/abs/2601.08393: the tangent update msign(x + lambda theta) with
    <theta, msign(x + lambda theta)> = 0, by the NumPy transcription of
    tests/optimizers/test_matrix_spectral.py (float64; the rank-3 leaf as a (6, 4) matrix);
    the vector leaf takes AdamW, as optzoo routes it."""
    import importlib.util

    path = pathlib.Path(__file__).parents[1] / "optimizers" / "test_matrix_spectral.py"
    spec = importlib.util.spec_from_file_location("_sso_transcription", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    lr, mu, wd = 0.02, 0.9, 0.01
    b1, b2, eps = 0.9, 0.999, 1e-8

    def step(params, grads, state, t):
        new = {}
        for k, p in params.items():
            g = grads[k]
            if p.ndim == 1:
                m, v = state.get(k, (np.zeros_like(p), np.zeros_like(p)))
                m = b1 * m + (1 - b1) * g
                v = b2 * v + (1 - b2) * g * g
                state[k] = (m, v)
                mh, vh = m / (1 - b1**t), v / (1 - b2**t)
                new[k] = p - lr * mh / (np.sqrt(vh) + eps)
                continue
            buf = state.get(k, np.zeros_like(p))
            buf = buf + (1 - mu) * (g - buf)
            state[k] = buf
            look = g + mu * (buf - g)
            mat = look.reshape(-1, p.shape[-1])
            u, _ = mod._np_sphere_direction(p.reshape(-1, p.shape[-1]), mat)
            new[k] = p - lr * (u.reshape(p.shape) + wd * p)
        return new, state

    theirs = R.run_numpy(step, {}, steps=30)
    tx = optzoo.create("spectralsphere", preset="authors", learning_rate=lr, weight_decay=wd)
    R.check(
        "spectralsphere",
        R.displacement_error(R.run_optzoo(tx, steps=30), theirs),
        "NumPy transcription of the tangent update",
        kind="transcription",
    )
