"""Gradient filters placed before any optimizer: centralisation and OrthoGrad."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import check_decay, check_finite, check_nonnegative
from optzoo.registry import Reference, register

__all__ = ["centralize_gradients", "orthogonalize_gradients", "adamw_gc", "orthograd_adamw"]

YONG_2020 = Reference(
    "Hongwei Yong, Jianqiang Huang, Xiansheng Hua, Lei Zhang",
    "Gradient Centralization: A New Optimization Technique for Deep Neural Networks",
    2020,
    "https://arxiv.org/abs/2004.01461",
)
PRIETO_2025 = Reference(
    "Lucas Prieto, Melih Barsbey, Pedro A. M. Mediano, Tolga Birdal",
    "Grokking at the Edge of Numerical Stability",
    2025,
    "https://arxiv.org/abs/2501.04697",
)


def centralize_gradients(min_rank: int = 2) -> optax.GradientTransformation:
    r"""Gradient centralisation: removes the mean over the fan-in axes of each weight.

    For a leaf of rank :math:`\ge` ``min_rank`` laid out JAX-style
    ``(..., fan_in, fan_out)`` (dense ``(in, out)``, conv ``(H, W, in, out)``):

    .. math:: g \leftarrow g - \operatorname{mean}_{\text{all axes but the last}}(g),

    i.e. each output unit's weight gradient has zero mean (Yong et al. take the
    mean over every axis but PyTorch's leading output axis). Lower-rank leaves
    (biases, scales) pass unchanged.

    Args:
      min_rank: leaves of smaller rank are left alone (2: dense and conv weights).

    Returns:
      A stateless ``GradientTransformation``.

    Example:
      >>> import optax, optzoo
      >>> tx = optax.chain(optzoo.centralize_gradients(), optax.adamw(1e-3))

    References:
      Yong, Huang, Hua, Zhang. Gradient Centralization: A New Optimization Technique for
      Deep Neural Networks. 2020. https://arxiv.org/abs/2004.01461
    """

    def one(g: jax.Array) -> jax.Array:
        if g.ndim < min_rank:
            return g
        return g - jnp.mean(g, axis=tuple(range(g.ndim - 1)), keepdims=True)

    def update_fn(updates, state, params=None):
        del params
        return jax.tree.map(one, updates), state

    return optax.GradientTransformation(optax.init_empty_state, update_fn)


def orthogonalize_gradients(eps: float = 1e-30) -> optax.GradientTransformation:
    r"""OrthoGrad: keeps the part of each leaf's gradient orthogonal to its weights.

    Per leaf (flattened), with the gradient norm restored:

    .. math::
       g_\perp = g - \frac{\langle w, g\rangle}{\langle w, w\rangle + \epsilon} w, \qquad
       g \leftarrow g_\perp \frac{\|g\|}{\|g_\perp\| + \epsilon}.

    A gradient (numerically) parallel to the weights, :math:`\|g_\perp\| \le
    4\,\varepsilon_{\text{mach}} \|g\|`, becomes zero. Computed in float32 (or
    float64 for float64 leaves).

    Args:
      eps: :math:`\epsilon` in both denominators.

    Returns:
      A stateless ``GradientTransformation``; ``update`` requires ``params``.

    Example:
      >>> import optax, optzoo
      >>> tx = optax.chain(optzoo.orthogonalize_gradients(), optax.adamw(1e-3))

    References:
      Prieto, Barsbey, Mediano, Birdal. Grokking at the Edge of Numerical Stability. 2025.
      https://arxiv.org/abs/2501.04697
    """
    check_nonnegative("eps", eps)

    def one(g: jax.Array, w: jax.Array) -> jax.Array:
        dt = jnp.promote_types(g.dtype, jnp.float32)
        gf, wf = g.reshape(-1).astype(dt), w.reshape(-1).astype(dt)
        proj = jnp.dot(wf, gf) / (jnp.dot(wf, wf) + eps)
        go = gf - proj * wf
        gn, gon = jnp.linalg.norm(gf), jnp.linalg.norm(go)
        go = jnp.where(gon <= 4.0 * jnp.finfo(dt).eps * gn, 0.0, go)
        return (go * (gn / (gon + eps))).reshape(g.shape).astype(g.dtype)

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("orthogonalize_gradients needs params")
        return jax.tree.map(one, updates, params), state

    return optax.GradientTransformation(optax.init_empty_state, update_fn)


@register(
    "adamw_gc",
    family="wrapper",
    reference=YONG_2020,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
)
def adamw_gc(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-4,
    mask: Any | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""AdamW on centralised gradients: ``chain(centralize_gradients(), adamw(...))``.

    Args:
      learning_rate: step size.
      b1: first-moment decay.
      b2: second-moment decay.
      eps: Adam epsilon.
      weight_decay: decoupled weight decay.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adamw_gc(1e-3)

    References:
      Yong, Huang, Hua, Zhang. Gradient Centralization: A New Optimization Technique for
      Deep Neural Networks. 2020. https://arxiv.org/abs/2004.01461
    """
    check_decay("b1", b1)
    check_decay("b2", b2)
    check_nonnegative("eps", eps)
    check_nonnegative("weight_decay", weight_decay)
    check_finite("learning_rate", learning_rate)
    return optax.chain(
        centralize_gradients(),
        optax.adamw(learning_rate, b1, b2, eps, weight_decay=weight_decay, mask=mask),
    )


@register(
    "orthograd_adamw",
    family="wrapper",
    reference=PRIETO_2025,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
)
def orthograd_adamw(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-4,
    mask: Any | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""⊥AdamW: AdamW on OrthoGrad-projected gradients (Prieto et al. 2025).

    ``chain(orthogonalize_gradients(), adamw(...))``.

    Args:
      learning_rate: step size.
      b1: first-moment decay.
      b2: second-moment decay.
      eps: Adam epsilon.
      weight_decay: decoupled weight decay.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.orthograd_adamw(1e-3)

    References:
      Prieto, Barsbey, Mediano, Birdal. Grokking at the Edge of Numerical Stability. 2025.
      https://arxiv.org/abs/2501.04697
    """
    check_decay("b1", b1)
    check_decay("b2", b2)
    check_nonnegative("eps", eps)
    check_nonnegative("weight_decay", weight_decay)
    check_finite("learning_rate", learning_rate)
    return optax.chain(
        orthogonalize_gradients(),
        optax.adamw(learning_rate, b1, b2, eps, weight_decay=weight_decay, mask=mask),
    )
