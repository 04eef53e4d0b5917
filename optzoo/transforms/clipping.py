"""Gradient clipping and gradient noise.

``clip``, ``clip_by_block_rms``, ``clip_by_global_norm``, ``adaptive_grad_clip``
and ``add_noise`` give the numbers of the optax transforms of the same names and
use optax's state classes (``optax.ClipState`` and friends are
``optax.EmptyState``; ``optax.AddNoiseState``). ``clip_by_norm`` is optzoo's own:
it clips the L2 norm of each leaf separately.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import optax
from optax import AddNoiseState

from optzoo.core.validation import check_finite, check_nonnegative
from optzoo.transforms.scaling import _leafwise

__all__ = [
    "clip",
    "clip_by_block_rms",
    "clip_by_global_norm",
    "clip_by_norm",
    "adaptive_grad_clip",
    "add_noise",
]

_NO_PARAMS = "adaptive_grad_clip needs `params`; pass them to update()."


def _abs_sq(x: jax.Array) -> jax.Array:
    """``|x|^2`` elementwise, real for complex inputs."""
    return (jnp.conj(x) * x).real


def clip(max_delta: jax.typing.ArrayLike) -> optax.GradientTransformation:
    r"""Clips every update element to :math:`[-\delta, \delta]`.

    .. math:: u_i \leftarrow \min(\max(u_i, -\delta), \delta).

    Args:
      max_delta: :math:`\delta \ge 0`, the largest absolute value of an element.

    Returns:
      A stateless ``GradientTransformation`` (state ``optax.ClipState``).

    Example:
      >>> import optzoo
      >>> tx = optzoo.chain(optzoo.clip(1.0), optzoo.sgd(0.1))
    """
    check_nonnegative("max_delta", max_delta)

    def clip_leaf(u):
        return jnp.clip(u, -max_delta, max_delta)

    return _leafwise(clip_leaf)


def clip_by_block_rms(threshold: jax.typing.ArrayLike) -> optax.GradientTransformation:
    r"""Rescales each leaf (a weight vector or matrix) so its RMS is at most ``threshold``.

    .. math:: u \leftarrow u / \max\!\big(1, \operatorname{rms}(u)/\tau\big),
       \qquad \operatorname{rms}(u) = \sqrt{\operatorname{mean}(|u|^2)}.

    Args:
      threshold: :math:`\tau \ge 0`, the largest RMS of a leaf (0 zeroes the updates, as
        in optax).

    Returns:
      A stateless ``GradientTransformation`` (state ``optax.ClipState``).

    Example:
      >>> import optzoo
      >>> tx = optzoo.chain(optzoo.clip_by_block_rms(1.0), optzoo.sgd(0.1))
    """
    check_nonnegative("threshold", threshold)

    def clip_leaf(u):
        return u / jnp.maximum(1.0, jnp.sqrt(jnp.mean(_abs_sq(u))) / threshold)

    return _leafwise(clip_leaf)


def clip_by_global_norm(max_norm: jax.typing.ArrayLike) -> optax.GradientTransformation:
    r"""Rescales the whole update tree so its global L2 norm is at most ``max_norm``.

    .. math:: u \leftarrow \begin{cases} u & \lVert u\rVert_2 < c \\
       (u / \lVert u\rVert_2)\, c & \text{otherwise,}\end{cases}

    where :math:`\lVert u\rVert_2` is the norm of all leaves together.

    Args:
      max_norm: :math:`c \ge 0`, the largest global norm (0 zeroes the updates, as in
        optax; e.g. the end of a schedule under ``optax.inject_hyperparams``).

    Returns:
      A stateless ``GradientTransformation`` (state ``optax.ClipByGlobalNormState``).

    Example:
      >>> import optzoo
      >>> tx = optzoo.chain(optzoo.clip_by_global_norm(1.0), optzoo.adam(1e-3))

    References:
      Pascanu, Mikolov, Bengio. On the difficulty of training Recurrent Neural
      Networks. 2013. https://arxiv.org/abs/1211.5063
    """
    check_nonnegative("max_norm", max_norm)

    def update_fn(updates, state, params=None):
        del params
        norm = optax.tree.norm(updates)
        keep = jnp.squeeze(norm < max_norm)
        if keep.ndim != 0:
            raise ValueError("clip_by_global_norm needs a scalar max_norm.")
        updates = jax.tree.map(
            lambda u: jax.lax.select(keep, u, (u / norm.astype(u.dtype)) * max_norm), updates
        )
        return updates, state

    return optax.GradientTransformation(optax.init_empty_state, update_fn)


def clip_by_norm(max_norm: jax.typing.ArrayLike) -> optax.GradientTransformation:
    r"""Rescales each leaf separately so its L2 norm is at most ``max_norm``.

    .. math:: u_\ell \leftarrow u_\ell \cdot \min\!\big(1, c / \lVert u_\ell\rVert_2\big)
       \quad\text{for every leaf } \ell.

    Unlike :func:`clip_by_global_norm`, a large gradient in one leaf does not
    shrink the others.

    Args:
      max_norm: :math:`c \ge 0`, the largest norm of a leaf.

    Returns:
      A stateless ``GradientTransformation`` (state ``optax.EmptyState``).

    Example:
      >>> import optzoo
      >>> tx = optzoo.chain(optzoo.clip_by_norm(1.0), optzoo.sgd(0.1))
    """
    check_nonnegative("max_norm", max_norm)

    def clip_leaf(u):
        sq_norm = jnp.sum(_abs_sq(u))
        over = sq_norm > jnp.square(max_norm)
        # sqrt only of values > 0, so a zero leaf has a finite derivative.
        norm = jnp.sqrt(jnp.where(over, sq_norm, 1.0)).astype(u.dtype)
        return jnp.where(over, (u / norm) * jnp.asarray(max_norm, u.dtype), u)

    return _leafwise(clip_leaf)


def _unitwise_norm(x: jax.Array, axis: int | tuple[int, ...] | None) -> jax.Array:
    """L2 norm of each unit of ``x`` (broadcast back to ``x.shape``).

    Without ``axis`` the units follow common layer layouts: a scalar or vector
    (after squeezing) is one unit; rank 2 or 3 (``in, out`` or multi-head) reduces
    axis 0; rank 4 (HWIO conv) reduces axes 0-2; rank 5 (DHWIO conv) axes 0-3.
    """
    x = jnp.asarray(x)
    if axis is None:
        if jnp.squeeze(x).ndim <= 1:
            axis = tuple(range(x.ndim))
        elif x.ndim in (2, 3):
            axis = 0
        elif x.ndim in (4, 5):
            axis = tuple(range(x.ndim - 1))
        else:
            raise ValueError(
                f"adaptive_grad_clip: no default unit for a parameter of shape {x.shape}; "
                "pass `axis`."
            )
    sq = jnp.sum(_abs_sq(x), axis=axis, keepdims=True)
    return jnp.broadcast_to(jnp.sqrt(sq), x.shape)


def adaptive_grad_clip(
    clipping: jax.typing.ArrayLike,
    eps: jax.typing.ArrayLike = 1e-3,
    axis: int | tuple[int, ...] | None = None,
) -> optax.GradientTransformation:
    r"""Adaptive gradient clipping (AGC): clips each unit relative to its parameter norm.

    For every unit :math:`i` (an output neuron's fan-in, by default):

    .. math:: G_i \leftarrow \begin{cases} G_i & \lVert G_i\rVert < \lambda
       \max(\lVert W_i\rVert, \epsilon) \\
       \lambda \max(\lVert W_i\rVert, \epsilon)\, G_i / \lVert G_i\rVert & \text{otherwise.}
       \end{cases}

    Args:
      clipping: :math:`\lambda \ge 0`, the largest ratio of update norm to parameter norm
        (0 zeroes the updates, as in optax).
      eps: :math:`\epsilon \ge 0`, a floor on the parameter norm so zero-initialised
        parameters can still move.
      axis: axis or axes that make up a unit; ``None`` picks them from the rank
        (vector: all; rank 2-3: axis 0; rank 4: axes 0-2; rank 5: axes 0-3).

    Returns:
      A stateless ``GradientTransformation`` (state ``optax.AdaptiveGradClipState``);
      its update needs ``params``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.chain(optzoo.adaptive_grad_clip(0.01), optzoo.sgd(0.1, momentum=0.9))

    References:
      Brock, De, Smith, Simonyan. High-Performance Large-Scale Image Recognition
      Without Normalization. 2021. https://arxiv.org/abs/2102.06171
    """
    check_nonnegative("clipping", clipping)
    check_nonnegative("eps", eps)

    def clip_leaf(u, p):
        u_norm = _unitwise_norm(u, axis)
        limit = clipping * jnp.maximum(_unitwise_norm(p, axis), eps)
        # The 1e-6 floor only guards the division; where it matters u is kept anyway.
        scaled = u * (limit / jnp.maximum(u_norm, 1e-6))
        return jnp.where(u_norm < limit, u, scaled)

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError(_NO_PARAMS)
        return jax.tree.map(clip_leaf, updates, params), state

    return optax.GradientTransformation(optax.init_empty_state, update_fn)


def add_noise(
    eta: jax.typing.ArrayLike,
    gamma: jax.typing.ArrayLike,
    key: jax.Array | int | None = None,
    *,
    seed: int | None = None,
) -> optax.GradientTransformation:
    r"""Adds annealed Gaussian noise to the updates.

    .. math:: u_t \leftarrow u_t + \sigma_t\, \xi_t, \qquad
       \sigma_t = \sqrt{\eta / t^{\gamma}}, \qquad \xi_t \sim \mathcal N(0, I),

    with :math:`t = 1, 2, \dots` counting updates. Each step splits the state's key
    into a carried key and a sample key; the sample key is split once per leaf.

    Args:
      eta: :math:`\eta \ge 0`, the base variance.
      gamma: :math:`\gamma`, the annealing exponent (0.55 in the paper).
      key: a JAX PRNG key or an integer seed (``None`` means seed 0, with a warning).
      seed: deprecated spelling of an integer ``key``.

    Returns:
      A ``GradientTransformation`` whose state is ``optax.AddNoiseState``.

    Example:
      >>> import jax, optzoo
      >>> tx = optzoo.chain(optzoo.add_noise(0.01, 0.55, key=jax.random.key(0)), optzoo.sgd(0.1))

    References:
      Neelakantan, Vilnis, Le, Sutskever, Kaiser, Kurach, Martens. Adding Gradient
      Noise Improves Learning for Very Deep Networks. 2015. https://arxiv.org/abs/1511.06807
    """
    check_nonnegative("eta", eta)
    check_finite("gamma", gamma)
    if seed is not None:
        warnings.warn('"seed" is deprecated; pass the seed as "key".', DeprecationWarning, 2)
        if key is not None:
            raise ValueError("add_noise: pass only one of `seed` and `key`.")
        key = seed
    if key is None:
        warnings.warn("add_noise: no `key` given, using seed 0; pass a key.", stacklevel=2)
        key = 0

    def init_fn(params):
        del params
        is_key = isinstance(key, jax.Array) and jnp.issubdtype(key.dtype, jax.dtypes.prng_key)
        return AddNoiseState(
            count=jnp.zeros([], jnp.int32), rng_key=key if is_key else jax.random.key(key)
        )

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        std = jnp.sqrt(eta / count**gamma)
        carry_key, sample_key = jax.random.split(state.rng_key)
        leaves, treedef = jax.tree.flatten(updates)
        leaf_keys = jax.random.split(sample_key, len(leaves))
        noisy = [
            u + std * jax.random.normal(k, u.shape, u.dtype)
            for u, k in zip(leaves, leaf_keys, strict=True)
        ]
        return jax.tree.unflatten(treedef, noisy), AddNoiseState(count=count, rng_key=carry_key)

    return optax.GradientTransformation(init_fn, update_fn)


from typing import Any, NamedTuple  # noqa: E402


class ClipByAdaGCState(NamedTuple):
    """Step count and each leaf's running norm threshold of :func:`clip_by_adagc`."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    gamma: Any


def clip_by_adagc(
    beta: jax.typing.ArrayLike = 0.98,
    lambda_abs: jax.typing.ArrayLike = 1.0,
    lambda_rel: jax.typing.ArrayLike = 1.05,
    warmup_steps: int = 100,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""AdaGC's adaptive per-tensor clipping: each leaf is clipped to a multiple of its own
    running gradient norm.

    During warm-up (steps :math:`t < T_w`, and always the first) the whole gradient is
    clipped to the global norm :math:`\lambda_{abs}` and each leaf's threshold tracks the
    smallest clipped norm seen:

    .. math::
       \hat g_{t,i} = g_{t,i} \min\Big(1, \frac{\lambda_{abs}}{\|g_t\| + \epsilon}\Big),\qquad
       \gamma_{t,i} = \min(\gamma_{t-1,i}, \|\hat g_{t,i}\|).

    After it, leaf by leaf (whole leaves, any rank):

    .. math::
       \hat g_{t,i} = g_{t,i} \min\Big(1, \frac{\lambda_{rel} \max(\gamma_{t-1,i}, \epsilon)}
       {\max(\|g_{t,i}\|, \epsilon)}\Big),\qquad
       \gamma_{t,i} = \beta \gamma_{t-1,i} + (1 - \beta) \|\hat g_{t,i}\|.

    Args:
      beta: decay :math:`\beta` of the thresholds, in ``[0, 1)``.
      lambda_abs: the global norm limit of the warm-up (> 0).
      lambda_rel: the relative limit after it (> 0).
      warmup_steps: :math:`T_w`, the warm-up length in steps (>= 0).
      eps: floor of the norms.

    Returns:
      A ``GradientTransformation`` with state :class:`ClipByAdaGCState`.

    References:
      Guoxia Wang, Shuai Li, Congliang Chen, Jinle Zeng, Jiabin Yang, Tao Sun, Yanjun Ma,
      Dianhai Yu, Li Shen. AdaGC: Improving Training Stability for Large Language Model
      Pretraining. 2025. https://arxiv.org/abs/2502.11034
    """
    from optzoo.core.validation import check_decay, check_positive

    check_decay("beta", beta)
    check_positive("lambda_abs", lambda_abs)
    check_positive("lambda_rel", lambda_rel)
    check_nonnegative("warmup_steps", warmup_steps)
    check_nonnegative("eps", eps)

    def init_fn(params):
        gamma = jax.tree.map(lambda p: jnp.zeros([], p.dtype), params)
        return ClipByAdaGCState(jnp.zeros([], jnp.int32), gamma)

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        warm = (count < warmup_steps) | (count == 1)
        global_norm = optax.global_norm(updates)

        def one(g, gamma):
            norm = jnp.linalg.norm(g.ravel()).astype(gamma.dtype)
            warm_scale = jnp.minimum(lambda_abs / (global_norm.astype(gamma.dtype) + eps), 1.0)
            rel_scale = jnp.minimum(
                lambda_rel * jnp.maximum(gamma, eps) / jnp.maximum(norm, eps), 1.0
            )
            scale = jnp.where(warm, warm_scale, rel_scale)
            clipped_norm = norm * scale
            warm_gamma = jnp.where(count == 1, clipped_norm, jnp.minimum(gamma, clipped_norm))
            rel_gamma = gamma + (1 - beta) * (clipped_norm - gamma)
            return (g * scale.astype(g.dtype)), jnp.where(warm, warm_gamma, rel_gamma)

        out = jax.tree.map(one, updates, state.gamma)
        pick = lambda i: jax.tree.map(lambda _, o: o[i], updates, out)  # noqa: E731
        return pick(0), ClipByAdaGCState(count, pick(1))

    return optax.GradientTransformation(init_fn, update_fn)


__all__ += ["clip_by_adagc", "ClipByAdaGCState"]
