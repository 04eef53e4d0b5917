"""PyTorch ``torch.optim`` presets: NAdam, RAdam, Rprop, ASGD, Adafactor and Muon.

Same conventions as :mod:`optzoo.compat.torch._optim`: PyTorch's keywords and
defaults, updates equal to the parameter change of one ``optimizer.step()``.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import optax

from optzoo.compat._common import one_minus_pow, per_tensor, semantics
from optzoo.compat.torch._optim import LR, _lerp, _zeros

__all__ = ["NAdam", "RAdam", "Rprop", "ASGD", "Adafactor", "Muon"]


def _radam_rho(b2: float, t: jax.Array) -> jax.Array:
    r"""RAdam's :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)` without cancellation.

    With :math:`L=-\log\beta_2` and :math:`y=tL`:
    :math:`\rho_t = (2/(1-\beta_2) - 2/L) - 1 + (2/L)(e^y-1-y)/(e^y-1)`, the first term a
    float64 constant and :math:`e^y-1-y` a series for small :math:`y`.
    """
    big_l = -math.log(b2)
    c = 2 / (1 - b2) - 2 / big_l - 1
    y = t * jnp.asarray(big_l, t.dtype)
    ys = jnp.minimum(y, 1.0)
    series, term = jnp.zeros_like(y), ys
    for k in range(2, 16):
        term = term * ys / k
        series = series + term
    num = jnp.where(y < 1.0, series, jnp.expm1(y) - y)
    return c + (2 / big_l) * num / jnp.expm1(y)


@semantics(
    "nadam",
    "torch",
    eps="m_hat / (sqrt(v_hat) + eps)",
    weight_decay="coupled L2 (decoupled_weight_decay=True: p *= 1 - lr wd)",
    nesterov="Dozat, with momentum schedule mu_t = b1 (1 - 0.5 0.96^(t psi))",
    bias_correction="mu-product for m, 1 - b2^t for v",
    accumulator_init="m = v = 0, mu_product = 1",
)
def NAdam(
    lr: LR = 2e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum_decay: float = 4e-3,
    decoupled_weight_decay: bool = False,
    *,
    foreach: bool | None = None,
    maximize: bool = False,
    capturable: bool = False,
    differentiable: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.NAdam``.

    .. math::
       \mu_t = \beta_1(1-\tfrac12 0.96^{t\psi}),\;
       p \leftarrow p - \eta\Big[\frac{(1-\mu_t) g}{1-\prod_{i\le t}\mu_i}
       + \frac{\mu_{t+1} m_t}{1-\prod_{i\le t+1}\mu_i}\Big]
       \Big/ \Big(\sqrt{v_t/(1-\beta_2^t)}+\epsilon\Big).

    References:
      Dozat. Incorporating Nesterov Momentum into Adam. 2016.
      https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ
    """
    del foreach, capturable, differentiable
    b1, b2 = betas

    def mu_at(t):
        return b1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))

    def scalar_step(sc, t):
        # PyTorch keeps mu_product as a float32 tensor and multiplies in mu (a double)
        mu = mu_at(t.astype(jnp.result_type(float))).astype(jnp.float32)
        return {"mu_product": sc["mu_product"] * mu}

    def kernel(g, p, s, t, lr_, sc):
        d0 = jnp.zeros_like(p)
        if weight_decay:
            if decoupled_weight_decay:
                d0 = -lr_ * weight_decay * p
            else:
                g = g + weight_decay * p
        mu, mu_next = mu_at(t), mu_at(t + 1)
        mu_prod = sc["mu_product"].astype(p.dtype)
        m = s["m"] + (1 - b1) * (g - s["m"])
        v = b2 * s["v"] + (1 - b2) * g * g
        denom = jnp.sqrt(v / one_minus_pow(b2, t)) + eps
        d = d0 - lr_ * (1 - mu) / (1 - mu_prod) * g / denom
        d = d - lr_ * mu_next / (1 - mu_prod * mu_next) * m / denom
        return d, {"m": m, "v": v}

    return per_tensor(
        {"m": _zeros, "v": _zeros},
        kernel,
        lr,
        maximize=maximize,
        scalars={"mu_product": lambda: jnp.ones([], jnp.float32)},
        scalar_step=scalar_step,
    )


@semantics(
    "radam",
    "torch",
    eps="sqrt(1 - b2^t) / (sqrt(v) + eps)",
    weight_decay="coupled L2 (decoupled_weight_decay=True: p *= 1 - lr wd)",
    bias_correction="yes; un-adapted SGD step while rho_t <= 5",
    accumulator_init="m = v = 0",
)
def RAdam(
    lr: LR = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decoupled_weight_decay: bool = False,
    *,
    foreach: bool | None = None,
    maximize: bool = False,
    capturable: bool = False,
    differentiable: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.RAdam`` (Liu et al. 2020, https://arxiv.org/abs/1908.03265).

    .. math::
       \rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t},\;
       p \leftarrow p - \eta\,\hat m_t\,\Big[r_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon}
       \text{ if } \rho_t > 5 \text{ else } 1\Big].
    """
    del foreach, capturable, differentiable
    b1, b2 = betas
    rho_inf = 2 / (1 - b2) - 1

    def kernel(g, p, s, t, lr_, sc):
        d0 = jnp.zeros_like(p)
        if weight_decay:
            if decoupled_weight_decay:
                d0 = -lr_ * weight_decay * p
            else:
                g = g + weight_decay * p
        m = s["m"] + (1 - b1) * (g - s["m"])
        v = b2 * s["v"] + (1 - b2) * g * g
        bc1, bc2 = one_minus_pow(b1, t), one_minus_pow(b2, t)
        m_hat = m / bc1
        rho_t = _radam_rho(b2, t)
        safe = jnp.maximum(rho_t, 5.0 + 1e-3)
        rect = jnp.sqrt((safe - 4) * (safe - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * safe))
        adaptive = jnp.sqrt(bc2) / (jnp.sqrt(v) + eps)
        d = jnp.where(rho_t > 5.0, -(m_hat * lr_ * adaptive * rect), -(m_hat * lr_))
        return d0 + d, {"m": m, "v": v}

    return per_tensor({"m": _zeros, "v": _zeros}, kernel, lr, maximize=maximize)


@semantics(
    "rprop",
    "torch",
    eps="none",
    weight_decay="none",
    bias_correction="none",
    accumulator_init="step size = lr, previous gradient = 0",
)
def Rprop(
    lr: LR = 1e-2,
    etas: tuple[float, float] = (0.5, 1.2),
    step_sizes: tuple[float, float] = (1e-6, 50),
    *,
    capturable: bool = False,
    foreach: bool | None = None,
    maximize: bool = False,
    differentiable: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.Rprop`` (Riedmiller & Braun 1993), PyTorch's variant (Rprop-):
    after a sign flip the step size shrinks and that coordinate's gradient is zeroed.

    .. math::
       \Delta \leftarrow \mathrm{clip}(\Delta\cdot\eta_{\pm}),\quad
       p \leftarrow p - \mathrm{sign}(g)\Delta.

    ``lr`` is the initial step size; a schedule is read once, at step 0.

    References:
      Riedmiller & Braun. A direct adaptive method for faster backpropagation learning: the
      RPROP algorithm. 1993. https://doi.org/10.1109/ICNN.1993.298623
    """
    del capturable, foreach, differentiable
    eta_minus, eta_plus = etas
    smin, smax = step_sizes
    lr0 = lr(0) if callable(lr) else lr  # type: ignore[operator]

    def kernel(g, p, s, t, lr_, sc):
        prod = g * s["prev"]
        factor = jnp.where(prod > 0, eta_plus, jnp.where(prod < 0, eta_minus, 1.0))
        step = jnp.clip(s["step_size"] * factor.astype(p.dtype), smin, smax)
        g = jnp.where(prod < 0, 0.0, g)
        return -jnp.sign(g) * step, {"prev": g, "step_size": step}

    init_step = lambda p: jnp.full_like(p, lr0)
    return per_tensor({"prev": _zeros, "step_size": init_step}, kernel, lr, maximize=maximize)


@semantics(
    "asgd",
    "torch",
    eps="none",
    weight_decay="coupled L2: g += wd p",
    bias_correction="none",
    accumulator_init="eta = lr, mu = 1, ax = 0",
)
def ASGD(
    lr: LR = 1e-2,
    lambd: float = 1e-4,
    alpha: float = 0.75,
    t0: float = 1e6,
    weight_decay: float = 0.0,
    foreach: bool | None = None,
    maximize: bool = False,
    differentiable: bool = False,
    capturable: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.ASGD`` (Polyak & Juditsky 1992): decayed SGD plus a running
    average ``ax`` of the iterates, kept in ``state.slots["ax"]``.

    .. math::
       p \leftarrow p(1-\lambda\eta_t) - \eta_t g,\quad
       \eta_{t+1} = \frac{\eta_0}{(1+\lambda\eta_0 t)^\alpha},\quad
       \bar x \leftarrow \bar x + \mu_t (p - \bar x),\; \mu_{t+1} = 1/\max(1, t - t_0).

    References:
      Polyak & Juditsky. Acceleration of Stochastic Approximation by Averaging. 1992.
      https://doi.org/10.1137/0330046
    """
    del foreach, differentiable, capturable
    if callable(lr):
        raise ValueError("ASGD takes a scalar lr: it runs its own step-size decay")

    def kernel(g, p, s, t, lr_, sc):
        if weight_decay:
            g = g + weight_decay * p
        # PyTorch stores eta and mu as float32 tensors whatever the parameter dtype
        eta = (lr_ / (1 + lambd * lr_ * (t - 1)) ** alpha).astype(jnp.float32).astype(p.dtype)
        mu = (1.0 / jnp.maximum(1.0, t - 1 - t0)).astype(jnp.float32).astype(p.dtype)
        new_p = p * (1 - lambd * eta) - eta * g
        ax = jnp.where(mu == 1, new_p, s["ax"] + (new_p - s["ax"]) * mu)
        return new_p - p, {"ax": ax}

    return per_tensor({"ax": _zeros}, kernel, lr, maximize=maximize)


@semantics(
    "adafactor",
    "torch",
    eps="eps1 clamps the variance estimate (eps1^2), eps2 floors the parameter RMS",
    weight_decay="decoupled: p *= 1 - lr wd",
    bias_correction="none; beta2_t = 1 - t^beta2_decay",
    accumulator_init="row/col/full variance = 0",
)
def Adafactor(
    lr: LR = 1e-2,
    beta2_decay: float = -0.8,
    eps: tuple[float | None, float] = (None, 1e-3),
    d: float = 1.0,
    weight_decay: float = 0.0,
    *,
    foreach: bool | None = None,
    maximize: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.Adafactor`` (Shazeer & Stern 2018, https://arxiv.org/abs/1804.04235),
    PyTorch's variant: no first moment, relative step :math:`\min(\eta, 1/\sqrt t)`.

    Tensors with two or more dimensions keep factored row/column statistics over the
    last two axes; vectors and scalars keep a full second moment.
    """
    del foreach
    eps1, eps2 = eps

    def kernel(g, p, s, t, lr_, sc):
        e1 = jnp.finfo(p.dtype).eps if eps1 is None else eps1
        w = t**beta2_decay
        rho = jnp.minimum(lr_, 1 / jnp.sqrt(t))
        alpha = jnp.maximum(eps2, jnp.linalg.norm(p.ravel()) / math.sqrt(max(p.size, 1))) * rho
        if p.ndim > 1:
            row = _lerp(s["row"], jnp.mean(g * g, axis=-1, keepdims=True), w)
            col = _lerp(s["col"], jnp.mean(g * g, axis=-2, keepdims=True), w)
            var = (row @ col) / jnp.maximum(jnp.mean(row, axis=-2, keepdims=True), e1)
            new = {"row": row, "col": col, "var": s["var"]}
        else:
            var = _lerp(s["var"], g * g, w)
            new = {"row": s["row"], "col": s["col"], "var": var}
        u = jax.lax.rsqrt(jnp.maximum(var, e1 * e1)) * g
        denom = jnp.maximum(1.0, jnp.linalg.norm(u.ravel()) / (math.sqrt(max(u.size, 1)) * d))
        delta = -(alpha / denom) * u
        if weight_decay:
            delta = delta - lr_ * weight_decay * p
        return delta, new

    def row_init(p):
        return jnp.zeros((*p.shape[:-1], 1), p.dtype) if p.ndim > 1 else jnp.zeros([], p.dtype)

    def col_init(p):
        if p.ndim > 1:
            return jnp.zeros((*p.shape[:-2], 1, p.shape[-1]), p.dtype)
        return jnp.zeros([], p.dtype)

    def var_init(p):
        return jnp.zeros([], p.dtype) if p.ndim > 1 else jnp.zeros_like(p)

    return per_tensor(
        {"row": row_init, "col": col_init, "var": var_init}, kernel, lr, maximize=maximize
    )


def newton_schulz(
    x: jax.Array, coefficients: tuple[float, float, float], steps: int, eps: float, dtype: Any
) -> jax.Array:
    """Quintic Newton-Schulz orthogonalisation of a matrix (Jordan et al. 2024).

    Products accumulate in float32 and each fused ``beta*C + alpha*A@B`` is rounded
    to ``dtype`` once, as PyTorch's ``addmm`` does on bfloat16 tensors.
    """
    a, b, c = coefficients
    f32 = jnp.float32

    def mm(u, v):
        return jnp.matmul(u, v, preferred_element_type=f32)

    y = x.astype(dtype)
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        y = y.T
    norm = jnp.sqrt(jnp.sum(jnp.square(y.astype(f32)))).astype(dtype)
    y = (y.astype(f32) / jnp.maximum(norm, eps).astype(f32)).astype(dtype)
    for _ in range(steps):
        gram = mm(y, y.T).astype(dtype)
        upd = (b * gram.astype(f32) + c * mm(gram, gram)).astype(dtype)
        y = (a * y.astype(f32) + mm(upd, y)).astype(dtype)
    return (y.T if tall else y).astype(x.dtype)


def Muon(
    lr: LR = 1e-3,
    weight_decay: float = 0.1,
    momentum: float = 0.95,
    nesterov: bool = True,
    ns_coefficients: tuple[float, float, float] = (3.4445, -4.775, 2.0315),
    eps: float = 1e-7,
    ns_steps: int = 5,
    adjust_lr_fn: str | None = None,
    *,
    ns_dtype: Any = jnp.bfloat16,
) -> optax.GradientTransformation:
    r"""``torch.optim.Muon`` (Jordan et al. 2024, https://kellerjordan.github.io/posts/muon/).

    .. math::
       B \leftarrow \mu B + (1-\mu) g,\;
       O = \mathrm{NS}_k\big((1-\mu) g + \mu B \text{ if nesterov else } B\big),\;
       p \leftarrow p(1-\eta\lambda) - \eta\,s(A, B)\, O,

    with :math:`s = \sqrt{\max(1, A/B)}` (``"original"``) or :math:`0.2\sqrt{\max(A,B)}`
    (``"match_rms_adamw"``). Parameters must be 2-D, as in PyTorch. PyTorch runs the
    Newton-Schulz iteration in bfloat16 (``ns_dtype``, an optzoo extra): trajectories
    then agree only to bfloat16 precision.
    """
    if adjust_lr_fn not in (None, "original", "match_rms_adamw"):
        raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")

    def kernel(g, p, s, t, lr_, sc):
        if p.ndim != 2:
            raise ValueError(f"Muon only supports 2D parameters, got shape {p.shape}")
        buf = _lerp(s["b"], g, 1 - momentum)
        u = _lerp(g, buf, momentum) if nesterov else buf
        o = newton_schulz(u, ns_coefficients, ns_steps, eps, ns_dtype)
        rows, cols = p.shape
        if adjust_lr_fn == "match_rms_adamw":
            ratio = 0.2 * math.sqrt(max(rows, cols))
        else:
            ratio = math.sqrt(max(1, rows / cols))
        return -lr_ * weight_decay * p - lr_ * ratio * o, {"b": buf}

    return per_tensor({"b": _zeros}, kernel, lr)
