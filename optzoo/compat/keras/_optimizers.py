"""Keras 3 ``keras.optimizers`` presets: the same argument names, defaults and numbers.

Each factory returns an ``optax.GradientTransformation`` whose updates are the
weight change of one ``optimizer.apply(grads)``. Keras computes its step scalars
(``beta ** step``) in the variable's dtype, and so do these presets.
"""

from __future__ import annotations

import math
import re

import jax.numpy as jnp
import optax

from optzoo.compat._common import semantics
from optzoo.compat.keras._base import keras_transform

__all__ = [
    "SGD",
    "RMSprop",
    "Adam",
    "AdamW",
    "Adadelta",
    "Adagrad",
    "Adamax",
    "Adafactor",
    "Nadam",
    "Ftrl",
    "Lion",
    "Lamb",
    "Muon",
]

_zeros = jnp.zeros_like


def _common(
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
):
    del name
    return dict(
        weight_decay=weight_decay,
        clipnorm=clipnorm,
        clipvalue=clipvalue,
        global_clipnorm=global_clipnorm,
        use_ema=use_ema,
        ema_momentum=ema_momentum,
        ema_overwrite_frequency=ema_overwrite_frequency,
        loss_scale_factor=loss_scale_factor,
        gradient_accumulation_steps=gradient_accumulation_steps,
    )


def _pow(beta, step):
    return jnp.asarray(beta, step.dtype) ** step


@semantics(
    "sgd",
    "keras",
    eps="none",
    weight_decay="decoupled, scaled by lr: w -= w wd lr (default None)",
    nesterov="m = mu m - lr g; w += mu m - lr g (lr inside the buffer)",
    bias_correction="none",
    accumulator_init="m = 0",
)
def SGD(
    learning_rate=0.01,
    momentum=0.0,
    nesterov=False,
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
) -> optax.GradientTransformation:
    r"""``keras.optimizers.SGD``: :math:`m \leftarrow \mu m - \eta g`,
    :math:`w \leftarrow w + m` (Nesterov: :math:`w \leftarrow w + \mu m - \eta g`).

    References:
      Robbins & Monro. A Stochastic Approximation Method. 1951.
      https://doi.org/10.1214/aoms/1177729586
    """
    if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
        raise ValueError("`momentum` must be a float between [0, 1].")

    def kernel(g, w, s, step, lr, sc, path):
        if momentum == 0:
            return w - g * lr, s
        m = s["m"] * momentum - g * lr
        return (w + (m * momentum - g * lr) if nesterov else w + m), {"m": m}

    slots = {"m": _zeros} if momentum else {}
    return keras_transform(
        slots,
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
        ),
    )


@semantics(
    "rmsprop",
    "keras",
    eps="inside the sqrt: g / sqrt(v + eps)",
    weight_decay="decoupled, scaled by lr (default None)",
    nesterov="n/a (heavy ball on lr g / sqrt(v + eps))",
    bias_correction="none",
    accumulator_init="v = 0",
)
def RMSprop(
    learning_rate=0.001,
    rho=0.9,
    momentum=0.0,
    epsilon=1e-7,
    centered=False,
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
) -> optax.GradientTransformation:
    r"""``keras.optimizers.RMSprop``: :math:`v \leftarrow \rho v + (1-\rho)g^2`,
    :math:`\Delta = \eta g/\sqrt{v - \bar g^2[\text{centered}] + \epsilon}`,
    :math:`m \leftarrow \mu m + \Delta`, :math:`w \leftarrow w - m`.

    References:
      Tieleman & Hinton. Lecture 6.5, RMSProp. 2012.
      https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf
    """

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
    return keras_transform(
        slots,
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
        ),
    )


def _adam_kernel(beta_1, beta_2, epsilon, amsgrad):
    def kernel(g, w, s, step, lr, sc, path):
        alpha = lr * jnp.sqrt(1 - _pow(beta_2, step)) / (1 - _pow(beta_1, step))
        m = s["m"] + (g - s["m"]) * (1 - beta_1)
        v = s["v"] + (jnp.square(g) - s["v"]) * (1 - beta_2)
        new = {"m": m, "v": v}
        if amsgrad:
            v = jnp.maximum(s["vhat"], v)
            new["vhat"] = v
        return w - (m * alpha) / (jnp.sqrt(v) + epsilon), new

    return kernel


@semantics(
    "adam",
    "keras",
    eps="eps_hat: lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps), i.e. eps not bias-corrected",
    weight_decay="decoupled, scaled by lr (default None)",
    bias_correction="yes, folded into the step size",
    accumulator_init="m = v = 0; amsgrad keeps max of raw v",
)
def Adam(
    learning_rate=0.001,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-7,
    amsgrad=False,
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
) -> optax.GradientTransformation:
    r"""``keras.optimizers.Adam``:
    :math:`w \leftarrow w - \eta\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\frac{m}{\sqrt v+\epsilon}`
    (``optax.adam(eps=...)`` adds :math:`\epsilon` to :math:`\sqrt{\hat v}` instead).

    References:
      Kingma & Ba. Adam: A Method for Stochastic Optimization. 2015.
      https://arxiv.org/abs/1412.6980
    """
    slots = {"m": _zeros, "v": _zeros}
    if amsgrad:
        slots["vhat"] = _zeros
    return keras_transform(
        slots,
        _adam_kernel(beta_1, beta_2, epsilon, amsgrad),
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
        ),
    )


@semantics(
    "adamw",
    "keras",
    eps="eps_hat: m / (sqrt(v) + eps) with bias corrections in the step size",
    weight_decay="decoupled, scaled by lr: w -= w wd lr, before the Adam step",
    bias_correction="yes, folded into the step size",
    accumulator_init="m = v = 0",
)
def AdamW(
    learning_rate=0.001,
    weight_decay=0.004,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-7,
    amsgrad=False,
    clipnorm=None,
    clipvalue=None,
    global_clipnorm=None,
    use_ema=False,
    ema_momentum=0.99,
    ema_overwrite_frequency=None,
    loss_scale_factor=None,
    gradient_accumulation_steps=None,
    name=None,
) -> optax.GradientTransformation:
    r"""``keras.optimizers.AdamW``: :func:`Adam` with ``weight_decay=0.004``.

    References:
      Loshchilov & Hutter. Decoupled Weight Decay Regularization. 2019.
      https://arxiv.org/abs/1711.05101
    """
    if weight_decay is None:
        raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
    return Adam(
        learning_rate,
        beta_1,
        beta_2,
        epsilon,
        amsgrad,
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
    )


@semantics(
    "adadelta",
    "keras",
    eps="sqrt(u + eps) / sqrt(v + eps) g",
    weight_decay="decoupled, scaled by lr (default None)",
    bias_correction="none",
    accumulator_init="v = u = 0",
)
def Adadelta(
    learning_rate=0.001,
    rho=0.95,
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
) -> optax.GradientTransformation:
    r"""``keras.optimizers.Adadelta`` (Keras's default ``learning_rate`` is 0.001).

    References:
      Zeiler. ADADELTA: An Adaptive Learning Rate Method. 2012. https://arxiv.org/abs/1212.5701
    """

    def kernel(g, w, s, step, lr, sc, path):
        v = rho * s["v"] + (1 - rho) * jnp.square(g)
        delta = -(jnp.sqrt(s["u"] + epsilon) * g) / jnp.sqrt(v + epsilon)
        u = rho * s["u"] + (1 - rho) * jnp.square(delta)
        return w + lr * delta, {"v": v, "u": u}

    return keras_transform(
        {"v": _zeros, "u": _zeros},
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
        ),
    )


@semantics(
    "adagrad",
    "keras",
    eps="inside the sqrt: g / sqrt(sum + eps)",
    weight_decay="decoupled, scaled by lr (default None)",
    bias_correction="none",
    accumulator_init="initial_accumulator_value (default 0.1)",
)
def Adagrad(
    learning_rate=0.001,
    initial_accumulator_value=0.1,
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
) -> optax.GradientTransformation:
    r"""``keras.optimizers.Adagrad``: :math:`S \leftarrow S + g^2`,
    :math:`w \leftarrow w - \eta g/\sqrt{S+\epsilon}`.

    References:
      Duchi, Hazan & Singer. Adaptive Subgradient Methods for Online Learning and Stochastic
      Optimization. 2011. https://jmlr.org/papers/v12/duchi11a.html
    """

    def kernel(g, w, s, step, lr, sc, path):
        acc = s["acc"] + jnp.square(g)
        return w - lr * g / jnp.sqrt(acc + epsilon), {"acc": acc}

    init = lambda p: jnp.full_like(p, initial_accumulator_value)
    return keras_transform(
        {"acc": init},
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
        ),
    )


@semantics(
    "adamax",
    "keras",
    eps="outside the max: m / ((1 - b1^t)(u + eps))",
    weight_decay="decoupled, scaled by lr (default None)",
    bias_correction="first moment only",
    accumulator_init="m = u = 0",
)
def Adamax(
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
) -> optax.GradientTransformation:
    r"""``keras.optimizers.Adamax``: :math:`u \leftarrow \max(\beta_2 u, |g|)`,
    :math:`w \leftarrow w - \eta m/((1-\beta_1^t)(u+\epsilon))`.

    References:
      Kingma & Ba. Adam: A Method for Stochastic Optimization. 2015.
      https://arxiv.org/abs/1412.6980
    """

    def kernel(g, w, s, step, lr, sc, path):
        m = s["m"] + (g - s["m"]) * (1 - beta_1)
        u = jnp.maximum(beta_2 * s["u"], jnp.abs(g))
        return w - (lr * m) / ((1 - _pow(beta_1, step)) * (u + epsilon)), {"m": m, "u": u}

    return keras_transform(
        {"m": _zeros, "u": _zeros},
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
        ),
    )


@semantics(
    "nadam",
    "keras",
    eps="m_hat / (sqrt(v_hat) + eps)",
    weight_decay="decoupled, scaled by lr (default None)",
    nesterov="Dozat, momentum schedule u_t = b1 (1 - 0.5 0.96^t) (fixed psi = 1)",
    bias_correction="u-product for m, 1 - b2^t for v",
    accumulator_init="m = v = 0, u_product = 1",
)
def Nadam(
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
) -> optax.GradientTransformation:
    r"""``keras.optimizers.Nadam`` (Dozat 2016): PyTorch's NAdam with
    ``momentum_decay=1`` in the exponent of 0.96.

    References:
      Dozat. Incorporating Nesterov Momentum into Adam. 2016.
      https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ
    """

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

    return keras_transform(
        {"m": _zeros, "v": _zeros},
        kernel,
        learning_rate,
        scalars={"u_product": lambda: jnp.ones([], jnp.float32)},
        scalar_step=scalar_step,
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
        ),
    )


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
        ),
    )
