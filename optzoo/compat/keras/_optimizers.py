"""Keras 3 ``keras.optimizers`` presets (SGD, RMSprop and the Adam/Adagrad family).

The presets take the same argument names and defaults and give the same numbers.

Each factory returns an ``optax.GradientTransformation`` whose updates are the
weight change of one ``optimizer.apply(grads)``. Keras computes its step scalars
(``beta ** step``) in the variable's dtype, and so do these presets.

Keras's ``optimizer.exclude_from_weight_decay(var_names=...)`` becomes the extra
argument ``exclude_from_weight_decay=[...]``: regular expressions searched in each
parameter's ``"/"``-joined tree path (Keras searches the variable name).
"""

from __future__ import annotations

import jax.numpy as jnp
import optax

from optzoo.compat._common import semantics
from optzoo.compat.keras._base import keras_transform

__all__ = ["SGD", "RMSprop", "Adam", "AdamW", "Adadelta", "Adagrad", "Adamax", "Nadam"]

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
    exclude_from_weight_decay=None,
):
    del name
    return dict(
        exclude_from_weight_decay=exclude_from_weight_decay,
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
    exclude_from_weight_decay=None,
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
            exclude_from_weight_decay,
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
    exclude_from_weight_decay=None,
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
            exclude_from_weight_decay,
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
    exclude_from_weight_decay=None,
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
            exclude_from_weight_decay,
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
    exclude_from_weight_decay=None,
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
        exclude_from_weight_decay,
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
    exclude_from_weight_decay=None,
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
            exclude_from_weight_decay,
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
    exclude_from_weight_decay=None,
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
            exclude_from_weight_decay,
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
    exclude_from_weight_decay=None,
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
            exclude_from_weight_decay,
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
    exclude_from_weight_decay=None,
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
            exclude_from_weight_decay,
        ),
    )
