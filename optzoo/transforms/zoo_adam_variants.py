"""Adam-family building blocks: LaProp, StableAdamW, Grams, AdaBound, AdamP, Adam-mini and MARS."""

from __future__ import annotations

from typing import Literal, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from optax import ScaleByAdamState

from optzoo.core.eager import power
from optzoo.core.validation import check_decay, check_nonnegative, check_positive

__all__ = [
    "scale_by_laprop",
    "scale_by_stable_adamw",
    "scale_by_grams",
    "scale_by_adabound",
    "scale_by_adamp",
    "scale_by_adam_mini",
    "scale_by_mars",
    "ScaleByMarsState",
]


def _betas(b1, b2) -> None:
    check_decay("b1", b1)
    check_decay("b2", b2)


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
    _betas(b1, b2)
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
    _betas(b1, b2)
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
) -> optax.GradientTransformation:
    r"""Grams scaling: Adam's magnitude with the current gradient's sign.

    .. math::
       u_t = \operatorname{sign}(g_t)\,\big|\hat m_t/(\sqrt{\hat v_t} + \epsilon)\big|.

    Args:
      b1: momentum decay.
      b2: second-moment decay.
      eps: denominator.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdamState``.

    References:
      Cao, Li, Song. Grams: Gradient Descent with Adaptive Momentum Scaling. 2024.
      https://arxiv.org/abs/2412.17107
    """
    _betas(b1, b2)
    check_nonnegative("eps", eps)

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        bc1 = 1 - power(b1, count)
        bc2 = 1 - power(b2, count)
        out = jax.tree.map(
            lambda g, m, v: (
                jnp.sign(g) * jnp.abs((m / bc1) / (jnp.sqrt(v) / jnp.sqrt(bc2) + eps))
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
    _betas(b1, b2)
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
    _betas(b1, b2)
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

    Args:
      b1: momentum decay.
      b2: second-moment decay.
      eps: denominator.
      block_axis: the axis whose indices are the blocks of matrices and higher-rank leaves;
        ``None`` (default) is the last axis.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdamState``.

    References:
      Zhang et al. Adam-mini: Use Fewer Learning Rates To Gain More. 2024.
      https://arxiv.org/abs/2406.16793
    """
    _betas(b1, b2)
    check_nonnegative("eps", eps)
    block_axis = -1 if block_axis is None else block_axis

    def reduce_axes(x):
        if x.ndim < 2:
            return tuple(range(x.ndim))
        keep = block_axis % x.ndim
        return tuple(i for i in range(x.ndim) if i != keep)

    def init_fn(params):
        return ScaleByAdamState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params),
            nu=jax.tree.map(
                lambda p: jnp.zeros(
                    [1 if i in reduce_axes(p) else s for i, s in enumerate(p.shape)], p.dtype
                ),
                params,
            ),
        )

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = jax.tree.map(
            lambda g, v: (
                b2 * v
                + (1 - b2) * jnp.mean(jnp.real(jnp.conj(g) * g), axis=reduce_axes(g), keepdims=True)
            ),
            updates,
            state.nu,
        )
        mu_hat = optax.tree.bias_correction(mu, b1, count)
        nu_hat = optax.tree.bias_correction(nu, b2, count)
        out = jax.tree.map(lambda m, v: m / (jnp.sqrt(v) + eps), mu_hat, nu_hat)
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
    _betas(b1, b2)
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
