"""Keras 3 ``keras.optimizers`` presets: Ftrl, Lion, Lamb, Adafactor and Muon.

Same conventions as :mod:`optzoo.compat.keras._optimizers`: Keras's arguments and
defaults, updates equal to the weight change of one ``optimizer.apply(grads)``.
"""

from __future__ import annotations

import math
import re

import jax.numpy as jnp
import optax

from optzoo.compat._common import semantics
from optzoo.compat.keras._base import keras_transform
from optzoo.compat.keras._optimizers import _common, _pow, _zeros

__all__ = ["Ftrl", "Lion", "Lamb", "Adafactor", "Muon"]


def Ftrl(
    learning_rate=0.001,
    learning_rate_power=-0.5,
    initial_accumulator_value=0.1,
    l1_regularization_strength=0.0,
    l2_regularization_strength=0.0,
    l2_shrinkage_regularization_strength=0.0,
    beta=0.0,
    weight_decay=None,
    clipnorm=None,
    clipvalue=None,
    global_clipnorm=None,
    use_ema=False,
    ema_momentum=0.99,
    ema_overwrite_frequency=None,
    loss_scale_factor=None,
    gradient_accumulation_steps=None,
    name=None,
    exclude_from_weight_decay=None,
) -> optax.GradientTransformation:
    r"""``keras.optimizers.Ftrl`` (McMahan et al. 2013, "Ad click prediction: a view
    from the trenches", https://research.google/pubs/pub41159/).

    .. math::
       n' = n + g^2,\; z \leftarrow z + \tilde g - \frac{n'^{-p} - n^{-p}}{\eta} w,\;
       w = \frac{\mathrm{clip}(z, -\ell_1, \ell_1) - z}{n'^{-p}/\eta + 2\ell_2}.
    """
    if initial_accumulator_value < 0.0:
        raise ValueError("`initial_accumulator_value` needs to be positive or zero.")

    def kernel(g, w, s, step, lr, sc, path):
        l2 = l2_regularization_strength + beta / (2.0 * lr)
        g_use = g + 2 * l2_shrinkage_regularization_strength * w
        new_acc = s["acc"] + jnp.square(g)
        p = jnp.asarray(-learning_rate_power, w.dtype)  # an array exponent, as Keras's ops.power
        lin = s["lin"] + (g_use - (new_acc**p - s["acc"] ** p) / lr * w)
        quad = new_acc**p / lr + 2 * l2
        clipped = jnp.clip(lin, -l1_regularization_strength, l1_regularization_strength)
        return (clipped - lin) / quad, {"acc": new_acc, "lin": lin}

    init = lambda p: jnp.full_like(p, initial_accumulator_value)
    return keras_transform(
        {"acc": init, "lin": _zeros},
        kernel,
        learning_rate,
        **_common(
            weight_decay,
            clipnorm,
            clipvalue,
            global_clipnorm,
            use_ema,
            ema_momentum,
            ema_overwrite_frequency,
            loss_scale_factor,
            gradient_accumulation_steps,
            name,
            exclude_from_weight_decay,
        ),
    )


@semantics(
    "lion",
    "keras",
    eps="none",
    weight_decay="decoupled, scaled by lr (default None)",
    bias_correction="none",
    accumulator_init="m = 0",
)
def Lion(
    learning_rate=0.001,
    beta_1=0.9,
    beta_2=0.99,
    weight_decay=None,
    clipnorm=None,
    clipvalue=None,
    global_clipnorm=None,
    use_ema=False,
    ema_momentum=0.99,
    ema_overwrite_frequency=None,
    loss_scale_factor=None,
    gradient_accumulation_steps=None,
    name=None,
    exclude_from_weight_decay=None,
) -> optax.GradientTransformation:
    r"""``keras.optimizers.Lion`` (Chen et al. 2023, https://arxiv.org/abs/2302.06675):
    :math:`w \leftarrow w - \eta\,\mathrm{sign}(\beta_1 m + (1-\beta_1) g)`,
    :math:`m \leftarrow \beta_2 m + (1-\beta_2) g`."""
    if beta_1 <= 0 or beta_1 > 1:
        raise ValueError(
            f"Argument `beta_1` must be in the [0, 1] range. Otherwise, the "
            f"optimizer degenerates to SignSGD. Received: beta_1={beta_1}."
        )

    def kernel(g, w, s, step, lr, sc, path):
        b1, b2 = jnp.asarray(beta_1, w.dtype), jnp.asarray(beta_2, w.dtype)
        upd = lr * jnp.sign(s["m"] * b1 + g * (1.0 - b1))
        return w - upd, {"m": s["m"] * b2 + g * (1.0 - b2)}

    return keras_transform(
        {"m": _zeros},
        kernel,
        learning_rate,
        **_common(
            weight_decay,
            clipnorm,
            clipvalue,
            global_clipnorm,
            use_ema,
            ema_momentum,
            ema_overwrite_frequency,
            loss_scale_factor,
            gradient_accumulation_steps,
            name,
            exclude_from_weight_decay,
        ),
    )


def Lamb(
    learning_rate=0.001,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-7,
    weight_decay=None,
    clipnorm=None,
    clipvalue=None,
    global_clipnorm=None,
    use_ema=False,
    ema_momentum=0.99,
    ema_overwrite_frequency=None,
    loss_scale_factor=None,
    gradient_accumulation_steps=None,
    name=None,
    exclude_from_weight_decay=None,
) -> optax.GradientTransformation:
    r"""``keras.optimizers.Lamb`` (You et al. 2020, https://arxiv.org/abs/1904.00962):
    Adam's direction :math:`r = \hat m/(\sqrt{\hat v}+\epsilon)` scaled by the trust
    ratio :math:`\|w\|/\|r\|` per tensor (1 when either norm is 0). Keras applies
    ``weight_decay`` before the step, not inside :math:`r`."""

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

    return keras_transform(
        {"m": _zeros, "v": _zeros},
        kernel,
        learning_rate,
        **_common(
            weight_decay,
            clipnorm,
            clipvalue,
            global_clipnorm,
            use_ema,
            ema_momentum,
            ema_overwrite_frequency,
            loss_scale_factor,
            gradient_accumulation_steps,
            name,
            exclude_from_weight_decay,
        ),
    )


@semantics(
    "adafactor",
    "keras",
    eps="epsilon_1 added to g^2 before averaging, epsilon_2 floors the weight RMS",
    weight_decay="decoupled, scaled by lr (default None)",
    bias_correction="none; beta2_t = 1 - t^beta_2_decay",
    accumulator_init="r = c = v = 0",
)
def Adafactor(
    learning_rate=0.001,
    beta_2_decay=-0.8,
    epsilon_1=1e-30,
    epsilon_2=1e-3,
    clip_threshold=1.0,
    relative_step=True,
    weight_decay=None,
    clipnorm=None,
    clipvalue=None,
    global_clipnorm=None,
    use_ema=False,
    ema_momentum=0.99,
    ema_overwrite_frequency=None,
    loss_scale_factor=None,
    gradient_accumulation_steps=None,
    name=None,
    exclude_from_weight_decay=None,
) -> optax.GradientTransformation:
    r"""``keras.optimizers.Adafactor`` (Shazeer & Stern 2018,
    https://arxiv.org/abs/1804.04235), Keras's variant: no first moment, factored
    second moment over the last two axes, step :math:`\min(\eta, 1/\sqrt t)\cdot
    \max(\epsilon_2, \mathrm{RMS}(w))`, update clipped to RMS ``clip_threshold``."""
    schedule = callable(learning_rate)

    def rms(x):
        return jnp.sqrt(jnp.mean(jnp.square(x)))

    def kernel(g, w, s, step, lr, sc, path):
        if not schedule and relative_step:
            lr = jnp.minimum(lr, 1 / jnp.sqrt(step))
        rho_t = jnp.minimum(lr, 1 / jnp.sqrt(step))
        alpha_t = jnp.maximum(epsilon_2, rms(w)) * rho_t
        reg = jnp.square(g) + epsilon_1
        b2t = 1 - step**beta_2_decay
        new = dict(s)
        if w.ndim >= 2:
            r = b2t * s["r"] + (1 - b2t) * jnp.mean(reg, axis=-1)
            c = b2t * s["c"] + (1 - b2t) * jnp.mean(reg, axis=-2)
            v = jnp.expand_dims(r / jnp.mean(r, axis=-1, keepdims=True), -1) * jnp.expand_dims(
                c, -2
            )
            new.update(r=r, c=c, v=v)
        else:
            v = b2t * s["v"] + (1 - b2t) * reg
            new.update(v=v)
        u = g / jnp.sqrt(v)
        u_hat = u / jnp.maximum(1.0, rms(u) / clip_threshold)
        return w - alpha_t * u_hat, new

    def r_init(p):
        return jnp.zeros(p.shape[:-1], p.dtype) if p.ndim >= 2 else jnp.zeros([], p.dtype)

    def c_init(p):
        return (
            jnp.zeros((*p.shape[:-2], p.shape[-1]), p.dtype)
            if p.ndim >= 2
            else jnp.zeros([], p.dtype)
        )

    return keras_transform(
        {"r": r_init, "c": c_init, "v": _zeros},
        kernel,
        learning_rate,
        **_common(
            weight_decay,
            clipnorm,
            clipvalue,
            global_clipnorm,
            use_ema,
            ema_momentum,
            ema_overwrite_frequency,
            loss_scale_factor,
            gradient_accumulation_steps,
            name,
            exclude_from_weight_decay,
        ),
    )


def _transpose_last(x):
    return jnp.swapaxes(x, -1, -2)


def Muon(
    learning_rate=0.001,
    adam_beta_1=0.9,
    adam_beta_2=0.999,
    adam_weight_decay=0.004,
    epsilon=1e-7,
    weight_decay=0.004,
    clipnorm=None,
    clipvalue=None,
    global_clipnorm=None,
    use_ema=False,
    ema_momentum=0.99,
    ema_overwrite_frequency=None,
    loss_scale_factor=None,
    gradient_accumulation_steps=None,
    name=None,
    exclude_layers=None,
    exclude_embeddings=True,
    muon_a=3.4445,
    muon_b=-4.7750,
    muon_c=2.0315,
    adam_lr_ratio=1,
    momentum=0.95,
    ns_steps=5,
    nesterov=True,
    rms_rate=0.2,
    exclude_from_weight_decay=None,
) -> optax.GradientTransformation:
    r"""``keras.optimizers.Muon`` (Jordan et al. 2024; Liu et al. 2025,
    https://arxiv.org/abs/2502.16982): Newton-Schulz-orthogonalised momentum for
    2-D weights, Adam (Keras's) for the rest.

    .. math::
       m \leftarrow \mu m + g,\; O = \mathrm{NS}_5(g + \mu m \text{ if nesterov else } m),\;
       w \leftarrow w - \eta\, r\sqrt{\max(A,B)}\; O.

    A tensor goes to Adam when it is not 2-D, when ``exclude_embeddings`` and its
    tree path (``"/"``-joined keys) contains ``"embedding"``, or when a regex of
    ``exclude_layers`` matches its path. Weight decay is ``weight_decay`` for Muon
    tensors and ``adam_weight_decay`` for Adam tensors.
    """
    excl = list(exclude_layers or [])

    def use_adam(w, path):
        if w.ndim != 2:
            return True
        if exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(k, path) for k in excl)

    def ns(x):
        shape = x.shape
        if shape[-2] > shape[-1]:
            x = _transpose_last(x)
        x = x / (jnp.linalg.norm(x, axis=(-2, -1), keepdims=True) + 1e-7)
        for _ in range(ns_steps):
            ta = x @ _transpose_last(x)
            tb = muon_b * ta + muon_c * ta @ ta
            x = muon_a * x + tb @ x
        if shape[-2] > shape[-1]:
            x = _transpose_last(x)
        return x

    def kernel(g, w, s, step, lr, sc, path):
        if use_adam(w, path):
            alr = lr * adam_lr_ratio
            alpha = alr * jnp.sqrt(1 - _pow(adam_beta_2, step)) / (1 - _pow(adam_beta_1, step))
            m = s["m"] + (g - s["m"]) * (1 - adam_beta_1)
            v = s["v"] + (jnp.square(g) - s["v"]) * (1 - adam_beta_2)
            return w - (m * alpha) / (jnp.sqrt(v) + epsilon), {"m": m, "v": v}
        m = s["m"] + (g + s["m"] * (momentum - 1))
        u = g + momentum * m if nesterov else m
        upd = lr * ns(u)
        if rms_rate is not None:
            upd = upd * math.sqrt(max(w.shape[0], w.shape[1])) * rms_rate
        return w - upd, {"m": m, "v": s["v"]}

    def wd_fn(w, path):
        return adam_weight_decay if use_adam(w, path) else weight_decay

    return keras_transform(
        {"m": _zeros, "v": _zeros},
        kernel,
        learning_rate,
        weight_decay_fn=wd_fn,
        **_common(
            None,
            clipnorm,
            clipvalue,
            global_clipnorm,
            use_ema,
            ema_momentum,
            ema_overwrite_frequency,
            loss_scale_factor,
            gradient_accumulation_steps,
            name,
            exclude_from_weight_decay,
        ),
    )
