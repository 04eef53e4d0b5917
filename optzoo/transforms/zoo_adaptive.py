"""Adaptive building blocks: AdaBelief, RAdam, Adan, Yogi, NovoGrad, SM3 and the trust ratio."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import optax
from optax import (
    ScaleByAdamState,
    ScaleByAdanState,
    ScaleByBeliefState,
    ScaleByNovogradState,
    ScaleBySM3State,
)

from optzoo.core.eager import integer_power
from optzoo.core.validation import check_decay, check_nonnegative, check_range

__all__ = [
    "scale_by_belief",
    "scale_by_radam",
    "scale_by_adan",
    "scale_by_yogi",
    "scale_by_novograd",
    "scale_by_trust_ratio",
    "scale_by_sm3",
]


def _is_none(x) -> bool:
    return x is None


def _abs_sq(x: jax.Array) -> jax.Array:
    return jnp.real(jnp.conj(x) * x)


def _check_betas(**betas) -> None:
    for name, value in betas.items():
        check_decay(name, value)


def _nesterov_mu_hat(mu, updates, b1, count_inc):
    # Debiased Nesterov look-ahead: b1 * mu_hat(t+1) + (1 - b1) * g_hat(t).
    return jax.tree.map(
        lambda m, g: b1 * m + (1 - b1) * g,
        optax.tree.bias_correction(mu, b1, optax.safe_increment(count_inc)),
        optax.tree.bias_correction(updates, b1, count_inc),
    )


def scale_by_belief(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-16,
    eps_root: jax.typing.ArrayLike = 1e-16,
    *,
    nesterov: bool = False,
) -> optax.GradientTransformation:
    r"""AdaBelief scaling: Adam with the variance of the gradient around its EMA.

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
       s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2 + \epsilon_{root},\quad
       u_t = \hat m_t / (\sqrt{\hat s_t} + \epsilon).

    Args:
      b1: decay of the first moment.
      b2: decay of the belief (centred second moment).
      eps: added to the denominator outside the square root.
      eps_root: added to :math:`s_t` each step.
      nesterov: use the Nesterov form of the first moment.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByBeliefState``.

    References:
      Zhuang et al. AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed
      Gradients. 2020. https://arxiv.org/abs/2010.07468
    """
    _check_betas(b1=b1, b2=b2)
    check_nonnegative("eps", eps)
    check_nonnegative("eps_root", eps_root)

    def init_fn(params):
        return ScaleByBeliefState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params),
            nu=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        residual = optax.tree.sub(updates, mu)
        nu = optax.tree.update_moment_per_elem_norm(residual, state.nu, b2, 2)
        nu = jax.tree.map(lambda v: v + eps_root, nu)
        count_inc = optax.safe_increment(state.count)
        if nesterov:
            mu_hat = _nesterov_mu_hat(mu, updates, b1, count_inc)
        else:
            mu_hat = optax.tree.bias_correction(mu, b1, count_inc)
        nu_hat = optax.tree.bias_correction(nu, b2, count_inc)
        new_updates = jax.tree.map(
            lambda m, v: None if m is None else m / (jnp.sqrt(v) + eps),
            mu_hat,
            nu_hat,
            is_leaf=_is_none,
        )
        return new_updates, ScaleByBeliefState(count=count_inc, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_radam(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    threshold: jax.typing.ArrayLike = 5.0,
    *,
    nesterov: bool = False,
) -> optax.GradientTransformation:
    r"""Rectified Adam scaling.

    With :math:`\rho_\infty = 2/(1-\beta_2) - 1` and
    :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)`: when :math:`\rho_t \ge`
    ``threshold`` the update is :math:`r_t \hat m_t/(\sqrt{\hat v_t+\epsilon_{root}}+\epsilon)`
    with :math:`r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}
    {(\rho_\infty-4)(\rho_\infty-2)\rho_t}}`, otherwise the un-adapted :math:`\hat m_t`.

    Args:
      b1: decay of the first moment.
      b2: decay of the second moment.
      eps: added to the denominator outside the square root.
      eps_root: added inside the square root.
      threshold: :math:`\rho_t` above which the adaptive step is used.
      nesterov: use the Nesterov form of the first moment.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdamState``.

    References:
      Liu et al. On the Variance of the Adaptive Learning Rate and Beyond. 2020.
      https://arxiv.org/abs/1908.03265
    """
    _check_betas(b1=b1, b2=b2)
    check_nonnegative("eps", eps)
    rho_inf = 2.0 / (1.0 - b2) - 1.0

    def init_fn(params):
        return ScaleByAdamState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params),
            nu=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        count_inc = optax.safe_increment(state.count)
        b2t = integer_power(b2, count_inc)
        rho = rho_inf - 2 * count_inc * b2t / (1 - b2t)
        if nesterov:
            mu_hat = _nesterov_mu_hat(mu, updates, b1, count_inc)
        else:
            mu_hat = optax.tree.bias_correction(mu, b1, count_inc)
        nu_hat = optax.tree.bias_correction(nu, b2, count_inc)
        rect = jnp.sqrt(
            (rho - 4.0) * (rho - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho)
        )
        new_updates = jax.tree.map(
            lambda m, v: jnp.where(
                rho >= threshold, rect.astype(m.dtype) * m / (jnp.sqrt(v + eps_root) + eps), m
            ),
            mu_hat,
            nu_hat,
        )
        return new_updates, ScaleByAdamState(count=count_inc, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_adan(
    b1: jax.typing.ArrayLike = 0.98,
    b2: jax.typing.ArrayLike = 0.92,
    b3: jax.typing.ArrayLike = 0.99,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
) -> optax.GradientTransformation:
    r"""Adan scaling (Algorithm 1 of the paper, with bias correction).

    With :math:`\delta_t = g_t - g_{t-1}` (zero on the first step):

    .. math::
       m_t = \beta_1 m + (1-\beta_1) g_t,\quad v_t = \beta_2 v + (1-\beta_2)\delta_t,\quad
       n_t = \beta_3 n + (1-\beta_3)(g_t + (1-\beta_2)\delta_t)^2,\\
       u_t = (\hat m_t + (1-\beta_2)\hat v_t) / (\sqrt{\hat n_t + \epsilon_{root}} + \epsilon).

    Note: the paper writes the betas as :math:`1-\beta`; these are the decay rates.

    Args:
      b1: decay of the gradient EMA.
      b2: decay of the gradient-difference EMA.
      b3: decay of the second moment.
      eps: added to the denominator outside the square root.
      eps_root: added inside the square root.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdanState``.

    References:
      Xie et al. Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep
      Models. 2022. https://arxiv.org/abs/2208.06677
    """
    _check_betas(b1=b1, b2=b2, b3=b3)
    check_nonnegative("eps", eps)

    def init_fn(params):
        return ScaleByAdanState(
            m=optax.tree.zeros_like(params),
            v=optax.tree.zeros_like(params),
            n=optax.tree.zeros_like(params),
            g=optax.tree.zeros_like(params),
            t=jnp.zeros([], jnp.int32),
        )

    def update_fn(updates, state, params=None):
        del params
        g = updates
        diff = optax.tree.where(state.t == 0, optax.tree.zeros_like(g), optax.tree.sub(g, state.g))
        m = optax.tree.update_moment(g, state.m, b1, 1)
        v = optax.tree.update_moment(diff, state.v, b2, 1)
        n = optax.tree.update_moment_per_elem_norm(
            optax.tree.add_scale(g, 1 - b2, diff), state.n, b3, 2
        )
        t = optax.safe_increment(state.t)
        m_hat = optax.tree.bias_correction(m, b1, t)
        v_hat = optax.tree.bias_correction(v, b2, t)
        n_hat = optax.tree.bias_correction(n, b3, t)
        num = optax.tree.add_scale(m_hat, 1 - b2, v_hat)
        den = jax.tree.map(lambda x: jnp.sqrt(x + eps_root) + eps, n_hat)
        return optax.tree.div(num, den), ScaleByAdanState(m=m, v=v, n=n, g=g, t=t)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_yogi(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-3,
    eps_root: jax.typing.ArrayLike = 0.0,
    initial_accumulator_value: jax.typing.ArrayLike = 1e-6,
) -> optax.GradientTransformation:
    r"""Yogi scaling: an additive, sign-controlled second-moment update.

    .. math::
       v_t = v_{t-1} - (1-\beta_2)\operatorname{sign}(v_{t-1} - g_t^2)\, g_t^2,\quad
       u_t = \hat m_t / (\sqrt{\hat v_t + \epsilon_{root}} + \epsilon).

    Both moments start at ``initial_accumulator_value``.

    Args:
      b1: decay of the first moment.
      b2: rate of the second-moment update.
      eps: added to the denominator outside the square root.
      eps_root: added inside the square root.
      initial_accumulator_value: initial value of both moments.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByAdamState``.

    References:
      Zaheer et al. Adaptive Methods for Nonconvex Optimization. 2018.
      https://papers.nips.cc/paper/2018/hash/90365351ccc7437a1309dc64e4db32a3-Abstract.html
    """
    _check_betas(b1=b1, b2=b2)
    check_nonnegative("eps", eps)

    def init_fn(params):
        return ScaleByAdamState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.full_like(params, initial_accumulator_value),
            nu=optax.tree.full_like(params, initial_accumulator_value),
        )

    def update_fn(updates, state, params=None):
        del params
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = jax.tree.map(
            lambda g, v: v - (1 - b2) * jnp.sign(v - _abs_sq(g)) * _abs_sq(g),
            updates,
            state.nu,
        )
        count_inc = optax.safe_increment(state.count)
        mu_hat = optax.tree.bias_correction(mu, b1, count_inc)
        nu_hat = optax.tree.bias_correction(nu, b2, count_inc)
        new_updates = jax.tree.map(
            lambda m, v: None if m is None else m / (jnp.sqrt(v + eps_root) + eps),
            mu_hat,
            nu_hat,
            is_leaf=_is_none,
        )
        return new_updates, ScaleByAdamState(count=count_inc, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_novograd(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.25,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mu_dtype: jax.typing.DTypeLike | None = None,
) -> optax.GradientTransformation:
    r"""NovoGrad scaling: layer-wise second moments of the gradient norm.

    Per leaf, with :math:`v_1 = \|g_1\|^2` and :math:`m_1 = g_1/\sqrt{v_1} + \lambda x_1`:

    .. math::
       v_t = \beta_2 v_{t-1} + (1-\beta_2)\|g_t\|^2,\quad
       m_t = \beta_1 m_{t-1} + \frac{g_t}{\sqrt{v_t+\epsilon_{root}}+\epsilon} + \lambda x_t,
       \quad u_t = m_t.

    Args:
      b1: decay of the first moment.
      b2: decay of the layer-wise second moment.
      eps: added to the denominator outside the square root.
      eps_root: added inside the square root.
      weight_decay: :math:`\lambda`, decoupled inside the momentum.
      mu_dtype: dtype of the first moment.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleByNovogradState``; needs params.

    References:
      Ginsburg et al. Stochastic Gradient Methods with Layer-wise Adaptive Moments for
      Training of Deep Networks. 2019. https://arxiv.org/abs/1905.11286
    """
    _check_betas(b1=b1, b2=b2)
    check_nonnegative("eps", eps)
    mu_dtype = None if mu_dtype is None else jax.dtypes.canonicalize_dtype(mu_dtype)

    def init_fn(params):
        mu = optax.tree.zeros_like(params, dtype=mu_dtype)
        nu = jax.tree.map(lambda p: jnp.asarray(0.0, dtype=p.dtype), params)
        return ScaleByNovogradState(count=jnp.zeros([], jnp.int32), mu=mu, nu=nu)

    def sq_norm(g):
        return jnp.linalg.norm(g) ** 2

    def direction(g, p, v):
        return g / (jnp.sqrt(v + eps_root) + eps) + weight_decay * p

    def first_nu(grads, nu):
        return jax.tree.map(lambda g, n: sq_norm(g).astype(n.dtype), grads, nu)

    def next_nu(grads, nu):
        return optax.tree.update_moment(jax.tree.map(sq_norm, grads), nu, b2, 1)

    def first_mu(grads, params, mu, nu):
        del mu
        return jax.tree.map(direction, grads, params, nu)

    def next_mu(grads, params, mu, nu):
        d = jax.tree.map(direction, grads, params, nu)
        return jax.tree.map(lambda m, u: None if m is None else b1 * m + u, mu, d, is_leaf=_is_none)

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError("scale_by_novograd needs params")
        count_inc = optax.safe_increment(state.count)
        nu = jax.lax.cond(count_inc == 1, first_nu, next_nu, updates, state.nu)
        mu = jax.lax.cond(count_inc == 1, first_mu, next_mu, updates, params, state.mu, nu)
        mu = optax.tree.cast(mu, mu_dtype)
        return mu, ScaleByNovogradState(count=count_inc, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_trust_ratio(
    min_norm: jax.typing.ArrayLike = 0.0,
    trust_coefficient: jax.typing.ArrayLike = 1.0,
    eps: jax.typing.ArrayLike = 0.0,
) -> optax.GradientTransformation:
    r"""Layer-wise trust ratio (LARS / LAMB): :math:`u \leftarrow u \cdot c\|x\|/(\|u\|+\epsilon)`.

    Norms are clipped below at ``min_norm``; where either norm is zero the ratio is 1.

    Args:
      min_norm: lower clip of both norms.
      trust_coefficient: :math:`c`.
      eps: added to the update norm.

    Returns:
      A stateless ``GradientTransformation``; needs params.

    References:
      You, Gitman, Ginsburg. Large Batch Training of Convolutional Networks. 2017.
      https://arxiv.org/abs/1708.03888
    """
    check_nonnegative("min_norm", min_norm)
    check_nonnegative("eps", eps)

    def scale_one(u, p):
        p_norm = optax.safe_norm(p, min_norm)
        u_norm = optax.safe_norm(u, min_norm)
        ratio = trust_coefficient * p_norm / (u_norm + eps)
        zero = jnp.logical_or(p_norm == 0.0, u_norm == 0.0)
        return u * jnp.where(zero, jnp.array(1.0, dtype=p.dtype), ratio)

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError("scale_by_trust_ratio needs params")
        return jax.tree.map(scale_one, updates, params), state

    return optax.GradientTransformation(optax.init_empty_state, update_fn)


def scale_by_sm3(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 1.0,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""SM3 scaling: one accumulator per row, column, … of each tensor (SM3-II).

    For a tensor with per-axis accumulators :math:`\mu^{(r)}`,

    .. math::
       \nu_t = \beta_2 \min_r \mu^{(r)}_{t-1} + c\, g_t^2\quad(c = 1 \text{ if } \beta_2 = 1
       \text{ else } 1-\beta_2),\qquad \mu^{(r)}_t = \max_{\text{other axes}} \nu_t,\\
       m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t/\sqrt{\nu_t + \epsilon}\ (0 \text{ where }
       \nu_t = 0),\qquad u_t = m_t.

    Vectors and scalars keep a full accumulator.

    Args:
      b1: decay of the momentum of the scaled gradient.
      b2: decay of the accumulators (1: pure accumulation, the paper).
      eps: added under the square root.

    Returns:
      A ``GradientTransformation`` with state ``optax.ScaleBySM3State``.

    References:
      Anil, Gupta, Koren, Singer. Memory-Efficient Adaptive Optimization. 2019.
      https://arxiv.org/abs/1901.11150
    """
    check_range("b1", b1, 0.0, 1.0)
    check_range("b2", b2, 0.0, 1.0)

    def axis_zeros(p, axis):
        return jnp.zeros((p.shape[axis],), dtype=p.dtype)

    def init_fn(params):
        for p in jax.tree.leaves(params):
            if jnp.iscomplexobj(p):
                raise ValueError("scale_by_sm3 does not support complex parameters")
        # A scalar keeps its accumulator in a one-element vector (it has no axes).
        mu = jax.tree.map(
            lambda p: [
                axis_zeros(p.reshape(1) if p.ndim == 0 else p, i) for i in range(max(p.ndim, 1))
            ],
            params,
        )
        return ScaleBySM3State(mu=mu, nu=optax.tree.zeros_like(params))

    def broadcast_shape(shape, axis):
        return [1] * axis + [shape[axis]] + [1] * (len(shape) - axis - 1)

    def accumulate(g, vs):
        c = (1.0 - b2) if b2 != 1.0 else 1.0
        if g.ndim < 2:
            return c * g**2 + b2 * vs[0]
        return c * g**2 + b2 * functools.reduce(jnp.minimum, vs)

    def reduce_axes(a, i):
        if a.ndim < 2:
            return a.reshape(-1)
        # Accumulators are non-negative, so 0 is the identity of this max (zero-size axes).
        return jnp.max(a, axis=[k for k in range(a.ndim) if k != i], initial=0.0)

    def update_fn(updates, state, params=None):
        del params
        vs = jax.tree.map(
            lambda g, v: (
                [v[0].reshape(())]
                if g.ndim == 0
                else [jnp.reshape(v[i], broadcast_shape(g.shape, i)) for i in range(g.ndim)]
            ),
            updates,
            state.mu,
        )
        acc = jax.tree.map(accumulate, updates, vs)
        inv = jax.tree.map(lambda a: jnp.where(a > 0, jax.lax.rsqrt(a + eps), 0.0), acc)
        scaled = jax.tree.map(lambda g, a: g * a, updates, inv)
        nu = optax.tree.update_moment(scaled, state.nu, b1, 1)
        mu = jax.tree.map(lambda a: [reduce_axes(a, i) for i in range(max(a.ndim, 1))], acc)
        return nu, ScaleBySM3State(mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)
