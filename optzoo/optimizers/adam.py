"""The Adam family: Adam, AdamW, NAdam(W), AMSGrad, AdaMax(W) and the variants.

AdaBelief, RAdam, Adan, Yogi, LaProp, StableAdamW, Grams, AdaBound, AdamP, Adam-mini,
MARS-AdamW, AdEMAMix (full and simplified) and ADOPT, each with its citation. Where optax
(or ``optax.contrib``) ships an optimizer of the same name (registry field ``also_in``),
optzoo's gives its numbers, has its signature and uses its state classes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import check_decay, check_finite, check_nonnegative
from optzoo.optimizers._common import (
    with_coupled_decay,
    with_decay_after_step,
    with_decoupled_decay,
)
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.adam import (
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
from optzoo.transforms.scaling import scale, scale_by_learning_rate
from optzoo.transforms.weight_decay import add_decayed_weights

__all__ = [
    "qhadam",
    "adamod",
    "diffgrad",
    "adam",
    "nadam",
    "adamw",
    "nadamw",
    "amsgrad",
    "adamax",
    "adamaxw",
    "adabelief",
    "radam",
    "adan",
    "yogi",
    "laprop",
    "stable_adamw",
    "grams",
    "adabound",
    "adamp",
    "adam_mini",
    "adam_mini_partition",
    "adam_mini_decay_mask",
    "mars_adamw",
    "ademamix",
    "simplified_ademamix",
    "adopt",
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
    weight_decay: optax.ScalarOrSchedule = 0.0,
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
      weight_decay: decoupled :math:`\lambda` (the authors' ``weight_decouple=True``).
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
    if not callable(weight_decay) and isinstance(weight_decay, int | float) and weight_decay == 0:
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
    weight_decay: optax.ScalarOrSchedule = 0.0,
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
        authors' code); ``0`` (optax's radam) by default.
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
    if isinstance(weight_decay, int | float) and weight_decay == 0 and mask is None:
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
    initial_accumulator_value: jax.typing.ArrayLike = 1e-6,
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
        ``initial_mu_value``).
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
    if not callable(weight_decay) and isinstance(weight_decay, int | float) and weight_decay == 0:
        # optax.contrib's chain (and state) exactly.
        return optax.chain(direction, scale_by_learning_rate(learning_rate))
    if decouple:
        return optax.chain(
            direction,
            _after_first_step(add_decayed_weights(weight_decay, mask)),
            scale_by_learning_rate(learning_rate),
        )
    return optax.chain(
        add_decayed_weights(weight_decay, mask), direction, scale_by_learning_rate(learning_rate)
    )


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
    check_nonnegative("weight_decay", weight_decay)
    direction = scale_by_adamod(b1=b1, b2=b2, b3=b3, eps=eps)
    tail = with_decoupled_decay if decouple else with_coupled_decay
    return tail(direction, learning_rate, weight_decay, mask)


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


# --- emonavi (EmoNavi family, loss-driven scaling; needs update(..., value=loss)). ---
from optzoo.optimizers._emo import emo_chain  # noqa: E402
from optzoo.transforms.adam import scale_by_emonavi  # noqa: E402

__all__ += ["emonavi"]

MUOOON_2025_EMONAVI = Reference(
    "muooon",
    "EmoNavi: an optimizer that scales its steps by the trend of the loss",
    2025,
    "https://github.com/muooon/EmoNavi",
)


@register(
    "emonavi",
    family="adam",
    reference=MUOOON_2025_EMONAVI,
    state_per_param=2,
    needs=("value",),
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="pytorch_optimizer==4.1.0 (EmoNavi)",
        differences="none in the update or the defaults; the loss is passed as value= where "
        "the reference calls a closure",
        no_package="the author publishes source files (muooon/EmoNavi), no package; "
        "pytorch_optimizer's EmoNavi is the packaged implementation",
    ),
)
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

    Needs the loss: ``update(grads, state, params, value=loss)``. With the short (0.3),
    medium (0.05) and long (0.01) EMAs of the loss :math:`S, M, L`, the trend
    :math:`s = \tanh((L - S)/\max(L, 10^{-5}))` sets the drive :math:`d_t`
    (1 while :math:`|s| \le 0.25`; :math:`8|\tau|(1 + 0.1\tau)` with
    :math:`\tau = \operatorname{sign}(s)(1-|s|)` for :math:`0.25 < |s| < 0.5`;
    :math:`1 - |s|` for :math:`|s| > 0.75`). :math:`x_{t+1} = x_t - \eta(d_t u_t +
    \lambda x_t)` (``weight_decouple=False``: :math:`\lambda x_t` joins the gradient).
    With ``use_shadow`` a shadow copy :math:`h` of the weights trails them and, once
    :math:`|s| > 0.625`, the step starts from :math:`(1-|s|)x + |\tau| h`.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1, b2: first- and second-moment decays.
      eps: added to :math:`\sqrt{v_t}`.
      weight_decay: :math:`\lambda`.
      weight_decouple: decoupled (AdamW-style) decay; ``False`` adds it to the gradient.
      use_shadow: keep and blend in the shadow weights (one more copy of the parameters).
      shadow_weight: how far the shadow moves to the weights on a shadow step, in [0, 1].
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs``; ``update`` needs ``params`` and ``value=``.

    The defaults are pytorch_optimizer's (the author's code is not packaged);
    ``optzoo.create("emonavi", preset="authors")`` is the same.

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
    return emo_chain(
        scale_by_emonavi(b1=b1, b2=b2, eps=eps),
        learning_rate,
        weight_decay,
        weight_decouple,
        use_shadow,
        shadow_weight,
        True,
        mask,
    )
