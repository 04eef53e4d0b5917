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
