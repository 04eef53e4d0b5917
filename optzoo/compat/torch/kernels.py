"""The update rules of the PyTorch presets: what one ``optimizer.step()`` computes.

Each rule takes the bound arguments ``h`` of a preset (see
:mod:`optzoo.compat.torch.specs`) and returns either a :class:`~optzoo.compat._per_tensor.Rule`
(a per-tensor kernel ``(g, p, s, t, lr, sc) -> (delta, new_s)`` and its slots) or a
list of optax transformations giving the step direction. The builder in
:mod:`optzoo.compat.torch.optim` adds what the spec declares: ``maximize``, the
weight decay coupling and the learning rate.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import optax

import optzoo
from optzoo.compat._per_tensor import Rule, one_minus_pow, per_tensor, scalar_zeros

_zeros = jnp.zeros_like


def _lerp(start: jax.Array, end: jax.Array, weight: Any) -> jax.Array:
    """``torch.lerp``: the formula switches at weight 0.5 (it matters to the last bit)."""
    if isinstance(weight, (int, float)):
        if weight < 0.5:
            return start + weight * (end - start)
        return end - (end - start) * (1 - weight)
    return jnp.where(
        weight < 0.5, start + weight * (end - start), end - (end - start) * (1 - weight)
    )


def sgd(h: Any) -> list[optax.GradientTransformation]:
    """Heavy-ball momentum; with dampening, PyTorch's buffer copies the first gradient."""
    if h.nesterov and (h.momentum <= 0 or h.dampening != 0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")
    if not h.momentum:
        return []
    if not h.dampening:
        return [optzoo.trace(decay=h.momentum, nesterov=h.nesterov)]

    def kernel(g, p, s, t, lr, sc):
        b = jnp.where(t == 1, g, h.momentum * s["b"] + (1 - h.dampening) * g)
        return b, {"b": b}

    return [per_tensor({"b": _zeros}, kernel, 1.0)]


def adam(h: Any) -> Rule:
    b1, b2 = h.betas

    def kernel(g, p, s, t, lr, sc):
        m = s["m"] + (1 - b1) * (g - s["m"])
        v = b2 * s["v"] + (1 - b2) * g * g
        vmax = jnp.maximum(s["vmax"], v) if h.amsgrad else s["vmax"]
        bc2_sqrt = jnp.sqrt(one_minus_pow(b2, t))
        denom = jnp.sqrt(vmax if h.amsgrad else v) / bc2_sqrt + h.eps
        return -(lr / one_minus_pow(b1, t)) * m / denom, {"m": m, "v": v, "vmax": vmax}

    return Rule({"m": _zeros, "v": _zeros, "vmax": _zeros if h.amsgrad else scalar_zeros}, kernel)


def adagrad(h: Any) -> Rule:
    def kernel(g, p, s, t, lr, sc):
        acc = s["sum"] + g * g
        clr = lr / (1 + (t - 1) * h.lr_decay)
        return -clr * g / (jnp.sqrt(acc) + h.eps), {"sum": acc}

    return Rule({"sum": lambda p: jnp.full_like(p, h.initial_accumulator_value)}, kernel)


def rmsprop(h: Any) -> list[optax.GradientTransformation]:
    scaler = optzoo.scale_by_stddev if h.centered else optzoo.scale_by_rms
    momentum = [optzoo.trace(decay=h.momentum)] if h.momentum else []
    return [scaler(decay=h.alpha, eps=h.eps, eps_in_sqrt=False), *momentum]


def adadelta(h: Any) -> Rule:
    rho, eps = h.rho, h.eps  # PyTorch allows rho = 1 (scale_by_adadelta does not)

    def kernel(g, p, s, t, lr, sc):
        v = rho * s["v"] + (1 - rho) * g * g
        delta = jnp.sqrt(s["u"] + eps) / jnp.sqrt(v + eps) * g
        u = rho * s["u"] + (1 - rho) * delta * delta
        return -lr * delta, {"v": v, "u": u}

    return Rule({"v": _zeros, "u": _zeros}, kernel)


def adamax(h: Any) -> Rule:
    b1, b2 = h.betas

    def kernel(g, p, s, t, lr, sc):
        m = s["m"] + (1 - b1) * (g - s["m"])
        u = jnp.maximum(b2 * s["u"], jnp.abs(g) + h.eps)
        return -(lr / one_minus_pow(b1, t)) * m / u, {"m": m, "u": u}

    return Rule({"m": _zeros, "u": _zeros}, kernel)


def nadam(h: Any) -> Rule:
    b1, b2 = h.betas

    def mu_at(t):
        return b1 * (1.0 - 0.5 * 0.96 ** (t * h.momentum_decay))

    def scalar_step(sc, t):
        # PyTorch keeps mu_product as a float32 tensor and multiplies in mu (a double)
        mu = mu_at(t.astype(jnp.result_type(float))).astype(jnp.float32)
        return {"mu_product": sc["mu_product"] * mu}

    def kernel(g, p, s, t, lr, sc):
        mu, mu_next = mu_at(t), mu_at(t + 1)
        mu_prod = sc["mu_product"].astype(p.dtype)
        m = s["m"] + (1 - b1) * (g - s["m"])
        v = b2 * s["v"] + (1 - b2) * g * g
        denom = jnp.sqrt(v / one_minus_pow(b2, t)) + h.eps
        d = -(lr * (1 - mu) / (1 - mu_prod) * g / denom)
        d = d - lr * mu_next / (1 - mu_prod * mu_next) * m / denom
        return d, {"m": m, "v": v}

    scalars = {"mu_product": lambda: jnp.ones([], jnp.float32)}
    return Rule({"m": _zeros, "v": _zeros}, kernel, scalars, scalar_step)


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


def radam(h: Any) -> Rule:
    b1, b2 = h.betas
    rho_inf = 2 / (1 - b2) - 1

    def kernel(g, p, s, t, lr, sc):
        m = s["m"] + (1 - b1) * (g - s["m"])
        v = b2 * s["v"] + (1 - b2) * g * g
        m_hat = m / one_minus_pow(b1, t)
        rho_t = _radam_rho(b2, t)
        safe = jnp.maximum(rho_t, 5.0 + 1e-3)
        rect = jnp.sqrt((safe - 4) * (safe - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * safe))
        adaptive = jnp.sqrt(one_minus_pow(b2, t)) / (jnp.sqrt(v) + h.eps)
        d = jnp.where(rho_t > 5.0, -(m_hat * lr * adaptive * rect), -(m_hat * lr))
        return d, {"m": m, "v": v}

    return Rule({"m": _zeros, "v": _zeros}, kernel)


def rprop(h: Any) -> Rule:
    eta_minus, eta_plus = h.etas
    smin, smax = h.step_sizes
    lr0 = h.lr(0) if callable(h.lr) else h.lr

    def kernel(g, p, s, t, lr, sc):
        prod = g * s["prev"]
        factor = jnp.where(prod > 0, eta_plus, jnp.where(prod < 0, eta_minus, 1.0))
        step = jnp.clip(s["step_size"] * factor.astype(p.dtype), smin, smax)
        g = jnp.where(prod < 0, 0.0, g)
        return -jnp.sign(g) * step, {"prev": g, "step_size": step}

    return Rule({"prev": _zeros, "step_size": lambda p: jnp.full_like(p, lr0)}, kernel)


def asgd(h: Any) -> Rule:
    if callable(h.lr):
        raise ValueError("ASGD takes a scalar lr: it runs its own step-size decay")

    def kernel(g, p, s, t, lr, sc):
        # PyTorch stores eta and mu as float32 tensors whatever the parameter dtype
        eta = (lr / (1 + h.lambd * lr * (t - 1)) ** h.alpha).astype(jnp.float32).astype(p.dtype)
        mu = (1.0 / jnp.maximum(1.0, t - 1 - h.t0)).astype(jnp.float32).astype(p.dtype)
        new_p = p * (1 - h.lambd * eta) - eta * g
        ax = jnp.where(mu == 1, new_p, s["ax"] + (new_p - s["ax"]) * mu)
        return new_p - p, {"ax": ax}

    return Rule({"ax": _zeros}, kernel)


def adafactor(h: Any) -> Rule:
    eps1, eps2 = h.eps

    def kernel(g, p, s, t, lr, sc):
        e1 = jnp.finfo(p.dtype).eps if eps1 is None else eps1
        w = t**h.beta2_decay
        rho = jnp.minimum(lr, 1 / jnp.sqrt(t))
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
        denom = jnp.maximum(1.0, jnp.linalg.norm(u.ravel()) / (math.sqrt(max(u.size, 1)) * h.d))
        return -(alpha / denom) * u, new

    def row_init(p):
        return jnp.zeros((*p.shape[:-1], 1), p.dtype) if p.ndim > 1 else scalar_zeros(p)

    def col_init(p):
        return (
            jnp.zeros((*p.shape[:-2], 1, p.shape[-1]), p.dtype) if p.ndim > 1 else scalar_zeros(p)
        )

    def var_init(p):
        return scalar_zeros(p) if p.ndim > 1 else jnp.zeros_like(p)

    return Rule({"row": row_init, "col": col_init, "var": var_init}, kernel)


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


def muon(h: Any) -> Rule:
    if h.adjust_lr_fn not in (None, "original", "match_rms_adamw"):
        raise ValueError(f"Adjust learning rate function {h.adjust_lr_fn} is not supported")

    def kernel(g, p, s, t, lr, sc):
        if p.ndim != 2:
            raise ValueError(f"Muon only supports 2D parameters, got shape {p.shape}")
        buf = _lerp(s["b"], g, 1 - h.momentum)
        u = _lerp(g, buf, h.momentum) if h.nesterov else buf
        o = newton_schulz(u, h.ns_coefficients, h.ns_steps, h.eps, h.ns_dtype)
        rows, cols = p.shape
        if h.adjust_lr_fn == "match_rms_adamw":
            ratio = 0.2 * math.sqrt(max(rows, cols))
        else:
            ratio = math.sqrt(max(1, rows / cols))
        return -lr * ratio * o, {"b": buf}

    return Rule({"b": _zeros}, kernel)
