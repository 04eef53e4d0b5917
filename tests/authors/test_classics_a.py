"""The classic optimizers against their papers' algorithm boxes (issue #14).

None of these methods has a package published by its authors, so each reference is a short
NumPy transcription of the paper's update, written here from the paper (cited per function),
run on the shared problem of ``_reference.py`` against ``optzoo.create(name, preset="authors")``.
Where a paper's decay is not scaled by the learning rate (Loshchilov & Hutter's lambda),
optzoo gets ``weight_decay = lambda / learning_rate``, the mapping its docstrings state.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import optax
import pytest

import optzoo

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402

B1, B2 = 0.9, 0.999


def _zeros():
    return {k: np.zeros_like(v) for k, v in R.INIT.items()}


def _each(fn, *trees):
    return {k: fn(*(tree[k] for tree in trees)) for k in trees[0]}


# Gradient descent: Ruder, "An overview of gradient descent optimization algorithms", 2016,
# https://arxiv.org/abs/1609.04747, Section 2.1: theta = theta - eta * grad J(theta).
# Robbins & Monro, "A Stochastic Approximation Method", 1951,
# https://doi.org/10.1214/aoms/1177729586: x_{n+1} = x_n + a_n (alpha - y_n), here alpha = 0
# and y_n the noisy gradient (a root of the gradient is sought).
def gradient_descent(eta):
    def step(x, g, state, t):
        return _each(lambda x, g: x - eta * g, x, g), state

    return step, None


# Polyak, "Some methods of speeding up the convergence of iteration methods", 1964,
# https://doi.org/10.1016/0041-5553(64)90137-5: the heavy ball
# x_{k+1} = x_k - a grad f(x_k) + b (x_k - x_{k-1}); the state is x_{k-1} (x_{-1} = x_0).
def heavy_ball(a, b):
    def step(x, g, previous, t):
        previous = x if previous is None else previous
        return _each(lambda x, g, p: x - a * g + b * (x - p), x, g, previous), x

    return step, None


# Sutskever, Martens, Dahl, Hinton, "On the importance of initialization and momentum in deep
# learning", 2013, https://proceedings.mlr.press/v28/sutskever13.html, Eqs. (3)-(4):
# v_{t+1} = mu v_t - eps grad f(theta_t + mu v_t), theta_{t+1} = theta_t + v_{t+1}.
# The runner takes gradients at the point it carries, so it carries the look-ahead point
# theta_t + mu v_t (where the paper takes its gradient) and the state holds v_t.
def sutskever_nag(eps, mu):
    def step(lookahead, g, v, t):
        theta = _each(lambda y, v: y - mu * v, lookahead, v)
        v = _each(lambda v, g: mu * v - eps * g, v, g)
        theta = _each(lambda th, v: th + v, theta, v)
        return _each(lambda th, v: th + mu * v, theta, v), v

    return step, _zeros()


# Kingma & Ba, "Adam: A Method for Stochastic Optimization", 2014,
# https://arxiv.org/abs/1412.6980, Algorithm 1 (Adam). With ``lam``: Loshchilov & Hutter,
# "Decoupled Weight Decay Regularization", 2017, https://arxiv.org/abs/1711.05101,
# Algorithm 2 (AdamW, schedule multiplier eta_t = 1): theta -= alpha * adam_step + lam * theta.
def kingma_ba_adam(alpha, lam=0.0, eps=1e-8):
    def step(theta, g, state, t):
        m, v = state
        m = _each(lambda m, g: B1 * m + (1 - B1) * g, m, g)
        v = _each(lambda v, g: B2 * v + (1 - B2) * g * g, v, g)

        def update(th, m, v):
            m_hat, v_hat = m / (1 - B1**t), v / (1 - B2**t)
            return th - alpha * m_hat / (np.sqrt(v_hat) + eps) - lam * th

        return _each(update, theta, m, v), (m, v)

    return step, (_zeros(), _zeros())


# Kingma & Ba 2014 (above), Algorithm 2 (AdaMax): u_t = max(b2 u_{t-1}, |g_t|),
# theta -= alpha / (1 - b1^t) * m_t / u_t; ``lam`` adds Loshchilov & Hutter's decoupled decay.
def kingma_ba_adamax(alpha, lam=0.0):
    def step(theta, g, state, t):
        m, u = state
        m = _each(lambda m, g: B1 * m + (1 - B1) * g, m, g)
        u = _each(lambda u, g: np.maximum(B2 * u, np.abs(g)), u, g)
        theta = _each(lambda th, m, u: th - alpha / (1 - B1**t) * m / u - lam * th, theta, m, u)
        return theta, (m, u)

    return step, (_zeros(), _zeros())


# Reddi, Kale, Kumar, "On the Convergence of Adam and Beyond", 2018,
# https://arxiv.org/abs/1904.09237, Algorithm 2 (AMSGrad), constant alpha and beta_1, no
# projection (unconstrained): v_hat_t = max(v_hat_{t-1}, v_t), x -= alpha m_t / sqrt(v_hat_t).
def reddi_amsgrad(alpha):
    def step(x, g, state, t):
        m, v, v_max = state
        m = _each(lambda m, g: B1 * m + (1 - B1) * g, m, g)
        v = _each(lambda v, g: B2 * v + (1 - B2) * g * g, v, g)
        v_max = _each(np.maximum, v_max, v)
        return _each(lambda x, m, vm: x - alpha * m / np.sqrt(vm), x, m, v_max), (m, v, v_max)

    return step, (_zeros(), _zeros(), _zeros())


# Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop,
# https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ, Algorithm 2 (Nadam), for the momentum
# sequence mu_t = beta_1 or (``warm``) the experiments' mu_t = beta_1 (1 - 0.5 * 0.96^(t/250));
# the moving average itself decays by the constant beta_1. ``lam`` adds Loshchilov & Hutter's
# decoupled decay.
def dozat_nadam(alpha, lam=0.0, eps=1e-8, warm=False):
    def mu(t):
        return B1 * (1 - 0.5 * 0.96 ** (t / 250)) if warm else B1

    def step(theta, g, state, t):
        m, n, product = state
        product = product * mu(t)  # prod_{i <= t} mu_i
        m = _each(lambda m, g: B1 * m + (1 - B1) * g, m, g)
        n = _each(lambda n, g: B2 * n + (1 - B2) * g * g, n, g)

        def update(th, g, m, n):
            g_hat = g / (1 - product)
            m_hat = m / (1 - product * mu(t + 1))
            m_bar = (1 - mu(t)) * g_hat + mu(t + 1) * m_hat
            return th - alpha * m_bar / (np.sqrt(n / (1 - B2**t)) + eps) - lam * th

        return _each(update, theta, g, m, n), (m, n, product)

    return step, (_zeros(), _zeros(), 1.0)


# Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond", 2020,
# https://arxiv.org/abs/1908.03265, Algorithm 2 (RAdam; the box's "1/beta_2 v_{t-1}" is read
# as beta_2 v_{t-1}, as in the text). ``lam``: the decoupled decay of the authors' code,
# theta -= alpha * lam * theta alongside each step.
def liu_radam(alpha, lam=0.0):
    rho_inf = 2 / (1 - B2) - 1

    def step(theta, g, state, t):
        m, v = state
        v = _each(lambda v, g: B2 * v + (1 - B2) * g * g, v, g)
        m = _each(lambda m, g: B1 * m + (1 - B1) * g, m, g)
        rho = rho_inf - 2 * t * B2**t / (1 - B2**t)

        def update(th, m, v):
            m_hat = m / (1 - B1**t)
            if rho > 4:
                lr_adapt = np.sqrt((1 - B2**t) / v)
                r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
                return th - alpha * r * m_hat * lr_adapt - alpha * lam * th
            return th - alpha * m_hat - alpha * lam * th

        return _each(update, theta, m, v), (m, v)

    return step, (_zeros(), _zeros())


# Zaheer, Reddi, Sachan, Kale, Kumar, "Adaptive Methods for Nonconvex Optimization", 2018,
# https://papers.nips.cc/paper/2018/hash/90365351ccc7437a1309dc64e4db32a3-Abstract.html,
# Algorithm 2 (Yogi), with m_0 = 0 and the experiments' v_0 = 1e-6, eps = 1e-3.
def zaheer_yogi(eta, eps=1e-3, v0=1e-6):
    def step(x, g, state, t):
        m, v = state
        m = _each(lambda m, g: B1 * m + (1 - B1) * g, m, g)
        v = _each(lambda v, g: v - (1 - B2) * np.sign(v - g * g) * g * g, v, g)
        return _each(lambda x, m, v: x - eta * m / (np.sqrt(v) + eps), x, m, v), (m, v)

    return step, (_zeros(), {k: np.full_like(a, v0) for k, a in R.INIT.items()})


ALPHA, LAM = 1e-2, 1e-3  # Loshchilov & Hutter's lambda; optzoo's weight_decay = LAM / ALPHA
T = "NumPy transcription of "
# name -> (optzoo.create arguments on top of preset="authors", the transcription, its source)
CASES = {
    "gd": ({"learning_rate": 0.1}, lambda: gradient_descent(0.1), "Ruder 2016, Section 2.1"),
    "sgd": ({"learning_rate": 0.1}, lambda: gradient_descent(0.1), "Robbins & Monro 1951"),
    "momentum": (
        {"learning_rate": 0.05, "momentum": 0.9},
        lambda: heavy_ball(0.05, 0.9),
        "Polyak 1964, heavy ball",
    ),
    "nesterov": (
        {"learning_rate": 0.05, "momentum": 0.9},
        lambda: sutskever_nag(0.05, 0.9),
        "Sutskever et al. 2013, Eqs. (3)-(4)",
    ),
    # the preset's learning rate is the paper's alpha = 1e-3 (AdaMax: 2e-3)
    "adam": ({}, lambda: kingma_ba_adam(1e-3), "Kingma & Ba 2014, Algorithm 1"),
    "adamax": ({}, lambda: kingma_ba_adamax(2e-3), "Kingma & Ba 2014, Algorithm 2"),
    "adamw": (
        {"learning_rate": ALPHA, "weight_decay": LAM / ALPHA},
        lambda: kingma_ba_adam(ALPHA, LAM),
        "Loshchilov & Hutter 2017, Algorithm 2",
    ),
    "adamaxw": (
        {"learning_rate": ALPHA, "weight_decay": LAM / ALPHA},
        lambda: kingma_ba_adamax(ALPHA, LAM),
        "Kingma & Ba 2014, Algorithm 2 + Loshchilov & Hutter 2017 decay",
    ),
    "amsgrad": (
        {"learning_rate": ALPHA},
        lambda: reddi_amsgrad(ALPHA),
        "Reddi et al. 2018, Algorithm 2",
    ),
    "nadam": (
        {"learning_rate": ALPHA},
        lambda: dozat_nadam(ALPHA),
        "Dozat 2016, Algorithm 2, mu_t = b1",
    ),
    "nadamw": (
        {"learning_rate": ALPHA, "weight_decay": LAM / ALPHA},
        lambda: dozat_nadam(ALPHA, LAM),
        "Dozat 2016, Algorithm 2, mu_t = b1, + Loshchilov & Hutter 2017 decay",
    ),
    "radam": (
        {"learning_rate": ALPHA, "weight_decay": 0.1},
        lambda: liu_radam(ALPHA, 0.1),
        "Liu et al. 2020, Algorithm 2 + the authors' decay",
    ),
    "yogi": (
        {"learning_rate": ALPHA},
        lambda: zaheer_yogi(ALPHA),
        "Zaheer et al. 2018, Algorithm 2",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_the_papers_algorithm(name):
    kwargs, transcription, source = CASES[name]
    theirs = R.run_numpy(*transcription())
    ours = R.run_optzoo(optzoo.create(name, preset="authors", **kwargs))
    R.check(name, R.displacement_error(ours, theirs), T + source, kind="transcription")


@pytest.mark.parametrize("name", ["amsgrad", "radam", "yogi"])
def test_the_preset_is_what_matches_the_paper(name):
    # With optzoo's (optax's) defaults in place of the preset, the trajectories part.
    kwargs, transcription, _ = CASES[name]
    ours = R.run_optzoo(optzoo.create(name, **kwargs))
    assert R.displacement_error(ours, R.run_numpy(*transcription())) > 1e-2


def _nadam_schedule(decay):
    # Dozat's warming momentum schedule, which optax's nadam signature has no argument for.
    tail = [optzoo.add_decayed_weights(LAM / ALPHA)] if decay else []
    return optax.chain(optzoo.scale_by_nadam(), *tail, optzoo.scale_by_learning_rate(ALPHA))


@pytest.mark.parametrize("decay", [False, True], ids=["nadam", "nadamw"])
def test_scale_by_nadam_is_the_papers_momentum_schedule(decay):
    ours = R.run_optzoo(_nadam_schedule(decay))
    warm = R.run_numpy(*dozat_nadam(ALPHA, LAM if decay else 0.0, warm=True))
    constant = R.run_numpy(*dozat_nadam(ALPHA, LAM if decay else 0.0))
    assert R.displacement_error(ours, warm) < 1e-12
    assert R.displacement_error(constant, warm) > 1e-2  # the schedule matters here


def test_scale_by_nadam_rejects_a_negative_momentum_decay():
    with pytest.raises(ValueError, match="momentum_decay"):
        optzoo.scale_by_nadam(momentum_decay=-1.0)


@pytest.mark.slow
@pytest.mark.parametrize("decay", [False, True], ids=["nadam", "nadamw"])
def test_scale_by_nadam_matches_torch_nadam(decay):
    # A second, independent implementation of Dozat's schedule: torch.optim.NAdam.
    import torch

    theirs = R.run_torch(
        lambda ps: torch.optim.NAdam(
            ps,
            lr=ALPHA,
            momentum_decay=0.004,
            weight_decay=LAM / ALPHA if decay else 0.0,
            decoupled_weight_decay=decay,
        )
    )
    # torch keeps the step count and the product of the momenta as float32 scalars
    # (its default dtype), hence 1e-8 rather than rounding level.
    assert R.displacement_error(R.run_optzoo(_nadam_schedule(decay)), theirs) < 1e-8
