"""Lookahead on plain parameters (slow weights kept in the optimizer state)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import (
    check_betas,
    check_finite,
    check_nonnegative,
    check_positive_int,
    check_unit_interval,
)
from optzoo.registry import Authors, Reference, register

__all__ = ["LookaheadWrapperState", "with_lookahead", "lookahead_adam"]

ZHANG_2019 = Reference(
    "Michael R. Zhang, James Lucas, Geoffrey Hinton, Jimmy Ba",
    "Lookahead Optimizer: k steps forward, 1 step back",
    2019,
    "https://arxiv.org/abs/1907.08610",
)


class LookaheadWrapperState(NamedTuple):
    """State of :func:`with_lookahead`: inner state, slow weights, steps since sync."""

    inner_state: Any
    slow: Any
    steps_since_sync: jax.Array


def with_lookahead(
    inner: optax.GradientTransformation,
    sync_period: int = 6,
    slow_step_size: float = 0.5,
) -> optax.GradientTransformationExtraArgs:
    r"""Lookahead around any optimizer, on ordinary parameters.

    The parameters the user holds are the fast weights :math:`\theta`; the slow
    weights :math:`\phi` live in the state. Every ``sync_period`` steps

    .. math::
       \phi \leftarrow \phi + \alpha(\theta_{k} - \phi), \qquad \theta \leftarrow \phi,

    and the returned update moves the parameters there. The numbers equal
    ``optax.lookahead`` (the ``fast`` half of its ``LookaheadParams``) without
    the two-part parameter structure. Evaluate with :func:`lookahead_slow_params`
    or the parameters right after a sync.

    Args:
      inner: the fast optimizer.
      sync_period: :math:`k`, fast steps between synchronisations.
      slow_step_size: :math:`\alpha \in [0, 1]`.

    Returns:
      A ``GradientTransformationExtraArgs``; ``update`` requires ``params``.

    Example:
      >>> import optax, optzoo
      >>> tx = optzoo.with_lookahead(optax.adam(1e-3), sync_period=5, slow_step_size=0.5)

    References:
      Zhang, Lucas, Hinton, Ba. Lookahead Optimizer: k steps forward, 1 step back. 2019.
      https://arxiv.org/abs/1907.08610
    """
    if isinstance(sync_period, int):
        check_positive_int("sync_period", sync_period)
    check_unit_interval("slow_step_size", slow_step_size)
    inner = optax.with_extra_args_support(inner)

    def init_fn(params):
        return LookaheadWrapperState(
            inner_state=inner.init(params),
            slow=jax.tree.map(jnp.asarray, params),
            steps_since_sync=jnp.zeros([], jnp.int32),
        )

    def update_fn(updates, state, params=None, **extra):
        if params is None:
            raise ValueError("with_lookahead needs params")
        fast_updates, inner_state = inner.update(updates, state.inner_state, params, **extra)
        sync = state.steps_since_sync == sync_period - 1
        fast = jax.tree.map(lambda p, u: p + u, params, fast_updates)
        new_slow = jax.tree.map(
            lambda s, f: jnp.where(sync, s + slow_step_size * (f - s), s).astype(s.dtype),
            state.slow,
            fast,
        )
        out = jax.tree.map(
            lambda u, s, p: jnp.where(sync, s - p, u).astype(u.dtype),
            fast_updates,
            new_slow,
            params,
        )
        steps = jnp.where(sync, 0, state.steps_since_sync + 1).astype(jnp.int32)
        return out, LookaheadWrapperState(inner_state, new_slow, steps)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


@register(
    "lookahead_adam",
    family="wrapper",
    reference=ZHANG_2019,
    state_per_param=3,
    defaults={"learning_rate": 1e-3},
    also_in=(),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={"sync_period": 5, "slow_step_size": 0.8},
        differences="k=6, alpha=0.5 (optax's example); the authors' code uses k=5, alpha=0.8",
        no_package="the authors published a source file (michaelrzhang/lookahead)",
    ),
)
def lookahead_adam(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    sync_period: int = 6,
    slow_step_size: float = 0.5,
) -> optax.GradientTransformationExtraArgs:
    r"""Lookahead over Adam: :func:`with_lookahead` of ``optax.adam``.

    ``sync_period=6, slow_step_size=0.5`` here; the authors' code defaults to 5 and 0.8
    (``optzoo.create("lookahead_adam", preset="authors")``).

    Args:
      learning_rate: Adam step size.
      b1: first-moment decay.
      b2: second-moment decay.
      eps: Adam epsilon.
      sync_period: fast steps between synchronisations.
      slow_step_size: slow-weight interpolation :math:`\alpha`.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.lookahead_adam(1e-3)

    References:
      Zhang, Lucas, Hinton, Ba. Lookahead Optimizer: k steps forward, 1 step back. 2019.
      https://arxiv.org/abs/1907.08610
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)
    check_finite("learning_rate", learning_rate)
    return with_lookahead(optax.adam(learning_rate, b1, b2, eps), sync_period, slow_step_size)
