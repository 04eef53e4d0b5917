"""Ranger and Grokfast-AdamW against their authors' code (issue #14).

Neither is on the package index: Ranger's author published ``ranger.py``
(lessw2020/Ranger-Deep-Learning-Optimizer, version 20.4.11) and the Grokfast authors
``grokfast.py`` (ironjr/grokfast), whose ``gradfilter_ema`` edits ``p.grad`` before
``torch.optim.AdamW`` steps. Ranger is transcribed in NumPy; for Grokfast the filter is
transcribed and the optimizer is torch's own AdamW.

bSAM (team-approx-bayes/bayesian-sam is research code, no package) is checked against a NumPy
transcription of the paper's Algorithm 1.
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


def test_ranger_matches_the_authors_step():
    """``Ranger.step`` of ranger.py 20.4.11: gradient centralisation of every leaf of rank
    > 1 over all axes but the first, RAdam with the SGD step while ``N_sma <= 5``, decay
    ``x -= wd lr x`` before the step, Lookahead every ``k`` steps."""
    lr, b1, b2, eps, k, alpha, wd = 1e-2, 0.95, 0.999, 1e-5, 6, 0.5, 1e-2
    n_max = 2 / (1 - b2) - 1

    def step(x, g, state, t):
        m, v, slow = state
        b2t = b2**t
        n_sma = n_max - 2 * t * b2t / (1 - b2t)
        for name in x:
            gk = g[name]
            if gk.ndim > 1:
                gk = gk - gk.mean(axis=tuple(range(1, gk.ndim)), keepdims=True)
            v[name] = b2 * v[name] + (1 - b2) * gk * gk
            m[name] = b1 * m[name] + (1 - b1) * gk
            x[name] = x[name] - wd * lr * x[name]
            if n_sma > 5:
                size = math.sqrt(
                    (1 - b2t)
                    * (n_sma - 4)
                    / (n_max - 4)
                    * (n_sma - 2)
                    / n_sma
                    * n_max
                    / (n_max - 2)
                ) / (1 - b1**t)
                x[name] = x[name] - size * lr * m[name] / (np.sqrt(v[name]) + eps)
            else:
                x[name] = x[name] - lr / (1 - b1**t) * m[name]
            if t % k == 0:
                slow[name] = slow[name] + alpha * (x[name] - slow[name])
                x[name] = slow[name].copy()
        return x, (m, v, slow)

    zeros = lambda: {n: np.zeros_like(a) for n, a in R.init_params().items()}  # noqa: E731
    theirs = R.run_numpy(step, (zeros(), zeros(), R.init_params()))
    ours = R.run_optzoo(
        optzoo.create("ranger", preset="authors", learning_rate=lr, weight_decay=wd)
    )
    R.check(
        "ranger",
        R.displacement_error(ours, theirs),
        "NumPy transcription of the author's Ranger.step (20.4.11)",
        kind="transcription",
    )


def test_grokfast_adamw_matches_gradfilter_ema_with_torch_adamw():
    """``gradfilter_ema`` (the average starts at the first gradient, then
    ``avg = alpha avg + (1 - alpha) g`` and ``g += lamb avg``) before torch's AdamW."""
    torch = pytest.importorskip("torch")
    lr, wd, alpha, lamb = 1e-2, 1e-2, 0.98, 2.0

    class FilteredAdamW:
        def __init__(self, params):
            self.params = params
            self.inner = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.98), weight_decay=wd)
            self.avg = None

        def zero_grad(self):
            self.inner.zero_grad()

        def step(self):
            grads = [p.grad.detach() for p in self.params]
            if self.avg is None:
                self.avg = [g.clone() for g in grads]
            for p, a, g in zip(self.params, self.avg, grads, strict=True):
                a.mul_(alpha).add_(g * (1 - alpha))
                p.grad = g + a * lamb
            self.inner.step()

    theirs = R.run_torch(FilteredAdamW)
    tx = optzoo.create(
        "grokfast_adamw",
        preset="authors",
        learning_rate=lr,
        weight_decay=wd,
        alpha=alpha,
        lamb=lamb,
    )
    R.check(
        "grokfast_adamw",
        R.displacement_error(R.run_optzoo(tx), theirs),
        f"torch {torch.__version__.split('+')[0]} AdamW after a transcription of the authors' "
        "gradfilter_ema",
        kind="transcription",
    )


def test_ranger21_matches_the_authors_package():
    """``ranger21.Ranger21`` 0.1.0 (Wright & Demeure's package) on the three-leaf problem:
    AGC, GC/GN (twice), PNM, softplus, warm-up/warm-down and Lookahead.

    Their step has three slips the comparison steps around: the decay and the norm loss act
    on one leaf only (the loop variable left over from the first loop), so both are off here;
    ``momentum_type="pnm"`` makes the PNM factor ``True`` (:math:`\\beta_0 = 1`) while its
    normaliser uses :math:`\\beta_2`, a constant factor on the step, moved into our step
    sizes; ``torch.max(max_variance_ma, variance_ma, out=variance_ma)`` never updates the
    maximum, so it is ``amsgrad=False``.
    """
    pytest.importorskip("torch")
    ranger21 = pytest.importorskip("ranger21")
    lr, min_lr, b2 = 1e-1, 1e-3, 0.999
    scale = math.sqrt(5.0) / math.sqrt((1 + b2) ** 2 + b2**2)

    def make(tensors):
        return ranger21.Ranger21(
            tensors,
            lr=lr,
            betas=(0.9, b2),
            num_epochs=1,
            num_batches_per_epoch=R.STEPS,
            warmdown_min_lr=min_lr,
            weight_decay=0.0,
            normloss_active=False,
            logging_active=False,
        )

    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # the package prints its settings
        theirs = R.run_torch(make)
    ours = R.run_optzoo(
        optzoo.create(
            "ranger21",
            preset="authors",
            learning_rate=lr * scale,
            warm_down_min_lr=min_lr * scale,
            num_iterations=R.STEPS,
            b0=1.0,
            weight_decay=0.0,
            norm_loss_factor=0.0,
            amsgrad=False,
        )
    )
    R.check(
        "ranger21",
        R.displacement_error(ours, theirs),
        "ranger21 0.1.0 (decay and norm loss off, PNM normaliser rescaled)",
    )


# Möllenhoff, Khan. SAM as an Optimal Relaxation of Bayes. 2022.
# https://arxiv.org/abs/2210.01620, Algorithm 1 (bSAM): with sigma^2 = 1 / (N s),
# g = grad L(w + sigma xi), eps = rho g / s, g_eps = grad L(w + eps),
# g_m <- b1 g_m + (1 - b1)(g_eps + delta w), s <- b2 s + (1 - b2)(sqrt(s)|g| + delta + gamma),
# w <- w - alpha g_m / s. The standard normal draws xi are replayed from jax.random with
# optzoo's documented key schedule (as optzoo.add_noise), so the transcription sees the same xi.
def test_bsam_matches_algorithm_1():
    import jax
    import jax.numpy as jnp

    lr, n, b1, b2, wd, rho, damping = 0.05, 100, 0.9, 0.99, 1e-2, 0.05, 0.1
    names = sorted(R.SHAPES)  # the pytree's leaf order
    xis, key = [], jax.random.key(3)
    with jax.enable_x64(True):
        for _ in range(R.STEPS):
            key, sample = jax.random.split(key)
            leaf_keys = jax.random.split(sample, len(names))
            xis.append(
                {
                    k: np.asarray(jax.random.normal(lk, R.SHAPES[k], "float64"))
                    for k, lk in zip(names, leaf_keys, strict=True)
                }
            )

    def step(w, _, state, t):
        gm, s = state
        noisy = {k: w[k] + np.sqrt(1.0 / (n * s[k])) * xis[t - 1][k] for k in w}
        g = R.grad(noisy, t - 1)
        g_eps = R.grad({k: w[k] + rho * g[k] / s[k] for k in w}, t - 1)
        gm = {k: b1 * gm[k] + (1 - b1) * (g_eps[k] + wd * w[k]) for k in w}
        s = {k: b2 * s[k] + (1 - b2) * (np.sqrt(s[k]) * np.abs(g[k]) + wd + damping) for k in w}
        return {k: w[k] - lr * gm[k] / s[k] for k in w}, (gm, s)

    zeros = {k: np.zeros(v) for k, v in R.SHAPES.items()}
    ones = {k: np.ones(v) for k, v in R.SHAPES.items()}
    theirs = R.run_numpy(step, (zeros, ones))

    def extra(params, t):
        return {"value_fn": lambda p: R.loss(p, t, lambda a: jnp.asarray(a, jnp.float64))}

    tx = optzoo.create(
        "bsam",
        preset="authors",
        learning_rate=lr,
        num_data=n,
        b1=b1,
        b2=b2,
        weight_decay=wd,
        rho=rho,
        damping=damping,
        key=jax.random.key(3),
    )
    ours = R.run_optzoo(tx, extra=extra)
    err = R.displacement_error(ours, theirs)
    R.check("bsam", err, "NumPy transcription of Algorithm 1 (bSAM)", kind="transcription")


WD = 0.1


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
            m, v = R.adam_moments(state, k, g, b1, b2)
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


def _cautious_adamw_step(lr, wd, b1=0.9, b2=0.999, eps=1e-6, eps_before_correction=False):
    def step(params, grads, state, t):
        out = {}
        for k, x in params.items():
            g = grads[k]
            x = x - lr * wd * x
            m, v = R.adam_moments(state, k, g, b1, b2)
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
