"""Sign-based optimizers: Lion, signSGD, Signum, Rprop and MARS-Lion.

Lion, signSGD, Signum and Rprop give optax's numbers, have optax's signatures and use
optax's state classes.
"""

from __future__ import annotations

from typing import Any

import jax
import optax

from optzoo.core.validation import (
    check_decay,
    check_finite,
    check_nonnegative,
    check_positive,
    check_unit_interval,
)
from optzoo.optimizers._common import with_decay, with_decoupled_decay, without_decay
from optzoo.optimizers.adam import YUAN_2024_MARS, mars_chain
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.adam import scale_by_mars
from optzoo.transforms.scaling import scale, scale_by_learning_rate
from optzoo.transforms.sign import (
    scale_by_ano,
    scale_by_bcos,
    scale_by_focus,
    scale_by_lion,
    scale_by_rprop,
    scale_by_sign,
)
from optzoo.transforms.weight_decay import add_decayed_weights

__all__ = [
    "ano",
    "bcos",
    "focus",
    "tiger",
    "mars_lion",
    "lion",
    "sign_sgd",
    "signum",
    "rprop",
]


CHEN_2023_LION = Reference(
    "Xiangning Chen, Chen Liang, Da Huang, Esteban Real, Kaiyuan Wang, Yao Liu, Hieu Pham, "
    "Xuanyi Dong, Thang Luong, Cho-Jui Hsieh, Yifeng Lu, Quoc V. Le",
    "Symbolic Discovery of Optimization Algorithms",
    2023,
    "https://arxiv.org/abs/2302.06675",
)


BERNSTEIN_2018_SIGNSGD = Reference(
    "Jeremy Bernstein, Yu-Xiang Wang, Kamyar Azizzadenesheli, Anima Anandkumar",
    "signSGD: Compressed Optimisation for Non-Convex Problems",
    2018,
    "https://arxiv.org/abs/1802.04434",
)


RIEDMILLER_1993_RPROP = Reference(
    "Martin Riedmiller, Heinrich Braun",
    "A direct adaptive method for faster backpropagation learning: the RPROP algorithm",
    1993,
    "https://doi.org/10.1109/ICNN.1993.298623",
)


@register(
    "lion",
    family="sign",
    reference=CHEN_2023_LION,
    state_per_param=1,
    defaults={"learning_rate": 1e-3},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithm 2",
        preset={"weight_decay": 0.0},
        differences="weight_decay defaults to 1e-3 (optax's); the authors' default is 0",
        no_package="the authors published source files in google/automl, no package "
        "(lion-pytorch is a third-party port)",
    ),
)
def lion(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.99,
    mu_dtype: Any | None = None,
    weight_decay: optax.ScalarOrSchedule = 1e-3,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Lion (EvoLved Sign Momentum).

    ``weight_decay`` defaults to optax's 1e-3; the authors' is 0
    (``optzoo.create("lion", preset="authors")``).

    .. math::
       u_t = \operatorname{sign}(\beta_1 m_{t-1} + (1-\beta_1) g_t),\quad
       x_{t+1} = x_t - \eta (u_t + \lambda x_t),\quad m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t.

    Args:
      learning_rate: :math:`\eta` (use 3-10x smaller than AdamW's).
      b1: interpolation rate of the update.
      b2: momentum decay.
      mu_dtype: dtype of the momentum.
      weight_decay: :math:`\lambda` (decoupled).
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.lion``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.lion(1e-4, weight_decay=1.0)

    References:
      Chen et al. Symbolic Discovery of Optimization Algorithms. 2023.
      https://arxiv.org/abs/2302.06675
    """
    return with_decoupled_decay(
        scale_by_lion(b1=b1, b2=b2, mu_dtype=mu_dtype),
        learning_rate,
        weight_decay,
        mask,
    )


@register(
    "sign_sgd",
    family="sign",
    reference=BERNSTEIN_2018_SIGNSGD,
    state_per_param=0,
    defaults={"learning_rate": 1e-2},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithm 1 (the authors' MXNet signsgd_update)",
        no_package="the authors' code is in MXNet, whose last release (1.9.1) fails to "
        "import with NumPy 2",
    ),
)
def sign_sgd(
    learning_rate: optax.ScalarOrSchedule,
    *,
    weight_decay: optax.ScalarOrSchedule | None = None,
    weight_decay_mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""signSGD: :math:`x_{t+1} = x_t - \eta\,\operatorname{sign}(g_t + \lambda x_t)`.

    optzoo's defaults are the authors' (their MXNet code adds the L2 term :math:`\lambda x_t`
    to the gradient before the sign), so ``optzoo.create("sign_sgd", preset="authors")``
    changes nothing.

    Args:
      learning_rate: :math:`\eta`.
      weight_decay: :math:`\lambda \ge 0`, L2 weight decay added to the gradient;
        ``None`` (default): none, optax's chain.
        optax's sign_sgd has no such argument; the ``None`` default keeps it out of
        ``inject_hyperparams``' hyperparameters and state, as with optax.
      weight_decay_mask: where the weight decay applies (see :func:`optzoo.add_decayed_weights`).

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.sign_sgd``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.sign_sgd(1e-3)

    References:
      Bernstein et al. signSGD: Compressed Optimisation for Non-Convex Problems. 2018.
      https://arxiv.org/abs/1802.04434
    """
    check_finite("learning_rate", learning_rate)
    return _signed_descent(learning_rate, weight_decay, weight_decay_mask)


def _signed_descent(
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: Any,
    mask: Any,
    *before_sign: optax.GradientTransformation,
) -> optax.GradientTransformationExtraArgs:
    """optax's sign_sgd / signum chain: L2 decay, ``before_sign``, the sign, the learning rate."""
    decay = [] if without_decay(weight_decay) else [add_decayed_weights(weight_decay, mask=mask)]
    return optax.chain(*decay, *before_sign, scale_by_sign(), scale_by_learning_rate(learning_rate))


@register(
    "signum",
    family="sign",
    reference=BERNSTEIN_2018_SIGNSGD,
    state_per_param=1,
    defaults={"learning_rate": 1e-2},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithm 2 (the authors' MXNet Signum)",
        no_package="the authors' code is in MXNet, whose last release (1.9.1) fails to "
        "import with NumPy 2",
    ),
)
def signum(
    learning_rate: optax.ScalarOrSchedule,
    beta: jax.typing.ArrayLike = 0.9,
    accumulator_dtype: Any | None = None,
    *,
    weight_decay: optax.ScalarOrSchedule | None = None,
    weight_decay_mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Signum: signSGD on an exponential moving average of the gradient.

    .. math::
       m_t = \beta m_{t-1} + (1-\beta) (g_t + \lambda x_t),\qquad
       x_{t+1} = x_t - \eta\,\operatorname{sign}(m_t).

    optzoo's defaults are the authors' (their MXNet Signum: :math:`\beta = 0.9`, the L2 term
    in the momentum), so ``optzoo.create("signum", preset="authors")`` changes nothing.

    Args:
      learning_rate: :math:`\eta`.
      beta: EMA decay :math:`\beta`.
      accumulator_dtype: dtype of the EMA.
      weight_decay: :math:`\lambda \ge 0`, L2 weight decay added to the gradient;
        ``None`` (default): none, optax's chain.
        optax's signum has no such argument; the ``None`` default keeps it out of
        ``inject_hyperparams``' hyperparameters and state, as with optax.
      weight_decay_mask: where the weight decay applies (see :func:`optzoo.add_decayed_weights`).

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.signum``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.signum(1e-3, beta=0.9)

    References:
      Bernstein et al. signSGD: Compressed Optimisation for Non-Convex Problems. 2018.
      https://arxiv.org/abs/1802.04434
    """
    check_finite("learning_rate", learning_rate)
    check_unit_interval("beta", beta)  # no bias correction: 1 is legal, as in optax
    ema = optax.ema(beta, debias=False, accumulator_dtype=accumulator_dtype)
    return _signed_descent(learning_rate, weight_decay, weight_decay_mask, ema)


@register(
    "rprop",
    family="sign",
    reference=RIEDMILLER_1993_RPROP,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    also_in=("optax",),
    authors=Authors(
        code="paper, the Rprop algorithm (with weight-backtracking)",
        preset={"learning_rate": 0.1, "lagged": False, "backtracking": True},
        differences="optzoo (as optax) is iRprop- and applies each step one call late; the "
        "paper's Rprop steps at once, undoes the last step on a sign change "
        "(backtracking=True) and starts at 0.1",
        no_package="the authors published no code; the paper (ICNN 1993) gives the algorithm",
    ),
)
def rprop(
    learning_rate: jax.typing.ArrayLike,
    eta_minus: jax.typing.ArrayLike = 0.5,
    eta_plus: jax.typing.ArrayLike = 1.2,
    min_step_size: jax.typing.ArrayLike = 1e-6,
    max_step_size: jax.typing.ArrayLike = 50.0,
    *,
    lagged: bool = True,
    backtracking: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""Rprop (iRprop-): sign steps with per-coordinate step sizes; full-batch use only.

    :math:`x_{t+1} = x_t - u_t` with :math:`u_t` from :func:`optzoo.scale_by_rprop`.

    optzoo's defaults are optax's (iRprop- of Igel and Hüsken 2000, each step applied one
    call late); the 1993 paper's Rprop (at once, with weight-backtracking, :math:`\Delta_0 =
    0.1`) is ``optzoo.create("rprop", preset="authors")``; ``lagged=False`` alone is PyTorch's
    ``torch.optim.Rprop``.

    Args:
      learning_rate: initial step size (a scalar).
      eta_minus: shrink factor on a sign change.
      eta_plus: growth factor when signs agree.
      min_step_size: lower clip of the step size.
      max_step_size: upper clip of the step size.
      lagged: emit the step computed on the previous call (optax's numbers).
      backtracking: on a sign change, undo the previous step (needs ``lagged=False``).

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.rprop`` (by default).

    Example:
      >>> import optzoo
      >>> tx = optzoo.rprop(1e-2)

    References:
      Riedmiller, Braun. A direct adaptive method for faster backpropagation learning:
      the RPROP algorithm. 1993. https://doi.org/10.1109/ICNN.1993.298623
    """
    check_positive("max_step_size", max_step_size)
    check_finite("learning_rate", learning_rate)
    return optax.chain(
        scale_by_rprop(
            learning_rate=learning_rate,
            eta_minus=eta_minus,
            eta_plus=eta_plus,
            min_step_size=min_step_size,
            max_step_size=max_step_size,
            lagged=lagged,
            backtracking=backtracking,
        ),
        scale(-1.0),
    )


@register(
    "mars_lion",
    family="sign",
    reference=YUAN_2024_MARS,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
    also_in=(),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={"optimize_1d": False, "b1": 0.95},
        differences="MARS on every leaf; the authors' MARS (optimize_1d=False) runs plain "
        "AdamW (betas (0.9, 0.95), wd 0.1) on leaves that are not matrices, and b1 0.95 for Lion",
        no_package="the authors published source files (AGI-Arena/MARS)",
    ),
)
def mars_lion(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    gamma: jax.typing.ArrayLike = 0.025,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
    optimize_1d: bool = True,
    b1_1d: float = 0.9,
    b2_1d: float = 0.95,
    eps_1d: float = 1e-8,
    lr_1d_ratio: float = 1.0,
    weight_decay_1d: float = 0.1,
) -> optax.GradientTransformationExtraArgs:
    r"""MARS-Lion: the sign of a momentum of variance-reduced gradients.

    :math:`x_{t+1} = x_t - \eta(\operatorname{sign}(m_t) + \lambda x_t)` with :math:`m_t` from
    :func:`optzoo.scale_by_mars` (``mode="lion"``), on every leaf by default; the authors'
    code uses ``b1=0.95`` and plain AdamW on leaves that are not matrices
    (``optzoo.create("mars_lion", preset="authors")``).

    Args:
      learning_rate: :math:`\eta`.
      b1: momentum decay.
      gamma: variance-reduction strength.
      weight_decay: decoupled :math:`\lambda`.
      mask: weight-decay mask.
      optimize_1d: MARS on every leaf; ``False`` (the authors' default) runs AdamW on the
        leaves whose rank is not 2, as in :func:`optzoo.mars_adamw`.
      b1_1d, b2_1d, eps_1d: moment decays and epsilon of that AdamW.
      lr_1d_ratio: its learning rate over ``learning_rate``.
      weight_decay_1d: its decoupled weight decay.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.mars_lion(1e-4)

    References:
      Yuan, Liu, Wu, Zhou, Gu. MARS: Unleashing the Power of Variance Reduction for Training
      Large Models. 2024. https://arxiv.org/abs/2411.10438
    """
    check_nonnegative("eps_1d", eps_1d)
    return mars_chain(
        scale_by_mars(b1=b1, gamma=gamma, mode="lion"),
        learning_rate,
        weight_decay,
        mask,
        optimize_1d,
        (b1_1d, b2_1d, eps_1d, lr_1d_ratio, weight_decay_1d),
    )


SU_2023_TIGER = Reference(
    "Jianlin Su",
    "Tiger: A Tight-fisted Optimizer",
    2023,
    "https://github.com/bojone/tiger",
)


@register(
    "tiger",
    family="sign",
    reference=SU_2023_TIGER,
    state_per_param=1,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="the author's update rule (m_t = beta m_{t-1} + (1 - beta) g_t, "
        "x -= eta (sign(m_t) + lambda x))",
        no_package="the author published Keras source files (bojone/tiger), no package that "
        "runs here",
    ),
)
def tiger(
    learning_rate: optax.ScalarOrSchedule,
    beta: jax.typing.ArrayLike = 0.965,
    weight_decay: jax.typing.ArrayLike = 0.01,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""Tiger: the sign of an EMA of the gradients (Lion with one decay for both rates).

    .. math::
       m_t = \beta m_{t-1} + (1 - \beta) g_t,\qquad
       x_{t+1} = x_t - \eta\, (\operatorname{sign}(m_t) + \lambda x_t).

    One state tree, as Lion; equal to ``lion(learning_rate, b1=beta, b2=beta)``.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      beta: EMA decay :math:`\beta` in ``[0, 1)``.
      weight_decay: decoupled decay :math:`\lambda`.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.tiger(1e-3, beta=0.965)

    References:
      Jianlin Su. Tiger: A Tight-fisted Optimizer. 2023. https://github.com/bojone/tiger
    """
    check_decay("beta", beta)
    check_nonnegative("weight_decay", weight_decay)
    return with_decoupled_decay(scale_by_lion(b1=beta, b2=beta), learning_rate, weight_decay, mask)


KEGREISZ_2025_ANO = Reference(
    "Adrien Kegreisz",
    "Ano: Faster is Better in Noisy Landscape",
    2025,
    "https://arxiv.org/abs/2508.18258",
)


@register(
    "ano",
    family="sign",
    reference=KEGREISZ_2025_ANO,
    state_per_param=2,
    defaults={"learning_rate": 1e-4},
    authors=Authors(
        code="ano-optimizer==1.0.0 (the author's package, Ano)",
        preset={"eps_inside_sqrt": True},
        differences="epsilon outside the square root as pytorch_optimizer (the package: inside)",
    ),
)
def ano(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.92,
    b2: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    mask: Any = None,
    *,
    logarithmic_schedule: bool = False,
    eps_inside_sqrt: bool = False,
) -> optax.GradientTransformation:
    r"""Ano: the momentum's sign, the gradient's magnitude, a Yogi-like second moment.

    .. math::
       x_{t+1} = x_t - \eta\,\Big(\frac{|g_t|\,\operatorname{sign}(m_t)}
       {\sqrt{\hat v_t} + \epsilon} + \lambda x_t\Big),

    with :math:`m_t` and :math:`v_t` of :func:`optzoo.scale_by_ano` (``logarithmic_schedule``:
    Anolog's :math:`\beta_1 = 1 - 1/\log t`). Element-wise, so every leaf shape is handled
    alike.

    Defaults are pytorch_optimizer's (:math:`\epsilon` outside the square root);
    ``optzoo.create("ano", preset="authors")`` puts it inside, as the author's package.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1: momentum decay.
      b2: second-moment decay.
      eps: :math:`\epsilon`.
      weight_decay: decoupled decay :math:`\lambda`.
      mask: weight-decay mask.
      logarithmic_schedule: Anolog.
      eps_inside_sqrt: :math:`\sqrt{\hat v_t + \epsilon}` (the author's package).

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.ano(1e-4)

    References:
      Adrien Kegreisz. Ano: Faster is Better in Noisy Landscape. 2025.
      https://arxiv.org/abs/2508.18258
    """
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    return with_decoupled_decay(
        scale_by_ano(
            b1,
            b2,
            eps,
            logarithmic_schedule=logarithmic_schedule,
            eps_inside_sqrt=eps_inside_sqrt,
        ),
        learning_rate,
        weight_decay,
        mask,
    )


LIU_2025_FOCUS = Reference(
    "Yizhou Liu, Ziming Liu, Jeff Gore",
    "FOCUS: First Order Concentrated Updating Scheme",
    2025,
    "https://arxiv.org/abs/2501.12243",
)


@register(
    "focus",
    family="sign",
    reference=LIU_2025_FOCUS,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    authors=Authors(
        code="the authors' FOCUS class (liuyz0/FOCUS, focus.py)",
        preset={"decay_first": False},
        differences=(
            "the decay step before the attraction's sign, as pytorch_optimizer (the authors: "
            "after, decay_first=False); equal without weight decay"
        ),
        no_package="the authors published a source file (liuyz0/FOCUS), no package",
    ),
)
def focus(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    gamma: float = 0.1,
    weight_decay: float = 0.0,
    *,
    decay_first: bool = True,
) -> optax.GradientTransformation:
    r"""FOCUS: sign momentum plus a sign pull toward the parameters' running average.

    .. math::
       x_{t+1} = x_t - \eta\,\big(\operatorname{sign}(m_t)
       + \gamma\,\operatorname{sign}(x_t - \hat x_t) + \lambda \hat x_t\big),

    with :math:`m_t` the gradient EMA and :math:`\hat x_t` the bias-corrected EMA of the
    parameters (:func:`optzoo.scale_by_focus`). The weight decay shrinks toward zero by the
    *average* :math:`\hat x_t`, as in the authors' code. ``decay_first`` (the default, as
    pytorch_optimizer) takes the decay step before the attraction, whose sign then sees
    :math:`x_t - \eta\lambda\hat x_t`; ``optzoo.create("focus", preset="authors")`` takes it
    after. Element-wise: every leaf shape is handled alike.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1: momentum decay.
      b2: decay of the parameters' EMA.
      gamma: attraction strength :math:`\gamma`.
      weight_decay: :math:`\lambda`.
      decay_first: pytorch_optimizer's order of the decay and the attraction.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.focus(1e-2, gamma=0.1)

    References:
      Yizhou Liu, Ziming Liu, Jeff Gore. FOCUS: First Order Concentrated Updating Scheme.
      2025. https://arxiv.org/abs/2501.12243
    """
    check_finite("learning_rate", learning_rate)
    return optax.chain(
        scale_by_focus(
            b1,
            b2,
            gamma,
            weight_decay,
            decay_first_learning_rate=learning_rate if decay_first else None,
        ),
        scale_by_learning_rate(learning_rate),
    )


JIANG_2025_BCOS = Reference(
    "Tao Jiang, Lin Xiao",
    "BCOS: Stochastic Approximation with Block Coordinate Optimal Stepsizes",
    2025,
    "https://arxiv.org/abs/2507.08963",
)


@register(
    "bcos",
    family="sign",
    reference=JIANG_2025_BCOS,
    state_per_param=1,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="paper, the BCOS update rules (modes g, m, c) as pytorch_optimizer writes them",
        no_package="the authors published no package that installs here",
    ),
)
def bcos(
    learning_rate: optax.ScalarOrSchedule,
    beta: float = 0.9,
    beta2: float | None = None,
    eps: float = 1e-6,
    weight_decay: float = 0.1,
    mask: Any = None,
    *,
    mode: str = "c",
    simple_cond: bool = False,
    weight_decouple: bool = True,
) -> optax.GradientTransformation:
    r"""BCOS: block-coordinate optimal step sizes, a direction over its estimated RMS.

    .. math::
       x_{t+1} = x_t - \eta\,\Big(\frac{d_t}{\sqrt{v_t} + \epsilon} + \lambda x_t\Big),

    with the direction :math:`d_t` and the estimate :math:`v_t` of
    :func:`optzoo.scale_by_bcos` (``mode`` ``"g"``, ``"m"`` or the conditional ``"c"``).
    ``weight_decouple=False`` adds :math:`\lambda x_t` to the gradient instead (then the first
    step's momentum starts at :math:`g_1 + \lambda x_1`, where pytorch_optimizer starts it at
    :math:`g_1`). Element-wise: every leaf shape is handled alike (each coordinate is a block).
    Defaults are pytorch_optimizer's.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      beta: momentum decay.
      beta2: second-moment decay (``None``: see :func:`optzoo.scale_by_bcos`).
      eps: :math:`\epsilon`.
      weight_decay: :math:`\lambda`.
      mask: weight-decay mask.
      mode: ``"g"``, ``"m"`` or ``"c"``.
      simple_cond: the simplified conditional estimator.
      weight_decouple: decoupled (default) or coupled decay.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.bcos(1e-3, mode="c")

    References:
      Tao Jiang, Lin Xiao. BCOS: Stochastic Approximation with Block Coordinate Optimal
      Stepsizes. 2025. https://arxiv.org/abs/2507.08963
    """
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    direction = scale_by_bcos(beta, beta2, eps, mode=mode, simple_cond=simple_cond)
    return with_decay(direction, learning_rate, weight_decay, mask, decoupled=weight_decouple)


KIEREN_2026_ROSE = Reference(
    "Matthew Kieren",
    "Rose: Range-Of-Slice Equilibration optimizer (stateless optimization through "
    "range-normalized gradient updates)",
    2026,
    "https://doi.org/10.5281/zenodo.19589765",
)


@register(
    "rose",
    family="sign",
    reference=KIEREN_2026_ROSE,
    state_per_param=0,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="the author's update rule (range-normalised gradient, README of MatthewK78/Rose)",
        no_package="the author published source files (MatthewK78/Rose), no package",
    ),
)
def rose(
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: jax.typing.ArrayLike = 1e-4,
    weight_decouple: bool = False,
    centralize: bool = True,
    stabilize: bool = True,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""ROSE: stateless steps of the gradient divided by its (row) range.

    :math:`x_{t+1} = x_t - \eta\, \tilde g_t / d_t` with :math:`\tilde g_t / d_t` from
    :func:`optzoo.scale_by_rose` (sign for scalars, the range for vectors, per-row
    centred and range-normalised matrices with the ranges blended towards their mean).
    No optimizer state. Weight decay is L2 (added to the gradient; pytorch_optimizer's
    default) or decoupled with ``weight_decouple``.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      weight_decay: decay :math:`\lambda \ge 0`.
      weight_decouple: decoupled decay instead of L2.
      centralize: centre the rows of rank >= 2 gradients.
      stabilize: blend each row's range with the mean range.
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.rose(1e-3)

    References:
      Matthew Kieren. Rose: Range-Of-Slice Equilibration optimizer. 2026.
      https://doi.org/10.5281/zenodo.19589765 (code: https://github.com/MatthewK78/Rose)

    The defaults are the author's (``optzoo.create("rose", preset="authors")`` is the same).
    """
    from optzoo.transforms.sign import scale_by_rose

    check_nonnegative("weight_decay", weight_decay)
    direction = scale_by_rose(centralize, stabilize)
    return with_decay(direction, learning_rate, weight_decay, mask, decoupled=weight_decouple)


__all__ += ["rose"]


# --- emolynx (EmoNavi family, loss-driven scaling; needs update(..., value=loss)). ---
from optzoo.optimizers._emo import emo_chain, register_emo  # noqa: E402
from optzoo.transforms.sign import scale_by_emolynx  # noqa: E402


@register_emo("emolynx", "sign", 1, "EmoLynx")
def emolynx(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.99,
    weight_decay: optax.ScalarOrSchedule = 1e-2,
    weight_decouple: bool = True,
    use_shadow: bool = False,
    shadow_weight: float = 0.05,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""EmoLynx: Lion's sign step scaled by the loss trend, :math:`u_t = \operatorname{sign}(\beta_1
    m_{t-1} + (1-\beta_1) g_t)` (:func:`optzoo.scale_by_emolynx`).

    :func:`optzoo.emonavi` with Lion's direction: it too needs ``value=loss`` in ``update``,
    and its drive :math:`d_t`, decay, shadow, return value and defaults (pytorch_optimizer's)
    are the EmoNavi family's (:mod:`optzoo.optimizers._emo`).

    Args:
      b1: weight of the momentum in the sign.
      b2: momentum decay.
      learning_rate, weight_decay, weight_decouple, use_shadow, shadow_weight, mask: those of
        the family (:mod:`optzoo.optimizers._emo`).

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.emolynx(1e-3, use_shadow=True)
      >>> state = tx.init({"w": jnp.ones(3)})

    References:
      muooon. EmoNavi. 2025. https://github.com/muooon/EmoNavi
    """
    step = scale_by_emolynx(b1=b1, b2=b2)
    return emo_chain(
        step, learning_rate, weight_decay, weight_decouple, use_shadow, shadow_weight, False, mask
    )


__all__ += ["emolynx"]
