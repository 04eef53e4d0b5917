"""Adaptive building blocks: per-coordinate scaling by running moments of the gradient.

Each block gives the same numbers as its optax namesake and keeps optax's state
class, so ``isinstance(state, optax.ScaleByAdamState)`` and
``optax.tree.get(state, "count")`` keep working.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from optax import (
    ScaleByAdaDeltaState,
    ScaleByAdamState,
    ScaleByAmsgradState,
    ScaleByRmsState,
    ScaleByRssState,
    ScaleByRStdDevState,
)

from optzoo.core.validation import check_decay, check_nonnegative, check_unit_interval

__all__ = [
    "scale_by_adam",
    "scale_by_rms",
    "scale_by_stddev",
    "scale_by_rss",
    "scale_by_adadelta",
    "scale_by_adamax",
    "scale_by_amsgrad",
]


def _optax_state(name: str, fields: tuple[str, ...]) -> type:
    """optax's (unexported) state class ``name``; an equal NamedTuple if it moved."""
    try:
        cls = getattr(importlib.import_module("optax._src.transform"), name)
        if tuple(cls._fields) == fields:
            return cls
    except (ImportError, AttributeError):
        pass
    return NamedTuple(name, [(f, Any) for f in fields])  # type: ignore[misc,return-value]


# optax's state when bias correction is on; optax does not export these two.
ScaleByRmsWithCountState = _optax_state("ScaleByRmsWithCountState", ("count", "nu"))
ScaleByRStdDevWithCountState = _optax_state("ScaleByRStdDevWithCountState", ("count", "mu", "nu"))


def _is_none(x: Any) -> bool:
    return x is None


def _map(fn: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    """``jax.tree.map`` that keeps ``None`` leaves of ``tree`` (e.g. frozen parameters)."""
    return jax.tree.map(
        lambda x, *r: None if x is None else fn(x, *r), tree, *rest, is_leaf=_is_none
    )


def _square(g: jax.Array) -> jax.Array:
    """:math:`|g|^2`, real for complex ``g``."""
    return g**2 if jnp.isrealobj(g) else (g.conj() * g).real


def _ema(new: Any, old: Any, decay: jax.typing.ArrayLike) -> Any:
    """Exponential moving average :math:`(1-\\beta) x + \\beta m`, leaf by leaf."""
    return _map(lambda x, m: (1 - decay) * x + decay * m, new, old)


@functools.partial(jax.jit, inline=True)
def _debias(moment: Any, decay: jax.typing.ArrayLike, count: jax.Array) -> Any:
    """Divides by :math:`1 - \\beta^t`; the factor is formed in fp32 then cast to the leaf.

    Jit-inlined like ``optax.tree.bias_correction``: in eager mode ``count`` stays an argument
    (one compilation, not one ``integer_pow`` per step) and the bits match optax's.
    """
    correction = 1 - decay**count
    return _map(lambda m: m / correction.astype(m.dtype), moment)


def _canonical_dtype(dtype: jax.typing.DTypeLike | None) -> Any:
    return None if dtype is None else jax.dtypes.canonicalize_dtype(dtype)


def _cast(tree: Any, dtype: Any) -> Any:
    return tree if dtype is None else _map(lambda x: x.astype(dtype), tree)


def _check_adam(b1: Any, b2: Any, eps: Any, eps_root: Any = 0.0) -> None:
    check_decay("b1", b1)
    check_decay("b2", b2)
    check_nonnegative("eps", eps)
    check_nonnegative("eps_root", eps_root)


def scale_by_adam(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: jax.typing.DTypeLike | None = None,
    *,
    nesterov: bool = False,
) -> optax.GradientTransformation:
    r"""Scales updates by Adam's bias-corrected first over second moment.

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
       v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \\
       \hat m_t = \frac{m_t}{1-\beta_1^t}, \quad \hat v_t = \frac{v_t}{1-\beta_2^t}, \quad
       u_t = \frac{\hat m_t}{\sqrt{\hat v_t + \epsilon_{root}} + \epsilon}.

    With ``nesterov=True`` (Nadam, Dozat 2016) the first moment looks one step ahead:
    :math:`\hat m_t = \beta_1 \frac{m_t}{1-\beta_1^{t+1}} + (1-\beta_1)\frac{g_t}{1-\beta_1^t}`.

    Args:
      b1: decay :math:`\beta_1` of the first moment, in ``[0, 1)``.
      b2: decay :math:`\beta_2` of the second moment, in ``[0, 1)``.
      eps: :math:`\epsilon` added outside the square root, ``>= 0``.
      eps_root: :math:`\epsilon_{root}` added inside the square root, ``>= 0`` (helps
        when differentiating through the update).
      mu_dtype: dtype of the first moment; ``None`` follows the parameters.
      nesterov: use Nesterov's look-ahead first moment (Nadam).

    Returns:
      A ``GradientTransformation`` whose state is ``optax.ScaleByAdamState``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.scale_by_adam(b1=0.9, b2=0.99)
      >>> updates, state = tx.update(jnp.ones(2), tx.init(jnp.zeros(2)))

    References:
      Kingma, Ba. Adam: A Method for Stochastic Optimization. 2014.
      https://arxiv.org/abs/1412.6980

      Dozat. Incorporating Nesterov Momentum into Adam. 2016.
      https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ
    """
    _check_adam(b1, b2, eps, eps_root)
    mu_dtype = _canonical_dtype(mu_dtype)

    def init_fn(params):
        return ScaleByAdamState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params, dtype=mu_dtype),
            nu=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        mu = _ema(updates, state.mu, b1)
        nu = _ema(_map(_square, updates), state.nu, b2)
        count = optax.safe_increment(state.count)
        if nesterov:
            mu_hat = _map(
                lambda m, g: b1 * m + (1 - b1) * g,
                _debias(mu, b1, optax.safe_increment(count)),
                _debias(_map(jnp.asarray, updates), b1, count),
            )
        else:
            mu_hat = _debias(mu, b1, count)
        nu_hat = _debias(nu, b2, count)
        updates = _map(lambda m, v: m / (jnp.sqrt(v + eps_root) + eps), mu_hat, nu_hat)
        mu = _cast(mu, mu_dtype)
        nu = _map(lambda v, old: v.astype(old.dtype), nu, state.nu)
        return updates, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_amsgrad(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: jax.typing.DTypeLike | None = None,
    bias_correction_mu: bool = True,
    bias_correction_nu: bool = True,
) -> optax.GradientTransformation:
    r"""Scales updates like Adam, but by the running maximum of the second moment.

    .. math::
       m_t, v_t \text{ as in Adam}, \quad
       \hat v^{max}_t = \max(\hat v^{max}_{t-1}, \hat v_t), \quad
       u_t = \frac{\hat m_t}{\sqrt{\hat v^{max}_t + \epsilon_{root}} + \epsilon},

    where :math:`\hat m_t, \hat v_t` are bias corrected unless switched off.

    Args:
      b1: decay of the first moment, in ``[0, 1)``.
      b2: decay of the second moment, in ``[0, 1)``.
      eps: added outside the square root, ``>= 0``.
      eps_root: added inside the square root, ``>= 0``.
      mu_dtype: dtype of the first moment; ``None`` follows the parameters.
      bias_correction_mu: bias-correct the first moment (``False``: the paper).
      bias_correction_nu: bias-correct the second moment before the maximum
        (``False``: the paper).

    Returns:
      A ``GradientTransformation`` whose state is ``optax.ScaleByAmsgradState``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_amsgrad(bias_correction_mu=False, bias_correction_nu=False)

    References:
      Reddi, Kale, Kumar. On the Convergence of Adam and Beyond. 2018.
      https://arxiv.org/abs/1904.09237
    """
    _check_adam(b1, b2, eps, eps_root)
    mu_dtype = _canonical_dtype(mu_dtype)

    def init_fn(params):
        return ScaleByAmsgradState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params, dtype=mu_dtype),
            nu=optax.tree.zeros_like(params),
            nu_max=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        mu = _ema(updates, state.mu, b1)
        nu = _ema(_map(_square, updates), state.nu, b2)
        count = optax.safe_increment(state.count)
        mu_hat = _debias(mu, b1, count) if bias_correction_mu else mu
        nu_hat = _debias(nu, b2, count) if bias_correction_nu else nu
        nu_max = jax.tree.map(jnp.maximum, state.nu_max, nu_hat)
        updates = _map(lambda m, v: m / (jnp.sqrt(v + eps_root) + eps), mu_hat, nu_max)
        return updates, ScaleByAmsgradState(
            count=count, mu=_cast(mu, mu_dtype), nu=nu, nu_max=nu_max
        )

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_adamax(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""Scales updates by Adamax: Adam with an infinity-norm second moment.

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
       v_t = \max(|g_t| + \epsilon, \beta_2 v_{t-1}), \quad
       u_t = \frac{m_t}{(1-\beta_1^t)\, v_t}.

    Args:
      b1: decay of the first moment, in ``[0, 1)``.
      b2: decay of the infinity-norm moment, in ``[0, 1)``.
      eps: added to :math:`|g_t|` so the denominator stays positive, ``>= 0``.

    Returns:
      A ``GradientTransformation`` whose state is ``optax.ScaleByAdamState``
      (``nu`` holds the infinity-norm moment).

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_adamax(b2=0.99)

    References:
      Kingma, Ba. Adam: A Method for Stochastic Optimization (Section 7.1). 2014.
      https://arxiv.org/abs/1412.6980
    """
    _check_adam(b1, b2, eps)

    def init_fn(params):
        return ScaleByAdamState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params),
            nu=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        mu = _ema(updates, state.mu, b1)
        nu = _map(lambda g, v: jnp.maximum(jnp.abs(g) + eps, b2 * v), updates, state.nu)
        updates = _map(lambda m, v: m / v, _debias(mu, b1, count), nu)
        return updates, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_rms(
    decay: jax.typing.ArrayLike = 0.9,
    eps: jax.typing.ArrayLike = 1e-8,
    initial_scale: jax.typing.ArrayLike = 0.0,
    eps_in_sqrt: bool = True,
    bias_correction: bool = False,
) -> optax.GradientTransformation:
    r"""Scales updates by the root of a moving average of squared gradients (RMSProp).

    .. math::
       v_t = \rho v_{t-1} + (1-\rho) g_t^2, \quad
       u_t = \frac{g_t}{\sqrt{\hat v_t + \epsilon}} \;\text{or}\;
       \frac{g_t}{\sqrt{\hat v_t} + \epsilon}\;(\texttt{eps\_in\_sqrt=False}),

    with :math:`\hat v_t = v_t / (1-\rho^t)` when ``bias_correction`` else :math:`v_t`.

    Args:
      decay: :math:`\rho`, in ``[0, 1)``.
      eps: stabiliser :math:`\epsilon`, ``>= 0``.
      initial_scale: initial value :math:`v_0`, ``>= 0``.
      eps_in_sqrt: add :math:`\epsilon` inside the square root (optax's default).
      bias_correction: divide :math:`v_t` by :math:`1-\rho^t` (adds a step count).

    Returns:
      A ``GradientTransformation``; state ``optax.ScaleByRmsState`` (with a ``count``
      field when ``bias_correction``).

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_rms(decay=0.99, eps_in_sqrt=False)

    References:
      Tieleman, Hinton. Neural Networks for Machine Learning, Lecture 6e: rmsprop. 2012.
      https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf
    """
    # decay 1 freezes the average (legal in optax); with bias correction it divides by 0.
    (check_decay if bias_correction else check_unit_interval)("decay", decay)
    check_nonnegative("eps", eps)
    check_nonnegative("initial_scale", initial_scale)

    def init_fn(params):
        nu = optax.tree.full_like(params, initial_scale)
        if bias_correction:
            return ScaleByRmsWithCountState(count=jnp.zeros([], jnp.int32), nu=nu)
        return ScaleByRmsState(nu=nu)

    def update_fn(updates, state, params=None):
        del params
        nu = _ema(_map(_square, updates), state.nu, decay)
        if bias_correction:
            count = optax.safe_increment(state.count)
            nu_hat = _debias(nu, decay, count)
        else:
            nu_hat = nu
        if eps_in_sqrt:
            scaling = _map(lambda v: jax.lax.rsqrt(v + eps), nu_hat)
        else:
            scaling = _map(lambda v: 1 / (jnp.sqrt(v) + eps), nu_hat)
        updates = _map(lambda g, s: s * g, updates, scaling)
        if bias_correction:
            return updates, ScaleByRmsWithCountState(count=count, nu=nu)
        return updates, ScaleByRmsState(nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_stddev(
    decay: jax.typing.ArrayLike = 0.9,
    eps: jax.typing.ArrayLike = 1e-8,
    initial_scale: jax.typing.ArrayLike = 0.0,
    eps_in_sqrt: bool = True,
    bias_correction: bool = False,
) -> optax.GradientTransformation:
    r"""Scales updates by a running estimate of the gradient's standard deviation.

    Centered RMSProp (Graves 2013):

    .. math::
       m_t = \rho m_{t-1} + (1-\rho) g_t, \quad v_t = \rho v_{t-1} + (1-\rho) g_t^2, \quad
       u_t = \frac{g_t}{\sqrt{\hat v_t - \hat m_t^2 + \epsilon}}

    (``eps_in_sqrt=False``: :math:`g_t / (\sqrt{\hat v_t - \hat m_t^2} + \epsilon)`), with
    both moments divided by :math:`1-\rho^t` when ``bias_correction``.

    Args:
      decay: :math:`\rho`, in ``[0, 1)``.
      eps: stabiliser :math:`\epsilon`, ``>= 0``.
      initial_scale: initial value :math:`v_0`, ``>= 0``.
      eps_in_sqrt: add :math:`\epsilon` inside the square root.
      bias_correction: bias-correct both moments (adds a step count).

    Returns:
      A ``GradientTransformation``; state ``optax.ScaleByRStdDevState`` (with a
      ``count`` field when ``bias_correction``).

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_stddev(decay=0.95)

    References:
      Graves. Generating Sequences With Recurrent Neural Networks (eq. 38-45). 2013.
      https://arxiv.org/abs/1308.0850
    """
    # decay 1 freezes the average (legal in optax); with bias correction it divides by 0.
    (check_decay if bias_correction else check_unit_interval)("decay", decay)
    check_nonnegative("eps", eps)
    check_nonnegative("initial_scale", initial_scale)

    def init_fn(params):
        mu = optax.tree.zeros_like(params)
        nu = optax.tree.full_like(params, initial_scale)
        if bias_correction:
            return ScaleByRStdDevWithCountState(count=jnp.zeros([], jnp.int32), mu=mu, nu=nu)
        return ScaleByRStdDevState(mu=mu, nu=nu)

    def update_fn(updates, state, params=None):
        del params
        mu = _ema(updates, state.mu, decay)
        nu = _ema(_map(_square, updates), state.nu, decay)
        if bias_correction:
            count = optax.safe_increment(state.count)
            mu_hat, nu_hat = _debias(mu, decay, count), _debias(nu, decay, count)
        else:
            mu_hat, nu_hat = mu, nu
        if eps_in_sqrt:
            scaling = _map(lambda m, v: jax.lax.rsqrt(v - _square(m) + eps), mu_hat, nu_hat)
        else:
            scaling = _map(lambda m, v: 1 / (jnp.sqrt(v - _square(m)) + eps), mu_hat, nu_hat)
        updates = _map(lambda g, s: s * g, updates, scaling)
        if bias_correction:
            return updates, ScaleByRStdDevWithCountState(count=count, mu=mu, nu=nu)
        return updates, ScaleByRStdDevState(mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_rss(
    initial_accumulator_value: jax.typing.ArrayLike = 0.1,
    eps: jax.typing.ArrayLike = 1e-7,
) -> optax.GradientTransformation:
    r"""Scales updates by the root of the sum of all squared gradients so far (Adagrad).

    .. math::
       s_t = s_{t-1} + g_t^2, \quad u_t = \frac{g_t}{\sqrt{s_t + \epsilon}}
       \;(u_t = 0 \text{ where } s_t = 0).

    Args:
      initial_accumulator_value: :math:`s_0`, ``>= 0``.
      eps: stabiliser :math:`\epsilon` inside the square root, ``>= 0``.

    Returns:
      A ``GradientTransformation`` whose state is ``optax.ScaleByRssState``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_rss(initial_accumulator_value=0.0)

    References:
      Duchi, Hazan, Singer. Adaptive Subgradient Methods for Online Learning and
      Stochastic Optimization. JMLR 12, 2011. https://jmlr.org/papers/v12/duchi11a.html
    """
    check_nonnegative("initial_accumulator_value", initial_accumulator_value)
    check_nonnegative("eps", eps)

    def init_fn(params):
        return ScaleByRssState(
            sum_of_squares=optax.tree.full_like(params, initial_accumulator_value)
        )

    def update_fn(updates, state, params=None):
        del params
        # |g|^2 as conj(g) * g, optax's form (it differs from g**2 on boolean leaves).
        sum_of_squares = _map(
            lambda g, s: (jnp.conj(g) * g).real + s, updates, state.sum_of_squares
        )
        updates = _map(
            lambda g, s: jnp.where(s > 0, jax.lax.rsqrt(s + eps), 0.0) * g,
            updates,
            sum_of_squares,
        )
        return updates, ScaleByRssState(sum_of_squares=sum_of_squares)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_adadelta(
    rho: jax.typing.ArrayLike = 0.9, eps: jax.typing.ArrayLike = 1e-6
) -> optax.GradientTransformation:
    r"""Scales updates by Adadelta's ratio of update RMS to gradient RMS.

    .. math::
       E[g^2]_t = \rho E[g^2]_{t-1} + (1-\rho) g_t^2, \quad
       u_t = \frac{\sqrt{E[\Delta x^2]_{t-1} + \epsilon}}{\sqrt{E[g^2]_t + \epsilon}}\, g_t,
       \quad E[\Delta x^2]_t = \rho E[\Delta x^2]_{t-1} + (1-\rho) u_t^2.

    Args:
      rho: decay :math:`\rho` of both running averages, in ``[0, 1)``.
      eps: stabiliser :math:`\epsilon`, ``>= 0``.

    Returns:
      A ``GradientTransformation`` whose state is ``optax.ScaleByAdaDeltaState``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.scale_by_adadelta(rho=0.95)

    References:
      Zeiler. ADADELTA: An Adaptive Learning Rate Method. 2012.
      https://arxiv.org/abs/1212.5701
    """
    check_unit_interval("rho", rho)  # 1 freezes both averages (legal in optax)
    check_nonnegative("eps", eps)

    def init_fn(params):
        return ScaleByAdaDeltaState(
            e_g=optax.tree.zeros_like(params), e_x=optax.tree.zeros_like(params)
        )

    def update_fn(updates, state, params=None):
        del params
        e_g = _ema(_map(lambda g: g**2, updates), state.e_g, rho)
        updates = _map(
            lambda g, eg, ex: (jnp.sqrt(ex + eps) / jnp.sqrt(eg + eps)) * g,
            updates,
            e_g,
            state.e_x,
        )
        e_x = _ema(_map(lambda u: u**2, updates), state.e_x, rho)
        return updates, ScaleByAdaDeltaState(e_g=e_g, e_x=e_x)

    return optax.GradientTransformation(init_fn, update_fn)
