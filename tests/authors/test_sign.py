"""Tiger against its author's update rule (the author's code is Keras source, no package);
Ano against its author's package (ano-optimizer)."""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

import optzoo

# The shared harness sits next to this file (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402


# Jianlin Su. Tiger: A Tight-fisted Optimizer. 2023. https://github.com/bojone/tiger:
# m_t = beta m_{t-1} + (1 - beta) g_t; x -= eta (sign(m_t) + lambda x).
def test_tiger_matches_the_update_rule():
    lr, beta, wd = 3e-3, 0.965, 0.01

    def step(x, g, m, t):
        m = {k: beta * m[k] + (1 - beta) * g[k] for k in x}
        return {k: x[k] - lr * (np.sign(m[k]) + wd * x[k]) for k in x}, m

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, zeros)
    ours = R.run_optzoo(
        optzoo.create("tiger", preset="authors", learning_rate=lr, beta=beta, weight_decay=wd)
    )
    err = R.displacement_error(ours, theirs)
    R.check("tiger", err, "NumPy transcription of the update rule", kind="transcription")


def test_ano_matches_the_authors_package():
    pytest.importorskip("torch")
    ano_optimizer = pytest.importorskip("ano_optimizer")
    lr, wd = 1e-2, 0.01
    theirs = R.run_torch(lambda p: ano_optimizer.Ano(p, lr=lr, betas=(0.9, 0.95), weight_decay=wd))
    ours = R.run_optzoo(
        optzoo.create("ano", preset="authors", learning_rate=lr, b1=0.9, b2=0.95, weight_decay=wd)
    )
    R.check("ano", R.displacement_error(ours, theirs), "ano-optimizer 1.0.0")


def test_anolog_matches_the_authors_package():
    pytest.importorskip("torch")
    ano_optimizer = pytest.importorskip("ano_optimizer")
    lr = 1e-2
    theirs = R.run_torch(lambda p: ano_optimizer.Ano(p, lr=lr, logarithmic_schedule=True))
    ours = R.run_optzoo(
        optzoo.create("ano", preset="authors", learning_rate=lr, logarithmic_schedule=True)
    )
    err = R.displacement_error(ours, theirs)
    assert err <= R.TOL["float64"], err


# Liu, Liu, Gore. FOCUS: First Order Concentrated Updating Scheme. 2025.
# https://arxiv.org/abs/2501.12243; the authors' focus.py (liuyz0/FOCUS): m = b1 m + (1 - b1) g,
# pbar = b2 pbar + (1 - b2) x, hat = pbar / (1 - b2^t), x -= lr (sign(m) + gamma sign(x - hat)),
# then x -= lr wd hat.
def test_focus_matches_the_authors_code():
    # b2 = 0.75: 1 - b2**t is exact, so x - hat is exactly 0 at step 1 on both sides (with
    # 0.99 the attraction's sign at step 1 is the sign of a rounding error, ~1e-17).
    lr, b1, b2, gamma, wd = 1e-2, 0.9, 0.75, 0.2, 0.3

    def step(x, g, s, t):
        m, pbar = s
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in x}
        pbar = {k: b2 * pbar[k] + (1 - b2) * x[k] for k in x}
        hat = {k: pbar[k] / (1 - b2**t) for k in x}
        x = {k: x[k] - lr * (np.sign(m[k]) + gamma * np.sign(x[k] - hat[k])) for k in x}
        x = {k: x[k] - lr * wd * hat[k] for k in x}
        return x, (m, pbar)

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, (zeros, dict(zeros)))
    ours = R.run_optzoo(
        optzoo.create(
            "focus", preset="authors", learning_rate=lr, b1=b1, b2=b2, gamma=gamma, weight_decay=wd
        )
    )
    R.check(
        "focus",
        R.displacement_error(ours, theirs),
        "NumPy transcription of the authors' focus.py",
        kind="transcription",
    )


# Jiang, Xiao. BCOS: Stochastic Approximation with Block Coordinate Optimal Stepsizes. 2025.
# https://arxiv.org/abs/2507.08963, the conditional-estimator variant (BCOS-c) with decoupled
# decay: m = beta m + (1 - beta) g (m_1 = g_1),
# v = (3 beta^2 - 2 beta^3) m^2 + (1 - beta)^2 g^2 + 2 beta (1 - beta)^2 m g,
# x -= lr (m / (sqrt(v) + eps) + wd x).
def test_bcos_matches_the_update_rule():
    lr, beta, eps, wd = 1e-2, 0.9, 1e-6, 0.1

    def step(x, g, m, t):
        m = {k: g[k] if t == 1 else beta * m[k] + (1 - beta) * g[k] for k in x}
        v = {
            k: (3 * beta**2 - 2 * beta**3) * m[k] ** 2
            + (1 - beta) ** 2 * g[k] ** 2
            + 2 * beta * (1 - beta) ** 2 * m[k] * g[k]
            for k in x
        }
        return {k: x[k] - lr * (m[k] / (np.sqrt(v[k]) + eps) + wd * x[k]) for k in x}, m

    zeros = {k: np.zeros_like(a) for k, a in R.init_params().items()}
    theirs = R.run_numpy(step, zeros)
    ours = R.run_optzoo(
        optzoo.create("bcos", preset="authors", learning_rate=lr, beta=beta, weight_decay=wd)
    )
    R.check(
        "bcos",
        R.displacement_error(ours, theirs),
        "NumPy transcription of the BCOS-c update rule",
        kind="transcription",
    )


# Matthew K. ROSE: Stateless optimization through range-normalized gradient updates.
# https://github.com/MatthewK78/Rose: L2 decay; vectors g / (|max g| - min g); rank >= 2:
# rows centred, each divided by its range r_i blended with the mean range,
# d_i = mean + mean / (std + mean) (r_i - mean).
def test_rose_matches_the_update_rule():
    lr, wd = 1e-2, 1e-4

    def step(x, g, s, t):
        new = {}
        for k in x:
            gk = g[k] + wd * x[k]
            if gk.ndim == 1:
                d = abs(gk.max()) - gk.min()
            else:
                rows = gk.reshape(gk.shape[0], -1)
                rows = rows - rows.mean(1, keepdims=True)
                r = np.abs(rows.max(1, keepdims=True)) - rows.min(1, keepdims=True)
                d = r.mean() + r.mean() / (r.std() + r.mean()) * (r - r.mean())
                gk, d = rows.reshape(gk.shape), d.reshape((-1,) + (1,) * (gk.ndim - 1))
            new[k] = x[k] - lr * gk / d
        return new, s

    theirs = R.run_numpy(step, None)
    ours = R.run_optzoo(optzoo.create("rose", preset="authors", learning_rate=lr))
    err = R.displacement_error(ours, theirs)
    R.check("rose", err, "NumPy transcription of the update rule", kind="transcription")


WD = 0.1


def _lion_step(lr, b1, b2, wd):
    # Chen et al., Symbolic Discovery of Optimization Algorithms, 2023,
    # https://arxiv.org/abs/2302.06675, Algorithm 2.
    def step(params, grads, state, t):
        out = {}
        for k, x in params.items():
            m = state.get(k, np.zeros_like(x))
            update = np.sign(b1 * m + (1 - b1) * grads[k])
            out[k] = x - lr * (update + wd * x)
            state[k] = b2 * m + (1 - b2) * grads[k]
        return out, state

    return step


def test_lion_matches_the_papers_program():
    lr = 0.01
    theirs = R.run_numpy(_lion_step(lr, 0.9, 0.99, WD), {})
    ours = R.run_optzoo(optzoo.create("lion", preset="authors", learning_rate=lr, weight_decay=WD))
    R.check(
        "lion",
        R.displacement_error(ours, theirs),
        "NumPy transcription of Algorithm 2",
        kind="transcription",
    )


@pytest.mark.slow
def test_lion_matches_the_lion_pytorch_port():
    lion_pytorch = pytest.importorskip("lion_pytorch")
    lr = 0.01
    theirs = R.run_torch(lambda ts: lion_pytorch.Lion(ts, lr=lr, weight_decay=WD))
    ours = R.run_optzoo(optzoo.create("lion", preset="authors", learning_rate=lr, weight_decay=WD))
    assert R.displacement_error(ours, theirs) <= R.TOL["float64"]


# Bernstein, Wang, Azizzadenesheli, Anandkumar. signSGD: Compressed Optimisation for Non-Convex
# Problems. 2018. https://arxiv.org/abs/1802.04434, Algorithm 1 (signSGD) and Algorithm 2
# (Signum), with the weight decay of the authors' MXNet optimizers (signsgd_update,
# signum_update): g + wd x enters the momentum, m = beta m + (1 - beta)(g + wd x),
# x -= lr sign(m) (beta = 0: signSGD).
@pytest.mark.parametrize("name,beta", [("sign_sgd", 0.0), ("signum", 0.9)])
def test_sign_sgd_signum(name, beta):
    lr, wd = 0.01, 0.1

    def step(x, g, m, t):
        m = {k: beta * m[k] + (1 - beta) * (g[k] + wd * x[k]) for k in g}
        return {k: x[k] - lr * np.sign(m[k]) for k in g}, m

    err = R.displacement_error(
        R.run_authors_preset(name, learning_rate=lr, weight_decay=wd), R.run_numpy(step, R.zeros())
    )
    R.check(
        name, err, f"NumPy transcription of Algorithm {1 if beta == 0 else 2}", kind="transcription"
    )


# Riedmiller, Braun. A direct adaptive method for faster backpropagation learning: the RPROP
# algorithm. ICNN 1993. https://doi.org/10.1109/ICNN.1993.298623, the Rprop algorithm box
# (with weight-backtracking; Delta_0 = 0.1, eta+ = 1.2, eta- = 0.5, Delta in [1e-6, 50]):
# same sign: Delta grows, step -sign(g) Delta; sign change: Delta shrinks, the previous step is
# undone and g is set to 0; a zero product: step -sign(g) Delta.
def test_rprop():
    def step(w, g, state, t):
        delta, g_prev, dw_prev = state
        new_w, new_delta, new_g, new_dw = {}, {}, {}, {}
        for k in g:
            s = g_prev[k] * g[k]
            d = np.where(s > 0, np.minimum(delta[k] * 1.2, 50.0), delta[k])
            d = np.where(s < 0, np.maximum(delta[k] * 0.5, 1e-6), d)
            dw = np.where(s < 0, -dw_prev[k], -np.sign(g[k]) * d)
            new_g[k] = np.where(s < 0, 0.0, g[k])
            new_dw[k] = np.where(s < 0, 0.0, dw)  # the undone step is not undone again
            new_w[k], new_delta[k] = w[k] + dw, d
        return new_w, (new_delta, new_g, new_dw)

    init = ({k: np.full(s, 0.1) for k, s in R.SHAPES.items()}, R.zeros(), R.zeros())
    err = R.displacement_error(R.run_authors_preset("rprop"), R.run_numpy(step, init))
    R.check("rprop", err, "NumPy transcription of the Rprop box", kind="transcription")


@pytest.mark.slow
def test_rprop_unlagged_is_torch_rprop():
    # iRprop- without optax's one-call lag is torch.optim.Rprop (not the authors' code, but a
    # second, independent check of the lagged=False path).
    torch = pytest.importorskip("torch")
    tx = optzoo.rprop(0.01, lagged=False)
    ours = R.run_optzoo(tx)
    theirs = R.run_torch(lambda p: torch.optim.Rprop(p, lr=0.01))
    assert R.displacement_error(ours, theirs) <= R.TOL["float64"]


def test_rprop_backtracking_needs_the_unlagged_form():
    with pytest.raises(ValueError, match="backtracking=True needs lagged=False"):
        optzoo.rprop(0.1, backtracking=True)
