"""Learning-rate-free optimizers: Prodigy, D-Adaptation (Adam and SGD) and Mechanic.

``prodigy``, ``dadapt_adamw`` and ``mechanize`` give ``optax.contrib``'s numbers and use its
state classes; ``dadapt_sgd`` follows the paper's Algorithm (SGD form) as implemented by the
authors (checked against ``pytorch_optimizer.DAdaptSGD``).
"""

from __future__ import annotations

import math
from typing import Any, Literal, NamedTuple

import jax
import jax.numpy as jnp
import optax
from optax.contrib import DAdaptAdamWState, MechanicState, MomoAdamState, MomoState, ProdigyState

from optzoo.core.dtypes import tree_dtype
from optzoo.core.eager import integer_power
from optzoo.core.validation import (
    check_decay,
    check_finite,
    check_nonnegative,
    check_positive,
    check_positive_int,
    concrete_value,
)
from optzoo.optimizers._common import with_coupled_decay
from optzoo.registry import Authors, Reference, register
from optzoo.transforms._moments import _zeros_state
from optzoo.transforms.adam import scale_by_adam
from optzoo.transforms.learning_rate_free import (
    scale_by_adgd,
    scale_by_cocob,
    scale_by_dog,
    scale_by_dowg,
    scale_by_ldog,
)
from optzoo.transforms.scaling import scale_by_learning_rate
from optzoo.transforms.weight_decay import add_decayed_weights

__all__ = [
    "cocob",
    "dog",
    "prodigy",
    "dadapt_adamw",
    "mechanize",
    "mechanic",
    "DAdaptSGDState",
    "dadapt_sgd",
    "DAdaptLionState",
    "dadapt_lion",
    "DAdaptAdaGradState",
    "dadapt_adagrad",
    "AliGState",
    "alig",
    "ldog",
    "AdamGState",
    "adamg",
    "DAdaptAdanState",
    "dadapt_adan",
    "dowg",
    "momo",
    "momo_adam",
    "adgd",
]


MISHCHENKO_2023_PRODIGY = Reference(
    "Konstantin Mishchenko, Aaron Defazio",
    "Prodigy: An Expeditiously Adaptive Parameter-Free Learner",
    2023,
    "https://arxiv.org/abs/2306.06101",
)


DEFAZIO_2023_DADAPT = Reference(
    "Aaron Defazio, Konstantin Mishchenko",
    "Learning-Rate-Free Learning by D-Adaptation",
    2023,
    "https://arxiv.org/abs/2301.07733",
)


IVGI_2023_DOG = Reference(
    "Maor Ivgi, Oliver Hinder, Yair Carmon",
    "DoG is SGD's Best Friend: A Parameter-Free Dynamic Step Size Schedule",
    2023,
    "https://arxiv.org/abs/2302.12022",
)


ORABONA_2017_COCOB = Reference(
    "Francesco Orabona, Tatiana Tommasi",
    "Training Deep Networks without Learning Rates Through Coin Betting",
    2017,
    "https://arxiv.org/abs/1705.07795",
)


CUTKOSKY_2023_MECHANIC = Reference(
    "Ashok Cutkosky, Aaron Defazio, Harsh Mehta",
    "Mechanic: A Learning Rate Tuner",
    2023,
    "https://arxiv.org/abs/2306.00144",
)


def _lr_at(learning_rate, count):
    return learning_rate(count) if callable(learning_rate) else learning_rate


def _bias_correction(enabled, beta1, beta2, count):
    """Adam's step factor sqrt(1 - beta2^k) / (1 - beta1^k), or 1 when disabled."""
    if not enabled:
        return 1.0
    return ((1 - integer_power(beta2, count)) ** 0.5) / (1 - integer_power(beta1, count))


def _check_growth_rate(growth_rate):
    if concrete_value(growth_rate) != math.inf:  # inf (no limit) is the default
        check_positive("growth_rate", growth_rate)


def _check_dadapt(learning_rate, weight_decay, d0, growth_rate=math.inf):
    """The checks the D-Adaptation SGD, AdaGrad, Lion and Adan variants share."""
    check_nonnegative("weight_decay", weight_decay)
    check_finite("learning_rate", learning_rate)
    check_positive("d0", d0)
    _check_growth_rate(growth_rate)


def _check_adam_estimate(betas, eps, weight_decay, learning_rate, estim_lr0):
    """The checks Prodigy and D-Adapt Adam share; returns ``(beta1, beta2)``."""
    check_nonnegative("eps", eps)
    check_nonnegative("weight_decay", weight_decay)
    check_finite("learning_rate", learning_rate)
    beta1, beta2 = betas
    check_decay("beta1", beta1)
    check_decay("beta2", beta2)
    check_positive("estim_lr0", estim_lr0)
    return beta1, beta2


def _adam_estimate_fields(params, estim_lr0):
    """The fields optax's ``ProdigyState`` and ``DAdaptAdamWState`` share, at the start."""
    dtype = tree_dtype(params, "lowest")
    return dict(
        exp_avg=optax.tree.zeros_like(params),
        exp_avg_sq=optax.tree.zeros_like(params),
        grad_sum=optax.tree.zeros_like(params),
        estim_lr=jnp.asarray(estim_lr0, dtype=dtype),
        numerator_weighted=jnp.zeros([], dtype=dtype),
        count=jnp.zeros([], jnp.int32),
    )


def _require_params(name, params):
    if params is None:
        raise ValueError(f"{name} needs params")


def _with_l2(updates, params, weight_decay, decouple):
    r"""The gradient plus :math:`\lambda x` unless the decay is ``decouple``-d."""
    if decouple:
        return updates
    return jax.tree.map(lambda g, p: g + weight_decay * p, updates, params)


def _dadapt_init(state_cls, d0, *, promote=True, **trees):
    """``init`` of a D-Adaptation state: step count 0, estimate ``d0``, each of ``trees``
    (functions of the params), every other field a scalar 0 in the estimate's dtype."""

    def init_fn(params):
        dtype = tree_dtype(params, "lowest")
        if promote:
            dtype = jnp.promote_types(dtype, jnp.float32)
        fields = {name: make(params) for name, make in trees.items()}
        fields.update(count=jnp.zeros([], jnp.int32), d=jnp.asarray(d0, dtype=dtype))
        for name in state_cls._fields:
            fields.setdefault(name, jnp.zeros([], dtype=dtype))
        return state_cls(**fields)

    return init_fn


def _params_tree(params):
    return params


def _estimated_step(learning_rate, state):
    r"""This step's learning rate and the step :math:`d_k \eta_k` it scales."""
    lr = _lr_at(learning_rate, state.count)
    return lr, state.d * lr


def _total(tree, dtype):
    """The sum of the tree's (scalar) leaves, from a zero of ``dtype``."""
    return sum(jax.tree.leaves(tree), start=jnp.zeros([], dtype))


def _grow(d, d_hat, growth_rate, ok):
    """The estimate never shrinks and grows at most ``growth_rate``-fold; kept where not ``ok``."""
    return jnp.where(ok, jnp.maximum(d, jnp.minimum(d_hat, d * growth_rate)), d)


@register(
    "prodigy",
    family="learning_rate_free",
    reference=MISHCHENKO_2023_PRODIGY,
    state_per_param=4,
    also_in=("optax.contrib",),
    authors=Authors(
        code="prodigyopt==1.1.2",
        preset={"use_bias_correction": False},
        differences="optzoo bias-corrects the step (as optax.contrib); the authors' default "
        "use_bias_correction=False does not",
    ),
)
def prodigy(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    betas: tuple[jax.typing.ArrayLike, jax.typing.ArrayLike] = (0.9, 0.999),
    beta3: jax.typing.ArrayLike | None = None,
    eps: jax.typing.ArrayLike = 1e-8,
    estim_lr0: jax.typing.ArrayLike = 1e-6,
    estim_lr_coef: jax.typing.ArrayLike = 1.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    safeguard_warmup: bool = False,
    use_bias_correction: bool = True,
    decouple: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""Prodigy: Adam whose step :math:`d_k` estimates the distance to the solution.

    optzoo bias-corrects the step (as ``optax.contrib``); the authors' package does not by
    default: ``optzoo.create("prodigy", preset="authors")`` gives the authors' defaults.

    With :math:`\hat\eta_k = d_k \eta_k \sqrt{1-\beta_2^k}/(1-\beta_1^k)`:

    .. math::
       m = \beta_1 m + (1-\beta_1) d_k g,\quad v = \beta_2 v + (1-\beta_2) d_k^2 g^2,\\
       r = \beta_3 r + \tfrac{d_k}{d_0}\hat\eta_k \langle g, x_0 - x\rangle,\quad
       s = \beta_3 s + \tfrac{\hat\eta_k d_k}{d_0} g,\quad
       d_{k+1} = \max(d_k,\ c\, r/\|s\|_1),\\
       x \leftarrow x - \hat\eta_k \big(m/(\sqrt v + d_{k+1}\epsilon) + \lambda x\big).

    Args:
      learning_rate: multiplier/schedule on the estimated step (keep 1 or a decay schedule).
      betas: :math:`(\beta_1, \beta_2)`.
      beta3: decay of the numerator and :math:`s`; default :math:`\sqrt{\beta_2}`.
      eps: denominator (scaled by the updated estimate :math:`d_{k+1}`, as optax does).
      estim_lr0: initial estimate :math:`d_0`.
      estim_lr_coef: :math:`c`.
      weight_decay: :math:`\lambda` (decoupled).
      safeguard_warmup: leave the learning rate out of :math:`s` (for warm-up schedules).
      use_bias_correction: include Adam's factor :math:`\sqrt{1-\beta_2^k}/(1-\beta_1^k)` in
        :math:`\hat\eta_k` (``False``: the authors' default, factor 1).
      decouple: decoupled (AdamW) weight decay; ``False`` adds :math:`\lambda x` to the
        gradient instead (L2), before every statistic.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.contrib.prodigy``; needs params.

    Example:
      >>> import optzoo
      >>> tx = optzoo.prodigy()

    References:
      Mishchenko, Defazio. Prodigy: An Expeditiously Adaptive Parameter-Free Learner. 2023.
      https://arxiv.org/abs/2306.06101
    """
    beta1, beta2 = _check_adam_estimate(betas, eps, weight_decay, learning_rate, estim_lr0)
    check_positive("estim_lr_coef", estim_lr_coef)
    if beta3 is None:
        beta3 = beta2**0.5

    def init_fn(params):
        return ProdigyState(params0=params, **_adam_estimate_fields(params, estim_lr0))

    def update_fn(updates, state, params=None, **extra_args):
        del extra_args
        _require_params("prodigy", params)
        updates = _with_l2(updates, params, weight_decay, decouple)
        d = state.estim_lr
        count_inc = optax.safe_increment(state.count)
        bc = _bias_correction(use_bias_correction, beta1, beta2, count_inc)
        dlr = jnp.asarray(d * _lr_at(learning_rate, state.count) * bc, dtype=d.dtype)
        dg = jax.tree.map(lambda g: d * g, updates)
        inner = optax.tree.vdot(updates, jax.tree.map(lambda a, b: a - b, state.params0, params))
        exp_avg = jax.tree.map(lambda m, x: beta1 * m + (1 - beta1) * x, state.exp_avg, dg)
        exp_avg_sq = jax.tree.map(
            lambda v, x: beta2 * v + (1 - beta2) * x * x, state.exp_avg_sq, dg
        )
        s_scale = d if safeguard_warmup else dlr
        grad_sum = jax.tree.map(
            lambda s, x: beta3 * s + s_scale * x / estim_lr0, state.grad_sum, dg
        )
        numerator = beta3 * state.numerator_weighted
        numerator += (d / estim_lr0) * dlr * inner
        l1 = optax.tree.sum(jax.tree.map(jnp.abs, grad_sum))
        # An all-zero gradient history gives 0 / 0: keep the estimate (the reference skips).
        safe_l1 = jnp.where(l1 > 0, l1, 1.0)
        new_d = jnp.where(l1 > 0, jnp.maximum(d, estim_lr_coef * numerator / safe_l1), d)
        decoupled = weight_decay if decouple else 0.0
        step = jax.tree.map(
            lambda m, v, p: -decoupled * dlr * p - dlr * m / (jnp.sqrt(v) + new_d * eps),
            exp_avg,
            exp_avg_sq,
            params,
        )
        new_state = ProdigyState(
            exp_avg, exp_avg_sq, grad_sum, state.params0, new_d, numerator, count_inc
        )
        # Mixed-precision trees: the inner products are float32; the state and the
        # updates keep their own dtypes.
        return optax.tree.cast_like(step, updates), optax.tree.cast_like(new_state, state)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


@register(
    "dadapt_adam",
    family="learning_rate_free",
    reference=DEFAZIO_2023_DADAPT,
    state_per_param=3,
    also_in=(),
    authors=Authors(
        code="dadaptation==3.2",
        preset={"decouple": False, "use_bias_correction": False},
        differences="optzoo decouples the weight decay and bias-corrects the step (as "
        "optax.contrib); the authors' defaults are L2 decay on the gradient and no bias "
        "correction",
    ),
)
def dadapt_adamw(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    betas: tuple[jax.typing.ArrayLike, jax.typing.ArrayLike] = (0.9, 0.999),
    eps: jax.typing.ArrayLike = 1e-8,
    estim_lr0: jax.typing.ArrayLike = 1e-6,
    weight_decay: jax.typing.ArrayLike = 0.0,
    decouple: bool = True,
    use_bias_correction: bool = True,
    growth_rate: jax.typing.ArrayLike = float("inf"),
) -> optax.GradientTransformationExtraArgs:
    r"""D-Adaptation Adam(W): Adam whose step size :math:`d_k` is a lower bound on
    :math:`\|x_0 - x_*\|` built from the iterates.

    optzoo decouples the decay and bias-corrects (as ``optax.contrib``); the authors' package
    defaults to neither: ``optzoo.create("dadapt_adam", preset="authors")`` gives them.

    With :math:`\hat\eta_k = d_k\eta_k\sqrt{1-\beta_2^k}/(1-\beta_1^k)` and
    :math:`\gamma = \sqrt{\beta_2}`:

    .. math::
       r = \gamma r + (1-\gamma)\hat\eta_k \langle g, s/(\sqrt v + \epsilon)\rangle,\quad
       m = \beta_1 m + (1-\beta_1)\hat\eta_k g,\quad v = \beta_2 v + (1-\beta_2) g^2,\\
       s = \gamma s + (1-\gamma)\hat\eta_k g,\quad
       d_{k+1} = \max\big(d_k,\ r/((1-\gamma)\|s\|_1)\big),\quad
       x \leftarrow x - m/(\sqrt v + \epsilon) - \lambda\hat\eta_k x.

    Registered as ``dadapt_adam`` (``weight_decay=0`` is D-Adapt Adam).

    Args:
      learning_rate: multiplier/schedule on the estimated step.
      betas: :math:`(\beta_1, \beta_2)`.
      eps: denominator.
      estim_lr0: initial estimate :math:`d_0`.
      weight_decay: :math:`\lambda` (decoupled).
      decouple: decoupled (AdamW) weight decay; ``False`` adds :math:`\lambda x` to the
        gradient instead (L2, the authors' default).
      use_bias_correction: include Adam's factor in :math:`\hat\eta_k` (``False``: the
        authors' default, factor 1).
      growth_rate: cap on :math:`d_{k+1}/d_k` (the authors' ``growth_rate``; no cap by
        default).

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.contrib.dadapt_adamw`` (with the
      default flags).

    Example:
      >>> import optzoo
      >>> tx = optzoo.dadapt_adamw(betas=(0.9, 0.99))

    References:
      Defazio, Mishchenko. Learning-Rate-Free Learning by D-Adaptation. 2023.
      https://arxiv.org/abs/2301.07733
    """
    beta1, beta2 = _check_adam_estimate(betas, eps, weight_decay, learning_rate, estim_lr0)
    _check_growth_rate(growth_rate)

    def init_fn(params):
        return DAdaptAdamWState(**_adam_estimate_fields(params, estim_lr0))

    def update_fn(updates, state, params=None, **extra_args):
        del extra_args
        _require_params("dadapt_adamw", params)
        updates = _with_l2(updates, params, weight_decay, decouple)
        sb2 = beta2**0.5
        count_inc = optax.safe_increment(state.count)
        bc = _bias_correction(use_bias_correction, beta1, beta2, count_inc)
        dlr = (state.estim_lr * _lr_at(learning_rate, state.count) * bc).astype(
            state.numerator_weighted.dtype
        )
        weighted_s = jax.tree.map(
            lambda s, v: s / (jnp.sqrt(v) + eps), state.grad_sum, state.exp_avg_sq
        )
        inner = optax.tree.vdot(updates, weighted_s)
        exp_avg = jax.tree.map(
            lambda m, g: beta1 * m + (1 - beta1) * dlr * g, state.exp_avg, updates
        )
        exp_avg_sq = jax.tree.map(
            lambda v, g: beta2 * v + (1 - beta2) * g * g, state.exp_avg_sq, updates
        )
        grad_sum = jax.tree.map(lambda s, g: sb2 * s + (1 - sb2) * dlr * g, state.grad_sum, updates)
        l1 = optax.tree.sum(jax.tree.map(jnp.abs, grad_sum))
        numerator = sb2 * state.numerator_weighted + (1 - sb2) * dlr * inner
        # An all-zero gradient history gives 0 / 0: keep the estimate (the reference skips).
        safe_l1 = jnp.where(l1 > 0, l1, 1.0)
        new_d = _grow(state.estim_lr, numerator / ((1 - sb2) * safe_l1), growth_rate, l1 > 0)
        decoupled = weight_decay if decouple else 0.0
        step = jax.tree.map(
            lambda m, v, p: -decoupled * dlr * p - m / (jnp.sqrt(v) + eps),
            exp_avg,
            exp_avg_sq,
            params,
        )
        new_state = DAdaptAdamWState(exp_avg, exp_avg_sq, grad_sum, new_d, numerator, count_inc)
        # Mixed-precision trees: the inner products are float32, the state keeps its dtypes.
        return step, optax.tree.cast_like(new_state, state)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def mechanize(
    base_optimizer: optax.GradientTransformation,
    weight_decay: jax.typing.ArrayLike = 1e-2,
    eps: jax.typing.ArrayLike = 1e-8,
    s_init: jax.typing.ArrayLike = 1e-6,
    num_betas: int = 6,
    variant: Literal["optax", "authors"] = "optax",
) -> optax.GradientTransformationExtraArgs:
    r"""Mechanic: learns a global scale :math:`s` of another optimizer's updates online.

    With :math:`\Delta_t` the sum of the base updates and
    :math:`h_t = \langle g_t + \lambda \tfrac{\sum s\,\|g\|}{\|x\|} x_t,\ \Delta_{t-1}\rangle`,
    for each :math:`\beta` in :math:`\{1 - 10^{-i}\}_{i=1}^{n}`:

    .. math::
       m = \max(\beta m, |h| + \epsilon),\quad v = \beta^2 v + h^2,\quad
       r = \beta r + \operatorname{clip}(h, \pm m_{old})\, s,\\
       s = \big(\tfrac{s_{init}}{n} m + \max(r, 0)\big)/(\sqrt v + \epsilon),\qquad
       x_{t+1} = x_0 + \textstyle\sum s \cdot \Delta_t.

    That is ``optax.contrib``'s form (:math:`s_0 = s_{init}`, :math:`m_0 = 0`).
    ``variant="authors"`` follows the authors' package (``mechanic-pytorch``) and the paper's
    Algorithm 1 instead: :math:`s_0 = 0`, :math:`m_0 = 10^{-6}`,
    :math:`m = \max(\beta m, |h|)`, :math:`r = \max(\beta r + h s, 0)` (no clipping of
    :math:`h`, the reward itself kept non-negative), and the decay term of :math:`h` taken at
    the parameters after the base step, :math:`x_t + u_t`.

    Args:
      base_optimizer: the optimizer whose updates are scaled.
      weight_decay: :math:`\lambda` of the scale-aware weight decay on the gradient.
      eps: stabiliser.
      s_init: initial scale.
      num_betas: number of :math:`\beta` values :math:`n`.
      variant: ``"optax"`` (``optax.contrib.mechanize``) or ``"authors"`` (the authors'
        package; see above).

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.contrib.mechanize`` (with the
      default ``variant``).

    Example:
      >>> import optzoo
      >>> tx = optzoo.mechanize(optzoo.sgd(1.0))

    References:
      Cutkosky, Defazio, Mehta. Mechanic: A Learning Rate Tuner. 2023.
      https://arxiv.org/abs/2306.00144
    """
    check_nonnegative("weight_decay", weight_decay)
    check_positive("s_init", s_init)
    if variant not in ("optax", "authors"):
        raise ValueError(f"mechanize: variant must be 'optax' or 'authors', got {variant!r}")
    authors = variant == "authors"
    base_optimizer = optax.with_extra_args_support(base_optimizer)

    def init_fn(params):
        dtype = tree_dtype(params, "lowest")
        zeros = jnp.zeros([num_betas], dtype=dtype)
        return MechanicState(
            base_optimizer_state=base_optimizer.init(params),
            count=jnp.zeros([], jnp.int32),
            r=zeros,
            # The authors' package starts the running max at 1e-6 and the scale at 0.
            m=jnp.full([num_betas], 1e-6, dtype=dtype) if authors else zeros,
            v=zeros,
            s=zeros if authors else jnp.ones([num_betas], dtype=dtype) * s_init,
            x0=params,
        )

    def update_fn(updates, state, params=None, **extra_args):
        _require_params("mechanize", params)
        base_updates, base_state = base_optimizer.update(
            updates, state.base_optimizer_state, params, **extra_args
        )
        # Start from the parameters seen at the first update (they may have been replaced).
        # A select, not lax.cond: fresh branch closures would compile anew on every eager step.
        x0 = optax.tree.where(state.count == 0, params, state.x0)
        s_sum = jnp.sum(state.s)
        g_norm = optax.tree.norm(updates)
        # The authors' package evaluates its decay term after the base step has moved the
        # parameters (at x_t + u_t); optax at x_t.
        at = optax.apply_updates(params, base_updates) if authors else params
        p_norm = optax.tree.norm(at)
        grads = jax.tree.map(
            lambda g, p: g + weight_decay * s_sum * g_norm / (p_norm + eps) * p, updates, at
        )
        delta_prev = jax.tree.map(lambda x, a: (a - x) / (s_sum + eps), params, x0)
        delta = jax.tree.map(lambda a, u: a - u, delta_prev, base_updates)
        h = jnp.asarray(optax.tree.vdot(grads, delta_prev), state.m.dtype)
        clipped_h = jax.lax.clamp(-state.m, jnp.ones_like(state.m) * h, state.m)
        # The count comes from the state, so a traced num_betas (inject_hyperparams) works.
        n_betas = state.s.shape[0]
        betas = jnp.array([1.0 - 0.1**i for i in range(1, n_betas + 1)], dtype=state.s.dtype)
        if authors:
            m = jnp.maximum(betas * state.m, jnp.abs(h))
            r = jnp.maximum(betas * state.r + h * state.s, 0.0)
        else:
            m = jnp.maximum(betas * state.m, jnp.abs(h) + eps)
            r = betas * state.r + clipped_h * state.s
        v = (betas**2) * state.v + h**2
        wealth = (s_init / jnp.size(betas)) * m + jnp.maximum(0.0, r)
        s = wealth / (jnp.sqrt(v) + eps)
        new_params = jax.tree.map(lambda a, d: a - jnp.sum(s) * d, x0, delta)
        step = jax.tree.map(lambda a, b: a - b, new_params, params)
        new_state = MechanicState(
            base_optimizer_state=base_state,
            count=optax.safe_increment(state.count),
            r=r,
            m=m,
            v=v,
            s=s,
            x0=x0,
        )
        # Mixed-precision trees: the inner products are float32, the state keeps its dtypes.
        return step, optax.tree.cast_like(new_state, state)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


@register(
    "mechanic",
    family="learning_rate_free",
    reference=CUTKOSKY_2023_MECHANIC,
    state_per_param=3,
    also_in=(),
    authors=Authors(
        code="mechanic-pytorch==0.0.1",
        preset={"s_init": 1e-8, "variant": "authors"},
        differences="optzoo follows optax.contrib (s_init 1e-6 used as the first scale, h "
        "clipped to the running max, reward clamped only in the wealth); the authors' package "
        "starts s at 0 with s_init 1e-8, no clipping, reward kept non-negative, decay term "
        "at the parameters after the base step",
    ),
)
def mechanic(
    learning_rate: optax.ScalarOrSchedule = 1e-3,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 1e-2,
    s_init: jax.typing.ArrayLike = 1e-6,
    num_betas: int = 6,
    base_optimizer: optax.GradientTransformation | None = None,
    variant: Literal["optax", "authors"] = "optax",
) -> optax.GradientTransformationExtraArgs:
    r"""Mechanic wrapped around Adam (or around ``base_optimizer`` when given).

    optzoo follows ``optax.contrib.mechanize``, which differs from the authors' package in
    its scale update: ``optzoo.create("mechanic", preset="authors")`` gives the authors'.

    ``mechanize(adam(learning_rate, b1, b2, eps), weight_decay, eps, s_init, num_betas)``;
    the learned scale makes the result insensitive to ``learning_rate``.

    Args:
      learning_rate: Adam's learning rate (ignored with ``base_optimizer``).
      b1, b2, eps: Adam's hyperparameters (``eps`` is also Mechanic's).
      weight_decay: Mechanic's weight decay.
      s_init: initial scale.
      num_betas: number of averaging rates.
      base_optimizer: an optimizer to wrap instead of Adam.
      variant: ``"optax"`` or ``"authors"``, see :func:`mechanize`.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.mechanic()

    References:
      Cutkosky, Defazio, Mehta. Mechanic: A Learning Rate Tuner. 2023.
      https://arxiv.org/abs/2306.00144
    """
    check_positive_int("num_betas", num_betas)
    check_finite("learning_rate", learning_rate)
    if base_optimizer is None:
        base_optimizer = optax.chain(
            scale_by_adam(b1=b1, b2=b2, eps=eps), scale_by_learning_rate(learning_rate)
        )
    return mechanize(
        base_optimizer,
        weight_decay=weight_decay,
        eps=eps,
        s_init=s_init,
        num_betas=num_betas,
        variant=variant,
    )


class DAdaptSGDState(NamedTuple):
    """State of :func:`dadapt_sgd`."""

    count: jax.Array  # type: ignore[assignment]  # steps taken
    d: jax.Array  # current distance estimate d_k
    g0_norm: jax.Array  # norm of the first non-zero gradient
    numerator: jax.Array  # weighted sum of <g_k, s_k>
    s: optax.Updates  # weighted gradient sum
    x0: optax.Params  # initial parameters


@register(
    "dadapt_sgd",
    family="learning_rate_free",
    reference=DEFAZIO_2023_DADAPT,
    state_per_param=2,
    also_in=(),
    authors=Authors(
        code="dadaptation==3.2",
        preset={"momentum": 0.0},
        differences="optzoo averages the iterate with momentum 0.9; the authors' default is 0",
    ),
)
def dadapt_sgd(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    momentum: jax.typing.ArrayLike = 0.9,
    weight_decay: jax.typing.ArrayLike = 0.0,
    d0: jax.typing.ArrayLike = 1e-6,
    growth_rate: jax.typing.ArrayLike = float("inf"),
) -> optax.GradientTransformationExtraArgs:
    r"""D-Adaptation SGD with momentum, in primal-averaging (dual-averaging) form.

    optzoo's momentum is 0.9, the authors' package's 0:
    ``optzoo.create("dadapt_sgd", preset="authors")`` gives the authors' defaults.

    With :math:`\gamma_k = d_k \eta_k / \|g_0\|` and :math:`g_k` including :math:`\lambda x_k`:

    .. math::
       r_{k+1} = r_k + \gamma_k \langle g_k, s_k\rangle,\quad s_{k+1} = s_k + \gamma_k g_k,\quad
       d_{k+1} = \max\!\big(d_k,\ \min(2 r_{k+1}/\|s_{k+1}\|,\ \text{growth}\cdot d_k)\big),\\
       z_{k+1} = x_0 - s_{k+1},\qquad x_{k+1} = \mu x_k + (1-\mu) z_{k+1}.

    :math:`\|g_0\|` is the norm of the first gradient (before weight decay); steps with a zero
    first gradient are skipped. :math:`d` is only updated while :math:`\eta_k > 0`.

    Args:
      learning_rate: multiplier/schedule :math:`\eta_k` on the estimated step (keep 1).
      momentum: :math:`\mu`, averaging weight of the iterate, in ``[0, 1)``.
      weight_decay: coupled weight decay :math:`\lambda` (added to the gradient).
      d0: initial estimate :math:`d_0`.
      growth_rate: cap on :math:`d_{k+1}/d_k`.

    Returns:
      A ``GradientTransformationExtraArgs`` with state :class:`DAdaptSGDState`; needs params.

    Example:
      >>> import optzoo
      >>> tx = optzoo.dadapt_sgd()

    References:
      Defazio, Mishchenko. Learning-Rate-Free Learning by D-Adaptation. 2023.
      https://arxiv.org/abs/2301.07733
    """
    check_decay("momentum", momentum)
    _check_dadapt(learning_rate, weight_decay, d0, growth_rate)
    init_fn = _dadapt_init(
        DAdaptSGDState, d0, promote=False, s=optax.tree.zeros_like, x0=_params_tree
    )

    def update_fn(updates, state, params=None, **extra_args):
        del extra_args
        _require_params("dadapt_sgd", params)
        raw_norm = optax.tree.norm(updates).astype(state.g0_norm.dtype)
        g0_norm = jnp.where(state.count == 0, raw_norm, state.g0_norm)
        active = g0_norm > 0
        grads = jax.tree.map(lambda g, p: g + weight_decay * p, updates, params)
        lr = _lr_at(learning_rate, state.count)
        gamma = jnp.where(active, state.d * lr / jnp.where(active, g0_norm, 1.0), 0.0)
        numerator = state.numerator + gamma * optax.tree.vdot(grads, state.s)
        s = jax.tree.map(lambda a, g: a + gamma * g, state.s, grads)
        s_norm = optax.tree.norm(s)
        d_hat = 2.0 * numerator / jnp.where(s_norm > 0, s_norm, 1.0)
        new_d = _grow(state.d, d_hat, growth_rate, jnp.logical_and(active, lr > 0))
        step = jax.tree.map(
            lambda p, a, x0: jnp.where(active, (1 - momentum) * ((x0 - a) - p), 0.0).astype(
                p.dtype
            ),
            params,
            s,
            state.x0,
        )
        return step, DAdaptSGDState(
            count=jnp.where(active, optax.safe_increment(state.count), state.count),
            d=new_d.astype(state.d.dtype),
            g0_norm=g0_norm,
            numerator=numerator.astype(state.numerator.dtype),
            s=s,
            x0=state.x0,
        )

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


class DAdaptAdaGradState(NamedTuple):
    """State of :func:`dadapt_adagrad`."""

    count: jax.Array  # type: ignore[assignment]  # steps taken
    d: jax.Array  # current distance estimate d_k
    gsq_weighted: jax.Array  # sum of (d_k eta_k)^2 sum_i g_i^2 / (sqrt(alpha_i) + eps)
    alpha: optax.Updates  # 1e-6 plus the sum of squared gradients
    s: optax.Updates  # sum of d_k eta_k g_k
    x0: optax.Params  # initial parameters


@register(
    "dadapt_adagrad",
    family="learning_rate_free",
    reference=DEFAZIO_2023_DADAPT,
    state_per_param=3,
    also_in=(),
    authors=Authors(code="dadaptation==3.2"),
)
def dadapt_adagrad(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    momentum: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    eps: jax.typing.ArrayLike = 1e-6,
    d0: jax.typing.ArrayLike = 1e-6,
    growth_rate: jax.typing.ArrayLike = float("inf"),
) -> optax.GradientTransformationExtraArgs:
    r"""D-Adaptation AdaGrad, in dual-averaging form with a diagonal AdaGrad metric.

    With :math:`\gamma_k = d_k \eta_k`, :math:`g_k` including :math:`\lambda x_k`, and
    :math:`a_{k+1} = \sqrt{\alpha_{k+1}} + \epsilon` elementwise:

    .. math::
       \alpha_{k+1} = \alpha_k + g_k^2,\quad s_{k+1} = s_k + \gamma_k g_k,\quad
       G_{k+1} = G_k + \gamma_k^2 \textstyle\sum g_k^2 / a_{k+1},\\
       d_{k+1} = \max\!\Big(d_k,\ \min\big(
           (\textstyle\sum s_{k+1}^2 / a_{k+1} - G_{k+1}) / \|s_{k+1}\|_1,\
           \text{growth}\cdot d_k\big)\Big),\\
       z_{k+1} = x_0 - s_{k+1} / a_{k+1},\qquad x_{k+1} = \mu x_k + (1-\mu) z_{k+1},

    from :math:`\alpha_0 = 10^{-6}`, :math:`s_0 = 0`, :math:`G_0 = 0`. The sums and the
    :math:`\ell_1` norm run over the whole tree (every leaf rank alike); while
    :math:`\|s_{k+1}\|_1 = 0` the parameters and :math:`d` stay put, and :math:`d` is only
    updated while :math:`\eta_k > 0`, as in the authors' code (its dense path).

    Args:
      learning_rate, momentum, weight_decay, d0, growth_rate: as :func:`dadapt_sgd`.
      eps: :math:`\epsilon`, added to :math:`\sqrt{\alpha}`.

    Returns:
      A ``GradientTransformationExtraArgs`` with state :class:`DAdaptAdaGradState`; needs
      params.

    Example:
      >>> import optzoo
      >>> tx = optzoo.dadapt_adagrad(growth_rate=1.02)

    References:
      Defazio, Mishchenko. Learning-Rate-Free Learning by D-Adaptation. 2023.
      https://arxiv.org/abs/2301.07733
    """
    check_nonnegative("eps", eps)
    check_decay("momentum", momentum)
    _check_dadapt(learning_rate, weight_decay, d0, growth_rate)
    init_fn = _dadapt_init(
        DAdaptAdaGradState,
        d0,
        alpha=lambda params: jax.tree.map(lambda p: jnp.full_like(p, 1e-6), params),
        s=optax.tree.zeros_like,
        x0=_params_tree,
    )

    def update_fn(updates, state, params=None, **extra_args):
        del extra_args
        _require_params("dadapt_adagrad", params)
        ct = state.d.dtype
        lr, dlr = _estimated_step(learning_rate, state)
        grads = jax.tree.map(
            lambda g, p: g.astype(ct) + weight_decay * p.astype(ct), updates, params
        )
        alpha = jax.tree.map(lambda a, g: a.astype(ct) + g * g, state.alpha, grads)
        denom = jax.tree.map(lambda a: jnp.sqrt(a) + eps, alpha)
        s = jax.tree.map(lambda a, g: a.astype(ct) + dlr * g, state.s, grads)
        g_sq = _total(jax.tree.map(lambda g, a: jnp.sum(g * g / a), grads, denom), ct)
        s_sq = _total(jax.tree.map(lambda v, a: jnp.sum(v * v / a), s, denom), ct)
        s_l1 = _total(jax.tree.map(lambda v: jnp.sum(jnp.abs(v)), s), ct)
        moving = s_l1 > 0
        gsq_weighted = jnp.where(moving, state.gsq_weighted + dlr * dlr * g_sq, state.gsq_weighted)
        d_hat = (s_sq - gsq_weighted) / jnp.where(moving, s_l1, 1.0)
        new_d = _grow(state.d, d_hat, growth_rate, jnp.logical_and(moving, lr > 0))
        step = jax.tree.map(
            lambda p, x0, v, a: jnp.where(
                moving, (1 - momentum) * (x0.astype(ct) - v / a - p.astype(ct)), 0.0
            ).astype(p.dtype),
            params,
            state.x0,
            s,
            denom,
        )
        return step, DAdaptAdaGradState(
            count=jnp.where(moving, optax.safe_increment(state.count), state.count),
            d=new_d.astype(ct),
            gsq_weighted=gsq_weighted.astype(ct),
            alpha=jax.tree.map(lambda old, new: new.astype(old.dtype), state.alpha, alpha),
            s=jax.tree.map(lambda old, new: new.astype(old.dtype), state.s, s),
            x0=state.x0,
        )

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


class DAdaptLionState(NamedTuple):
    """State of :func:`dadapt_lion`."""

    count: jax.Array  # type: ignore[assignment]  # steps taken
    d: jax.Array  # current distance estimate d_k
    numerator: jax.Array  # EMA of d_k eta_k <u_k, s_k>
    mu: optax.Updates  # gradient EMA, weighted by d_k eta_k
    s: optax.Updates  # EMA of the signed steps, weighted by d_k eta_k


@register(
    "dadapt_lion",
    family="learning_rate_free",
    reference=DEFAZIO_2023_DADAPT,
    state_per_param=2,
    also_in=(),
    authors=Authors(code="dadaptation==3.2"),
)
def dadapt_lion(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.99,
    weight_decay: jax.typing.ArrayLike = 0.0,
    d0: jax.typing.ArrayLike = 1e-6,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""D-Adaptation Lion: Lion's sign step, its size :math:`d_k` estimated on the fly.

    With :math:`\gamma_k = d_k \eta_k` and :math:`\beta = \sqrt{\beta_2}`:

    .. math::
       u_k = \operatorname{sign}(\beta_1 m_k + (1-\beta_1) g_k),\quad
       x_{k+1} = x_k - \gamma_k (u_k + \lambda x_k),\\
       m_{k+1} = \beta_2 m_k + (1-\beta_2)\gamma_k g_k,\quad
       r_{k+1} = \beta r_k + (1-\beta)\gamma_k \langle u_k, s_k\rangle,\quad
       s_{k+1} = \beta s_k + (1-\beta)\gamma_k u_k,\\
       d_{k+1} = \max\!\big(d_k,\ r_{k+1} / ((1-\beta)\|s_{k+1}\|_1)\big).

    As in the authors' code the momentum :math:`m` accumulates :math:`\gamma_k g_k` (not
    :math:`g_k`), the inner product and the :math:`\ell_1` norm run over the whole tree, and
    :math:`d` is kept while :math:`\|s_{k+1}\|_1 = 0` or :math:`\eta_k = 0`. Elementwise apart
    from those sums: every leaf rank is treated alike.

    Args:
      learning_rate, d0: as :func:`dadapt_sgd`.
      b1: :math:`\beta_1`, interpolation weight of the sign direction, in ``[0, 1)``.
      b2: :math:`\beta_2`, decay of the momentum (its square root decays :math:`r`, :math:`s`).
      weight_decay: decoupled weight decay :math:`\lambda`, scaled by :math:`\gamma_k`.
      mask: weight-decay mask (a tree of booleans or a callable of params).

    Returns:
      A ``GradientTransformationExtraArgs`` with state :class:`DAdaptLionState`; needs params
      when ``weight_decay`` is non-zero.

    Example:
      >>> import optzoo
      >>> tx = optzoo.dadapt_lion(1.0, weight_decay=0.1)

    References:
      Defazio, Mishchenko. Learning-Rate-Free Learning by D-Adaptation. 2023.
      https://arxiv.org/abs/2301.07733
    """
    check_decay("b1", b1)
    check_decay("b2", b2)
    _check_dadapt(learning_rate, weight_decay, d0)

    init_fn = _dadapt_init(DAdaptLionState, d0, mu=optax.tree.zeros_like, s=optax.tree.zeros_like)

    def update_fn(updates, state, params=None, **extra_args):
        del extra_args
        lr, dlr = _estimated_step(learning_rate, state)
        sqrt_b2 = jnp.sqrt(jnp.asarray(b2, state.d.dtype))
        signs = jax.tree.map(
            lambda m, g: jnp.sign(b1 * m.astype(dlr.dtype) + (1 - b1) * g.astype(dlr.dtype)),
            state.mu,
            updates,
        )
        step = jax.tree.map(lambda u: -dlr * u, signs)
        if concrete_value(weight_decay) != 0.0:
            if params is None:
                raise ValueError("dadapt_lion needs params when weight_decay is non-zero")
            wd_tx = add_decayed_weights(weight_decay, mask)
            zeros = jax.tree.map(jnp.zeros_like, params)
            decay = wd_tx.update(zeros, wd_tx.init(params), params)[0]
            step = jax.tree.map(lambda u, w: u - dlr * w.astype(u.dtype), step, decay)
        step = jax.tree.map(lambda u, g: u.astype(g.dtype), step, updates)
        mu = jax.tree.map(
            lambda m, g: (b2 * m.astype(dlr.dtype) + (1 - b2) * dlr * g).astype(m.dtype),
            state.mu,
            updates,
        )
        inner = sum(
            (
                jnp.vdot(u, a.astype(dlr.dtype))
                for u, a in zip(jax.tree.leaves(signs), jax.tree.leaves(state.s), strict=True)
            ),
            start=jnp.zeros([], dlr.dtype),
        )
        numerator = sqrt_b2 * state.numerator + (1 - sqrt_b2) * dlr * inner
        s32 = jax.tree.map(
            lambda a, u: sqrt_b2 * a.astype(dlr.dtype) + (1 - sqrt_b2) * dlr * u,
            state.s,
            signs,
        )
        s_l1 = sum(
            (jnp.sum(jnp.abs(a)) for a in jax.tree.leaves(s32)), start=jnp.zeros([], dlr.dtype)
        )
        d_hat = numerator / ((1 - sqrt_b2) * jnp.where(s_l1 > 0, s_l1, 1.0))
        new_d = jnp.where(jnp.logical_and(s_l1 > 0, lr > 0), jnp.maximum(state.d, d_hat), state.d)
        return step, DAdaptLionState(
            count=optax.safe_increment(state.count),
            d=new_d.astype(state.d.dtype),
            numerator=numerator.astype(state.numerator.dtype),
            mu=mu,
            s=jax.tree.map(lambda a, b: b.astype(a.dtype), state.s, s32),
        )

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


class AliGState(NamedTuple):
    """State of :func:`alig`."""

    momentum: optax.Updates  # velocity z (zeros and unused when momentum is 0)


BERRADA_2020_ALIG = Reference(
    "Leonard Berrada, Andrew Zisserman, M. Pawan Kumar",
    "Training Neural Networks for and by Interpolation",
    2020,
    "https://arxiv.org/abs/1906.05661",
)


@register(
    "alig",
    family="learning_rate_free",
    reference=BERRADA_2020_ALIG,
    state_per_param=1,
    needs=("value",),
    also_in=(),
    authors=Authors(
        code="the authors' alig/th/alig.py (oval-group/ali-g)",
        preset={"eps": 1e-5},
        differences="the authors add 1e-5 to the squared gradient norm, optzoo 1e-6 (as "
        "pytorch_optimizer)",
        no_package="the authors' package is not on the package index, and its step calls "
        "torch's removed add_(scalar, tensor) form",
    ),
)
def alig(
    learning_rate: jax.typing.ArrayLike | None = None,
    momentum: jax.typing.ArrayLike = 0.0,
    eps: jax.typing.ArrayLike = 1e-6,
    *,
    adjusted_momentum: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""AliG (Adaptive Learning-rates for Interpolation with Gradients): a clipped Polyak step.

    Needs the loss: call ``update(grads, state, params, value=loss)``. With :math:`f(x_t)` that
    loss (its minimum assumed 0, the interpolation setting) and :math:`\eta` the maximal step:

    .. math::
       \gamma_t = \min\!\Big(\eta,\ \frac{f(x_t)}{\|g_t\|^2 + \delta}\Big),\qquad
       x_{t+1} = x_t - \gamma_t g_t + \mu z_{t+1},\quad z_{t+1} = \mu z_t - \gamma_t g_t,

    :math:`\|g_t\|^2` summed over the whole tree (every leaf rank alike). With
    ``adjusted_momentum`` the velocity is :math:`z_{t+1} = \mu z_t - g_t` and the extra move
    :math:`\gamma_t \mu z_{t+1}` (as ``pytorch_optimizer.AliG``). ``learning_rate=None``: no
    cap.

    Args:
      learning_rate: the maximal step :math:`\eta` (``None``: unclipped Polyak step).
      momentum: :math:`\mu \in [0, 1)`.
      eps: :math:`\delta`, added to the squared gradient norm.
      adjusted_momentum: the velocity accumulates raw gradients, scaled by the current step.

    Returns:
      A ``GradientTransformationExtraArgs`` with state :class:`AliGState`; ``update`` needs
      ``value=``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.alig(1.0, momentum=0.9)
      >>> params = {"w": jnp.ones(3)}
      >>> loss = lambda p: jnp.sum(p["w"] ** 2)
      >>> state = tx.init(params)
      >>> updates, state = tx.update({"w": 2 * params["w"]}, state, params, value=loss(params))

    References:
      Berrada, Zisserman, Kumar. Training Neural Networks for and by Interpolation. 2020.
      https://arxiv.org/abs/1906.05661
    """
    if learning_rate is not None:
        check_positive("learning_rate", learning_rate)
    check_decay("momentum", momentum)
    check_nonnegative("eps", eps)

    def init_fn(params):
        return AliGState(momentum=optax.tree.zeros_like(params))

    def update_fn(updates, state, params=None, *, value=None, **extra_args):
        del params, extra_args
        if value is None:
            raise ValueError("alig needs the loss: update(grads, state, params, value=loss)")
        ct = jnp.promote_types(tree_dtype(updates, "lowest"), jnp.float32)
        sq = sum(
            (jnp.sum(jnp.square(g.astype(ct))) for g in jax.tree.leaves(updates)),
            start=jnp.zeros([], ct),
        )
        step = jnp.asarray(value, ct) / (sq + eps)
        if learning_rate is not None:
            step = jnp.minimum(step, learning_rate)
        if adjusted_momentum:
            z = jax.tree.map(lambda b, g: momentum * b.astype(ct) - g, state.momentum, updates)
            out = jax.tree.map(lambda g, v: -step * g + step * momentum * v, updates, z)
        else:
            z = jax.tree.map(
                lambda b, g: momentum * b.astype(ct) - step * g, state.momentum, updates
            )
            out = jax.tree.map(lambda g, v: -step * g + momentum * v, updates, z)
        out = jax.tree.map(lambda u, g: u.astype(g.dtype), out, updates)
        z = jax.tree.map(lambda v, b: v.astype(b.dtype), z, state.momentum)
        return out, AliGState(momentum=z)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


class AdamGState(NamedTuple):
    """State of :func:`adamg`."""

    count: jax.Array  # type: ignore[assignment]  # steps taken
    m: optax.Updates  # first moment of r * g
    v: optax.Updates  # second moment of g
    r: optax.Updates  # EMA of the golden step size s(v)


PAN_2024_ADAMG = Reference(
    "Yijiang Pan, Yiyang Yu, Lvzhou Li, Hongyi Zhang, Peilin Zhao",
    "Towards Stability of Parameter-free Optimization",
    2024,
    "https://arxiv.org/abs/2405.04376",
)


@register(
    "adamg",
    family="learning_rate_free",
    reference=PAN_2024_ADAMG,
    state_per_param=3,
    also_in=(),
    authors=Authors(
        code="paper, Algorithm 1 (AdamG)",
        no_package="the authors published no code",
    ),
)
def adamg(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    b1: jax.typing.ArrayLike = 0.95,
    b2: jax.typing.ArrayLike = 0.999,
    b3: jax.typing.ArrayLike = 0.95,
    p: jax.typing.ArrayLike = 0.2,
    q: jax.typing.ArrayLike = 0.24,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""AdamG: Adam whose numerator is scaled by the golden step size :math:`s(v) = p v^q`.

    With :math:`g_t` including the coupled decay :math:`\lambda x_t` and elementwise products:

    .. math::
       v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad
       r_t = \beta_3 r_{t-1} + (1-\beta_3)\, p\, v_t^{q},\quad
       m_t = \beta_1 m_{t-1} + (1-\beta_1) r_t g_t,\\
       x_{t+1} = x_t - \min(\eta_t, 1/\sqrt{t})\,
       \frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}.

    Elementwise: every leaf rank is treated alike.

    Args:
      learning_rate: :math:`\eta_t`, capped by :math:`1/\sqrt{t}` (keep 1).
      b1, b2, b3: decays of :math:`m`, :math:`v` and :math:`r`.
      p, q: the golden step size :math:`s(v) = p v^q`.
      eps: added to the denominator.
      weight_decay: coupled weight decay :math:`\lambda` (added to the gradient).
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs`` with state :class:`AdamGState`; needs params when
      ``weight_decay`` is non-zero.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adamg()

    References:
      Pan, Yu, Li, Zhang, Zhao. Towards Stability of Parameter-free Optimization. 2024.
      https://arxiv.org/abs/2405.04376
    """
    check_finite("learning_rate", learning_rate)
    check_decay("b1", b1)
    check_decay("b2", b2)
    check_decay("b3", b3)
    check_nonnegative("p", p)
    check_nonnegative("q", q)
    check_nonnegative("eps", eps)
    check_nonnegative("weight_decay", weight_decay)
    decay = add_decayed_weights(weight_decay, mask)

    def init_fn(params):
        return _zeros_state(AdamGState, params)

    def update_fn(updates, state, params=None, **extra_args):
        del extra_args
        if concrete_value(weight_decay) != 0.0 or mask is not None:
            if params is None:
                raise ValueError("adamg needs params when weight_decay is non-zero")
            updates, _ = decay.update(updates, decay.init(params), params)
        count = optax.safe_increment(state.count)
        ct = jnp.promote_types(tree_dtype(updates, "lowest"), jnp.float32)
        t = count.astype(ct)
        bc1 = 1 - integer_power(b1, count)
        bc2 = 1 - integer_power(b2, count)
        step = jnp.minimum(_lr_at(learning_rate, state.count), 1 / jnp.sqrt(t))
        v = jax.tree.map(lambda a, g: b2 * a.astype(ct) + (1 - b2) * g * g, state.v, updates)
        r = jax.tree.map(lambda a, w: b3 * a.astype(ct) + (1 - b3) * p * w**q, state.r, v)
        m = jax.tree.map(lambda a, s, g: b1 * a.astype(ct) + (1 - b1) * s * g, state.m, r, updates)
        out = jax.tree.map(
            lambda a, w, g: (-step / bc1 * a / (jnp.sqrt(w / bc2) + eps)).astype(g.dtype),
            m,
            v,
            updates,
        )
        cast = optax.tree.cast_like
        return out, AdamGState(count, cast(m, state.m), cast(v, state.v), cast(r, state.r))

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


class DAdaptAdanState(NamedTuple):
    """State of :func:`dadapt_adan`."""

    count: jax.Array  # type: ignore[assignment]  # steps taken
    d: jax.Array  # current distance estimate d_k
    gsq_weighted: jax.Array  # EMA of (d_k eta_k)^2 sum g^2 / (sqrt(v) + eps)
    m: optax.Updates  # EMA of d_k eta_k g
    m_diff: optax.Updates  # EMA of d_k eta_k (g_k - g_{k-1})
    v: optax.Updates  # EMA of (g_k + b2 (g_k - g_{k-1}))^2
    s: optax.Updates  # EMA of d_k eta_k g
    prev_grad: optax.Updates  # g_{k-1}


@register(
    "dadapt_adan",
    family="learning_rate_free",
    reference=DEFAZIO_2023_DADAPT,
    state_per_param=5,
    also_in=(),
    authors=Authors(code="dadaptation==3.2"),
)
def dadapt_adan(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    b1: jax.typing.ArrayLike = 0.98,
    b2: jax.typing.ArrayLike = 0.92,
    b3: jax.typing.ArrayLike = 0.99,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.02,
    d0: jax.typing.ArrayLike = 1e-6,
    growth_rate: jax.typing.ArrayLike = float("inf"),
    *,
    no_prox: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""D-Adaptation Adan: Adan's step, its size :math:`d_k` estimated on the fly.

    With :math:`\gamma_k = d_k\eta_k`, :math:`\Delta_k = g_k - g_{k-1}` (:math:`\Delta_0 = 0`)
    and :math:`a_{k+1} = \sqrt{v_{k+1}} + \epsilon` (elementwise):

    .. math::
       m_{k+1} = \beta_1 m_k + (1-\beta_1)\gamma_k g_k,\quad
       n_{k+1} = \beta_2 n_k + (1-\beta_2)\gamma_k \Delta_k,\quad
       v_{k+1} = \beta_3 v_k + (1-\beta_3)(g_k + \beta_2\Delta_k)^2,\\
       s_{k+1} = \beta_3 s_k + (1-\beta_3)\gamma_k g_k,\quad
       G_{k+1} = \beta_3 G_k + (1-\beta_3)\gamma_k^2 \textstyle\sum g_k^2/a_{k+1},\\
       d_{k+1} = \max\!\Big(d_k,\ \min\big(
           (\textstyle\sum s_{k+1}^2/a_{k+1}\,/(1-\beta_3) - G_{k+1})/\|s_{k+1}\|_1,\
           \text{growth}\cdot d_k\big)\Big),\\
       x_{k+1} = \big(x_k - (m_{k+1} + \beta_2 n_{k+1})/a_{k+1}\big)/(1 + \gamma_k\lambda).

    With ``no_prox`` the decay is decoupled instead:
    :math:`x_{k+1} = (1-\gamma_k\lambda)x_k - (m_{k+1} + \beta_2 n_{k+1})/a_{k+1}`. Sums and the
    :math:`\ell_1` norm run over the whole tree (every leaf rank alike); while
    :math:`\|s_{k+1}\|_1 = 0` the parameters, :math:`d`, :math:`G` and :math:`g_{k-1}` stay, as
    in the authors' code.

    Args:
      learning_rate, d0, growth_rate: as :func:`dadapt_sgd`.
      b1, b2, b3: decays of the gradient, gradient-difference and squared averages.
      eps: added to :math:`\sqrt{v}`.
      weight_decay: :math:`\lambda`, proximal unless ``no_prox``.
      no_prox: decoupled instead of proximal weight decay.

    Returns:
      A ``GradientTransformationExtraArgs`` with state :class:`DAdaptAdanState`; needs params.

    Example:
      >>> import optzoo
      >>> tx = optzoo.dadapt_adan(no_prox=True)

    References:
      Defazio, Mishchenko. Learning-Rate-Free Learning by D-Adaptation. 2023.
      https://arxiv.org/abs/2301.07733
    """
    check_decay("b1", b1)
    check_decay("b2", b2)
    check_decay("b3", b3)
    check_nonnegative("eps", eps)
    _check_dadapt(learning_rate, weight_decay, d0, growth_rate)
    zeros = optax.tree.zeros_like
    init_fn = _dadapt_init(
        DAdaptAdanState, d0, m=zeros, m_diff=zeros, v=zeros, s=zeros, prev_grad=zeros
    )

    def update_fn(updates, state, params=None, **extra_args):
        del extra_args
        _require_params("dadapt_adan", params)
        ct = state.d.dtype
        lr, dlr = _estimated_step(learning_rate, state)
        tm = jax.tree.map
        g = tm(lambda x: x.astype(ct), updates)
        prev = tm(lambda x, p: jnp.where(state.count == 0, x, p.astype(ct)), g, state.prev_grad)
        diff = tm(lambda x, p: x - p, g, prev)
        m = tm(lambda a, x: b1 * a.astype(ct) + dlr * (1 - b1) * x, state.m, g)
        m_diff = tm(lambda a, x: b2 * a.astype(ct) + dlr * (1 - b2) * x, state.m_diff, diff)
        v = tm(
            lambda a, x, dx: b3 * a.astype(ct) + (1 - b3) * jnp.square(x + b2 * dx),
            state.v,
            g,
            diff,
        )
        denom = tm(lambda a: jnp.sqrt(a) + eps, v)
        s = tm(lambda a, x: b3 * a.astype(ct) + dlr * (1 - b3) * x, state.s, g)
        g_sq = _total(tm(lambda x, a: jnp.sum(x * x / a), g, denom), ct)
        s_sq = _total(tm(lambda x, a: jnp.sum(x * x / a), s, denom), ct)
        s_l1 = _total(tm(lambda x: jnp.sum(jnp.abs(x)), s), ct)
        moving = s_l1 > 0
        gsq = jnp.where(
            moving, b3 * state.gsq_weighted + g_sq * dlr * dlr * (1 - b3), state.gsq_weighted
        )
        d_hat = (s_sq / (1 - b3) - gsq) / jnp.where(moving, s_l1, 1.0)
        new_d = _grow(state.d, d_hat, growth_rate, jnp.logical_and(moving, lr > 0))

        def step(p, a, n, den):
            x = p.astype(ct)
            u = (a + b2 * n) / den
            if no_prox:
                new = x * (1 - dlr * weight_decay) - u
            else:
                new = (x - u) / (1 + dlr * weight_decay)
            return jnp.where(moving, new - x, 0.0).astype(p.dtype)

        out = tm(step, params, m, m_diff, denom)
        cast = optax.tree.cast_like
        return out, DAdaptAdanState(
            count=jnp.where(moving, optax.safe_increment(state.count), state.count),
            d=new_d.astype(ct),
            gsq_weighted=gsq.astype(ct),
            m=cast(m, state.m),
            m_diff=cast(m_diff, state.m_diff),
            v=cast(v, state.v),
            s=cast(s, state.s),
            prev_grad=cast(tm(lambda x, p: jnp.where(moving, x, p), g, prev), state.prev_grad),
        )

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


@register(
    "cocob",
    family="learning_rate_free",
    reference=ORABONA_2017_COCOB,
    state_per_param=5,
    also_in=("optax.contrib",),
    authors=Authors(code="parameterfree==0.0.1"),
)
def cocob(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    alpha: jax.typing.ArrayLike = 100.0,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""COCOB-Backprop: learning-rate-free coin betting.

    The defaults are those of the authors' package (``parameterfree``).

    The gradient (plus :math:`\lambda x`) is scaled by ``learning_rate`` (keep 1) and fed to
    :func:`optzoo.scale_by_cocob`.

    Args:
      learning_rate: multiplies the gradient; 1 is the method.
      alpha: limits the first steps.
      eps: initial gradient-scale estimate.
      weight_decay: :math:`\lambda`.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformation`` equal to ``optax.contrib.cocob``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.cocob()

    References:
      Orabona, Tommasi. Training Deep Networks without Learning Rates Through Coin Betting.
      2017. https://arxiv.org/abs/1705.07795
    """
    check_nonnegative("eps", eps)
    check_finite("learning_rate", learning_rate)
    return optax.chain(
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate, flip_sign=False),
        scale_by_cocob(alpha, eps),
    )


# create("dog") starts from r_eps = 1e-4 (1 + |x0|): the paper's heuristic with a larger
# factor, which the generic 2000-step Rosenbrock check needs (1e-6 is the signature default).
@register(
    "dog",
    family="learning_rate_free",
    reference=IVGI_2023_DOG,
    state_per_param=1,
    defaults={"init_step": ("heuristic", 1e-4)},
    also_in=("optax.contrib",),
    authors=Authors(
        code="dog-optimizer==1.0.3",
        preset={"init_step": ("heuristic", 1e-6)},
        differences="create('dog') starts from r_eps = 1e-4 (1 + |x0|), the authors' default "
        "is 1e-6 (1e-4 suggested with batch norm); the package's iterate averager is separate",
    ),
)
def dog(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    init_step: tuple[Literal["distance", "learning_rate", "heuristic"], jax.typing.ArrayLike] = (
        "heuristic",
        1e-6,
    ),
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike | None = None,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""DoG (Distance over Gradients): parameter-free SGD step sizes.

    ``create("dog")`` starts from ``init_step=("heuristic", 1e-4)``, the authors' package from
    1e-6: ``optzoo.create("dog", preset="authors")`` gives the authors' defaults.

    :math:`x_{t+1} = x_t - \eta\, \eta_t (g_t + \lambda x_t)`, :math:`\eta_t` from
    :func:`optzoo.scale_by_dog`; ``learning_rate`` (default 1) multiplies it.

    Args:
      learning_rate: multiplier of the DoG step (1 is the method).
      init_step: the initial movement, see :func:`optzoo.scale_by_dog`.
      eps: added under the square root.
      weight_decay: optional :math:`\lambda`.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformation`` equal to ``optax.contrib.dog``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.dog(init_step=("heuristic", 1e-4))  # as create("dog")

    References:
      Ivgi, Hinder, Carmon. DoG is SGD's Best Friend: A Parameter-Free Dynamic Step Size
      Schedule. 2023. https://arxiv.org/abs/2302.12022
    """
    check_nonnegative("eps", eps)
    return optax.chain(
        add_decayed_weights(weight_decay, mask) if weight_decay is not None else optax.identity(),
        scale_by_dog(init_step, eps),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "ldog",
    family="learning_rate_free",
    reference=IVGI_2023_DOG,
    state_per_param=1,
    authors=Authors(code="dog-optimizer==1.0.3"),
)
def ldog(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    reps_rel: jax.typing.ArrayLike = 1e-6,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""L-DoG: DoG's parameter-free step size for each leaf (layer) separately.

    :math:`x_{t+1} = x_t - \eta\, \eta_{i,t} (g_t + \lambda x_t)` on leaf :math:`i`, with
    :math:`\eta_{i,t}` from :func:`optzoo.scale_by_ldog`; ``learning_rate`` (default 1, the
    method) multiplies it and the L2 term is added to the gradient, as in the authors'
    ``LDoG``. The authors recommend iterate averaging with it (their package's
    ``PolynomialDecayAverager``; optzoo's :func:`optzoo.ema_params`-style averaging is
    separate).

    Args:
      learning_rate: multiplier of the step (1 is the method).
      reps_rel: :math:`r_\epsilon`, the first movement relative to :math:`1 + \|x_{i,0}\|`
        (1e-6; the authors suggest 1e-4 with batch norm).
      eps: added once to each leaf's sum of squared gradient norms.
      weight_decay: L2 coefficient :math:`\lambda` added to the gradient.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformation``; ``update`` needs params.

    Example:
      >>> import optzoo
      >>> tx = optzoo.ldog(reps_rel=1e-4)  # the authors' choice with batch norm

    References:
      Ivgi, Hinder, Carmon. DoG is SGD's Best Friend: A Parameter-Free Dynamic Step Size
      Schedule. 2023. https://arxiv.org/abs/2302.12022
    """
    check_nonnegative("eps", eps)
    check_nonnegative("weight_decay", weight_decay)
    return with_coupled_decay(scale_by_ldog(reps_rel, eps), learning_rate, weight_decay, mask)


# -------------------------------------------------------------------- DoWG (optax.contrib)

KHALED_2023_DOWG = Reference(
    "Ahmed Khaled, Konstantin Mishchenko, Chi Jin",
    "DoWG Unleashed: An Efficient Universal Parameter-Free Gradient Descent Method",
    2023,
    "https://arxiv.org/abs/2305.16284",
)


@register(
    "dowg",
    family="learning_rate_free",
    reference=KHALED_2023_DOWG,
    state_per_param=1,
    also_in=("optax.contrib",),
    authors=Authors(
        code="paper, Algorithm 1 (DoWG)",
        differences="optax (and optzoo) add eps to the denominator (sqrt(v_t) + eps) and "
        "start from the squared distance eps (the paper's r_eps^2) unless "
        "init_estim_sq_dist is given",
        no_package="the authors published no code (PyPI's dowg is a third party's)",
    ),
)
def dowg(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    init_estim_sq_dist: jax.typing.ArrayLike | None = None,
    eps: jax.typing.ArrayLike = 1e-4,
    weight_decay: jax.typing.ArrayLike | None = None,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""DoWG (Distance over Weighted Gradients): parameter-free gradient descent.

    .. math::
       \bar r_t = \max(\bar r_{t-1}, \|x_t - x_0\|),\quad
       v_t = v_{t-1} + \bar r_t^2 \|g_t\|^2,\quad
       x_{t+1} = x_t - \eta\, \frac{\bar r_t^2}{\sqrt{v_t} + \epsilon}\, (g_t + \lambda x_t)

    (norms over the whole pytree; :func:`optzoo.scale_by_dowg`). The same chain and numbers as
    ``optax.contrib.dowg``: an optional coupled decay, the DoWG step, then ``learning_rate``
    (keep 1). optzoo's defaults are optax's; ``preset="authors"`` changes nothing.

    Args:
      learning_rate: multiplier of the DoWG step (1 is the method), a scalar or a schedule.
      init_estim_sq_dist: initial squared distance :math:`\bar r_{-1}^2` (``None``: ``eps``).
      eps: added to the denominator; the default initial squared distance.
      weight_decay: optional coupled decay :math:`\lambda`.
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation`` equal to ``optax.contrib.dowg``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.dowg(weight_decay=1e-4)

    References:
      Ahmed Khaled, Konstantin Mishchenko, Chi Jin. DoWG Unleashed: An Efficient Universal
      Parameter-Free Gradient Descent Method. 2023. https://arxiv.org/abs/2305.16284
    """
    check_positive("eps", eps)
    if init_estim_sq_dist is not None:
        check_nonnegative("init_estim_sq_dist", init_estim_sq_dist)
    if weight_decay is not None:
        check_nonnegative("weight_decay", weight_decay)
    return optax.chain(
        add_decayed_weights(weight_decay, mask) if weight_decay is not None else optax.identity(),
        scale_by_dowg(init_estim_sq_dist, eps),
        scale_by_learning_rate(learning_rate),
    )


SCHAIPP_2023_MOMO = Reference(
    "Fabian Schaipp, Ruben Ohana, Michael Eickenberg, Aaron Defazio, Robert M. Gower",
    "MoMo: Momentum Models for Adaptive Learning Rates",
    2023,
    "https://arxiv.org/abs/2305.07583",
)
_MOMO_SOURCE = "the authors published source files (fabian-sp/MoMo), no package"


def _check_momo(learning_rate, lower_bound, weight_decay):
    check_finite("learning_rate", learning_rate)
    check_finite("lower_bound", lower_bound)
    check_nonnegative("weight_decay", weight_decay)


def _momo_fields(params, lower_bound):
    """The fields optax's ``MomoState`` and ``MomoAdamState`` share, at the start."""
    dtype = optax.tree.dtype(params, "lowest")
    return dict(
        exp_avg=optax.tree.zeros_like(params),
        barf=jnp.zeros([], dtype),
        gamma=jnp.zeros([], dtype),
        lb=jnp.array(lower_bound, dtype=dtype),
        count=jnp.zeros([], jnp.int32),
    )


def _momo_value(value, params, dtype):
    """The loss ``value`` in ``dtype``; both it and ``params`` are needed."""
    if params is None:
        raise ValueError(optax.NO_PARAMS_MSG)
    if value is None:
        raise ValueError(
            "You need to pass the latest loss value to Momo. Use ``jax.value_and_grad`` for this."
        )
    return jnp.asarray(value, dtype=dtype)


def _momo_lower_bound(adapt, cap, lb, scale, wd_factor, lower_bound, use_cond):
    """The lower bound used this step: the stored one, or (adaptive) half the model's cap
    when the cap falls below it."""
    if not adapt:
        return lb
    low = lambda: jnp.maximum(cap / (2 * scale * wd_factor), lower_bound)  # noqa: E731
    if use_cond:
        return jax.lax.cond(cap < wd_factor * scale * lb, low, lambda: lb)
    return jnp.where(cap < wd_factor * scale * lb, low(), lb)


@register(
    "momo",
    family="learning_rate_free",
    reference=SCHAIPP_2023_MOMO,
    state_per_param=1,
    needs=("value",),
    also_in=("optax.contrib",),
    authors=Authors(
        code="paper, Algorithm 1 (MoMo)",
        differences="none on the update; the step size is min(learning_rate, Polyak step) "
        "(the paper's Eq. (13)), the first step uses no momentum (beta = 0 at t = 1) as in "
        "the authors' code, and a vanishing momentum norm gives a zero Polyak step",
        no_package=_MOMO_SOURCE,
    ),
)
def momo(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    beta: jax.typing.ArrayLike = 0.9,
    lower_bound: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    adapt_lower_bound: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""MoMo: SGD with momentum and a Polyak-type step from a model of the loss.

    Needs the loss: call ``update(grads, state, params, value=loss)``. With
    :math:`\rho_t = \beta` (0 on the first step), the averages
    :math:`d_t = \rho_t d_{t-1} + (1-\rho_t) g_t`,
    :math:`\bar f_t = \rho_t \bar f_{t-1} + (1-\rho_t) f(x_t)`,
    :math:`\gamma_t = \rho_t \gamma_{t-1} + (1-\rho_t) \langle g_t, x_t\rangle` and
    :math:`c = 1 + \alpha_t\lambda`,

    .. math::
       \tau_t = \min\Big(\alpha_t, \frac{\big(c(\bar f_t - f_* - \gamma_t)
       + \langle d_t, x_t\rangle\big)_+}{\|d_t\|^2}\Big),\qquad
       x_{t+1} = \frac{x_t - \tau_t d_t}{c}\ \text{(written as an update)}

    with :math:`f_*` the ``lower_bound`` (estimated on the fly with
    ``adapt_lower_bound``). The same update, numbers and state class
    (``optax.contrib.MomoState``) as ``optax.contrib.momo``; the emitted update is the whole
    step (no learning-rate scaling after it). optzoo's defaults are optax's and the paper's;
    ``preset="authors"`` changes nothing.

    Args:
      learning_rate: :math:`\alpha_t`, the cap on the step size (1 recommended), a scalar or
        a schedule.
      beta: momentum :math:`\beta` in ``[0, 1)``.
      lower_bound: :math:`f_*`, a lower bound of the loss (0 for most losses).
      weight_decay: :math:`\lambda`, applied as the paper's proximal decay.
      adapt_lower_bound: estimate the lower bound on the fly (the paper's MoMo*).

    Returns:
      A ``GradientTransformationExtraArgs`` whose ``update`` takes ``value=``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.momo()
      >>> params = jnp.array([1.0, 2.0])
      >>> updates, state = tx.update(2 * params, tx.init(params), params, value=5.0)

    References:
      Fabian Schaipp, Ruben Ohana, Michael Eickenberg, Aaron Defazio, Robert M. Gower. MoMo:
      Momentum Models for Adaptive Learning Rates. 2023. https://arxiv.org/abs/2305.07583
    """
    check_decay("beta", beta)
    _check_momo(learning_rate, lower_bound, weight_decay)

    def init_fn(params):
        return MomoState(**_momo_fields(params, lower_bound))

    def update_fn(updates, state, params, *, value, **extra_args):
        del extra_args
        f = _momo_value(value, params, state.barf.dtype)
        rho = jnp.where(state.count == 0, 0.0, beta)
        barf = rho * state.barf + (1 - rho) * f
        d = jax.tree.map(lambda m, g: rho * m + (1 - rho) * g, state.exp_avg, updates)
        gamma = rho * state.gamma + (1 - rho) * optax.tree.vdot(updates, params)
        d_sq = optax.tree.norm(d, squared=True)
        d_x = optax.tree.vdot(d, params)
        alpha = _lr_at(learning_rate, state.count)
        c = 1 + alpha * weight_decay
        cap = c * (barf - gamma) + d_x
        lb = _momo_lower_bound(adapt_lower_bound, cap, state.lb, 1, c, lower_bound, True)
        polyak = jnp.maximum(c * (barf - lb - gamma) + d_x, 0.0) / d_sq
        polyak = jnp.where(d_sq <= jnp.finfo(float).eps, 0.0, polyak)
        tau = jnp.minimum(alpha, polyak)
        out = jax.tree.map(lambda m, p: -(alpha * weight_decay) / c * p - tau * m, d, params)
        if adapt_lower_bound:
            new_lb = jnp.maximum((barf + d_x - gamma) - 0.5 * tau * d_sq, lower_bound)
        else:
            new_lb = state.lb
        new_state = MomoState(
            exp_avg=d, barf=barf, gamma=gamma, lb=new_lb, count=optax.safe_increment(state.count)
        )
        # Mixed-precision trees: the scalars are float32, the state keeps its own dtypes.
        return optax.tree.cast_like(out, updates), optax.tree.cast_like(new_state, state)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


@register(
    "momo_adam",
    family="learning_rate_free",
    reference=SCHAIPP_2023_MOMO,
    state_per_param=2,
    needs=("value",),
    also_in=("optax.contrib",),
    authors=Authors(
        code="paper, the MoMo-Adam algorithm box",
        differences="none on the update; the step size is min(learning_rate / (1 - b1^t), "
        "Polyak step) and a vanishing weighted momentum norm gives a zero Polyak step",
        no_package=_MOMO_SOURCE,
    ),
)
def momo_adam(
    learning_rate: optax.ScalarOrSchedule = 1e-2,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    lower_bound: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    adapt_lower_bound: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""MoMo-Adam: Adam(W) directions with a Polyak-type step from a model of the loss.

    Needs the loss: call ``update(grads, state, params, value=loss)``. With Adam's
    :math:`d_t` (EMA of :math:`g`, weight :math:`\beta_1`), the preconditioner
    :math:`D_t = \epsilon + \sqrt{v_t / (1-\beta_2^t)}`, the averages :math:`\bar f_t` and
    :math:`\gamma_t = \text{EMA}\langle g_t, x_t\rangle` (weight :math:`\beta_1`),
    :math:`b_t = 1 - \beta_1^t` and :math:`c = 1 + \alpha_t\lambda`,

    .. math::
       \tau_t = \min\Big(\frac{\alpha_t}{b_t}, \frac{\big(c(\bar f_t - b_t f_* -
       \gamma_t) + \langle d_t, x_t\rangle\big)_+}{\langle d_t, d_t / D_t\rangle}\Big),
       \qquad u_t = -\frac{\alpha_t\lambda}{c} x_t - \tau_t \frac{d_t}{D_t}.

    The same update, numbers and state class (``optax.contrib.MomoAdamState``) as
    ``optax.contrib.momo_adam``; the emitted update is the whole step. optzoo's defaults are
    optax's; ``preset="authors"`` changes nothing.

    Args:
      learning_rate: :math:`\alpha_t`, the cap on the step size, a scalar or a schedule.
      b1: decay of the first moment (and of the loss and inner-product averages).
      b2: decay of the second moment.
      eps: added to the preconditioner.
      lower_bound, adapt_lower_bound: as :func:`momo`.
      weight_decay: :math:`\lambda`, AdamW-like proximal decay.

    Returns:
      A ``GradientTransformationExtraArgs`` whose ``update`` takes ``value=``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.momo_adam(1e-2, adapt_lower_bound=True)
      >>> params = jnp.array([1.0, 2.0])
      >>> updates, state = tx.update(2 * params, tx.init(params), params, value=5.0)

    References:
      Fabian Schaipp, Ruben Ohana, Michael Eickenberg, Aaron Defazio, Robert M. Gower. MoMo:
      Momentum Models for Adaptive Learning Rates. 2023. https://arxiv.org/abs/2305.07583
    """
    _check_momo(learning_rate, lower_bound, weight_decay)
    check_decay("b1", b1)
    check_decay("b2", b2)
    check_nonnegative("eps", eps)

    def init_fn(params):
        exp_avg_sq = optax.tree.zeros_like(params)
        return MomoAdamState(exp_avg_sq=exp_avg_sq, **_momo_fields(params, lower_bound))

    def update_fn(updates, state, params, *, value, **extra_args):
        del extra_args
        f = _momo_value(value, params, state.barf.dtype)
        count = optax.safe_increment(state.count)
        barf = b1 * state.barf + (1 - b1) * f
        d = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, state.exp_avg, updates)
        v = jax.tree.map(lambda s, g: b2 * s + (1 - b2) * g * g, state.exp_avg_sq, updates)
        bc2 = jnp.asarray(1 - integer_power(b2, count), dtype=barf.dtype)
        precond = jax.tree.map(lambda s: eps + jnp.sqrt(s / bc2), v)
        d_weighted = jax.tree.map(lambda m, pc: m / pc, d, precond)
        d_sq = optax.tree.vdot(d, d_weighted)
        gamma = b1 * state.gamma + (1 - b1) * optax.tree.vdot(updates, params)
        d_x = optax.tree.vdot(d, params)
        alpha = _lr_at(learning_rate, state.count)
        bc1 = jnp.asarray(1 - integer_power(b1, count), dtype=barf.dtype)
        c = 1 + alpha * weight_decay
        cap = c * (barf - gamma) + d_x
        lb = _momo_lower_bound(adapt_lower_bound, cap, state.lb, bc1, c, lower_bound, False)
        polyak = jnp.maximum(c * (barf - bc1 * lb - gamma) + d_x, 0.0) / d_sq
        polyak = jnp.where(d_sq <= jnp.finfo(float).eps, 0.0, polyak)
        tau = jnp.minimum(alpha / bc1, polyak)
        out = jax.tree.map(
            lambda m, pc, p: -(alpha * weight_decay) / c * p - tau * m / pc, d, precond, params
        )
        if adapt_lower_bound:
            new_lb = jnp.maximum(((barf + d_x - gamma) - 0.5 * tau * d_sq) / bc1, lower_bound)
        else:
            new_lb = state.lb
        new_state = MomoAdamState(
            exp_avg=d, exp_avg_sq=v, barf=barf, gamma=gamma, lb=new_lb, count=count
        )
        # Mixed-precision trees: the scalars are float32, the state keeps its own dtypes.
        return optax.tree.cast_like(out, updates), optax.tree.cast_like(new_state, state)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


MALITSKY_2020_ADGD = Reference(
    "Yura Malitsky, Konstantin Mishchenko",
    "Adaptive Gradient Descent without Descent",
    2020,
    "https://arxiv.org/abs/1910.09529",
)


@register(
    "adgd",
    family="learning_rate_free",
    reference=MALITSKY_2020_ADGD,
    state_per_param=2,
    authors=Authors(
        code="paper, Algorithm 1 (AdGD)",
        differences="none (Algorithm 1); pytorch_optimizer's ASGD is adgd(amplifier=0.02, "
        "theta=1.0, dampening=1.0, eps=1e-5, difference_of_norms=True)",
        no_package="the authors published source files (ymalitsky/adaptive_GD), no package",
    ),
)
def adgd(
    learning_rate: jax.typing.ArrayLike = 1e-2,
    amplifier: jax.typing.ArrayLike = 1.0,
    theta: jax.typing.ArrayLike | None = None,
    dampening: jax.typing.ArrayLike = 2.0,
    eps: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    *,
    fixed_decay: bool = False,
    difference_of_norms: bool = False,
) -> optax.GradientTransformation:
    r"""AdGD (adaptive gradient descent): step sizes from local curvature estimates.

    .. math::
       \lambda_k = \min\Big(\sqrt{1 + a\,\theta_{k-1}}\,\lambda_{k-1},\
       \frac{\|x_k - x_{k-1}\|}{\rho\,\|g_k - g_{k-1}\|}\Big) + \epsilon,\quad
       \theta_k = \frac{\lambda_k}{\lambda_{k-1}},\quad
       x_{k+1} = x_k - \lambda_k (g_k + \lambda x_k)

    (norms over the whole pytree; :func:`optzoo.scale_by_adgd`), with :math:`\lambda_0` =
    ``learning_rate`` on the first step. The defaults are the paper's Algorithm 1
    (:math:`a = 1`, :math:`\rho = 2`, :math:`\epsilon = 0`, :math:`\theta_0 = \infty`).
    ``pytorch_optimizer.ASGD`` (the same method; not :func:`optzoo.asgd`, torch's averaged
    SGD) is ``adgd(lr, amplifier=0.02, theta=1.0, dampening=1.0, eps=1e-5,
    difference_of_norms=True)``: it compares the norms of consecutive points and gradients
    instead of the norms of their differences. optzoo's defaults are the authors' (Algorithm
    1); ``preset="authors"`` changes nothing.

    Args:
      learning_rate: :math:`\lambda_0`, the first step size (a scalar, not a schedule).
      amplifier: :math:`a`, how fast the step size may grow.
      theta: :math:`\theta_0` (``None``: :math:`+\infty`).
      dampening: :math:`\rho`, divides the curvature estimate (the paper's 2).
      eps: added to the step size whenever the curvature estimate is used.
      weight_decay: :math:`\lambda`, decay scaled by the step size (pytorch_optimizer's
        decoupled and coupled decay give the same step here).
      fixed_decay: the decay is :math:`\lambda x_k`, not scaled by the step size.
      difference_of_norms: ``pytorch_optimizer.ASGD``'s estimate from the differences of the
        global norms (no copies of the parameters and gradients in the state).

    Returns:
      A ``GradientTransformation``; needs params.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adgd(1e-3)

    References:
      Yura Malitsky, Konstantin Mishchenko. Adaptive Gradient Descent without Descent. 2020.
      https://arxiv.org/abs/1910.09529
    """
    return optax.chain(
        scale_by_adgd(
            learning_rate,
            amplifier,
            theta,
            dampening,
            eps,
            weight_decay,
            fixed_decay=fixed_decay,
            difference_of_norms=difference_of_norms,
        ),
        optax.scale(-1.0),
    )
