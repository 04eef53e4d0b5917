"""Gradient descent: full-batch GD, SGD, heavy-ball momentum and Nesterov."""

from __future__ import annotations

from typing import Any

import optax

from optzoo.core.validation import check_nonnegative, check_unit_interval
from optzoo.optimizers._common import with_coupled_decay, with_decoupled_decay
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.clipping import add_noise
from optzoo.transforms.momentum import (
    scale_by_aggmo,
    scale_by_optimistic_gradient,
    scale_by_pnm,
    scale_by_qhm,
    trace,
)
from optzoo.transforms.scaling import scale_by_learning_rate

__all__ = [
    "gd",
    "sgd",
    "momentum",
    "nesterov",
    "qhm",
    "aggmo",
    "pnm",
    "sgdw",
    "optimistic_gradient_descent",
    "noisy_sgd",
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
        trace(decay=momentum, nesterov=nesterov, accumulator_dtype=accumulator_dtype)
        if momentum is not None
        else optax.identity(),
        scale_by_learning_rate(learning_rate),
    )


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
    check_unit_interval("momentum", momentum)
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
    check_unit_interval("momentum", momentum)
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
    direction = (
        trace(decay=momentum, nesterov=nesterov) if momentum is not None else optax.identity()
    )
    return with_decoupled_decay(direction, learning_rate, weight_decay, mask)


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
