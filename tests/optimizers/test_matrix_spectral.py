"""Spectral and LMO optimizers beyond Muon and Scion: ScionLight, SPlus, SpectralSphere.

Each against pytorch_optimizer 4.1.0 in float64 where its arithmetic allows a 1e-6
comparison (its Newton-Schulz runs in bfloat16, so spectral paths are checked against NumPy
transcriptions of the papers instead).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _trajectory import max_rel_error, trajectory

import optzoo

NS = (3.4445, -4.7750, 2.0315)


def _loss(p):
    return sum(
        jnp.sum(jnp.cos(x) + 0.3 * x**2 + 0.2 * x * jnp.sin(2 * x)) for x in jax.tree.leaves(p)
    )


def _torch_loss(torch, tensors):
    return sum((torch.cos(x) + 0.3 * x**2 + 0.2 * x * torch.sin(2 * x)).sum() for x in tensors)


def _np_grad(x):
    return -np.sin(x) + 0.6 * x + 0.2 * np.sin(2 * x) + 0.4 * x * np.cos(2 * x)


def _run(tx, p, steps):
    return trajectory(tx, p, steps, _loss)[0]


def _params(seed):
    k = jax.random.split(jax.random.PRNGKey(seed), 3)
    return {
        "w": jax.random.normal(k[0], (5, 3), jnp.float64),
        "h": jax.random.normal(k[1], (3, 6), jnp.float64),
        "b": jax.random.normal(k[2], (4,), jnp.float64),
    }


def _np_ns(g, eps=1e-8):
    x = g.copy()
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T
    x = x / (np.linalg.norm(x) + eps)
    a, b, c = NS
    for _ in range(5):
        m = x @ x.T
        x = a * x + (b * m + c * m @ m) @ x
    return x.T if tall else x


# ----------------------------------------------------------------------------- ScionLight


@pytest.mark.parametrize("constraint", [False, True])
def test_scionlight_sign_and_bias_match_pytorch_optimizer(constraint):
    torch = pytest.importorskip("torch")
    po = pytest.importorskip("pytorch_optimizer")
    kw = dict(momentum=0.3, scale=2.0, weight_decay=0.05, constraint=constraint)
    with jax.enable_x64(True):
        p0 = _params(0)
        norms = {"w": "sign", "h": "sign", "b": "bias_rms"}
        ours = _run(optzoo.scionlight(0.01, norms=norms, **kw), p0, 60)
    # torch weights are (out, in): the JAX (in, out) arrays transposed.
    tp = {k: torch.tensor(np.asarray(v).T.copy(), requires_grad=True) for k, v in p0.items()}
    from pytorch_optimizer.optimizer.scion import LMONorm

    groups = [
        {"params": [tp["w"], tp["h"]], "norm_type": LMONorm.SIGN},
        {"params": [tp["b"]], "norm_type": LMONorm.BIAS},
    ]
    opt = po.SCIONLight(groups, lr=0.01, foreach=False, **kw)
    ref = []
    for _ in range(60):
        # No zero_grad: ScionLight's momentum lives in the gradient buffers.
        _torch_loss(torch, tp.values()).backward()
        opt.step()
        ref.append({k: v.detach().numpy().T.copy() for k, v in tp.items()})
    assert max_rel_error(ours, ref) <= 1e-6


def test_scionlight_foreach_path_matches_too():
    torch = pytest.importorskip("torch")
    po = pytest.importorskip("pytorch_optimizer")
    from pytorch_optimizer.optimizer.scion import LMONorm

    with jax.enable_x64(True):
        p0 = _params(2)
        norms = {"w": "sign", "h": "sign", "b": "bias_rms"}
        ours = _run(optzoo.scionlight(0.02, momentum=0.5, norms=norms), p0, 30)
    tp = {k: torch.tensor(np.asarray(v).T.copy(), requires_grad=True) for k, v in p0.items()}
    # pytorch_optimizer's sign LMO divides by size(1); a vector has none: only matrices here.
    del tp["b"]
    ours = [{k: v for k, v in o.items() if k != "b"} for o in ours]
    opt = po.SCIONLight(
        [tp["w"], tp["h"]], lr=0.02, momentum=0.5, norm_type=LMONorm.SIGN, foreach=True
    )
    ref = []
    for _ in range(30):
        _torch_loss(torch, tp.values()).backward()
        opt.step()
        ref.append({k: v.detach().numpy().T.copy() for k, v in tp.items()})
    assert max_rel_error(ours, ref) <= 1e-6


@pytest.mark.parametrize("constraint", [False, True])
def test_scionlight_spectral_matches_numpy(constraint):
    # d <- (1 - a) d + g; uSCG: x <- x - lr (rho lmo(d) + wd x); SCG: x <- (1-lr) x - lr rho lmo(d).
    lr, a, rho, wd = 0.02, 0.2, 1.5, 0.01
    with jax.enable_x64(True):
        p0 = _params(1)
        p0["conv"] = jax.random.normal(jax.random.PRNGKey(9), (2, 2, 3, 4), jnp.float64)
        tx = optzoo.scionlight(lr, momentum=a, scale=rho, weight_decay=wd, constraint=constraint)
        ours = _run(tx, p0, 60)
    p = {k: np.asarray(v) for k, v in p0.items()}
    d = {k: np.zeros_like(v) for k, v in p.items()}
    ref = []
    for _ in range(60):
        for k in p:
            d[k] = (1 - a) * d[k] + _np_grad(p[k])
            if p[k].ndim >= 2:
                mat = d[k].reshape(-1, d[k].shape[-1])
                lmo = np.sqrt(mat.shape[1] / mat.shape[0]) * _np_ns(mat)
                lmo = lmo.reshape(d[k].shape)
            else:
                lmo = d[k] / (np.sqrt(np.mean(d[k] ** 2)) + 1e-8)
            if constraint:
                p[k] = (1 - lr) * p[k] - lr * rho * lmo
            else:
                p[k] = p[k] - lr * (rho * lmo + wd * p[k])
        ref.append({k: v.copy() for k, v in p.items()})
    assert max_rel_error(ours, ref) <= 1e-6


def test_scionlight_is_scion_up_to_epsilon():
    # lmo is scale-invariant: ScionLight's sum is 1/alpha times Scion's average.
    with jax.enable_x64(True):
        p0 = _params(3)
        a = optzoo.scionlight(
            0.01, momentum=0.25, norms={"w": "sign", "h": "spectral", "b": "bias_rms"}
        )
        b = optzoo.scion(0.01, momentum=0.25, norms={"w": "sign", "h": "spectral", "b": "bias_rms"})
        assert max_rel_error(_run(a, p0, 20), _run(b, p0, 20)) <= 1e-6


# ----------------------------------------------------------------------------- SPlus


def _square_params(seed):
    # Square matrices: the side statistics are full rank from step 1, so their eigenbases
    # are unique up to signs (which SPlus's sign-in-the-eigenbasis update does not see).
    k = jax.random.split(jax.random.PRNGKey(seed), 4)
    return {
        "w": jax.random.normal(k[0], (4, 4), jnp.float64),
        "h": jax.random.normal(k[1], (3, 3), jnp.float64),
        "b": jax.random.normal(k[2], (4,), jnp.float64),
        "k": jax.random.normal(k[3], (2, 3, 4), jnp.float64),
    }


def _torch_run(torch, make, p0, steps, transpose=False):
    tp = {
        k: torch.tensor(
            (np.asarray(v).T if transpose else np.asarray(v)).copy(), requires_grad=True
        )
        for k, v in p0.items()
    }
    opt = make(list(tp.values()))
    ref = []
    for _ in range(steps):
        opt.zero_grad()
        _torch_loss(torch, tp.values()).backward()
        opt.step()
        ref.append(
            {
                k: (v.detach().numpy().T if transpose else v.detach().numpy()).copy()
                for k, v in tp.items()
            }
        )
    return ref


@pytest.mark.parametrize("mode", ["after_update", "coupled"])
def test_splus_matches_pytorch_optimizer(mode):
    torch = pytest.importorskip("torch")
    po = pytest.importorskip("pytorch_optimizer")
    kw = dict(weight_decay=0.05, inverse_steps=7, nonstandard_constant=0.01)
    with jax.enable_x64(True):
        p0 = _square_params(0)
        tx = optzoo.splus(0.1, b1=0.8, b2=0.9, weight_decay_mode=mode, **kw)
        ours = _run(tx, p0, 60)
    ref = _torch_run(
        torch,
        lambda ps: po.SPlus(
            ps, lr=0.1, betas=(0.8, 0.9), weight_decouple=mode == "after_update", **kw
        ),
        p0,
        60,
    )
    # pytorch_optimizer runs eigh in float32 (eigenbases to ~1e-7): measured 8e-7 and 3e-7.
    assert max_rel_error(ours, ref) <= 1e-6


def test_splus_rectangular_non_matrix_leaves_and_first_step():
    # Step 1 uses the identity bases: every leaf moves by lr * c * sign(g).
    with jax.enable_x64(True):
        p0 = {"w": jnp.ones((5, 3)), "b": jnp.arange(1.0, 4.0), "k": jnp.ones((2, 3, 4))}
        tx = optzoo.splus(0.1, weight_decay=0.0, nonstandard_constant=0.01)
        (p1,) = _run(tx, p0, 1)
    for k, c in (("w", 2 / 8), ("b", 0.01), ("k", 0.01)):
        g = _np_grad(np.asarray(p0[k]))
        np.testing.assert_allclose(np.asarray(p1[k]), np.asarray(p0[k]) - 0.1 * c * np.sign(g))


# ----------------------------------------------------------------------------- SpectralSphere

PE = (
    (8.2051, -22.9019, 16.4607),
    (4.0664, -2.8612, 0.5184),
    (3.9096, -2.8234, 0.5250),
    (3.2856, -2.4153, 0.4853),
    (2.2779, -1.6198, 0.3985),
)


def _np_msign(x):
    tall = x.shape[0] > x.shape[1]
    y = x.T if tall else x
    y = y / max(np.linalg.norm(y), 1e-7)
    for a, b, c in PE:
        gram = y @ y.T
        y = a * y + (b * gram + c * gram @ gram) @ y
    return y.T if tall else y


def _np_sphere_direction(w, m, tol=1e-8, iters=100):
    """Xie et al. 2026 (https://arxiv.org/abs/2601.08393) as pytorch_optimizer writes it:
    x = m / |m|_F, theta = u1 v1^T by 10 power iterations from ones, lambda with
    <theta, msign(x + lambda theta)> = 0 by a bracket of 10 doublings of 1e-3 and bisection."""
    x = m / max(np.linalg.norm(m), 1e-8)
    v = np.ones((w.shape[1], 1))
    for _ in range(10):
        v = w.T @ (w @ v)
        v = v / max(np.linalg.norm(v), 1e-12)
    u = w @ v
    u = u / max(np.linalg.norm(u), 1e-12)
    theta = u @ v.T

    def f(lam):
        return float(np.sum(theta * _np_msign(x + lam * theta)))

    prev, prev_f = 0.0, f(0.0)
    step = 1e-3 if prev_f < 0 else -1e-3
    lam = 0.0
    if abs(prev_f) >= tol:
        bracket = None
        for _ in range(10):
            cur = prev + step
            cur_f = f(cur)
            if (prev_f <= 0) != (cur_f <= 0):
                bracket = (prev, cur, prev_f, cur_f) if prev_f <= 0 else (cur, prev, cur_f, prev_f)
                break
            prev, prev_f, step = cur, cur_f, 2 * step
        if bracket is not None:
            left, right, left_f, right_f = bracket
            best, best_f = (left, left_f) if abs(left_f) < abs(right_f) else (right, right_f)
            if abs(best_f) > tol:
                for _ in range(iters):
                    mid = 0.5 * (left + right)
                    mid_f = f(mid)
                    if abs(mid_f) < abs(best_f):
                        best, best_f = mid, mid_f
                    if abs(mid_f) <= tol:
                        break
                    if mid_f < 0:
                        left = mid
                    else:
                        right = mid
            lam = best
    return _np_msign(x + lam * theta), theta


@pytest.mark.slow
def test_spectralsphere_matches_numpy_transcription():
    lr, mu, wd = 0.02, 0.9, 0.05
    with jax.enable_x64(True):
        p0 = {k: v for k, v in _params(4).items() if k != "b"}
        tx = optzoo.spectralsphere(lr, momentum=mu, weight_decay=wd)
        ours = _run(tx, p0, 20)
    p = {k: np.asarray(v) for k, v in p0.items()}
    buf = {k: np.zeros_like(v) for k, v in p.items()}
    ref = []
    for _ in range(20):
        for k in p:
            g = _np_grad(p[k])
            buf[k] = buf[k] + (1 - mu) * (g - buf[k])
            look = g + mu * (buf[k] - g)
            u, _ = _np_sphere_direction(p[k], look)
            p[k] = p[k] - lr * (u + wd * p[k])
        ref.append({k: v.copy() for k, v in p.items()})
    assert max_rel_error(ours, ref) <= 1e-6


def test_spectralsphere_update_is_tangent():
    with jax.enable_x64(True):
        w = jax.random.normal(jax.random.PRNGKey(0), (6, 4), jnp.float64)
        g = jax.random.normal(jax.random.PRNGKey(1), (6, 4), jnp.float64)
        tx = optzoo.scale_by_spectral_sphere(nesterov=False)
        u, _ = tx.update({"w": g}, tx.init({"w": w}), {"w": w})
    _, theta = _np_sphere_direction(np.asarray(w), np.asarray(g))
    # msign is approximate (5 Polar Express steps): tangent to the bisection's tolerance.
    assert abs(float(np.sum(theta * np.asarray(u["w"])))) < 1e-6


@pytest.mark.slow
def test_spectralsphere_close_to_pytorch_optimizer_bfloat16():
    # pytorch_optimizer runs msign and the power iteration in bfloat16: a loose check only.
    torch = pytest.importorskip("torch")
    po = pytest.importorskip("pytorch_optimizer")
    with jax.enable_x64(True):
        p0 = {k: v for k, v in _params(5).items() if k != "b"}
        ours = _run(optzoo.spectralsphere(0.02, weight_decay=0.01), p0, 3)
    tp = {k: torch.tensor(np.asarray(v).copy(), requires_grad=True) for k, v in p0.items()}
    opt = po.SpectralSphere(list(tp.values()), lr=0.02, weight_decay=0.01, foreach=False)
    ref = []
    for _ in range(3):
        opt.zero_grad()
        _torch_loss(torch, tp.values()).backward()
        opt.step()
        ref.append({k: v.detach().numpy().copy() for k, v in tp.items()})
    assert max_rel_error(ours, ref) <= 2e-2
