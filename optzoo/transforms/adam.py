"""The Adam family's building blocks: Adam, AMSGrad, AdaMax and the variants.

AdaBelief, RAdam, Adan, Yogi, LaProp, StableAdamW, Grams, AdaBound, AdamP, Adam-mini,
MARS, AdEMAMix (full and simplified) and ADOPT. Where optax (or ``optax.contrib``) ships a
block of the same name, this one gives its numbers and keeps its state class, so
``isinstance(state, optax.ScaleByAdamState)`` and ``optax.tree.get(state, "count")`` keep
working.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from optax import ScaleByAdamState, ScaleByAdanState, ScaleByAmsgradState, ScaleByBeliefState
from optax.contrib import ScaleByAdemamixState, ScaleBySimplifiedAdEMAMixState

from optzoo.core.eager import integer_power, power
from optzoo.core.validation import check_betas, check_nonnegative, check_positive, check_range
from optzoo.transforms._moments import (
    _canonical_dtype,
    _cast,
    _check_betas,
    _debias,
    _ema,
    _map,
    _square,
    _value,
)

__all__ = [
    "scale_by_qhadam",
    "ScaleByQHAdamState",
    "scale_by_adamod",
    "ScaleByAdaModState",
    "scale_by_diffgrad",
    "ScaleByDiffGradState",
    "scale_by_adam",
    "ScaleByNadamState",
    "scale_by_nadam",
    "scale_by_amsgrad",
    "scale_by_adamax",
    "scale_by_belief",
    "scale_by_radam",
    "scale_by_adan",
    "scale_by_yogi",
    "scale_by_laprop",
    "scale_by_stable_adamw",
    "scale_by_grams",
    "scale_by_adabound",
    "scale_by_adamp",
    "scale_by_adam_mini",
    "ScaleByMarsState",
    "scale_by_mars",
    "scale_by_ademamix",
    "scale_by_simplified_ademamix",
    "scale_by_adopt",
]


def _is_none(x) -> bool:
    return x is None


def _abs_sq(x: jax.Array) -> jax.Array:
    return jnp.real(jnp.conj(x) * x)


def _nesterov_mu_hat(mu, updates, b1, count_inc):
    # Debiased Nesterov look-ahead: b1 * mu_hat(t+1) + (1 - b1) * g_hat(t).
    return jax.tree.map(
        lambda m, g: b1 * m + (1 - b1) * g,
        optax.tree.bias_correction(mu, b1, optax.safe_increment(count_inc)),
        optax.tree.bias_correction(updates, b1, count_inc),
    )


def scale_by_belief(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-16,
    eps_root: jax.typing.ArrayLike = 1e-16,
    *,
    nesterov: bool = False,
    rectify: bool = False,
    degenerated_to_sgd: bool = True,
) -> optax.GradientTransformation:
    r"""AdaBelief scaling: Adam with the variance of the gradient around its EMA.

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
       s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2 + \epsilon_{root},\quad
       u_t = \hat m_t / (\sqrt{\hat s_t} + \epsilon).

    With ``rectify=True`` (the default of the authors' ``adabelief-pytorch``) the step is
    rectified like RAdam's (:func:`optzoo.scale_by_radam`, threshold 5):
    :math:`u_t = r_t \hat m_t \sqrt{1-\beta_2^t}/(\sqrt{s_t} + \epsilon)` once
    :math:`\rho_t \ge 5`, before that :math:`\hat m_t` (SGD with momentum) or, with
    ``degenerated_to_sgd=False``, no step.

    Args:
      b1: decay of the first moment.
      b2: decay of the belief (centred second moment).
      eps: added to the denominator outside the square root.
      eps_root: added to :math:`s_t` each step.
      nesterov: use the Nesterov form of the first moment.
      rectify: RAdam-style rectification (the authors' package default).
      degenerated_to_sgd: with ``rectify``, take momentum-SGD steps while
        :math:`\rho_t < 5` (otherwise no step).

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByBeliefState``.

    References:
      Zhuang et al. AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed
      Gradients. 2020. https://arxiv.org/abs/2010.07468
    """
    _check_betas(b1=b1, b2=b2)
    check_nonnegative("eps", eps)
    check_nonnegative("eps_root", eps_root)

    def init_fn(params):
        return ScaleByBeliefState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params),
            nu=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        residual = optax.tree.sub(updates, mu)
        nu = optax.tree.update_moment_per_elem_norm(residual, state.nu, b2, 2)
        nu = jax.tree.map(lambda v: v + eps_root, nu)
        count_inc = optax.safe_increment(state.count)
        if nesterov:
            mu_hat = _nesterov_mu_hat(mu, updates, b1, count_inc)
        else:
            mu_hat = optax.tree.bias_correction(mu, b1, count_inc)
        if rectify:
            new_updates = _rectified_belief(mu_hat, nu, count_inc)
        else:
            nu_hat = optax.tree.bias_correction(nu, b2, count_inc)
            new_updates = jax.tree.map(
                lambda m, v: None if m is None else m / (jnp.sqrt(v) + eps),
                mu_hat,
                nu_hat,
                is_leaf=_is_none,
            )
        return new_updates, ScaleByBeliefState(count=count_inc, mu=mu, nu=nu)

    def _rectified_belief(mu_hat, nu, count_inc):
        # adabelief-pytorch's rectified step: sqrt(1 - b2^t) r_t m_hat / (sqrt(s_t) + eps)
        # once rho_t >= 5; before that m_hat (degenerated_to_sgd) or nothing.
        rho_inf = 2.0 / (1.0 - b2) - 1.0
        # b2^t and 1 - b2^t from log(b2) taken before any cast: in float32, b2 = 0.999
        # rounds so that rho_t (a difference of two numbers near 2000) is off by ~1e-2.
        log_b2 = np.log(b2) if isinstance(b2, int | float) else jnp.log(b2)
        x = count_inc * log_b2
        b2t, one_minus_b2t = jnp.exp(x), -jnp.expm1(x)
        rho = rho_inf - 2 * count_inc * b2t / one_minus_b2t
        adaptive = rho >= 5.0
        safe_rho = jnp.where(adaptive, rho, 5.0)
        rect = jnp.sqrt(
            one_minus_b2t
            * (safe_rho - 4.0)
            * (safe_rho - 2.0)
            * rho_inf
            / ((rho_inf - 4.0) * (rho_inf - 2.0) * safe_rho)
        )
        sgd = 1.0 if degenerated_to_sgd else 0.0

        def one(m, v):
            if m is None:
                return None
            step = rect.astype(m.dtype) * m / (jnp.sqrt(v) + eps)
            return jnp.where(adaptive, step, sgd * m)

        return jax.tree.map(one, mu_hat, nu, is_leaf=_is_none)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_radam(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    threshold: jax.typing.ArrayLike = 5.0,
    *,
    nesterov: bool = False,
    eps_on_raw_nu: bool = False,
) -> optax.GradientTransformation:
    r"""Rectified Adam scaling.

    With :math:`\rho_\infty = 2/(1-\beta_2) - 1` and
    :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)`: when :math:`\rho_t \ge`
    ``threshold`` the update is :math:`r_t \hat m_t/(\sqrt{\hat v_t+\epsilon_{root}}+\epsilon)`
    with :math:`r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}
    {(\rho_\infty-4)(\rho_\infty-2)\rho_t}}`, otherwise the un-adapted :math:`\hat m_t`.

    Args:
      b1: decay of the first moment.
      b2: decay of the second moment.
      eps: added to the denominator outside the square root.
      eps_root: added inside the square root.
      threshold: :math:`\rho_t` above which the adaptive step is used.
      nesterov: use the Nesterov form of the first moment.
      eps_on_raw_nu: add ``eps`` to :math:`\sqrt{v_t}` before the bias correction, as the
        authors' code (and Ranger) do: the denominator becomes
        :math:`\sqrt{\hat v_t} + \epsilon/\sqrt{1-\beta_2^t}`. Off: optax's form.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdamState``.

    References:
      Liu et al. On the Variance of the Adaptive Learning Rate and Beyond. 2020.
      https://arxiv.org/abs/1908.03265
    """
    _check_betas(b1=b1, b2=b2)
    check_nonnegative("eps", eps)
    rho_inf = 2.0 / (1.0 - b2) - 1.0

    def init_fn(params):
        return ScaleByAdamState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params),
            nu=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        count_inc = optax.safe_increment(state.count)
        b2t = integer_power(b2, count_inc)
        rho = rho_inf - 2 * count_inc * b2t / (1 - b2t)
        if nesterov:
            mu_hat = _nesterov_mu_hat(mu, updates, b1, count_inc)
        else:
            mu_hat = optax.tree.bias_correction(mu, b1, count_inc)
        nu_hat = optax.tree.bias_correction(nu, b2, count_inc)
        rect = jnp.sqrt(
            (rho - 4.0) * (rho - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho)
        )
        eps_t = eps / jnp.sqrt(1 - b2t) if eps_on_raw_nu else eps
        new_updates = jax.tree.map(
            lambda m, v: jnp.where(
                rho >= threshold,
                rect.astype(m.dtype) * m / (jnp.sqrt(v + eps_root) + eps_t).astype(m.dtype),
                m,
            ),
            mu_hat,
            nu_hat,
        )
        return new_updates, ScaleByAdamState(count=count_inc, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_adan(
    b1: jax.typing.ArrayLike = 0.98,
    b2: jax.typing.ArrayLike = 0.92,
    b3: jax.typing.ArrayLike = 0.99,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    *,
    diff_weight: Literal["1-b2", "b2"] = "1-b2",
) -> optax.GradientTransformation:
    r"""Adan scaling (Algorithm 1 of the paper, with bias correction).

    With :math:`\delta_t = g_t - g_{t-1}` (zero on the first step) and :math:`w` the weight
    of the gradient difference (``diff_weight``, default :math:`1-\beta_2` as in optax):

    .. math::
       m_t = \beta_1 m + (1-\beta_1) g_t,\quad v_t = \beta_2 v + (1-\beta_2)\delta_t,\quad
       n_t = \beta_3 n + (1-\beta_3)(g_t + w\delta_t)^2,\\
       u_t = (\hat m_t + w\hat v_t) / (\sqrt{\hat n_t + \epsilon_{root}} + \epsilon).

    Note: the paper writes the betas as :math:`1-\beta`; these are the decay rates. Its
    weight of :math:`\delta_t` is :math:`1-\beta_2^{paper}`, i.e. the decay ``b2`` itself
    (0.92), which the authors' code uses: ``diff_weight="b2"``.

    Args:
      b1: decay of the gradient EMA.
      b2: decay of the gradient-difference EMA.
      b3: decay of the second moment.
      eps: added to the denominator outside the square root.
      eps_root: added inside the square root.
      diff_weight: ``"1-b2"`` (optax) or ``"b2"`` (the paper and the authors' code).

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdanState``.

    References:
      Xie et al. Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep
      Models. 2022. https://arxiv.org/abs/2208.06677
    """
    _check_betas(b1=b1, b2=b2, b3=b3)
    check_nonnegative("eps", eps)
    if diff_weight not in ("1-b2", "b2"):
        raise ValueError(f"diff_weight must be '1-b2' or 'b2', got {diff_weight!r}")
    w = b2 if diff_weight == "b2" else 1 - b2

    def init_fn(params):
        return ScaleByAdanState(
            m=optax.tree.zeros_like(params),
            v=optax.tree.zeros_like(params),
            n=optax.tree.zeros_like(params),
            g=optax.tree.zeros_like(params),
            t=jnp.zeros([], jnp.int32),
        )

    def update_fn(updates, state, params=None):
        del params
        g = updates
        diff = optax.tree.where(state.t == 0, optax.tree.zeros_like(g), optax.tree.sub(g, state.g))
        m = optax.tree.update_moment(g, state.m, b1, 1)
        v = optax.tree.update_moment(diff, state.v, b2, 1)
        n = optax.tree.update_moment_per_elem_norm(optax.tree.add_scale(g, w, diff), state.n, b3, 2)
        t = optax.safe_increment(state.t)
        m_hat = optax.tree.bias_correction(m, b1, t)
        v_hat = optax.tree.bias_correction(v, b2, t)
        n_hat = optax.tree.bias_correction(n, b3, t)
        num = optax.tree.add_scale(m_hat, w, v_hat)
        den = jax.tree.map(lambda x: jnp.sqrt(x + eps_root) + eps, n_hat)
        return optax.tree.div(num, den), ScaleByAdanState(m=m, v=v, n=n, g=g, t=t)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_yogi(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-3,
    eps_root: jax.typing.ArrayLike = 0.0,
    initial_accumulator_value: jax.typing.ArrayLike = 1e-6,
    *,
    initial_mu_value: jax.typing.ArrayLike | None = None,
    bias_correction: bool = True,
) -> optax.GradientTransformation:
    r"""Yogi scaling: an additive, sign-controlled second-moment update.

    .. math::
       v_t = v_{t-1} - (1-\beta_2)\operatorname{sign}(v_{t-1} - g_t^2)\, g_t^2,\quad
       u_t = \hat m_t / (\sqrt{\hat v_t + \epsilon_{root}} + \epsilon).

    Both moments start at ``initial_accumulator_value`` (optax's convention).

    Args:
      b1: decay of the first moment.
      b2: rate of the second-moment update.
      eps: added to the denominator outside the square root.
      eps_root: added inside the square root.
      initial_accumulator_value: initial value of the second moment, and of the first
        unless ``initial_mu_value`` is given.
      initial_mu_value: initial value of the first moment (the paper: ``0``); ``None``
        follows ``initial_accumulator_value``.
      bias_correction: divide the moments by :math:`1-\beta_1^t`, :math:`1-\beta_2^t`
        (``False``: the paper's Algorithm 2, :math:`u_t = m_t / (\sqrt{v_t} + \epsilon)`).

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdamState``.

    References:
      Zaheer et al. Adaptive Methods for Nonconvex Optimization. 2018.
      https://papers.nips.cc/paper/2018/hash/90365351ccc7437a1309dc64e4db32a3-Abstract.html
    """
    _check_betas(b1=b1, b2=b2)
    check_nonnegative("eps", eps)

    mu_init = initial_accumulator_value if initial_mu_value is None else initial_mu_value

    def init_fn(params):
        return ScaleByAdamState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.full_like(params, mu_init),
            nu=optax.tree.full_like(params, initial_accumulator_value),
        )

    def update_fn(updates, state, params=None):
        del params
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = jax.tree.map(
            lambda g, v: v - (1 - b2) * jnp.sign(v - _abs_sq(g)) * _abs_sq(g),
            updates,
            state.nu,
        )
        count_inc = optax.safe_increment(state.count)
        if bias_correction:
            mu_hat = optax.tree.bias_correction(mu, b1, count_inc)
            nu_hat = optax.tree.bias_correction(nu, b2, count_inc)
        else:
            mu_hat, nu_hat = mu, nu
        new_updates = jax.tree.map(
            lambda m, v: None if m is None else m / (jnp.sqrt(v + eps_root) + eps),
            mu_hat,
            nu_hat,
            is_leaf=_is_none,
        )
        return new_updates, ScaleByAdamState(count=count_inc, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


def _adam_init(params, mu_dtype=None):
    return ScaleByAdamState(
        count=jnp.zeros([], jnp.int32),
        mu=optax.tree.zeros_like(params, dtype=mu_dtype),
        nu=optax.tree.zeros_like(params),
    )


def scale_by_laprop(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-15,
) -> optax.GradientTransformation:
    r"""LaProp scaling: normalise the gradient first, then take momentum of the result.

    .. math::
       \nu_t = \beta_2\nu + (1-\beta_2) g_t^2,\quad
       m_t = \beta_1 m + (1-\beta_1)\, g_t / (\sqrt{\nu_t/(1-\beta_2^t)} + \epsilon),\quad
       u_t = m_t / (1-\beta_1^t).

    Args:
      b1: momentum decay.
      b2: second-moment decay.
      eps: denominator.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdamState``.

    References:
      Ziyin, Wang, Ueda. LaProp: Separating Momentum and Adaptivity in Adam. 2020.
      https://arxiv.org/abs/2002.04839
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        bc2 = 1 - power(b2, count)
        normed = jax.tree.map(
            lambda g, v: (g / (jnp.sqrt(v / bc2.astype(v.dtype)) + eps)).astype(g.dtype),
            updates,
            nu,
        )
        mu = optax.tree.update_moment(normed, state.mu, b1, 1)
        out = optax.tree.bias_correction(mu, b1, count)
        return out, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(_adam_init, update_fn)


def _debiased_beta(beta, count):
    # beta (1 - beta^(t-1)) / (1 - beta^t): the decay that makes an EMA unbiased.
    bt = power(beta, count)
    return (bt - beta) / (bt - 1.0)


def scale_by_stable_adamw(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.99,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
) -> optax.GradientTransformation:
    r"""StableAdamW scaling: AdamW with debiased betas and AdaFactor-style update clipping.

    With :math:`\hat\beta_i = \beta_i(1-\beta_i^{t-1})/(1-\beta_i^t)`, per tensor:

    .. math::
       m_t = \hat\beta_1 m + (1-\hat\beta_1) g,\quad v_t = \hat\beta_2 v + (1-\hat\beta_2) g^2,\quad
       \rho_t = \max\!\big(1, \sqrt{\mathrm{mean}(g^2/\max(v_t, \epsilon^2))}\big),\\
       u_t = \big(m_t/(\sqrt{v_t}+\epsilon) + \lambda x_t\big)/\rho_t.

    Args:
      b1: momentum decay.
      b2: second-moment decay.
      eps: denominator (its square floors :math:`v` in the RMS).
      weight_decay: decoupled :math:`\lambda`, also divided by :math:`\rho_t` as in the paper.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdamState``; needs params when
      ``weight_decay`` is non-zero.

    References:
      Wortsman et al. Stable and low-precision training for large-scale vision-language
      models. 2023. https://arxiv.org/abs/2304.13013
    """
    check_betas(b1, b2)
    check_positive("eps", eps)

    def update_fn(updates, state, params=None):
        count = optax.safe_increment(state.count)
        c = count.astype(jnp.result_type(float))
        bb1 = _debiased_beta(b1, c)
        bb2 = _debiased_beta(b2, c)
        mu = jax.tree.map(lambda m, g: (m + (1 - bb1) * (g - m)).astype(m.dtype), state.mu, updates)
        nu = jax.tree.map(
            lambda v, g: (bb2 * v + (1 - bb2) * g * g).astype(v.dtype), state.nu, updates
        )

        def one(g, m, v, p):
            rho = jnp.maximum(jnp.sqrt(jnp.mean(g * g / jnp.maximum(v, eps**2))), 1.0)
            u = m / (jnp.sqrt(v) + eps)
            if p is not None:
                u = u + weight_decay * p
            return (u / rho).astype(g.dtype)

        if params is None:
            out = jax.tree.map(lambda g, m, v: one(g, m, v, None), updates, mu, nu)
        else:
            out = jax.tree.map(one, updates, mu, nu, params)
        return out, ScaleByAdamState(count=count, mu=mu, nu=nu)

    def update_checked(updates, state, params=None):
        if params is None and not (isinstance(weight_decay, (int, float)) and weight_decay == 0):
            raise ValueError("scale_by_stable_adamw with weight_decay needs params")
        return update_fn(updates, state, params)

    return optax.GradientTransformation(_adam_init, update_checked)


def scale_by_grams(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-6,
    eps_before_correction: bool = False,
) -> optax.GradientTransformation:
    r"""Grams scaling: Adam's magnitude with the current gradient's sign.

    .. math::
       u_t = \operatorname{sign}(g_t)\,\big|\hat m_t/(\sqrt{\hat v_t} + \epsilon)\big|.

    Args:
      b1: momentum decay.
      b2: second-moment decay.
      eps: denominator.
      eps_before_correction: add :math:`\epsilon` to :math:`\sqrt{v_t}` before the bias
        correction, i.e. :math:`\hat m_t/(\sqrt{\hat v_t} + \epsilon/\sqrt{1-\beta_2^t})`
        (the authors' ``grams-pytorch``, like Hugging Face's AdamW).

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdamState``.

    References:
      Cao, Li, Song. Grams: Gradient Descent with Adaptive Momentum Scaling. 2024.
      https://arxiv.org/abs/2412.17107
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        bc1 = 1 - power(b1, count)
        bc2 = 1 - power(b2, count)
        eps_t = eps / jnp.sqrt(bc2) if eps_before_correction else eps
        out = jax.tree.map(
            lambda g, m, v: (
                jnp.sign(g) * jnp.abs((m / bc1) / (jnp.sqrt(v) / jnp.sqrt(bc2) + eps_t))
            ).astype(g.dtype),
            updates,
            mu,
            nu,
        )
        return out, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(_adam_init, update_fn)


def scale_by_adabound(
    learning_rate: optax.ScalarOrSchedule,
    final_lr: jax.typing.ArrayLike = 0.1,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    gamma: jax.typing.ArrayLike = 1e-3,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""AdaBound: Adam's per-coordinate step clipped into bounds that converge to SGD's.

    With :math:`\alpha_t = \eta_t\sqrt{1-\beta_2^t}/(1-\beta_1^t)` and
    :math:`\eta^*_t = \eta^*\,\eta_t/\eta_0` (the final rate follows a schedule's ratio):

    .. math::
       u_t = \operatorname{clip}\!\Big(\frac{\alpha_t}{\sqrt{v_t}+\epsilon},\
       \eta^*_t\big(1 - \tfrac{1}{\gamma t+1}\big),\
       \eta^*_t\big(1 + \tfrac{1}{\gamma t}\big)\Big)\,m_t.

    The emitted update already contains the step size (chain with ``scale(-1)``).

    Args:
      learning_rate: Adam's step :math:`\eta` (scalar or schedule).
      final_lr: the SGD rate :math:`\eta^*` the bounds converge to.
      b1, b2: moment decays.
      gamma: convergence speed of the bounds.
      eps: denominator.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdamState``.

    References:
      Luo, Xiong, Liu, Sun. Adaptive Gradient Methods with Dynamic Bound of Learning Rate.
      2019. https://arxiv.org/abs/1902.09843
    """
    check_betas(b1, b2)
    check_nonnegative("final_lr", final_lr)
    check_positive("gamma", gamma)

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        if callable(learning_rate):
            lr = learning_rate(state.count)
            lr0 = learning_rate(0)
            final = jnp.where(lr0 > 0, final_lr * lr / jnp.where(lr0 > 0, lr0, 1.0), 0.0)
        else:
            lr = learning_rate
            final = final_lr
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        t = count.astype(jnp.result_type(float))
        step = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
        lower = final * (1 - 1 / (gamma * t + 1))
        upper = final * (1 + 1 / (gamma * t))
        out = jax.tree.map(
            lambda m, v: (jnp.clip(step / (jnp.sqrt(v) + eps), lower, upper) * m).astype(m.dtype),
            mu,
            nu,
        )
        return out, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(_adam_init, update_fn)


def scale_by_adamp(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
    delta: jax.typing.ArrayLike = 0.1,
    wd_ratio: jax.typing.ArrayLike = 0.1,
    nesterov: bool = False,
    channel_axis: int | None = None,
) -> optax.GradientTransformation:
    r"""AdamP scaling: Adam whose update loses its radial part on scale-invariant weights.

    With the Adam direction :math:`p_t = m_t/(\sqrt{\hat v_t}+\epsilon)` (Nesterov:
    :math:`(\beta_1 m_t + (1-\beta_1) g_t)/\ldots`), for leaves with two or more axes: if
    :math:`\max_c |\cos(g_c, x_c)| < \delta/\sqrt{\dim x_c}` over channels :math:`c`
    (then, failing that, over the whole tensor), remove the radial component
    :math:`p_c \leftarrow p_c - \langle \hat x_c, p_c\rangle \hat x_c` and scale the weight
    decay by ``wd_ratio``. The update is :math:`p_t/(1-\beta_1^t) + \lambda r x_t`.

    Args:
      b1, b2: moment decays.
      eps: denominator and norm regulariser.
      weight_decay: decoupled :math:`\lambda`.
      delta: threshold of the cosine test.
      wd_ratio: weight-decay factor :math:`r` on projected leaves.
      nesterov: Nesterov momentum.
      channel_axis: the axis indexing channels; ``None`` (default) is the last axis, Flax's
        output features (PyTorch layouts use 0).

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdamState``; needs params.

    References:
      Heo et al. AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant
      Weights. 2021. https://arxiv.org/abs/2006.08217
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)
    channel_axis = -1 if channel_axis is None else channel_axis

    def rows(x):
        return jnp.moveaxis(x, channel_axis, 0).reshape(x.shape[channel_axis], -1)

    def unrows(x, shape):
        moved = list(shape)
        ax = channel_axis % len(shape)
        moved = [shape[ax]] + [s for i, s in enumerate(shape) if i != ax]
        return jnp.moveaxis(x.reshape(moved), 0, ax)

    def cos_max(a, b):
        na = jnp.maximum(jnp.linalg.norm(a, axis=1), eps)
        nb = jnp.maximum(jnp.linalg.norm(b, axis=1), eps)
        return jnp.max(jnp.abs(jnp.sum(a * b, axis=1) / (na * nb)))

    def project(p, g, d):
        if p.ndim < 2 or p.size == 0:  # nothing to project (zero-size leaves too)
            return d, jnp.ones([], p.dtype)
        pr, gr, dr = rows(p), rows(g), rows(d)
        pl, gl, dl = p.reshape(1, -1), g.reshape(1, -1), d.reshape(1, -1)
        use_channel = cos_max(gr, pr) < delta / np.sqrt(pr.shape[1])
        use_layer = cos_max(gl, pl) < delta / np.sqrt(pl.shape[1])
        pn_c = pr / (jnp.linalg.norm(pr, axis=1, keepdims=True) + eps)
        dc = unrows(dr - pn_c * jnp.sum(pn_c * dr, axis=1, keepdims=True), p.shape)
        pn_l = pl / (jnp.linalg.norm(pl, axis=1, keepdims=True) + eps)
        dlay = (dl - pn_l * jnp.sum(pn_l * dl, axis=1, keepdims=True)).reshape(p.shape)
        out = jnp.where(use_channel, dc, jnp.where(use_layer, dlay, d))
        ratio = jnp.where(jnp.logical_or(use_channel, use_layer), wd_ratio, 1.0)
        return out, ratio

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError("scale_by_adamp needs params")
        count = optax.safe_increment(state.count)
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        bc1 = 1 - power(b1, count)
        bc2 = 1 - power(b2, count)

        def one(g, m, v, p):
            num = b1 * m + (1 - b1) * g if nesterov else m
            d = num / (jnp.sqrt(v) / jnp.sqrt(bc2) + eps)
            d, ratio = project(p, g, d)
            return (d / bc1 + weight_decay * ratio * p).astype(g.dtype)

        out = jax.tree.map(one, updates, mu, nu, params)
        return out, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(_adam_init, update_fn)


def scale_by_adam_mini(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    block_axis: int | None = None,
    partition: Any = None,
) -> optax.GradientTransformation:
    r"""Adam-mini scaling: one second-moment scalar per parameter block.

    Partition rule: a leaf with two or more axes has one block per index of ``block_axis``
    (default: the last axis, i.e. one block per output neuron of a Flax ``Dense`` kernel or
    per output channel of a ``Conv`` kernel); a vector or scalar leaf is one block. For block
    :math:`b`:

    .. math::
       m_t = \beta_1 m + (1-\beta_1) g,\quad
       v_{t,b} = \beta_2 v_b + (1-\beta_2)\,\mathrm{mean}_{i\in b}\, g_i^2,\quad
       u_t = \hat m_t / (\sqrt{\hat v_{t,b}} + \epsilon).

    ``nu`` is stored with the leaf's rank and size 1 on the reduced axes.

    ``partition`` replaces that rule leaf by leaf: a tree with the params' structure (or a
    callable on the params returning one, like ``optax.masked``'s mask) whose leaves are

    * ``"whole"``: the leaf is one block;
    * ``"element"``: every entry is its own block (plain Adam);
    * an ``int`` axis: one block per index of that axis;
    * ``("split", axis, n)``: ``axis`` cut into ``n`` equal contiguous groups, one block
      per group (attention heads).

    :func:`optzoo.adam_mini_partition` builds the authors' name-based partition.

    Args:
      b1: momentum decay.
      b2: second-moment decay.
      eps: denominator.
      block_axis: the axis whose indices are the blocks of matrices and higher-rank leaves;
        ``None`` (default) is the last axis.
      partition: per-leaf blocks (above); ``None`` uses ``block_axis``.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdamState``.

    References:
      Zhang et al. Adam-mini: Use Fewer Learning Rates To Gain More. 2024.
      https://arxiv.org/abs/2406.16793
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)
    block_axis = -1 if block_axis is None else block_axis

    def default_spec(x):
        return "whole" if jnp.ndim(x) < 2 else block_axis

    def specs(tree):
        if partition is None:
            return [default_spec(x) for x in jax.tree.leaves(tree)]
        given = partition(tree) if callable(partition) else partition
        return jax.tree.structure(tree).flatten_up_to(given)

    def block_mean(g2, spec):
        # The mean of g2 over each block, shaped to broadcast against the leaf (a "split"
        # spec keeps n entries on its axis, expanded by _expand).
        if spec == "element":
            return g2
        if spec == "whole":
            return jnp.mean(g2, keepdims=True) if g2.ndim else g2
        if isinstance(spec, tuple) and len(spec) == 3 and spec[0] == "split":
            axis, n = spec[1] % g2.ndim, spec[2]
            if g2.shape[axis] % n:
                raise ValueError(f"adam_mini: axis {axis} of {g2.shape} splits into {n}?")
            grouped = g2.reshape(*g2.shape[:axis], n, g2.shape[axis] // n, *g2.shape[axis + 1 :])
            m = jnp.mean(grouped, axis=tuple(i for i in range(grouped.ndim) if i != axis))
            return m.reshape([n if i == axis else 1 for i in range(g2.ndim)])
        if isinstance(spec, int) and not isinstance(spec, bool):
            if g2.ndim == 0:
                return g2
            keep = spec % g2.ndim
            return jnp.mean(g2, axis=tuple(i for i in range(g2.ndim) if i != keep), keepdims=True)
        raise ValueError(
            f"adam_mini: block spec {spec!r} is not 'whole', 'element', an axis or "
            "('split', axis, n)"
        )

    def expand(v, spec, shape):
        if isinstance(spec, tuple):
            axis = spec[1] % len(shape)
            return jnp.repeat(v, shape[axis] // spec[2], axis=axis)
        return v

    def map_blocks(fn, tree, *rest):
        leaves, treedef = jax.tree.flatten(tree)
        others = [treedef.flatten_up_to(r) for r in rest]
        out = [fn(s, x, *o) for s, x, *o in zip(specs(tree), leaves, *others, strict=True)]
        return treedef.unflatten(out)

    def init_fn(params):
        return ScaleByAdamState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params),
            nu=map_blocks(lambda s, p: jnp.zeros_like(block_mean(p, s)), params),
        )

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = map_blocks(
            lambda s, g, v: b2 * v + (1 - b2) * block_mean(jnp.real(jnp.conj(g) * g), s),
            updates,
            state.nu,
        )
        mu_hat = optax.tree.bias_correction(mu, b1, count)
        nu_hat = optax.tree.bias_correction(nu, b2, count)
        out = map_blocks(
            lambda s, m, v: m / (expand(jnp.sqrt(v), s, m.shape) + eps), mu_hat, nu_hat
        )
        return out, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByMarsState(NamedTuple):
    """State of :func:`scale_by_mars` (``nu`` is ``()`` in Lion mode)."""

    count: jax.Array  # type: ignore[assignment]
    mu: optax.Updates
    nu: optax.Updates
    prev_grad: optax.Updates


def scale_by_mars(
    b1: jax.typing.ArrayLike = 0.95,
    b2: jax.typing.ArrayLike = 0.99,
    gamma: jax.typing.ArrayLike = 0.025,
    eps: jax.typing.ArrayLike = 1e-8,
    mode: Literal["adamw", "lion"] = "adamw",
) -> optax.GradientTransformation:
    r"""MARS scaling (the approximate form): variance-reduced gradients fed to AdamW or Lion.

    With :math:`g_{t-1}` the previous gradient (zero at the start), per leaf:

    .. math::
       c_t = g_t + \gamma\frac{\beta_1}{1-\beta_1}(g_t - g_{t-1}),\quad
       c_t \leftarrow c_t / \max(1, \|c_t\|),\quad m_t = \beta_1 m + (1-\beta_1) c_t,\\
       \text{AdamW: } v_t = \beta_2 v + (1-\beta_2) c_t^2,\
       u_t = \hat m_t/(\sqrt{\hat v_t}+\epsilon);
       \qquad \text{Lion: } u_t = \operatorname{sign}(m_t).

    Args:
      b1: momentum decay :math:`\beta_1`.
      b2: second-moment decay (AdamW mode).
      gamma: strength :math:`\gamma` of the variance-reduction term.
      eps: denominator (AdamW mode).
      mode: ``"adamw"`` or ``"lion"``.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByMarsState`.

    References:
      Yuan, Liu, Wu, Zhou, Gu. MARS: Unleashing the Power of Variance Reduction for Training
      Large Models. 2024. https://arxiv.org/abs/2411.10438
    """
    check_betas(b1, b2)
    check_nonnegative("gamma", gamma)
    if mode not in ("adamw", "lion"):
        raise ValueError(f"mode must be 'adamw' or 'lion', got {mode!r}")

    def init_fn(params):
        return ScaleByMarsState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params),
            nu=optax.tree.zeros_like(params) if mode == "adamw" else (),
            prev_grad=optax.tree.zeros_like(params),
        )

    def correct(g, prev):
        c = g + gamma * (b1 / (1.0 - b1)) * (g - prev)
        return c / jnp.maximum(jnp.linalg.norm(c.ravel()), 1.0)

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        c = jax.tree.map(correct, updates, state.prev_grad)
        mu = jax.tree.map(lambda m, x: m + (1 - b1) * (x - m), state.mu, c)
        if mode == "lion":
            out = jax.tree.map(jnp.sign, mu)
            nu = ()
        else:
            nu = optax.tree.update_moment_per_elem_norm(c, state.nu, b2, 2)
            bc1 = 1 - power(b1, count)
            bc2 = 1 - power(b2, count)
            out = jax.tree.map(
                lambda m, v: ((m / bc1) / (jnp.sqrt(v) / jnp.sqrt(bc2) + eps)).astype(m.dtype),
                mu,
                nu,
            )
        return out, ScaleByMarsState(count=count, mu=mu, nu=nu, prev_grad=updates)

    return optax.GradientTransformation(init_fn, update_fn)


def _quarter_power(x):
    return x**0.25


def scale_by_ademamix(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    b3: optax.ScalarOrSchedule = 0.9999,
    alpha: optax.ScalarOrSchedule = 6.0,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: jax.typing.DTypeLike | None = None,
) -> optax.GradientTransformation:
    r"""AdEMAMix scaling: a fast and a slow EMA of the gradient over Adam's denominator.

    .. math::
       m^{(1)}_t = \beta_1 m^{(1)} + (1-\beta_1) g,\quad
       m^{(2)}_t = \beta_3 m^{(2)} + (1-\beta_3) g,\quad
       \nu_t = \beta_2 \nu + (1-\beta_2) g^2,\\
       u_t = (\hat m^{(1)}_t + \alpha\, m^{(2)}_t)/(\sqrt{\hat\nu_t + \epsilon_{root}} + \epsilon).

    The slow EMA is not bias-corrected. ``b3`` and ``alpha`` may be schedules of the step.

    Args:
      b1: fast EMA decay.
      b2: second-moment decay.
      b3: slow EMA decay (scalar or schedule).
      alpha: weight of the slow EMA (scalar or schedule).
      eps, eps_root: denominators.
      mu_dtype: dtype of the EMAs and second moment.

    Returns:
      A ``GradientTransformation`` with state ``optax.contrib.ScaleByAdemamixState``.

    References:
      Pagliardini, Ablin, Grangier. The AdEMAMix Optimizer: Better, Faster, Older. 2024.
      https://arxiv.org/abs/2409.03137
    """
    check_betas(b1, b2)
    mu_dtype = None if mu_dtype is None else jax.dtypes.canonicalize_dtype(mu_dtype)

    def init_fn(params):
        z = lambda: optax.tree.zeros_like(params, dtype=mu_dtype)  # noqa: E731
        return ScaleByAdemamixState(
            count=jnp.zeros([], jnp.int32),
            count_m2=jnp.zeros([], jnp.int32),
            m1=z(),
            m2=z(),
            nu=z(),
        )

    def update_fn(updates, state, params=None):
        del params
        b3_t = _value(b3, state.count_m2)
        alpha_t = _value(alpha, state.count_m2)
        m1 = optax.tree.update_moment(updates, state.m1, b1, order=1)
        m2 = optax.tree.update_moment(updates, state.m2, b3_t, order=1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, order=2)
        count = optax.safe_int32_increment(state.count)
        count_m2 = optax.safe_int32_increment(state.count_m2)
        m1_hat = optax.tree.bias_correction(m1, b1, count)
        nu_hat = optax.tree.bias_correction(nu, b2, count)
        new_updates = jax.tree.map(
            lambda a, b, v: (a + alpha_t * b) / (jnp.sqrt(v + eps_root) + eps), m1_hat, m2, nu_hat
        )
        return new_updates, ScaleByAdemamixState(
            count=count, count_m2=count_m2, m1=m1, m2=m2, nu=nu
        )

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_simplified_ademamix(
    b1: jax.typing.ArrayLike = 0.99,
    b2: jax.typing.ArrayLike = 0.95,
    alpha: optax.ScalarOrSchedule = 0.0,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
) -> optax.GradientTransformation:
    r"""Simplified AdEMAMix scaling: an undamped momentum plus :math:`\alpha` times the gradient.

    .. math::
       m_t = \beta_1 m_{t-1} + g_t,\quad n_t = \beta_2 n_{t-1} + (1-\beta_2) g_t^2,\quad
       u_t = (m_t + \alpha g_t)/(\sqrt{\hat n_t + \epsilon_{root}} + \epsilon).

    Args:
      b1: momentum decay (the momentum sums gradients without the :math:`1-\beta_1` factor).
      b2: second-moment decay.
      alpha: weight of the current gradient (scalar or schedule).
      eps, eps_root: denominators.

    Returns:
      A ``GradientTransformation`` with state
      ``optax.contrib.ScaleBySimplifiedAdEMAMixState``.

    References:
      Morwani, Vyas, Zhang, Kakade. Connections between Schedule-Free Optimizers, AdEMAMix,
      and Accelerated SGD Variants. 2025. https://arxiv.org/abs/2502.02431
    """
    check_betas(b1, b2)

    def init_fn(params):
        return ScaleBySimplifiedAdEMAMixState(
            t=jnp.array(0, jnp.int32),
            m=optax.tree.zeros_like(params),
            n=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        alpha_t = _value(alpha, state.t)
        g = updates
        m = optax.tree.add_scale(g, b1, state.m)
        # n = b2 * n + (1 - b2) * g^2, written as g^2 + b2 (n - g^2) like optax.
        n = jax.tree.map(lambda gg, nn: gg + b2 * (nn - gg), optax.tree.mul(g, g), state.n)
        t = optax.safe_increment(state.t)
        n_hat = optax.tree.bias_correction(n, b2, t)
        num = optax.tree.add_scale(m, alpha_t, g)
        den = jax.tree.map(lambda x: jnp.sqrt(x + eps_root) + eps, n_hat)
        return optax.tree.div(num, den), ScaleBySimplifiedAdEMAMixState(t=t, m=m, n=n)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_adopt(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.9999,
    eps: jax.typing.ArrayLike = 1e-6,
    mu_dtype: jax.typing.DTypeLike | None = None,
    *,
    nesterov: bool = False,
    use_clipping: bool = True,
    clip_value_fn: Callable[[jax.Array], jax.Array] | None = None,
) -> optax.GradientTransformation:
    r"""ADOPT scaling: normalise by the *previous* second moment, then apply momentum.

    .. math::
       \tilde g_t = \operatorname{clip}\big(g_t / \max(\sqrt{v_{t-1}}, \epsilon),\, c(t)\big),\quad
       m_t = \beta_1 m_{t-1} + (1-\beta_1)\tilde g_t,\quad
       v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,

    with :math:`v_0 = g_0^2` and no step on the first call (as in ``optax.contrib``);
    :math:`c(t)` = ``clip_value_fn(t)`` (default :math:`t^{1/4}`).

    Args:
      b1: momentum decay.
      b2: second-moment decay.
      eps: lower bound of the denominator.
      mu_dtype: dtype of the momentum.
      nesterov: Nesterov momentum.
      use_clipping: clip the normalised gradient.
      clip_value_fn: the clip bound as a function of the step; ``None`` is
        :math:`t^{1/4}` (optax's default, kept out of the signature so that
        ``inject_hyperparams`` does not take it for a schedule).

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdamState``.

    References:
      Taniguchi et al. ADOPT: Modified Adam Can Converge with Any beta_2 with the Optimal
      Rate. 2024. https://arxiv.org/abs/2411.02853
    """
    check_betas(b1, b2)
    mu_dtype = None if mu_dtype is None else jax.dtypes.canonicalize_dtype(mu_dtype)
    if clip_value_fn is None:
        clip_value_fn = _quarter_power

    def init_fn(params):
        return ScaleByAdamState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params, dtype=mu_dtype),
            nu=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        first = state.count == 0
        b2_t = jnp.where(first, 0, b2)
        b1_t = jnp.where(first, 1, b1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2_t, 2)
        # Once per step, not per leaf (each is a few more dispatches in eager mode).
        c = clip_value_fn(state.count) if use_clipping else None

        def normalise(g, v):
            x = g / jnp.maximum(jnp.sqrt(v), eps)
            if use_clipping:
                x = jnp.clip(x, -c, c)
            return x

        normed = jax.tree.map(normalise, updates, state.nu)
        mu = optax.tree.update_moment(normed, state.mu, b1_t, 1)
        out = optax.tree.update_moment(normed, mu, b1_t, 1) if nesterov else mu
        mu = optax.tree.cast(mu, mu_dtype)
        return out, ScaleByAdamState(count=optax.safe_increment(state.count), mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByNadamState(NamedTuple):
    r"""State of :func:`scale_by_nadam`: Adam's, plus the running product of the scheduled
    momenta :math:`\prod_{i \le t} \mu_i`."""

    count: jax.Array  # type: ignore[assignment]
    mu: optax.Updates
    nu: optax.Updates
    mu_product: jax.Array


def _check_adam(b1: Any, b2: Any, eps: Any, eps_root: Any = 0.0) -> None:
    check_betas(b1, b2)
    check_nonnegative("eps", eps)
    check_nonnegative("eps_root", eps_root)


def scale_by_adam(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: jax.typing.DTypeLike | None = None,
    *,
    nesterov: bool = False,
) -> optax.GradientTransformation:
    r"""Scales updates by Adam's bias-corrected first over second moment.

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
       v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \\
       \hat m_t = \frac{m_t}{1-\beta_1^t}, \quad \hat v_t = \frac{v_t}{1-\beta_2^t}, \quad
       u_t = \frac{\hat m_t}{\sqrt{\hat v_t + \epsilon_{root}} + \epsilon}.

    With ``nesterov=True`` (Nadam, Dozat 2016) the first moment looks one step ahead:
    :math:`\hat m_t = \beta_1 \frac{m_t}{1-\beta_1^{t+1}} + (1-\beta_1)\frac{g_t}{1-\beta_1^t}`.

    Args:
      b1: decay :math:`\beta_1` of the first moment, in ``[0, 1)``.
      b2: decay :math:`\beta_2` of the second moment, in ``[0, 1)``.
      eps: :math:`\epsilon` added outside the square root, ``>= 0``.
      eps_root: :math:`\epsilon_{root}` added inside the square root, ``>= 0`` (helps
        when differentiating through the update).
      mu_dtype: dtype of the first moment; ``None`` follows the parameters.
      nesterov: use Nesterov's look-ahead first moment (Nadam).

    Returns:
      A ``GradientTransformation`` whose state is ``optax.ScaleByAdamState``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.scale_by_adam(b1=0.9, b2=0.99)
      >>> updates, state = tx.update(jnp.ones(2), tx.init(jnp.zeros(2)))

    References:
      Kingma, Ba. Adam: A Method for Stochastic Optimization. 2014.
      https://arxiv.org/abs/1412.6980

      Dozat. Incorporating Nesterov Momentum into Adam. 2016.
      https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ
    """
    _check_adam(b1, b2, eps, eps_root)
    mu_dtype = _canonical_dtype(mu_dtype)

    def init_fn(params):
        return ScaleByAdamState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params, dtype=mu_dtype),
            nu=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        mu = _ema(updates, state.mu, b1)
        nu = _ema(_map(_square, updates), state.nu, b2)
        count = optax.safe_increment(state.count)
        if nesterov:
            mu_hat = _map(
                lambda m, g: b1 * m + (1 - b1) * g,
                _debias(mu, b1, optax.safe_increment(count)),
                _debias(_map(jnp.asarray, updates), b1, count),
            )
        else:
            mu_hat = _debias(mu, b1, count)
        nu_hat = _debias(nu, b2, count)
        updates = _map(lambda m, v: m / (jnp.sqrt(v + eps_root) + eps), mu_hat, nu_hat)
        mu = _cast(mu, mu_dtype)
        nu = _map(lambda v, old: v.astype(old.dtype), nu, state.nu)
        return updates, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_nadam(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: jax.typing.DTypeLike | None = None,
    momentum_decay: float = 0.004,
) -> optax.GradientTransformation:
    r"""Nadam with Dozat's warming momentum schedule (the paper's experiments, Keras and
    ``torch.optim.NAdam``).

    With :math:`\mu_t = \beta_1 (1 - \tfrac12\, 0.96^{t\psi})` and :math:`m_t, v_t` as in
    :func:`scale_by_adam`:

    .. math::
       \hat m_t = \frac{\mu_{t+1} m_t}{1 - \prod_{i \le t+1} \mu_i}
       + \frac{(1 - \mu_t)\, g_t}{1 - \prod_{i \le t} \mu_i}, \quad
       u_t = \frac{\hat m_t}{\sqrt{v_t / (1-\beta_2^t) + \epsilon_{root}} + \epsilon}.

    ``momentum_decay=0`` keeps :math:`\mu_t = \beta_1 / 2`; optax's Nadam
    (``scale_by_adam(nesterov=True)``) is the constant :math:`\mu_t = \beta_1`.

    Args:
      b1: :math:`\beta_1`, the decay of the first moment and the limit of :math:`\mu_t`.
      b2: decay of the second moment.
      eps: added outside the square root.
      eps_root: added inside the square root.
      mu_dtype: dtype of the first moment; ``None`` follows the parameters.
      momentum_decay: :math:`\psi` (``0.004``: the paper's :math:`t/250`).

    Returns:
      A ``GradientTransformation`` whose state is :class:`ScaleByNadamState`.

    Example:
      >>> import optax, optzoo
      >>> tx = optax.chain(optzoo.scale_by_nadam(), optzoo.scale_by_learning_rate(2e-3))

    References:
      Dozat. Incorporating Nesterov Momentum into Adam. 2016.
      https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ
    """
    _check_adam(b1, b2, eps, eps_root)
    check_nonnegative("momentum_decay", momentum_decay)
    mu_dtype = _canonical_dtype(mu_dtype)

    def init_fn(params):
        return ScaleByNadamState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params, dtype=mu_dtype),
            nu=optax.tree.zeros_like(params),
            mu_product=jnp.ones([]),
        )

    def update_fn(updates, state, params=None):
        del params
        mu = _ema(updates, state.mu, b1)
        nu = _ema(_map(_square, updates), state.nu, b2)
        count = optax.safe_increment(state.count)
        t = count.astype(state.mu_product.dtype)
        mu_t = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        product = state.mu_product * mu_t
        c_m = mu_next / (1 - product * mu_next)
        c_g = (1 - mu_t) / (1 - product)
        mu_hat = _map(lambda m, g: c_m.astype(m.dtype) * m + c_g.astype(m.dtype) * g, mu, updates)
        nu_hat = _debias(nu, b2, count)
        updates = _map(lambda m, v: m / (jnp.sqrt(v + eps_root) + eps), mu_hat, nu_hat)
        mu = _cast(mu, mu_dtype)
        nu = _map(lambda v, old: v.astype(old.dtype), nu, state.nu)
        return updates, ScaleByNadamState(count=count, mu=mu, nu=nu, mu_product=product)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_amsgrad(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: jax.typing.DTypeLike | None = None,
    bias_correction_mu: bool = True,
    bias_correction_nu: bool = True,
) -> optax.GradientTransformation:
    r"""Scales updates like Adam, but by the running maximum of the second moment.

    .. math::
       m_t, v_t \text{ as in Adam}, \quad
       \hat v^{max}_t = \max(\hat v^{max}_{t-1}, \hat v_t), \quad
       u_t = \frac{\hat m_t}{\sqrt{\hat v^{max}_t + \epsilon_{root}} + \epsilon},

    where :math:`\hat m_t, \hat v_t` are bias corrected unless switched off.

    Args:
      b1: decay of the first moment, in ``[0, 1)``.
      b2: decay of the second moment, in ``[0, 1)``.
      eps: added outside the square root, ``>= 0``.
      eps_root: added inside the square root, ``>= 0``.
      mu_dtype: dtype of the first moment; ``None`` follows the parameters.
      bias_correction_mu: bias-correct the first moment (``False``: the paper).
      bias_correction_nu: bias-correct the second moment before the maximum
        (``False``: the paper).

    Returns:
      A ``GradientTransformation`` whose state is ``optax.ScaleByAmsgradState``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_amsgrad(bias_correction_mu=False, bias_correction_nu=False)

    References:
      Reddi, Kale, Kumar. On the Convergence of Adam and Beyond. 2018.
      https://arxiv.org/abs/1904.09237
    """
    _check_adam(b1, b2, eps, eps_root)
    mu_dtype = _canonical_dtype(mu_dtype)

    def init_fn(params):
        return ScaleByAmsgradState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params, dtype=mu_dtype),
            nu=optax.tree.zeros_like(params),
            nu_max=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        mu = _ema(updates, state.mu, b1)
        nu = _ema(_map(_square, updates), state.nu, b2)
        count = optax.safe_increment(state.count)
        mu_hat = _debias(mu, b1, count) if bias_correction_mu else mu
        nu_hat = _debias(nu, b2, count) if bias_correction_nu else nu
        nu_max = jax.tree.map(jnp.maximum, state.nu_max, nu_hat)
        updates = _map(lambda m, v: m / (jnp.sqrt(v + eps_root) + eps), mu_hat, nu_max)
        return updates, ScaleByAmsgradState(
            count=count, mu=_cast(mu, mu_dtype), nu=nu, nu_max=nu_max
        )

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_adamax(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""Scales updates by Adamax: Adam with an infinity-norm second moment.

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
       v_t = \max(|g_t| + \epsilon, \beta_2 v_{t-1}), \quad
       u_t = \frac{m_t}{(1-\beta_1^t)\, v_t}.

    Args:
      b1: decay of the first moment, in ``[0, 1)``.
      b2: decay of the infinity-norm moment, in ``[0, 1)``.
      eps: added to :math:`|g_t|` so the denominator stays positive, ``>= 0``.

    Returns:
      A ``GradientTransformation`` whose state is ``optax.ScaleByAdamState``
      (``nu`` holds the infinity-norm moment).

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_adamax(b2=0.99)

    References:
      Kingma, Ba. Adam: A Method for Stochastic Optimization (Section 7.1). 2014.
      https://arxiv.org/abs/1412.6980
    """
    _check_adam(b1, b2, eps)

    def init_fn(params):
        return ScaleByAdamState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params),
            nu=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        mu = _ema(updates, state.mu, b1)
        nu = _map(lambda g, v: jnp.maximum(jnp.abs(g) + eps, b2 * v), updates, state.nu)
        updates = _map(lambda m, v: m / v, _debias(mu, b1, count), nu)
        return updates, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByQHAdamState(NamedTuple):
    """Step count and the two moments of :func:`scale_by_qhadam` (as ``ScaleByAdamState``)."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    mu: Any
    nu: Any


def scale_by_qhadam(
    b1: jax.typing.ArrayLike = 0.995,
    b2: jax.typing.ArrayLike = 0.999,
    nu1: jax.typing.ArrayLike = 0.7,
    nu2: jax.typing.ArrayLike = 1.0,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""QHAdam scaling: Adam with each moment mixed with the current gradient.

    .. math::
       \hat m_t = \frac{m_t}{1 - \beta_1^t},\quad \hat v_t = \frac{v_t}{1 - \beta_2^t},\qquad
       u_t = \frac{\nu_1 \hat m_t + (1 - \nu_1) g_t}
       {\sqrt{\nu_2 \hat v_t + (1 - \nu_2) g_t^2} + \epsilon}

    with :math:`m_t, v_t` Adam's moments. :math:`\nu_1 = \nu_2 = 1` is Adam.

    Args:
      b1, b2: decays of the first and second moments.
      nu1, nu2: weights of the moments against the current gradient (and its square).
      eps: added to the root.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByQHAdamState`.

    References:
      Jerry Ma, Denis Yarats. Quasi-hyperbolic momentum and Adam for deep learning. 2018.
      https://arxiv.org/abs/1810.06801
    """
    _check_betas(b1=b1, b2=b2)
    for name, value in (("nu1", nu1), ("nu2", nu2)):
        check_range(name, value, 0.0, 1.0)
    check_nonnegative("eps", eps)

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        return ScaleByQHAdamState(jnp.zeros([], jnp.int32), zeros, zeros)

    def update_fn(updates, state, params=None):
        del params
        mu = _ema(updates, state.mu, b1)
        nu = _ema(jax.tree.map(_square, updates), state.nu, b2)
        count = optax.safe_increment(state.count)
        mu_hat, nu_hat = _debias(mu, b1, count), _debias(nu, b2, count)
        out = jax.tree.map(
            lambda g, m, v: (
                (nu1 * m + (1 - nu1) * g) / (jnp.sqrt(nu2 * v + (1 - nu2) * _square(g)) + eps)
            ),
            updates,
            mu_hat,
            nu_hat,
        )
        return out, ScaleByQHAdamState(count, mu, nu)

    return optax.GradientTransformation(init_fn, update_fn)


def _torch_adam_factor(count: jax.Array, b1: Any, b2: Any) -> jax.Array:
    """PyTorch Adam's step factor :math:`\\sqrt{1 - \\beta_2^t} / (1 - \\beta_1^t)`, for updates
    that add eps to the raw :math:`\\sqrt{v_t}`; a float power, so eager steps do not
    recompile per step count."""
    t = count.astype(jnp.result_type(float))
    return jnp.sqrt(1 - b2**t) / (1 - b1**t)


class ScaleByAdaModState(NamedTuple):
    """Step count, Adam's moments and the running average ``eta`` of the step sizes."""

    count: jax.Array  # type: ignore[assignment]
    mu: Any
    nu: Any
    eta: Any


def scale_by_adamod(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    b3: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""AdaMod scaling: Adam's element-wise step sizes capped by their own running average.

    .. math::
       a_t = \frac{\sqrt{1 - \beta_2^t}}{(1 - \beta_1^t)(\sqrt{v_t} + \epsilon)},\qquad
       s_t = \beta_3 s_{t-1} + (1 - \beta_3) a_t,\qquad u_t = \min(a_t, s_t)\, m_t,

    with :math:`m_t, v_t` Adam's moments (the authors' code: PyTorch's epsilon placement and
    the first bias correction inside the averaged step size). The learning rate multiplies
    :math:`u_t` afterwards: the same as the paper's :math:`\min(\eta a_t, s_t)` for a
    constant learning rate; under a schedule the average is of the unscaled step sizes.

    Args:
      b1, b2: decays of Adam's moments.
      b3: decay :math:`\beta_3` of the step-size average (memory about
        :math:`1 / (1 - \beta_3)` steps).
      eps: added to :math:`\sqrt{v_t}`.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByAdaModState`.

    References:
      Jianbang Ding, Xuancheng Ren, Ruixuan Luo, Xu Sun. An Adaptive and Momental Bound
      Method for Stochastic Learning. 2019. https://arxiv.org/abs/1910.12249
    """
    _check_betas(b1=b1, b2=b2, b3=b3)
    check_nonnegative("eps", eps)

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        return ScaleByAdaModState(jnp.zeros([], jnp.int32), zeros, zeros, zeros)

    def update_fn(updates, state, params=None):
        del params
        mu = _ema(updates, state.mu, b1)
        nu = _ema(jax.tree.map(_square, updates), state.nu, b2)
        count = optax.safe_increment(state.count)
        factor = _torch_adam_factor(count, b1, b2)
        step = jax.tree.map(lambda v: factor.astype(v.dtype) / (jnp.sqrt(v) + eps), nu)
        eta = _ema(step, state.eta, b3)
        out = jax.tree.map(lambda a, s, m: jnp.minimum(a, s) * m, step, eta, mu)
        return out, ScaleByAdaModState(count, mu, nu, eta)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByDiffGradState(NamedTuple):
    """Step count, Adam's moments and the previous gradient."""

    count: jax.Array  # type: ignore[assignment]
    mu: Any
    nu: Any
    previous: Any


def scale_by_diffgrad(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""diffGrad scaling: Adam's step damped where the gradient changes little.

    .. math::
       \xi_t = \sigma(|g_{t-1} - g_t|),\qquad
       u_t = \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}\,
       \frac{\xi_t\, m_t}{\sqrt{v_t} + \epsilon}

    with :math:`\sigma` the logistic function, :math:`g_0 = 0` and :math:`m_t, v_t` Adam's
    moments (PyTorch's epsilon placement, as the authors' code).

    Args:
      b1, b2: decays of Adam's moments.
      eps: added to :math:`\sqrt{v_t}`.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByDiffGradState`.

    References:
      Shiv Ram Dubey, Soumendu Chakraborty, Swalpa Kumar Roy, Snehasis Mukherjee, Satish
      Kumar Singh, Bidyut Baran Chaudhuri. diffGrad: An Optimization Method for
      Convolutional Neural Networks. 2019. https://arxiv.org/abs/1909.11015
    """
    _check_betas(b1=b1, b2=b2)
    check_nonnegative("eps", eps)

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        return ScaleByDiffGradState(jnp.zeros([], jnp.int32), zeros, zeros, zeros)

    def update_fn(updates, state, params=None):
        del params
        mu = _ema(updates, state.mu, b1)
        nu = _ema(jax.tree.map(_square, updates), state.nu, b2)
        count = optax.safe_increment(state.count)
        factor = _torch_adam_factor(count, b1, b2)
        out = jax.tree.map(
            lambda g, p, m, v: (
                factor.astype(m.dtype) * jax.nn.sigmoid(jnp.abs(p - g)) * m / (jnp.sqrt(v) + eps)
            ),
            updates,
            state.previous,
            mu,
            nu,
        )
        return out, ScaleByDiffGradState(count, mu, nu, updates)

    return optax.GradientTransformation(init_fn, update_fn)


# --- EmoNavi (emonavi): an Adam step scaled by the loss trend. ---
from optzoo.transforms._emo import EmoLossEMA, emo_signals, init_loss_ema  # noqa: E402

__all__ += ["scale_by_emonavi", "ScaleByEmoNaviState"]


class ScaleByEmoNaviState(NamedTuple):
    """State of :func:`scale_by_emonavi`: step count, loss averages, the two moments."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    ema: EmoLossEMA
    mu: Any
    nu: Any


def scale_by_emonavi(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformationExtraArgs:
    r"""EmoNavi's direction: Adam without bias correction, times a loss-trend drive.

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
       v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad
       u_t = d_t\, m_t / (\sqrt{v_t} + \epsilon),

    with the drive :math:`d_t` from short/medium/long averages of the loss (1 while the loss
    trend is flat; see ``optzoo.transforms._emo.emo_signals``). Every leaf rank alike.

    Args:
      b1, b2: first- and second-moment decays.
      eps: added to :math:`\sqrt{v_t}`.

    Returns:
      A ``GradientTransformationExtraArgs`` with state :class:`ScaleByEmoNaviState`;
      ``update`` needs ``value=`` (the loss).

    References:
      muooon. EmoNavi: an emotion-driven optimizer. 2025. https://github.com/muooon/EmoNavi
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)

    def init_fn(params):
        return ScaleByEmoNaviState(
            jnp.zeros([], jnp.int32),
            init_loss_ema(),
            optax.tree.zeros_like(params),
            optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None, *, value=None, **extra_args):
        del params, extra_args
        ema, drive, _, _ = emo_signals(state.ema, state.count, value, False)
        mu = jax.tree.map(lambda g, m: m + (1 - b1) * (g - m), updates, state.mu)
        nu = jax.tree.map(lambda g, v: b2 * v + (1 - b2) * g * g, updates, state.nu)
        out = jax.tree.map(
            lambda m, v: (drive.astype(m.dtype) * m / (jnp.sqrt(v) + eps)).astype(m.dtype), mu, nu
        )
        return out, ScaleByEmoNaviState(optax.safe_increment(state.count), ema, mu, nu)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
