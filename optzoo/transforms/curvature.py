r"""Diagonal-curvature building blocks: Hutchinson and Gauss-Newton-Bartlett estimates,
Sophia's clipped Newton step, AdaHessian's Hessian-RMS scaling and Apollo's diagonal
quasi-Newton step (which needs gradients only).

The loss reaches these transforms through the ``value_fn`` extra argument of
``update`` (``value_fn(params) -> scalar``, the mini-batch closed in); Hessian-vector
products are ``jax.jvp`` of ``jax.grad(value_fn)`` (forward-over-reverse), one per
probe. ``obj_fn`` (optax.contrib's name) is accepted as an alias.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.eager import compile_update, power
from optzoo.core.tree_checks import reject_masked
from optzoo.core.validation import (
    check_betas,
    check_decay,
    check_nonnegative,
    check_positive,
    check_range,
    concrete_value,
)
from optzoo.transforms._moments import _zeros_state

__all__ = [
    "hutchinson_diag",
    "gauss_newton_bartlett_diag",
    "ScaleBySophiaState",
    "scale_by_sophia",
    "ScaleByAdaHessianState",
    "scale_by_adahessian",
    "ScaleByApolloDQNState",
    "scale_by_apollodqn",
]


def hutchinson_diag(value_fn: Callable[[Any], jax.Array], params: Any, key: jax.Array) -> Any:
    r"""One-probe Hutchinson estimate of :math:`\mathrm{diag}(\nabla^2 L)`: :math:`z \odot (Hz)`.

    :math:`z` is Rademacher (the same draw as ``optax.tree.random_like(key, params,
    jax.random.rademacher)``), :math:`Hz` is ``jax.jvp(jax.grad(value_fn), (params,), (z,))``.

    Args:
      value_fn: the loss, ``params -> scalar``.
      params: where the Hessian is taken.
      key: PRNG key for the probe.

    Returns:
      A tree like ``params``.
    """
    z = optax.tree.random_like(key, params, jax.random.rademacher, dtype=jnp.float32)
    z = jax.tree.map(lambda r, p: r.astype(jnp.asarray(p).dtype), z, params)
    hz = jax.jvp(jax.grad(value_fn), (params,), (z,))[1]
    return jax.tree.map(lambda h, r: h * r, hz, z)


def gauss_newton_bartlett_diag(
    logits_fn: Callable[[Any], jax.Array], params: Any, key: jax.Array
) -> Any:
    r"""Gauss-Newton-Bartlett estimate for a softmax cross-entropy model (Sophia-G).

    Samples labels :math:`\hat y \sim \mathrm{softmax}(f(\theta))`, takes
    :math:`\hat g = \nabla_\theta \tfrac1B \sum_b \ell(f_b(\theta), \hat y_b)` and returns
    :math:`B\, \hat g \odot \hat g`. Pass the result to :func:`scale_by_sophia` with
    ``estimator="given"`` as the ``hessian_diag=`` extra argument.

    Args:
      logits_fn: ``params -> logits`` of shape ``(B, classes)`` on the mini-batch.
      params: current parameters.
      key: PRNG key for the label sample.

    Returns:
      A tree like ``params``.
    """

    def sampled_loss(p):
        logits = logits_fn(p)
        y = jax.lax.stop_gradient(jax.random.categorical(key, logits, axis=-1))
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, y)), logits

    g, logits = jax.grad(sampled_loss, has_aux=True)(params)
    b = logits.shape[0]
    return jax.tree.map(lambda x: b * x * x, g)


def _loss_fn(extra: dict[str, Any]) -> Any:
    fn = extra.get("value_fn")
    return fn if fn is not None else extra.get("obj_fn")


class ScaleBySophiaState(NamedTuple):
    """Sophia state: count, momentum, EMA of the Hessian diagonal, probe key."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    mu: Any
    nu: Any
    key: jax.Array


def scale_by_sophia(
    b1: float = 0.965,
    b2: float = 0.99,
    eps: float = 1e-8,
    gamma: float = 0.01,
    clip_threshold: float | None = 1.0,
    update_interval: int = 10,
    *,
    estimator: str = "hutchinson",
    bias_correction: bool = True,
    seed: int = 0,
    mu_dtype: Any | None = None,
    refresh: str = "after",
) -> optax.GradientTransformationExtraArgs:
    r"""Sophia's clipped, diagonally preconditioned momentum.

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad
       u_t = \mathrm{clip}\Big(\frac{\hat m_t}{\max(\gamma h_{t-1}, \epsilon)}, \pm c\Big),

    with :math:`\hat m_t = m_t / (1-\beta_1^t)` (``bias_correction=False``: :math:`m_t`,
    as in the authors' PyTorch code). Every ``update_interval`` steps, starting at the
    first, *after* computing :math:`u_t` (so the first steps are clipped sign steps, as
    in the authors' loop), :math:`h \leftarrow \beta_2 h + (1-\beta_2)\hat h` with
    :math:`\hat h` from

    * ``estimator="hutchinson"`` (Sophia-H): :func:`hutchinson_diag` of the
      ``value_fn`` extra argument;
    * ``estimator="given"`` (e.g. Sophia-G): the ``hessian_diag`` extra argument,
      for instance :func:`gauss_newton_bartlett_diag` (it is read only on refresh steps,
      but must be passed every step so the traced program stays the same).

    ``refresh="before"`` follows the authors' training loop instead (Liu et al.'s
    ``train_sophiag.py`` and Levanter): the estimate is refreshed after steps
    :math:`k, 2k, \dots` at the updated parameters, so the first :math:`k` steps are sign
    steps with :math:`h = 0` and step :math:`k+1` is the first to use it. optzoo does that
    refresh at the start of steps :math:`k+1, 2k+1, \dots`, *before* computing
    :math:`u_t`, at the parameters of that step; the one difference from the authors' loop
    is the mini-batch of the estimate (``value_fn`` of step :math:`k+1`, theirs that of step
    :math:`k`; with ``estimator="given"`` pass whichever estimate you like).

    The defaults give ``optax.contrib.scale_by_sophia`` (same probes).

    Args:
      b1: momentum decay.
      b2: Hessian-EMA decay.
      eps: floor of the denominator.
      gamma: :math:`\gamma` (the paper's :math:`\rho` times the batch size for Sophia-G).
      clip_threshold: :math:`c`; ``None`` disables clipping.
      update_interval: steps between Hessian refreshes :math:`k`.
      estimator: ``"hutchinson"`` or ``"given"``.
      bias_correction: divide the momentum by :math:`1-\beta_1^t`.
      seed: PRNG seed of the Hutchinson probes.
      mu_dtype: momentum dtype.
      refresh: ``"after"`` (optax: at steps 1, k+1, ..., after the step's direction) or
        ``"before"`` (the authors' loop: at steps k+1, 2k+1, ..., before it).

    Returns:
      A ``GradientTransformationExtraArgs``; ``update`` needs ``params`` and
      ``value_fn`` (or ``hessian_diag``).

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_sophia(update_interval=5)

    References:
      Liu, Li, Hall, Liang, Ma. Sophia: A Scalable Stochastic Second-order Optimizer for
      Language Model Pre-training. 2023. https://arxiv.org/abs/2305.14342
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)
    check_nonnegative("gamma", gamma)
    if estimator not in ("hutchinson", "given"):
        raise ValueError(f"estimator must be 'hutchinson' or 'given', got {estimator!r}")
    if refresh not in ("after", "before"):
        raise ValueError(f"refresh must be 'after' or 'before', got {refresh!r}")
    mu_dtype = None if mu_dtype is None else jax.dtypes.canonicalize_dtype(mu_dtype)

    def init_fn(params):
        mu = optax.tree.zeros_like(params, dtype=mu_dtype)
        return _zeros_state(ScaleBySophiaState, params, mu=mu, key=jax.random.PRNGKey(seed))

    def update_fn(updates, state, params=None, **extra):
        if params is None:
            raise ValueError("sophia needs params")
        count = optax.safe_increment(state.count)
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        m_hat = optax.tree.bias_correction(mu, b1, count) if bias_correction else mu

        if estimator == "hutchinson":
            fn = _loss_fn(extra)
            if fn is None:
                raise ValueError("sophia (hutchinson) needs the value_fn= extra argument")
            reject_masked(params, "sophia")

            def refresh_fn(key, nu):
                key, sub = jax.random.split(key)
                h = hutchinson_diag(fn, params, sub)
                return key, optax.tree.update_moment(h, nu, b2, 1)
        else:
            given = extra.get("hessian_diag")
            if given is None:
                raise ValueError(
                    "sophia (estimator='given') needs the hessian_diag= extra argument"
                )

            def refresh_fn(key, nu):
                return key, optax.tree.update_moment(given, nu, b2, 1)

        def maybe_refresh(now, key, nu):
            return jax.lax.cond(now, refresh_fn, lambda k, n: (k, n), key, nu)

        key, nu = state.key, state.nu
        if refresh == "before":
            now = (state.count > 0) & (state.count % update_interval == 0)
            key, nu = maybe_refresh(now, key, nu)
            nu = jax.tree.map(lambda n, o: n.astype(o.dtype), nu, state.nu)
        out = jax.tree.map(lambda m, h: m / jnp.maximum(gamma * h, eps), m_hat, nu)
        if clip_threshold is not None:
            out = jax.tree.map(lambda u: jnp.clip(u, -clip_threshold, clip_threshold), out)
        out = jax.tree.map(lambda u, g: u.astype(g.dtype), out, updates)
        if refresh == "after":
            key, nu = maybe_refresh(state.count % update_interval == 0, key, nu)
        mu = (
            optax.tree.cast(mu, mu_dtype)
            if mu_dtype is not None
            else jax.tree.map(lambda m, o: m.astype(o.dtype), mu, state.mu)
        )
        nu = jax.tree.map(lambda n, o: n.astype(o.dtype), nu, state.nu)
        return out, ScaleBySophiaState(count=count, mu=mu, nu=nu, key=key)

    return optax.GradientTransformationExtraArgs(init_fn, compile_update(update_fn))


class ScaleByAdaHessianState(NamedTuple):
    """AdaHessian state: count, first moment, EMA of the squared Hessian diagonal, key."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    mu: Any
    nu: Any
    key: jax.Array


def _spatial_average(d: jax.Array) -> jax.Array:
    # Conv kernels (H, W, in, out): average |D| over the spatial window (Yao et al. Sec. 3.2).
    if d.ndim == 4:
        return jnp.broadcast_to(jnp.mean(jnp.abs(d), axis=(0, 1), keepdims=True), d.shape)
    return d


def scale_by_adahessian(
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-4,
    hessian_power: float = 1.0,
    update_interval: int = 1,
    *,
    spatial_average: bool = True,
    seed: int = 0,
) -> optax.GradientTransformationExtraArgs:
    r"""AdaHessian: Adam whose second moment is the squared Hutchinson Hessian diagonal.

    .. math::
       D_t = z \odot (\nabla^2 L\, z),\quad
       m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
       v_t = \beta_2 v_{t-1} + (1-\beta_2) D_t^2,\quad
       u_t = \frac{m_t/(1-\beta_1^t)}{(v_t/(1-\beta_2^t))^{k/2} + \epsilon},

    :math:`k` = ``hessian_power``. :math:`D_t` and :math:`v_t` are refreshed every
    ``update_interval`` steps starting at the first (``v`` is left alone in between).
    With ``spatial_average`` rank-4 (conv ``HWIO``) leaves use the mean of
    :math:`|D|` over the two spatial axes. The loss comes in as ``value_fn``.

    Args:
      b1: first-moment decay.
      b2: second-moment decay.
      eps: denominator epsilon.
      hessian_power: :math:`k \in (0, 1]`.
      update_interval: steps between Hessian estimates.
      spatial_average: average conv kernels' estimate over the spatial window.
      seed: PRNG seed of the probes.

    Returns:
      A ``GradientTransformationExtraArgs``; ``update`` needs ``params`` and ``value_fn``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_adahessian()

    References:
      Yao, Gholami, Shen, Mustafa, Keutzer, Mahoney. ADAHESSIAN: An Adaptive Second Order
      Optimizer for Machine Learning. 2020. https://arxiv.org/abs/2006.00719
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)
    check_range("hessian_power", hessian_power, 0.0, 1.0, low_open=True)

    def init_fn(params):
        return _zeros_state(ScaleByAdaHessianState, params, key=jax.random.PRNGKey(seed))

    def update_fn(updates, state, params=None, **extra):
        fn = _loss_fn(extra)
        if params is None or fn is None:
            raise ValueError("adahessian needs params and the value_fn= extra argument")
        reject_masked(params, "adahessian")
        count = optax.safe_increment(state.count)

        def refresh(key, nu):
            key, sub = jax.random.split(key)
            d = hutchinson_diag(fn, params, sub)
            if spatial_average:
                d = jax.tree.map(_spatial_average, d)
            return key, jax.tree.map(lambda n, x: b2 * n + (1 - b2) * x * x, nu, d)

        key, nu = jax.lax.cond(
            state.count % update_interval == 0, refresh, lambda k, n: (k, n), state.key, state.nu
        )
        nu = jax.tree.map(lambda n, o: n.astype(o.dtype), nu, state.nu)
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        mu = jax.tree.map(lambda m, o: m.astype(o.dtype), mu, state.mu)
        bc1 = 1 - power(b1, count)
        bc2 = 1 - power(b2, count)
        out = jax.tree.map(
            lambda m, v, g: ((m / bc1) / ((v / bc2) ** (hessian_power / 2) + eps)).astype(g.dtype),
            mu,
            nu,
            updates,
        )
        return out, ScaleByAdaHessianState(count=count, mu=mu, nu=nu, key=key)

    return optax.GradientTransformationExtraArgs(init_fn, compile_update(update_fn))


def _norm4(d: jax.Array) -> jax.Array:
    # ||d||_4, scaled by max|d| so that float32 neither under- nor overflows in d**4.
    a = jnp.max(jnp.abs(d), initial=0.0)
    safe = jnp.where(a > 0, a, 1.0)
    return a * jnp.sum((d / safe) ** 4) ** 0.25


class ScaleByApolloDQNState(NamedTuple):
    """Apollo state: count, bias-corrected gradient EMA, diagonal Hessian estimate, last step."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    mu: Any
    hessian: Any
    direction: Any


def scale_by_apollodqn(
    beta: float = 0.9,
    eps: float = 1e-4,
    weight_decay: float = 0.0,
    *,
    rebound: str = "constant",
    sigma: float = 0.01,
    weight_decay_type: str = "l2",
) -> optax.GradientTransformation:
    r"""Apollo: a diagonal quasi-Newton direction from the weak secant condition.

    Per leaf, with :math:`g_t` the gradient (plus :math:`\lambda x_t` for
    ``weight_decay_type="l2"``), :math:`\alpha_t = (1-\beta)/(1-\beta^t)` and
    :math:`d_{t-1}` the previous direction (0 at the start):

    .. math::
       m_t = m_{t-1} + \alpha_t (g_t - m_{t-1}),\quad
       v = d_{t-1} / (\lVert d_{t-1}\rVert_4 + \epsilon'),\\
       B_t = B_{t-1} - \big(v^\top (m_t - m_{t-1}) / (\lVert d_{t-1}\rVert_4 + \epsilon')
             + v^\top B_{t-1} v\big)\, v^2,\quad
       D_t = \mathrm{rectify}(B_t),\quad d_t = m_t / D_t,

    the update being :math:`d_t` (with :math:`+\lambda x_t` for ``"decoupled"``, or
    :math:`+\lambda x_t / \mathrm{mean}(D_t)` for ``"stable"``; that sum is the stored
    :math:`d_t`). ``rebound="constant"``: :math:`D = \max(|B|, \sigma)` and
    :math:`\epsilon' = \epsilon/\sigma` (the rule of both the authors' code, :math:`\sigma = 1`,
    and pytorch_optimizer's, :math:`\sigma = 0.01`); ``"belief"``:
    :math:`D = \max(|B|, \lVert g_t - m_{t-1}\rVert_\infty) + \epsilon/\alpha_t` and
    :math:`\epsilon' = \epsilon`. Norms, sums and means run over the whole leaf, whatever its
    rank: a scalar, a vector and a rank-3 kernel are each one block.

    Args:
      beta: gradient-EMA decay :math:`\beta`.
      eps: :math:`\epsilon`.
      weight_decay: :math:`\lambda`.
      rebound: ``"constant"`` or ``"belief"``.
      sigma: the constant rebound's floor :math:`\sigma`.
      weight_decay_type: ``"l2"``, ``"decoupled"`` or ``"stable"``.

    Returns:
      A ``GradientTransformation``; ``update`` needs ``params`` when ``weight_decay > 0``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_apollodqn()

    References:
      Xuezhe Ma. Apollo: An Adaptive Parameter-wise Diagonal Quasi-Newton Method for
      Nonconvex Stochastic Optimization. 2020. https://arxiv.org/abs/2009.13586
    """
    if rebound not in ("constant", "belief"):
        raise ValueError(f"rebound must be 'constant' or 'belief', got {rebound!r}")
    if weight_decay_type not in ("l2", "decoupled", "stable"):
        raise ValueError(
            f"weight_decay_type must be 'l2', 'decoupled' or 'stable', got {weight_decay_type!r}"
        )
    check_decay("beta", beta)
    check_nonnegative("eps", eps)
    check_nonnegative("weight_decay", weight_decay)
    check_positive("sigma", sigma)
    belief = rebound == "belief"
    norm_eps = eps if belief else eps / sigma
    # A traced weight_decay (inject_hyperparams) counts as nonzero.
    decay = concrete_value(weight_decay) != 0.0
    l2 = decay and weight_decay_type == "l2"

    def init_fn(params):
        return _zeros_state(ScaleByApolloDQNState, params)

    def update_fn(updates, state, params=None):
        if decay and params is None:
            raise ValueError("apollodqn with weight_decay > 0 needs params")
        count = optax.safe_increment(state.count)
        alpha_t = (1 - beta) / (1 - power(beta, count))

        def leaf(g, m, b, d, p):
            dt = g.dtype
            alpha = alpha_t.astype(dt)
            g = g.astype(dt)
            if l2:
                g = g + weight_decay * p.astype(dt)
            dg = g - m
            m_new = m + alpha * dg
            denom = _norm4(d) + norm_eps
            v = d / denom
            delta = -alpha * jnp.sum(dg / denom * v) - jnp.sum(b * v * v)
            b_new = b + delta * v * v
            if belief:
                bound = jnp.max(jnp.abs(dg), initial=0.0)
                dd = jnp.maximum(jnp.abs(b_new), bound) + eps / alpha
            else:
                dd = jnp.maximum(jnp.abs(b_new), sigma)
            u = m_new / dd
            if decay and weight_decay_type == "decoupled":
                u = u + weight_decay * p.astype(dt)
            elif decay and weight_decay_type == "stable":
                u = u + weight_decay / jnp.mean(dd) * p.astype(dt)
            return u.astype(dt), m_new.astype(m.dtype), b_new.astype(b.dtype), u.astype(d.dtype)

        ps = params if params is not None else updates
        out = jax.tree.map(leaf, updates, state.mu, state.hessian, state.direction, ps)
        is_out = lambda x: isinstance(x, tuple) and len(x) == 4  # noqa: E731
        pick = [jax.tree.map(lambda o, i=i: o[i], out, is_leaf=is_out) for i in range(4)]
        return pick[0], ScaleByApolloDQNState(
            count=count, mu=pick[1], hessian=pick[2], direction=pick[3]
        )

    return optax.GradientTransformation(init_fn, update_fn)
