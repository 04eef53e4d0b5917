"""Adam-family and wrapper optimizers against their authors' code (issue #14), part B.

Where the authors published a package (``adam-mini``, ``grams-pytorch``) the test runs it;
where they published source files only, a short transcription of their update, in NumPy
or around a ``torch.optim`` optimizer their code wraps, is the reference (cited per test).
"""

from __future__ import annotations

import math
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
NAMES = list(R.SHAPES)


def _adam_moments(state, k, g, b1, b2):
    m, v = state.setdefault(k, (np.zeros_like(g), np.zeros_like(g)))
    m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    state[k] = (m, v)
    return m, v


# --------------------------------------------------------------------------- Lion


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


# --------------------------------------------------------------------------- Grams


def test_grams_matches_grams_pytorch():
    grams_pytorch = pytest.importorskip("grams")
    lr = 0.02
    theirs = R.run_torch(lambda ts: grams_pytorch.Grams(ts, lr=lr, weight_decay=WD))
    ours = R.run_optzoo(optzoo.create("grams", preset="authors", learning_rate=lr, weight_decay=WD))
    R.check("grams", R.displacement_error(ours, theirs), "grams-pytorch 0.0.2")


# --------------------------------------------------------------------------- Lookahead


class _Lookahead:
    """Transcription of the authors' ``Lookahead`` wrapper (michaelrzhang/lookahead,
    lookahead_pytorch.py; Zhang, Lucas, Hinton, Ba, Lookahead Optimizer: k steps forward,
    1 step back, 2019, https://arxiv.org/abs/1907.08610, Algorithm 1) around
    ``torch.optim.Adam``: after every k inner steps, slow += alpha (fast - slow), fast = slow."""

    def __init__(self, inner, tensors, k=5, alpha=0.8):
        self.inner, self.tensors, self.k, self.alpha, self.t = inner, tensors, k, alpha, 0
        self.slow = [p.detach().clone() for p in tensors]

    def zero_grad(self):
        self.inner.zero_grad()

    def step(self):
        import torch

        self.inner.step()
        self.t += 1
        if self.t % self.k == 0:
            with torch.no_grad():
                for p, s in zip(self.tensors, self.slow, strict=True):
                    p.mul_(self.alpha).add_(s, alpha=1 - self.alpha)
                    s.copy_(p)


def test_lookahead_adam_matches_the_authors_wrapper():
    torch = pytest.importorskip("torch")
    lr = 0.02
    theirs = R.run_torch(lambda ts: _Lookahead(torch.optim.Adam(ts, lr=lr), ts))
    ours = R.run_optzoo(optzoo.create("lookahead_adam", preset="authors", learning_rate=lr))
    R.check(
        "lookahead_adam",
        R.displacement_error(ours, theirs),
        "transcription of lookahead_pytorch.py around torch.optim.Adam",
        kind="transcription",
    )


# --------------------------------------------------------------------------- OrthoGrad


class _OrthoGrad:
    """Transcription of the authors' ``OrthoGrad`` (Prieto, Barsbey, Mediano, Birdal,
    Grokking at the Edge of Numerical Stability, 2025, https://arxiv.org/abs/2501.04697,
    Section 5; their orthograd.py): each gradient loses its component along the weights and
    is rescaled to its old norm, then ``torch.optim.AdamW`` steps."""

    def __init__(self, inner, tensors):
        self.inner, self.tensors = inner, tensors

    def zero_grad(self):
        self.inner.zero_grad()

    def step(self):
        import torch

        with torch.no_grad():
            for p in self.tensors:
                w, g = p.view(-1), p.grad.view(-1)
                g_orth = g - (torch.dot(w, g) / (torch.dot(w, w) + 1e-30)) * w
                p.grad.copy_((g_orth * (g.norm() / (g_orth.norm() + 1e-30))).view_as(p))
        self.inner.step()


def test_orthograd_adamw_matches_the_authors_wrapper():
    torch = pytest.importorskip("torch")
    lr = 0.02

    def make(ts):
        # As in their grokking_experiments.py: only lr and weight_decay reach the AdamW (the
        # betas and eps they load afterwards land in the wrapper's groups, not the AdamW's).
        inner = torch.optim.AdamW(ts, lr=lr, weight_decay=WD)
        return _OrthoGrad(inner, ts)

    theirs = R.run_torch(make)
    tx = optzoo.create("orthograd_adamw", preset="authors", learning_rate=lr, weight_decay=WD)
    R.check(
        "orthograd_adamw",
        R.displacement_error(R.run_optzoo(tx), theirs),
        "transcription of orthograd.py around torch.optim.AdamW",
        kind="transcription",
    )


# ------------------------------------------------------------ Gradient Centralization


def _adamw_gc_step(lr, wd, b1=0.9, b2=0.999, eps=1e-8):
    # Yong, Huang, Hua, Zhang, Gradient Centralization: A New Optimization Technique for Deep
    # Neural Networks, 2020, https://arxiv.org/abs/2004.01461, Algorithm 1, as the authors'
    # AdamW (algorithm-GC/algorithm/Adam.py, use_gc=True, gc_loc=True) runs it: the gradient of
    # a weight (PyTorch layout) loses its mean over all axes but the first; the decay term
    # is added to m / denom and both are scaled by lr / (1 - b1^t).
    def step(params, grads, state, t):
        out = {}
        for k, x in params.items():
            g = grads[k]
            if g.ndim > 1:
                g = g - g.mean(axis=tuple(range(1, g.ndim)), keepdims=True)
            m, v = _adam_moments(state, k, g, b1, b2)
            denom = np.sqrt(v) / math.sqrt(1 - b2**t) + eps
            out[k] = x - lr / (1 - b1**t) * (m / denom + wd * x)
        return out, state

    return step


def test_adamw_gc_matches_the_authors_adamw():
    lr = 0.02
    theirs = R.run_numpy(_adamw_gc_step(lr, WD), {})
    tx = optzoo.create("adamw_gc", preset="authors", learning_rate=lr, weight_decay=WD)
    R.check(
        "adamw_gc",
        R.displacement_error(R.run_optzoo(tx), theirs),
        "NumPy transcription of the authors' AdamW (Algorithm 1)",
        kind="transcription",
    )


# --------------------------------------------------------------------------- Cautious
# Liang, Chen, Liu, Liu, Cautious Optimizers: Improving Training with One Line of Code, 2024,
# https://arxiv.org/abs/2411.16085, Algorithms 1 (C-AdamW) and 2 (C-Lion), as the authors'
# c_adamw.py (its default foreach path) and c_lion.py in kyleliang919/C-Optim run them.


def _cautious_adamw_step(lr, wd, b1=0.9, b2=0.999, eps=1e-6, eps_before_correction=False):
    def step(params, grads, state, t):
        out = {}
        for k, x in params.items():
            g = grads[k]
            x = x - lr * wd * x
            m, v = _adam_moments(state, k, g, b1, b2)
            mask = (m * g > 0).astype(float)
            mask = mask / max(mask.mean(), 1e-3)
            if eps_before_correction:  # their foreach=False loop (Hugging Face's AdamW)
                step_size = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
                out[k] = x - step_size * (m * mask) / (np.sqrt(v) + eps)
            else:
                denom = np.sqrt(v) / math.sqrt(1 - b2**t) + eps
                out[k] = x - lr / (1 - b1**t) * (m * mask) / denom
        return out, state

    return step


def _cautious_lion_step(lr, wd, b1=0.95, b2=0.98):
    def step(params, grads, state, t):
        out = {}
        for k, x in params.items():
            g, m = grads[k], state.get(k, np.zeros_like(x))
            x = x * (1 - lr * wd)
            update = np.sign(b1 * m + (1 - b1) * g)
            mask = (update * g > 0).astype(float)
            out[k] = x - lr * update * mask * (mask.size / (mask.sum() + 1))
            state[k] = b2 * m + (1 - b2) * g
        return out, state

    return step


@pytest.mark.parametrize(
    ("name", "make_step", "lr"),
    [("cautious_adamw", _cautious_adamw_step, 0.02), ("cautious_lion", _cautious_lion_step, 0.01)],
)
def test_cautious_matches_the_authors_code(name, make_step, lr):
    theirs = R.run_numpy(make_step(lr, WD), {})
    tx = optzoo.create(name, preset="authors", learning_rate=lr, weight_decay=WD)
    R.check(
        name,
        R.displacement_error(R.run_optzoo(tx), theirs),
        "NumPy transcription of C-Optim's " + ("c_adamw.py" if "adam" in name else "c_lion.py"),
        kind="transcription",
    )


# --------------------------------------------------------------------------- MARS


def _mars_step(mode, lr, wd, b1=0.95, b2=0.99, gamma=0.025, eps=1e-8, betas_1d=(0.9, 0.95)):
    # Yuan, Liu, Wu, Zhou, Gu, MARS: Unleashing the Power of Variance Reduction for Training
    # Large Models, 2024, https://arxiv.org/abs/2411.10438, Algorithm 1 (approximate form),
    # as the authors' MARS/optimizers/mars.py runs it with its defaults: matrices get MARS,
    # every other leaf AdamW with betas_1d, lr_1d = lr and weight_decay_1d = 0.1.
    def step(params, grads, state, t):
        out = {}
        for k, x in params.items():
            g = grads[k]
            if x.ndim != 2:
                m, v = _adam_moments(state, k, g, *betas_1d)
                denom = (np.sqrt(v) / math.sqrt(1 - betas_1d[1] ** t) + eps) * (
                    1 - betas_1d[0] ** t
                )
                out[k] = x - lr * (0.1 * x + m / denom)
                continue
            m, v, last = state.get(k, (np.zeros_like(x),) * 3)
            c = g + gamma * (b1 / (1 - b1)) * (g - last)
            c = c / max(np.linalg.norm(c), 1.0)
            m = b1 * m + (1 - b1) * c
            if mode == "adamw":
                v = b2 * v + (1 - b2) * c * c
                denom = (np.sqrt(v) / math.sqrt(1 - b2**t) + eps) * (1 - b1**t)
                out[k] = x - lr * (wd * x + m / denom)
            else:
                out[k] = x - lr * (wd * x + np.sign(m))
            state[k] = (m, v, g)
        return out, state

    return step


@pytest.mark.parametrize(("mode", "lr"), [("adamw", 3e-3), ("lion", 3e-3)])
def test_mars_matches_the_authors_code(mode, lr):
    name = f"mars_{mode}"
    theirs = R.run_numpy(_mars_step(mode, lr, WD), {})
    tx = optzoo.create(name, preset="authors", learning_rate=lr, weight_decay=WD)
    R.check(
        name,
        R.displacement_error(R.run_optzoo(tx), theirs),
        "NumPy transcription of MARS/optimizers/mars.py (Algorithm 1)",
        kind="transcription",
    )


# --------------------------------------------------------------------------- SAM / ASAM


def _value_fn(params, t):
    return {"value_fn": lambda p: R.loss(p, t, lambda a: jnp.asarray(a, jnp.float64))}


def _sam_step(lr, rho=0.05, l2=1e-3, momentum=0.9, clip=5.0):
    # Foret, Kleiner, Mobahi, Neyshabur, Sharpness-Aware Minimization for Efficiently
    # Improving Generalization, 2020, https://arxiv.org/abs/2010.01412, Algorithm 1, as the
    # authors' JAX train_step (google-research/sam, flax_training.py) runs it: L2 in the loss,
    # e = rho g / |g|, the gradient at w + e clipped to global norm 5, Nesterov momentum.
    def full_grad(params, t):
        return {k: g + l2 * params[k] for k, g in R.grad(params, t - 1).items()}

    def step(params, grads, state, t):
        g = full_grad(params, t)
        norm = math.sqrt(sum(np.sum(v * v) for v in g.values()))
        g = full_grad({k: params[k] + rho * g[k] / norm for k in params}, t)
        norm = math.sqrt(sum(np.sum(v * v) for v in g.values()))
        g = {k: v * min(1.0, clip / norm) for k, v in g.items()}
        out = {}
        for k, x in params.items():
            m = momentum * state.get(k, 0.0) + g[k]
            out[k] = x - lr * (momentum * m + g[k])
            state[k] = m
        return out, state

    return step


def test_sam_matches_the_authors_train_step():
    lr = 0.02
    theirs = R.run_numpy(_sam_step(lr), {})
    tx = optzoo.create("sam", preset="authors", learning_rate=lr)
    R.check(
        "sam",
        R.displacement_error(R.run_optzoo(tx, extra=_value_fn), theirs),
        "NumPy transcription of the authors' JAX train_step (Algorithm 1)",
        kind="transcription",
    )


class _ASAM:
    """Transcription of the authors' ``ASAM`` (Kwon, Kim, Park, Choi, ASAM: Adaptive
    Sharpness-Aware Minimization for Scale-Invariant Learning of Deep Neural Networks, 2021,
    https://arxiv.org/abs/2102.11600, Algorithm 1; SamsungLabs/ASAM asam.py) around
    ``torch.optim.SGD``: T = |w| + eta on parameters named ``*weight*``, 1 elsewhere;
    e = rho T^2 g / (|T g| + 1e-16); SGD steps from w with the gradient at w + e."""

    def __init__(self, inner, named, rho=0.5, eta=0.01):
        self.inner, self.named, self.rho, self.eta = inner, named, rho, eta

    def zero_grad(self):
        self.inner.zero_grad()

    def step(self, closure):
        import torch

        closure()
        with torch.no_grad():
            scale = [p.abs() + self.eta if "weight" in n else 1.0 for n, p in self.named]
            tg = [s * p.grad for s, (_, p) in zip(scale, self.named, strict=True)]
            norm = torch.norm(torch.stack([torch.norm(x) for x in tg])) + 1e-16
            e = [self.rho * s * x / norm for s, x in zip(scale, tg, strict=True)]
            for x, (_, p) in zip(e, self.named, strict=True):
                p.add_(x)
        closure()
        with torch.no_grad():
            for x, (_, p) in zip(e, self.named, strict=True):
                p.sub_(x)
        self.inner.step()


def test_asam_matches_the_authors_asam():
    torch = pytest.importorskip("torch")
    lr = 0.02
    # Torch names: a bias and two weights; the same choice on optzoo's side by mask.
    torch_names = ["fc.bias", "fc.weight", "conv.weight"]

    def make(ts):
        inner = torch.optim.SGD(ts, lr=lr, momentum=0.9, weight_decay=5e-4)
        return _ASAM(inner, list(zip(torch_names, ts, strict=True)))

    theirs = R.run_torch(make, closure=True)
    # The preset's mask scales the leaves named like the authors' "*.weight" only.
    named = {"fc": {"weight": jnp.asarray([0.5, -2.0]), "bias": jnp.asarray([0.5, -2.0])}}
    grads = {"fc": {"weight": jnp.asarray([1.0, 1.0]), "bias": jnp.asarray([1.0, 1.0])}}

    def probe(adaptive_mask):
        tx = optzoo.create("asam", preset="authors", learning_rate=1.0, adaptive_mask=adaptive_mask)
        # The identity's gradient at the perturbed point is the perturbed point itself.
        value_fn = lambda p: 0.5 * sum(jnp.sum(x * x) for x in jax.tree.leaves(p))  # noqa: E731
        return tx.update(grads, tx.init(named), named, value_fn=value_fn)[0]

    explicit = probe({"fc": {"weight": True, "bias": False}})
    assert jax.tree.all(jax.tree.map(np.allclose, probe("authors"), explicit))
    assert not np.allclose(explicit["fc"]["weight"], explicit["fc"]["bias"])
    mask = {"vector": False, "matrix": True, "tensor": True}
    tx = optzoo.create("asam", preset="authors", learning_rate=lr, adaptive_mask=mask)
    R.check(
        "asam",
        R.displacement_error(R.run_optzoo(tx, extra=_value_fn), theirs),
        "transcription of asam.py around torch.optim.SGD",
        kind="transcription",
    )


# --------------------------------------------------------------------------- StableAdamW


def _stable_adamw_step(lr, wd, b1=0.9, b2=0.99, eps=1e-8):
    # Wortsman, Dettmers, Zettlemoyer, Morcos, Farhadi, Schmidt, Stable and low-precision
    # training for large-scale vision-language models, 2023, https://arxiv.org/abs/2304.13013,
    # Algorithm 2: debiased betas, per-tensor RMS of g^2 / max(u, eps^2) limits the step.
    def step(params, grads, state, t):
        b1h = b1 * (1 - b1 ** (t - 1)) / (1 - b1**t)
        b2h = b2 * (1 - b2 ** (t - 1)) / (1 - b2**t)
        out = {}
        for k, x in params.items():
            g = grads[k]
            v, u = state.get(k, (np.zeros_like(x), np.zeros_like(x)))
            v, u = b1h * v + (1 - b1h) * g, b2h * u + (1 - b2h) * g * g
            rms = math.sqrt(np.mean(g * g / np.maximum(u, eps**2)))
            eta = lr / max(1.0, rms)
            out[k] = x - eta * wd * x - eta * v / (np.sqrt(u) + eps)
            state[k] = (v, u)
        return out, state

    return step


def test_stable_adamw_matches_the_papers_algorithm():
    lr = 0.02
    theirs = R.run_numpy(_stable_adamw_step(lr, WD), {})
    tx = optzoo.create("stable_adamw", preset="authors", learning_rate=lr, weight_decay=WD)
    R.check(
        "stable_adamw",
        R.displacement_error(R.run_optzoo(tx), theirs),
        "NumPy transcription of Algorithm 2",
        kind="transcription",
    )


# --------------------------------------------------------------------------- Adam-mini


def test_adam_mini_matches_the_authors_package():
    pytest.importorskip("torch")
    adam_mini = pytest.importorskip("adam_mini")
    lr = 0.02

    def make(ts):
        named = list(zip(NAMES, ts, strict=True))
        return adam_mini.Adam_mini(named, lr=lr, weight_decay=WD, verbose=False)

    theirs = R.run_torch(make)
    tx = optzoo.create("adam_mini", preset="authors", learning_rate=lr, weight_decay=WD)
    R.check("adam_mini", R.displacement_error(R.run_optzoo(tx), theirs), "adam-mini 1.1.1")


@pytest.mark.slow
def test_adam_mini_name_based_partition_matches_the_package():
    # Transformer-like names (PyTorch layout, dim 8, 2 heads): embedding and value rows,
    # query/key heads, bias entries, a norm as one block, no decay on norm and bias.
    torch = pytest.importorskip("torch")
    adam_mini = pytest.importorskip("adam_mini")
    import functools

    shapes = {
        "embed_tokens.weight": (6, 8),
        "layers.0.self_attn.q_proj.weight": (8, 8),
        "layers.0.self_attn.k_proj.weight": (4, 8),
        "layers.0.self_attn.v_proj.weight": (8, 8),
        "layers.0.mlp.up.weight": (5, 8),
        "layers.0.mlp.up.bias": (5,),
        "layers.0.input_layernorm.weight": (8,),
        "lm_head.weight": (6, 8),
    }
    rng = np.random.default_rng(0)
    init = {k: rng.normal(size=s) for k, s in shapes.items()}
    curv = {k: rng.uniform(0.5, 2.0, s) for k, s in shapes.items()}
    lr, steps = 0.02, 30

    ts = {k: torch.tensor(v, requires_grad=True) for k, v in init.items()}
    opt = adam_mini.Adam_mini(
        list(ts.items()), lr=lr, weight_decay=WD, dim=8, n_heads=2, n_kv_heads=1, verbose=False
    )
    with jax.enable_x64(True):
        params = {k: jnp.asarray(v, jnp.float64) for k, v in init.items()}
        part = functools.partial(optzoo.adam_mini_partition, dim=8, n_heads=2)
        tx = optzoo.create(
            "adam_mini", preset="authors", learning_rate=lr, weight_decay=WD, partition=part
        )
        state = tx.init(params)
        for _ in range(steps):
            for k, p in ts.items():
                p.grad = torch.from_numpy(curv[k] * (p.detach().numpy() - 1.0))
            opt.step()
            grads = {k: jnp.asarray(curv[k]) * (p - 1.0) for k, p in params.items()}
            u, state = tx.update(grads, state, params)
            params = jax.tree.map(lambda p, d: p + d, params, u)
        theirs = {k: p.detach().numpy() for k, p in ts.items()}
        for k in shapes:
            np.testing.assert_allclose(np.asarray(params[k]), theirs[k], rtol=1e-10, atol=1e-12)


@pytest.mark.slow
def test_cautious_adamw_eps_before_correction_matches_the_authors_loop():
    lr = 0.02
    theirs = R.run_numpy(_cautious_adamw_step(lr, WD, eps_before_correction=True), {})
    tx = optzoo.create(
        "cautious_adamw",
        preset="authors",
        learning_rate=lr,
        weight_decay=WD,
        eps_before_correction=True,
    )
    assert R.displacement_error(R.run_optzoo(tx), theirs) <= R.TOL["float64"]
