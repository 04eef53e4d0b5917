"""PyTorch ``torch.optim`` presets (SGD and the Adam/Adagrad/RMSprop family).

The presets take the same keyword names and defaults and give the same numbers.

Every factory returns an ``optax.GradientTransformation`` whose updates are the
parameter change of one ``optimizer.step()`` (learning rate and sign included).
``lr`` may also be a schedule of the 0-based step count (see
:mod:`optzoo.compat.torch.lr_scheduler`). The execution options ``foreach``,
``fused``, ``capturable`` and ``differentiable`` are accepted and ignored: they
change how PyTorch runs the step, not what it computes.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import jax
import jax.numpy as jnp
import optax

import optzoo
from optzoo.compat._common import one_minus_pow, per_tensor, semantics

__all__ = ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax"]

LR: TypeAlias = optax.ScalarOrSchedule
_zeros = jnp.zeros_like


def _lr_block(lr: LR) -> optax.GradientTransformation:
    return optzoo.scale_by_learning_rate(lr)


def _lerp(start: jax.Array, end: jax.Array, weight: Any) -> jax.Array:
    """``torch.lerp``: the formula switches at weight 0.5 (it matters to the last bit)."""
    if isinstance(weight, (int, float)):
        if weight < 0.5:
            return start + weight * (end - start)
        return end - (end - start) * (1 - weight)
    return jnp.where(
        weight < 0.5, start + weight * (end - start), end - (end - start) * (1 - weight)
    )


def _neg(maximize: bool) -> list[optax.GradientTransformation]:
    return [optzoo.scale(-1.0)] if maximize else []


def _l2(weight_decay: float) -> list[optax.GradientTransformation]:
    return [optzoo.add_decayed_weights(weight_decay)] if weight_decay else []


@semantics(
    "sgd",
    "torch",
    eps="none",
    weight_decay="coupled L2: g += wd p (before momentum)",
    nesterov="u = g + mu b, with b = mu b + (1 - dampening) g",
    bias_correction="none",
    accumulator_init="b = g at the first step (no dampening)",
)
def SGD(
    lr: LR = 1e-3,
    momentum: float = 0.0,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
    *,
    maximize: bool = False,
    foreach: bool | None = None,
    differentiable: bool = False,
    fused: bool | None = None,
) -> optax.GradientTransformation:
    r"""``torch.optim.SGD``.

    .. math::
       g \leftarrow g + \lambda p,\quad b_1 = g_1,\; b_t = \mu b_{t-1} + (1-\tau) g_t,\quad
       p \leftarrow p - \eta\,(g + \mu b_t \text{ if nesterov else } b_t).

    Args:
      lr, momentum, dampening, weight_decay, nesterov, maximize: as in PyTorch.
      foreach, differentiable, fused: accepted and ignored.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> from optzoo.compat import torch as ot
      >>> tx = ot.SGD(lr=0.1, momentum=0.9, nesterov=True)

    References:
      Robbins & Monro. A Stochastic Approximation Method. 1951.
      https://doi.org/10.1214/aoms/1177729586
    """
    del foreach, differentiable, fused
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")
    if momentum and dampening:
        mom = [_dampened_trace(momentum, dampening)]
    elif momentum:
        mom = [optzoo.trace(decay=momentum, nesterov=nesterov)]
    else:
        mom = []
    return optax.chain(*_neg(maximize), *_l2(weight_decay), *mom, _lr_block(lr))


def _dampened_trace(momentum: float, dampening: float) -> optax.GradientTransformation:
    """PyTorch's momentum buffer with dampening: the first step copies the gradient."""

    def kernel(g, p, s, t, lr, sc):
        b = jnp.where(t == 1, g, momentum * s["b"] + (1 - dampening) * g)
        return b, {"b": b}

    return per_tensor({"b": _zeros}, kernel, 1.0)


def _adam_kernel(beta1, beta2, eps, amsgrad, decoupled_wd, weight_decay):
    def kernel(g, p, s, t, lr, sc):
        if weight_decay and not decoupled_wd:
            g = g + weight_decay * p
        m = s["m"] + (1 - beta1) * (g - s["m"])
        v = beta2 * s["v"] + (1 - beta2) * g * g
        vmax = jnp.maximum(s["vmax"], v) if amsgrad else s["vmax"]
        bc1 = one_minus_pow(beta1, t)
        bc2_sqrt = jnp.sqrt(one_minus_pow(beta2, t))
        denom = jnp.sqrt(vmax if amsgrad else v) / bc2_sqrt + eps
        d = -(lr / bc1) * m / denom
        if weight_decay and decoupled_wd:
            d = d - lr * weight_decay * p
        return d, {"m": m, "v": v, "vmax": vmax}

    return kernel


@semantics(
    "adam",
    "torch",
    eps="m_hat / (sqrt(v_hat) + eps)",
    weight_decay="coupled L2: g += wd p (decoupled_weight_decay=True: AdamW)",
    bias_correction="yes, both moments",
    accumulator_init="m = v = 0; amsgrad keeps max of raw v",
)
def Adam(
    lr: LR = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    *,
    foreach: bool | None = None,
    maximize: bool = False,
    capturable: bool = False,
    differentiable: bool = False,
    fused: bool | None = None,
    decoupled_weight_decay: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.Adam``.

    .. math::
       m_t = \beta_1 m + (1-\beta_1) g,\; v_t = \beta_2 v + (1-\beta_2) g^2,\;
       p \leftarrow p - \frac{\eta}{1-\beta_1^t}\,
       \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}.

    With ``amsgrad`` the denominator uses the running maximum of the *raw* :math:`v_t`
    (optax's ``amsgrad`` takes the maximum of the bias-corrected one). The math equals
    ``optzoo.scale_by_adam``; the preset forms :math:`1-\beta^t` as PyTorch does (in
    float64, here via ``expm1``), which ``scale_by_adam`` does in float32 with a
    relative error up to 1e-5 in the first steps.

    Example:
      >>> from optzoo.compat import torch as ot
      >>> tx = ot.Adam(lr=1e-3, weight_decay=1e-2)

    References:
      Kingma & Ba. Adam: A Method for Stochastic Optimization. 2015.
      https://arxiv.org/abs/1412.6980
    """
    del foreach, capturable, differentiable, fused
    b1, b2 = betas
    k = _adam_kernel(b1, b2, eps, amsgrad, decoupled_weight_decay, weight_decay)
    vmax = jnp.zeros_like if amsgrad else (lambda p: jnp.zeros([], p.dtype))
    return per_tensor({"m": _zeros, "v": _zeros, "vmax": vmax}, k, lr, maximize=maximize)


@semantics(
    "adamw",
    "torch",
    eps="m_hat / (sqrt(v_hat) + eps)",
    weight_decay="decoupled, scaled by lr: p *= 1 - lr wd",
    bias_correction="yes, both moments",
    accumulator_init="m = v = 0",
)
def AdamW(
    lr: LR = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
    *,
    maximize: bool = False,
    foreach: bool | None = None,
    capturable: bool = False,
    differentiable: bool = False,
    fused: bool | None = None,
) -> optax.GradientTransformation:
    r"""``torch.optim.AdamW``: :func:`Adam` with decoupled weight decay
    :math:`p \leftarrow p(1-\eta\lambda)` (PyTorch's default ``weight_decay=1e-2``).

    Example:
      >>> from optzoo.compat import torch as ot
      >>> tx = ot.AdamW(lr=3e-4)

    References:
      Loshchilov & Hutter. Decoupled Weight Decay Regularization. 2019.
      https://arxiv.org/abs/1711.05101
    """
    del foreach, capturable, differentiable, fused
    return Adam(
        lr, betas, eps, weight_decay, amsgrad, maximize=maximize, decoupled_weight_decay=True
    )


@semantics(
    "adagrad",
    "torch",
    eps="g / (sqrt(sum) + eps)",
    weight_decay="coupled L2: g += wd p",
    bias_correction="none; lr / (1 + (t - 1) lr_decay)",
    accumulator_init="initial_accumulator_value (default 0)",
)
def Adagrad(
    lr: LR = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
    foreach: bool | None = None,
    *,
    maximize: bool = False,
    differentiable: bool = False,
    fused: bool | None = None,
) -> optax.GradientTransformation:
    r"""``torch.optim.Adagrad``.

    .. math::
       S \leftarrow S + g^2,\quad
       p \leftarrow p - \frac{\eta}{1+(t-1)\,\delta}\,\frac{g}{\sqrt{S}+\epsilon}.

    References:
      Duchi, Hazan & Singer. Adaptive Subgradient Methods for Online Learning and Stochastic
      Optimization. 2011. https://jmlr.org/papers/v12/duchi11a.html
    """
    del foreach, differentiable, fused

    def kernel(g, p, s, t, lr_, sc):
        if weight_decay:
            g = g + weight_decay * p
        acc = s["sum"] + g * g
        clr = lr_ / (1 + (t - 1) * lr_decay)
        return -clr * g / (jnp.sqrt(acc) + eps), {"sum": acc}

    init = lambda p: jnp.full_like(p, initial_accumulator_value)
    return per_tensor({"sum": init}, kernel, lr, maximize=maximize)


@semantics(
    "rmsprop",
    "torch",
    eps="g / (sqrt(v) + eps)",
    weight_decay="coupled L2: g += wd p",
    nesterov="n/a (heavy ball on g / (sqrt(v) + eps))",
    bias_correction="none",
    accumulator_init="v = 0",
)
def RMSprop(
    lr: LR = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    capturable: bool = False,
    foreach: bool | None = None,
    maximize: bool = False,
    differentiable: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.RMSprop``: ``optzoo.scale_by_rms`` (or ``scale_by_stddev`` when
    centered) with ``eps`` outside the square root, then a heavy-ball ``trace``.

    .. math::
       v \leftarrow \alpha v + (1-\alpha) g^2,\quad
       b \leftarrow \mu b + \frac{g}{\sqrt{v - \bar g^2 \,[\text{centered}]} + \epsilon},\quad
       p \leftarrow p - \eta b.

    References:
      Tieleman & Hinton. Lecture 6.5, RMSProp. 2012.
      https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf
    """
    del capturable, foreach, differentiable
    scaler = optzoo.scale_by_stddev if centered else optzoo.scale_by_rms
    return optax.chain(
        *_neg(maximize),
        *_l2(weight_decay),
        scaler(decay=alpha, eps=eps, eps_in_sqrt=False),
        *([optzoo.trace(decay=momentum)] if momentum else []),
        _lr_block(lr),
    )


@semantics(
    "adadelta",
    "torch",
    eps="sqrt(u + eps) / sqrt(v + eps) g",
    weight_decay="coupled L2: g += wd p",
    bias_correction="none",
    accumulator_init="v = u = 0",
)
def Adadelta(
    lr: LR = 1.0,
    rho: float = 0.9,
    eps: float = 1e-6,
    weight_decay: float = 0.0,
    foreach: bool | None = None,
    *,
    capturable: bool = False,
    maximize: bool = False,
    differentiable: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.Adadelta``: ``optzoo.scale_by_adadelta`` scaled by ``lr``.

    .. math::
       v \leftarrow \rho v + (1-\rho) g^2,\;
       \Delta = \frac{\sqrt{u+\epsilon}}{\sqrt{v+\epsilon}} g,\;
       u \leftarrow \rho u + (1-\rho)\Delta^2,\; p \leftarrow p - \eta\Delta.

    References:
      Zeiler. ADADELTA: An Adaptive Learning Rate Method. 2012. https://arxiv.org/abs/1212.5701
    """
    del foreach, capturable, differentiable
    return optax.chain(
        *_neg(maximize),
        *_l2(weight_decay),
        optzoo.scale_by_adadelta(rho=rho, eps=eps),
        _lr_block(lr),
    )


@semantics(
    "adamax",
    "torch",
    eps="inside the max: u = max(b2 u, |g| + eps)",
    weight_decay="coupled L2: g += wd p",
    bias_correction="first moment only",
    accumulator_init="m = u = 0",
)
def Adamax(
    lr: LR = 2e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    foreach: bool | None = None,
    *,
    maximize: bool = False,
    differentiable: bool = False,
    capturable: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.Adamax``.

    .. math::
       m \leftarrow \beta_1 m + (1-\beta_1) g,\; u \leftarrow \max(\beta_2 u, |g|+\epsilon),\;
       p \leftarrow p - \frac{\eta}{1-\beta_1^t}\frac{m}{u}.

    References:
      Kingma & Ba. Adam: A Method for Stochastic Optimization. 2015.
      https://arxiv.org/abs/1412.6980
    """
    del foreach, differentiable, capturable
    b1, b2 = betas

    def kernel(g, p, s, t, lr_, sc):
        if weight_decay:
            g = g + weight_decay * p
        m = s["m"] + (1 - b1) * (g - s["m"])
        u = jnp.maximum(b2 * s["u"], jnp.abs(g) + eps)
        return -(lr_ / one_minus_pow(b1, t)) * m / u, {"m": m, "u": u}

    return per_tensor({"m": _zeros, "u": _zeros}, kernel, lr, maximize=maximize)
