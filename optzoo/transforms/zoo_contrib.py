"""Building blocks of optimizers that ``optax.contrib`` also ships.

AdEMAMix (full and simplified), ADOPT, MADGRAD, COCOB and DoG. Each gives
``optax.contrib``'s numbers and uses its state classes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import jax
import jax.numpy as jnp
import optax
from optax import ScaleByAdamState
from optax.contrib import (
    COCOBState,
    DoGState,
    MadgradState,
    ScaleByAdemamixState,
    ScaleBySimplifiedAdEMAMixState,
)

from optzoo.core.dtypes import tree_dtype
from optzoo.core.validation import check_decay, check_nonnegative, check_positive

__all__ = [
    "scale_by_ademamix",
    "scale_by_simplified_ademamix",
    "scale_by_adopt",
    "scale_by_madgrad",
    "scale_by_cocob",
    "scale_by_dog",
]


def _quarter_power(x):
    return x**0.25


def _value(x, count):
    return x(count) if callable(x) else x


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
    check_decay("b1", b1)
    check_decay("b2", b2)
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
    check_decay("b1", b1)
    check_decay("b2", b2)

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
    check_decay("b1", b1)
    check_decay("b2", b2)
    mu_dtype = None if mu_dtype is None else jax.dtypes.canonicalize_dtype(mu_dtype)
    if clip_value_fn is None:
        clip_value_fn = _quarter_power

    def init_fn(params):
        return ScaleByAdamState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params, dtype=mu_dtype),
            nu=optax.tree.zeros_like(params),
        )

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


def scale_by_madgrad(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float = 0.9,
    eps: float = 1e-6,
) -> optax.GradientTransformation:
    r"""MADGRAD: momentumised, adaptive dual averaging; emits the full (negative) step.

    With :math:`\lambda_k = (\eta_k + \epsilon)\sqrt{k+1}`:

    .. math::
       S_{k+1} = S_k + \lambda_k g_k,\quad \nu_{k+1} = \nu_k + \lambda_k g_k^2,\quad
       z_{k+1} = x_0 - S_{k+1}/(\nu_{k+1}^{1/3} + \epsilon),\\
       x_{k+1} = (1-c)\, x_k + c\, z_{k+1}\quad (c = 1 - \text{momentum}).

    Args:
      learning_rate: :math:`\eta` (scalar or schedule).
      momentum: weight of the previous iterate.
      eps: stabiliser of the learning rate and the cube root.

    Returns:
      A ``GradientTransformation`` with state ``optax.contrib.MadgradState``; needs params.

    References:
      Defazio, Jelassi. Adaptivity without Compromise: A Momentumized, Adaptive, Dual
      Averaged Gradient Method for Stochastic Optimization. 2021.
      https://arxiv.org/abs/2101.11075
    """
    check_nonnegative("eps", eps)

    def init_fn(params):
        return MadgradState(
            count=jnp.zeros([], jnp.int32),
            grad_sum_sq=optax.tree.zeros_like(params),
            s=optax.tree.zeros_like(params),
            x0=jax.tree.map(lambda x: x, params),
        )

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_madgrad needs params")
        lam = (_value(learning_rate, state.count) + eps) * jnp.sqrt(state.count + 1)
        nu = jax.tree.map(
            lambda v, g: v + (lam * (g**2)).astype(g.dtype), state.grad_sum_sq, updates
        )
        s = jax.tree.map(lambda a, g: a + (lam * g).astype(g.dtype), state.s, updates)
        z = jax.tree.map(lambda x0, a, v: x0 - a / (jnp.cbrt(v) + eps), state.x0, s, nu)
        x_new = jax.tree.map(lambda zz, x: (1 - momentum) * zz + momentum * x, z, params)
        new_updates = jax.tree.map(lambda a, b: a - b, x_new, params)
        return new_updates, MadgradState(
            count=optax.safe_increment(state.count), grad_sum_sq=nu, s=s, x0=state.x0
        )

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_cocob(
    alpha: jax.typing.ArrayLike = 100.0, eps: jax.typing.ArrayLike = 1e-8
) -> optax.GradientTransformation:
    r"""COCOB-Backprop: per-coordinate coin betting; emits the full step.

    With :math:`L` the running max of :math:`|g|`, :math:`G` the sum of :math:`|g|`,
    :math:`R = \max(R - g(x - x_0), 0)` the reward and :math:`\Theta = -\sum g`:

    .. math::
       x_{t+1} = x_0 + \frac{\Theta}{L \max(G + L, \alpha L)} (L + R).

    Args:
      alpha: limits the first steps (the paper's :math:`\alpha`).
      eps: initial value of :math:`L`.

    Returns:
      A ``GradientTransformation`` with state ``optax.contrib.COCOBState``; needs params.

    References:
      Orabona, Tommasi. Training Deep Networks without Learning Rates Through Coin Betting.
      2017. https://arxiv.org/abs/1705.07795
    """
    check_positive("alpha", alpha)

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        return COCOBState(
            init_particles=params,
            cumulative_gradients=zeros,
            scale=optax.tree.scale(eps, optax.tree.ones_like(params)),
            subgradients=zeros,
            reward=zeros,
        )

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError("scale_by_cocob needs params")
        x0 = state.init_particles
        big_l = jax.tree.map(lambda a, g: jnp.maximum(a, jnp.abs(g)), state.scale, updates)
        big_g = jax.tree.map(lambda a, g: a + jnp.abs(g), state.subgradients, updates)
        reward = jax.tree.map(
            lambda r, g, p, p0: jnp.maximum(r - g * (p - p0), 0), state.reward, updates, params, x0
        )
        theta = jax.tree.map(lambda c, g: c - g, state.cumulative_gradients, updates)
        new_updates = jax.tree.map(
            lambda p, p0, c, lv, gv, r: (
                -p + (p0 + c / (lv * jnp.maximum(gv + lv, alpha * lv)) * (lv + r))
            ),
            params,
            x0,
            theta,
            big_l,
            big_g,
            reward,
        )
        return new_updates, COCOBState(
            init_particles=x0,
            cumulative_gradients=theta,
            scale=big_l,
            subgradients=big_g,
            reward=reward,
        )

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_dog(
    init_step: tuple[Literal["distance", "learning_rate", "heuristic"], jax.typing.ArrayLike],
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""DoG step size: distance from the start over the root sum of squared gradient norms.

    .. math::
       \bar r_t = \max(\bar r_{t-1}, \|x_t - x_0\|),\quad
       \eta_t = \bar r_t / \sqrt{\textstyle\sum_{i\le t}\|g_i\|^2 + \epsilon},\quad
       u_t = \eta_t g_t.

    ``init_step`` sets :math:`\bar r_0`: ``("distance", r)``, ``("heuristic", a)``
    (:math:`a(1 + \|x_0\|)`) or ``("learning_rate", \eta_0)`` (first step uses :math:`\eta_0`).

    Args:
      init_step: how the first step is chosen, and its value.
      eps: added under the square root.

    Returns:
      A ``GradientTransformation`` with state ``optax.contrib.DoGState``; needs params.

    References:
      Ivgi, Hinder, Carmon. DoG is SGD's Best Friend: A Parameter-Free Dynamic Step Size
      Schedule. 2023. https://arxiv.org/abs/2302.12022
    """
    kind, value = init_step
    if kind not in ("distance", "learning_rate", "heuristic"):
        raise ValueError(f"Invalid init_step specification for scale_by_dog: {kind!r}")

    def init_fn(params):
        dtype = tree_dtype(params, "lowest")
        if kind == "distance":
            r0 = value
        elif kind == "heuristic":
            r0 = value * (1 + optax.tree.norm(params))
        else:
            r0 = 0.0
        return DoGState(
            is_init_step=jnp.asarray(True),
            init_params=params,
            max_dist=jnp.asarray(r0, dtype=dtype),
            sum_sq_norm_grads=jnp.asarray(0.0, dtype=dtype),
        )

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError("scale_by_dog needs params")
        dist = optax.tree.norm(optax.tree.sub(state.init_params, params))
        max_dist = jnp.maximum(state.max_dist, dist)
        sum_sq = state.sum_sq_norm_grads + optax.tree.norm(updates, squared=True)
        lr = max_dist / jnp.sqrt(sum_sq + eps)
        if kind == "learning_rate":
            lr = jnp.where(state.is_init_step, value, lr)
        new_state = DoGState(
            is_init_step=jnp.asarray(False),
            init_params=state.init_params,
            max_dist=max_dist,
            sum_sq_norm_grads=sum_sq,
        )
        # Mixed-precision trees: the norms are float32, the state keeps its own dtypes.
        new_updates = optax.tree.cast_like(optax.tree.scale(lr, updates), updates)
        return new_updates, optax.tree.cast_like(new_state, state)

    return optax.GradientTransformation(init_fn, update_fn)
