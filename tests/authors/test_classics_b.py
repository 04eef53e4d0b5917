"""Classic optimizers against their authors' references (issue #14): Adagrad, Adadelta,
RMSProp, FTRL, LAMB, LARS, NovoGrad, SM3, Adafactor, Rprop, signSGD, Signum and the
low-precision AdamW variants.

Most of these methods were published as algorithm boxes (or TensorFlow 1 / MXNet code that
does not install here): each such test runs ``optzoo.create(name, preset="authors")`` against a
short NumPy transcription of the box, cited above it. 8-bit AdamW runs against the authors'
package, bitsandbytes, in float32 (it keeps no float64 state).
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


def _zeros():
    return {k: np.zeros(s) for k, s in R.SHAPES.items()}


def _ours(name, **kw):
    return R.run_optzoo(optzoo.create(name, preset="authors", **kw))


# Duchi, Hazan, Singer. Adaptive Subgradient Methods for Online Learning and Stochastic
# Optimization. JMLR 12, 2011. https://jmlr.org/papers/v12/duchi11a.html, Figure 1 (ADAGRAD
# with diagonal matrices): s += g^2, x -= eta g / (delta + sqrt(s)).
def test_adagrad():
    eta, delta = 0.1, 1e-10

    def step(x, g, s, t):
        s = {k: s[k] + g[k] ** 2 for k in g}
        return {k: x[k] - eta * g[k] / (delta + np.sqrt(s[k])) for k in g}, s

    err = R.displacement_error(_ours("adagrad", learning_rate=eta), R.run_numpy(step, _zeros()))
    R.check("adagrad", err, "NumPy transcription of Figure 1", kind="transcription")


# Hinton, Srivastava, Swersky. Neural Networks for Machine Learning, Lecture 6e (rmsprop),
# 2012. https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf, slide
# "rmsprop": MeanSquare = 0.9 MeanSquare + 0.1 g^2, divide the gradient by sqrt(MeanSquare).
def test_rmsprop():
    eta = 0.01

    def step(x, g, ms, t):
        ms = {k: 0.9 * ms[k] + 0.1 * g[k] ** 2 for k in g}
        return {k: x[k] - eta * g[k] / np.sqrt(ms[k]) for k in g}, ms

    err = R.displacement_error(_ours("rmsprop", learning_rate=eta), R.run_numpy(step, _zeros()))
    R.check("rmsprop", err, "NumPy transcription of lecture 6e", kind="transcription")


# Zeiler. ADADELTA: An Adaptive Learning Rate Method. 2012. https://arxiv.org/abs/1212.5701,
# Algorithm 1 (rho = 0.95, epsilon = 1e-6 as in its experiments; no learning rate).
def test_adadelta():
    rho, eps = 0.95, 1e-6

    def step(x, g, state, t):
        eg, edx = state
        eg = {k: rho * eg[k] + (1 - rho) * g[k] ** 2 for k in g}
        dx = {k: -np.sqrt(edx[k] + eps) / np.sqrt(eg[k] + eps) * g[k] for k in g}
        edx = {k: rho * edx[k] + (1 - rho) * dx[k] ** 2 for k in g}
        return {k: x[k] + dx[k] for k in g}, (eg, edx)

    err = R.displacement_error(_ours("adadelta"), R.run_numpy(step, (_zeros(), _zeros())))
    R.check("adadelta", err, "NumPy transcription of Algorithm 1", kind="transcription")


# McMahan et al. Ad Click Prediction: a View from the Trenches. KDD 2013.
# https://doi.org/10.1145/2487575.2488200, Algorithm 1 (per-coordinate FTRL-Proximal with L1
# and L2): sigma = (sqrt(n + g^2) - sqrt(n)) / alpha, z += g - sigma w, n += g^2,
# w = 0 if |z| <= l1 else -(z - sign(z) l1) / ((beta + sqrt(n)) / alpha + l2).
# The harness starts both sides at its initial point rather than at w(z=0, n=0) = 0.
def test_ftrl():
    alpha, beta, l1, l2 = 0.1, 1.0, 0.01, 0.1

    def step(w, g, state, t):
        z, n = state
        sigma = {k: (np.sqrt(n[k] + g[k] ** 2) - np.sqrt(n[k])) / alpha for k in g}
        z = {k: z[k] + g[k] - sigma[k] * w[k] for k in g}
        n = {k: n[k] + g[k] ** 2 for k in g}
        w = {
            k: np.where(
                np.abs(z[k]) <= l1,
                0.0,
                -(z[k] - np.sign(z[k]) * l1) / ((beta + np.sqrt(n[k])) / alpha + l2),
            )
            for k in g
        }
        return w, (z, n)

    ours = _ours(
        "ftrl",
        learning_rate=alpha,
        l1_regularization_strength=l1,
        l2_regularization_strength=l2 / 2,  # the paper's lambda2 is twice Keras's
    )
    err = R.displacement_error(ours, R.run_numpy(step, (_zeros(), _zeros())))
    R.check("ftrl", err, "NumPy transcription of Algorithm 1", kind="transcription")


def _norm(a):
    return np.sqrt(np.sum(a**2))


# You, Li, Reddi, Hseu, Kumar, Bhojanapalli, Song, Demmel, Keutzer, Hsieh. Large Batch
# Optimization for Deep Learning: Training BERT in 76 minutes. 2020.
# https://arxiv.org/abs/1904.00962, Algorithm 2 (LAMB, phi = identity): Adam moments with bias
# correction, r = m_hat / (sqrt(v_hat) + eps), x -= eta ||x|| / ||r + wd x|| (r + wd x).
def test_lamb():
    eta, wd, b1, b2, eps = 0.02, 0.1, 0.9, 0.999, 1e-6

    def step(x, g, state, t):
        m, v = state
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in g}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in g}
        new = {}
        for k in g:
            r = (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + eps) + wd * x[k]
            new[k] = x[k] - eta * _norm(x[k]) / _norm(r) * r
        return new, (m, v)

    ours = _ours("lamb", learning_rate=eta, weight_decay=wd)
    err = R.displacement_error(ours, R.run_numpy(step, (_zeros(), _zeros())))
    R.check("lamb", err, "NumPy transcription of Algorithm 2", kind="transcription")


# You, Gitman, Ginsburg. Large Batch Training of Convolutional Networks. 2017.
# https://arxiv.org/abs/1708.03888, Algorithm 1 (with the LARS coefficient eta of eq. 6), at
# a constant learning rate gamma: local lr = eta ||w|| / (||g|| + beta ||w||),
# v = m v + gamma * local_lr * (g + beta w), w -= v.
def test_lars():
    gamma, eta, beta, m = 1.0, 0.01, 0.1, 0.9

    def step(w, g, v, t):
        local = {k: eta * _norm(w[k]) / (_norm(g[k]) + beta * _norm(w[k])) for k in g}
        v = {k: m * v[k] + gamma * local[k] * (g[k] + beta * w[k]) for k in g}
        return {k: w[k] - v[k] for k in g}, v

    ours = _ours("lars", learning_rate=gamma, weight_decay=beta, trust_coefficient=eta)
    err = R.displacement_error(ours, R.run_numpy(step, _zeros()))
    R.check("lars", err, "NumPy transcription of Algorithm 1", kind="transcription")


# Ginsburg et al. Stochastic Gradient Methods with Layer-wise Adaptive Moments for Training of
# Deep Networks. 2019. https://arxiv.org/abs/1905.11286, Algorithm 1, as the authors' NovoGrad2
# in NVIDIA OpenSeq2Seq (open_seq2seq/optimizers/novograd.py) computes it: per layer
# v = ||g||^2 on the first step, then b2 v + (1 - b2) ||g||^2; m = b1 m + g / sqrt(v + eps)
# + wd w (m = 0 before the first step); w -= lr m.
def test_novograd():
    lr, wd, b1, b2, eps = 0.01, 0.1, 0.95, 0.98, 1e-8

    def step(w, g, state, t):
        m, v = state
        v = {k: _norm(g[k]) ** 2 if t == 1 else b2 * v[k] + (1 - b2) * _norm(g[k]) ** 2 for k in g}
        m = {k: b1 * m[k] + g[k] / np.sqrt(v[k] + eps) + wd * w[k] for k in g}
        return {k: w[k] - lr * m[k] for k in g}, (m, v)

    ours = _ours("novograd", learning_rate=lr, weight_decay=wd)
    err = R.displacement_error(ours, R.run_numpy(step, (_zeros(), {k: 0.0 for k in R.SHAPES})))
    R.check("novograd", err, "NumPy transcription of OpenSeq2Seq NovoGrad2", kind="transcription")


def _rms(a):
    return np.sqrt(np.mean(a**2))


# Shazeer, Stern. Adafactor: Adaptive Learning Rates with Sublinear Memory Cost. 2018.
# https://arxiv.org/abs/1804.04235, Algorithms 4 (factored, matrices) and 5 (vectors), with
# the paper's defaults: rho_t = min(1e-2, 1/sqrt(t)), alpha_t = max(eps2, RMS(X)) rho_t,
# beta2_t = 1 - t^-0.8, eps1 = 1e-30, eps2 = 1e-3, clipping d = 1, no momentum. The rank-3
# leaf is factored over its last two axes, the leading axis batched (tensor2tensor's choice).
def _adafactor_errors(cap):
    eps1, eps2, d = 1e-30, 1e-3, 1.0

    def step(x, g, state, t):
        rho = min(cap, 1 / np.sqrt(t))
        beta2 = 1 - t**-0.8
        new = {}
        for k in g:
            big = g[k] ** 2 + eps1
            if g[k].ndim >= 2:
                r, c = state[k]
                r = beta2 * r + (1 - beta2) * big.sum(axis=-1)
                c = beta2 * c + (1 - beta2) * big.sum(axis=-2)
                v = r[..., :, None] * c[..., None, :] / r.sum(axis=-1)[..., None, None]
                state[k] = (r, c)
            else:
                v = state[k] = beta2 * state[k] + (1 - beta2) * big
            u = g[k] / np.sqrt(v)
            u = u / max(1.0, _rms(u) / d)
            new[k] = x[k] - max(eps2, _rms(x[k])) * rho * u
        return new, state

    init = {
        k: (np.zeros(s[:-1]), np.zeros(s[:-2] + s[-1:])) if len(s) >= 2 else np.zeros(s)
        for k, s in R.SHAPES.items()
    }
    return R.displacement_error(_ours("adafactor", learning_rate=cap), R.run_numpy(step, init))


def test_adafactor():
    err = _adafactor_errors(1e-2)  # the paper's: rho_t = 1e-2 for t <= 1e4
    R.check("adafactor", err, "NumPy transcription of Algorithms 4 and 5", kind="transcription")


@pytest.mark.slow
def test_adafactor_relative_step_below_the_cap():
    # A cap of 0.5 lets 1/sqrt(t) set the step from t = 5 on.
    assert _adafactor_errors(0.5) <= R.TOL["float64"]


# Anil, Gupta, Koren, Singer. Memory-Efficient Adaptive Optimization. 2019.
# https://arxiv.org/abs/1901.11150, SM3-II, with the momentum of the authors' TensorFlow
# optimizer (google-research sm3/sm3.py): nu = min over the axes' accumulators + g^2 (a plain
# sum for vectors), each axis accumulator = max of nu over the other axes,
# m = mu m + (1 - mu) g / sqrt(nu + 1e-30), w -= lr m.
def test_sm3():
    lr, mu = 0.1, 0.9

    def step(w, g, state, t):
        acc, m = state
        new = {}
        for k in g:
            if g[k].ndim < 2:
                nu = acc[k][0] + g[k] ** 2
                acc[k] = [nu]
            else:
                n = g[k].ndim
                shaped = [
                    a.reshape([-1 if j == i else 1 for j in range(n)]) for i, a in enumerate(acc[k])
                ]
                nu = np.minimum.reduce(np.broadcast_arrays(*shaped)) + g[k] ** 2
                acc[k] = [nu.max(axis=tuple(j for j in range(n) if j != i)) for i in range(n)]
            m[k] = mu * m[k] + (1 - mu) * g[k] / np.sqrt(nu + 1e-30)
            new[k] = w[k] - lr * m[k]
        return new, (acc, m)

    acc = {
        k: [np.zeros(d) for d in s] if len(s) >= 2 else [np.zeros(s)] for k, s in R.SHAPES.items()
    }
    ours = _ours("sm3", learning_rate=lr, momentum=mu)
    err = R.displacement_error(ours, R.run_numpy(step, (acc, _zeros())))
    R.check("sm3", err, "NumPy transcription of sm3.py (SM3-II)", kind="transcription")


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
        _ours(name, learning_rate=lr, weight_decay=wd), R.run_numpy(step, _zeros())
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

    init = ({k: np.full(s, 0.1) for k, s in R.SHAPES.items()}, _zeros(), _zeros())
    err = R.displacement_error(_ours("rprop"), R.run_numpy(step, init))
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
        state = (_zeros(), _zeros(), jax.random.PRNGKey(0))
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


def test_new_flags_reject_what_they_cannot_do():
    with pytest.raises(ValueError, match="backtracking=True needs lagged=False"):
        optzoo.rprop(0.1, backtracking=True)
    with pytest.raises(ValueError, match="relative_step=True needs learning_rate"):
        optzoo.adafactor(None, relative_step=True)
    with pytest.raises(ValueError, match="split_norm=True needs a scalar weight_decay"):
        optzoo.lars(1.0, weight_decay=lambda count: 0.1, split_norm=True)
