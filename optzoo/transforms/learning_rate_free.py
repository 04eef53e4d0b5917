"""Learning-rate-free building blocks: COCOB's coin betting and DoG's distance over gradients.

Each gives ``optax.contrib``'s numbers and uses its state classes.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import jax
import jax.numpy as jnp
import optax
from optax.contrib import COCOBState, DoGState, DoWGState

from optzoo.core.dtypes import tree_dtype
from optzoo.core.validation import check_nonnegative, check_positive

__all__ = [
    "scale_by_cocob",
    "scale_by_dog",
    "ScaleByLDoGState",
    "scale_by_ldog",
    "scale_by_dowg",
    "ScaleByAdGDState",
    "scale_by_adgd",
]


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


class ScaleByLDoGState(NamedTuple):
    """State of :func:`scale_by_ldog`: the starting point and, per leaf, the largest
    distance from it and the sum of squared gradient norms (with ``eps``)."""

    init_params: optax.Params
    max_dist: optax.Updates
    sum_sq_norm_grads: optax.Updates


def scale_by_ldog(
    reps_rel: jax.typing.ArrayLike = 1e-6, eps: jax.typing.ArrayLike = 1e-8
) -> optax.GradientTransformation:
    r"""Layer-wise DoG: :func:`scale_by_dog`'s step size computed for each leaf on its own.

    For leaf :math:`i`, with :math:`\bar r_{i,0} = r_\epsilon (1 + \|x_{i,0}\|)`:

    .. math::
       \bar r_{i,t} = \max(\bar r_{i,t-1}, \|x_{i,t} - x_{i,0}\|),\quad
       G_{i,t} = \epsilon + \textstyle\sum_{s\le t} \|g_{i,s}\|^2,\quad
       u_{i,t} = \frac{\bar r_{i,t}}{\sqrt{G_{i,t}}}\, g_{i,t}.

    Every leaf is one layer, whatever its rank (a scalar leaf too).

    Args:
      reps_rel: :math:`r_\epsilon`, the relative size of the first movement.
      eps: added once to the sum of squared gradient norms.

    Returns:
      A ``GradientTransformation`` with :class:`ScaleByLDoGState`; needs params.

    References:
      Ivgi, Hinder, Carmon. DoG is SGD's Best Friend: A Parameter-Free Dynamic Step Size
      Schedule. 2023. https://arxiv.org/abs/2302.12022
    """
    check_positive("reps_rel", reps_rel)

    def _norm(x):
        x = x.astype(jnp.promote_types(x.dtype, jnp.float32))
        return jnp.sqrt(jnp.sum(x * x))

    def init_fn(params):
        return ScaleByLDoGState(
            init_params=params,
            max_dist=jax.tree.map(lambda x: reps_rel * (1 + _norm(x)), params),
            sum_sq_norm_grads=jax.tree.map(
                lambda x: jnp.asarray(eps, jnp.promote_types(x.dtype, jnp.float32)), params
            ),
        )

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_ldog needs params")
        max_dist = jax.tree.map(
            lambda r, x, x0: jnp.maximum(r, _norm(x - x0)),
            state.max_dist,
            params,
            state.init_params,
        )
        sum_sq = jax.tree.map(lambda s, g: s + _norm(g) ** 2, state.sum_sq_norm_grads, updates)
        new_updates = jax.tree.map(
            lambda g, r, s: (r / jnp.sqrt(s) * g).astype(g.dtype), updates, max_dist, sum_sq
        )
        return new_updates, ScaleByLDoGState(state.init_params, max_dist, sum_sq)

    return optax.GradientTransformation(init_fn, update_fn)


# -------------------------------------------------------------------- DoWG (optax.contrib)


def scale_by_dowg(
    init_estim_sq_dist: jax.typing.ArrayLike | None = None,
    eps: jax.typing.ArrayLike = 1e-4,
) -> optax.GradientTransformation:
    r"""DoWG (Distance over Weighted Gradients): a parameter-free global step size.

    With :math:`\bar r_t^2 = \max(\bar r_{t-1}^2, \|x_t - x_0\|^2)` (the squared distance
    travelled, over the whole pytree) and :math:`v_t = v_{t-1} + \bar r_t^2 \|g_t\|^2`,

    .. math:: u_t = \frac{\bar r_t^2}{\sqrt{v_t} + \epsilon}\, g_t .

    One scalar step for all leaves (of any rank). The same numbers and state class
    (``optax.contrib.DoWGState``) as ``optax.contrib.scale_by_dowg``; the state scalars take
    the lowest float dtype of the parameters.

    Args:
      init_estim_sq_dist: :math:`\bar r_{-1}^2`, the initial guess of the squared distance
        to the solution; ``None`` uses ``eps``.
      eps: added to the denominator (and the default initial squared distance).

    Returns:
      A ``GradientTransformation`` whose state is ``optax.contrib.DoWGState``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.scale_by_dowg()
      >>> params = jnp.ones(2)
      >>> updates, state = tx.update(jnp.ones(2), tx.init(params), params)

    References:
      Ahmed Khaled, Konstantin Mishchenko, Chi Jin. DoWG Unleashed: An Efficient Universal
      Parameter-Free Gradient Descent Method. 2023. https://arxiv.org/abs/2305.16284
    """

    def init_fn(params):
        dtype = optax.tree.dtype(params, "lowest")
        sq0 = eps if init_estim_sq_dist is None else init_estim_sq_dist
        return DoWGState(
            init_params=params,
            estim_sq_dist=jnp.asarray(sq0, dtype=dtype),
            weighted_sq_norm_grads=jnp.asarray(0.0, dtype=dtype),
        )

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError(optax.NO_PARAMS_MSG)
        moved = optax.tree.norm(optax.tree.sub(state.init_params, params), squared=True)
        sq_dist = jnp.maximum(state.estim_sq_dist, moved)
        weighted = sq_dist * optax.tree.norm(updates, squared=True) + state.weighted_sq_norm_grads
        step = sq_dist / (jnp.sqrt(weighted) + eps)
        new_state = state._replace(estim_sq_dist=sq_dist, weighted_sq_norm_grads=weighted)
        # Mixed-precision trees: the norms are float32, the state keeps its own dtypes.
        new_updates = optax.tree.cast_like(optax.tree.scale(step, updates), updates)
        return new_updates, optax.tree.cast_like(new_state, state)

    return optax.GradientTransformation(init_fn, update_fn)


# ------------------------------------------------------- AdGD (Malitsky & Mishchenko 2020)


class ScaleByAdGDState(NamedTuple):
    r"""State of :func:`scale_by_adgd`: the step count, the last step size
    :math:`\lambda_{k-1}` and ratio :math:`\theta_{k-1}`, and the previous parameters and
    gradients (with ``difference_of_norms``: only their two global norms, scalars)."""

    count: jax.Array  # type: ignore[assignment]  # steps taken
    step_size: jax.Array
    theta: jax.Array
    prev_params: optax.Params
    prev_grads: optax.Updates


def _global_norm(tree, dtype):
    sq = sum(
        (jnp.sum(jnp.square(x.astype(dtype))) for x in jax.tree.leaves(tree)),
        start=jnp.zeros([], dtype),
    )
    return jnp.sqrt(sq)


def scale_by_adgd(
    learning_rate: jax.typing.ArrayLike = 1e-2,
    amplifier: jax.typing.ArrayLike = 1.0,
    theta: jax.typing.ArrayLike | None = None,
    dampening: jax.typing.ArrayLike = 2.0,
    eps: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    *,
    fixed_decay: bool = False,
    difference_of_norms: bool = False,
) -> optax.GradientTransformation:
    r"""AdGD: gradient descent whose step size follows an estimate of the local curvature.

    Emits the whole (positive) step :math:`\lambda_k (g_k + \lambda x_k)`; the caller negates
    it. With :math:`\lambda_0` = ``learning_rate`` and :math:`\theta_0` = ``theta``
    (``None``: :math:`+\infty`), from the second step on

    .. math::
       \lambda_k = \min\Big(\sqrt{1 + a\,\theta_{k-1}}\,\lambda_{k-1},\
       \frac{\|x_k - x_{k-1}\|}{\rho\,\|g_k - g_{k-1}\|}\Big) + \epsilon,\qquad
       \theta_k = \lambda_k / \lambda_{k-1},

    with :math:`a` = ``amplifier`` and :math:`\rho` = ``dampening`` (Algorithm 1 of the paper:
    :math:`a = 1`, :math:`\rho = 2`, :math:`\epsilon = 0`, :math:`\theta_0 = \infty`); the
    first step uses :math:`\lambda_0`. When either distance is zero the curvature term (and
    :math:`\epsilon`) is skipped: :math:`\lambda_k` is the growth term alone, or
    :math:`\lambda_{k-1}` while :math:`\theta_{k-1} = \infty`.

    ``difference_of_norms=True`` is ``pytorch_optimizer.ASGD``'s estimate: the signed
    differences of the global norms, :math:`(\|x_k\| - \|x_{k-1}\|) / (\rho(\|g_k\| -
    \|g_{k-1}\|))`, used only when both are positive; it stores two scalars instead of a copy
    of the parameters and gradients, and the rule already runs on the first step (against the
    same point, so that step takes the growth term).

    Norms are over the whole pytree (every leaf rank alike: scalars, vectors, rank >= 3), in
    float32 or wider; the curvature estimate uses the gradients as given (without the decay).
    Weight decay adds :math:`\lambda_k \lambda x_k` (``fixed_decay``: :math:`\lambda x_k`,
    not scaled by the step size). Updates keep the gradients' dtype.

    Args:
      learning_rate: :math:`\lambda_0`, the first step size (a scalar).
      amplifier: :math:`a`, how fast the step size may grow.
      theta: :math:`\theta_0`, the initial ratio of consecutive step sizes (``None``:
        :math:`+\infty`, no growth limit on the second step).
      dampening: :math:`\rho`, divides the curvature estimate.
      eps: added to the step size whenever the curvature estimate is used.
      weight_decay: :math:`\lambda`, decay of the parameters.
      fixed_decay: the decay is not scaled by the step size.
      difference_of_norms: ``pytorch_optimizer.ASGD``'s norm differences (see above).

    Returns:
      A ``GradientTransformation`` with :class:`ScaleByAdGDState`; needs params.

    References:
      Yura Malitsky, Konstantin Mishchenko. Adaptive Gradient Descent without Descent. 2020.
      https://arxiv.org/abs/1910.09529
    """
    check_positive("learning_rate", learning_rate)
    check_nonnegative("amplifier", amplifier)
    if theta is not None:
        check_positive("theta", theta)
    check_positive("dampening", dampening)
    check_nonnegative("eps", eps)
    check_nonnegative("weight_decay", weight_decay)

    def init_fn(params):
        ct = jnp.promote_types(tree_dtype(params, "lowest"), jnp.float32)
        if difference_of_norms:
            prev_params, prev_grads = jnp.zeros([], ct), jnp.zeros([], ct)
        else:
            prev_params, prev_grads = params, optax.tree.zeros_like(params)
        return ScaleByAdGDState(
            count=jnp.zeros([], jnp.int32),
            step_size=jnp.asarray(learning_rate, ct),
            theta=jnp.asarray(jnp.inf if theta is None else theta, ct),
            prev_params=prev_params,
            prev_grads=prev_grads,
        )

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError(optax.NO_PARAMS_MSG)
        ct = state.step_size.dtype
        first = state.count == 0
        if difference_of_norms:
            x_norm, g_norm = _global_norm(params, ct), _global_norm(updates, ct)
            dx = x_norm - jnp.where(first, x_norm, state.prev_params)
            dg = g_norm - jnp.where(first, g_norm, state.prev_grads)
            prev_params, prev_grads = x_norm, g_norm
        else:
            dx = _global_norm(jax.tree.map(jnp.subtract, params, state.prev_params), ct)
            dg = _global_norm(jax.tree.map(jnp.subtract, updates, state.prev_grads), ct)
            prev_params = optax.tree.cast_like(params, state.prev_params)
            prev_grads = optax.tree.cast_like(updates, state.prev_grads)
        lam_prev, th = state.step_size, state.theta
        unbounded = jnp.isinf(th)
        grown = lam_prev * jnp.sqrt(1 + amplifier * jnp.where(unbounded, 0.0, th))
        use = (dx > 0) & (dg > 0)
        estimate = dx / (dampening * jnp.where(use, dg, 1.0))
        lam = jnp.where(
            use,
            jnp.minimum(jnp.where(unbounded, jnp.inf, grown), estimate) + eps,
            jnp.where(unbounded, lam_prev, grown),
        )
        # A step size of 0 (a stuck iterate) keeps theta rather than 0 / 0.
        new_theta = jnp.where(lam_prev > 0, lam / jnp.where(lam_prev > 0, lam_prev, 1.0), th)
        if not difference_of_norms:  # the first step takes lambda_0 and keeps theta_0
            lam = jnp.where(first, lam_prev, lam)
            new_theta = jnp.where(first, th, new_theta)
        decay = weight_decay if fixed_decay else lam * weight_decay
        out = jax.tree.map(
            lambda g, p: (lam * g.astype(ct) + decay * p.astype(ct)).astype(g.dtype),
            updates,
            params,
        )
        return out, ScaleByAdGDState(
            count=optax.safe_increment(state.count),
            step_size=lam.astype(ct),
            theta=new_theta.astype(ct),
            prev_params=prev_params,
            prev_grads=prev_grads,
        )

    return optax.GradientTransformation(init_fn, update_fn)
