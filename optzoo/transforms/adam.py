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
from optzoo.core.validation import (
    check_betas,
    check_decay,
    check_nonnegative,
    check_positive,
    check_range,
    check_unit_interval,
    concrete_value,
)
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
from optzoo.transforms._projection import project_radial

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
    "scale_by_acprop",
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


def _adam_init(params, mu_dtype=None, state=ScaleByAdamState, **extra):
    """Adam's zero state: count 0, ``mu`` (in ``mu_dtype``) and ``nu`` zeros like the params,
    and the ``extra`` fields of ``state``."""
    return state(
        count=jnp.zeros([], jnp.int32),
        mu=optax.tree.zeros_like(params, dtype=mu_dtype),
        nu=optax.tree.zeros_like(params),
        **extra,
    )


def _zero_state(state, params, n, *rest, optional=None):
    """``state(0, z, ..., z, *rest)`` with ``n`` trees ``z`` of zeros like ``params``, then one
    more ``z`` where ``optional`` is true (``None`` where it is false: a buffer switched off)."""
    zeros = optax.tree.zeros_like(params)
    tail = () if optional is None else (zeros if optional else None,)
    return state(jnp.zeros([], jnp.int32), *(zeros,) * n, *rest, *tail)


def _adam_moments(updates, state, b1, b2):
    """Adam's step count and running moments ``(t, m_t, v_t)`` from ``state.count``,
    ``state.mu`` and ``state.nu`` (``None`` leaves kept)."""
    count = optax.safe_increment(state.count)
    mu = _ema(updates, state.mu, b1)
    nu = _ema(_map(_square, updates), state.nu, b2)
    return count, mu, nu


def _adam_ratio(mu_hat, nu_hat, eps, eps_root):
    r"""Adam's direction :math:`\hat m / (\sqrt{\hat v + \epsilon_{root}} + \epsilon)`."""
    return _map(lambda m, v: m / (jnp.sqrt(v + eps_root) + eps), mu_hat, nu_hat)


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
        return _adam_init(params, state=ScaleByBeliefState)

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

    def update_fn(updates, state, params=None):
        del params
        count_inc, mu, nu = _adam_moments(updates, state, b1, b2)
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

    return optax.GradientTransformation(_adam_init, update_fn)


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
        new_updates = _adam_ratio(mu_hat, nu_hat, eps, eps_root)
        return new_updates, ScaleByAdamState(count=count_inc, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


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
        count, mu, nu = _adam_moments(updates, state, b1, b2)
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
        count, mu, nu = _adam_moments(updates, state, b1, b2)
        if callable(learning_rate):
            lr = learning_rate(state.count)
            lr0 = learning_rate(0)
            final = jnp.where(lr0 > 0, final_lr * lr / jnp.where(lr0 > 0, lr0, 1.0), 0.0)
        else:
            lr = learning_rate
            final = final_lr
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

    def project(p, g, d):
        return project_radial(p, g, d, delta, wd_ratio, eps, channel_axis)

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError("scale_by_adamp needs params")
        count, mu, nu = _adam_moments(updates, state, b1, b2)
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
        return _adam_init(params, mu_dtype)

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
        return _adam_init(params, mu_dtype)

    def update_fn(updates, state, params=None):
        del params
        count, mu, nu = _adam_moments(updates, state, b1, b2)
        if nesterov:
            mu_hat = _map(
                lambda m, g: b1 * m + (1 - b1) * g,
                _debias(mu, b1, optax.safe_increment(count)),
                _debias(_map(jnp.asarray, updates), b1, count),
            )
        else:
            mu_hat = _debias(mu, b1, count)
        nu_hat = _debias(nu, b2, count)
        updates = _adam_ratio(mu_hat, nu_hat, eps, eps_root)
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
        return _adam_init(params, mu_dtype, ScaleByNadamState, mu_product=jnp.ones([]))

    def update_fn(updates, state, params=None):
        del params
        count, mu, nu = _adam_moments(updates, state, b1, b2)
        t = count.astype(state.mu_product.dtype)
        mu_t = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        product = state.mu_product * mu_t
        c_m = mu_next / (1 - product * mu_next)
        c_g = (1 - mu_t) / (1 - product)
        mu_hat = _map(lambda m, g: c_m.astype(m.dtype) * m + c_g.astype(m.dtype) * g, mu, updates)
        nu_hat = _debias(nu, b2, count)
        updates = _adam_ratio(mu_hat, nu_hat, eps, eps_root)
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
        nu_max = optax.tree.zeros_like(params)
        return _adam_init(params, mu_dtype, ScaleByAmsgradState, nu_max=nu_max)

    def update_fn(updates, state, params=None):
        del params
        count, mu, nu = _adam_moments(updates, state, b1, b2)
        mu_hat = _debias(mu, b1, count) if bias_correction_mu else mu
        nu_hat = _debias(nu, b2, count) if bias_correction_nu else nu
        nu_max = jax.tree.map(jnp.maximum, state.nu_max, nu_hat)
        updates = _adam_ratio(mu_hat, nu_max, eps, eps_root)
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

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        mu = _ema(updates, state.mu, b1)
        nu = _map(lambda g, v: jnp.maximum(jnp.abs(g) + eps, b2 * v), updates, state.nu)
        updates = _map(lambda m, v: m / v, _debias(mu, b1, count), nu)
        return updates, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(_adam_init, update_fn)


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
        return _zero_state(ScaleByQHAdamState, params, 2)

    def update_fn(updates, state, params=None):
        del params
        count, mu, nu = _adam_moments(updates, state, b1, b2)
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
        return _zero_state(ScaleByAdaModState, params, 3)

    def update_fn(updates, state, params=None):
        del params
        count, mu, nu = _adam_moments(updates, state, b1, b2)
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
        return _zero_state(ScaleByDiffGradState, params, 3)

    def update_fn(updates, state, params=None):
        del params
        count, mu, nu = _adam_moments(updates, state, b1, b2)
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


# AdaNorm, AdaPNM, AdaShift, AvaGrad, FAdam, EXAdam, AdamS and Padam.
from optzoo.core.validation import check_positive_int  # noqa: E402

__all__ += [
    "scale_by_adanorm",
    "ScaleByAdaNormState",
    "scale_by_adapnm",
    "ScaleByAdaPNMState",
    "scale_by_adashift",
    "ScaleByAdaShiftState",
    "scale_by_avagrad",
    "ScaleByAvaGradState",
    "scale_by_fadam",
    "ScaleByFAdamState",
    "scale_by_exadam",
    "ScaleByEXAdamState",
    "scale_by_adams",
    "ScaleByAdamSState",
    "scale_by_padam",
    "ScaleByPadamState",
]


def _leaf_norm(g: jax.Array) -> jax.Array:
    """The Frobenius norm of a whole leaf (real for complex leaves), a scalar."""
    return jnp.sqrt(jnp.sum(_square(g)))


def _ams_root(nu: Any, nu_max: Any, eps: jax.typing.ArrayLike) -> tuple[Any, Any]:
    """:math:`\\sqrt{v} + \\epsilon` with :math:`v` the running maximum of ``nu`` when
    ``nu_max`` is not ``None`` (AMSGrad's bound); returns the root and the new maximum."""
    if nu_max is not None:
        nu_max = _map(jnp.maximum, nu_max, nu)
        nu = nu_max
    return _map(lambda v: jnp.sqrt(v) + eps, nu), nu_max


class ScaleByAdaNormState(NamedTuple):
    """Step count, Adam's moments, the running gradient norm of each leaf (a scalar) and,
    with ``ams_bound``, the running maximum of ``nu`` (else ``None``)."""

    count: jax.Array  # type: ignore[assignment]
    mu: Any
    nu: Any
    norm: Any
    nu_max: Any


def scale_by_adanorm(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.99,
    r: jax.typing.ArrayLike = 0.95,
    eps: jax.typing.ArrayLike = 1e-8,
    ams_bound: bool = False,
) -> optax.GradientTransformation:
    r"""AdaNorm scaling: Adam whose first moment sees gradients raised to their running norm.

    .. math::
       e_t = r e_{t-1} + (1 - r) \|g_t\|,\qquad
       s_t = \begin{cases} e_t\, g_t / \|g_t\| & e_t > \|g_t\| > 0 \\ g_t & \text{else}
       \end{cases}

    then :math:`m_t = \beta_1 m_{t-1} + (1 - \beta_1) s_t`, :math:`v_t = \beta_2 v_{t-1} +
    (1 - \beta_2) g_t^2` and :math:`u_t = \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}
    \frac{m_t}{\sqrt{v_t} + \epsilon}` (PyTorch's epsilon placement; with ``ams_bound`` the
    running maximum of :math:`v_t` in the root). :math:`\|g_t\|` is the Frobenius norm of
    the whole leaf, so scalars, vectors and rank >= 3 leaves each keep one norm average.

    Args:
      b1, b2: decays of Adam's moments.
      r: decay of the gradient-norm average (0.9 to 0.99 in the paper).
      eps: added to :math:`\sqrt{v_t}`.
      ams_bound: use the running maximum of :math:`v_t` (AMSGrad).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByAdaNormState`.

    References:
      Shiv Ram Dubey, Satish Kumar Singh, Bidyut Baran Chaudhuri. AdaNorm: Adaptive Gradient
      Norm Correction based Optimizer for CNNs. 2022. https://arxiv.org/abs/2210.06364
    """
    _check_betas(b1=b1, b2=b2, r=r)
    check_nonnegative("eps", eps)

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        norm = _map(lambda p: jnp.zeros([], jnp.real(p).dtype), params)
        return ScaleByAdaNormState(
            jnp.zeros([], jnp.int32), zeros, zeros, norm, zeros if ams_bound else None
        )

    def update_fn(updates, state, params=None):
        del params
        gnorm = _map(_leaf_norm, updates)
        norm = _ema(gnorm, state.norm, r)

        def corrected(g, n, e):
            rescale = (n > 0) & (e > n)
            return jnp.where(rescale, g * (e / jnp.where(rescale, n, 1)).astype(g.dtype), g)

        scaled = _map(corrected, updates, gnorm, norm)
        mu = _ema(scaled, state.mu, b1)
        nu = _ema(_map(_square, updates), state.nu, b2)
        count = optax.safe_increment(state.count)
        root, nu_max = _ams_root(nu, state.nu_max, eps)
        factor = _torch_adam_factor(count, b1, b2)
        out = _map(lambda m, d: factor.astype(m.dtype) * m / d, mu, root)
        return out, ScaleByAdaNormState(count, mu, nu, norm, nu_max)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByAdaPNMState(NamedTuple):
    """Step count, the two alternating momenta, the second moment and, with
    ``ams_bound``, its running maximum (else ``None``)."""

    count: jax.Array  # type: ignore[assignment]
    odd: Any
    even: Any
    nu: Any
    nu_max: Any


def scale_by_adapnm(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    b0: jax.typing.ArrayLike = 1.0,
    eps: jax.typing.ArrayLike = 1e-8,
    ams_bound: bool = True,
) -> optax.GradientTransformation:
    r"""AdaPNM scaling: positive-negative momentum over Adam's (AMSGrad's) root.

    With :math:`m^+` the momentum fed this step (odd and even steps alternate buffers) and
    :math:`m^-` the other,

    .. math::
       m^+_t = \beta_1^2 m^+_{t-2} + (1 - \beta_1^2) g_t,\qquad
       u_t = \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}\,
       \frac{(1 + \beta_0) m^+_t - \beta_0 m^-_{t-1}}
       {\sqrt{(1 + \beta_0)^2 + \beta_0^2}\,(\sqrt{\hat v_t} + \epsilon)}

    with :math:`v_t` Adam's second moment and :math:`\hat v_t` its running maximum when
    ``ams_bound`` (the paper's Algorithm 2), else :math:`v_t` (PyTorch's epsilon
    placement). Element-wise, so every leaf shape is handled alike.

    Args:
      b1: momentum decay :math:`\beta_1` (each buffer decays by its square).
      b2: second-moment decay.
      b0: positive-negative weight :math:`\beta_0 \ge 0`.
      eps: added to the root.
      ams_bound: use the running maximum of :math:`v_t`.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByAdaPNMState`.

    References:
      Zeke Xie, Li Yuan, Zhanxing Zhu, Masashi Sugiyama. Positive-Negative Momentum:
      Manipulating Stochastic Gradient Noise to Improve Generalization. 2021.
      https://arxiv.org/abs/2103.17182
    """
    _check_betas(b1=b1, b2=b2)
    check_range("b0", b0, 0.0)
    check_nonnegative("eps", eps)
    decay = b1 * b1
    norm = ((1 + b0) ** 2 + b0**2) ** 0.5

    def init_fn(params):
        return _zero_state(ScaleByAdaPNMState, params, 3, optional=ams_bound)

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        odd_step = count % 2 == 1
        pos = _map(
            lambda g, o, e: (1 - decay) * g + decay * jnp.where(odd_step, o, e),
            updates,
            state.odd,
            state.even,
        )
        neg = _map(lambda o, e: jnp.where(odd_step, e, o), state.odd, state.even)
        nu = _ema(_map(_square, updates), state.nu, b2)
        root, nu_max = _ams_root(nu, state.nu_max, eps)
        factor = _torch_adam_factor(count, b1, b2) / norm
        out = _map(
            lambda p, n, d: factor.astype(p.dtype) * ((1 + b0) * p - b0 * n) / d, pos, neg, root
        )
        odd = _map(lambda p, o: jnp.where(odd_step, p, o), pos, state.odd)
        even = _map(lambda p, e: jnp.where(odd_step, e, p), pos, state.even)
        return out, ScaleByAdaPNMState(count, odd, even, nu, nu_max)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByAdaShiftState(NamedTuple):
    """Step count, the windowed first moment, the shifted second moment (of the shape
    ``reduce_fn`` gives) and the ring buffer of the last ``keep_num`` gradients."""

    count: jax.Array  # type: ignore[assignment]
    mu: Any
    nu: Any
    window: Any


def scale_by_adashift(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    keep_num: int = 10,
    reduce_fn: Callable[[jax.Array], jax.Array] | None = jnp.max,
    eps: jax.typing.ArrayLike = 1e-10,
) -> optax.GradientTransformation:
    r"""AdaShift scaling: Adam's second moment fed with a gradient ``keep_num`` steps old.

    With :math:`n` = ``keep_num`` and :math:`w = \sum_{i<n} \beta_1^i`,

    .. math::
       m_t = \frac{1}{w} \sum_{i=0}^{n-1} \beta_1^i g_{t-i},\qquad
       v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, \phi(g_{t-n}^2),\qquad
       u_t = \frac{m_t}{\sqrt{v_t / (1 - \beta_2^{t-n})} + \epsilon}

    for :math:`t > n`; :math:`u_t = 0` while the window fills (:math:`t \le n`).
    :math:`\phi` is ``reduce_fn``, applied to the whole leaf: the default ``jnp.max`` gives
    one second moment per leaf (the paper's block-wise spatial operation, a block being a
    leaf), ``None`` keeps it element-wise; its result must broadcast against the leaf.

    Args:
      b1: weight decay of the window average.
      b2: second-moment decay.
      keep_num: window length :math:`n \ge 1`; the state holds the last :math:`n`
        gradients.
      reduce_fn: the spatial operation :math:`\phi` on :math:`g_{t-n}^2`; ``None`` for
        element-wise.
      eps: added to the root.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByAdaShiftState`.

    References:
      Zhiming Zhou, Qingru Zhang, Guansong Lu, Hongwei Wang, Weinan Zhang, Yong Yu.
      AdaShift: Decorrelation and Convergence of Adaptive Learning Rate Methods. 2018.
      https://arxiv.org/abs/1810.00143
    """
    _check_betas(b1=b1, b2=b2)
    check_positive_int("keep_num", keep_num)
    check_nonnegative("eps", eps)
    if reduce_fn is None:
        phi = lambda x: x  # noqa: E731
    elif reduce_fn is jnp.max:  # an empty leaf has no max: its reduction is 0 (squares >= 0)
        phi = lambda x: jnp.max(x) if x.size else jnp.zeros((), x.dtype)  # noqa: E731
    else:
        phi = reduce_fn
    weight_sum = sum(b1**i for i in range(keep_num))
    first_weight, last_weight = b1 ** (keep_num - 1) / weight_sum, 1.0 / weight_sum

    def init_fn(params):
        def nu0(p):
            shape = jax.eval_shape(lambda x: phi(_square(x)), p)
            return jnp.zeros(shape.shape, shape.dtype)

        return ScaleByAdaShiftState(
            jnp.zeros([], jnp.int32),
            optax.tree.zeros_like(params),
            _map(nu0, params),
            _map(lambda p: jnp.zeros((keep_num, *jnp.shape(p)), p.dtype), params),
        )

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        full = count > keep_num
        slot = (count - 1) % keep_num
        oldest = _map(lambda w: w[slot], state.window)
        mu = _map(
            lambda g, m, o: b1 * (m - first_weight * o) + last_weight * g, updates, state.mu, oldest
        )
        nu = _map(
            lambda o, v: jnp.where(full, b2 * v + (1 - b2) * phi(_square(o)).astype(v.dtype), v),
            oldest,
            state.nu,
        )
        shifted = jnp.maximum(count - keep_num, 1).astype(jnp.result_type(float))
        correction = 1 - b2**shifted

        def step(m, v):
            root = jnp.sqrt(v / correction.astype(v.dtype)) + eps
            return jnp.where(full, m / jnp.where(full, root, 1).astype(m.dtype), 0)

        out = _map(step, mu, nu)
        window = _map(lambda w, g: w.at[slot].set(g), state.window, updates)
        return out, ScaleByAdaShiftState(count, mu, nu, window)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByAvaGradState(NamedTuple):
    r"""Step count, Adam's moments and the global step normalizer :math:`\gamma` kept for
    the next step (pytorch_optimizer's form; unused with ``paper_norm``)."""

    count: jax.Array  # type: ignore[assignment]
    mu: Any
    nu: Any
    gamma: jax.Array


def scale_by_avagrad(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 0.1,
    paper_norm: bool = False,
) -> optax.GradientTransformation:
    r"""AvaGrad scaling: Adam's step sizes from the previous second moment, normalized to
    unit root-mean-square over all parameters, which decouples the learning rate from
    ``eps`` (the adaptability).

    .. math::
       \eta_t = \frac{1}{\sqrt{v_{t-1} / (1 - \beta_2^{t-1})} + \epsilon},\qquad
       u_t = \frac{\gamma_t}{1 - \beta_1^t}\, \eta_t \odot m_t \quad (t > 1),\qquad
       u_1 = 0,

    with :math:`m_t, v_t` Adam's moments (:math:`v_t` updated after the step). With
    ``paper_norm`` :math:`\gamma_t = \sqrt{d} / \|\eta_t\|_2`, the normalizer of the
    very step sizes used (the paper's Algorithm 2); by default (pytorch_optimizer's
    AvaGrad 4.1.0) :math:`\gamma_t` is the one formed at step :math:`t-1` from
    :math:`1 / (\sqrt{v_{t-2} / (1 - \beta_2^{t-1})} + \epsilon)`, a step older.
    :math:`d` and the norm run over every entry of every leaf (one :math:`\gamma` for the
    whole tree), so leaves of any rank count alike.

    Args:
      b1, b2: decays of Adam's moments.
      eps: added to the root; large values (the default 0.1) make the method SGD-like.
      paper_norm: normalize by the current step sizes (the paper) instead of the previous
        step's (pytorch_optimizer).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByAvaGradState`.

    References:
      Pedro Savarese, David McAllester, Sudarshan Babu, Michael Maire. Domain-independent
      Dominance of Adaptive Methods. 2019. https://arxiv.org/abs/1912.01823
    """
    _check_betas(b1=b1, b2=b2)
    check_positive("eps", eps)

    def rms_inverse(denominators):
        leaves = [d for d in jax.tree.leaves(denominators) if d is not None]
        total = sum(jnp.sum(1 / jnp.square(d.astype(jnp.result_type(float)))) for d in leaves)
        size = sum(d.size for d in leaves)
        return 1 / jnp.sqrt(total / max(size, 1))

    def init_fn(params):
        gamma = jnp.zeros([], jnp.result_type(float))
        return _zero_state(ScaleByAvaGradState, params, 2, gamma)

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        t = count.astype(jnp.result_type(float))
        started = count > 1
        mu = _ema(updates, state.mu, b1)
        previous = jnp.where(started, 1 - b2 ** (t - 1), 1)
        denom = _map(lambda v: jnp.sqrt(v / previous.astype(v.dtype)) + eps, state.nu)
        gamma = rms_inverse(denom) if paper_norm else state.gamma
        scale = jnp.where(started, gamma / (1 - b1**t), 0)
        out = _map(lambda m, d: scale.astype(m.dtype) * m / d, mu, denom)
        current = jnp.sqrt(1 - b2**t)
        next_gamma = rms_inverse(
            _map(lambda v: jnp.sqrt(v) / current.astype(v.dtype) + eps, state.nu)
        )
        nu = _ema(_map(_square, updates), state.nu, b2)
        return out, ScaleByAvaGradState(count, mu, nu, next_gamma.astype(state.gamma.dtype))

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByFAdamState(NamedTuple):
    """Step count, the momentum of the clipped natural gradients and the diagonal Fisher
    estimate (a bias-corrected EMA of squared gradients)."""

    count: jax.Array  # type: ignore[assignment]
    momentum: Any
    fim: Any


def _rms(x: jax.Array) -> jax.Array:
    """Root-mean-square of a whole leaf (real for complex leaves), a scalar."""
    return jnp.sqrt(jnp.mean(_square(x)))


def scale_by_fadam(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_2: jax.typing.ArrayLike = 0.01,
    clip: jax.typing.ArrayLike = 1.0,
    p: jax.typing.ArrayLike = 0.5,
    weight_decay: jax.typing.ArrayLike = 0.1,
) -> optax.GradientTransformation:
    r"""FAdam scaling: momentum on clipped natural gradients under a diagonal Fisher, plus a
    Fisher-preconditioned weight decay (so it needs ``params`` when ``weight_decay > 0``).

    .. math::
       \hat\beta_2 = \frac{\beta_2 (1 - \beta_2^{t-1})}{1 - \beta_2^t},\quad
       f_t = \hat\beta_2 f_{t-1} + (1 - \hat\beta_2) g_t^2,\quad
       \epsilon_t = \min(\epsilon, \epsilon_2 \operatorname{RMS}(g_t)),

    :math:`D_t = f_t^p + \epsilon_t^{2p}` (:math:`\epsilon^{2p}` where
    :math:`\operatorname{RMS}(g_t) = 0`), :math:`\operatorname{clip}(z) = z / \max(1,
    \operatorname{RMS}(z) / c)`, then

    .. math::
       m_t = \beta_1 m_{t-1} + (1 - \beta_1) \operatorname{clip}(g_t / D_t),\qquad
       u_t = m_t + \lambda \operatorname{clip}(x_t / D_t).

    RMS runs over the whole leaf (scalars: the absolute value), so every rank is handled
    alike.

    Args:
      b1: momentum decay.
      b2: Fisher decay (bias-corrected through :math:`\hat\beta_2`).
      eps: the largest epsilon.
      eps_2: the epsilon relative to the gradient RMS (adaptive epsilon).
      clip: RMS bound :math:`c` of the natural gradient and of the decay term.
      p: power of the Fisher (0.5: Adam's root).
      weight_decay: Fisher-preconditioned decay :math:`\lambda`.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByFAdamState`.

    References:
      Dongseong Hwang. FAdam: Adam is a natural gradient optimizer using diagonal empirical
      Fisher information. 2024. https://arxiv.org/abs/2405.12807
    """
    _check_betas(b1=b1, b2=b2)
    check_nonnegative("eps", eps)
    check_nonnegative("eps_2", eps_2)
    check_positive("clip", clip)
    check_positive("p", p)
    check_nonnegative("weight_decay", weight_decay)

    def clipped(z):
        return z / jnp.maximum(_rms(z) / clip, 1).astype(z.dtype)

    def init_fn(params):
        return _zero_state(ScaleByFAdamState, params, 2)

    def update_fn(updates, state, params=None):
        count = optax.safe_increment(state.count)
        t = count.astype(jnp.result_type(float))
        rho = b2 * (1 - b2 ** (t - 1)) / (1 - b2**t)
        fim = _map(
            lambda g, f: rho.astype(f.dtype) * f + (1 - rho.astype(f.dtype)) * _square(g),
            updates,
            state.fim,
        )

        def denominator(g, f):
            rms = _rms(g)
            small = eps_2 * rms
            eps_p = jnp.where((rms > 0) & (small < eps), small ** (2 * p), eps ** (2 * p))
            return f**p + eps_p.astype(f.dtype)

        denom = _map(denominator, updates, fim)
        momentum = _ema(_map(lambda g, d: clipped(g / d), updates, denom), state.momentum, b1)
        if params is None:
            if not (isinstance(weight_decay, (int, float)) and weight_decay == 0):
                raise ValueError("scale_by_fadam with weight_decay needs params")
            out = momentum
        else:
            out = _map(
                lambda m, x, d: m + weight_decay * clipped(x.astype(m.dtype) / d),
                momentum,
                params,
                denom,
            )
        return out, ScaleByFAdamState(count, momentum, fim)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByEXAdamState(NamedTuple):
    """Step count and Adam's moments (as ``ScaleByAdamState``)."""

    count: jax.Array  # type: ignore[assignment]
    mu: Any
    nu: Any


def scale_by_exadam(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""EXAdam scaling: Adam with cross-moment bias corrections and the current gradient
    added to the momentum.

    .. math::
       d_1 = 1 + \beta_2^t \frac{v_t}{v_t + \epsilon},\quad
       d_2 = 1 + \beta_1^t \frac{m_t^2}{m_t^2 + \epsilon},\qquad
       u_t = \frac{d_1 (m_t + g_t) / (1 - \beta_1^t)}
       {\sqrt{d_2\, v_t / (1 - \beta_2^t)} + \epsilon}

    with :math:`m_t, v_t` Adam's moments: :math:`\tilde m_t = d_1 m_t / (1 - \beta_1^t)`,
    :math:`\tilde g_t = d_1 g_t / (1 - \beta_1^t)`, :math:`\tilde v_t = d_2 v_t /
    (1 - \beta_2^t)`. Element-wise, so every leaf shape is handled alike.

    Args:
      b1, b2: decays of Adam's moments.
      eps: in the cross-moment ratios and added to the root.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByEXAdamState`.

    References:
      Ahmed M. Adly. EXAdam: The Power of Adaptive Cross-Moments. 2024.
      https://arxiv.org/abs/2412.20302
    """
    _check_betas(b1=b1, b2=b2)
    check_positive("eps", eps)

    def init_fn(params):
        return _zero_state(ScaleByEXAdamState, params, 2)

    def update_fn(updates, state, params=None):
        del params
        count, mu, nu = _adam_moments(updates, state, b1, b2)
        t = count.astype(jnp.result_type(float))
        p1, p2 = b1**t, b2**t

        def one(g, m, v):
            c1, c2 = p1.astype(v.dtype), p2.astype(v.dtype)
            d1 = 1 + c2 * v / (v + eps)
            m2 = _square(m)
            d2 = 1 + c1 * m2 / (m2 + eps)
            return (d1 * (m + g) / (1 - c1)) / (jnp.sqrt(d2 * v / (1 - c2)) + eps)

        return _map(one, updates, mu, nu), ScaleByEXAdamState(count, mu, nu)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByAdamSState(NamedTuple):
    """Step count, Adam's moments and, with ``ams_bound``, the running maximum of ``nu``
    (else ``None``)."""

    count: jax.Array  # type: ignore[assignment]
    mu: Any
    nu: Any
    nu_max: Any


def scale_by_adams(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 1e-4,
    ams_bound: bool = False,
) -> optax.GradientTransformation:
    r"""AdamS scaling: Adam plus a stable weight decay, divided by the root of the mean
    second moment (so it needs ``params`` when ``weight_decay > 0``).

    .. math::
       \hat m_t = \frac{m_t}{1 - \beta_1^t},\quad \hat v_t = \frac{v_t}{1 - \beta_2^t},
       \quad \bar v_t = \operatorname{mean}(\hat v_t),\qquad
       u_t = \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}
       + \frac{\lambda\, x_t}{\sqrt{\bar v_t} + \epsilon}

    with :math:`m_t, v_t` Adam's moments (:math:`v_t` their running maximum with
    ``ams_bound``). The mean runs over every entry of every leaf (one :math:`\bar v_t` for
    the whole tree), so leaves of any rank count alike.

    Args:
      b1, b2: decays of Adam's moments.
      eps: added to the roots.
      weight_decay: stable decay :math:`\lambda`.
      ams_bound: use the running maximum of :math:`v_t` (AMSGrad).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByAdamSState`.

    References:
      Zeke Xie, Zhiqiang Xu, Jingzhao Zhang, Issei Sato, Masashi Sugiyama. On the
      Overlooked Pitfalls of Weight Decay and How to Mitigate Them: A Gradient-Norm
      Perspective. 2020. https://arxiv.org/abs/2011.11152
    """
    _check_betas(b1=b1, b2=b2)
    check_nonnegative("eps", eps)
    check_nonnegative("weight_decay", weight_decay)

    def init_fn(params):
        return _zero_state(ScaleByAdamSState, params, 2, optional=ams_bound)

    def update_fn(updates, state, params=None):
        count, mu, nu = _adam_moments(updates, state, b1, b2)
        nu_max = None if state.nu_max is None else _map(jnp.maximum, state.nu_max, nu)
        nu_hat = _debias(nu if nu_max is None else nu_max, b2, count)
        mu_hat = _debias(mu, b1, count)
        out = _map(lambda m, v: m / (jnp.sqrt(v) + eps), mu_hat, nu_hat)
        if params is None:
            if not (isinstance(weight_decay, (int, float)) and weight_decay == 0):
                raise ValueError("scale_by_adams with weight_decay needs params")
        else:
            leaves = [v for v in jax.tree.leaves(nu_hat) if v is not None]
            total = sum(jnp.sum(v.astype(jnp.result_type(float))) for v in leaves)
            mean = total / max(sum(v.size for v in leaves), 1)
            decay = weight_decay / (jnp.sqrt(mean) + eps)
            out = _map(lambda u, x: u + decay.astype(u.dtype) * x.astype(u.dtype), out, params)
        return out, ScaleByAdamSState(count, mu, nu, nu_max)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByPadamState(NamedTuple):
    """Step count, Adam's moments and, with ``paper_form``, the running maximum of ``nu``
    (else ``None``)."""

    count: jax.Array  # type: ignore[assignment]
    mu: Any
    nu: Any
    nu_max: Any


def scale_by_padam(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    partial: jax.typing.ArrayLike = 0.25,
    eps: jax.typing.ArrayLike = 1e-8,
    paper_form: bool = False,
) -> optax.GradientTransformation:
    r"""Padam scaling: a partially adaptive step, the second moment raised to ``partial``.

    By default (pytorch_optimizer's Padam 4.1.0)

    .. math::
       u_t = \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}\,
       \frac{m_t}{(\sqrt{v_t} + \epsilon)^{2p}};

    with ``paper_form`` the paper's Algorithm 1 (AMSGrad's running maximum, no bias
    corrections), :math:`\hat v_t = \max(\hat v_{t-1}, v_t)`, :math:`u_t = m_t /
    (\sqrt{\hat v_t} + \epsilon)^{2p}` (:math:`m_t / \hat v_t^p` for :math:`\epsilon =
    0`). :math:`m_t, v_t` are Adam's moments; :math:`p = 1/2` is Adam (AMSGrad), :math:`p
    \to 0` SGD with momentum. Element-wise, so every leaf shape is handled alike.

    Args:
      b1, b2: decays of Adam's moments.
      partial: the power :math:`p` in ``(0, 1/2]``.
      eps: added to :math:`\sqrt{v_t}` before the power.
      paper_form: the paper's running maximum without bias corrections.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByPadamState`.

    References:
      Jinghui Chen, Dongruo Zhou, Yiqi Tang, Ziyan Yang, Yuan Cao, Quanquan Gu. Closing the
      Generalization Gap of Adaptive Gradient Methods in Training Deep Neural Networks.
      2018. https://arxiv.org/abs/1806.06763
    """
    _check_betas(b1=b1, b2=b2)
    check_range("partial", partial, 0.0, 0.5, low_open=True)
    check_nonnegative("eps", eps)

    def init_fn(params):
        return _zero_state(ScaleByPadamState, params, 2, optional=paper_form)

    def update_fn(updates, state, params=None):
        del params
        count, mu, nu = _adam_moments(updates, state, b1, b2)
        if paper_form:
            nu_max = _map(jnp.maximum, state.nu_max, nu)
            out = _map(lambda m, v: m / (jnp.sqrt(v) + eps) ** (2 * partial), mu, nu_max)
        else:
            nu_max = None
            factor = _torch_adam_factor(count, b1, b2)
            out = _map(
                lambda m, v: factor.astype(m.dtype) * m / (jnp.sqrt(v) + eps) ** (2 * partial),
                mu,
                nu,
            )
        return out, ScaleByPadamState(count, mu, nu, nu_max)

    return optax.GradientTransformation(init_fn, update_fn)


# --- Adam-family extensions (adai, swats, msvag, adatam, dualadam, amos, adamwsn, adamc) ---

__all__ += ["scale_by_adai", "ScaleByAdaiState", "scale_by_swats", "ScaleBySWATSState"]
__all__ += ["scale_by_msvag", "ScaleByMSVAGState", "scale_by_adatam", "ScaleByAdaTAMState"]
__all__ += ["scale_by_dualadam", "scale_by_amos", "ScaleByAmosState"]
__all__ += ["scale_by_adamwsn", "scale_by_adamc"]


def _global_mean(tree: Any) -> jax.Array:
    """The mean of every entry of every leaf of ``tree`` (one scalar over the whole tree)."""
    leaves = [x for x in jax.tree.leaves(tree) if x is not None]
    total = sum(jnp.sum(x) for x in leaves)
    size = sum(x.size for x in leaves)
    return jnp.asarray(total) / max(size, 1)


class ScaleByAdaiState(NamedTuple):
    """Step count, the momentum, the second moment and the running product of the inertias."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    mu: Any
    nu: Any
    beta1_prod: Any


def scale_by_adai(
    b0: jax.typing.ArrayLike = 0.1,
    b2: jax.typing.ArrayLike = 0.99,
    eps: jax.typing.ArrayLike = 1e-3,
    dampening: jax.typing.ArrayLike = 1.0,
) -> optax.GradientTransformation:
    r"""Adai scaling: momentum whose inertia adapts to the gradient's second moment.

    .. math::
       v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2,\quad \hat v_t = \frac{v_t}{1 - \beta_2^t},
       \quad \bar v_t = \max(\operatorname{mean}(\hat v_t), \epsilon),

       \beta_{1,t} = \operatorname{clip}\Bigl(1 - \beta_0 \bigl(\hat v_t / \bar v_t\bigr)^{
       1/(3 - 2 d)}, 0, 1 - \epsilon\Bigr),\quad
       m_t = \beta_{1,t} m_{t-1} + (1 - \beta_{1,t})^{d} g_t,

       u_t = \beta_0^{1 - d}\, \frac{m_t}{1 - \prod_{s \le t} \beta_{1,s}}

    element-wise, with :math:`d` the dampening (the paper's Adai: :math:`d = 1`). The mean
    :math:`\bar v_t` runs over every entry of every leaf (the whole tree, as the paper's
    mean over all parameters), so scalars, vectors and rank >= 3 leaves are all treated
    entry by entry. No adaptive learning rate: the step has the gradient's scale (as SGD).

    Args:
      b0: inertia scale :math:`\beta_0` in ``[0, 1)``.
      b2: decay :math:`\beta_2` of the second moment.
      eps: floor of :math:`\bar v_t` and the cap :math:`1 - \epsilon` of the inertia.
      dampening: :math:`d` (1: the paper's Adai; 0: undamped heavy ball).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByAdaiState`.

    References:
      Zeke Xie, Xinrui Wang, Huishuai Zhang, Issei Sato, Masashi Sugiyama. Adaptive Inertia:
      Disentangling the Effects of Adaptive Learning Rate and Momentum. 2020.
      https://arxiv.org/abs/2006.15815
    """
    _check_betas(b0=b0, b2=b2)
    check_range("eps", eps, 0.0, 1.0, high_open=True)
    check_range("dampening", dampening, 0.0, 1.0)

    def init_fn(params):
        return _zero_state(ScaleByAdaiState, params, 2, jax.tree.map(jnp.ones_like, params))

    def update_fn(updates, state, params=None):
        del params
        nu = _ema(jax.tree.map(_square, updates), state.nu, b2)
        count = optax.safe_increment(state.count)
        nu_hat = _debias(nu, b2, count)
        mean = jnp.maximum(_global_mean(nu_hat), eps)
        power = 1.0 / (3.0 - 2.0 * dampening)

        def beta1_of(v):
            ratio = v / mean.astype(v.dtype)
            return jnp.clip(1 - b0 * ratio**power, 0.0, 1.0 - eps).astype(v.dtype)

        beta1 = jax.tree.map(beta1_of, nu_hat)
        mu = jax.tree.map(
            lambda g, m, b: b * m + (1 - b) ** dampening * g, updates, state.mu, beta1
        )
        prod = jax.tree.map(lambda p, b: p * b, state.beta1_prod, beta1)
        scale_ = b0 ** (1.0 - dampening)
        out = jax.tree.map(lambda m, p: (scale_ * m / (1 - p)).astype(m.dtype), mu, prod)
        return out, ScaleByAdaiState(count, mu, nu, prod)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleBySWATSState(NamedTuple):
    """Step count, the first moment (the SGD momentum after the switch), the second moment
    (and its running maximum with ``amsgrad``), the running average of the projected rates,
    the phase (``True`` once in SGD) and the SGD learning rate."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    mu: Any
    nu: Any
    nu_max: Any
    rate: Any
    sgd: jax.Array
    sgd_rate: jax.Array


def scale_by_swats(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-9,
    eps_root: jax.typing.ArrayLike = 0.0,
    amsgrad: bool = False,
    convention: Literal["paper", "pytorch_optimizer"] = "paper",
) -> optax.GradientTransformation:
    r"""SWATS scaling: Adam steps until a projected SGD learning rate settles, then SGD.

    Adam phase, with :math:`\alpha_t` the learning rate:

    .. math::
       p_t = -\alpha_t \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}
       \frac{m_t}{\sqrt{v_t + \epsilon_r} + \epsilon},\qquad
       \gamma_t = \frac{p_t^\top p_t}{-p_t^\top g_t},\qquad
       \lambda_t = \beta_2 \lambda_{t-1} + (1 - \beta_2) \gamma_t

    (:math:`\lambda` kept when :math:`p_t^\top g_t = 0`). Once :math:`t > 1` and
    :math:`|\lambda_t / (1 - \beta_2^t) - \gamma_t| < \epsilon`, the following steps are SGD
    with momentum at the fixed rate :math:`\Lambda = \lambda_t / (1 - \beta_2^t)`:
    :math:`b_t = \beta_1 b_{t-1} + g_t`, step :math:`-\Lambda (1 - \beta_1) b_t`
    (:math:`b` starts at 0; it reuses the first moment's storage).

    ``convention="paper"`` (Algorithm 1) takes the dot products over the whole tree: one
    :math:`\gamma_t`, one switch. ``convention="pytorch_optimizer"`` takes them leaf by
    leaf, each leaf with its own :math:`\lambda`; the whole tree switches when any leaf
    passes ``allclose(λ/(1-β2^t), γ, rtol=eps, atol=1e-8)`` with a positive rate, and
    :math:`\Lambda` is the rate of the last such leaf (flattening order). Every leaf (scalar,
    vector, rank >= 3) is treated entry by entry in the moments.

    The output is the step itself without its sign (the learning rate is inside, as
    :math:`\Lambda` replaces it after the switch): follow with ``optax.scale(-1)``.

    Args:
      learning_rate: the Adam phase's rate :math:`\alpha_t`, a scalar or a schedule.
      b1, b2: Adam's moment decays (``b1`` is also the SGD momentum, ``b2`` the decay of
        :math:`\lambda`).
      eps: added to the root and the switching tolerance.
      eps_root: added to :math:`v_t` inside the root.
      amsgrad: divide by the running maximum of :math:`v_t`.
      convention: ``"paper"`` or ``"pytorch_optimizer"`` (see above).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleBySWATSState`.

    References:
      Nitish Shirish Keskar, Richard Socher. Improving Generalization Performance by
      Switching from Adam to SGD. 2017. https://arxiv.org/abs/1712.07628
    """
    check_range("learning_rate", learning_rate)
    _check_betas(b1=b1, b2=b2)
    check_nonnegative("eps", eps)
    check_nonnegative("eps_root", eps_root)
    if convention not in ("paper", "pytorch_optimizer"):
        raise ValueError(f"convention must be 'paper' or 'pytorch_optimizer', got {convention!r}")
    per_leaf = convention == "pytorch_optimizer"

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        real = jnp.result_type(float)
        rate = (
            jax.tree.map(lambda _: jnp.zeros([], real), params) if per_leaf else jnp.zeros([], real)
        )
        return ScaleBySWATSState(
            count=jnp.zeros([], jnp.int32),
            mu=zeros,
            nu=zeros,
            nu_max=zeros if amsgrad else None,
            rate=rate,
            sgd=jnp.zeros([], bool),
            sgd_rate=jnp.zeros([], real),
        )

    def update_fn(updates, state, params=None):
        del params
        sgd = state.sgd
        alpha = _value(learning_rate, state.count)
        count = optax.safe_increment(state.count)
        t = count.astype(jnp.result_type(float))
        bc2 = 1 - b2**t
        factor = alpha * jnp.sqrt(bc2) / (1 - b1**t)
        # Adam phase.
        mu = _ema(updates, state.mu, b1)
        nu = _ema(jax.tree.map(_square, updates), state.nu, b2)
        nu_max = jax.tree.map(jnp.maximum, state.nu_max, nu) if amsgrad else None
        denom_of = nu_max if amsgrad else nu
        adam = jax.tree.map(
            lambda m, v: factor.astype(m.dtype) * m / (jnp.sqrt(v + eps_root) + eps), mu, denom_of
        )
        # The projected SGD rate; ``adam`` is -p_t.
        pp = jax.tree.map(lambda u: jnp.sum(u * u), adam)
        pg = jax.tree.map(lambda u, g: -jnp.sum(u * g), adam, updates)
        if per_leaf:
            leaves_pp, treedef = jax.tree.flatten(pp)
            leaves_pg = treedef.flatten_up_to(pg)
            leaves_rate = treedef.flatten_up_to(state.rate)
        else:
            leaves_pp = [sum(jax.tree.leaves(pp))]
            leaves_pg = [sum(jax.tree.leaves(pg))]
            leaves_rate = [state.rate]
        switch, new_rate, rates = jnp.zeros([], bool), state.sgd_rate, []
        for a, b, lam in zip(leaves_pp, leaves_pg, leaves_rate, strict=True):
            nonzero = b != 0
            gamma = (a / jnp.where(nonzero, -b, 1)).astype(lam.dtype)
            lam = jnp.where(nonzero, b2 * lam + (1 - b2) * gamma, lam)
            corrected = lam / bc2.astype(lam.dtype)
            if per_leaf:
                close = jnp.abs(corrected - gamma) <= 1e-8 + eps * jnp.abs(gamma)
                passed = nonzero & (count > 1) & (corrected > 0) & close
            else:
                passed = nonzero & (count > 1) & (jnp.abs(corrected - gamma) < eps)
            new_rate = jnp.where(passed, corrected, new_rate)
            switch = switch | passed
            rates.append(lam)
        rate = treedef.unflatten(rates) if per_leaf else rates[0]
        # SGD phase: the momentum lives in ``mu``'s storage.
        buf = jax.tree.map(lambda g, b: b1 * b + g, updates, state.mu)
        step_sgd = jax.tree.map(lambda b: (state.sgd_rate * (1 - b1)).astype(b.dtype) * b, buf)
        out = jax.tree.map(lambda s, a: jnp.where(sgd, s, a), step_sgd, adam)
        # Entering SGD: its momentum starts at zero.
        starting = ~sgd & switch
        new_mu = jax.tree.map(
            lambda b, m: jnp.where(sgd, b, jnp.where(starting, jnp.zeros_like(m), m)), buf, mu
        )
        keep = lambda old, new: jax.tree.map(lambda o, n: jnp.where(sgd, o, n), old, new)  # noqa: E731
        return out, ScaleBySWATSState(
            count=count,
            mu=new_mu,
            nu=keep(state.nu, nu),
            nu_max=keep(state.nu_max, nu_max) if amsgrad else None,
            rate=keep(state.rate, rate),
            sgd=sgd | switch,
            sgd_rate=jnp.where(sgd, state.sgd_rate, new_rate),
        )

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByMSVAGState(NamedTuple):
    """Step count and the running averages of the gradient and of its square."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    mu: Any
    nu: Any


def scale_by_msvag(beta: jax.typing.ArrayLike = 0.9) -> optax.GradientTransformation:
    r"""M-SVAG scaling: momentum damped entry by entry by its estimated relative variance.

    .. math::
       \tilde m_t = \frac{m_t}{1 - \beta^t},\quad \tilde v_t = \frac{v_t}{1 - \beta^t},\quad
       \rho_t = \min\Bigl(\frac{(1 - \beta)(1 + \beta^t)}{(1 + \beta)(1 - \beta^t)},
       0.9999\Bigr),

       s_t = \frac{\tilde v_t - \tilde m_t^2}{1 - \rho_t},\qquad
       u_t = \operatorname{clip}\Bigl(\frac{\tilde m_t^2}{\tilde m_t^2 + \rho_t s_t}, 0,
       1\Bigr)\, \tilde m_t

    with :math:`m_t, v_t` the averages (decay :math:`\beta`) of :math:`g_t` and
    :math:`g_t^2`, and a factor 0 where it is 0/0. :math:`\rho_t` is the variance of the
    average of :math:`t` noise draws relative to one; the 0.9999 cap (pytorch_optimizer's)
    makes the first step plain SGD (the paper's formula is 0/0 there; optzoo sets the
    factor to its exact value 1 there rather than divide a rounding error by 1e-4). Element-wise, so
    every leaf shape is treated alike.

    Args:
      beta: decay :math:`\beta` of both averages, in ``[0, 1)``.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByMSVAGState`.

    References:
      Lukas Balles, Philipp Hennig. Dissecting Adam: The Sign, Magnitude and Variance of
      Stochastic Gradients. 2017. https://arxiv.org/abs/1705.07774
    """
    check_decay("beta", beta)

    def init_fn(params):
        return _zero_state(ScaleByMSVAGState, params, 2)

    def update_fn(updates, state, params=None):
        del params
        count, mu, nu = _adam_moments(updates, state, beta, beta)
        t = count.astype(jnp.result_type(float))
        power = beta**t
        rho = jnp.minimum((1 - beta) * (1 + power) / ((1 + beta) * (1 - power)), 0.9999)

        def one(m, v):
            m = m / (1 - power).astype(m.dtype)
            v = v / (1 - power).astype(v.dtype)
            r = rho.astype(m.dtype)
            m2 = m * m
            var = (v - m2) / (1 - r)
            factor = jnp.clip(jnp.nan_to_num(m2 / (m2 + r * var), nan=0.0), 0.0, 1.0)
            # Step 1: s is 0 exactly (v~ = m~^2 = g^2); its rounding, divided by 1 - 0.9999,
            # would move the factor by ~1e4 ulp, so it is set to its exact value.
            first = (m2 > 0).astype(m.dtype)
            return jnp.where(count == 1, first, factor) * m

        return jax.tree.map(one, mu, nu), ScaleByMSVAGState(count, mu, nu)

    return optax.GradientTransformation(init_fn, update_fn)


def _normalize_first_axis(x: jax.Array) -> jax.Array:
    """``x`` divided by its 2-norm along the first axis (``torch.nn.functional.normalize``'s
    ``dim=0``, norms floored at 1e-12); a scalar by its absolute value."""
    if x.ndim == 0:
        return x / jnp.maximum(jnp.abs(x), 1e-12)
    norm = jnp.sqrt(jnp.sum(_square(x), axis=0, keepdims=True))
    return x / jnp.maximum(norm, 1e-12)


class ScaleByAdaTAMState(NamedTuple):
    """The smoothed alignment ``s``, the (undamped) momentum and the second moment."""

    s: Any
    mu: Any
    nu: Any


def scale_by_adatam(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    decay_rate: jax.typing.ArrayLike = 0.9,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""AdaTAM scaling: Adam whose momentum takes less of a gradient that turns against it.

    .. math::
       c_t = \frac{m_{t-1}}{\|m_{t-1}\|} \odot \frac{g_t}{\|g_t\|},\quad
       s_t = \gamma s_{t-1} + (1 - \gamma) c_t,\quad
       m_t = \beta_1 m_{t-1} + \Bigl(\frac{1 + s_t}{2} + \epsilon\Bigr) g_t,

       v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2,\qquad
       u_t = \frac{m_t}{\sqrt{v_t} + \epsilon}

    without bias correction. The norms run along each leaf's first axis (pytorch_optimizer's
    ``normalize(dim=0)``): a vector by its norm, a matrix column by column, a rank >= 3
    leaf fibre by fibre along axis 0, a scalar by its absolute value; :math:`c_t` is the
    per-entry contribution to the cosine of the angle ("torque") between momentum and
    gradient.

    Args:
      b1: momentum decay :math:`\beta_1`.
      b2: second-moment decay :math:`\beta_2`.
      decay_rate: decay :math:`\gamma` of the alignment average.
      eps: added to the gradient weight and to :math:`\sqrt{v_t}`.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByAdaTAMState`.

    References:
      Pranshu Malviya, Goncalo Mordido, Aristide Baratin, Reza Babanezhad Harikandeh,
      Gintare Karolina Dziugaite, Razvan Pascanu, Sarath Chandar. Torque-Aware Momentum.
      2024. https://arxiv.org/abs/2412.18790
    """
    _check_betas(b1=b1, b2=b2)
    check_unit_interval("decay_rate", decay_rate)
    check_nonnegative("eps", eps)

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        return ScaleByAdaTAMState(zeros, zeros, zeros)

    def update_fn(updates, state, params=None):
        del params
        corr = jax.tree.map(
            lambda m, g: _normalize_first_axis(m) * _normalize_first_axis(g), state.mu, updates
        )
        s = _ema(corr, state.s, decay_rate)
        mu = jax.tree.map(lambda m, s_, g: b1 * m + ((1 + s_) / 2 + eps) * g, state.mu, s, updates)
        nu = _ema(jax.tree.map(_square, updates), state.nu, b2)
        out = jax.tree.map(lambda m, v: m / (jnp.sqrt(v) + eps), mu, nu)
        return out, ScaleByAdaTAMState(s, mu, nu)

    return optax.GradientTransformation(init_fn, update_fn)


def _last_inverse_step(rate: Any) -> int | None:
    """The last step ``t`` with ``max(0, 1 - t * rate) >= rate`` in float64 arithmetic, for a
    concrete rate (``None`` for a traced one). Decided once on the host: XLA may fuse
    ``1 - t * rate`` into an FMA, which moves the switch by a step where ``t * rate`` lands
    on ``1 - rate`` (``t = 99`` at the default rate 0.01)."""
    r = concrete_value(rate)
    if r is None:
        return None
    if r <= 0:
        return int(np.iinfo(np.int32).max)
    t = int(1 / r) + 2
    while t > 0 and not max(0.0, 1.0 - t * r) >= r:
        t -= 1
    return t


def scale_by_dualadam(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    switch_rate: jax.typing.ArrayLike = 1e-2,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""DualAdam scaling: a blend of Adam's step and its inverse that decays to Adam.

    .. math::
       d_t = \sqrt{\hat v_t} + \epsilon,\qquad \alpha_t = \max(0, 1 - \xi t),\qquad
       u_t = \hat m_t \Bigl(\frac{1 - \alpha_t}{d_t} + \alpha_t d_t\Bigr)
       \ \text{while}\ \alpha_t \ge \xi,\ \text{then}\ u_t = \frac{\hat m_t}{d_t}

    with :math:`\hat m_t, \hat v_t` Adam's bias-corrected moments and :math:`\xi` the
    switch rate. The inverse step :math:`\hat m_t d_t` (InvAdam) is large where the
    gradient varies much, which pushes the iterate out of sharp minima early on; after
    about :math:`1 / \xi` steps the update is Adam's. Element-wise: every leaf shape alike.

    Args:
      b1, b2: Adam's moment decays.
      switch_rate: :math:`\xi` in ``[0, 1]``, the per-step decrease of :math:`\alpha_t`.
      eps: added to :math:`\sqrt{\hat v_t}`.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdamState``.

    References:
      Tao Shi, Liangming Chen, Long Jin, Mengchu Zhou. Combining Adam and its Inverse
      Counterpart to Enhance Generalization of Deep Learning Optimizers. 2026.
      https://arxiv.org/abs/2603.07122
    """
    _check_betas(b1=b1, b2=b2)
    check_unit_interval("switch_rate", switch_rate)
    check_nonnegative("eps", eps)
    last_inverse = _last_inverse_step(switch_rate)

    def update_fn(updates, state, params=None):
        del params
        count, mu, nu = _adam_moments(updates, state, b1, b2)
        mu_hat, nu_hat = _debias(mu, b1, count), _debias(nu, b2, count)
        t = count.astype(jnp.result_type(float))
        alpha = jnp.maximum(0.0, 1.0 - t * switch_rate)
        if last_inverse is None:  # a traced rate (inject_hyperparams)
            inverse = alpha >= switch_rate
        else:
            inverse = count <= last_inverse

        def one(m, v):
            d = jnp.sqrt(v) + eps
            a = alpha.astype(m.dtype)
            blend = jnp.where(inverse, (1 - a) / d + a * d, 1 / d)
            return m * blend

        out = jax.tree.map(one, mu_hat, nu_hat)
        return out, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(_adam_init, update_fn)


def _amos_eta(shape: tuple[int, ...]) -> float:
    """pytorch_optimizer's target scale: 0.5 for scalars and vectors, sqrt(2 / shape[1]) for a
    matrix, sqrt(1 / shape[1]) above (shape[1] is PyTorch's fan-in)."""
    if len(shape) <= 1:
        return 0.5
    return float(np.sqrt((2.0 if len(shape) == 2 else 1.0) / max(shape[1], 1)))


class ScaleByAmosState(NamedTuple):
    """Step count and, per leaf, the scalar running mean square ``v`` of the gradient and the
    accumulated decay ``b``."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    v: Any
    b: Any


def scale_by_amos(
    learning_rate: optax.ScalarOrSchedule,
    beta: jax.typing.ArrayLike = 0.999,
    eta: float | Callable[[tuple[int, ...]], float] | None = None,
    extra_l2: jax.typing.ArrayLike = 0.0,
    c_coef: jax.typing.ArrayLike = 0.25,
    d_coef: jax.typing.ArrayLike = 0.25,
    eps: jax.typing.ArrayLike = 1e-18,
) -> optax.GradientTransformation:
    r"""Amos scaling: Adam-style steps sized to each leaf's target scale, with an adaptive
    weight decay towards it and learning-rate decay (the step, learning rate included).

    Per leaf, with :math:`\xi` the learning rate, :math:`\eta` the leaf's target scale and
    :math:`\tilde\eta = \xi \eta`:

    .. math::
       v_t = \beta v_{t-1} + (1 - \beta) \overline{g_t^2},\quad
       r_t = \frac{1 - \beta^t}{v_t + \epsilon},\quad
       \gamma_t = \frac{\xi^2 r_t \overline{g_t^2}}{\sqrt{1 + c\sqrt{\xi}\, b_{t-1}}},

       u_t = \frac{\tilde\eta \sqrt{r_t}\, g_t + (\gamma_t / 2 + \lambda_2) x_t}
       {1 + d \sqrt{\tilde\eta}\, b_{t-1}},\qquad b_t = b_{t-1} + \gamma_t (1 + b_{t-1})

    and :math:`x_{t+1} = x_t - u_t`. :math:`\overline{g^2}` is the mean over the whole leaf
    (scalar ``v`` and ``b`` per leaf: no state grows with the parameters).

    Args:
      learning_rate: :math:`\xi`, a scalar or a schedule (the paper: about
        :math:`1/\sqrt{N}` for :math:`N` independent batches).
      beta: decay of :math:`v` (the paper: :math:`1 - \beta` about the learning rate).
      eta: the target scale of a leaf's entries: a float for all, a function of the leaf's
        shape, or ``None`` for pytorch_optimizer's rule (0.5 for scalars and vectors,
        :math:`\sqrt{2/n}` for a matrix and :math:`\sqrt{1/n}` above, :math:`n` =
        ``shape[1]``, PyTorch's fan-in; pass a function for JAX's (in, out) layout).
      extra_l2: extra L2 coefficient :math:`\lambda_2`.
      c_coef, d_coef: :math:`c` and :math:`d`, the decay factors' coefficients.
      eps: added to :math:`v_t`.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByAmosState`.

    References:
      Ran Tian, Ankur P. Parikh. Amos: An Adam-style Optimizer with Adaptive Weight Decay
      towards Model-Oriented Scale. 2022. https://arxiv.org/abs/2210.11693
    """
    check_range("learning_rate", learning_rate)
    check_decay("beta", beta)
    for name, value in (("extra_l2", extra_l2), ("c_coef", c_coef), ("d_coef", d_coef)):
        check_nonnegative(name, value)
    check_nonnegative("eps", eps)
    if eta is None:
        eta_of: Callable[[tuple[int, ...]], float] = _amos_eta
    elif callable(eta):
        eta_of = eta
    else:
        check_positive("eta", eta)
        eta_of = lambda shape: eta  # type: ignore[assignment,return-value]  # noqa: E731

    def init_fn(params):
        scalar = lambda x: jnp.zeros([], x.dtype)  # noqa: E731
        return ScaleByAmosState(
            jnp.zeros([], jnp.int32), jax.tree.map(scalar, params), jax.tree.map(scalar, params)
        )

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_amos needs the parameters (its decay acts on them)")
        xi = _value(learning_rate, state.count)
        count = optax.safe_increment(state.count)
        t = count.astype(jnp.result_type(float))
        correction = 1 - beta**t

        def one(g, x, v, b):
            dt = g.dtype
            g2 = jnp.mean(_square(g))
            v = beta * v + (1 - beta) * g2
            r = correction.astype(dt) / (v + eps)
            xi_ = jnp.asarray(xi, dt)
            gamma = jax.lax.rsqrt(1 + c_coef * jnp.sqrt(xi_) * b) * xi_**2 * r * g2
            init_lr = xi_ * eta_of(tuple(x.shape))
            factor_d = 1 / (1 + d_coef * jnp.sqrt(init_lr) * b)
            u = factor_d * ((gamma / 2 + extra_l2) * x + init_lr * jnp.sqrt(r) * g)
            return u.astype(dt), v, b + gamma * (1 + b)

        out = jax.tree.map(one, updates, params, state.v, state.b)
        pick = lambda i: jax.tree.map(lambda _, o: o[i], updates, out)  # noqa: E731
        return pick(0), ScaleByAmosState(count, pick(1), pick(2))

    return optax.GradientTransformation(init_fn, update_fn)


def _subset_size(size: int, subset_size: int) -> int:
    """The largest divisor of ``size`` not above the requested subset size (a positive
    ``subset_size``, or ``sqrt(size) / k`` for ``subset_size = -k``)."""
    k = subset_size if subset_size > 0 else int(np.sqrt(size) / abs(subset_size))
    k = max(k, 1)
    for i in range(min(k, size), 0, -1):
        if size % i == 0:
            return i
    return 1


def scale_by_adamwsn(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    subset_size: int = -1,
    subset_norm: bool | Callable[[jax.Array], bool] | None = None,
) -> optax.GradientTransformation:
    r"""Adam with subset-norm second moments: one :math:`v` per subset of entries.

    A leaf chosen by ``subset_norm`` is flattened (row-major) into rows of :math:`k`
    entries, :math:`k` the largest divisor of its size not above ``subset_size``
    (``-j``: :math:`\sqrt{\text{size}} / j`); each row keeps one second moment, fed with
    the row's squared norm:

    .. math::
       v_{t,i} = \beta_2 v_{t-1,i} + (1 - \beta_2) \|g_{t,i}\|^2,\qquad
       u_t = \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t} \frac{m_t}{\sqrt{v_{t,i}} + \epsilon}

    with :math:`m_t` Adam's first moment (PyTorch's epsilon placement). Other leaves are
    plain Adam. A :math:`1024 \times 1024` matrix keeps 1024 second moments, not a million.

    Args:
      b1, b2: Adam's moment decays.
      eps: added to the root.
      subset_size: the subset size :math:`k` (positive), or ``-j`` for
        :math:`\sqrt{\text{size}} / j`.
      subset_norm: which leaves use subsets: ``None`` (default) for leaves of rank >= 2,
        ``True`` for all (scalars and vectors included), ``False`` for none (Adam), or a
        function of the leaf.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdamState`` (``nu`` holds one
      value per subset, shape ``(size / k, 1)``, on subset-normed leaves).

    References:
      Thien Hang Nguyen, Huy Le Nguyen. Subset-Norm and Subspace-Momentum: Faster
      Memory-Efficient Adaptive Optimization with Convergence Guarantees. 2024.
      https://arxiv.org/abs/2411.07120
    """
    _check_betas(b1=b1, b2=b2)
    check_nonnegative("eps", eps)
    if isinstance(subset_size, bool) or not isinstance(subset_size, (int, np.integer)):
        raise ValueError(f"subset_size must be a nonzero integer, got {subset_size!r}")
    if subset_size == 0:
        raise ValueError("subset_size must be a nonzero integer, got 0")
    if subset_norm is None:
        chosen: Callable[[jax.Array], bool] = lambda x: x.ndim >= 2  # noqa: E731
    elif isinstance(subset_norm, bool):
        chosen = lambda x: subset_norm  # type: ignore[assignment,return-value]  # noqa: E731
    else:
        chosen = subset_norm

    def rows(x):
        return x.reshape(-1, _subset_size(x.size, subset_size))

    def init_fn(params):
        def nu0(x):
            return jnp.zeros((rows(x).shape[0], 1), x.dtype) if chosen(x) else jnp.zeros_like(x)

        mu = optax.tree.zeros_like(params)
        return ScaleByAdamState(count=jnp.zeros([], jnp.int32), mu=mu, nu=jax.tree.map(nu0, params))

    def update_fn(updates, state, params=None):
        del params
        mu = _ema(updates, state.mu, b1)

        def square(g):
            return jnp.sum(rows(_square(g)), axis=1, keepdims=True) if chosen(g) else _square(g)

        nu = _ema(jax.tree.map(square, updates), state.nu, b2)
        count = optax.safe_increment(state.count)
        factor = _torch_adam_factor(count, b1, b2)

        def one(m, v):
            f = factor.astype(m.dtype)
            if chosen(m):
                return (f * rows(m) / (jnp.sqrt(v) + eps)).reshape(m.shape)
            return f * m / (jnp.sqrt(v) + eps)

        return jax.tree.map(one, mu, nu), ScaleByAdamState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByAidaState(NamedTuple):
    """Step count, first moment and variance of the projected residual (:func:`scale_by_aida`)."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    mu: Any
    nu: Any


def _bias_correction(decay: jax.typing.ArrayLike, count: jax.Array, dtype: Any) -> jax.Array:
    """:math:`1 - \\beta^t`, formed in at least float32, in ``dtype``."""
    wide = jnp.promote_types(dtype, jnp.float32)
    return (1 - power(jnp.asarray(decay, wide), count.astype(wide))).astype(dtype)


def scale_by_aida(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    k: int = 2,
    xi: jax.typing.ArrayLike = 1e-20,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 1e-15,
    eps_denom: jax.typing.ArrayLike | None = None,
) -> optax.GradientTransformation:
    r"""Aida's scaling: AdaBelief with the residual taken between mutually projected vectors.

    Per leaf (whole tensors, any rank), :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t`; then
    :math:`\tilde g \leftarrow g_t`, :math:`\tilde m \leftarrow m_t` and, ``k`` times,

    .. math::
       \tilde g \leftarrow \frac{\langle \tilde g, \tilde m\rangle}{\|\tilde g\|^2 + \xi}
       \tilde g,\qquad
       \tilde m \leftarrow \frac{\langle \tilde g, \tilde m\rangle}{\|\tilde m\|^2 + \xi}
       \tilde m

    (both with the inner product before the step), which shrinks the two towards each other;

    .. math::
       v_t = \beta_2 v_{t-1} + (1-\beta_2)(\tilde m - \tilde g)^2 + \epsilon,\qquad
       u_t = \frac{m_t / (1-\beta_1^t)}
       {(\sqrt{v_t + \epsilon_r} + \epsilon_d) / \sqrt{1-\beta_2^t}}.

    Args:
      b1: first-moment decay in ``[0, 1)``.
      b2: second-moment decay in ``[0, 1)``.
      k: number of mutual projections (>= 0; 0 gives AdaBelief's residual).
      xi: added to the squared norms of the projections.
      eps: added to the variance each step.
      eps_root: :math:`\epsilon_r`, added under the root (pytorch_optimizer's 1e-15; the
        authors' code: 0).
      eps_denom: :math:`\epsilon_d`, added to the root; ``None`` for ``eps``
        (pytorch_optimizer; the authors' code: 0).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByAidaState`.

    References:
      Guoqiang Zhang, Kenta Niwa, W. Bastiaan Kleijn. A DNN Optimizer that Improves over
      AdaBelief by Suppression of the Adaptive Stepsize Range. 2022.
      https://arxiv.org/abs/2203.13273
    """
    check_betas(b1, b2)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")
    check_nonnegative("xi", xi)
    check_nonnegative("eps", eps)
    check_nonnegative("eps_root", eps_root)
    eps_d = eps if eps_denom is None else eps_denom
    check_nonnegative("eps_denom", eps_d)

    def init_fn(params):
        return _zero_state(ScaleByAidaState, params, 2)

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)

        def one(g, m, v):
            m = m + (1 - b1) * (g - m)
            pg, pm = g, m
            for _ in range(k):
                dot = jnp.sum(pg * pm)
                pg, pm = pg * (dot / (jnp.sum(pg * pg) + xi)), pm * (dot / (jnp.sum(pm * pm) + xi))
            r = pm - pg
            v = b2 * v + (1 - b2) * r * r + eps
            c1 = _bias_correction(b1, count, m.dtype)
            c2 = _bias_correction(b2, count, v.dtype)
            u = (m / c1) / ((jnp.sqrt(v + eps_root) + eps_d) / jnp.sqrt(c2))
            return u.astype(g.dtype), m, v

        out = jax.tree.map(one, updates, state.mu, state.nu)
        pick = lambda i: jax.tree.map(lambda _, o: o[i], updates, out)  # noqa: E731
        return pick(0), ScaleByAidaState(count, pick(1), pick(2))

    return optax.GradientTransformation(init_fn, update_fn)


__all__ += ["scale_by_aida", "ScaleByAidaState"]


# ------------------------------------------------------------------ ACProp (optax.contrib)


def scale_by_acprop(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-16,
    eps_root: jax.typing.ArrayLike = 1e-16,
) -> optax.GradientTransformation:
    r"""ACProp's direction: the raw gradient over the previous step's centred second moment.

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad
       s_t = \beta_2 s_{t-1} + (1-\beta_2) (g_t - m_{t-1})^2 + \epsilon_{root},\\
       u_t = \frac{g_t}{\sqrt{s_{t-1}/(1-\beta_2^{t-1})} + \epsilon}
       \quad (t > 1),\qquad u_1 = \frac{g_1}{1 + \epsilon}.

    Asynchronous: the denominator uses only information up to step :math:`t-1`, the
    numerator the current gradient, and the second moment is centred on the first moment
    as in AdaBelief (the prediction error uses :math:`m_{t-1}`, as optax does). Elementwise on
    leaves of any rank. The same numbers and state class (``optax.ScaleByBeliefState``) as
    ``optax.contrib.scale_by_acprop``.

    Args:
      b1: decay :math:`\beta_1` of the first moment, in ``[0, 1)``.
      b2: decay :math:`\beta_2` of the centred second moment, in ``[0, 1)``.
      eps: :math:`\epsilon` added outside the square root, ``>= 0``.
      eps_root: :math:`\epsilon_{root}` added to the second moment each step, ``>= 0``.

    Returns:
      A ``GradientTransformation`` whose state is ``optax.ScaleByBeliefState``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.scale_by_acprop()
      >>> updates, state = tx.update(jnp.ones(2), tx.init(jnp.zeros(2)))

    References:
      Juntang Zhuang, Yifan Ding, Tommy Tang, Nicha Dvornek, Sekhar Tatikonda, James S.
      Duncan. Momentum Centering and Asynchronous Update for Adaptive Gradient Methods. 2021.
      https://arxiv.org/abs/2110.05454
    """
    _check_adam(b1, b2, eps, eps_root)

    def init_fn(params):
        return _adam_init(params, state=ScaleByBeliefState)

    def update_fn(updates, state, params=None):
        del params
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        error = jax.tree.map(lambda g, m: g - m, updates, state.mu)
        nu = optax.tree.update_moment_per_elem_norm(error, state.nu, b2, 2)
        nu = jax.tree.map(lambda v: v + eps_root, nu)
        count_inc = optax.safe_increment(state.count)
        # The denominator is last step's debiased moment; on the first step it is 1.
        first = state.count == 0
        nu_prev = optax.tree.bias_correction(state.nu, b2, jnp.where(first, count_inc, state.count))
        nu_prev = jax.tree.map(lambda v: jnp.where(first, 1, v), nu_prev)
        new = jax.tree.map(lambda g, v: g / (jnp.sqrt(v) + eps), updates, nu_prev)
        return new, ScaleByBeliefState(count=count_inc, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_adamc(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    amsgrad: bool = False,
) -> optax.GradientTransformation:
    r"""AdamC's direction: Adam with PyTorch's epsilon placement (optionally AMSGrad).

    .. math::
       u_t = \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}
       \frac{m_t}{\sqrt{\tilde v_t + \epsilon_r} + \epsilon}

    with :math:`\tilde v_t = v_t`, or :math:`\max_{s \le t} v_s` with ``amsgrad``.
    AdamC's change is in the weight decay (see :func:`optzoo.adamc`). Element-wise: every
    leaf shape alike.

    Args:
      b1, b2: Adam's moment decays.
      eps: added to the root.
      eps_root: added to the second moment inside the root.
      amsgrad: use the running maximum of the second moment.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAmsgradState`` (``nu_max`` is
      ``nu`` itself, no extra tree, without ``amsgrad``).

    References:
      Aaron Defazio, Konstantin Mishchenko, Parameswaran Raman, Hao-Jun Michael Shi, Lin Xiao.
      Why Gradients Rapidly Increase Near the End of Training. 2025.
      https://arxiv.org/abs/2506.02285
    """
    _check_betas(b1=b1, b2=b2)
    check_nonnegative("eps", eps)
    check_nonnegative("eps_root", eps_root)

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        return ScaleByAmsgradState(
            count=jnp.zeros([], jnp.int32), mu=zeros, nu=zeros, nu_max=zeros if amsgrad else ()
        )

    def update_fn(updates, state, params=None):
        del params
        count, mu, nu = _adam_moments(updates, state, b1, b2)
        nu_max = jax.tree.map(jnp.maximum, state.nu_max, nu) if amsgrad else ()
        factor = _torch_adam_factor(count, b1, b2)
        out = jax.tree.map(
            lambda m, v: factor.astype(m.dtype) * m / (jnp.sqrt(v + eps_root) + eps),
            mu,
            nu_max if amsgrad else nu,
        )
        return out, ScaleByAmsgradState(count=count, mu=mu, nu=nu, nu_max=nu_max)

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
