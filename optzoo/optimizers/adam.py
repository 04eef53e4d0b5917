"""The Adam family: Adam, AdamW, NAdam(W), AMSGrad, AdaMax(W) and the variants.

AdaBelief, RAdam, Adan, Yogi, LaProp, StableAdamW, Grams, AdaBound, AdamP, Adam-mini,
MARS-AdamW, AdEMAMix (full and simplified) and ADOPT, each with its citation. Where optax
(or ``optax.contrib``) ships an optimizer of the same name (registry field ``also_in``),
optzoo's gives its numbers, has its signature and uses its state classes.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import (
    check_decay,
    check_finite,
    check_nonnegative,
    check_positive,
    check_range,
)
from optzoo.optimizers._common import (
    with_coupled_decay,
    with_decay_after_step,
    with_decoupled_decay,
    without_decay,
)
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.adam import (
    scale_by_acprop,
    scale_by_adabound,
    scale_by_adam,
    scale_by_adam_mini,
    scale_by_adamax,
    scale_by_adamod,
    scale_by_adamp,
    scale_by_adan,
    scale_by_ademamix,
    scale_by_adopt,
    scale_by_amsgrad,
    scale_by_belief,
    scale_by_diffgrad,
    scale_by_grams,
    scale_by_laprop,
    scale_by_mars,
    scale_by_qhadam,
    scale_by_radam,
    scale_by_simplified_ademamix,
    scale_by_stable_adamw,
    scale_by_yogi,
)
from optzoo.transforms.momentum import scale_by_optimistic_gradient
from optzoo.transforms.scaling import scale, scale_by_learning_rate
from optzoo.transforms.weight_decay import add_decayed_weights

__all__ = [
    "acprop",
    "adabelief",
    "adabound",
    "adam",
    "adam_mini",
    "adam_mini_decay_mask",
    "adam_mini_partition",
    "adamax",
    "adamaxw",
    "adamod",
    "adamp",
    "adamw",
    "adan",
    "ademamix",
    "adopt",
    "amsgrad",
    "diffgrad",
    "grams",
    "laprop",
    "mars_adamw",
    "nadam",
    "nadamw",
    "optimistic_adam",
    "optimistic_adam_v2",
    "qhadam",
    "radam",
    "simplified_ademamix",
    "stable_adamw",
    "yogi",
]


ZHUANG_2020_ADABELIEF = Reference(
    "Juntang Zhuang, Tommy Tang, Yifan Ding, Sekhar Tatikonda, Nicha Dvornek, "
    "Xenophon Papademetris, James S. Duncan",
    "AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed Gradients",
    2020,
    "https://arxiv.org/abs/2010.07468",
)


LIU_2020_RADAM = Reference(
    "Liyuan Liu, Haoming Jiang, Pengcheng He, Weizhu Chen, Xiaodong Liu, Jianfeng Gao, Jiawei Han",
    "On the Variance of the Adaptive Learning Rate and Beyond",
    2020,
    "https://arxiv.org/abs/1908.03265",
)


XIE_2022_ADAN = Reference(
    "Xingyu Xie, Pan Zhou, Huan Li, Zhouchen Lin, Shuicheng Yan",
    "Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep Models",
    2022,
    "https://arxiv.org/abs/2208.06677",
)


ZAHEER_2018_YOGI = Reference(
    "Manzil Zaheer, Sashank Reddi, Devendra Sachan, Satyen Kale, Sanjiv Kumar",
    "Adaptive Methods for Nonconvex Optimization",
    2018,
    "https://papers.nips.cc/paper/2018/hash/90365351ccc7437a1309dc64e4db32a3-Abstract.html",
)


PAGLIARDINI_2024_ADEMAMIX = Reference(
    "Matteo Pagliardini, Pierre Ablin, David Grangier",
    "The AdEMAMix Optimizer: Better, Faster, Older",
    2024,
    "https://arxiv.org/abs/2409.03137",
)


MORWANI_2024_SIMPLIFIED_ADEMAMIX = Reference(
    "Depen Morwani, Nikhil Vyas, Hanlin Zhang, Sham Kakade",
    "Connections between Schedule-Free Optimizers, AdEMAMix, and Accelerated SGD Variants",
    2025,
    "https://arxiv.org/abs/2502.02431",
)


TANIGUCHI_2024_ADOPT = Reference(
    "Shohei Taniguchi, Keno Harada, Gouki Minegishi, Yuta Oshima, Seong Cheol Jeong, "
    "Go Nagahara, Tomoshi Iiyama, Masahiro Suzuki, Yusuke Iwasawa, Yutaka Matsuo",
    "ADOPT: Modified Adam Can Converge with Any beta_2 with the Optimal Rate",
    2024,
    "https://arxiv.org/abs/2411.02853",
)


ZIYIN_2020_LAPROP = Reference(
    "Liu Ziyin, Zhikang T. Wang, Masahito Ueda",
    "LaProp: Separating Momentum and Adaptivity in Adam",
    2020,
    "https://arxiv.org/abs/2002.04839",
)


WORTSMAN_2023_STABLE_ADAMW = Reference(
    "Mitchell Wortsman, Tim Dettmers, Luke Zettlemoyer, Ari Morcos, Ali Farhadi, Ludwig Schmidt",
    "Stable and low-precision training for large-scale vision-language models",
    2023,
    "https://arxiv.org/abs/2304.13013",
)


ZHANG_2024_ADAM_MINI = Reference(
    "Yushun Zhang, Congliang Chen, Ziniu Li, Tian Ding, Chenwei Wu, Diederik P. Kingma, "
    "Yinyu Ye, Zhi-Quan Luo, Ruoyu Sun",
    "Adam-mini: Use Fewer Learning Rates To Gain More",
    2024,
    "https://arxiv.org/abs/2406.16793",
)


YUAN_2024_MARS = Reference(
    "Huizhuo Yuan, Yifeng Liu, Shuang Wu, Xun Zhou, Quanquan Gu",
    "MARS: Unleashing the Power of Variance Reduction for Training Large Models",
    2024,
    "https://arxiv.org/abs/2411.10438",
)


CAO_2024_GRAMS = Reference(
    "Yang Cao, Xiaoyu Li, Zhao Song",
    "Grams: Gradient Descent with Adaptive Momentum Scaling",
    2024,
    "https://arxiv.org/abs/2412.17107",
)


LUO_2019_ADABOUND = Reference(
    "Liangchen Luo, Yuanhao Xiong, Yan Liu, Xu Sun",
    "Adaptive Gradient Methods with Dynamic Bound of Learning Rate",
    2019,
    "https://arxiv.org/abs/1902.09843",
)


HEO_2021_ADAMP = Reference(
    "Byeongho Heo, Sanghyuk Chun, Seong Joon Oh, Dongyoon Han, Sangdoo Yun, Gyuwan Kim, "
    "Youngjung Uh, Jung-Woo Ha",
    "AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant Weights",
    2021,
    "https://arxiv.org/abs/2006.08217",
)


MaskOrFn = Any | Callable[[optax.Params], Any] | None


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
    "adam",
    family="adam",
    reference=KINGMA_BA_2014,
    state_per_param=2,
    defaults={"learning_rate": 0.01},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={"learning_rate": 1e-3},
        differences="create()'s default learning rate is 1e-2, the paper's alpha 1e-3 "
        "(b1, b2, eps are the paper's)",
        no_package="the authors published no implementation; Algorithm 1 is the reference",
    ),
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

    The defaults are the paper's (Algorithm 1); ``optzoo.create("adam", preset="authors")``
    also takes its learning rate 1e-3.

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
    family="adam",
    reference=DOZAT_2016,
    state_per_param=2,
    defaults={"learning_rate": 0.01},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithm 2",
        differences="optzoo (optax) runs Algorithm 2 with a constant momentum mu_t = b1; the "
        "paper's experiments warm it up, mu_t = b1 (1 - 0.5 * 0.96^(t/250)), which optax's "
        "signature has no room for: optzoo.scale_by_nadam(momentum_decay=0.004) gives it "
        "(tested against the same transcription and torch.optim.NAdam)",
        no_package="the author published no package; the paper's Algorithm 2 is the reference",
    ),
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
    This is the paper's Algorithm 2 with a constant momentum :math:`\mu_t = \beta_1`
    (``preset="authors"`` changes nothing); its experiments' warming schedule
    :math:`\mu_t = \beta_1 (1 - \tfrac12\, 0.96^{t/250})` is
    ``optax.chain(optzoo.scale_by_nadam(), optzoo.scale_by_learning_rate(learning_rate))``.

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
    family="adam",
    reference=LOSHCHILOV_HUTTER_2017,
    state_per_param=2,
    defaults={"learning_rate": 0.01},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithm 2 (AdamW)",
        differences="the paper's decay lambda is scaled by the schedule multiplier eta_t only, "
        "optzoo's (optax's, PyTorch's) weight_decay also by the learning rate alpha: pass "
        "weight_decay = lambda / alpha; eta_t (out of the preset) is a learning-rate schedule "
        "alpha * eta_t; the paper sets lambda per run (normalized decay), optzoo's default is 1e-4",
        no_package="the authors published a patched PyTorch/Lua code base, not a package; "
        "the paper's Algorithm 2 is the reference",
    ),
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
    learning rate (optax's and PyTorch's convention); the paper's :math:`\lambda` is not, so
    its setup is ``weight_decay=lambda / learning_rate`` (``preset="authors"`` changes nothing).

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
    return with_decoupled_decay(
        scale_by_adam(
            b1=b1, b2=b2, eps=eps, eps_root=eps_root, mu_dtype=mu_dtype, nesterov=nesterov
        ),
        learning_rate,
        weight_decay,
        mask,
    )


@register(
    "nadamw",
    family="adam",
    reference=DOZAT_2016,
    state_per_param=2,
    defaults={"learning_rate": 0.01},
    also_in=("optax",),
    authors=Authors(
        code="Dozat's paper, Algorithm 2, plus the decoupled decay of Loshchilov & Hutter's "
        "Algorithm 2",
        differences="as nadam: constant mu_t = b1 (Dozat's warming schedule is "
        "optzoo.scale_by_nadam); the decay is scaled by the learning rate (pass "
        "weight_decay = lambda / alpha for Loshchilov & Hutter's lambda)",
        no_package="neither paper's authors published a package; the two algorithm boxes are "
        "the reference",
    ),
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

    with the look-ahead moment :math:`\hat m^{nes}_t` of :func:`nadam` (constant momentum;
    ``preset="authors"`` changes nothing). Dozat's warming schedule with this decay is
    ``optax.chain(optzoo.scale_by_nadam(), optzoo.add_decayed_weights(weight_decay),
    optzoo.scale_by_learning_rate(learning_rate))``.

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
    family="adam",
    reference=REDDI_2018,
    state_per_param=3,
    defaults={"learning_rate": 0.01},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithm 2 (AMSGrad)",
        preset={"bias_correction_mu": False, "bias_correction_nu": False, "eps": 0.0},
        differences="optzoo (optax) bias-corrects m_t and v_t and adds eps=1e-8 to the root; "
        "the paper does neither (an entry whose gradients were all 0 then gives 0/0); the "
        "analysis' alpha_t = alpha/sqrt(t) is a learning-rate schedule, its decaying b1_t has "
        "no flag (the experiments keep b1 constant)",
        no_package="the authors published no implementation; Algorithm 2 is the reference",
    ),
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

    optzoo (optax) bias-corrects and adds ``eps``; ``optzoo.create("amsgrad",
    preset="authors")`` gives the paper's Algorithm 2 (neither).

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
    family="adam",
    reference=KINGMA_BA_2014,
    state_per_param=2,
    defaults={"learning_rate": 0.01},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithm 2 (AdaMax)",
        preset={"learning_rate": 2e-3, "eps": 0.0},
        differences="optzoo (optax) takes u_t = max(|g_t| + eps, b2 u_{t-1}) with eps=1e-8, "
        "the paper has no eps; create()'s default learning rate is 1e-2, the paper's 2e-3",
        no_package="the authors published no implementation; Algorithm 2 is the reference",
    ),
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

    The paper has no ``eps``; ``optzoo.create("adamax", preset="authors")`` gives its
    Algorithm 2 (``eps=0``, learning rate 2e-3).

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
    family="adam",
    reference=LOSHCHILOV_HUTTER_2017,
    state_per_param=2,
    defaults={"learning_rate": 0.01},
    also_in=("optax",),
    authors=Authors(
        code="Kingma & Ba, Algorithm 2 (AdaMax) with the decoupled decay of Loshchilov & "
        "Hutter, Algorithm 2",
        preset={"learning_rate": 2e-3, "eps": 0.0},
        differences="as adamax (optax's eps=1e-8 inside the max; the paper has none); the "
        "decay is scaled by the learning rate (weight_decay = lambda / alpha)",
        no_package="no paper defines AdamaxW (optax combines AdaMax with AdamW's decay); the "
        "two algorithm boxes are the reference",
    ),
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

    As in :func:`adamax`, ``optzoo.create("adamaxw", preset="authors")`` drops ``eps`` (the
    paper's AdaMax).

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
    return with_decoupled_decay(
        scale_by_adamax(b1=b1, b2=b2, eps=eps),
        learning_rate,
        weight_decay,
        mask,
    )


@register(
    "adabelief",
    family="adam",
    reference=ZHUANG_2020_ADABELIEF,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    also_in=("optax",),
    authors=Authors(
        code="adabelief-pytorch==0.2.1",
        preset={"learning_rate": 1e-3, "rectify": True},
        differences="the authors rectify the step like RAdam (rectify=True) and default to "
        "lr 1e-3; optzoo follows optax (no rectification)",
    ),
)
def adabelief(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-16,
    eps_root: jax.typing.ArrayLike = 1e-16,
    *,
    nesterov: bool = False,
    rectify: bool = False,
    degenerated_to_sgd: bool = True,
    weight_decay: optax.ScalarOrSchedule | None = None,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""AdaBelief: Adam whose denominator tracks :math:`(g_t - m_t)^2`.

    .. math::
       x_{t+1} = x_t - \eta\,(\hat m_t/(\sqrt{\hat s_t} + \epsilon) + \lambda x_t),\quad
       s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t-m_t)^2 + \epsilon_{root}.

    optzoo's defaults are optax's; the authors' ``adabelief-pytorch`` rectifies the step
    (``rectify=True``) and uses lr 1e-3: ``optzoo.create("adabelief", preset="authors")``.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: moment decays.
      eps, eps_root: denominators.
      nesterov: Nesterov first moment.
      rectify: RAdam-style rectification (see :func:`optzoo.scale_by_belief`).
      degenerated_to_sgd: with ``rectify``, momentum-SGD steps while the variance of the
        adaptive rate is intractable (otherwise no step).
      weight_decay: decoupled :math:`\lambda` (the authors' ``weight_decouple=True``);
        ``None`` (default): none, optax's chain.
        optax's adabelief has no such argument; the ``None`` default keeps it out of
        ``inject_hyperparams``' hyperparameters and state, as with optax.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.adabelief`` (by default).

    Example:
      >>> import optzoo
      >>> tx = optzoo.adabelief(1e-3)

    References:
      Zhuang et al. AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed
      Gradients. 2020. https://arxiv.org/abs/2010.07468
    """
    direction = scale_by_belief(
        b1=b1,
        b2=b2,
        eps=eps,
        eps_root=eps_root,
        nesterov=nesterov,
        rectify=rectify,
        degenerated_to_sgd=degenerated_to_sgd,
    )
    if without_decay(weight_decay):
        # optax's chain (and state) exactly.
        return optax.chain(direction, scale_by_learning_rate(learning_rate))
    return with_decoupled_decay(direction, learning_rate, weight_decay, mask)


@register(
    "radam",
    family="adam",
    reference=LIU_2020_RADAM,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithm 2",
        preset={"threshold": 4.0, "eps": 0.0},
        differences="optzoo (optax) adapts once rho_t >= 5 with eps=1e-8 outside sqrt(v_hat), "
        "the paper once rho_t > 4 with no eps; the authors' GitHub code (RAdam 0.0.1) adapts "
        "at rho_t >= 5, adds eps to sqrt(v_t) before bias correction, by default "
        "(degenerated_to_sgd=False) does not step while rho_t < 5, and decays weights by "
        "lr * weight_decay (the weight_decay argument)",
        no_package="the authors' code (github.com/LiyuanLucasLiu/RAdam) is not on the package "
        "index; the paper's Algorithm 2 is the reference",
    ),
)
def radam(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    threshold: jax.typing.ArrayLike = 5.0,
    *,
    nesterov: bool = False,
    weight_decay: optax.ScalarOrSchedule | None = None,
    mask: MaskOrFn = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Rectified Adam: SGD with momentum until the variance of the adaptive rate is tractable.

    See :func:`optzoo.scale_by_radam` for the rule; :math:`x_{t+1} = x_t - \eta (u_t +
    \lambda x_t)`. optzoo (optax) switches at :math:`\rho_t \ge 5` with ``eps=1e-8``;
    ``optzoo.create("radam", preset="authors")`` gives the paper's :math:`\rho_t > 4`, no eps.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: moment decays.
      eps, eps_root: denominators.
      threshold: SMA length above which the adaptive step is used.
      nesterov: Nesterov first moment.
      weight_decay: decoupled decay :math:`\lambda` (scaled by the learning rate, as in the
        authors' code). ``None`` (default): none, optax's chain.
        optax's radam has no such argument; the ``None`` default keeps it out of
        ``inject_hyperparams``' hyperparameters and state, as with optax.
      mask: where the weight decay applies.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.radam``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.radam(1e-3)

    References:
      Liu et al. On the Variance of the Adaptive Learning Rate and Beyond. 2020.
      https://arxiv.org/abs/1908.03265
    """
    check_nonnegative("eps_root", eps_root)
    check_nonnegative("threshold", threshold)
    direction = scale_by_radam(
        b1=b1, b2=b2, eps=eps, eps_root=eps_root, threshold=threshold, nesterov=nesterov
    )
    if without_decay(weight_decay) and mask is None:
        return optax.chain(direction, scale_by_learning_rate(learning_rate))
    return with_decoupled_decay(direction, learning_rate, weight_decay, mask)


@register(
    "adan",
    family="adam",
    reference=XIE_2022_ADAN,
    state_per_param=4,
    defaults={"learning_rate": 1e-2},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={"learning_rate": 1e-3, "eps_root": 0.0, "diff_weight": "b2", "proximal": True},
        differences="optax weights the gradient difference by 1-b2 (the paper and the authors' "
        "code: b2), decays decoupled (theirs: proximal), eps_root 1e-8 (theirs 0)",
        no_package="the authors' code (sail-sg/Adan) installs only from its Git repository; "
        "adan-pytorch on the package index is a third-party port",
    ),
)
def adan(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.98,
    b2: jax.typing.ArrayLike = 0.92,
    b3: jax.typing.ArrayLike = 0.99,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 1e-8,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: MaskOrFn = None,
    *,
    diff_weight: Literal["1-b2", "b2"] = "1-b2",
    proximal: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""Adan: adaptive Nesterov momentum with a gradient-difference term.

    :math:`x_{t+1} = x_t - \eta (u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_adan`; with ``proximal=True`` the paper's proximal decay
    :math:`x_{t+1} = (x_t - \eta u_t)/(1 + \eta\lambda)`.

    optzoo's defaults are optax's; the authors (paper and ``sail-sg/Adan``) weight the gradient
    difference by ``b2`` not ``1-b2``, decay proximally, eps_root 0 and lr 1e-3:
    ``optzoo.create("adan", preset="authors")``.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2, b3: decays of the gradient, gradient-difference and second moments.
      eps, eps_root: denominators.
      weight_decay: :math:`\lambda` (decoupled).
      mask: weight-decay mask.
      diff_weight: weight of the gradient difference, ``"1-b2"`` (optax) or ``"b2"`` (the
        paper's and the authors' code).
      proximal: the paper's proximal weight decay (the authors' default, ``no_prox=False``).

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.adan`` (by default).

    Example:
      >>> import optzoo
      >>> tx = optzoo.adan(1e-3)

    References:
      Xie et al. Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep
      Models. 2022. https://arxiv.org/abs/2208.06677
    """
    check_nonnegative("eps_root", eps_root)
    tx = with_decoupled_decay(
        scale_by_adan(b1=b1, b2=b2, b3=b3, eps=eps, eps_root=eps_root, diff_weight=diff_weight),
        learning_rate,
        weight_decay,
        mask,
    )
    if not proximal:
        return tx
    # -eta (u + lam x) / (1 + eta lam) = (x - eta u) / (1 + eta lam) - x on decayed leaves.
    lr_fn = learning_rate if callable(learning_rate) else (lambda _: learning_rate)
    wd_fn = weight_decay if callable(weight_decay) else (lambda _: weight_decay)
    shrink = optax.scale_by_schedule(lambda count: 1.0 / (1.0 + lr_fn(count) * wd_fn(count)))
    return optax.chain(tx, shrink if mask is None else optax.masked(shrink, mask))


@register(
    "yogi",
    family="adam",
    reference=ZAHEER_2018_YOGI,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithm 2",
        preset={"bias_correction": False, "initial_mu_value": 0.0},
        differences="optzoo (optax) bias-corrects both moments and starts m_t at 1e-6 like v_t; "
        "the paper's Algorithm 2 does not bias-correct and starts m_0 = 0 (v_0 = 1e-6 and "
        "eps = 1e-3 as in its experiments, optzoo's defaults too)",
        no_package="the authors published no package; the paper's Algorithm 2 is the reference",
    ),
)
def yogi(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-3,
    *,
    initial_accumulator_value: jax.typing.ArrayLike | None = None,
    initial_mu_value: jax.typing.ArrayLike | None = None,
    bias_correction: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""Yogi: Adam with an additive second-moment update that cannot grow too fast.

    :math:`x_{t+1} = x_t - \eta\, u_t` with :math:`u_t` from :func:`optzoo.scale_by_yogi`.
    optzoo (optax) bias-corrects and starts both moments at 1e-6;
    ``optzoo.create("yogi", preset="authors")`` gives the paper's Algorithm 2 (neither).

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: moment rates.
      eps: denominator.
      initial_accumulator_value: initial second moment (and first, unless
        ``initial_mu_value``); ``None`` (default): optax's 1e-6. optax's yogi has no such
        argument; the ``None`` default keeps it out of ``inject_hyperparams``'
        hyperparameters, as with optax.
      initial_mu_value: initial first moment; ``None`` follows ``initial_accumulator_value``.
      bias_correction: bias-correct both moments (``False``: the paper's Algorithm 2).

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.yogi``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.yogi(1e-2)

    References:
      Zaheer et al. Adaptive Methods for Nonconvex Optimization. 2018.
      https://papers.nips.cc/paper/2018/hash/90365351ccc7437a1309dc64e4db32a3-Abstract.html
    """
    check_finite("learning_rate", learning_rate)
    if initial_accumulator_value is None:
        initial_accumulator_value = 1e-6
    check_nonnegative("initial_accumulator_value", initial_accumulator_value)
    return optax.chain(
        scale_by_yogi(
            b1=b1,
            b2=b2,
            eps=eps,
            initial_accumulator_value=initial_accumulator_value,
            initial_mu_value=initial_mu_value,
            bias_correction=bias_correction,
        ),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "laprop",
    family="adam",
    reference=ZIYIN_2020_LAPROP,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    also_in=(),
    authors=Authors(
        code="paper, Algorithm 1 (weight decay of the authors' laprop.py)",
        preset={"learning_rate": 4e-4, "decay_after_step": True},
        differences="the authors' laprop.py shrinks the stepped weights by (1 - wd), not by "
        "lr * wd before the step (decay_after_step=True); lr 4e-4",
        no_package="the authors published a source file (Z-T-WANG/LaProp-Optimizer, "
        "laprop.py), no package",
    ),
)
def laprop(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-15,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
    decay_after_step: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""LaProp: momentum over RMS-normalised gradients.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_laprop`. The paper keeps :math:`\eta` inside the momentum (so a
    changing rate is averaged); here it multiplies the update, as in the rest of optzoo,
    which is identical for a constant rate. With ``decay_after_step=True`` the weight decay
    is the authors' ``laprop.py``'s: :math:`x_{t+1} = (1-\lambda)(x_t - \eta u_t)`.

    optzoo decays AdamW-style where the authors shrink the stepped weights by
    :math:`1-\lambda` (lr 4e-4): ``optzoo.create("laprop", preset="authors")``.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: momentum and second-moment decays.
      eps: denominator.
      weight_decay: decoupled :math:`\lambda`.
      mask: weight-decay mask.
      decay_after_step: shrink the stepped weights by :math:`1-\lambda` (not scaled by
        the learning rate) instead of subtracting :math:`\eta\lambda x_t`.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.laprop(4e-4)

    References:
      Ziyin, Wang, Ueda. LaProp: Separating Momentum and Adaptivity in Adam. 2020.
      https://arxiv.org/abs/2002.04839
    """
    if not decay_after_step:
        return with_decoupled_decay(
            scale_by_laprop(b1=b1, b2=b2, eps=eps),
            learning_rate,
            weight_decay,
            mask,
        )
    return with_decay_after_step(
        scale_by_laprop(b1=b1, b2=b2, eps=eps),
        learning_rate,
        weight_decay,
        mask,
        scaled_by_learning_rate=False,
    )


@register(
    "stable_adamw",
    family="adam",
    reference=WORTSMAN_2023_STABLE_ADAMW,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    also_in=(),
    authors=Authors(
        code="paper, Algorithm 2",
        no_package="the authors published no package (the algorithm box is the reference; "
        "open_clip, their training code, has no StableAdamW)",
    ),
)
def stable_adamw(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.99,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 1e-2,
) -> optax.GradientTransformationExtraArgs:
    r"""StableAdamW: AdamW with debiased betas and per-tensor update clipping.

    :math:`x_{t+1} = x_t - \eta\, u_t` with :math:`u_t` from :func:`optzoo.scale_by_stable_adamw`
    (weight decay included and clipped like the step).

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: moment decays.
      eps: denominator.
      weight_decay: decoupled :math:`\lambda`.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.stable_adamw(1e-3, weight_decay=0.1)

    References:
      Wortsman et al. Stable and low-precision training for large-scale vision-language
      models. 2023. https://arxiv.org/abs/2304.13013
    """
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    return optax.chain(
        scale_by_stable_adamw(b1=b1, b2=b2, eps=eps, weight_decay=weight_decay),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "grams",
    family="adam",
    reference=CAO_2024_GRAMS,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    also_in=(),
    authors=Authors(
        code="grams-pytorch==0.0.2",
        preset={"eps_before_correction": True},
        differences="eps added before the bias correction (eps / sqrt(1 - b2^t) in optzoo's form)",
    ),
)
def grams(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-6,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
    eps_before_correction: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""Grams: Adam magnitudes, current-gradient signs.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_grams`. The authors' ``grams-pytorch`` adds ``eps`` before the
    bias correction; ``optzoo.create("grams", preset="authors")`` does too.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: moment decays.
      eps: denominator.
      weight_decay: decoupled :math:`\lambda`.
      mask: weight-decay mask.
      eps_before_correction: add ``eps`` to :math:`\sqrt{v_t}` before the bias correction.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.grams(1e-3)

    References:
      Cao, Li, Song. Grams: Gradient Descent with Adaptive Momentum Scaling. 2024.
      https://arxiv.org/abs/2412.17107
    """
    return with_decoupled_decay(
        scale_by_grams(b1=b1, b2=b2, eps=eps, eps_before_correction=eps_before_correction),
        learning_rate,
        weight_decay,
        mask,
    )


# create("adabound") converges to SGD at 1e-3 (the paper's 0.1 diverges on stiff problems
# such as the generic Rosenbrock check); the signature keeps the paper's 0.1.
@register(
    "adabound",
    family="adam",
    reference=LUO_2019_ADABOUND,
    state_per_param=2,
    defaults={"learning_rate": 1e-2, "final_lr": 1e-3},
    also_in=(),
    authors=Authors(
        code="adabound==0.0.5",
        preset={"learning_rate": 1e-3, "final_lr": 0.1},
        differences="create() defaults to lr 1e-2 and final_lr 1e-3, the authors to 1e-3 and "
        "0.1; the update is the same",
    ),
)
def adabound(
    learning_rate: optax.ScalarOrSchedule,
    final_lr: jax.typing.ArrayLike = 0.1,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    gamma: jax.typing.ArrayLike = 1e-3,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
) -> optax.GradientTransformationExtraArgs:
    r"""AdaBound: Adam with step sizes clipped into bounds that converge to ``final_lr``.

    :math:`x_{t+1} = x_t - u_t` with :math:`u_t` from :func:`optzoo.scale_by_adabound`
    applied to :math:`g_t + \lambda x_t` (coupled L2, as in the authors' code).

    Args:
      learning_rate: Adam's step :math:`\eta`.
      final_lr: the SGD rate the bounds converge to.
      b1, b2: moment decays.
      gamma: convergence speed of the bounds.
      eps: denominator.
      weight_decay: coupled L2 :math:`\lambda`.

    Returns:
      A ``GradientTransformationExtraArgs``.

    ``create("adabound")`` defaults to lr 1e-2 and ``final_lr`` 1e-3 where the authors'
    ``adabound`` package has 1e-3 and 0.1: ``optzoo.create("adabound", preset="authors")``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adabound(1e-3, final_lr=0.1)

    References:
      Luo, Xiong, Liu, Sun. Adaptive Gradient Methods with Dynamic Bound of Learning Rate.
      2019. https://arxiv.org/abs/1902.09843
    """
    check_nonnegative("eps", eps)
    check_finite("learning_rate", learning_rate)
    return optax.chain(
        add_decayed_weights(weight_decay),
        scale_by_adabound(learning_rate, final_lr=final_lr, b1=b1, b2=b2, gamma=gamma, eps=eps),
        scale(-1.0),
    )


@register(
    "adamp",
    family="adam",
    reference=HEO_2021_ADAMP,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    also_in=(),
    authors=Authors(
        code="adamp==0.3.0",
        preset={"learning_rate": 1e-3, "channel_axis": 0},
        differences="channels on the last axis (Flax kernels) where the authors' PyTorch code "
        "uses axis 0; create() lr 1e-2 vs 1e-3",
    ),
)
def adamp(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
    delta: jax.typing.ArrayLike = 0.1,
    wd_ratio: jax.typing.ArrayLike = 0.1,
    nesterov: bool = False,
    channel_axis: int | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""AdamP: Adam with projection of the radial component on scale-invariant weights.

    :math:`x_{t+1} = x_t - \eta\,u_t` with :math:`u_t` from :func:`optzoo.scale_by_adamp`.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: moment decays.
      eps: denominator.
      weight_decay: decoupled :math:`\lambda` (times ``wd_ratio`` on projected leaves).
      delta: threshold of the cosine test.
      wd_ratio: weight-decay factor on projected leaves.
      nesterov: Nesterov momentum.
      channel_axis: axis of the channels; ``None`` is the last axis (Flax kernels), PyTorch
        layouts use 0.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Channels are the last axis (Flax) where the authors' ``adamp`` (PyTorch layouts) uses axis
    0, and their lr is 1e-3: ``optzoo.create("adamp", preset="authors")``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adamp(1e-3, weight_decay=1e-2)

    References:
      Heo et al. AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant
      Weights. 2021. https://arxiv.org/abs/2006.08217
    """
    check_nonnegative("weight_decay", weight_decay)
    check_nonnegative("delta", delta)
    check_nonnegative("wd_ratio", wd_ratio)
    return optax.chain(
        scale_by_adamp(
            b1=b1,
            b2=b2,
            eps=eps,
            weight_decay=weight_decay,
            delta=delta,
            wd_ratio=wd_ratio,
            nesterov=nesterov,
            channel_axis=channel_axis,
        ),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "adam_mini",
    family="adam",
    reference=ZHANG_2024_ADAM_MINI,
    state_per_param=1,
    defaults={"learning_rate": 1e-2},
    also_in=(),
    authors=Authors(
        code="adam-mini==1.1.1",
        preset={"partition": "authors", "mask": "authors"},
        differences="one block per output neuron of every matrix; the authors' partition is "
        "by parameter name (embedding/output/value/mlp rows, query/key heads, bias entries, "
        "one block per whole tensor otherwise) and norm/bias parameters are not decayed",
    ),
)
def adam_mini(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
    block_axis: int | None = None,
    partition: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Adam-mini: AdamW with one second-moment scalar per block of parameters.

    Block partition: for leaves with two or more axes, one block per index of ``block_axis``
    (default the last axis: one per output neuron of a Flax ``Dense``/``Conv`` kernel); each
    vector or scalar leaf is one block. The paper additionally splits attention Q/K by head
    and embeddings by token; pass a ``block_axis`` or a ``partition`` for those.
    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_adam_mini`. The authors' package partitions by parameter name
    (:func:`optzoo.adam_mini_partition`) and exempts norm/bias parameters from decay
    (:func:`optzoo.adam_mini_decay_mask`): ``optzoo.create("adam_mini", preset="authors")``.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: moment decays.
      eps: denominator.
      weight_decay: decoupled :math:`\lambda`.
      mask: weight-decay mask.
      block_axis: the axis indexing blocks (``None``: the last axis).
      partition: per-leaf blocks, a tree or a callable on the params (see
        :func:`optzoo.scale_by_adam_mini`); ``"authors"`` is :func:`optzoo.adam_mini_partition`
        (for a model with attention use ``functools.partial(adam_mini_partition, dim=...,
        n_heads=...)``).
      mask: also ``"authors"``: :func:`optzoo.adam_mini_decay_mask`.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import functools, optzoo
      >>> tx = optzoo.adam_mini(1e-3, weight_decay=0.1)
      >>> # The authors' name-based partition for a Flax transformer (kernels (in, out)):
      >>> authors = functools.partial(
      ...     optzoo.adam_mini_partition, dim=512, n_heads=8, matrix_layout="in_out")
      >>> tx = optzoo.adam_mini(1e-3, weight_decay=0.1, partition=authors,
      ...                       mask=optzoo.adam_mini_decay_mask)

    References:
      Zhang et al. Adam-mini: Use Fewer Learning Rates To Gain More. 2024.
      https://arxiv.org/abs/2406.16793
    """
    if isinstance(partition, str) and partition == "authors":
        partition = adam_mini_partition
    if isinstance(mask, str) and mask == "authors":
        mask = adam_mini_decay_mask
    return with_decoupled_decay(
        scale_by_adam_mini(b1=b1, b2=b2, eps=eps, block_axis=block_axis, partition=partition),
        learning_rate,
        weight_decay,
        mask,
    )


# The authors' keyword sets (adam-mini 1.1.1), matched as substrings of the lower-case
# parameter name ("layers.0.attention.wq.kernel").
_MINI_EMBED = ("embed", "embd", "wte")
_MINI_OUTPUT = ("lm_head", "output", "final_layer")
_MINI_QK = ("k_proj", "q_proj", "wq", "wk", "query", "key")
_MINI_ROWS = ("v_proj", "wv", "value", "o_proj", "wo", "attn.proj", "feed_forward")
_MINI_ROWS_MORE = ("linear", "mlp")


def _dotted_names(params: Any) -> Any:
    return jax.tree_util.tree_map_with_path(
        lambda path, _: jax.tree_util.keystr(path, simple=True, separator=".").lower(), params
    )


def adam_mini_partition(
    params: Any,
    *,
    dim: int | None = None,
    n_heads: int | None = None,
    matrix_layout: str = "out_in",
) -> Any:
    r"""The Adam-mini authors' block partition, from the parameters' names.

    Follows ``adam-mini`` 1.1.1 (Zhang et al. 2024), on each leaf's key path joined with
    dots and lower-cased: a name containing ``bias`` is plain Adam (``"element"``); a query
    or key (``q_proj``, ``k_proj``, ``wq``, ``wk``, ``query``, ``key``) has one block per
    head (``("split", out_axis, out_size // (dim // n_heads))``); embeddings (``embed``,
    ``embd``, ``wte``) have one block per token, and outputs, values, attention outputs and
    MLPs (``lm_head``, ``output``, ``v_proj``, ``wv``, ``o_proj``, ``mlp``, ``linear`` ...)
    one per output neuron; every other leaf (norms, and names the authors do not know) is
    one block (``"whole"``), as are vectors in the row classes. (The package averages a
    rank-3 leaf of the row classes over its second axis only; here such a leaf has one
    block per index of the output axis.)

    Args:
      params: the parameter tree (or anything with its structure, names and shapes).
      dim: model width; needed only when a query or key is present.
      n_heads: attention heads; needed only when a query or key is present.
      matrix_layout: ``"out_in"`` (PyTorch weights, the authors') or ``"in_out"`` (Flax
        kernels: output neurons on the last axis; embedding tables stay ``(vocab, dim)``).

    Returns:
      A tree of block specs for ``adam_mini(partition=...)``.

    Example:
      >>> import functools, jax.numpy as jnp, optzoo
      >>> params = {"wte": jnp.zeros((10, 4)), "q_proj": {"weight": jnp.zeros((4, 4))}}
      >>> optzoo.adam_mini_partition(params, dim=4, n_heads=2)
      {'q_proj': {'weight': ('split', 0, 2)}, 'wte': 0}
    """
    if matrix_layout not in ("out_in", "in_out"):
        raise ValueError(f"matrix_layout must be 'out_in' or 'in_out', got {matrix_layout!r}")
    out_axis = 0 if matrix_layout == "out_in" else -1

    def spec(name: str, x: Any) -> Any:
        if "bias" in name:
            return "element"
        if jnp.ndim(x) < 2:
            return "whole"
        if any(k in name for k in _MINI_QK):
            if dim is None or n_heads is None:
                raise ValueError(
                    f"adam_mini_partition: {name!r} is a query/key; pass dim= and n_heads= "
                    "(functools.partial(optzoo.adam_mini_partition, dim=..., n_heads=...))"
                )
            size = jnp.shape(x)[out_axis]
            return ("split", out_axis, size // (dim // n_heads))
        if any(k in name for k in _MINI_EMBED):
            return 0
        if any(k in name for k in _MINI_OUTPUT + _MINI_ROWS + _MINI_ROWS_MORE):
            return out_axis
        return "whole"

    return jax.tree.map(spec, _dotted_names(params), params)


def adam_mini_decay_mask(params: Any) -> Any:
    """``False`` for the leaves the Adam-mini authors do not decay (names containing
    ``norm``, ``ln`` or ``bias``), ``True`` elsewhere: ``adam_mini(mask=...)``."""
    return jax.tree.map(
        lambda name: not any(k in name for k in ("norm", "ln", "bias")), _dotted_names(params)
    )


@register(
    "mars_adamw",
    family="adam",
    reference=YUAN_2024_MARS,
    state_per_param=3,
    defaults={"learning_rate": 1e-2},
    also_in=(),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={"optimize_1d": False},
        differences="MARS on every leaf; the authors' MARS (optimize_1d=False) runs plain "
        "AdamW (betas (0.9, 0.95), wd 0.1) on leaves that are not matrices",
        no_package="the authors published source files (AGI-Arena/MARS)",
    ),
)
def mars_adamw(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.95,
    b2: jax.typing.ArrayLike = 0.99,
    gamma: jax.typing.ArrayLike = 0.025,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
    optimize_1d: bool = True,
    b1_1d: float = 0.9,
    b2_1d: float = 0.95,
    lr_1d_ratio: float = 1.0,
    weight_decay_1d: float = 0.1,
) -> optax.GradientTransformationExtraArgs:
    r"""MARS-AdamW: AdamW on variance-reduced (and norm-clipped) gradients.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_mars` (``mode="adamw"``), applied to every leaf by default; the
    authors' code keeps plain AdamW for leaves that are not matrices
    (``optzoo.create("mars_adamw", preset="authors")``, i.e. ``optimize_1d=False``).

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: moment decays.
      gamma: variance-reduction strength.
      eps: denominator.
      weight_decay: decoupled :math:`\lambda`.
      mask: weight-decay mask.
      optimize_1d: MARS on every leaf (``True``); ``False`` (the authors' default) runs
        AdamW with ``b1_1d, b2_1d``, learning rate ``lr_1d_ratio * learning_rate`` and
        decoupled decay ``weight_decay_1d`` on every leaf whose rank is not 2.
      b1_1d, b2_1d: moment decays of that AdamW.
      lr_1d_ratio: its learning rate over ``learning_rate`` (the authors' ``lr_1d / lr``).
      weight_decay_1d: its decoupled weight decay.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.mars_adamw(3e-3, weight_decay=1e-2)

    References:
      Yuan, Liu, Wu, Zhou, Gu. MARS: Unleashing the Power of Variance Reduction for Training
      Large Models. 2024. https://arxiv.org/abs/2411.10438
    """
    check_nonnegative("eps", eps)
    return mars_chain(
        scale_by_mars(b1=b1, b2=b2, gamma=gamma, eps=eps, mode="adamw"),
        learning_rate,
        weight_decay,
        mask,
        optimize_1d,
        (b1_1d, b2_1d, eps, lr_1d_ratio, weight_decay_1d),
    )


def mars_chain(
    direction: optax.GradientTransformation,
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: optax.ScalarOrSchedule,
    mask: Any,
    optimize_1d: bool,
    adamw_1d: tuple[Any, Any, Any, Any, Any],
) -> optax.GradientTransformationExtraArgs:
    """MARS with decoupled decay on every leaf, or (``optimize_1d=False``, the authors'
    default) on the matrices only and AdamW ``(b1, b2, eps, lr_ratio, wd)`` on the rest."""
    b1_1d, b2_1d, eps, lr_ratio, wd_1d = adamw_1d
    check_decay("b1_1d", b1_1d)
    check_decay("b2_1d", b2_1d)
    check_nonnegative("lr_1d_ratio", lr_ratio)
    check_nonnegative("weight_decay_1d", wd_1d)
    mars = with_decoupled_decay(direction, learning_rate, weight_decay, mask)
    if optimize_1d:
        return mars
    b1_1d, b2_1d, eps, lr_ratio, wd_1d = adamw_1d
    lr_1d = (
        (lambda count: lr_ratio * learning_rate(count))
        if callable(learning_rate)
        else lr_ratio * learning_rate
    )
    adamw_1d_tx = with_decoupled_decay(
        optax.scale_by_adam(b1=b1_1d, b2=b2_1d, eps=eps), lr_1d, wd_1d, None
    )

    def labels(tree):
        return jax.tree.map(lambda x: "mars" if jnp.ndim(x) == 2 else "adamw", tree)

    return optax.with_extra_args_support(
        optax.multi_transform({"mars": mars, "adamw": adamw_1d_tx}, labels)
    )


@register(
    "ademamix",
    family="adam",
    reference=PAGLIARDINI_2024_ADEMAMIX,
    state_per_param=3,
    defaults={"learning_rate": 1e-2},
    also_in=("optax.contrib",),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={"learning_rate": 1e-3, "alpha": 2.0},
        differences="alpha 5 (the authors' code: 2) and create() lr 1e-2 (1e-3); their "
        "warm-up schedules count steps from 1, optzoo's schedules from 0",
        no_package="the authors published source files (apple/ml-ademamix, PyTorch and optax), "
        "no package",
    ),
)
def ademamix(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    b3: optax.ScalarOrSchedule = 0.9999,
    alpha: optax.ScalarOrSchedule = 5.0,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: Any | None = None,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""AdEMAMix: Adam with an extra slow EMA of the gradient.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_ademamix`. The paper warms up ``b3`` and ``alpha``; pass schedules.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2, b3: fast-EMA, second-moment and slow-EMA decays.
      alpha: slow-EMA weight.
      eps, eps_root: denominators.
      mu_dtype: dtype of the moments.
      weight_decay: :math:`\lambda` (decoupled).
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformation`` equal to ``optax.contrib.ademamix``.

    The authors' code (apple/ml-ademamix) defaults to alpha 2 and lr 1e-3:
    ``optzoo.create("ademamix", preset="authors")``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.ademamix(1e-3, alpha=8.0)

    References:
      Pagliardini, Ablin, Grangier. The AdEMAMix Optimizer: Better, Faster, Older. 2024.
      https://arxiv.org/abs/2409.03137
    """
    check_decay("b3", b3)
    check_nonnegative("alpha", alpha)
    check_nonnegative("eps", eps)
    check_nonnegative("eps_root", eps_root)
    return with_decoupled_decay(
        scale_by_ademamix(
            b1=b1, b2=b2, b3=b3, alpha=alpha, eps=eps, eps_root=eps_root, mu_dtype=mu_dtype
        ),
        learning_rate,
        weight_decay,
        mask,
    )


@register(
    "simplified_ademamix",
    family="adam",
    reference=MORWANI_2024_SIMPLIFIED_ADEMAMIX,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
    also_in=("optax.contrib",),
    authors=Authors(
        code="the authors' simplified_AdEMAMix.py (SimAdEMAMix.step)",
        differences="none by default (the authors' optional beta1 warm-up, off by default, "
        "has no optzoo argument)",
        no_package="the authors published one source file to copy (DepenM/Simplified-AdEMAMix), "
        "no package; its constructor indexes a third beta its defaults lack",
    ),
)
def simplified_ademamix(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.99,
    b2: jax.typing.ArrayLike = 0.95,
    alpha: optax.ScalarOrSchedule = 0.0,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""Simplified AdEMAMix: one undamped momentum plus :math:`\alpha g_t`.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_simplified_ademamix`. The momentum is a sum (no
    :math:`1-\beta_1`), so steps are up to :math:`1/(1-\beta_1)` times Adam's.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: momentum and second-moment decays.
      alpha: weight of the current gradient.
      eps, eps_root: denominators.
      weight_decay: :math:`\lambda`.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformation`` equal to ``optax.contrib.simplified_ademamix``.

    The defaults are those of the authors' ``SimAdEMAMix`` (without its optional beta1
    warm-up); ``optzoo.create("simplified_ademamix", preset="authors")`` is the same.

    Example:
      >>> import optzoo
      >>> tx = optzoo.simplified_ademamix(1e-4, alpha=2.0)

    References:
      Morwani, Vyas, Zhang, Kakade. Connections between Schedule-Free Optimizers, AdEMAMix,
      and Accelerated SGD Variants. 2025. https://arxiv.org/abs/2502.02431
    """
    check_nonnegative("alpha", alpha)
    check_nonnegative("eps", eps)
    check_nonnegative("eps_root", eps_root)
    return with_decoupled_decay(
        scale_by_simplified_ademamix(b1=b1, b2=b2, alpha=alpha, eps=eps, eps_root=eps_root),
        learning_rate,
        weight_decay,
        mask,
    )


@register(
    "adopt",
    family="adam",
    reference=TANIGUCHI_2024_ADOPT,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    also_in=("optax.contrib",),
    authors=Authors(
        code="torch-adopt==0.1.0",
        preset={"learning_rate": 1e-3},
        differences="same update; create() lr 1e-2 vs 1e-3, and optax.contrib's adopt has "
        "no weight decay (the authors': coupled L2, optzoo's weight_decay)",
    ),
)
def adopt(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.9999,
    eps: jax.typing.ArrayLike = 1e-6,
    mu_dtype: Any | None = None,
    *,
    nesterov: bool = False,
    use_clipping: bool = True,
    clip_value_fn: Callable[[jnp.ndarray], jnp.ndarray] | None = None,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    decouple: bool = False,
    mask: MaskOrFn = None,
) -> optax.GradientTransformationExtraArgs:
    r"""ADOPT: Adam with the second moment taken one step late and momentum after scaling.

    :math:`x_{t+1} = x_t - \eta\, m_t` with :math:`m_t` from :func:`optzoo.scale_by_adopt`.

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: momentum and second-moment decays.
      eps: lower bound of the denominator.
      mu_dtype: dtype of the momentum.
      nesterov: Nesterov momentum.
      use_clipping: clip the normalised gradient by ``clip_value_fn(step)``.
      clip_value_fn: the clip bound; ``None`` is :math:`t^{1/4}`.
      weight_decay: :math:`\lambda`, added to the gradient (L2, the authors' default) or,
        with ``decouple``, :math:`x \leftarrow x - \eta\lambda x` from the second step on
        (the first step of ADOPT moves nothing, as in the authors' ``torch-adopt``).
      decouple: decoupled (AdamW-style) instead of L2 weight decay.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.contrib.adopt`` (without weight
      decay).

    The update is the authors' ``torch-adopt``; only create()'s lr (1e-2 vs 1e-3) differs:
    ``optzoo.create("adopt", preset="authors")``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adopt(1e-3)

    References:
      Taniguchi et al. ADOPT: Modified Adam Can Converge with Any beta_2 with the Optimal
      Rate. 2024. https://arxiv.org/abs/2411.02853
    """
    check_nonnegative("eps", eps)
    direction = scale_by_adopt(
        b1=b1,
        b2=b2,
        eps=eps,
        mu_dtype=mu_dtype,
        nesterov=nesterov,
        use_clipping=use_clipping,
        clip_value_fn=clip_value_fn,
    )
    if without_decay(weight_decay):
        # optax.contrib's chain (and state) exactly.
        return optax.chain(direction, scale_by_learning_rate(learning_rate))
    if decouple:
        return optax.chain(
            direction,
            _after_first_step(add_decayed_weights(weight_decay, mask)),
            scale_by_learning_rate(learning_rate),
        )
    return with_coupled_decay(direction, learning_rate, weight_decay, mask)


class _AfterFirstStepState(NamedTuple):
    steps: jax.Array
    inner: optax.OptState


def _after_first_step(inner: optax.GradientTransformation) -> optax.GradientTransformation:
    # ADOPT's decoupled decay: the first call passes the updates through untouched.
    def init_fn(params):
        return _AfterFirstStepState(steps=jnp.zeros([], jnp.int32), inner=inner.init(params))

    def update_fn(updates, state, params=None):
        new, inner_state = inner.update(updates, state.inner, params)
        new = optax.tree.where(state.steps == 0, updates, new)
        return new, _AfterFirstStepState(optax.safe_increment(state.steps), inner_state)

    return optax.GradientTransformation(init_fn, update_fn)


MA_YARATS_2018_QHADAM = Reference(
    "Jerry Ma, Denis Yarats",
    "Quasi-hyperbolic momentum and Adam for deep learning",
    2018,
    "https://arxiv.org/abs/1810.06801",
)
DING_2019_ADAMOD = Reference(
    "Jianbang Ding, Xuancheng Ren, Ruixuan Luo, Xu Sun",
    "An Adaptive and Momental Bound Method for Stochastic Learning",
    2019,
    "https://arxiv.org/abs/1910.12249",
)
DUBEY_2019_DIFFGRAD = Reference(
    "Shiv Ram Dubey, Soumendu Chakraborty, Swalpa Kumar Roy, Snehasis Mukherjee, "
    "Satish Kumar Singh, Bidyut Baran Chaudhuri",
    "diffGrad: An Optimization Method for Convolutional Neural Networks",
    2019,
    "https://arxiv.org/abs/1909.11015",
)


@register(
    "qhadam",
    family="adam",
    reference=MA_YARATS_2018_QHADAM,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    authors=Authors(
        code="qhoptim==1.1.0",
        preset={"learning_rate": 1e-3, "b1": 0.9, "nu1": 1.0},
        differences="optzoo defaults to the paper's recommended b1=0.995, nu1=0.7 and "
        "create() to lr 1e-2; the authors' package defaults to Adam's (b1=0.9, nus=(1, 1), "
        "lr 1e-3); the update is the same",
    ),
)
def qhadam(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.995,
    b2: float = 0.999,
    nu1: float = 0.7,
    nu2: float = 1.0,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""QHAdam: Adam whose moments are mixed with the current gradient (:func:`scale_by_qhadam`).

    :math:`x_{t+1} = x_t - \eta\, u_t` with :math:`u_t` from :func:`optzoo.scale_by_qhadam`
    on :math:`g_t + \lambda x_t` (weight decay coupled, as pytorch_optimizer's default).
    The defaults are the paper's recommendation (:math:`\beta_1 = 0.995, \nu_1 = 0.7`);
    :math:`\nu_1 = \nu_2 = 1` is Adam.

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      b1, b2: moment decays.
      nu1, nu2: weights of the moments against the current gradient, in ``[0, 1]``.
      eps: added to the root.
      weight_decay: L2 coefficient :math:`\lambda` added to the gradient.
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.qhadam(1e-3, nu1=0.7)
      >>> state = tx.init(jnp.ones(3))

    References:
      Jerry Ma, Denis Yarats. Quasi-hyperbolic momentum and Adam for deep learning. 2018.
      https://arxiv.org/abs/1810.06801
    """
    check_nonnegative("weight_decay", weight_decay)
    return with_coupled_decay(
        scale_by_qhadam(b1=b1, b2=b2, nu1=nu1, nu2=nu2, eps=eps), learning_rate, weight_decay, mask
    )


@register(
    "adamod",
    family="adam",
    reference=DING_2019_ADAMOD,
    state_per_param=3,
    defaults={"learning_rate": 1e-2},
    authors=Authors(
        code="adamod==0.0.3",
        preset={"learning_rate": 1e-3},
        differences="same update and decoupled decay; create() lr 1e-2 vs the authors' 1e-3",
    ),
)
def adamod(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    b3: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    mask: Any = None,
    decouple: bool = True,
) -> optax.GradientTransformation:
    r"""AdaMod: Adam with each step size capped by its running average (:func:`scale_by_adamod`).

    :math:`x_{t+1} = x_t - \eta (u_t + \lambda x_t)` with
    :math:`u_t` from :func:`optzoo.scale_by_adamod` (decoupled decay, as the authors' code);
    with ``decouple=False`` :math:`\lambda x_t` is added to the gradient instead
    (pytorch_optimizer's ``weight_decouple=False``). The cap removes the very large early
    steps of Adam without a warm-up.

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      b1, b2: Adam's moment decays.
      b3: decay of the step-size average.
      eps: added to :math:`\sqrt{v_t}`.
      weight_decay: decay :math:`\lambda`.
      mask: which leaves decay, as in optax.
      decouple: decoupled decay (AdamW's form); ``False`` adds an L2 term to the gradient.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.adamod(1e-3, b3=0.999)
      >>> state = tx.init(jnp.ones(3))

    References:
      Jianbang Ding, Xuancheng Ren, Ruixuan Luo, Xu Sun. An Adaptive and Momental Bound
      Method for Stochastic Learning. 2019. https://arxiv.org/abs/1910.12249
    """
    direction = scale_by_adamod(b1=b1, b2=b2, b3=b3, eps=eps)
    return _decayed(direction, learning_rate, weight_decay, mask, decouple)


@register(
    "diffgrad",
    family="adam",
    reference=DUBEY_2019_DIFFGRAD,
    state_per_param=3,
    defaults={"learning_rate": 1e-2},
    authors=Authors(
        code="paper, Algorithm 1 (diffGrad)",
        preset={"learning_rate": 1e-3},
        differences="optzoo (as the authors' PyTorch code and pytorch_optimizer) adds eps to "
        "sqrt(v_t) before the second bias correction, the algorithm box to sqrt(v_hat_t); "
        "create() lr 1e-2 vs the paper's 1e-3",
        no_package="the authors published source files (shivram1987/diffGrad), no package",
    ),
)
def diffgrad(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""diffGrad: Adam damped by how much each gradient entry changed (:func:`scale_by_diffgrad`).

    :math:`x_{t+1} = x_t - \eta (u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_diffgrad` (decoupled decay, as pytorch_optimizer's default; the
    authors' code adds an L2 term to the gradient instead).

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      b1, b2: Adam's moment decays.
      eps: added to :math:`\sqrt{v_t}`.
      weight_decay: decoupled decay :math:`\lambda`.
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.diffgrad(1e-3)
      >>> state = tx.init(jnp.ones(3))

    References:
      Shiv Ram Dubey, Soumendu Chakraborty, Swalpa Kumar Roy, Snehasis Mukherjee, Satish
      Kumar Singh, Bidyut Baran Chaudhuri. diffGrad: An Optimization Method for
      Convolutional Neural Networks. 2019. https://arxiv.org/abs/1909.11015
    """
    check_nonnegative("weight_decay", weight_decay)
    return with_decoupled_decay(
        scale_by_diffgrad(b1=b1, b2=b2, eps=eps), learning_rate, weight_decay, mask
    )


# AdaNorm, AdaPNM, AdaShift, AvaGrad, FAdam, EXAdam, AdamS and Padam.
from optzoo.transforms.adam import (  # noqa: E402
    scale_by_adams,
    scale_by_adanorm,
    scale_by_adapnm,
    scale_by_adashift,
    scale_by_avagrad,
    scale_by_exadam,
    scale_by_fadam,
    scale_by_padam,
)

__all__ += ["adanorm", "adapnm", "adashift", "avagrad", "fadam", "exadam", "adams", "padam"]

DUBEY_2022_ADANORM = Reference(
    "Shiv Ram Dubey, Satish Kumar Singh, Bidyut Baran Chaudhuri",
    "AdaNorm: Adaptive Gradient Norm Correction based Optimizer for CNNs",
    2022,
    "https://arxiv.org/abs/2210.06364",
)
ZHOU_2018_ADASHIFT = Reference(
    "Zhiming Zhou, Qingru Zhang, Guansong Lu, Hongwei Wang, Weinan Zhang, Yong Yu",
    "AdaShift: Decorrelation and Convergence of Adaptive Learning Rate Methods",
    2018,
    "https://arxiv.org/abs/1810.00143",
)
SAVARESE_2019_AVAGRAD = Reference(
    "Pedro Savarese, David McAllester, Sudarshan Babu, Michael Maire",
    "Domain-independent Dominance of Adaptive Methods",
    2019,
    "https://arxiv.org/abs/1912.01823",
)
HWANG_2024_FADAM = Reference(
    "Dongseong Hwang",
    "FAdam: Adam is a natural gradient optimizer using diagonal empirical Fisher information",
    2024,
    "https://arxiv.org/abs/2405.12807",
)
ADLY_2024_EXADAM = Reference(
    "Ahmed M. Adly",
    "EXAdam: The Power of Adaptive Cross-Moments",
    2024,
    "https://arxiv.org/abs/2412.20302",
)
XIE_2020_ADAMS = Reference(
    "Zeke Xie, Zhiqiang Xu, Jingzhao Zhang, Issei Sato, Masashi Sugiyama",
    "On the Overlooked Pitfalls of Weight Decay and How to Mitigate Them: "
    "A Gradient-Norm Perspective",
    2020,
    "https://arxiv.org/abs/2011.11152",
)
CHEN_GU_2018_PADAM = Reference(
    "Jinghui Chen, Dongruo Zhou, Yiqi Tang, Ziyan Yang, Yuan Cao, Quanquan Gu",
    "Closing the Generalization Gap of Adaptive Gradient Methods in Training Deep Neural Networks",
    2018,
    "https://arxiv.org/abs/1806.06763",
)
XIE_2021_ADAPNM = Reference(
    "Zeke Xie, Li Yuan, Zhanxing Zhu, Masashi Sugiyama",
    "Positive-Negative Momentum: Manipulating Stochastic Gradient Noise to Improve Generalization",
    2021,
    "https://arxiv.org/abs/2103.17182",
)


def _decayed(
    direction: optax.GradientTransformation,
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: optax.ScalarOrSchedule,
    mask: Any,
    decouple: bool,
) -> optax.GradientTransformation:
    """Decoupled (AdamW's form) or coupled (L2 on the gradient) decay around ``direction``."""
    check_nonnegative("weight_decay", weight_decay)
    tail = with_decoupled_decay if decouple else with_coupled_decay
    return tail(direction, learning_rate, weight_decay, mask)


@register(
    "adanorm",
    family="adam",
    reference=DUBEY_2022_ADANORM,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    authors=Authors(
        code="paper, Algorithm (AdamNorm)",
        preset={"learning_rate": 1e-3, "b2": 0.999},
        differences="optzoo (as pytorch_optimizer) adds eps to sqrt(v_t) before the second "
        "bias correction, the paper to sqrt(v_hat_t), and defaults to b2=0.99 "
        "(pytorch_optimizer's) where the paper uses 0.999; create() lr 1e-2 vs 1e-3",
        no_package="the authors published source files (shivram1987/AdaNorm), no package",
    ),
)
def adanorm(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.99,
    r: float = 0.95,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    mask: Any = None,
    decouple: bool = True,
    ams_bound: bool = False,
) -> optax.GradientTransformation:
    r"""AdaNorm (AdamNorm): Adam whose momentum sees gradients raised to their running norm.

    :math:`x_{t+1} = x_t - \eta (u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_adanorm` (decoupled decay, as pytorch_optimizer's default);
    ``decouple=False`` adds :math:`\lambda x_t` to the gradient instead. A gradient whose norm
    falls below its running average :math:`e_t` is rescaled to norm :math:`e_t` before it
    enters the first moment.

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      b1, b2: Adam's moment decays.
      r: decay of the gradient-norm average.
      eps: added to :math:`\sqrt{v_t}`.
      weight_decay: decay :math:`\lambda`.
      mask: which leaves decay, as in optax.
      decouple: decoupled decay; ``False`` adds an L2 term to the gradient.
      ams_bound: use the running maximum of the second moment (AMSGrad).

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adanorm(1e-3)

    References:
      Shiv Ram Dubey, Satish Kumar Singh, Bidyut Baran Chaudhuri. AdaNorm: Adaptive Gradient
      Norm Correction based Optimizer for CNNs. 2022. https://arxiv.org/abs/2210.06364

    optzoo defaults to pytorch_optimizer's ``b2=0.99``; the paper's settings (``b2=0.999``,
    lr 1e-3): ``optzoo.create("adanorm", preset="authors")``.
    """
    direction = scale_by_adanorm(b1=b1, b2=b2, r=r, eps=eps, ams_bound=ams_bound)
    return _decayed(direction, learning_rate, weight_decay, mask, decouple)


@register(
    "adapnm",
    family="adam",
    reference=XIE_2021_ADAPNM,
    state_per_param=4,
    defaults={"learning_rate": 1e-2},
    authors=Authors(
        code="paper, Algorithm 2 (AdaPNM)",
        preset={"learning_rate": 1e-3},
        differences="optzoo (as pytorch_optimizer) adds eps to sqrt(v_max) before the "
        "second bias correction, the paper after it; create() lr 1e-2 vs 1e-3",
        no_package="the authors published source files "
        "(zeke-xie/Positive-Negative-Momentum), no package",
    ),
)
def adapnm(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    b0: float = 1.0,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    mask: Any = None,
    decouple: bool = True,
    ams_bound: bool = True,
) -> optax.GradientTransformation:
    r"""AdaPNM: positive-negative momentum with AMSGrad's adaptive step (:func:`scale_by_adapnm`).

    :math:`x_{t+1} = x_t - \eta (u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_adapnm` (decoupled decay, as the paper and pytorch_optimizer);
    ``decouple=False`` adds :math:`\lambda x_t` to the gradient instead.

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      b1: momentum decay :math:`\beta_1`.
      b2: second-moment decay.
      b0: positive-negative weight :math:`\beta_0 \ge 0`.
      eps: added to the root.
      weight_decay: decay :math:`\lambda`.
      mask: which leaves decay, as in optax.
      decouple: decoupled decay; ``False`` adds an L2 term to the gradient.
      ams_bound: use the running maximum of the second moment (the paper's choice).

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adapnm(1e-3)

    References:
      Zeke Xie, Li Yuan, Zhanxing Zhu, Masashi Sugiyama. Positive-Negative Momentum:
      Manipulating Stochastic Gradient Noise to Improve Generalization. 2021.
      https://arxiv.org/abs/2103.17182

    Defaults are the paper's except lr for create() (1e-2); the authors' lr 1e-3:
    ``optzoo.create("adapnm", preset="authors")``.
    """
    direction = scale_by_adapnm(b1=b1, b2=b2, b0=b0, eps=eps, ams_bound=ams_bound)
    return _decayed(direction, learning_rate, weight_decay, mask, decouple)


@register(
    "adashift",
    family="adam",
    reference=ZHOU_2018_ADASHIFT,
    state_per_param=11,
    defaults={"learning_rate": 1e-2},
    authors=Authors(
        code="paper, Algorithm 1 (AdaShift, block-wise max), with pytorch_optimizer's bias "
        "correction 1 - b2^(t-n) and eps",
        preset={"learning_rate": 1e-3},
        differences="the algorithm box divides by sqrt(v_t) (no bias correction, no eps); "
        "optzoo, as pytorch_optimizer, by sqrt(v_t / (1 - b2^(t-n))) + eps; create() lr 1e-2 "
        "vs 1e-3",
        no_package="the authors published TensorFlow source files, no package",
    ),
)
def adashift(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    keep_num: int = 10,
    reduce_fn: Callable[[jax.Array], jax.Array] | None = jnp.max,
    eps: float = 1e-10,
    weight_decay: float = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""AdaShift: Adam with a temporally shifted second moment (:func:`scale_by_adashift`).

    :math:`x_{t+1} = x_t - \eta (u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_adashift`: a windowed average of the last ``keep_num`` gradients
    over the root of an average of gradients ``keep_num`` steps old (by default their maximum
    over the leaf), so the step size does not correlate with the current gradient. The
    parameters stay put for the first ``keep_num`` steps while the window fills.
    pytorch_optimizer's AdaShift has no weight decay (``weight_decay=0``, the default).

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      b1: weight decay of the window average.
      b2: second-moment decay.
      keep_num: window length :math:`n`; the state holds :math:`n` gradients.
      reduce_fn: spatial operation on the shifted squared gradient (``None``: element-wise).
      eps: added to the root.
      weight_decay: decoupled decay :math:`\lambda`.
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adashift(1e-3, keep_num=10)

    References:
      Zhiming Zhou, Qingru Zhang, Guansong Lu, Hongwei Wang, Weinan Zhang, Yong Yu.
      AdaShift: Decorrelation and Convergence of Adaptive Learning Rate Methods. 2018.
      https://arxiv.org/abs/1810.00143

    Defaults are pytorch_optimizer's except lr for create() (1e-2); lr 1e-3:
    ``optzoo.create("adashift", preset="authors")``.
    """
    check_nonnegative("weight_decay", weight_decay)
    direction = scale_by_adashift(b1=b1, b2=b2, keep_num=keep_num, reduce_fn=reduce_fn, eps=eps)
    return with_decoupled_decay(direction, learning_rate, weight_decay, mask)


@register(
    "avagrad",
    family="adam",
    reference=SAVARESE_2019_AVAGRAD,
    state_per_param=2,
    defaults={"learning_rate": 0.1},
    authors=Authors(
        code="paper, Algorithm 2 (AvaGrad) with Adam's bias corrections",
        preset={"paper_norm": True},
        differences="pytorch_optimizer (optzoo's default) normalizes each step by the "
        "step sizes of the step before (from v_{t-2}); the paper by the step's own "
        "(paper_norm=True, the authors' preset); the algorithm box has no bias corrections, "
        "optzoo (as pytorch_optimizer) divides m_t by 1 - b1^t and v_{t-1} by 1 - b2^(t-1) "
        "and skips the first step",
        no_package="the authors published source files (lolemacs/avagrad), no package",
    ),
)
def avagrad(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 0.1,
    weight_decay: float = 0.0,
    mask: Any = None,
    decouple: bool = True,
    paper_norm: bool = False,
) -> optax.GradientTransformation:
    r"""AvaGrad: Adam with RMS-normalized step sizes, so lr and eps tune separately.

    :math:`x_{t+1} = x_t - \eta (u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_avagrad` (decoupled decay, as pytorch_optimizer's default;
    ``decouple=False`` adds :math:`\lambda x_t` to the gradient instead). The first step
    only fills the moments.

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      b1, b2: Adam's moment decays.
      eps: adaptability :math:`\epsilon` added to the root (large: SGD-like).
      weight_decay: decay :math:`\lambda`.
      mask: which leaves decay, as in optax.
      decouple: decoupled decay; ``False`` adds an L2 term to the gradient.
      paper_norm: normalize by the current step sizes (the paper's Algorithm 2) instead
        of the previous step's (pytorch_optimizer 4.1.0).

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.avagrad(0.1, eps=0.1)

    References:
      Pedro Savarese, David McAllester, Sudarshan Babu, Michael Maire. Domain-independent
      Dominance of Adaptive Methods. 2019. https://arxiv.org/abs/1912.01823

    optzoo defaults to pytorch_optimizer's normalizer; the paper's:
    ``optzoo.create("avagrad", preset="authors")`` (``paper_norm=True``).
    """
    direction = scale_by_avagrad(b1=b1, b2=b2, eps=eps, paper_norm=paper_norm)
    return _decayed(direction, learning_rate, weight_decay, mask, decouple)


@register(
    "fadam",
    family="adam",
    reference=HWANG_2024_FADAM,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="paper, Algorithm 1 (FAdam) with the adaptive epsilon min(eps, eps_2 RMS(g))",
        differences="none in the update (pytorch_optimizer's form of the adaptive epsilon, "
        "whose exact form the transcription follows)",
        no_package="the author published source files (lessw2020/FAdam_PyTorch), no package",
    ),
)
def fadam(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_2: float = 0.01,
    clip: float = 1.0,
    p: float = 0.5,
    weight_decay: float = 0.1,
) -> optax.GradientTransformation:
    r"""FAdam (Fisher Adam): Adam read as natural gradient descent (:func:`scale_by_fadam`).

    :math:`x_{t+1} = x_t - \eta u_t` with :math:`u_t` from :func:`optzoo.scale_by_fadam`:
    momentum on RMS-clipped natural gradients :math:`g_t / (f_t^p + \epsilon_t)` plus the
    weight decay preconditioned (and clipped) the same way, so ``update`` needs ``params``
    when ``weight_decay > 0``. The decay applies to every leaf (no mask).

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      b1: momentum decay.
      b2: Fisher decay.
      eps: the largest epsilon.
      eps_2: epsilon relative to the gradient RMS.
      clip: RMS bound of the natural gradient and of the decay term.
      p: power of the Fisher (0.5: Adam's root).
      weight_decay: Fisher-preconditioned decay :math:`\lambda`.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.fadam(1e-3, weight_decay=0.1)

    References:
      Dongseong Hwang. FAdam: Adam is a natural gradient optimizer using diagonal empirical
      Fisher information. 2024. https://arxiv.org/abs/2405.12807

    Defaults are pytorch_optimizer's (the paper's, with its adaptive epsilon);
    ``optzoo.create("fadam", preset="authors")`` gives the same.
    """
    direction = scale_by_fadam(
        b1=b1, b2=b2, eps=eps, eps_2=eps_2, clip=clip, p=p, weight_decay=weight_decay
    )
    return optax.chain(direction, scale_by_learning_rate(learning_rate))


@register(
    "exadam",
    family="adam",
    reference=ADLY_2024_EXADAM,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="paper (arXiv v2), Algorithm 1 (EXAdam)",
        differences="none in the update; the paper's first version (arXiv v1) also grew the "
        "step size as lr ln(sqrt(2 (t + 1))), which v2, the author's code and "
        "pytorch_optimizer dropped",
        no_package="the author published source files (AhmedMostafa16/EXAdam), no package",
    ),
)
def exadam(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    mask: Any = None,
    decouple: bool = True,
) -> optax.GradientTransformation:
    r"""EXAdam: Adam with cross-moment bias corrections and gradient acceleration.

    :math:`x_{t+1} = x_t - \eta (u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_exadam` (decoupled decay, as pytorch_optimizer's default;
    ``decouple=False`` adds :math:`\lambda x_t` to the gradient instead).

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      b1, b2: Adam's moment decays.
      eps: in the cross-moment ratios and added to the root.
      weight_decay: decay :math:`\lambda`.
      mask: which leaves decay, as in optax.
      decouple: decoupled decay; ``False`` adds an L2 term to the gradient.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.exadam(1e-3)

    References:
      Ahmed M. Adly. EXAdam: The Power of Adaptive Cross-Moments. 2024.
      https://arxiv.org/abs/2412.20302

    Defaults are the paper's and pytorch_optimizer's;
    ``optzoo.create("exadam", preset="authors")`` gives the same.
    """
    direction = scale_by_exadam(b1=b1, b2=b2, eps=eps)
    return _decayed(direction, learning_rate, weight_decay, mask, decouple)


@register(
    "adams",
    family="adam",
    reference=XIE_2020_ADAMS,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="paper, Algorithm 2 (AdamS)",
        differences="optzoo (as pytorch_optimizer) adds eps to sqrt(mean v_hat) in the "
        "decay term, the paper does not",
        no_package="the authors published source files "
        "(zeke-xie/stable-weight-decay-regularization), no package",
    ),
)
def adams(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-4,
    decouple: bool = True,
    ams_bound: bool = False,
) -> optax.GradientTransformation:
    r"""AdamS: Adam with stable weight decay (:func:`scale_by_adams`).

    :math:`x_{t+1} = x_t - \eta u_t` with :math:`u_t` from :func:`optzoo.scale_by_adams`:
    the decoupled decay divided by the root of the mean second moment, so its strength
    does not swing with the gradient scale; ``update`` needs ``params`` when
    ``weight_decay > 0``. ``decouple=False`` adds :math:`\lambda x_t` to the gradient
    instead (an L2 term; pytorch_optimizer's ``weight_decouple=False``). The decay applies
    to every leaf (no mask).

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      b1, b2: Adam's moment decays.
      eps: added to the roots.
      weight_decay: decay :math:`\lambda`.
      decouple: stable decoupled decay; ``False`` adds an L2 term to the gradient.
      ams_bound: use the running maximum of the second moment (AMSGrad).

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adams(1e-3, weight_decay=5e-4)

    References:
      Zeke Xie, Zhiqiang Xu, Jingzhao Zhang, Issei Sato, Masashi Sugiyama. On the
      Overlooked Pitfalls of Weight Decay and How to Mitigate Them: A Gradient-Norm
      Perspective. 2020. https://arxiv.org/abs/2011.11152

    Defaults are pytorch_optimizer's (the paper's, whose experiments use lr 1e-3);
    ``optzoo.create("adams", preset="authors")`` gives the same.
    """
    check_nonnegative("weight_decay", weight_decay)
    if not decouple:
        direction = scale_by_adams(b1=b1, b2=b2, eps=eps, weight_decay=0.0, ams_bound=ams_bound)
        return with_coupled_decay(direction, learning_rate, weight_decay)
    direction = scale_by_adams(
        b1=b1, b2=b2, eps=eps, weight_decay=weight_decay, ams_bound=ams_bound
    )
    return optax.chain(direction, scale_by_learning_rate(learning_rate))


@register(
    "padam",
    family="adam",
    reference=CHEN_GU_2018_PADAM,
    state_per_param=2,
    defaults={"learning_rate": 0.1},
    authors=Authors(
        code="paper, Algorithm 1 (Padam)",
        preset={"paper_form": True, "partial": 0.125},
        differences="optzoo defaults to pytorch_optimizer's form (Adam's bias corrections, "
        "no running maximum, p=1/4); the paper keeps AMSGrad's running maximum of v_t, has "
        "no bias corrections and recommends p=1/8 (paper_form=True, partial=0.125, the "
        "authors' preset)",
        no_package="the authors published source files (uclaml/Padam), no package",
    ),
)
def padam(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    partial: float = 0.25,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    mask: Any = None,
    decouple: bool = False,
    paper_form: bool = False,
) -> optax.GradientTransformation:
    r"""Padam: partially adaptive momentum estimation, Adam's root replaced by the power
    :math:`v^p` (:func:`scale_by_padam`).

    :math:`x_{t+1} = x_t - \eta u_t` with :math:`u_t` from :func:`optzoo.scale_by_padam`
    on :math:`g_t + \lambda x_t` (L2 decay, as the paper and pytorch_optimizer's default);
    ``decouple=True`` decays :math:`x_t` by :math:`\eta \lambda` instead.

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      b1, b2: Adam's moment decays.
      partial: the power :math:`p` in ``(0, 1/2]`` (1/2: AMSGrad/Adam).
      eps: added to :math:`\sqrt{v_t}` before the power.
      weight_decay: decay :math:`\lambda`.
      mask: which leaves decay, as in optax.
      decouple: decoupled decay instead of the L2 term.
      paper_form: the paper's Algorithm 1 (running maximum of :math:`v_t`, no bias
        corrections) instead of pytorch_optimizer's form.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.padam(0.1, partial=0.125)

    References:
      Jinghui Chen, Dongruo Zhou, Yiqi Tang, Ziyan Yang, Yuan Cao, Quanquan Gu. Closing the
      Generalization Gap of Adaptive Gradient Methods in Training Deep Neural Networks.
      2018. https://arxiv.org/abs/1806.06763

    optzoo defaults to pytorch_optimizer's form; the paper's (``paper_form=True``,
    ``partial=0.125``): ``optzoo.create("padam", preset="authors")``.
    """
    direction = scale_by_padam(b1=b1, b2=b2, partial=partial, eps=eps, paper_form=paper_form)
    return _decayed(direction, learning_rate, weight_decay, mask, decouple)


# --- Adam-family extensions (adai, swats, msvag, adatam, dualadam, amos, adamwsn, adamc) ---

from optzoo.transforms.adam import (  # noqa: E402
    scale_by_adai,
    scale_by_adamc,
    scale_by_adamwsn,
    scale_by_adatam,
    scale_by_amos,
    scale_by_dualadam,
    scale_by_msvag,
    scale_by_swats,
)

__all__ += ["adai", "swats", "msvag", "adatam", "dualadam", "amos", "adamwsn", "adamc"]

XIE_2020_ADAI = Reference(
    "Zeke Xie, Xinrui Wang, Huishuai Zhang, Issei Sato, Masashi Sugiyama",
    "Adaptive Inertia: Disentangling the Effects of Adaptive Learning Rate and Momentum",
    2020,
    "https://arxiv.org/abs/2006.15815",
)


@register(
    "adai",
    family="adam",
    reference=XIE_2020_ADAI,
    state_per_param=3,
    defaults={"learning_rate": 0.1},
    authors=Authors(
        code="paper, the Adai algorithm box",
        preset={"learning_rate": 1.0},
        differences="the mean of the second moment is floored at eps (pytorch_optimizer; the "
        "algorithm box divides by it unguarded); create() lr 0.1, the paper's experiments 1.0",
        no_package="the authors published source files (zeke-xie/adaptive-inertia-adai), no "
        "package",
    ),
)
def adai(
    learning_rate: optax.ScalarOrSchedule,
    b0: float = 0.1,
    b2: float = 0.99,
    eps: float = 1e-3,
    dampening: float = 1.0,
    weight_decay: float = 0.0,
    mask: Any = None,
    decouple: bool = False,
) -> optax.GradientTransformation:
    r"""Adai: adaptive inertia (momentum) instead of an adaptive learning rate.

    :math:`x_{t+1} = x_t - \eta\, u_t` with :math:`u_t` from :func:`optzoo.scale_by_adai`
    on :math:`g_t + \lambda x_t` (coupled decay, as the paper and pytorch_optimizer's
    default); ``decouple=True`` gives :math:`x_{t+1} = x_t - \eta (u_t + \lambda x_t)`
    (pytorch_optimizer's ``weight_decouple=True``, the paper's AdaiW). Each entry gets
    momentum :math:`\beta_{1,t} = 1 - \beta_0 \hat v_t / \bar v_t`: large where the
    gradient is small relative to the mean, so flat directions are traversed quickly.
    The step has the gradient's scale (as SGD), so the learning rate is SGD-sized.

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      b0: inertia scale :math:`\beta_0` in ``[0, 1)``.
      b2: decay of the second moment.
      eps: floor of the mean second moment and cap :math:`1 - \epsilon` of the inertia.
      dampening: 1 (the paper's Adai) weights the gradient by :math:`1 - \beta_{1,t}`.
      weight_decay: decay coefficient :math:`\lambda`.
      mask: which leaves decay, as in optax.
      decouple: decoupled decay (AdaiW) instead of an L2 term in the gradient.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adai(0.1, b0=0.1, b2=0.99)

    References:
      Zeke Xie, Xinrui Wang, Huishuai Zhang, Issei Sato, Masashi Sugiyama. Adaptive Inertia:
      Disentangling the Effects of Adaptive Learning Rate and Momentum. 2020.
      https://arxiv.org/abs/2006.15815

    The defaults are the paper's (:math:`\beta_0 = 0.1, \beta_2 = 0.99, \epsilon = 10^{-3}`);
    ``create("adai")`` uses lr 0.1, the paper 1.0: ``optzoo.create("adai", preset="authors")``.
    """
    direction = scale_by_adai(b0=b0, b2=b2, eps=eps, dampening=dampening)
    return _decayed(direction, learning_rate, weight_decay, mask, decouple)


KESKAR_SOCHER_2017_SWATS = Reference(
    "Nitish Shirish Keskar, Richard Socher",
    "Improving Generalization Performance by Switching from Adam to SGD",
    2017,
    "https://arxiv.org/abs/1712.07628",
)


@register(
    "swats",
    family="adam",
    reference=KESKAR_SOCHER_2017_SWATS,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="paper, Algorithm 1 (SWATS)",
        differences="same (convention='paper': dot products over all parameters, one switch); "
        "pytorch_optimizer's SWATS decides per tensor (convention='pytorch_optimizer')",
        no_package="the authors published no code",
    ),
)
def swats(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-9,
    eps_root: float = 0.0,
    amsgrad: bool = False,
    convention: Literal["paper", "pytorch_optimizer"] = "paper",
    weight_decay: float = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""SWATS: Adam that switches to SGD once the SGD rate its steps imply has settled.

    :math:`x_{t+1} = x_t - s_t` with :math:`s_t` from :func:`optzoo.scale_by_swats` on
    :math:`g_t + \lambda x_t` (an L2 term, as pytorch_optimizer's default): Adam steps at
    :math:`\alpha_t` while the rate :math:`\gamma_t = p^\top p / (-p^\top g)` of the Adam
    step :math:`p` is averaged; when the bias-corrected average agrees with
    :math:`\gamma_t` to ``eps``, SGD with momentum ``b1`` runs at that rate from then on
    (the learning rate and its schedule no longer apply).

    Args:
      learning_rate: the Adam phase's step size, a scalar or a schedule.
      b1, b2: Adam's moment decays (``b1`` is also the SGD momentum).
      eps: added to the root and the switching tolerance (the paper's :math:`10^{-9}`).
      eps_root: added to the second moment inside the root.
      amsgrad: use the running maximum of the second moment.
      convention: ``"paper"`` (one switch from dot products over all parameters) or
        ``"pytorch_optimizer"`` (per-tensor statistics, pytorch_optimizer's test).
      weight_decay: L2 coefficient :math:`\lambda` added to the gradient.
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.swats(1e-3)

    References:
      Nitish Shirish Keskar, Richard Socher. Improving Generalization Performance by
      Switching from Adam to SGD. 2017. https://arxiv.org/abs/1712.07628

    The defaults are the paper's (Adam's betas, eps :math:`10^{-9}`); pytorch_optimizer's
    eps is 1e-6 and its test per tensor (``convention="pytorch_optimizer"``).
    """
    check_nonnegative("weight_decay", weight_decay)
    return optax.chain(
        add_decayed_weights(weight_decay, mask),
        scale_by_swats(learning_rate, b1, b2, eps, eps_root, amsgrad, convention),
        scale(-1.0),
    )


BALLES_HENNIG_2017_MSVAG = Reference(
    "Lukas Balles, Philipp Hennig",
    "Dissecting Adam: The Sign, Magnitude and Variance of Stochastic Gradients",
    2017,
    "https://arxiv.org/abs/1705.07774",
)


@register(
    "msvag",
    family="adam",
    reference=BALLES_HENNIG_2017_MSVAG,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    authors=Authors(
        code="paper, the M-SVAG algorithm box",
        differences="rho is capped at 0.9999 (pytorch_optimizer), which makes step 1 plain "
        "SGD where the paper's variance estimate is 0/0",
        no_package="the authors published TensorFlow source files (lballes/msvag), no package",
    ),
)
def msvag(
    learning_rate: optax.ScalarOrSchedule,
    beta: float = 0.9,
    weight_decay: float = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""M-SVAG: momentum SGD with stochastic variance-adapted (per-entry) step sizes.

    :math:`x_{t+1} = x_t - \eta (u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_msvag`: the bias-corrected momentum shrunk, entry by entry, by
    :math:`\tilde m^2 / (\tilde m^2 + \rho s)`, the factor that minimises the expected
    squared error of the step under the estimated gradient variance :math:`s`. No
    normalisation by the gradient's scale: the learning rate is SGD-sized.

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      beta: decay of the gradient averages, in ``[0, 1)``.
      weight_decay: decoupled decay :math:`\lambda` (0: none, as the paper and
        pytorch_optimizer, which has no weight decay).
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.msvag(1e-2, beta=0.9)

    References:
      Lukas Balles, Philipp Hennig. Dissecting Adam: The Sign, Magnitude and Variance of
      Stochastic Gradients. 2017. https://arxiv.org/abs/1705.07774

    The defaults are pytorch_optimizer's and the paper's (:math:`\beta = 0.9`);
    ``optzoo.create("msvag", preset="authors")`` gives the same.
    """
    check_nonnegative("weight_decay", weight_decay)
    return with_decoupled_decay(scale_by_msvag(beta), learning_rate, weight_decay, mask)


MALVIYA_2024_TAM = Reference(
    "Pranshu Malviya, Goncalo Mordido, Aristide Baratin, Reza Babanezhad Harikandeh, "
    "Gintare Karolina Dziugaite, Razvan Pascanu, Sarath Chandar",
    "Torque-Aware Momentum",
    2024,
    "https://arxiv.org/abs/2412.18790",
)


@register(
    "adatam",
    family="adam",
    reference=MALVIYA_2024_TAM,
    state_per_param=3,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="the AdaTAM update rule (alignment-weighted momentum over an unbiased Adam "
        "denominator)",
        differences="same; the alignment is per entry of tensors normalised along their "
        "first axis (pytorch_optimizer's form)",
        no_package="the authors published no package",
    ),
)
def adatam(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    decay_rate: float = 0.9,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    mask: Any = None,
    decouple: bool = True,
) -> optax.GradientTransformation:
    r"""AdaTAM: Adam with torque-aware momentum (:func:`scale_by_adatam`).

    :math:`x_{t+1} = x_t - \eta (u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_adatam` (decoupled decay, pytorch_optimizer's default);
    ``decouple=False`` adds :math:`\lambda x_t` to the gradient instead. A gradient that
    points against the momentum enters it with weight near 0, one along it with weight
    near 1, which damps oscillations. The momentum is a sum, not an average: its steady
    size is :math:`1 / (1 - \beta_1)` times the gradient's.

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      b1, b2: momentum and second-moment decays.
      decay_rate: decay of the alignment average.
      eps: added to the gradient weight and to the root.
      weight_decay: decay coefficient :math:`\lambda`.
      mask: which leaves decay, as in optax.
      decouple: decoupled decay (default) or an L2 term in the gradient.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adatam(1e-3, decay_rate=0.9)

    References:
      Pranshu Malviya, Goncalo Mordido, Aristide Baratin, Reza Babanezhad Harikandeh,
      Gintare Karolina Dziugaite, Razvan Pascanu, Sarath Chandar. Torque-Aware Momentum.
      2024. https://arxiv.org/abs/2412.18790

    The defaults are pytorch_optimizer's; ``optzoo.create("adatam", preset="authors")``
    gives the same.
    """
    direction = scale_by_adatam(b1=b1, b2=b2, decay_rate=decay_rate, eps=eps)
    return _decayed(direction, learning_rate, weight_decay, mask, decouple)


SHI_2026_DUALADAM = Reference(
    "Tao Shi, Liangming Chen, Long Jin, Mengchu Zhou",
    "Combining Adam and its Inverse Counterpart to Enhance Generalization of Deep Learning "
    "Optimizers",
    2026,
    "https://arxiv.org/abs/2603.07122",
)


@register(
    "dualadam",
    family="adam",
    reference=SHI_2026_DUALADAM,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="the DualAdam update rule (Adam blended with InvAdam, the blend weight "
        "decaying linearly)",
        differences="same",
        no_package="the authors published source files (LongJin-lab/DualAdam), no package",
    ),
)
def dualadam(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    switch_rate: float = 1e-2,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    mask: Any = None,
    decouple: bool = False,
) -> optax.GradientTransformation:
    r"""DualAdam: inverse Adam (:math:`\hat m \sqrt{\hat v}`) handing over to Adam.

    :math:`x_{t+1} = x_t - \eta\, u_t` with :math:`u_t` from :func:`optzoo.scale_by_dualadam`
    on :math:`g_t + \lambda x_t` (an L2 term, pytorch_optimizer's default);
    ``decouple=True`` gives :math:`x_{t+1} = x_t - \eta (u_t + \lambda x_t)`. Early steps
    grow where the gradient varies much (escaping sharp minima); after about
    ``1 / switch_rate`` steps the update is Adam's.

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      b1, b2: Adam's moment decays.
      switch_rate: per-step decrease of the inverse step's weight (from 1).
      eps: added to the root.
      weight_decay: decay coefficient :math:`\lambda`.
      mask: which leaves decay, as in optax.
      decouple: decoupled decay instead of an L2 term in the gradient.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.dualadam(1e-3, switch_rate=1e-2)

    References:
      Tao Shi, Liangming Chen, Long Jin, Mengchu Zhou. Combining Adam and its Inverse
      Counterpart to Enhance Generalization of Deep Learning Optimizers. 2026.
      https://arxiv.org/abs/2603.07122

    The defaults are pytorch_optimizer's; ``optzoo.create("dualadam", preset="authors")``
    gives the same.
    """
    direction = scale_by_dualadam(b1=b1, b2=b2, switch_rate=switch_rate, eps=eps)
    return _decayed(direction, learning_rate, weight_decay, mask, decouple)


TIAN_PARIKH_2022_AMOS = Reference(
    "Ran Tian, Ankur P. Parikh",
    "Amos: An Adam-style Optimizer with Adaptive Weight Decay towards Model-Oriented Scale",
    2022,
    "https://arxiv.org/abs/2210.11693",
)


@register(
    "amos",
    family="adam",
    reference=TIAN_PARIKH_2022_AMOS,
    state_per_param=0,
    defaults={"learning_rate": 1e-2},
    authors=Authors(
        code="the authors' scale_by_amos (google-research/jestimator, jestimator 0.3.3)",
        differences="eps is added to v (the authors floor v at 2^-125); one scalar v per leaf "
        "(the authors' shape_fn returning ()); eta from the shape (the authors: eta_fn given "
        "by the user); create() lr 1e-2 (the authors' code has no default)",
        no_package="jestimator 0.3.3, the authors' package, fails to import with current JAX "
        "(jax.experimental.pjit.PartitionSpec is gone); the test transcribes its "
        "scale_by_amos",
    ),
)
def amos(
    learning_rate: optax.ScalarOrSchedule,
    beta: float = 0.999,
    momentum: float | None = None,
    eta: float | Callable[[tuple[int, ...]], float] | None = None,
    extra_l2: float = 0.0,
    c_coef: float = 0.25,
    d_coef: float = 0.25,
    eps: float = 1e-18,
) -> optax.GradientTransformation:
    r"""Amos: Adam-style steps with an adaptive decay towards each leaf's target scale.

    :math:`x_{t+1} = x_t - u_t` with :math:`u_t` from :func:`optzoo.scale_by_amos` (the
    learning rate is inside: it also sets the decay), averaged by an EMA of decay
    ``momentum`` (no debiasing) unless ``momentum`` is ``None``. The decay :math:`\gamma_t` grows
    with the accumulated decay :math:`b` and the effective step shrinks as :math:`b` grows,
    which acts as a built-in learning-rate decay.

    Args:
      learning_rate: :math:`\xi`, a scalar or a schedule.
      beta: decay of the mean square gradient.
      momentum: EMA decay of the steps in ``[0, 1)``; ``None`` (default) for none, as the
        authors' ``amos`` (pytorch_optimizer's ``momentum=0``).
      eta: the target scale per leaf: a float, a function of the shape, or ``None`` for
        pytorch_optimizer's rule (see :func:`optzoo.scale_by_amos`).
      extra_l2: extra L2 coefficient.
      c_coef, d_coef: the decay factors' coefficients.
      eps: added to the mean square gradient.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.amos(1e-2, beta=0.99)

    References:
      Ran Tian, Ankur P. Parikh. Amos: An Adam-style Optimizer with Adaptive Weight Decay
      towards Model-Oriented Scale. 2022. https://arxiv.org/abs/2210.11693

    The defaults are pytorch_optimizer's; ``create`` uses lr 1e-2 (the authors' code has no
    default learning rate; ``optzoo.create("amos", preset="authors")`` is the same).
    """
    if momentum is not None:
        check_range("momentum", momentum, 0.0, 1.0, high_open=True)
    parts = [scale_by_amos(learning_rate, beta, eta, extra_l2, c_coef, d_coef, eps)]
    if momentum is not None:
        parts.append(optax.ema(momentum, debias=False))
    return optax.chain(*parts, scale(-1.0))


NGUYEN_2024_SUBSET_NORM = Reference(
    "Thien Hang Nguyen, Huy Le Nguyen",
    "Subset-Norm and Subspace-Momentum: Faster Memory-Efficient Adaptive Optimization with "
    "Convergence Guarantees",
    2024,
    "https://arxiv.org/abs/2411.07120",
)


@register(
    "adamwsn",
    family="adam",
    reference=NGUYEN_2024_SUBSET_NORM,
    state_per_param=1,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="the AdamW update with the subset-norm second moment (paper, AdamW-SN)",
        differences="subsets on leaves of rank >= 2 by default (pytorch_optimizer: the "
        "parameter groups marked sn); pytorch_optimizer decays the updated weights "
        "(decay_updated_weights=True), optzoo before the step, as AdamW",
        no_package="the authors published source files (timmytonga/sn-sm), no package",
    ),
)
def adamwsn(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    subset_size: int = -1,
    subset_norm: bool | Callable[[jax.Array], bool] | None = None,
    mask: Any = None,
    decay_updated_weights: bool = False,
) -> optax.GradientTransformation:
    r"""AdamWSN: AdamW whose second moment is kept per subset of entries (subset-norm).

    :math:`x_{t+1} = x_t - \eta (u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_adamwsn`; ``decay_updated_weights=True`` gives
    :math:`x_{t+1} = (x_t - \eta u_t)(1 - \eta \lambda)` (pytorch_optimizer's order).
    On a :math:`n \times n` matrix the second moment shrinks from :math:`n^2` to :math:`n`
    numbers (subsets of :math:`\sqrt{n^2}` entries by default).

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      b1, b2: Adam's moment decays.
      eps: added to the root.
      weight_decay: decoupled decay :math:`\lambda`.
      subset_size: entries per subset (positive), or ``-j`` for :math:`\sqrt{\text{size}}/j`.
      subset_norm: which leaves use subsets (``None``: rank >= 2; ``True``: all; a function
        of the leaf).
      mask: which leaves decay, as in optax.
      decay_updated_weights: decay after the step (pytorch_optimizer) instead of before.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adamwsn(1e-3, weight_decay=1e-2)

    References:
      Thien Hang Nguyen, Huy Le Nguyen. Subset-Norm and Subspace-Momentum: Faster
      Memory-Efficient Adaptive Optimization with Convergence Guarantees. 2024.
      https://arxiv.org/abs/2411.07120

    The defaults are pytorch_optimizer's but the decay order (``decay_updated_weights=True``
    gives its order); ``optzoo.create("adamwsn", preset="authors")`` is the same as the
    defaults.
    """
    check_nonnegative("weight_decay", weight_decay)
    direction = scale_by_adamwsn(b1, b2, eps, subset_size, subset_norm)
    if decay_updated_weights:
        return with_decay_after_step(direction, learning_rate, weight_decay, mask)
    return with_decoupled_decay(direction, learning_rate, weight_decay, mask)


WANG_2025_ADAGC = Reference(
    "Guoxia Wang, Shuai Li, Congliang Chen, Jinle Zeng, Jiabin Yang, Tao Sun, Yanjun Ma, "
    "Dianhai Yu, Li Shen",
    "AdaGC: Improving Training Stability for Large Language Model Pretraining",
    2025,
    "https://arxiv.org/abs/2502.11034",
)


@register(
    "adagc",
    family="adam",
    reference=WANG_2025_ADAGC,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="paper, Algorithm 1 (AdaGC)",
        no_package="the authors published no package",
    ),
)
def adagc(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    beta: jax.typing.ArrayLike = 0.98,
    lambda_abs: jax.typing.ArrayLike = 1.0,
    lambda_rel: jax.typing.ArrayLike = 1.05,
    warmup_steps: int = 100,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.1,
    mask: MaskOrFn = None,
) -> optax.GradientTransformation:
    r"""AdaGC: AdamW on gradients clipped per tensor to a multiple of their running norm.

    :math:`\hat g_t` from :func:`optzoo.clip_by_adagc` (global clipping at
    :math:`\lambda_{abs}` during the warm-up, then each tensor at :math:`\lambda_{rel}`
    times its EMA norm :math:`\gamma`), then AdamW:

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1)\hat g_t,\quad
       v_t = \beta_2 v_{t-1} + (1-\beta_2)\hat g_t^2,\quad
       x_{t+1} = x_t - \eta\Big(\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} + \lambda x_t\Big).

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1: first-moment decay in ``[0, 1)``.
      b2: second-moment decay in ``[0, 1)``.
      beta: decay of the clipping thresholds in ``[0, 1)``.
      lambda_abs: global norm limit of the warm-up (> 0).
      lambda_rel: relative limit after the warm-up (> 0).
      warmup_steps: warm-up length in steps.
      eps: Adam's :math:`\epsilon` and the floor of the norms.
      weight_decay: decoupled decay :math:`\lambda`.
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adagc(1e-3)

    References:
      Guoxia Wang, Shuai Li, Congliang Chen, Jinle Zeng, Jiabin Yang, Tao Sun, Yanjun Ma,
      Dianhai Yu, Li Shen. AdaGC: Improving Training Stability for Large Language Model
      Pretraining. 2025. https://arxiv.org/abs/2502.11034

    The defaults are the paper's (``optzoo.create("adagc", preset="authors")`` is the same).
    """
    from optzoo.transforms.clipping import clip_by_adagc

    check_nonnegative("weight_decay", weight_decay)
    direction = optax.chain(
        clip_by_adagc(beta, lambda_abs, lambda_rel, warmup_steps, eps),
        scale_by_adam(b1=b1, b2=b2, eps=eps),
    )
    return with_decoupled_decay(direction, learning_rate, weight_decay, mask)


__all__ += ["adagc"]


ZHANG_2022_AIDA = Reference(
    "Guoqiang Zhang, Kenta Niwa, W. Bastiaan Kleijn",
    "A DNN Optimizer that Improves over AdaBelief by Suppression of the Adaptive Stepsize Range",
    2022,
    "https://arxiv.org/abs/2203.13273",
)


@register(
    "aida",
    family="adam",
    reference=ZHANG_2022_AIDA,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="paper, Algorithm 1 (Aida), as in the authors' code",
        preset={"eps_outside_root": False},
        differences="pytorch_optimizer's denominator sqrt(v + 1e-15) + eps; the authors' "
        "code sqrt(v) (eps only inside v)",
        no_package="the authors published source files (guoqiang-x-zhang/AidaOptimizer), "
        "no package",
    ),
)
def aida(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    k: int = 2,
    xi: jax.typing.ArrayLike = 1e-20,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
    weight_decouple: bool = False,
    eps_outside_root: bool = True,
    mask: MaskOrFn = None,
) -> optax.GradientTransformation:
    r"""Aida: AdaBelief whose residual is taken between mutually projected :math:`g_t`, :math:`m_t`.

    ``k`` alternating projections of the gradient onto the momentum and back shrink both
    towards their common direction before the residual enters the second moment
    (:func:`optzoo.scale_by_aida`), which narrows the range of the adaptive step sizes:

    .. math::
       v_t = \beta_2 v_{t-1} + (1-\beta_2)(\tilde m_t - \tilde g_t)^2 + \epsilon,\qquad
       x_{t+1} = x_t - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.

    Weight decay is L2 (added to the gradient; pytorch_optimizer's default) or decoupled
    with ``weight_decouple``.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1: first-moment decay in ``[0, 1)``.
      b2: second-moment decay in ``[0, 1)``.
      k: number of mutual projections (the paper: 2).
      xi: added to the squared norms of the projections.
      eps: added to the variance each step and to its root.
      weight_decay: decay :math:`\lambda \ge 0`.
      weight_decouple: decoupled decay instead of L2.
      eps_outside_root: the denominator :math:`\sqrt{v_t + 10^{-15}} + \epsilon`
        (pytorch_optimizer) rather than :math:`\sqrt{v_t}` (the authors' code).
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.aida(1e-3)

    References:
      Guoqiang Zhang, Kenta Niwa, W. Bastiaan Kleijn. A DNN Optimizer that Improves over
      AdaBelief by Suppression of the Adaptive Stepsize Range. 2022.
      https://arxiv.org/abs/2203.13273

    The defaults are pytorch_optimizer's; the authors' code keeps eps inside the root only
    (``optzoo.create("aida", preset="authors")`` sets ``eps_outside_root=False``).
    """
    from optzoo.transforms.adam import scale_by_aida

    outer = {} if eps_outside_root else dict(eps_root=0.0, eps_denom=0.0)
    direction = scale_by_aida(b1=b1, b2=b2, k=k, xi=xi, eps=eps, **outer)
    return _decayed(direction, learning_rate, weight_decay, mask, weight_decouple)


__all__ += ["aida"]


# ------------------------------------------------------------- optimistic Adam (optax)

DASKALAKIS_2017_OPTIMISTIC_ADAM = Reference(
    "Constantinos Daskalakis, Andrew Ilyas, Vasilis Syrgkanis, Haoyang Zeng",
    "Training GANs with Optimism",
    2017,
    "https://arxiv.org/abs/1711.00141",
)


@register(
    "optimistic_adam",
    family="adam",
    reference=DASKALAKIS_2017_OPTIMISTIC_ADAM,
    state_per_param=3,
    defaults={"learning_rate": 1e-3},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithm 1 (Optimistic Adam)",
        differences="the paper's step is -2 lr r_t + lr r_{t-1} on Adam's direction r_t "
        "(optimism = learning_rate, optzoo's default) without Nesterov; optax's (and "
        "optzoo's) default nesterov=True uses Nadam's look-ahead first moment, and the first "
        "step uses r_0 := r_1; preset='authors' sets nesterov=False",
        preset={"nesterov": False},
        no_package="the authors published TensorFlow scripts (vsyrgkanis/optimistic_GAN_"
        "training), not a package",
    ),
)
def optimistic_adam(
    learning_rate: jax.typing.ArrayLike,
    optimism: jax.typing.ArrayLike | None = None,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-08,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: Any | None = None,
    *,
    nesterov: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""Optimistic Adam: Adam's direction with an optimistic (negative-momentum) correction.

    .. math::
       r_t = \frac{\hat m_t}{\sqrt{\hat v_t + \epsilon_{root}} + \epsilon},\qquad
       x_{t+1} = x_t - \eta\, r_t - o\, (r_t - r_{t-1})

    (:math:`r_0 := r_1`; :math:`\hat m, \hat v` Adam's debiased moments, Nadam's look-ahead
    :math:`\hat m` with ``nesterov=True``). With the optimism :math:`o = \eta` (the default)
    this is the paper's :math:`x_{t+1} = x_t - 2\eta r_t + \eta r_{t-1}`. The same chain,
    numbers and states as ``optax.optimistic_adam``, deprecation warning included:
    :func:`optzoo.scale_by_adam`, :func:`optzoo.scale_by_optimistic_gradient` with
    :math:`\alpha = \eta, \beta = o`, then a sign flip. The learning rate must be a scalar;
    :func:`optimistic_adam_v2` is the same algorithm with a schedulable learning rate
    (``optimistic_adam(lr, o) == optimistic_adam_v2(1.0, alpha=lr, beta=o)``).

    optzoo's (optax's) default ``nesterov=True`` differs from the paper's plain Adam moment:
    ``optzoo.create("optimistic_adam", preset="authors")`` sets ``nesterov=False``.

    Args:
      learning_rate: :math:`\eta`, a scalar (schedules raise, as in optax).
      optimism: :math:`o`; ``None`` means ``learning_rate`` (the paper).
      b1: decay of the first moment, in ``[0, 1)``.
      b2: decay of the second moment, in ``[0, 1)``.
      eps: added outside the square root.
      eps_root: added inside the square root.
      mu_dtype: dtype of the first moment; ``None`` follows the parameters.
      nesterov: use Nadam's look-ahead first moment.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.optimistic_adam(1e-3)

    References:
      Constantinos Daskalakis, Andrew Ilyas, Vasilis Syrgkanis, Haoyang Zeng. Training GANs
      with Optimism. 2017. https://arxiv.org/abs/1711.00141
    """
    warnings.warn(
        "`optimistic_adam` is deprecated, please use `optimistic_adam_v2` instead.",
        category=DeprecationWarning,
        stacklevel=2,
    )
    if callable(learning_rate):
        raise ValueError(
            "This version of `optimistic_adam` does not support learning rate schedules "
            "but `optimistic_adam_v2` does."
        )
    check_finite("learning_rate", learning_rate)
    if optimism is None:
        optimism = learning_rate
    check_nonnegative("optimism", optimism)
    return optimistic_adam_v2(  # its learning rate 1.0 flips the sign
        1.0,
        alpha=learning_rate,
        beta=optimism,
        b1=b1,
        b2=b2,
        eps=eps,
        eps_root=eps_root,
        mu_dtype=mu_dtype,
        nesterov=nesterov,
    )


def optimistic_adam_v2(
    learning_rate: optax.ScalarOrSchedule,
    *,
    alpha: jax.typing.ArrayLike = 1.0,
    beta: jax.typing.ArrayLike = 1.0,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-08,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: Any | None = None,
    nesterov: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""Optimistic Adam with optax's reworked interface (the same algorithm).

    .. math::
       x_{t+1} = x_t - \eta_t \big((\alpha + \beta) r_t - \beta r_{t-1}\big)

    with :math:`r_t` Adam's direction (see :func:`optimistic_adam`; :math:`r_0 := r_1`).
    ``optimistic_adam(lr, optimism=o)`` is ``optimistic_adam_v2(1.0, alpha=lr, beta=o)``,
    and the paper's method (:math:`o = \eta`) is ``optimistic_adam_v2(lr)`` (defaults
    :math:`\alpha = \beta = 1`). The same chain, numbers and states as
    ``optax.optimistic_adam_v2``; here the learning rate may be a schedule. Catalogued as
    ``optimistic_adam`` (``optzoo.create("optimistic_adam")``).

    Args:
      learning_rate: :math:`\eta_t`, a scalar or a schedule.
      alpha: weight of the current direction.
      beta: weight of the optimistic correction.
      b1, b2, eps, eps_root, mu_dtype, nesterov: as in :func:`optimistic_adam`.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.optimistic_adam_v2(1e-3)

    References:
      Constantinos Daskalakis, Andrew Ilyas, Vasilis Syrgkanis, Haoyang Zeng. Training GANs
      with Optimism. 2017. https://arxiv.org/abs/1711.00141
    """
    return optax.chain(
        scale_by_adam(
            b1=b1, b2=b2, eps=eps, eps_root=eps_root, mu_dtype=mu_dtype, nesterov=nesterov
        ),
        scale_by_optimistic_gradient(alpha=alpha, beta=beta),
        scale_by_learning_rate(learning_rate),
    )


# ------------------------------------------------------------------ ACProp (optax.contrib)

ZHUANG_2021_ACPROP = Reference(
    "Juntang Zhuang, Yifan Ding, Tommy Tang, Nicha Dvornek, Sekhar Tatikonda, James S. Duncan",
    "Momentum Centering and Asynchronous Update for Adaptive Gradient Methods",
    2021,
    "https://arxiv.org/abs/2110.05454",
)


@register(
    "acprop",
    family="adam",
    reference=ZHUANG_2021_ACPROP,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
    also_in=("optax.contrib",),
    authors=Authors(
        code="the asynchronous centred update as optax.contrib implements it (the paper's "
        "algorithm box was not at hand when this was written)",
        differences="optax's (and optzoo's) prediction error is g_t - m_{t-1} and the "
        "numerator the raw gradient g_t, the first update g_1 / (1 + eps); summaries of the "
        "paper write the error as g_t - m_t and the numerator as m_t: not yet checked "
        "against the paper's box",
        no_package="the authors published source files (juntang-zhuang/ACProp-Optimizer), "
        "no package",
    ),
)
def acprop(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-16,
    eps_root: jax.typing.ArrayLike = 1e-16,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""ACProp: AdaBelief's centred second moment, used asynchronously (one step late).

    .. math::
       s_t = \beta_2 s_{t-1} + (1-\beta_2) (g_t - m_{t-1})^2 + \epsilon_{root},\qquad
       x_{t+1} = x_t - \eta_t \Big(\frac{g_t}{\sqrt{\hat s_{t-1}} + \epsilon}
       + \lambda x_t\Big)

    (:math:`\hat s_{t-1}` debiased; 1 on the first step). The same chain and numbers as
    ``optax.contrib.acprop``: :func:`optzoo.scale_by_acprop`, a coupled decay
    (``weight_decay`` times the learning rate), then the learning rate. optzoo's defaults are
    optax's (the paper's :math:`\beta_1, \beta_2`, :math:`\epsilon = 10^{-16}`);
    ``preset="authors"`` changes nothing.

    Args:
      learning_rate: :math:`\eta_t`, a scalar or a schedule.
      b1: decay of the first moment, in ``[0, 1)``.
      b2: decay of the centred second moment, in ``[0, 1)``.
      eps: added outside the square root.
      eps_root: added to the second moment each step.
      weight_decay: :math:`\lambda`, added to the direction (times the learning rate).
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.acprop(1e-3)

    References:
      Juntang Zhuang, Yifan Ding, Tommy Tang, Nicha Dvornek, Sekhar Tatikonda, James S.
      Duncan. Momentum Centering and Asynchronous Update for Adaptive Gradient Methods. 2021.
      https://arxiv.org/abs/2110.05454
    """
    direction = scale_by_acprop(b1=b1, b2=b2, eps=eps, eps_root=eps_root)
    return _decayed(direction, learning_rate, weight_decay, mask, decouple=True)


DEFAZIO_2025_ADAMC = Reference(
    "Aaron Defazio, Konstantin Mishchenko, Parameswaran Raman, Hao-Jun Michael Shi, Lin Xiao",
    "Why Gradients Rapidly Increase Near the End of Training",
    2025,
    "https://arxiv.org/abs/2506.02285",
)


def _corrected_decay(
    learning_rate: optax.ScalarOrSchedule,
    max_learning_rate: float,
    weight_decay: float,
    normalized: Any,
) -> optax.GradientTransformation:
    """``u -> u + c_t x`` with ``c_t = weight_decay * eta_t / eta_max`` on the ``normalized``
    leaves and ``weight_decay`` elsewhere; after the learning rate the decay is
    ``eta_t^2 / eta_max * weight_decay`` on the normalized leaves (AdamC's correction)."""

    def init_fn(params):
        del params
        return optax.ScaleByScheduleState(count=jnp.zeros([], jnp.int32))

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("adamc's weight decay needs params")
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
        flags = normalized(params) if callable(normalized) else normalized
        if isinstance(flags, bool):
            flags = jax.tree.map(lambda _: flags, params)

        def one(u, x, on):
            ratio = jnp.asarray(lr, u.dtype) / max_learning_rate if on else 1.0
            return (u + weight_decay * ratio * x).astype(u.dtype)

        out = jax.tree.map(one, updates, params, flags)
        return out, optax.ScaleByScheduleState(count=optax.safe_increment(state.count))

    return optax.GradientTransformation(init_fn, update_fn)


@register(
    "adamc",
    family="adam",
    reference=DEFAZIO_2025_ADAMC,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="paper, the AdamC update (decay eta_t^2 / eta_max * lambda on normalized layers)",
        differences="no leaf is treated as normalized unless `normalized` says so (the paper: "
        "the layers followed by a normalization); PyTorch's epsilon placement",
        no_package="the authors published no code",
    ),
)
def adamc(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    weight_decay: float = 0.0,
    normalized: Any = False,
    max_learning_rate: float | None = None,
    amsgrad: bool = False,
    mask: Any = None,
) -> optax.GradientTransformation:
    r"""AdamC: AdamW whose decay on normalized layers follows the learning-rate schedule.

    :math:`x_{t+1} = x_t - \eta_t u_t - \lambda_t x_t` with :math:`u_t` from
    :func:`optzoo.scale_by_adamc` and :math:`\lambda_t = \eta_t \lambda` (AdamW) on
    ordinary leaves, :math:`\lambda_t = \eta_t^2 \lambda / \eta_{\max}` on leaves
    marked ``normalized`` (weights whose layer output is normalized, so their scale does
    not matter): there the steady-state ratio of update to weight norm then tracks the
    schedule, which stops the gradient norm from rising at the end of training.
    With a constant learning rate AdamC is AdamW.

    Args:
      learning_rate: :math:`\eta_t`, a scalar or a schedule.
      b1, b2: Adam's moment decays.
      eps: added to the root; eps_root: inside it.
      weight_decay: :math:`\lambda`.
      normalized: which leaves get the corrected decay: a bool for all, a pytree of bools
        like the parameters, or a function of the parameters returning one.
      max_learning_rate: :math:`\eta_{\max}` (default: ``learning_rate`` when a scalar;
        required with a schedule, e.g. its peak).
      amsgrad: use the running maximum of the second moment.
      mask: which leaves decay at all, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adamc(optzoo.cosine_decay_schedule(1e-3, 1000), weight_decay=0.1,
      ...                   normalized=True, max_learning_rate=1e-3)

    References:
      Aaron Defazio, Konstantin Mishchenko, Parameswaran Raman, Hao-Jun Michael Shi, Lin Xiao.
      Why Gradients Rapidly Increase Near the End of Training. 2025.
      https://arxiv.org/abs/2506.02285

    The defaults are pytorch_optimizer's (whose groups are not normalized unless marked);
    ``optzoo.create("adamc", preset="authors")`` is the same.
    """
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    if max_learning_rate is None:
        if callable(learning_rate):
            raise ValueError("adamc with a learning-rate schedule needs max_learning_rate")
        max_learning_rate = learning_rate  # type: ignore[assignment]
    check_positive("max_learning_rate", max_learning_rate)
    decay = _corrected_decay(learning_rate, max_learning_rate, weight_decay, normalized)
    return optax.chain(
        scale_by_adamc(b1, b2, eps, eps_root, amsgrad),
        decay if mask is None else optax.masked(decay, mask),
        scale_by_learning_rate(learning_rate),
    )


# --- emonavi (EmoNavi family, loss-driven scaling; needs update(..., value=loss)). ---
from optzoo.optimizers._emo import MUOOON_2025_EMONAVI as MUOOON_2025_EMONAVI  # noqa: E402
from optzoo.optimizers._emo import emo_chain, register_emo  # noqa: E402
from optzoo.transforms.adam import scale_by_emonavi  # noqa: E402

__all__ += ["emonavi"]


@register_emo("emonavi", "adam", 2, "EmoNavi")
def emonavi(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: optax.ScalarOrSchedule = 1e-2,
    weight_decouple: bool = True,
    use_shadow: bool = False,
    shadow_weight: float = 0.05,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""EmoNavi: Adam (no bias correction) scaled by the loss trend, :math:`u_t = m_t / (\sqrt{v_t}
    + \epsilon)` (:func:`optzoo.scale_by_emonavi`).

    Needs the loss: ``update(grads, state, params, value=loss)``. The step
    :math:`x_{t+1} = x_t - \eta(d_t u_t + \lambda x_t)` with the loss-trend drive :math:`d_t`,
    the optional shadow weights, the return value and the defaults (pytorch_optimizer's) are
    the EmoNavi family's, described once in :mod:`optzoo.optimizers._emo` (the siblings:
    :func:`optzoo.emofact`, :func:`optzoo.emolynx`).

    Args:
      b1, b2: first- and second-moment decays.
      eps: added to :math:`\sqrt{v_t}`.
      learning_rate, weight_decay, weight_decouple, use_shadow, shadow_weight, mask: as
        :mod:`optzoo.optimizers._emo` describes them.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.emonavi(1e-3)
      >>> params = {"w": jnp.ones(3)}
      >>> state = tx.init(params)
      >>> value = jnp.sum(params["w"] ** 2)
      >>> u, state = tx.update({"w": 2 * params["w"]}, state, params, value=value)

    References:
      muooon. EmoNavi. 2025. https://github.com/muooon/EmoNavi
    """
    step = scale_by_emonavi(b1=b1, b2=b2, eps=eps)
    return emo_chain(
        step, learning_rate, weight_decay, weight_decouple, use_shadow, shadow_weight, True, mask
    )
