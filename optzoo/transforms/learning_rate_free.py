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
from optzoo.core.validation import check_positive

__all__ = [
    "scale_by_cocob",
    "scale_by_dog",
    "ScaleByLDoGState",
    "scale_by_ldog",
    "scale_by_dowg",
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
        return optax.tree.scale(step, updates), state._replace(
            estim_sq_dist=sq_dist, weighted_sq_norm_grads=weighted
        )

    return optax.GradientTransformation(init_fn, update_fn)
