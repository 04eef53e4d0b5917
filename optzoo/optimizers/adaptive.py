"""Classic adaptive optimizers: Adagrad, RMSProp, Adadelta and the Adam family.

Each is a chain of optzoo's own building blocks and gives optax's numbers with
optax's state classes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import optax

from optzoo.core.validation import check_unit_interval
from optzoo.registry import Reference, register
from optzoo.transforms.adaptive import (
    scale_by_adadelta,
    scale_by_adam,
    scale_by_adamax,
    scale_by_amsgrad,
    scale_by_rms,
    scale_by_rss,
    scale_by_stddev,
)
from optzoo.transforms.momentum import trace
from optzoo.transforms.scaling import scale_by_learning_rate
from optzoo.transforms.weight_decay import add_decayed_weights

__all__ = [
    "adagrad",
    "rmsprop",
    "adadelta",
    "adam",
    "adamw",
    "nadam",
    "nadamw",
    "amsgrad",
    "adamax",
    "adamaxw",
]

MaskOrFn = Any | Callable[[optax.Params], Any] | None

DUCHI_2011 = Reference(
    "John Duchi, Elad Hazan, Yoram Singer",
    "Adaptive Subgradient Methods for Online Learning and Stochastic Optimization (JMLR 12)",
    2011,
    "https://jmlr.org/papers/v12/duchi11a.html",
)
HINTON_2012 = Reference(
    "Geoffrey Hinton, Nitish Srivastava, Kevin Swersky (with Tijmen Tieleman)",
    "Neural Networks for Machine Learning, Lecture 6e: rmsprop: divide the gradient by a "
    "running average of its recent magnitude",
    2012,
    "https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf",
)
ZEILER_2012 = Reference(
    "Matthew D. Zeiler",
    "ADADELTA: An Adaptive Learning Rate Method",
    2012,
    "https://arxiv.org/abs/1212.5701",
)
KINGMA_BA_2014 = Reference(
    "Diederik P. Kingma, Jimmy Ba",
    "Adam: A Method for Stochastic Optimization",
    2014,
    "https://arxiv.org/abs/1412.6980",
)
LOSHCHILOV_HUTTER_2017 = Reference(
    "Ilya Loshchilov, Frank Hutter",
    "Decoupled Weight Decay Regularization",
    2017,
    "https://arxiv.org/abs/1711.05101",
)
DOZAT_2016 = Reference(
    "Timothy Dozat",
    "Incorporating Nesterov Momentum into Adam (ICLR 2016 workshop)",
    2016,
    "https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ",
)
REDDI_2018 = Reference(
    "Sashank J. Reddi, Satyen Kale, Sanjiv Kumar",
    "On the Convergence of Adam and Beyond",
    2018,
    "https://arxiv.org/abs/1904.09237",
)


@register(
    "adagrad",
    family="adaptive",
    reference=DUCHI_2011,
    state_per_param=1,
    defaults={"learning_rate": 0.1},
)
def adagrad(
    learning_rate: optax.ScalarOrSchedule,
    initial_accumulator_value: jax.typing.ArrayLike = 0.1,
    eps: jax.typing.ArrayLike = 1e-7,
) -> optax.GradientTransformationExtraArgs:
    r"""Adagrad: steps scaled by the root of the sum of all past squared gradients.

    .. math::
       s_t = s_{t-1} + g_t^2, \qquad x_{t+1} = x_t - \eta\, \frac{g_t}{\sqrt{s_t + \epsilon}}.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      initial_accumulator_value: :math:`s_0 \ge 0`.
      eps: :math:`\epsilon \ge 0` inside the square root.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.adagrad``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adagrad(0.1)

    References:
      Duchi, Hazan, Singer. Adaptive Subgradient Methods for Online Learning and
      Stochastic Optimization. JMLR 12, 2011. https://jmlr.org/papers/v12/duchi11a.html
    """
    return optax.chain(
        scale_by_rss(initial_accumulator_value=initial_accumulator_value, eps=eps),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "rmsprop",
    family="adaptive",
    reference=HINTON_2012,
    state_per_param=1,
    defaults={"learning_rate": 0.01},
)
def rmsprop(
    learning_rate: optax.ScalarOrSchedule,
    decay: jax.typing.ArrayLike = 0.9,
    eps: jax.typing.ArrayLike = 1e-8,
    initial_scale: jax.typing.ArrayLike = 0.0,
    eps_in_sqrt: bool = True,
    centered: bool = False,
    momentum: jax.typing.ArrayLike | None = None,
    nesterov: bool = False,
    bias_correction: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""RMSProp: steps scaled by a running root-mean-square of the gradients.

    .. math::
       v_t = \rho v_{t-1} + (1-\rho) g_t^2, \qquad
       d_t = \eta\, \frac{g_t}{\sqrt{v_t + \epsilon}}, \qquad x_{t+1} = x_t - d_t;

    ``centered`` subtracts the squared running mean of :math:`g` inside the root;
    ``momentum`` :math:`\mu` applies a (Nesterov) trace to the scaled steps
    :math:`d_t` (after the learning rate, as optax does); ``bias_correction`` divides the
    moments by :math:`1-\rho^t`; ``eps_in_sqrt=False`` puts :math:`\epsilon` outside the
    root (PyTorch's form).

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      decay: :math:`\rho \in [0, 1)`.
      eps: stabiliser :math:`\epsilon \ge 0`.
      initial_scale: :math:`v_0 \ge 0`.
      eps_in_sqrt: add :math:`\epsilon` inside the square root.
      centered: normalise by the estimated standard deviation (Graves 2013).
      momentum: :math:`\mu \in [0, 1]` or ``None`` for no momentum.
      nesterov: Nesterov form of the momentum.
      bias_correction: bias-correct the moments.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.rmsprop``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.rmsprop(1e-3, centered=True, momentum=0.9)

    References:
      Tieleman, Hinton. Neural Networks for Machine Learning, Lecture 6e. 2012.
      https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf
    """
    check_unit_interval("momentum", momentum)
    scaler = scale_by_stddev if centered else scale_by_rms
    return optax.chain(
        scaler(
            decay=decay,
            eps=eps,
            initial_scale=initial_scale,
            eps_in_sqrt=eps_in_sqrt,
            bias_correction=bias_correction,
        ),
        scale_by_learning_rate(learning_rate),
        trace(decay=momentum, nesterov=nesterov) if momentum is not None else optax.identity(),
    )


@register(
    "adadelta",
    family="adaptive",
    reference=ZEILER_2012,
    state_per_param=2,
    defaults={"learning_rate": 1.0},
)
def adadelta(
    learning_rate: optax.ScalarOrSchedule | None = None,
    rho: jax.typing.ArrayLike = 0.9,
    eps: jax.typing.ArrayLike = 1e-6,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    weight_decay_mask: MaskOrFn = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Adadelta: steps whose size is the ratio of running update RMS to gradient RMS.

    .. math::
       \tilde g_t = g_t + \lambda x_t, \quad
       E[g^2]_t = \rho E[g^2]_{t-1} + (1-\rho) \tilde g_t^2, \quad
       \Delta_t = \frac{\sqrt{E[\Delta^2]_{t-1} + \epsilon}}{\sqrt{E[g^2]_t + \epsilon}}
       \tilde g_t, \\
       E[\Delta^2]_t = \rho E[\Delta^2]_{t-1} + (1-\rho) \Delta_t^2, \quad
       x_{t+1} = x_t - \eta \Delta_t.

    Note: as in optax, ``learning_rate=None`` applies no scaling at all, not even the
    sign flip, so the returned updates point up the gradient; pass ``1.0`` for the
    paper's descent method.

    Args:
      learning_rate: :math:`\eta`, a scalar, a schedule or ``None`` (see the note).
      rho: :math:`\rho \in [0, 1)`.
      eps: stabiliser :math:`\epsilon \ge 0`.
      weight_decay: :math:`\lambda \ge 0`, added to the gradient before scaling.
      weight_decay_mask: where the weight decay applies (see
        :func:`optzoo.add_decayed_weights`).

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.adadelta``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adadelta(1.0, rho=0.95)

    References:
      Zeiler. ADADELTA: An Adaptive Learning Rate Method. 2012.
      https://arxiv.org/abs/1212.5701
    """
    return optax.chain(
        add_decayed_weights(weight_decay, mask=weight_decay_mask),
        scale_by_adadelta(rho=rho, eps=eps),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "adam",
    family="adaptive",
    reference=KINGMA_BA_2014,
    state_per_param=2,
    defaults={"learning_rate": 0.01},
)
def adam(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: Any | None = None,
    *,
    nesterov: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""Adam: steps of bias-corrected first moment over root second moment.

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
       v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
       x_{t+1} = x_t - \eta\, \frac{m_t / (1-\beta_1^t)}
       {\sqrt{v_t / (1-\beta_2^t) + \epsilon_{root}} + \epsilon}.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1: :math:`\beta_1 \in [0, 1)`.
      b2: :math:`\beta_2 \in [0, 1)`.
      eps: :math:`\epsilon \ge 0` outside the root.
      eps_root: :math:`\epsilon_{root} \ge 0` inside the root.
      mu_dtype: dtype of the first moment (e.g. ``jnp.bfloat16``).
      nesterov: Nesterov look-ahead first moment (Nadam).

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.adam``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> params = {"w": jnp.ones(3)}
      >>> tx = optzoo.adam(1e-3)
      >>> updates, state = tx.update({"w": jnp.ones(3)}, tx.init(params), params)

    References:
      Kingma, Ba. Adam: A Method for Stochastic Optimization. 2014.
      https://arxiv.org/abs/1412.6980
    """
    return optax.chain(
        scale_by_adam(
            b1=b1, b2=b2, eps=eps, eps_root=eps_root, mu_dtype=mu_dtype, nesterov=nesterov
        ),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "nadam",
    family="adaptive",
    reference=DOZAT_2016,
    state_per_param=2,
    defaults={"learning_rate": 0.01},
)
def nadam(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: Any | None = None,
    *,
    nesterov: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""Nadam: Adam with Nesterov's look-ahead first moment.

    .. math::
       \hat m_t = \beta_1 \frac{m_t}{1-\beta_1^{t+1}} + (1-\beta_1) \frac{g_t}{1-\beta_1^t},
       \qquad x_{t+1} = x_t - \eta\, \frac{\hat m_t}
       {\sqrt{v_t / (1-\beta_2^t) + \epsilon_{root}} + \epsilon}

    with :math:`m_t, v_t` as in :func:`adam`. ``nesterov=False`` gives plain Adam.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1, b2, eps, eps_root, mu_dtype: as in :func:`adam`.
      nesterov: keep ``True`` for Nadam.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.nadam``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.nadam(1e-3)

    References:
      Dozat. Incorporating Nesterov Momentum into Adam. ICLR workshop, 2016.
      https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ
    """
    return adam(learning_rate, b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov)


@register(
    "adamw",
    family="adaptive",
    reference=LOSHCHILOV_HUTTER_2017,
    state_per_param=2,
    defaults={"learning_rate": 0.01},
)
def adamw(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: Any | None = None,
    weight_decay: optax.ScalarOrSchedule = 1e-4,
    mask: MaskOrFn = None,
    *,
    nesterov: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""AdamW: Adam with weight decay decoupled from the adaptive scaling.

    .. math::
       x_{t+1} = x_t - \eta \left(\frac{\hat m_t}{\sqrt{\hat v_t + \epsilon_{root}} + \epsilon}
       + \lambda x_t\right)

    with :math:`\hat m_t, \hat v_t` as in :func:`adam`. The decay is scaled by the
    learning rate (optax's and PyTorch's convention).

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1, b2, eps, eps_root, mu_dtype, nesterov: as in :func:`adam`.
      weight_decay: :math:`\lambda \ge 0`, a scalar or a schedule.
      mask: where the weight decay applies (see :func:`optzoo.add_decayed_weights`).

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.adamw``.

    Example:
      >>> import jax, optzoo
      >>> tx = optzoo.adamw(1e-3, weight_decay=0.01,
      ...                   mask=lambda p: jax.tree.map(lambda x: x.ndim > 1, p))

    References:
      Loshchilov, Hutter. Decoupled Weight Decay Regularization. 2017.
      https://arxiv.org/abs/1711.05101
    """
    return optax.chain(
        scale_by_adam(
            b1=b1, b2=b2, eps=eps, eps_root=eps_root, mu_dtype=mu_dtype, nesterov=nesterov
        ),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "nadamw",
    family="adaptive",
    reference=DOZAT_2016,
    state_per_param=2,
    defaults={"learning_rate": 0.01},
)
def nadamw(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: Any | None = None,
    weight_decay: optax.ScalarOrSchedule = 1e-4,
    mask: MaskOrFn = None,
    *,
    nesterov: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""NadamW: Nadam with decoupled weight decay (:func:`adamw` with ``nesterov=True``).

    .. math::
       x_{t+1} = x_t - \eta \left(\frac{\hat m^{nes}_t}{\sqrt{\hat v_t + \epsilon_{root}}
       + \epsilon} + \lambda x_t\right)

    with the look-ahead moment :math:`\hat m^{nes}_t` of :func:`nadam`.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1, b2, eps, eps_root, mu_dtype: as in :func:`adam`.
      weight_decay: :math:`\lambda \ge 0`, a scalar or a schedule.
      mask: where the weight decay applies.
      nesterov: keep ``True`` for NadamW.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.nadamw``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.nadamw(1e-3, weight_decay=0.01)

    References:
      Dozat. Incorporating Nesterov Momentum into Adam. ICLR workshop, 2016.
      https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ

      Loshchilov, Hutter. Decoupled Weight Decay Regularization. 2017.
      https://arxiv.org/abs/1711.05101
    """
    return adamw(
        learning_rate, b1, b2, eps, eps_root, mu_dtype, weight_decay, mask, nesterov=nesterov
    )


@register(
    "amsgrad",
    family="adaptive",
    reference=REDDI_2018,
    state_per_param=3,
    defaults={"learning_rate": 0.01},
)
def amsgrad(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: Any | None = None,
    bias_correction_mu: bool = True,
    bias_correction_nu: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""AMSGrad: Adam normalised by the running maximum of the second moment.

    .. math::
       \hat v^{max}_t = \max(\hat v^{max}_{t-1}, \hat v_t), \qquad
       x_{t+1} = x_t - \eta\, \frac{\hat m_t}{\sqrt{\hat v^{max}_t + \epsilon_{root}} + \epsilon}.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1, b2, eps, eps_root, mu_dtype: as in :func:`adam`.
      bias_correction_mu: bias-correct :math:`m_t` (``False``: the paper).
      bias_correction_nu: bias-correct :math:`v_t` before the maximum (``False``: the paper).

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.amsgrad``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.amsgrad(1e-3)

    References:
      Reddi, Kale, Kumar. On the Convergence of Adam and Beyond. 2018.
      https://arxiv.org/abs/1904.09237
    """
    return optax.chain(
        scale_by_amsgrad(
            b1=b1,
            b2=b2,
            eps=eps,
            eps_root=eps_root,
            mu_dtype=mu_dtype,
            bias_correction_mu=bias_correction_mu,
            bias_correction_nu=bias_correction_nu,
        ),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "adamax",
    family="adaptive",
    reference=KINGMA_BA_2014,
    state_per_param=2,
    defaults={"learning_rate": 0.01},
)
def adamax(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformationExtraArgs:
    r"""Adamax: Adam with the infinity norm in place of the second moment.

    .. math::
       u_t = \max(|g_t| + \epsilon, \beta_2 u_{t-1}), \qquad
       x_{t+1} = x_t - \eta\, \frac{m_t}{(1-\beta_1^t)\, u_t}.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1: :math:`\beta_1 \in [0, 1)`.
      b2: :math:`\beta_2 \in [0, 1)`.
      eps: :math:`\epsilon \ge 0`.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.adamax``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adamax(2e-3)

    References:
      Kingma, Ba. Adam: A Method for Stochastic Optimization (Section 7.1). 2014.
      https://arxiv.org/abs/1412.6980
    """
    return optax.chain(
        scale_by_adamax(b1=b1, b2=b2, eps=eps), scale_by_learning_rate(learning_rate)
    )


@register(
    "adamaxw",
    family="adaptive",
    reference=LOSHCHILOV_HUTTER_2017,
    state_per_param=2,
    defaults={"learning_rate": 0.01},
)
def adamaxw(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: optax.ScalarOrSchedule = 1e-4,
    mask: MaskOrFn = None,
) -> optax.GradientTransformationExtraArgs:
    r"""AdamaxW: Adamax with decoupled weight decay.

    .. math::
       x_{t+1} = x_t - \eta \left(\frac{m_t}{(1-\beta_1^t)\, u_t} + \lambda x_t\right)

    with :math:`u_t` as in :func:`adamax`.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1, b2, eps: as in :func:`adamax`.
      weight_decay: :math:`\lambda \ge 0`, a scalar or a schedule.
      mask: where the weight decay applies.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.adamaxw``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adamaxw(2e-3, weight_decay=0.01)

    References:
      Kingma, Ba. Adam: A Method for Stochastic Optimization. 2014.
      https://arxiv.org/abs/1412.6980

      Loshchilov, Hutter. Decoupled Weight Decay Regularization. 2017.
      https://arxiv.org/abs/1711.05101
    """
    return optax.chain(
        scale_by_adamax(b1=b1, b2=b2, eps=eps),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )
