"""Pieces shared by the user-facing optimizer constructors."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

from optzoo.transforms.scaling import scale_by_learning_rate
from optzoo.transforms.weight_decay import add_decayed_weights


def without_decay(weight_decay: Any) -> bool:
    """``weight_decay`` is ``None`` or a literal 0, where optax's chain has no decay block (nor
    state). An array, maybe traced under ``inject_hyperparams``, keeps the block: the state
    must not depend on its value."""
    return weight_decay is None or (isinstance(weight_decay, int | float) and weight_decay == 0)


def with_decoupled_decay(
    direction: optax.GradientTransformation,
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: optax.ScalarOrSchedule,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""The standard tail: ``direction``, then decoupled decay, then the learning rate.

    Returns ``optax.chain(direction, add_decayed_weights(weight_decay, mask),
    scale_by_learning_rate(learning_rate))``, i.e. :math:`x_{t+1} = x_t - \eta(u_t + \lambda
    x_t)` with :math:`u_t` the output of ``direction`` (the same chain ``optax.adamw`` builds).
    """
    return optax.chain(
        direction,
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


def with_coupled_decay(
    direction: optax.GradientTransformation,
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: optax.ScalarOrSchedule,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""The L2 form: the decay added to the gradient, then ``direction``, then the learning rate.

    Returns ``optax.chain(add_decayed_weights(weight_decay, mask), direction,
    scale_by_learning_rate(learning_rate))``: ``direction`` sees :math:`g_t + \lambda x_t`
    (PyTorch's ``weight_decay`` in SGD and Adam).
    """
    return optax.chain(
        add_decayed_weights(weight_decay, mask),
        direction,
        scale_by_learning_rate(learning_rate),
    )


def with_decay_after_step(
    direction: optax.GradientTransformation,
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: optax.ScalarOrSchedule,
    mask: Any = None,
    *,
    scaled_by_learning_rate: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""The decay of code that shrinks the weights after stepping them.

    :math:`x_{t+1} = (1 - c_t)(x_t - \eta_t u_t)` with :math:`c_t = \eta_t \lambda_t`
    (``scaled_by_learning_rate``, e.g. the GaLore authors' AdamW) or :math:`c_t = \lambda_t`
    (the LaProp authors'): the update is :math:`(1 - c_t)(-\eta_t u_t) - c_t x_t`. It
    differs from :func:`with_decoupled_decay` by :math:`c_t \eta_t u_t`. ``update`` needs
    ``params``.
    """

    def factor(count: jax.Array) -> jax.Array:
        wd = weight_decay(count) if callable(weight_decay) else weight_decay
        if not scaled_by_learning_rate:
            return jnp.asarray(wd)
        lr = learning_rate(count) if callable(learning_rate) else learning_rate
        return jnp.asarray(lr) * jnp.asarray(wd)

    def init_fn(params: optax.Params) -> optax.ScaleByScheduleState:
        del params
        return optax.ScaleByScheduleState(count=jnp.zeros([], jnp.int32))

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("a decay applied after the step needs params: update(g, s, params)")
        c = factor(state.count)
        new = jax.tree.map(lambda u, x: ((1 - c) * u - c * x).astype(u.dtype), updates, params)
        return new, optax.ScaleByScheduleState(count=optax.safe_increment(state.count))

    shrink = optax.GradientTransformation(init_fn, update_fn)
    return optax.chain(
        direction,
        scale_by_learning_rate(learning_rate),
        shrink if mask is None else optax.masked(shrink, mask),
    )


def with_decay(
    direction: optax.GradientTransformation,
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: optax.ScalarOrSchedule,
    mask: Any = None,
    *,
    decoupled: bool,
) -> optax.GradientTransformationExtraArgs:
    """:func:`with_decoupled_decay` (``decoupled``) or :func:`with_coupled_decay` (L2): the
    choice of the optimizers with a ``weight_decouple`` (or ``decouple``) switch."""
    tail = with_decoupled_decay if decoupled else with_coupled_decay
    return tail(direction, learning_rate, weight_decay, mask)


def decay_before_learning_rate(
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: float,
    mask: Any = None,
    *,
    leaf_factor: Any = None,
    skip_first_step: bool = False,
    name: str = "this weight decay",
) -> optax.GradientTransformation:
    r"""The decay of the stepped weights, placed *before* ``scale_by_learning_rate``.

    ``u -> (1 - \eta_t c\lambda) u + c\lambda x``, so that the learning rate's
    :math:`x - \eta_t u` becomes :math:`(x - \eta_t u)(1 - \eta_t c\lambda)`, with :math:`c`
    = ``leaf_factor(x.shape)`` per leaf (``None``: 1) and no decay at step 1 with
    ``skip_first_step``. The same weights as :func:`with_decay_after_step` up to rounding,
    in the order SOAP's authors and ``pytorch_optimizer``'s SPlus compute it. ``update``
    needs ``params`` (``ValueError`` naming ``name`` otherwise).
    """

    def init_fn(params: optax.Params) -> optax.ScaleByScheduleState:
        del params
        return optax.ScaleByScheduleState(count=jnp.zeros([], jnp.int32))

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError(f"{name} needs params")
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate

        def one(u, x):
            lam = jnp.asarray(weight_decay, u.dtype)
            if leaf_factor is not None:
                lam = lam * leaf_factor(x.shape)
            if skip_first_step:
                lam = jnp.where(state.count > 0, lam, jnp.zeros([], u.dtype))
            return ((1 - jnp.asarray(lr, u.dtype) * lam) * u + lam * x).astype(u.dtype)

        out = jax.tree.map(one, updates, params)
        return out, optax.ScaleByScheduleState(count=optax.safe_increment(state.count))

    tx = optax.GradientTransformation(init_fn, update_fn)
    return tx if mask is None else optax.masked(tx, mask)
