"""The update rules of the Keras presets: Keras's ``update_step`` per optimizer.

Each rule takes the bound arguments ``h`` of a preset (see
:mod:`optzoo.compat.keras.specs`) and returns a :class:`~optzoo.compat._per_tensor.Rule`
whose kernel ``(g, w, s, step, lr, sc, path) -> (new_w, new_s)`` is Keras's
``update_step`` with ``step = iterations + 1`` in the variable's dtype. Keras
computes its step scalars (``beta ** step``) in the variable's dtype, and so do
these rules. The common options (clipping, weight decay, EMA, accumulation) are the
loop's, :func:`optzoo.compat.keras.base.keras_transform`.
"""

from __future__ import annotations

import math
import re
from typing import Any

import jax
import jax.numpy as jnp

from optzoo.compat._per_tensor import Rule, scalar_zeros

_zeros = jnp.zeros_like


def _pow(beta: Any, step: jax.Array) -> jax.Array:
    return jnp.asarray(beta, step.dtype) ** step


def _full(value: float):
    return lambda p: jnp.full_like(p, value)


def sgd(h: Any) -> Rule:
    momentum, nesterov = h.momentum, h.nesterov
    if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
        raise ValueError("`momentum` must be a float between [0, 1].")

    def kernel(g, w, s, step, lr, sc, path):
        if momentum == 0:
            return w - g * lr, s
        m = s["m"] * momentum - g * lr
        return (w + (m * momentum - g * lr) if nesterov else w + m), {"m": m}

    return Rule({"m": _zeros} if momentum else {}, kernel)


def rmsprop(h: Any) -> Rule:
    rho, momentum, epsilon, centered = h.rho, h.momentum, h.epsilon, h.centered

    def kernel(g, w, s, step, lr, sc, path):
        v = rho * s["v"] + (1 - rho) * jnp.square(g)
        new = {"v": v}
        if centered:
            a = rho * s["a"] + (1 - rho) * g
            denom = v - jnp.square(a) + epsilon
            new["a"] = a
        else:
            denom = v + epsilon
        inc = lr * g / jnp.sqrt(denom)
        if momentum > 0:
            m = momentum * s["m"] + inc
            new["m"] = m
            return w - m, new
        return w - inc, new

    slots = {"v": _zeros}
    if centered:
        slots["a"] = _zeros
    if momentum > 0:
        slots["m"] = _zeros
    return Rule(slots, kernel)


def _adam_step(g, w, s, step, lr, beta_1, beta_2, epsilon):
    alpha = lr * jnp.sqrt(1 - _pow(beta_2, step)) / (1 - _pow(beta_1, step))
    m = s["m"] + (g - s["m"]) * (1 - beta_1)
    v = s["v"] + (jnp.square(g) - s["v"]) * (1 - beta_2)
    return alpha, m, v


def adam(h: Any) -> Rule:
    def kernel(g, w, s, step, lr, sc, path):
        alpha, m, v = _adam_step(g, w, s, step, lr, h.beta_1, h.beta_2, h.epsilon)
        new = {"m": m, "v": v}
        if h.amsgrad:
            v = jnp.maximum(s["vhat"], v)
            new["vhat"] = v
        return w - (m * alpha) / (jnp.sqrt(v) + h.epsilon), new

    slots = {"m": _zeros, "v": _zeros}
    if h.amsgrad:
        slots["vhat"] = _zeros
    return Rule(slots, kernel)


def adamw(h: Any) -> Rule:
    if h.weight_decay is None:
        raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
    return adam(h)


def adadelta(h: Any) -> Rule:
    rho, epsilon = h.rho, h.epsilon

    def kernel(g, w, s, step, lr, sc, path):
        v = rho * s["v"] + (1 - rho) * jnp.square(g)
        delta = -(jnp.sqrt(s["u"] + epsilon) * g) / jnp.sqrt(v + epsilon)
        u = rho * s["u"] + (1 - rho) * jnp.square(delta)
        return w + lr * delta, {"v": v, "u": u}

    return Rule({"v": _zeros, "u": _zeros}, kernel)


def adagrad(h: Any) -> Rule:
    def kernel(g, w, s, step, lr, sc, path):
        acc = s["acc"] + jnp.square(g)
        return w - lr * g / jnp.sqrt(acc + h.epsilon), {"acc": acc}

    return Rule({"acc": _full(h.initial_accumulator_value)}, kernel)


def adamax(h: Any) -> Rule:
    beta_1, beta_2, epsilon = h.beta_1, h.beta_2, h.epsilon

    def kernel(g, w, s, step, lr, sc, path):
        m = s["m"] + (g - s["m"]) * (1 - beta_1)
        u = jnp.maximum(beta_2 * s["u"], jnp.abs(g))
        return w - (lr * m) / ((1 - _pow(beta_1, step)) * (u + epsilon)), {"m": m, "u": u}

    return Rule({"m": _zeros, "u": _zeros}, kernel)


def nadam(h: Any) -> Rule:
    beta_1, beta_2, epsilon = h.beta_1, h.beta_2, h.epsilon

    def scalar_step(sc, step):
        t = step.astype(jnp.float32)
        return {"u_product": sc["u_product"] * beta_1 * (1.0 - 0.5 * jnp.float32(0.96) ** t)}

    def kernel(g, w, s, step, lr, sc, path):
        dt = w.dtype
        b1, b2 = jnp.asarray(beta_1, dt), jnp.asarray(beta_2, dt)  # Keras casts, then 1 - b
        u_t = b1 * (1.0 - 0.5 * _pow(0.96, step))
        u_t_1 = b1 * (1.0 - 0.5 * _pow(0.96, step + 1))
        u_prod = sc["u_product"].astype(dt)
        u_prod_1 = u_prod * u_t_1
        m = s["m"] + (g - s["m"]) * (1 - b1)
        v = s["v"] + (jnp.square(g) - s["v"]) * (1 - b2)
        m_hat = u_t_1 * m / (1 - u_prod_1) + (1 - u_t) * g / (1 - u_prod)
        v_hat = v / (1 - _pow(beta_2, step))
        return w - (m_hat * lr) / (jnp.sqrt(v_hat) + epsilon), {"m": m, "v": v}

    scalars = {"u_product": lambda: jnp.ones([], jnp.float32)}
    return Rule({"m": _zeros, "v": _zeros}, kernel, scalars, scalar_step)


def ftrl(h: Any) -> Rule:
    if h.initial_accumulator_value < 0.0:
        raise ValueError("`initial_accumulator_value` needs to be positive or zero.")
    l1 = h.l1_regularization_strength

    def kernel(g, w, s, step, lr, sc, path):
        l2 = h.l2_regularization_strength + h.beta / (2.0 * lr)
        g_use = g + 2 * h.l2_shrinkage_regularization_strength * w
        new_acc = s["acc"] + jnp.square(g)
        p = jnp.asarray(-h.learning_rate_power, w.dtype)  # an array exponent, as Keras's ops.power
        lin = s["lin"] + (g_use - (new_acc**p - s["acc"] ** p) / lr * w)
        quad = new_acc**p / lr + 2 * l2
        return (jnp.clip(lin, -l1, l1) - lin) / quad, {"acc": new_acc, "lin": lin}

    return Rule({"acc": _full(h.initial_accumulator_value), "lin": _zeros}, kernel)


def lion(h: Any) -> Rule:
    if h.beta_1 <= 0 or h.beta_1 > 1:
        raise ValueError(
            f"Argument `beta_1` must be in the [0, 1] range. Otherwise, the "
            f"optimizer degenerates to SignSGD. Received: beta_1={h.beta_1}."
        )

    def kernel(g, w, s, step, lr, sc, path):
        b1, b2 = jnp.asarray(h.beta_1, w.dtype), jnp.asarray(h.beta_2, w.dtype)
        upd = lr * jnp.sign(s["m"] * b1 + g * (1.0 - b1))
        return w - upd, {"m": s["m"] * b2 + g * (1.0 - b2)}

    return Rule({"m": _zeros}, kernel)


def lamb(h: Any) -> Rule:
    beta_1, beta_2, epsilon = h.beta_1, h.beta_2, h.epsilon

    def kernel(g, w, s, step, lr, sc, path):
        m = s["m"] + (g - s["m"]) * (1 - beta_1)
        v = s["v"] + (jnp.square(g) - s["v"]) * (1 - beta_2)
        m_hat = m / (1.0 - _pow(beta_1, step))
        v_sqrt = jnp.sqrt(v / (1.0 - _pow(beta_2, step))) + epsilon
        upd = m_hat / v_sqrt
        w_norm = jnp.sqrt(jnp.sum(w**2))
        g_norm = jnp.sqrt(jnp.sum(upd**2))
        ratio = jnp.where(w_norm > 0, jnp.where(g_norm > 0, w_norm / g_norm, 1.0), 1.0)
        return w - ratio * lr * upd, {"m": m, "v": v}

    return Rule({"m": _zeros, "v": _zeros}, kernel)


def _rms(x: jax.Array) -> jax.Array:
    return jnp.sqrt(jnp.mean(jnp.square(x)))


def adafactor(h: Any) -> Rule:
    schedule = callable(h.learning_rate)

    def kernel(g, w, s, step, lr, sc, path):
        if not schedule and h.relative_step:
            lr = jnp.minimum(lr, 1 / jnp.sqrt(step))
        rho_t = jnp.minimum(lr, 1 / jnp.sqrt(step))
        alpha_t = jnp.maximum(h.epsilon_2, _rms(w)) * rho_t
        reg = jnp.square(g) + h.epsilon_1
        b2t = 1 - step**h.beta_2_decay
        new = dict(s)
        if w.ndim >= 2:
            r = b2t * s["r"] + (1 - b2t) * jnp.mean(reg, axis=-1)
            c = b2t * s["c"] + (1 - b2t) * jnp.mean(reg, axis=-2)
            r_norm = jnp.expand_dims(r / jnp.mean(r, axis=-1, keepdims=True), -1)
            v = r_norm * jnp.expand_dims(c, -2)
            new.update(r=r, c=c, v=v)
        else:
            v = b2t * s["v"] + (1 - b2t) * reg
            new.update(v=v)
        u = g / jnp.sqrt(v)
        u_hat = u / jnp.maximum(1.0, _rms(u) / h.clip_threshold)
        return w - alpha_t * u_hat, new

    def r_init(p):
        return jnp.zeros(p.shape[:-1], p.dtype) if p.ndim >= 2 else scalar_zeros(p)

    def c_init(p):
        return jnp.zeros((*p.shape[:-2], p.shape[-1]), p.dtype) if p.ndim >= 2 else scalar_zeros(p)

    return Rule({"r": r_init, "c": c_init, "v": _zeros}, kernel)


def _transpose_last(x: jax.Array) -> jax.Array:
    return jnp.swapaxes(x, -1, -2)


def muon(h: Any) -> Rule:
    excl = list(h.exclude_layers or [])

    def use_adam(w, path):
        if w.ndim != 2:
            return True
        if h.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(k, path) for k in excl)

    def ns(x):
        shape = x.shape
        if shape[-2] > shape[-1]:
            x = _transpose_last(x)
        x = x / (jnp.linalg.norm(x, axis=(-2, -1), keepdims=True) + 1e-7)
        for _ in range(h.ns_steps):
            ta = x @ _transpose_last(x)
            tb = h.muon_b * ta + h.muon_c * ta @ ta
            x = h.muon_a * x + tb @ x
        if shape[-2] > shape[-1]:
            x = _transpose_last(x)
        return x

    def kernel(g, w, s, step, lr, sc, path):
        if use_adam(w, path):
            alr = lr * h.adam_lr_ratio
            alpha, m, v = _adam_step(g, w, s, step, alr, h.adam_beta_1, h.adam_beta_2, h.epsilon)
            return w - (m * alpha) / (jnp.sqrt(v) + h.epsilon), {"m": m, "v": v}
        m = s["m"] + (g + s["m"] * (h.momentum - 1))
        u = g + h.momentum * m if h.nesterov else m
        upd = lr * ns(u)
        if h.rms_rate is not None:
            upd = upd * math.sqrt(max(w.shape[0], w.shape[1])) * h.rms_rate
        return w - upd, {"m": m, "v": s["v"]}

    def wd_fn(w, path):
        return h.adam_weight_decay if use_adam(w, path) else h.weight_decay

    return Rule({"m": _zeros, "v": _zeros}, kernel, weight_decay_fn=wd_fn)
