"""Cautious updates (C-Optim) and cautious weight decay, with C-AdamW and C-Lion."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import check_betas, check_finite, check_nonnegative
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.scaling import scale_by_learning_rate

__all__ = ["cautious", "add_cautious_decayed_weights", "cautious_adamw", "cautious_lion"]

LIANG_2024 = Reference(
    "Kaizhao Liang, Lizhang Chen, Bo Liu, Qiang Liu",
    "Cautious Optimizers: Improving Training with One Line of Code",
    2024,
    "https://arxiv.org/abs/2411.16085",
)
CHEN_2025_CWD = Reference(
    "Lizhang Chen, Jonathan Li, Kaizhao Liang, Baiyu Su, Cong Xie, Nuo Wang Pierse, "
    "Chen Liang, Ni Lao, Qiang Liu",
    "Cautious Weight Decay",
    2025,
    "https://arxiv.org/abs/2510.12402",
)


_RESCALES = ("sum_plus_one", "clamped_mean")


def _cautious_mask(u: jax.Array, g: jax.Array, sign: int, rescale: str) -> jax.Array:
    agree = (sign * u * g > 0).astype(u.dtype)
    if rescale == "clamped_mean":
        return u * (agree / jnp.maximum(jnp.mean(agree), 1e-3)).astype(u.dtype)
    return u * (agree * (agree.size / (jnp.sum(agree) + 1))).astype(u.dtype)


def cautious(
    inner: optax.GradientTransformation,
    *,
    is_direction: bool = False,
    rescale: str = "sum_plus_one",
) -> optax.GradientTransformationExtraArgs:
    r"""Cautious wrapper: drops update components that disagree with the gradient.

    With :math:`u` the inner update written as a descent direction and :math:`g`
    the gradient given to ``update``, per leaf

    .. math::
       \phi = \mathbb{1}[u \odot g > 0], \qquad
       u \leftarrow u \odot \phi \cdot \frac{d}{\textstyle\sum_i \phi_i + 1},

    with :math:`d` the leaf size (the mask-mean rescaling of the authors' code).
    By default ``inner`` is a whole optimizer whose updates are *added* to the
    parameters (optax's convention, :math:`u = -\text{update}`); with
    ``is_direction=True`` it is a direction block such as ``scale_by_adam``
    placed before the learning rate (the paper's C-AdamW, where weight decay is
    applied outside the mask).

    ``rescale="clamped_mean"`` divides by :math:`\max(\mathrm{mean}\,\phi, 10^{-3})`
    instead, as the authors' C-AdamW does.

    Args:
      inner: the transformation whose updates are masked.
      is_direction: ``inner`` returns a descent direction rather than an update.
      rescale: ``"sum_plus_one"`` (:math:`d/(\sum\phi+1)`, the authors' C-Lion) or
        ``"clamped_mean"`` (:math:`1/\max(\mathrm{mean}\,\phi, 10^{-3})`, their C-AdamW).

    Returns:
      A ``GradientTransformationExtraArgs`` with ``inner``'s state.

    Example:
      >>> import optax, optzoo
      >>> tx = optzoo.cautious(optax.sgd(0.1, momentum=0.9))

    References:
      Liang, Chen, Liu, Liu. Cautious Optimizers: Improving Training with One Line of
      Code. 2024. https://arxiv.org/abs/2411.16085
    """
    if rescale not in _RESCALES:
        raise ValueError(f"rescale must be one of {_RESCALES}, got {rescale!r}")
    inner = optax.with_extra_args_support(inner)
    sign = 1 if is_direction else -1

    def update_fn(updates, state, params=None, **extra):
        new, state = inner.update(updates, state, params, **extra)
        new = jax.tree.map(lambda u, g: _cautious_mask(u, g, sign, rescale), new, updates)
        return new, state

    return optax.GradientTransformationExtraArgs(inner.init, update_fn)


def add_cautious_decayed_weights(
    weight_decay: float = 0.0, mask: Any | None = None
) -> optax.GradientTransformation:
    r"""Cautious weight decay: decays only coordinates whose sign agrees with the update.

    Placed where ``optax.add_decayed_weights`` goes (after the direction, before
    the learning rate):

    .. math::
       u \leftarrow u + \lambda\, \mathbb{1}[\operatorname{sign}(u) = \operatorname{sign}(x)]
       \odot x,

    so a coordinate is pulled to zero only when the optimizer is already moving
    it towards zero (Chen et al. 2025: "applies weight decay only to parameter
    coordinates whose signs align with the optimizer update").

    Args:
      weight_decay: :math:`\lambda \ge 0`.
      mask: optional tree (or callable) of booleans selecting the decayed leaves.

    Returns:
      A stateless ``GradientTransformation``; ``params`` are required.

    Example:
      >>> import optax, optzoo
      >>> tx = optax.chain(optax.scale_by_adam(), optzoo.add_cautious_decayed_weights(0.1),
      ...                  optax.scale(-1e-3))

    References:
      Chen, Li, Liang, Su, Xie, Pierse, Liang, Lao, Liu. Cautious Weight Decay. 2025.
      https://arxiv.org/abs/2510.12402
    """
    check_nonnegative("weight_decay", weight_decay)

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("add_cautious_decayed_weights needs params")
        new = jax.tree.map(
            lambda u, x: u + (weight_decay * (jnp.sign(u) == jnp.sign(x)) * x).astype(u.dtype),
            updates,
            params,
        )
        return new, state

    tx = optax.GradientTransformation(optax.init_empty_state, update_fn)
    if mask is not None:
        return optax.masked(tx, mask)
    return tx


def _decay(weight_decay: float, mask: Any, cautious_weight_decay: bool) -> Any:
    if cautious_weight_decay:
        return add_cautious_decayed_weights(weight_decay, mask)
    return optax.add_decayed_weights(weight_decay, mask)


def _scale_by_adam_eps_first(
    b1: float, b2: float, eps: float, mu_dtype: Any
) -> optax.GradientTransformation:
    # m_hat / (sqrt(v_hat) + eps / sqrt(1 - b2^t)): eps added to sqrt(v) before correcting.
    adam = optax.scale_by_adam(b1=b1, b2=b2, eps=0.0, mu_dtype=mu_dtype)

    def update_fn(updates, state, params=None):
        del params
        _, new = adam.update(updates, state)
        t = new.count.astype(jnp.result_type(float))
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        out = jax.tree.map(
            lambda g, m, v: ((m / bc1) * jnp.sqrt(bc2) / (jnp.sqrt(v) + eps)).astype(g.dtype),
            updates,
            new.mu,
            new.nu,
        )
        return out, new

    return optax.GradientTransformation(adam.init, update_fn)


@register(
    "cautious_adamw",
    family="wrapper",
    reference=LIANG_2024,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
    also_in=(),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={"eps": 1e-6, "weight_decay": 0.0, "rescale": "clamped_mean"},
        differences="eps 1e-8, wd 1e-4, mask rescaled by d/(sum+1); the authors' C-AdamW: "
        "eps 1e-6, wd 0, mask / max(mean, 1e-3) (their foreach=False loop also adds eps "
        "before the bias correction: eps_before_correction=True)",
        no_package="the authors published source files (kyleliang919/C-Optim)",
    ),
)
def cautious_adamw(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    mu_dtype: Any | None = None,
    weight_decay: float = 1e-4,
    mask: Any | None = None,
    *,
    cautious_weight_decay: bool = False,
    eps_before_correction: bool = False,
    rescale: str = "sum_plus_one",
) -> optax.GradientTransformationExtraArgs:
    r"""C-AdamW: AdamW whose Adam direction is masked by :func:`cautious`.

    optax's AdamW defaults here; the authors' C-AdamW uses ``eps=1e-6``, no decay and
    rescales by the clamped mask mean (``optzoo.create("cautious_adamw", preset="authors")``).

    .. math::
       u_t = \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}, \quad
       \phi_t = \mathbb{1}[u_t \odot g_t > 0], \quad
       x_{t+1} = x_t - \eta\Big(\frac{d\, u_t \odot \phi_t}{\sum\phi_t + 1} + \lambda x_t\Big).

    ``cautious_weight_decay=True`` replaces :math:`\lambda x_t` by the cautious
    decay of :func:`add_cautious_decayed_weights` (Chen et al. 2025).

    Args:
      learning_rate: step size :math:`\eta`.
      b1: first-moment decay.
      b2: second-moment decay.
      eps: denominator epsilon.
      eps_root: epsilon inside the square root.
      mu_dtype: first-moment dtype.
      weight_decay: decoupled decay :math:`\lambda`.
      mask: weight-decay mask.
      cautious_weight_decay: use cautious weight decay.
      eps_before_correction: add ``eps`` to :math:`\sqrt{v_t}` before the bias correction
        (Hugging Face's AdamW; the authors' ``foreach=False`` loop); ``eps_root`` must be 0.
      rescale: mask rescaling, see :func:`cautious`.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.cautious_adamw(1e-3, weight_decay=0.01)

    References:
      Liang, Chen, Liu, Liu. Cautious Optimizers: Improving Training with One Line of
      Code. 2024. https://arxiv.org/abs/2411.16085
    """
    check_nonnegative("eps", eps)
    check_nonnegative("eps_root", eps_root)
    check_nonnegative("weight_decay", weight_decay)
    check_finite("learning_rate", learning_rate)
    check_betas(b1, b2)
    if eps_before_correction:
        if eps_root != 0:
            raise ValueError("eps_before_correction=True takes no eps_root")
        direction = _scale_by_adam_eps_first(b1, b2, eps, mu_dtype)
    else:
        direction = optax.scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root, mu_dtype=mu_dtype)
    return optax.chain(
        cautious(direction, is_direction=True, rescale=rescale),
        _decay(weight_decay, mask, cautious_weight_decay),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "cautious_lion",
    family="wrapper",
    reference=LIANG_2024,
    state_per_param=1,
    defaults={"learning_rate": 1e-4},
    also_in=(),
    authors=Authors(
        code="paper, Algorithm 2",
        preset={"b1": 0.95, "b2": 0.98, "weight_decay": 0.0},
        differences="optax's Lion betas (0.9, 0.99) and wd 1e-3; the authors' C-Lion: "
        "(0.95, 0.98), wd 0",
        no_package="the authors published source files (kyleliang919/C-Optim)",
    ),
)
def cautious_lion(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.99,
    mu_dtype: Any | None = None,
    weight_decay: float = 1e-3,
    mask: Any | None = None,
    *,
    cautious_weight_decay: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""C-Lion: Lion whose sign update is masked by :func:`cautious`.

    optax's Lion defaults here; the authors' C-Lion uses ``b1=0.95, b2=0.98``, no decay
    (``optzoo.create("cautious_lion", preset="authors")``).

    .. math::
       u_t = \operatorname{sign}(\beta_1 m_{t-1} + (1-\beta_1) g_t), \quad
       x_{t+1} = x_t - \eta\Big(\frac{d\, u_t \odot \mathbb{1}[u_t g_t > 0]}
       {\sum \mathbb{1}[u_t g_t > 0] + 1} + \lambda x_t\Big),\quad
       m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t.

    Args:
      learning_rate: step size :math:`\eta`.
      b1: interpolation for the update sign.
      b2: momentum decay.
      mu_dtype: momentum dtype.
      weight_decay, mask, cautious_weight_decay: as in :func:`cautious_adamw`.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.cautious_lion(1e-4)

    References:
      Liang, Chen, Liu, Liu. Cautious Optimizers: Improving Training with One Line of
      Code. 2024. https://arxiv.org/abs/2411.16085
    """
    check_nonnegative("weight_decay", weight_decay)
    check_finite("learning_rate", learning_rate)
    check_betas(b1, b2)
    return optax.chain(
        cautious(optax.scale_by_lion(b1=b1, b2=b2, mu_dtype=mu_dtype), is_direction=True),
        _decay(weight_decay, mask, cautious_weight_decay),
        scale_by_learning_rate(learning_rate),
    )
