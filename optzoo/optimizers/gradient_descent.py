"""Gradient descent: full-batch GD, SGD, heavy-ball momentum and Nesterov."""

from __future__ import annotations

from typing import Any

import jax
import optax

from optzoo.core.validation import check_finite, check_nonnegative, check_unit_interval
from optzoo.optimizers._common import with_coupled_decay, with_decay, with_decoupled_decay
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.clipping import add_noise
from optzoo.transforms.momentum import (
    scale_by_a2grad,
    scale_by_accsgd,
    scale_by_aggmo,
    scale_by_asgd,
    scale_by_gravity,
    scale_by_optimistic_gradient,
    scale_by_pid,
    scale_by_pnm,
    scale_by_qhm,
    scale_by_sgdp,
    scale_by_sgdsai,
    scale_by_srmm,
    scale_by_tam,
    trace,
)
from optzoo.transforms.scaling import scale, scale_by_learning_rate
from optzoo.transforms.weight_decay import add_decayed_weights

__all__ = [
    "gd",
    "sgd",
    "momentum",
    "nesterov",
    "qhm",
    "aggmo",
    "pnm",
    "sgdw",
    "accsgd",
    "sgdp",
    "asgd",
    "pid",
    "sgdsai",
    "gravity",
    "srmm",
    "tam",
    "optimistic_gradient_descent",
    "noisy_sgd",
    "a2grad",
]

RUDER_2016 = Reference(
    "Sebastian Ruder",
    "An overview of gradient descent optimization algorithms",
    2016,
    "https://arxiv.org/abs/1609.04747",
)
ROBBINS_MONRO_1951 = Reference(
    "Herbert Robbins, Sutton Monro",
    "A Stochastic Approximation Method",
    1951,
    "https://doi.org/10.1214/aoms/1177729586",
)
POLYAK_1964 = Reference(
    "Boris T. Polyak",
    "Some methods of speeding up the convergence of iteration methods",
    1964,
    "https://doi.org/10.1016/0041-5553(64)90137-5",
)
SUTSKEVER_2013 = Reference(
    "Ilya Sutskever, James Martens, George Dahl, Geoffrey Hinton",
    "On the importance of initialization and momentum in deep learning",
    2013,
    "https://proceedings.mlr.press/v28/sutskever13.html",
)


@register(
    "gd",
    family="sgd",
    reference=RUDER_2016,
    state_per_param=0,
    defaults={"learning_rate": 0.1},
    also_in=(),
    authors=Authors(
        code="paper, Section 2.1 (batch gradient descent)",
        no_package="a textbook method (Cauchy 1847) described in a survey; there is no code",
    ),
)
def gd(learning_rate: optax.ScalarOrSchedule) -> optax.GradientTransformation:
    r"""Full-batch gradient descent: :math:`x_{k+1} = x_k - \eta \nabla f(x_k)`.

    Meant for a loss evaluated on the whole data set each step; with mini-batches
    use :func:`sgd`. optzoo's update is the paper's; ``preset="authors"`` changes nothing.

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.

    Returns:
      A stateless ``GradientTransformation``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.gd(0.1)
      >>> state = tx.init(jnp.ones(3))

    References:
      Ruder. An overview of gradient descent optimization algorithms. 2016.
      https://arxiv.org/abs/1609.04747
    """
    return scale_by_learning_rate(learning_rate)


@register(
    "sgd",
    family="sgd",
    reference=ROBBINS_MONRO_1951,
    state_per_param=0,
    defaults={"learning_rate": 0.1},
    also_in=("optax",),
    authors=Authors(
        code="paper, the recursion x_{n+1} = x_n + a_n (alpha - y_n)",
        differences="the paper's step sizes a_n (sum a_n = inf, sum a_n^2 < inf) are a "
        "learning-rate schedule; momentum and nesterov are later additions (off by default)",
        no_package="a 1951 stochastic-approximation paper; there is no code",
    ),
)
def sgd(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float | None = None,
    nesterov: bool = False,
    accumulator_dtype: Any | None = None,
) -> optax.GradientTransformation:
    r"""Stochastic gradient descent with optional heavy-ball or Nesterov momentum.

    .. math::
       t_k = g_k + \mu t_{k-1}, \qquad x_{k+1} = x_k - \eta\, t_k
       \quad(\text{Nesterov: } x_{k+1} = x_k - \eta (g_k + \mu t_k)).

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      momentum: :math:`\mu` in ``[0, 1]``; ``None`` for plain SGD.
      nesterov: use Nesterov momentum.
      accumulator_dtype: dtype of the momentum buffer.

    optzoo's defaults are the paper's recursion (with :math:`\alpha = 0` and :math:`y_n` the
    stochastic gradient); ``optzoo.create("sgd", preset="authors")`` changes nothing.

    Returns:
      A ``GradientTransformation`` equal to ``optax.sgd``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.sgd(0.1, momentum=0.9, nesterov=True)

    References:
      Robbins, Monro. A Stochastic Approximation Method. 1951.
      https://doi.org/10.1214/aoms/1177729586
    """
    check_unit_interval("momentum", momentum)
    return optax.chain(
        _momentum(momentum, nesterov, accumulator_dtype), scale_by_learning_rate(learning_rate)
    )


def _momentum(
    momentum: float | None, nesterov: bool, accumulator_dtype: Any | None = None
) -> optax.GradientTransformation:
    """The direction of :func:`sgd` and :func:`sgdw`: optax's ``trace``, or the gradient
    itself when ``momentum`` is ``None``."""
    if momentum is None:
        return optax.identity()
    return trace(decay=momentum, nesterov=nesterov, accumulator_dtype=accumulator_dtype)


@register(
    "momentum",
    family="sgd",
    reference=POLYAK_1964,
    state_per_param=1,
    defaults={"learning_rate": 0.05},
    also_in=(),
    authors=Authors(
        code="paper, the heavy-ball iteration x_{k+1} = x_k - a grad f(x_k) + b (x_k - x_{k-1})",
        differences="optzoo steps -lr * t_k with t_k = g_k + momentum * t_{k-1}: Polyak's "
        "iterates (a = lr, b = momentum) for a constant learning rate; under a schedule "
        "Polyak's b (x_k - x_{k-1}) keeps the past steps' sizes, optzoo's momentum does not",
        no_package="a 1964 paper; there is no code",
    ),
)
def momentum(
    learning_rate: optax.ScalarOrSchedule, momentum: float = 0.9
) -> optax.GradientTransformation:
    r"""SGD with heavy-ball momentum (Polyak 1964): ``sgd(learning_rate, momentum)``.

    For a constant learning rate the iterates are Polyak's (``preset="authors"`` changes
    nothing); with a schedule they differ (see ``optzoo.registry.info("momentum").authors``).

    References:
      Polyak. Some methods of speeding up the convergence of iteration methods. 1964.
      https://doi.org/10.1016/0041-5553(64)90137-5
    """
    return sgd(learning_rate, momentum=momentum)


@register(
    "nesterov",
    family="sgd",
    reference=SUTSKEVER_2013,
    state_per_param=1,
    defaults={"learning_rate": 0.05},
    also_in=(),
    authors=Authors(
        code="paper, Eqs. (3)-(4): v_{t+1} = mu v_t - eps grad f(theta_t + mu v_t), "
        "theta_{t+1} = theta_t + v_{t+1}",
        differences="optzoo's (optax's, PyTorch's) parameters are the paper's look-ahead point "
        "theta_t + mu v_t, where the gradient is taken: the same gradients and points for a "
        "constant learning rate; under a schedule the two forms differ",
        no_package="the authors published no optimizer code",
    ),
)
def nesterov(
    learning_rate: optax.ScalarOrSchedule, momentum: float = 0.9
) -> optax.GradientTransformation:
    r"""SGD with Nesterov momentum in the form of Sutskever et al. (2013).

    optzoo's parameters are the paper's look-ahead point :math:`\theta_t + \mu v_t`; for a
    constant learning rate the trajectories agree (``preset="authors"`` changes nothing).

    References:
      Sutskever, Martens, Dahl, Hinton. On the importance of initialization and momentum
      in deep learning. 2013. https://proceedings.mlr.press/v28/sutskever13.html
    """
    return sgd(learning_rate, momentum=momentum, nesterov=True)


MA_YARATS_2018 = Reference(
    "Jerry Ma, Denis Yarats",
    "Quasi-hyperbolic momentum and Adam for deep learning",
    2018,
    "https://arxiv.org/abs/1810.06801",
)
LUCAS_2018 = Reference(
    "James Lucas, Shengyang Sun, Richard Zemel, Roger Grosse",
    "Aggregated Momentum: Stability Through Passive Damping",
    2018,
    "https://arxiv.org/abs/1804.00325",
)


@register(
    "qhm",
    family="sgd",
    reference=MA_YARATS_2018,
    state_per_param=1,
    defaults={"learning_rate": 0.1},
    authors=Authors(
        code="qhoptim==1.1.0",
        differences="none: the authors' QHM has no defaults for lr, momentum and nu; optzoo's "
        "are the paper's recommendation (momentum 0.999, nu 0.7)",
    ),
)
def qhm(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float = 0.999,
    nu: float = 0.7,
    weight_decay: float = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""Quasi-hyperbolic momentum (QHM): SGD stepping along a mix of the gradient and its EMA.

    .. math::
       g_k \leftarrow g_k + \lambda x_k, \qquad
       b_k = \beta b_{k-1} + (1 - \beta) g_k, \qquad
       x_{k+1} = x_k - \eta\, (\nu b_k + (1 - \nu) g_k).

    The defaults are the paper's recommendation (:math:`\beta = 0.999, \nu = 0.7`);
    pytorch_optimizer's ``QHM`` defaults to ``momentum=0, nu=1``. Weight decay is coupled
    (an L2 term added to the gradient), as in the paper and pytorch_optimizer.

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      momentum: EMA decay :math:`\beta` in ``[0, 1]``.
      nu: weight :math:`\nu` of the EMA in ``[0, 1]``.
      weight_decay: L2 coefficient :math:`\lambda` added to the gradient.
      mask: which leaves decay (a pytree of booleans or a callable), as in optax.

    Returns:
      A ``GradientTransformation`` (state ``(AddDecayedWeightsState, ScaleByQHMState, ...)``).

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.qhm(0.1, momentum=0.999, nu=0.7)
      >>> state = tx.init(jnp.ones(3))

    References:
      Jerry Ma, Denis Yarats. Quasi-hyperbolic momentum and Adam for deep learning. 2018.
      https://arxiv.org/abs/1810.06801
    """
    check_nonnegative("weight_decay", weight_decay)
    return with_coupled_decay(scale_by_qhm(momentum, nu), learning_rate, weight_decay, mask)


@register(
    "aggmo",
    family="sgd",
    reference=LUCAS_2018,
    state_per_param=3,
    defaults={"learning_rate": 0.05},
    authors=Authors(
        code="paper, Algorithm 1 (AggMo)",
        differences="optzoo keeps b_i = beta_i b_i + g (x -= lr/K sum b_i), the paper "
        "v_i = beta_i v_i - g (x += lr/K sum v_i): the same iterates",
        no_package="the authors published source files (AtheMathmo/AggMo), no package",
    ),
)
def aggmo(
    learning_rate: optax.ScalarOrSchedule,
    betas: tuple[float, ...] = (0.0, 0.9, 0.99),
    weight_decay: float = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""Aggregated momentum (AggMo): the mean of heavy-ball buffers with several dampings.

    .. math::
       g_k \leftarrow g_k + \lambda x_k, \qquad
       b^{(i)}_k = \beta_i b^{(i)}_{k-1} + g_k, \qquad
       x_{k+1} = x_k - \frac{\eta}{K} \sum_i b^{(i)}_k.

    Large dampings (0.99, 0.999) speed up progress along low-curvature directions while the
    small ones damp the oscillations they cause. Weight decay is coupled (an L2 term).

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      betas: the :math:`K` damping factors in ``[0, 1]`` (the paper's default (0, 0.9, 0.99)).
      weight_decay: L2 coefficient :math:`\lambda` added to the gradient.
      mask: which leaves decay (a pytree of booleans or a callable), as in optax.

    Returns:
      A ``GradientTransformation``; the state keeps ``K`` momentum trees.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.aggmo(0.05, betas=(0.0, 0.9, 0.99))
      >>> state = tx.init(jnp.ones(3))

    References:
      James Lucas, Shengyang Sun, Richard Zemel, Roger Grosse. Aggregated Momentum:
      Stability Through Passive Damping. 2018. https://arxiv.org/abs/1804.00325
    """
    check_nonnegative("weight_decay", weight_decay)
    return with_coupled_decay(scale_by_aggmo(betas), learning_rate, weight_decay, mask)


XIE_2021_PNM = Reference(
    "Zeke Xie, Li Yuan, Zhanxing Zhu, Masashi Sugiyama",
    "Positive-Negative Momentum: Manipulating Stochastic Gradient Noise to Improve Generalization",
    2021,
    "https://arxiv.org/abs/2103.17182",
)
LOSHCHILOV_HUTTER_2017_SGDW = Reference(
    "Ilya Loshchilov, Frank Hutter",
    "Decoupled Weight Decay Regularization",
    2017,
    "https://arxiv.org/abs/1711.05101",
)


@register(
    "pnm",
    family="sgd",
    reference=XIE_2021_PNM,
    state_per_param=2,
    defaults={"learning_rate": 0.05},
    authors=Authors(
        code="paper, Algorithm 1 (PNM)",
        differences="none in the update; the paper's experiments use lr 0.1-1.0 for PNM",
        no_package="the authors published source files (zeke-xie/Positive-Negative-Momentum), "
        "no package",
    ),
)
def pnm(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b0: float = 1.0,
    weight_decay: float = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""Positive-negative momentum (PNM): SGD on two alternating momenta (:func:`scale_by_pnm`).

    :math:`x_{t+1} = x_t - \eta (u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_pnm` and decoupled weight decay (the paper's Algorithm 1 and
    pytorch_optimizer's default).

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      b1: momentum decay :math:`\beta_1` in ``[0, 1)``.
      b0: positive-negative weight :math:`\beta_0 \ge 0`.
      weight_decay: decoupled decay :math:`\lambda`.
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.pnm(0.05, b1=0.9, b0=1.0)
      >>> state = tx.init(jnp.ones(3))

    References:
      Zeke Xie, Li Yuan, Zhanxing Zhu, Masashi Sugiyama. Positive-Negative Momentum:
      Manipulating Stochastic Gradient Noise to Improve Generalization. 2021.
      https://arxiv.org/abs/2103.17182
    """
    check_nonnegative("weight_decay", weight_decay)
    return with_decoupled_decay(scale_by_pnm(b1=b1, b0=b0), learning_rate, weight_decay, mask)


@register(
    "sgdw",
    family="sgd",
    reference=LOSHCHILOV_HUTTER_2017_SGDW,
    state_per_param=1,
    defaults={"learning_rate": 0.05},
    authors=Authors(
        code="paper, Algorithm 1 (SGDW)",
        differences="the paper's momentum buffer holds lr * g (m_t = b m_{t-1} + eta_t a g_t) "
        "and its decay lambda is not multiplied by the learning rate a: the same iterates "
        "for a constant learning rate with weight_decay = lambda / a",
        no_package="the authors published a patched code base, not a package",
    ),
)
def sgdw(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float | None = 0.9,
    nesterov: bool = False,
    weight_decay: float = 1e-4,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""SGDW: SGD with momentum and decoupled weight decay (Loshchilov & Hutter, Algorithm 1).

    .. math::
       t_k = g_k + \mu t_{k-1},\qquad x_{k+1} = x_k - \eta\, (t_k + \lambda x_k)

    (Nesterov: :math:`g_k + \mu t_k` in place of :math:`t_k`). The decay is multiplied by
    the learning rate, as in AdamW (optax, PyTorch); the paper's :math:`\lambda` is this
    ``weight_decay`` times :math:`\eta`.

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      momentum: :math:`\mu` in ``[0, 1]``; ``None`` for none.
      nesterov: use Nesterov momentum.
      weight_decay: decoupled decay :math:`\lambda`.
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.sgdw(0.1, momentum=0.9, weight_decay=5e-4)
      >>> state = tx.init(jnp.ones(3))

    References:
      Ilya Loshchilov, Frank Hutter. Decoupled Weight Decay Regularization. 2017.
      https://arxiv.org/abs/1711.05101
    """
    check_unit_interval("momentum", momentum)
    check_nonnegative("weight_decay", weight_decay)
    return with_decoupled_decay(_momentum(momentum, nesterov), learning_rate, weight_decay, mask)


KIDAMBI_2018_ACCSGD = Reference(
    "Rahul Kidambi, Praneeth Netrapalli, Prateek Jain, Sham M. Kakade",
    "On the insufficiency of existing momentum schemes for Stochastic Optimization",
    2018,
    "https://arxiv.org/abs/1803.05591",
)


@register(
    "accsgd",
    family="sgd",
    reference=KIDAMBI_2018_ACCSGD,
    state_per_param=1,
    defaults={"learning_rate": 0.05},
    authors=Authors(
        code="paper, Algorithm 1 (Accelerated SGD)",
        differences="none in the update (the paper's constant 0.7 is ``constant``); "
        "the authors' lr is problem-specific",
        no_package="the authors published a source file (rahulkidambi/AccSGD), no package",
    ),
)
def accsgd(
    learning_rate: optax.ScalarOrSchedule,
    kappa: float = 1000.0,
    xi: float = 10.0,
    constant: float = 0.7,
    weight_decay: float = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""Accelerated SGD (AccSGD): a short step averaged with a long-step iterate.

    .. math::
       \bar w_{t+1} = \alpha \bar w_t + (1-\alpha)\big(w_t - \tfrac{\kappa\eta}{c}\tilde g_t\big),
       \quad w_{t+1} = \zeta (w_t - \eta \tilde g_t) + (1-\zeta)\bar w_{t+1}

    with :math:`\alpha = 1 - c^2\xi/\kappa`, :math:`\zeta = c/(c + 1 - \alpha)`,
    :math:`\tilde g_t = g_t + \lambda w_t` (coupled L2 decay, as pytorch_optimizer) and
    :math:`\bar w_0 = w_0` (:func:`optzoo.scale_by_accsgd`). optzoo's update is the paper's
    Algorithm 1; ``preset="authors"`` changes nothing.

    Args:
      learning_rate: the short step :math:`\eta`, a scalar or a schedule.
      kappa: long-step parameter :math:`\kappa > 0`.
      xi: statistical advantage :math:`\xi \ge 0`.
      constant: the paper's 0.7, in ``(0, 1]``.
      weight_decay: coupled L2 decay :math:`\lambda`.
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.accsgd(1e-3)

    References:
      Rahul Kidambi, Praneeth Netrapalli, Prateek Jain, Sham M. Kakade. On the insufficiency
      of existing momentum schemes for Stochastic Optimization. 2018.
      https://arxiv.org/abs/1803.05591
    """
    check_nonnegative("weight_decay", weight_decay)
    check_finite("learning_rate", learning_rate)
    direction = scale_by_accsgd(learning_rate, kappa=kappa, xi=xi, constant=constant)
    return _l2_then_step(direction, weight_decay, mask)


def _l2_then_step(
    direction: optax.GradientTransformation, weight_decay: float, mask: Any
) -> optax.GradientTransformation:
    """L2 decay added to the gradient, then a ``direction`` that holds the learning rate (its
    output is the step, subtracted by ``scale(-1)``): AccSGD and ASGD."""
    return optax.chain(add_decayed_weights(weight_decay, mask), direction, scale(-1.0))


HEO_2021_SGDP = Reference(
    "Byeongho Heo, Sanghyuk Chun, Seong Joon Oh, Dongyoon Han, Sangdoo Yun, Gyuwan Kim, "
    "Youngjung Uh, Jung-Woo Ha",
    "AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant Weights",
    2021,
    "https://arxiv.org/abs/2006.08217",
)


@register(
    "sgdp",
    family="sgd",
    reference=HEO_2021_SGDP,
    state_per_param=1,
    defaults={"learning_rate": 0.05},
    authors=Authors(
        code="adamp==0.3.0",
        preset={"learning_rate": 0.1, "channel_axis": 0},
        differences="channels on the last axis (Flax kernels) where the authors' PyTorch code "
        "uses axis 0; create() lr 0.05 (the authors' examples use 0.1)",
    ),
)
def sgdp(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float = 0.9,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
    delta: float = 0.1,
    wd_ratio: float = 0.1,
    eps: float = 1e-8,
    channel_axis: int | None = None,
) -> optax.GradientTransformation:
    r"""SGDP: SGD with momentum whose step loses its radial part on scale-invariant weights.

    :math:`x_{t+1} = x_t - \eta\,u_t` with :math:`u_t` from :func:`optzoo.scale_by_sgdp`:
    heavy-ball momentum :math:`b_t = \mu b_{t-1} + (1-\tau) g_t`, projected off
    :math:`\hat x_t` where :math:`\max|\cos(g_t, x_t)| < \delta/\sqrt{\dim}` (per channel,
    then per tensor; leaves with two or more axes), plus decoupled decay
    :math:`\lambda r x_t / (1 - \mu)` (:math:`r` = ``wd_ratio`` on projected leaves, else 1).

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      momentum: :math:`\mu` in ``[0, 1)``.
      dampening: :math:`\tau` in ``[0, 1]``.
      nesterov: Nesterov momentum.
      weight_decay: decoupled :math:`\lambda`.
      delta: threshold of the cosine test.
      wd_ratio: weight-decay factor on projected leaves.
      eps: norm regulariser.
      channel_axis: axis of the channels; ``None`` is the last axis (Flax kernels), PyTorch
        layouts use 0.

    Returns:
      A ``GradientTransformation``.

    Channels are the last axis (Flax) where the authors' ``adamp`` package (PyTorch layouts)
    uses axis 0, and their examples use lr 0.1: ``optzoo.create("sgdp", preset="authors")``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.sgdp(0.1, momentum=0.9, weight_decay=1e-5, nesterov=True)

    References:
      Byeongho Heo, Sanghyuk Chun, Seong Joon Oh, Dongyoon Han, Sangdoo Yun, Gyuwan Kim,
      Youngjung Uh, Jung-Woo Ha. AdamP: Slowing Down the Slowdown for Momentum Optimizers on
      Scale-invariant Weights. 2021. https://arxiv.org/abs/2006.08217
    """
    check_nonnegative("weight_decay", weight_decay)
    return optax.chain(
        scale_by_sgdp(
            momentum=momentum,
            dampening=dampening,
            nesterov=nesterov,
            weight_decay=weight_decay,
            delta=delta,
            wd_ratio=wd_ratio,
            eps=eps,
            channel_axis=channel_axis,
        ),
        scale_by_learning_rate(learning_rate),
    )


POLYAK_JUDITSKY_1992 = Reference(
    "Boris T. Polyak, Anatoli B. Juditsky",
    "Acceleration of Stochastic Approximation by Averaging",
    1992,
    "https://doi.org/10.1137/0330046",
)


@register(
    "asgd",
    family="sgd",
    reference=POLYAK_JUDITSKY_1992,
    state_per_param=1,
    defaults={"learning_rate": 0.05},
    authors=Authors(
        code="paper, iterate averaging with Bottou's step schedule (torch.optim.ASGD)",
        differences="none in the update; create() lr 0.05 vs torch.optim.ASGD's 0.01",
        no_package="a 1992 paper without code; torch.optim.ASGD is the reference implementation",
    ),
)
def asgd(
    learning_rate: optax.ScalarOrSchedule,
    lambd: float = 1e-4,
    alpha: float = 0.75,
    t0: float = 1e6,
    weight_decay: float = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""Averaged SGD with ``torch.optim.ASGD``'s semantics (:func:`optzoo.scale_by_asgd`).

    .. math::
       \eta_t = \frac{\eta}{(1 + \lambda\eta(t-1))^\alpha},\quad
       x_t = x_{t-1} - \eta_t\,(g_t + w x_{t-1} + \lambda x_{t-1}),\quad
       \bar x_t = \bar x_{t-1} + \frac{x_t - \bar x_{t-1}}{\max(1, t - 1 - t_0)}

    with coupled weight decay :math:`w`. The parameters follow SGD; the Polyak-Juditsky
    average :math:`\bar x` is ``ax`` in the state (``optax.tree.get(state, "ax")``), the
    point to evaluate once averaging has started (after step :math:`t_0`). This is not
    pytorch_optimizer's ``ASGD``, which is Malitsky & Mishchenko's adaptive-step SGD.
    optzoo's update is torch.optim.ASGD's; ``preset="authors"`` changes nothing.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      lambd: decay term :math:`\lambda \ge 0` (also in the step schedule).
      alpha: power of the step schedule.
      t0: the step after which averaging starts.
      weight_decay: coupled L2 decay :math:`w`.
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.asgd(0.01, t0=1000)

    References:
      Boris T. Polyak, Anatoli B. Juditsky. Acceleration of Stochastic Approximation by
      Averaging. 1992. https://doi.org/10.1137/0330046
    """
    check_nonnegative("weight_decay", weight_decay)
    check_finite("learning_rate", learning_rate)
    direction = scale_by_asgd(learning_rate, lambd=lambd, alpha=alpha, t0=t0)
    return _l2_then_step(direction, weight_decay, mask)


AN_2018_PID = Reference(
    "Wangpeng An, Haoqian Wang, Qingyun Sun, Jun Xu, Qionghai Dai, Lei Zhang",
    "A PID Controller Approach for Stochastic Optimization of Deep Networks",
    2018,
    "https://openaccess.thecvf.com/content_cvpr_2018/html/An_A_PID_Controller_CVPR_2018_paper.html",
)


@register(
    "pid",
    family="sgd",
    reference=AN_2018_PID,
    state_per_param=3,
    # With gains 5 and 10 the step is ~50 lr: create() takes gains 1 and 1 so that learning
    # rates from 1e-3 up are usable (Rosenbrock diverges at lr 1e-3 with 5 and 10).
    defaults={"learning_rate": 1e-3, "integral": 1.0, "derivative": 1.0},
    authors=Authors(
        code="the authors' PIDOptimizer.py (tensorboy/PIDOptimizer), transcribed",
        preset={"integral": 5.0, "derivative": 10.0},
        differences="create() takes gains K_i = K_d = 1 where the authors' code has 5 and 10",
        no_package="the authors published a source file, no package",
    ),
)
def pid(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float = 0.9,
    dampening: float = 0.0,
    integral: float = 5.0,
    derivative: float = 10.0,
    weight_decay: float = 0.0,
    weight_decouple: bool = False,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""PID optimizer: SGD plus integral (momentum) and derivative (gradient-difference) terms.

    :math:`x_{t+1} = x_t - \eta\,(g_t + K_i I_t + K_d D_t)` with
    :math:`I_t = \mu I_{t-1} + (1-\tau) g_t` and
    :math:`D_t = \mu D_{t-1} + (1-\mu)(g_t - g_{t-1})` (:func:`optzoo.scale_by_pid`);
    weight decay is added to the gradient (coupled, the authors' and pytorch_optimizer's
    default) or, with ``weight_decouple``, applied to the weights as
    :math:`-\eta\lambda x_t`. ``momentum=0`` is plain SGD, as in the authors' code.
    The function's defaults are pytorch_optimizer's except ``momentum`` (0.9 here; 0 there
    turns the PID terms off); ``optzoo.create("pid")`` takes gains :math:`K_i = K_d = 1` (a
    step of about :math:`11\eta` rather than :math:`51\eta`) and
    ``optzoo.create("pid", preset="authors")`` the authors' 5 and 10.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      momentum: :math:`\mu` in ``[0, 1]``.
      dampening: :math:`\tau` of the integral buffer.
      integral: integral gain :math:`K_i`.
      derivative: derivative gain :math:`K_d`.
      weight_decay: decay :math:`\lambda`.
      weight_decouple: decoupled decay instead of L2 added to the gradient.
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.pid(1e-2, momentum=0.9)

    References:
      Wangpeng An, Haoqian Wang, Qingyun Sun, Jun Xu, Qionghai Dai, Lei Zhang. A PID
      Controller Approach for Stochastic Optimization of Deep Networks. 2018.
      https://openaccess.thecvf.com/content_cvpr_2018/html/An_A_PID_Controller_CVPR_2018_paper.html
    """
    check_nonnegative("weight_decay", weight_decay)
    direction = scale_by_pid(
        momentum=momentum, dampening=dampening, integral=integral, derivative=derivative
    )
    return with_decay(direction, learning_rate, weight_decay, mask, decoupled=weight_decouple)


XU_2024_SGDSAI = Reference(
    "Minghao Xu, Lichuan Xiang, Xu Cai, Hongkai Wen",
    "No More Adam: Learning Rate Scaling at Initialization is All You Need",
    2024,
    "https://arxiv.org/abs/2412.11768",
)


@register(
    "sgdsai",
    family="sgd",
    reference=XU_2024_SGDSAI,
    state_per_param=1,
    defaults={"learning_rate": 1e-2},
    authors=Authors(
        code="sgd-sai==1.0.3",
        differences="a leaf whose first gradient has zero spread is scaled by its norm where "
        "the authors' package divides that norm by eps",
    ),
)
def sgdsai(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float = 0.9,
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    first_momentum_is_grad: bool = True,
    snr_on_vectors: bool = True,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""SGD-SaI: SGD with EMA momentum and a per-leaf learning-rate scale set at step one.

    :math:`x_{t+1} = x_t - \eta\,(s\, m_t + \lambda x_t)` with the gradient
    signal-to-noise ratio :math:`s = \|g_1\|/(\sigma(g_1) + \epsilon)` of each leaf's
    first gradient and :math:`m_t = \mu m_{t-1} + (1-\mu) g_t`, :math:`m_1 = g_1`
    (:func:`optzoo.scale_by_sgdsai`), decoupled decay. The defaults are the authors'
    (package ``sgd-sai``); ``first_momentum_is_grad=False, snr_on_vectors=False`` gives
    pytorch_optimizer's ``SGDSaI`` (momentum from zero; vectors scaled by :math:`\|g_1\|`).
    A leaf whose first gradient has zero spread is scaled by :math:`\|g_1\|`, where the
    authors' package divides by :math:`\epsilon`; otherwise ``preset="authors"`` changes
    nothing.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      momentum: :math:`\mu` in ``[0, 1)``.
      eps: added to the standard deviation.
      weight_decay: decoupled :math:`\lambda`.
      first_momentum_is_grad: :math:`m_1 = g_1` (authors) or an EMA from zero.
      snr_on_vectors: the ratio on vectors too (authors) or only on matrices and above.
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.sgdsai(1e-2)

    References:
      Minghao Xu, Lichuan Xiang, Xu Cai, Hongkai Wen. No More Adam: Learning Rate Scaling at
      Initialization is All You Need. 2024. https://arxiv.org/abs/2412.11768
    """
    check_nonnegative("weight_decay", weight_decay)
    direction = scale_by_sgdsai(
        momentum=momentum,
        eps=eps,
        first_momentum_is_grad=first_momentum_is_grad,
        snr_on_vectors=snr_on_vectors,
    )
    return with_decoupled_decay(direction, learning_rate, weight_decay, mask)


BAHRAMI_2021_GRAVITY = Reference(
    "Dariush Bahrami, Sadegh Pouriyan Zadeh",
    "Gravity Optimizer: a Kinematic Approach on Optimization in Deep Learning",
    2021,
    "https://arxiv.org/abs/2101.09192",
)


@register(
    "gravity",
    family="sgd",
    reference=BAHRAMI_2021_GRAVITY,
    state_per_param=1,
    defaults={"learning_rate": 0.1},
    authors=Authors(
        code="paper, Algorithm 1 (Gravity)",
        differences="create() lr 0.1 (the authors' Keras default 0.1); the random initial "
        "velocity comes from a JAX key, not the framework's global generator",
        no_package="the authors published Keras source (dariush-bahrami/gravity.optimizer), "
        "no package",
    ),
)
def gravity(
    learning_rate: optax.ScalarOrSchedule,
    alpha: float = 0.01,
    beta: float = 0.9,
    key: jax.Array | int = 0,
) -> optax.GradientTransformation:
    r"""Gravity: a kinematic optimizer (velocity average of damped gradients).

    :math:`x_{t+1} = x_t - \eta V_t` with
    :math:`V_t = \hat\beta_t V_{t-1} + (1-\hat\beta_t)\, g_t / (1 + (g_t \max|g_t|)^2)`,
    :math:`\hat\beta_t = (\beta t + 1)/(t + 2)` and a random
    :math:`V_0 \sim \mathcal N(0, (\alpha/\eta)^2)` drawn from ``key``
    (:func:`optzoo.scale_by_gravity`). No weight decay, as in the paper.
    ``preset="authors"`` changes nothing.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      alpha: scale of the random initial step (0: start at rest).
      beta: velocity decay in ``[0, 1)``.
      key: a ``jax.random`` key or integer seed for the initial velocity.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.gravity(0.1, alpha=0.01, beta=0.9)

    References:
      Dariush Bahrami, Sadegh Pouriyan Zadeh. Gravity Optimizer: a Kinematic Approach on
      Optimization in Deep Learning. 2021. https://arxiv.org/abs/2101.09192
    """
    check_finite("learning_rate", learning_rate)
    return optax.chain(
        scale_by_gravity(learning_rate, alpha=alpha, beta=beta, key=key),
        scale_by_learning_rate(learning_rate),
    )


LYU_2022_SRMM = Reference(
    "Hanbaek Lyu",
    "Stochastic regularized majorization-minimization with weakly convex and multi-convex "
    "surrogates",
    2022,
    "https://arxiv.org/abs/2201.01652",
)


@register(
    "srmm",
    family="sgd",
    reference=LYU_2022_SRMM,
    state_per_param=2,
    defaults={"learning_rate": 0.05},
    authors=Authors(
        code="paper, SRMM with prox-linear surrogates",
        differences="none in the update (w_1 = 1); create() lr 0.05 vs pytorch_optimizer's 0.01",
        no_package="no code or package from the author",
    ),
)
def srmm(
    learning_rate: optax.ScalarOrSchedule,
    beta: float = 0.5,
    memory_length: int | None = 100,
    variant: str = "paper",
) -> optax.GradientTransformation:
    r"""SRMM: stochastic regularized majorization-minimization with prox-linear surrogates.

    :math:`x_{t+1} = \bar x_t - \eta \bar g_t` with weighted running averages
    :math:`\bar x_t, \bar g_t` of the iterates and gradients, weights
    :math:`w_t = (((t-1) \bmod L) + 1)^{-\beta}` (:func:`optzoo.scale_by_srmm`).
    ``variant="pytorch_optimizer"`` gives pytorch_optimizer's ``SRMM``: weights
    :math:`((t \bmod L) + 1)^{-\beta}` and no iterate average (its buffer is copied into the
    parameters, so :math:`x_{t+1} = x_t - \eta \bar g_t` after a first step from
    :math:`w_1 x_1`); its ``memory_length=None`` is plain SGD, here ``None`` is the paper's
    :math:`t^{-\beta}`. ``preset="authors"`` changes nothing.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      beta: weight exponent in ``[0, 1]``.
      memory_length: restart period of the weights, or ``None``.
      variant: ``"paper"`` or ``"pytorch_optimizer"``.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.srmm(0.05, beta=0.5)

    References:
      Hanbaek Lyu. Stochastic regularized majorization-minimization with weakly convex and
      multi-convex surrogates. 2022. https://arxiv.org/abs/2201.01652
    """
    check_finite("learning_rate", learning_rate)
    return optax.chain(
        scale_by_srmm(learning_rate, beta=beta, memory_length=memory_length, variant=variant),
        scale(-1.0),
    )


MALVIYA_2024_TAM = Reference(
    "Pranshu Malviya, Goncalo Mordido, Aristide Baratin, Reza Babanezhad Harikandeh, "
    "Gintare Karolina Dziugaite, Razvan Pascanu, Sarath Chandar",
    "Torque-Aware Momentum",
    2024,
    "https://arxiv.org/abs/2412.18790",
)


@register(
    "tam",
    family="sgd",
    reference=MALVIYA_2024_TAM,
    state_per_param=2,
    defaults={"learning_rate": 0.05},
    authors=Authors(
        code="paper, the TAM update (SGD form)",
        preset={"axis": 0},
        differences="norms along the last axis (Flax kernels) where PyTorch code uses dim 0; "
        "create() lr 0.05",
        no_package="no package from the authors",
    ),
)
def tam(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float = 0.9,
    decay_rate: float = 0.9,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    axis: int | None = None,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""TAM: torque-aware momentum (SGD with alignment-scaled gradients in the momentum).

    :math:`x_{t+1} = x_t - \eta (m_t + \lambda x_t)` with
    :math:`s_t = \rho s_{t-1} + (1-\rho)\,\hat m_{t-1}\odot\hat g_t` and
    :math:`m_t = \mu m_{t-1} + ((1+s_t)/2 + \epsilon)\odot g_t`, :math:`m_0 = g_1`
    (:func:`optzoo.scale_by_tam`), decoupled decay. Norms run along the last axis (Flax
    kernels) where PyTorch code uses dim 0: ``optzoo.create("tam", preset="authors")`` sets
    ``axis=0``.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      momentum: :math:`\mu` in ``[0, 1]``.
      decay_rate: :math:`\rho` of the alignment average.
      eps: added to the scale.
      weight_decay: decoupled :math:`\lambda`.
      axis: the axis of the norms (``None``: last).
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.tam(0.05, momentum=0.9)

    References:
      Pranshu Malviya, Goncalo Mordido, Aristide Baratin, Reza Babanezhad Harikandeh, Gintare
      Karolina Dziugaite, Razvan Pascanu, Sarath Chandar. Torque-Aware Momentum. 2024.
      https://arxiv.org/abs/2412.18790
    """
    check_nonnegative("weight_decay", weight_decay)
    direction = scale_by_tam(momentum=momentum, decay_rate=decay_rate, eps=eps, axis=axis)
    return with_decoupled_decay(direction, learning_rate, weight_decay, mask)


CHEN_2024_VSGD = Reference(
    "Haotian Chen, Anna Kuzina, Babak Esmaeili, Jakub M. Tomczak",
    "Variational Stochastic Gradient Descent for Deep Neural Networks",
    2024,
    "https://arxiv.org/abs/2404.06549",
)


@register(
    "vsgd",
    family="sgd",
    reference=CHEN_2024_VSGD,
    state_per_param=3,
    defaults={"learning_rate": 0.1},
    authors=Authors(
        code="paper, Algorithm 1 (VSGD)",
        no_package="the authors published source files (generativeai-tue/vsgd), no package",
    ),
)
def vsgd(
    learning_rate: optax.ScalarOrSchedule,
    ghattg: float = 30.0,
    ps: float = 1e-8,
    tau1: float = 0.81,
    tau2: float = 0.9,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    weight_decouple: bool = True,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""VSGD: SGD on the posterior mean of the true gradient of a Gaussian noise model.

    :math:`x_{t+1} = x_t - \eta\,(\mu_t / (\sqrt{\mu_t^2 + \sigma_t^2} + \epsilon) + \lambda
    x_t)` with the posterior mean :math:`\mu_t` and variance :math:`\sigma_t^2` of the
    gradient from :func:`optzoo.scale_by_vsgd` (stochastic variational inference with step
    sizes :math:`t^{-\tau_1}`, :math:`t^{-\tau_2}`). Decoupled decay (pytorch_optimizer's
    default) or L2 with ``weight_decouple=False``.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      ghattg: prior ratio :math:`\gamma` of the observation noise to the drift.
      ps: prior strength :math:`p_s`.
      tau1: step-size decay exponent of the drift variance.
      tau2: step-size decay exponent of the observation-noise variance.
      eps: added to the root.
      weight_decay: decay :math:`\lambda \ge 0`.
      weight_decouple: decoupled decay (True) or L2 (False).
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.vsgd(0.1)

    References:
      Haotian Chen, Anna Kuzina, Babak Esmaeili, Jakub M. Tomczak. Variational Stochastic
      Gradient Descent for Deep Neural Networks. 2024. https://arxiv.org/abs/2404.06549

    The defaults are the paper's (``optzoo.create("vsgd", preset="authors")`` is the same).
    """
    from optzoo.transforms.momentum import scale_by_vsgd

    check_nonnegative("weight_decay", weight_decay)
    direction = scale_by_vsgd(ghattg=ghattg, ps=ps, tau1=tau1, tau2=tau2, eps=eps)
    return with_decay(direction, learning_rate, weight_decay, mask, decoupled=weight_decouple)


__all__ += ["vsgd"]


# ------------------------------------------------- optax's optimistic GD and noisy SGD

MOKHTARI_2019_OGDA = Reference(
    "Aryan Mokhtari, Asuman Ozdaglar, Sarath Pattathil",
    "A Unified Analysis of Extra-gradient and Optimistic Gradient Methods for Saddle Point "
    "Problems: Proximal Point Approach",
    2019,
    "https://arxiv.org/abs/1901.08511",
)


@register(
    "optimistic_gradient_descent",
    family="sgd",
    reference=MOKHTARI_2019_OGDA,
    state_per_param=1,
    defaults={"learning_rate": 0.05},
    also_in=("optax",),
    authors=Authors(
        code="paper, Eq. (5) (OGDA) generalised as in its Section 4 (alpha, beta)",
        differences="none; the first step has no previous gradient and uses the current "
        "one (u_1 = alpha g_1), as optax does",
        no_package="a method of the paper's analysis; the authors published no code",
    ),
)
def optimistic_gradient_descent(
    learning_rate: optax.ScalarOrSchedule,
    alpha: optax.ScalarOrSchedule = 1.0,
    beta: optax.ScalarOrSchedule = 1.0,
) -> optax.GradientTransformationExtraArgs:
    r"""Optimistic gradient descent (OGDA): gradient descent with a negative momentum.

    .. math::
       x_{t+1} = x_t - \eta_t\, \big((\alpha + \beta) g_t - \beta g_{t-1}\big)

    (:math:`g_0 := g_1`). An approximation of the extra-gradient method with one gradient
    per step; it converges in the last iterate on bilinear min-max games where gradient
    descent-ascent cycles or diverges. The same chain and numbers as
    ``optax.optimistic_gradient_descent`` (:func:`optzoo.scale_by_optimistic_gradient`, then
    the learning rate). optzoo's defaults are the paper's (:math:`\alpha = \beta = 1`);
    ``preset="authors"`` changes nothing.

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      alpha: coefficient :math:`\alpha` of the current gradient (a scalar, as in optax).
      beta: coefficient :math:`\beta` of the negative momentum (a scalar, as in optax).

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.optimistic_gradient_descent(1e-2)

    References:
      Aryan Mokhtari, Asuman Ozdaglar, Sarath Pattathil. A Unified Analysis of
      Extra-gradient and Optimistic Gradient Methods for Saddle Point Problems: Proximal
      Point Approach. 2019. https://arxiv.org/abs/1901.08511
    """
    check_nonnegative("alpha", alpha)
    check_nonnegative("beta", beta)
    return optax.chain(
        scale_by_optimistic_gradient(alpha=alpha, beta=beta),
        scale_by_learning_rate(learning_rate),
    )


NEELAKANTAN_2015_NOISY = Reference(
    "Arvind Neelakantan, Luke Vilnis, Quoc V. Le, Ilya Sutskever, Lukasz Kaiser, "
    "Karol Kurach, James Martens",
    "Adding Gradient Noise Improves Learning for Very Deep Networks",
    2015,
    "https://arxiv.org/abs/1511.06807",
)


@register(
    "noisy_sgd",
    family="sgd",
    reference=NEELAKANTAN_2015_NOISY,
    state_per_param=0,
    defaults={"learning_rate": 0.05, "key": 0},
    also_in=("optax",),
    authors=Authors(
        code="paper, Section 2 (annealed Gaussian gradient noise)",
        differences="none; the paper's variance eta / (1 + t)^gamma counts t from 0, "
        "optzoo's eta / t^gamma counts from 1: the same schedule",
        no_package="the authors published no code",
    ),
)
def noisy_sgd(
    learning_rate: optax.ScalarOrSchedule,
    eta: Any = 0.01,
    gamma: Any = 0.55,
    key: Any = None,
    *,
    seed: int | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""SGD with annealed Gaussian gradient noise.

    .. math::
       x_{t+1} = x_t - \eta_t\, \big(g_t + \mathcal N(0, \sigma_t^2)\big),\qquad
       \sigma_t^2 = \frac{\eta_{\text{noise}}}{(1 + t)^\gamma}.

    The same chain and numbers (for the same ``key``) as ``optax.noisy_sgd``:
    :func:`optzoo.add_noise`, then the learning rate. The paper uses
    :math:`\eta_{\text{noise}} \in \{0.01, 0.3, 1\}` and :math:`\gamma = 0.55`, optzoo's
    defaults; ``preset="authors"`` changes nothing. ``create("noisy_sgd")`` passes
    ``key=0`` so that runs are reproducible.

    Args:
      learning_rate: step size :math:`\eta_t`, a scalar or a schedule.
      eta: initial noise variance :math:`\eta_{\text{noise}}`.
      gamma: annealing exponent :math:`\gamma`.
      key: a ``jax.random`` key or an integer seed for the noise.
      seed: deprecated spelling of ``key`` (as in optax).

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.noisy_sgd(1e-2, key=0)

    References:
      Arvind Neelakantan, Luke Vilnis, Quoc V. Le, Ilya Sutskever, Lukasz Kaiser, Karol
      Kurach, James Martens. Adding Gradient Noise Improves Learning for Very Deep Networks.
      2015. https://arxiv.org/abs/1511.06807
    """
    check_nonnegative("gamma", gamma)
    return optax.chain(
        add_noise(eta, gamma, key, seed=seed),
        scale_by_learning_rate(learning_rate),
    )


DENG_2018_A2GRAD = Reference(
    "Qi Deng, Yi Cheng, Guanghui Lan",
    "Optimal Adaptive and Accelerated Stochastic Gradient Descent",
    2018,
    "https://arxiv.org/abs/1810.00553",
)


@register(
    "a2grad",
    family="sgd",
    reference=DENG_2018_A2GRAD,
    state_per_param=2,
    defaults={"learning_rate": 1.0},
    authors=Authors(
        code="paper, Algorithm 1 (A2Grad) with the three variance estimates",
        no_package="the authors published source files, no package",
    ),
)
def a2grad(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    beta: float = 10.0,
    lips: float = 10.0,
    rho: float = 0.5,
    variant: str = "uni",
) -> optax.GradientTransformation:
    r"""A2Grad: adaptive and accelerated SGD (no learning rate; ``learning_rate`` scales the step).

    Nesterov-style averaging of an aggregated iterate :math:`x_k = x_{k-1} - c_k g_k` with
    step :math:`c_k = 1/(2L/(k+1) + \beta h_k)`, :math:`h_k` from the running gradient variance
    (``variant``: uniform, increasing or exponential weights), and weights
    :math:`\alpha_k = 2/(k+3)` (:func:`optzoo.scale_by_a2grad`). ``learning_rate`` (default 1,
    the method) multiplies the resulting step. ``preset="authors"`` changes nothing.

    Args:
      learning_rate: a multiplier of the step (1: the paper's method).
      beta: weight of the adaptive term.
      lips: Lipschitz constant :math:`L > 0`.
      rho: smoothing of the ``"exp"`` variant.
      variant: ``"uni"``, ``"inc"`` or ``"exp"``.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.a2grad(variant="inc")

    References:
      Qi Deng, Yi Cheng, Guanghui Lan. Optimal Adaptive and Accelerated Stochastic Gradient
      Descent. 2018. https://arxiv.org/abs/1810.00553
    """
    check_finite("learning_rate", learning_rate)
    return optax.chain(
        scale_by_a2grad(beta=beta, lips=lips, rho=rho, variant=variant),
        scale_by_learning_rate(learning_rate),
    )
