"""Curvature-aware optimizers: Sophia and AdaHessian (Hessian-diagonal preconditioning),
Apollo (a diagonal quasi-Newton estimate from gradients).

Sophia and AdaHessian take the loss through the ``value_fn`` extra argument of ``update``::

    updates, state = tx.update(grads, state, params, value_fn=lambda p: loss(p, batch))
"""

from __future__ import annotations

import functools
from typing import Any

import jax.numpy as jnp
import optax

from optzoo.core.validation import (
    check_finite,
    check_nonnegative,
    check_positive,
    check_positive_int,
)
from optzoo.optimizers._common import with_decoupled_decay
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.curvature import (
    scale_by_adahessian,
    scale_by_apollodqn,
    scale_by_sophia,
)
from optzoo.transforms.scaling import scale_by_learning_rate

__all__ = ["sophia", "adahessian", "apollodqn"]

# Sophia and AdaHessian take the loss as the value_fn extra argument of update.
_takes_value_fn = functools.partial(register, family="curvature", needs=("value_fn",))

LIU_2023 = Reference(
    "Hong Liu, Zhiyuan Li, David Hall, Percy Liang, Tengyu Ma",
    "Sophia: A Scalable Stochastic Second-order Optimizer for Language Model Pre-training",
    2023,
    "https://arxiv.org/abs/2305.14342",
)


@_takes_value_fn(
    "sophia",
    reference=LIU_2023,
    defaults={"learning_rate": 1e-3},
    state_per_param=2,
    also_in=("optax.contrib",),
    authors=Authors(
        code="sophia-opt==0.2.2",
        differences=(
            "optax's bias-corrected momentum, Hessian refreshed at steps 1, k+1, ... (theirs "
            "after steps k, 2k, ...), gamma 0.01 (theirs rho * bs = 0.04 * 5120), eps 1e-8, "
            "weight decay 1e-4; their SophiaG estimator is Gauss-Newton-Bartlett"
        ),
        preset={
            "b1": 0.965,
            "b2": 0.99,
            "eps": 1e-15,
            "weight_decay": 0.1,
            "gamma": 0.04 * 5120,
            "bias_correction": False,
            "refresh": "before",
        },
    ),
)
def sophia(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.965,
    b2: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 1e-4,
    weight_decay_mask: Any | None = None,
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
    r"""Sophia: clipped momentum over an EMA of a Hessian-diagonal estimate.

    .. math::
       x_{t+1} = x_t - \eta\Big(\mathrm{clip}\big(\hat m_t / \max(\gamma h_t, \epsilon),
       \pm c\big) + \lambda x_t\Big),

    see :func:`optzoo.scale_by_sophia` for :math:`\hat m_t`, :math:`h_t` and the
    estimators (Sophia-H: Hutchinson from ``value_fn``; Sophia-G: pass
    :func:`optzoo.gauss_newton_bartlett_diag` as ``hessian_diag`` with
    ``estimator="given"``). The defaults equal ``optax.contrib.sophia``;
    ``optzoo.create("sophia", preset="authors")`` gives the authors' ``SophiaG`` defaults
    and training-loop refresh schedule (``refresh="before"``, no bias correction,
    ``gamma = rho * bs``; pass :func:`optzoo.gauss_newton_bartlett_diag` for their estimator).

    Args:
      learning_rate: step size :math:`\eta`.
      b1: momentum decay.
      b2: Hessian-EMA decay.
      eps: denominator floor.
      weight_decay: decoupled decay :math:`\lambda`.
      weight_decay_mask: weight-decay mask.
      gamma: :math:`\gamma`.
      clip_threshold: :math:`c` (``None``: no clipping).
      update_interval: steps between Hessian refreshes.
      estimator: ``"hutchinson"`` or ``"given"``.
      bias_correction: bias-correct the momentum (optax) or not (authors' code).
      seed: probe seed.
      mu_dtype: momentum dtype.
      refresh: ``"after"`` (optax) or ``"before"`` (the authors' loop), see
        :func:`optzoo.scale_by_sophia`.

    Returns:
      A ``GradientTransformationExtraArgs``; ``update`` needs ``value_fn``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.sophia(1e-3, estimator="hutchinson")

    References:
      Liu, Li, Hall, Liang, Ma. Sophia: A Scalable Stochastic Second-order Optimizer for
      Language Model Pre-training. 2023. https://arxiv.org/abs/2305.14342
    """
    check_positive("clip_threshold", clip_threshold)
    check_positive_int("update_interval", update_interval)
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    direction = scale_by_sophia(
        b1,
        b2,
        eps,
        gamma,
        clip_threshold,
        update_interval,
        estimator=estimator,
        bias_correction=bias_correction,
        seed=seed,
        mu_dtype=mu_dtype,
        refresh=refresh,
    )
    return with_decoupled_decay(direction, learning_rate, weight_decay, weight_decay_mask)


YAO_2020 = Reference(
    "Zhewei Yao, Amir Gholami, Sheng Shen, Mustafa Mustafa, Kurt Keutzer, Michael W. Mahoney",
    "ADAHESSIAN: An Adaptive Second Order Optimizer for Machine Learning",
    2020,
    "https://arxiv.org/abs/2006.00719",
)


@_takes_value_fn(
    "adahessian",
    reference=YAO_2020,
    defaults={"learning_rate": 0.15},
    state_per_param=2,
    authors=Authors(
        code="paper, Algorithm 1",
        differences=(
            "none in the defaults; rank-3 leaves are not averaged (the authors' code has no "
            "rule for them), and optzoo's probe is z * Hz where theirs is |Hz| (equal squared)"
        ),
        no_package=(
            "the authors published no package: their repository's PyTorch code is not on the "
            "package index, and their README points to the third-party torch-optimizer"
        ),
    ),
)
def adahessian(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-4,
    weight_decay: float = 0.0,
    weight_decay_mask: Any | None = None,
    hessian_power: float = 1.0,
    update_interval: int = 1,
    *,
    spatial_average: bool = True,
    seed: int = 0,
) -> optax.GradientTransformationExtraArgs:
    r"""AdaHessian with decoupled weight decay.

    .. math::
       x_{t+1} = x_t - \eta\Big(\frac{\hat m_t}{\hat v_t^{k/2} + \epsilon} + \lambda x_t\Big),
       \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) D_t^2,

    with :math:`D_t` the Hutchinson Hessian diagonal of ``value_fn`` (see
    :func:`optzoo.scale_by_adahessian`). The defaults are the authors' (Yao et al.'s
    ``optim_adahessian.py``); ``optzoo.create("adahessian", preset="authors")`` is the same.

    Args:
      learning_rate: step size :math:`\eta` (paper default 0.15).
      b1: first-moment decay.
      b2: second-moment decay.
      eps: denominator epsilon.
      weight_decay: decoupled decay :math:`\lambda`.
      weight_decay_mask: weight-decay mask.
      hessian_power: :math:`k`.
      update_interval: steps between Hessian estimates.
      spatial_average: average conv kernels' estimate over the spatial window.
      seed: probe seed.

    Returns:
      A ``GradientTransformationExtraArgs``; ``update`` needs ``value_fn``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adahessian(0.15)

    References:
      Yao, Gholami, Shen, Mustafa, Keutzer, Mahoney. ADAHESSIAN: An Adaptive Second Order
      Optimizer for Machine Learning. 2020. https://arxiv.org/abs/2006.00719
    """
    check_positive_int("update_interval", update_interval)
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    direction = scale_by_adahessian(
        b1, b2, eps, hessian_power, update_interval, spatial_average=spatial_average, seed=seed
    )
    return with_decoupled_decay(direction, learning_rate, weight_decay, weight_decay_mask)


MA_2020 = Reference(
    "Xuezhe Ma",
    "Apollo: An Adaptive Parameter-wise Diagonal Quasi-Newton Method for Nonconvex "
    "Stochastic Optimization",
    2020,
    "https://arxiv.org/abs/2009.13586",
)


def _apollo_warmup(learning_rate, init_lr, warmup_steps, warmup_offset):
    """The linear warm-up from ``init_lr``: step ``k`` (from 0) uses the fraction
    ``min(k + warmup_offset, W) / W`` of the way to ``learning_rate``."""
    if not warmup_steps:
        return learning_rate

    def schedule(count):
        lr = learning_rate(count) if callable(learning_rate) else learning_rate
        # dtype=float: the default float (float64 under x64), not int32 / int's float32.
        k = jnp.asarray(jnp.minimum(count + warmup_offset, warmup_steps), dtype=float)
        frac = k / warmup_steps
        return init_lr + (lr - init_lr) * frac

    return schedule


@register(
    "apollodqn",
    family="curvature",
    reference=MA_2020,
    state_per_param=3,
    defaults={"learning_rate": 1e-2},
    authors=Authors(
        code="paper, Algorithm 1",
        preset={"sigma": 1.0, "warmup_steps": 100, "init_lr": 0.01, "warmup_offset": 0},
        differences=(
            "pytorch_optimizer's rectification floor sigma 0.01 (the authors' code: 1), its "
            "warm-up of 500 steps from 1e-5 counted from step 1 (theirs: 100 steps from 0.01, "
            "the first step at init_lr); the authors' code defaults to decoupled decay with "
            "rebound='belief'"
        ),
        no_package=(
            "the author published source files (XuezheMax/apollo, optim/apollo.py), not a "
            "package on the package index"
        ),
    ),
)
def apollodqn(
    learning_rate: optax.ScalarOrSchedule,
    beta: float = 0.9,
    eps: float = 1e-4,
    weight_decay: float = 0.0,
    *,
    rebound: str = "constant",
    sigma: float = 0.01,
    weight_decay_type: str = "l2",
    init_lr: float | None = 1e-5,
    warmup_steps: int = 500,
    warmup_offset: int = 1,
) -> optax.GradientTransformation:
    r"""Apollo: an adaptive parameter-wise diagonal quasi-Newton method.

    .. math::
       x_{t+1} = x_t - \eta_t\, d_t,\quad d_t = m_t / \mathrm{rectify}(B_t),

    with :math:`m_t` the bias-corrected gradient EMA and :math:`B_t` the diagonal Hessian
    estimate updated by the weak secant condition along the previous direction (see
    :func:`optzoo.scale_by_apollodqn`; weight decay ``"l2"``, ``"decoupled"`` or
    ``"stable"``). :math:`\eta_t` warms up linearly from ``init_lr``: step :math:`k`
    (from 0) uses :math:`\eta_0 + (\eta - \eta_0)\min(k + o, W)/W`, :math:`o` =
    ``warmup_offset`` (1: pytorch_optimizer's ``ApolloDQN``; 0: the authors' code, whose first
    step uses ``init_lr``). The defaults are pytorch_optimizer 4.1.0's ``ApolloDQN``;
    ``optzoo.create("apollodqn", preset="authors")`` gives the author's code's
    (:math:`\sigma = 1`, 100 warm-up steps from 0.01, offset 0). Registered as
    ``apollodqn``: ``apollo`` is the 2024 memory-efficient APOLLO.

    Args:
      learning_rate: step size :math:`\eta` (a scalar or a schedule).
      beta: gradient-EMA decay.
      eps: :math:`\epsilon` (see :func:`optzoo.scale_by_apollodqn`).
      weight_decay: decay :math:`\lambda`.
      rebound: ``"constant"`` (floor :math:`\sigma`) or ``"belief"`` (floor
        :math:`\lVert g_t - m_{t-1}\rVert_\infty`).
      sigma: the constant rebound's floor.
      weight_decay_type: ``"l2"``, ``"decoupled"`` or ``"stable"``.
      init_lr: warm-up start :math:`\eta_0` (``None``: ``learning_rate / 1000``, a scalar
        ``learning_rate`` only).
      warmup_steps: warm-up length :math:`W` (0: none).
      warmup_offset: :math:`o`, 1 or 0.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.apollodqn(1e-2)

    References:
      Xuezhe Ma. Apollo: An Adaptive Parameter-wise Diagonal Quasi-Newton Method for
      Nonconvex Stochastic Optimization. 2020. https://arxiv.org/abs/2009.13586
    """
    check_finite("learning_rate", learning_rate)
    if warmup_offset not in (0, 1) or isinstance(warmup_offset, bool):
        raise ValueError(f"warmup_offset must be 0 or 1, got {warmup_offset!r}")
    if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int) or warmup_steps < 0:
        raise ValueError(f"warmup_steps must be a non-negative integer, got {warmup_steps!r}")
    if init_lr is None:
        if callable(learning_rate):
            raise ValueError("init_lr=None needs a scalar learning_rate")
        init_lr = learning_rate / 1000.0
    check_nonnegative("init_lr", init_lr)
    return optax.chain(
        scale_by_apollodqn(
            beta,
            eps,
            weight_decay,
            rebound=rebound,
            sigma=sigma,
            weight_decay_type=weight_decay_type,
        ),
        scale_by_learning_rate(_apollo_warmup(learning_rate, init_lr, warmup_steps, warmup_offset)),
    )
