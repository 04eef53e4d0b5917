"""The Adagrad/RMSProp line: Adagrad, RMSProp, Adadelta, MADGRAD and FTRL (Keras's form).

Adagrad, RMSProp and Adadelta are chains of optzoo's own building blocks and give optax's
numbers with optax's state classes; MADGRAD gives ``optax.contrib``'s.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import check_finite, check_nonnegative, check_range, check_unit_interval
from optzoo.optimizers._common import with_coupled_decay, with_decoupled_decay
from optzoo.optimizers.adam import MaskOrFn
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.adagrad_rmsprop import (
    scale_by_adadelta,
    scale_by_adasmooth,
    scale_by_kate,
    scale_by_madgrad,
    scale_by_mirror_madgrad,
    scale_by_rms,
    scale_by_rss,
    scale_by_stddev,
)
from optzoo.transforms.momentum import trace
from optzoo.transforms.scaling import scale_by_learning_rate
from optzoo.transforms.weight_decay import add_decayed_weights

__all__ = [
    "kate",
    "adagrad",
    "rmsprop",
    "adadelta",
    "FtrlState",
    "ftrl",
    "madgrad",
    "mirror_madgrad",
]


MCMAHAN_2013_FTRL = Reference(
    "H. Brendan McMahan, Gary Holt, D. Sculley, et al.",
    "Ad Click Prediction: a View from the Trenches",
    2013,
    "https://doi.org/10.1145/2487575.2488200",
)


DEFAZIO_2021_MADGRAD = Reference(
    "Aaron Defazio, Samy Jelassi",
    "Adaptivity without Compromise: A Momentumized, Adaptive, Dual Averaged Gradient Method "
    "for Stochastic Optimization",
    2021,
    "https://arxiv.org/abs/2101.11075",
)


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


@register(
    "adagrad",
    family="adagrad_rmsprop",
    reference=DUCHI_2011,
    state_per_param=1,
    defaults={"learning_rate": 0.1},
    also_in=("optax",),
    authors=Authors(
        code="paper, Figure 1 (diagonal AdaGrad)",
        preset={"initial_accumulator_value": 0.0, "eps": 1e-10, "eps_in_sqrt": False},
        differences="optzoo (as optax) starts the sum at 0.1 and adds eps=1e-7 inside the root; "
        "the paper starts at 0 and adds delta outside it (delta >= 0 is free; the preset takes "
        "PyTorch's 1e-10)",
        no_package="the authors published no code; the paper (JMLR 2011) gives the algorithm",
    ),
)
def adagrad(
    learning_rate: optax.ScalarOrSchedule,
    initial_accumulator_value: jax.typing.ArrayLike = 0.1,
    eps: jax.typing.ArrayLike = 1e-7,
    *,
    eps_in_sqrt: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""Adagrad: steps scaled by the root of the sum of all past squared gradients.

    .. math::
       s_t = s_{t-1} + g_t^2, \qquad x_{t+1} = x_t - \eta\, \frac{g_t}{\sqrt{s_t + \epsilon}}.

    optzoo's defaults are optax's (:math:`s_0 = 0.1`, :math:`\epsilon` inside the root); the
    paper's (:math:`s_0 = 0`, :math:`\delta` outside the root) are
    ``optzoo.create("adagrad", preset="authors")``.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      initial_accumulator_value: :math:`s_0 \ge 0`.
      eps: :math:`\epsilon \ge 0` inside the square root.
      eps_in_sqrt: ``False`` divides by :math:`\sqrt{s_t} + \epsilon` instead (the paper's
        :math:`\delta`).

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
        scale_by_rss(
            initial_accumulator_value=initial_accumulator_value, eps=eps, eps_in_sqrt=eps_in_sqrt
        ),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "rmsprop",
    family="adagrad_rmsprop",
    reference=HINTON_2012,
    state_per_param=1,
    defaults={"learning_rate": 0.01},
    also_in=("optax",),
    authors=Authors(
        code="lecture 6e slides (rmsprop)",
        preset={"decay": 0.9, "eps": 0.0},
        differences="optzoo (as optax) adds eps=1e-8 inside the root; the lecture has no eps",
        no_package="the method was published as lecture slides, with no code",
    ),
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

    optzoo's :math:`\epsilon = 10^{-8}` (optax's) is not in the lecture;
    ``optzoo.create("rmsprop", preset="authors")`` sets it to 0 (then a coordinate whose
    gradients were all zero divides 0 by 0).

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
    family="adagrad_rmsprop",
    reference=ZEILER_2012,
    state_per_param=2,
    defaults={"learning_rate": 1.0},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={"learning_rate": 1.0, "rho": 0.95, "eps": 1e-6},
        differences="optzoo (as optax) decays with rho=0.9; the paper uses rho=0.95 and no "
        "learning rate (1.0)",
        no_package="the author published no code; the paper gives the algorithm box",
    ),
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

    optzoo's ``rho=0.9`` is optax's; the paper's :math:`\rho = 0.95`, :math:`\epsilon = 10^{-6}`
    and no learning rate (1.0) are ``optzoo.create("adadelta", preset="authors")``.

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
    return with_coupled_decay(
        scale_by_adadelta(rho=rho, eps=eps), learning_rate, weight_decay, weight_decay_mask
    )


class FtrlState(NamedTuple):
    """State of :func:`ftrl`."""

    count: jax.Array  # type: ignore[assignment]
    accumulator: optax.Updates  # n: sum of squared gradients (plus the initial value)
    linear: optax.Updates  # z: the FTRL linear term


@register(
    "ftrl",
    family="adagrad_rmsprop",
    reference=MCMAHAN_2013_FTRL,
    state_per_param=2,
    defaults={"learning_rate": 0.1},
    also_in=(),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={"initial_accumulator_value": 0.0, "beta": 1.0},
        differences="optzoo (as Keras) starts n at 0.1 with beta=0; the paper starts n at 0 with "
        "beta=1; the paper's lambda2 is twice l2_regularization_strength",
        no_package="the authors (Google) published no code; the paper gives the algorithm box",
    ),
)
def ftrl(
    learning_rate: optax.ScalarOrSchedule,
    learning_rate_power: jax.typing.ArrayLike = -0.5,
    initial_accumulator_value: jax.typing.ArrayLike = 0.1,
    l1_regularization_strength: jax.typing.ArrayLike = 0.0,
    l2_regularization_strength: jax.typing.ArrayLike = 0.0,
    l2_shrinkage_regularization_strength: jax.typing.ArrayLike = 0.0,
    beta: jax.typing.ArrayLike = 0.0,
) -> optax.GradientTransformationExtraArgs:
    r"""FTRL-Proximal in the form of ``keras.optimizers.Ftrl`` (same numbers).

    With :math:`p` = ``-learning_rate_power``, :math:`\tilde g = g + 2\lambda_s x`,
    :math:`\lambda_2' = \lambda_2 + \beta/(2\eta)`:

    .. math::
       n' = n + g^2,\quad z \mathrel{+}= \tilde g - \frac{n'^p - n^p}{\eta} x,\quad
       x \leftarrow \frac{\operatorname{clip}(z, \pm\lambda_1) - z}{n'^p/\eta + 2\lambda_2'}.

    optzoo's defaults are Keras's (:math:`n_0 = 0.1`, :math:`\beta = 0`); the paper's
    (:math:`n_0 = 0`, :math:`\beta = 1`) are ``optzoo.create("ftrl", preset="authors")``, and the
    paper's :math:`\lambda_2` is ``2 * l2_regularization_strength``.

    Args:
      learning_rate: :math:`\eta` (scalar or schedule of the step).
      learning_rate_power: :math:`-p`, ``<= 0`` (-0.5: AdaGrad-like rates).
      initial_accumulator_value: starting :math:`n`, ``>= 0``.
      l1_regularization_strength: :math:`\lambda_1` (produces exact zeros).
      l2_regularization_strength: :math:`\lambda_2`.
      l2_shrinkage_regularization_strength: :math:`\lambda_s`, an L2 term on the gradient.
      beta: the :math:`\beta` of the per-coordinate rates in the paper.

    Returns:
      A ``GradientTransformationExtraArgs`` with state :class:`FtrlState`; needs params.

    Example:
      >>> import optzoo
      >>> tx = optzoo.ftrl(0.1, l1_regularization_strength=1e-3)

    References:
      McMahan et al. Ad Click Prediction: a View from the Trenches. 2013.
      https://doi.org/10.1145/2487575.2488200
    """
    check_finite("learning_rate", learning_rate)
    check_range("learning_rate_power", learning_rate_power, high=0.0)
    check_nonnegative("initial_accumulator_value", initial_accumulator_value)
    check_nonnegative("l1_regularization_strength", l1_regularization_strength)
    check_nonnegative("l2_regularization_strength", l2_regularization_strength)
    check_nonnegative("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)
    check_nonnegative("beta", beta)

    def init_fn(params):
        return FtrlState(
            count=jnp.zeros([], jnp.int32),
            accumulator=optax.tree.full_like(params, initial_accumulator_value),
            linear=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("ftrl needs params")
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
        power = -learning_rate_power

        def one(g, n, z, x):
            lr_x = jnp.asarray(lr, x.dtype)
            l2 = l2_regularization_strength + beta / (2.0 * lr_x)
            g_shrunk = g + 2 * l2_shrinkage_regularization_strength * x
            n_new = n + g * g
            z_new = z + g_shrunk - (n_new**power - n**power) / lr_x * x
            quadratic = n_new**power / lr_x + 2 * l2
            z_clip = jnp.clip(z_new, -l1_regularization_strength, l1_regularization_strength)
            x_new = (z_clip - z_new) / quadratic
            return (x_new - x).astype(x.dtype), n_new, z_new

        outs = jax.tree.map(one, updates, state.accumulator, state.linear, params)
        treedef = jax.tree.structure(updates)
        flat = treedef.flatten_up_to(outs)
        pick = lambda i: treedef.unflatten([o[i] for o in flat])  # noqa: E731
        return pick(0), FtrlState(
            count=optax.safe_increment(state.count), accumulator=pick(1), linear=pick(2)
        )

    return optax.GradientTransformationExtraArgs(
        init_fn, lambda u, s, params=None, **extra: update_fn(u, s, params)
    )


@register(
    "madgrad",
    family="adagrad_rmsprop",
    reference=DEFAZIO_2021_MADGRAD,
    state_per_param=3,
    defaults={"learning_rate": 1e-2},
    also_in=("optax.contrib",),
    authors=Authors(code="madgrad==1.3"),
)
def madgrad(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    eps: float = 1e-6,
) -> optax.GradientTransformation:
    r"""MADGRAD: dual averaging with cube-root adaptivity and momentum.

    Weight decay :math:`\lambda x` is added to the gradient, then
    :func:`optzoo.scale_by_madgrad` produces the step.

    Args:
      learning_rate: :math:`\eta`.
      momentum: iterate-averaging momentum.
      weight_decay: coupled weight decay :math:`\lambda`.
      eps: stabiliser.

    Returns:
      A ``GradientTransformation`` equal to ``optax.contrib.madgrad``.

    The defaults are those of the authors' ``madgrad`` package (coupled weight decay, its
    ``decouple_decay=False``); ``optzoo.create("madgrad", preset="authors")`` is the same.

    Example:
      >>> import optzoo
      >>> tx = optzoo.madgrad(1e-2)

    References:
      Defazio, Jelassi. Adaptivity without Compromise: A Momentumized, Adaptive, Dual
      Averaged Gradient Method for Stochastic Optimization. 2021.
      https://arxiv.org/abs/2101.11075
    """
    check_unit_interval("momentum", momentum)
    check_finite("learning_rate", learning_rate)
    return optax.chain(
        add_decayed_weights(weight_decay),
        scale_by_madgrad(learning_rate=learning_rate, momentum=momentum, eps=eps),
    )


@register(
    "mirror_madgrad",
    family="adagrad_rmsprop",
    reference=DEFAZIO_2021_MADGRAD,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    authors=Authors(code="madgrad==1.3"),
)
def mirror_madgrad(
    learning_rate: optax.ScalarOrSchedule,
    momentum: jax.typing.ArrayLike = 0.9,
    weight_decay: jax.typing.ArrayLike = 0.0,
    eps: jax.typing.ArrayLike = 0.0,
    decouple_decay: bool = False,
) -> optax.GradientTransformation:
    r"""Mirror MADGRAD: the mirror-descent form of MADGRAD (:func:`scale_by_mirror_madgrad`).

    The authors' ``MirrorMADGRAD`` (package ``madgrad``), with their defaults: it replaces
    MADGRAD's dual averaging by a mirror step on :math:`z` with a decayed sum of squared
    gradients, for problems (as fine-tuning) where dual averaging moves too far from the
    start. ``weight_decay`` is an L2 term added to the gradient, or with
    ``decouple_decay=True`` a decay of :math:`z` by :math:`\eta\lambda` (the authors'
    experimental option).

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      momentum: weight of the previous iterate, in ``[0, 1)``.
      weight_decay: :math:`\lambda`.
      eps: added to the learning rate and the cube root (the authors' default 0).
      decouple_decay: decay :math:`z` instead of adding :math:`\lambda x` to the gradient.

    Returns:
      A ``GradientTransformation``; ``update`` needs params.

    Example:
      >>> import optzoo
      >>> tx = optzoo.mirror_madgrad(1e-2, momentum=0.9)

    References:
      Defazio, Jelassi. 2021, the paper of :func:`madgrad`. https://arxiv.org/abs/2101.11075
    """
    check_unit_interval("momentum", momentum)
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    if decouple_decay:
        return scale_by_mirror_madgrad(learning_rate, momentum, eps, weight_decay)
    return optax.chain(
        add_decayed_weights(weight_decay),
        scale_by_mirror_madgrad(learning_rate, momentum, eps),
    )


CHOUDHURY_2024_KATE = Reference(
    "Sayantan Choudhury, Nazarii Tupitsa, Nicolas Loizou, Samuel Horvath, Martin Takac, "
    "Eduard Gorbunov",
    "Remove that Square Root: A New Efficient Scale-Invariant Version of AdaGrad",
    2024,
    "https://arxiv.org/abs/2403.02648",
)


@register(
    "kate",
    family="adagrad_rmsprop",
    reference=CHOUDHURY_2024_KATE,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    authors=Authors(
        code="the authors' KATE class (codes/optimizers.py of nazya/KATE)",
        preset={"learning_rate": 1.0, "eps_in_sum": False},
        differences="the authors add eps to the sum of squares in the denominators only "
        "(eps_in_sum=False); optzoo, as pytorch_optimizer, accumulates it every step; "
        "create()'s lr 1e-2 vs the authors' 1",
        no_package="the authors published their experiment code (nazya/KATE), no package",
    ),
)
def kate(
    learning_rate: optax.ScalarOrSchedule,
    delta: float = 1e-3,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    mask: Any = None,
    *,
    eps_in_sum: bool = True,
) -> optax.GradientTransformation:
    r"""KATE: a scale-invariant AdaGrad without the square root (:func:`scale_by_kate`).

    ``delta`` defaults to 1e-3, the authors' code's default (their ``eta``);
    pytorch_optimizer's ``Kate`` defaults to 0. As in AdaGrad the steps shrink with the
    accumulated squared gradients (here like :math:`1/b_t` rather than
    :math:`1/\sqrt{b_t}`), so long runs need a large learning rate (the authors use 1).

    :math:`x_{t+1} = x_t - \eta (u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_kate` and decoupled decay (pytorch_optimizer's default).

    Args:
      learning_rate: step size :math:`\eta`, a scalar or a schedule.
      delta: weight of the plain squared gradients in :math:`m`.
      eps: added to :math:`b_t^2` every step.
      weight_decay: decoupled decay :math:`\lambda`.
      mask: which leaves decay, as in optax.
      eps_in_sum: accumulate ``eps`` in the sum of squares (pytorch_optimizer); ``False``
        adds it to the denominators only, as the authors' code
        (``optzoo.create("kate", preset="authors")``).

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.kate(1e-2)
      >>> state = tx.init(jnp.ones(3))

    References:
      Sayantan Choudhury, Nazarii Tupitsa, Nicolas Loizou, Samuel Horvath, Martin Takac,
      Eduard Gorbunov. Remove that Square Root: A New Efficient Scale-Invariant Version of
      AdaGrad. 2024. https://arxiv.org/abs/2403.02648
    """
    check_nonnegative("weight_decay", weight_decay)
    return with_decoupled_decay(
        scale_by_kate(delta=delta, eps=eps, eps_in_sum=eps_in_sum),
        learning_rate,
        weight_decay,
        mask,
    )


LU_2022_ADASMOOTH = Reference(
    "Jun Lu",
    "AdaSmooth: An Adaptive Learning Rate Method based on Effective Ratio",
    2022,
    "https://arxiv.org/abs/2204.00825",
)


@register(
    "adasmooth",
    family="adagrad_rmsprop",
    reference=LU_2022_ADASMOOTH,
    state_per_param=4,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="paper, Algorithm 1 (AdaSmooth) with the window M the whole run",
        differences="the paper averages the effective ratio over the last M steps; here (as in "
        "pytorch_optimizer) over all steps so far",
        no_package="the author published no code",
    ),
)
def adasmooth(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.5,
    b2: jax.typing.ArrayLike = 0.99,
    eps: jax.typing.ArrayLike = 1e-6,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mask: MaskOrFn = None,
) -> optax.GradientTransformation:
    r"""AdaSmooth: RMSProp with a per-coordinate decay set by the effective ratio.

    .. math::
       e_t = \frac{|x_t - x_1|}{\sum_{i \le t} |x_i - x_{i-1}| + \epsilon},\quad
       c_t = (\rho_2 - \rho_1) e_t + 1 - \rho_2,\quad
       v_t = c_t^2 g_t^2 + (1 - c_t^2) v_{t-1},\quad
       x_{t+1} = x_t - \eta\, \frac{g_t}{\sqrt{v_t + \epsilon}}

    (:func:`optzoo.scale_by_adasmooth`). Weight decay is L2 (added to the gradient), as
    pytorch_optimizer's default (its decoupled mode also counts the first decay as a move of
    the parameters, which changes the effective ratio; not offered). Needs params.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1: :math:`\rho_1` in ``[0, 1)`` (the paper: 0.5).
      b2: :math:`\rho_2` in ``[0, 1)`` (the paper: 0.99).
      eps: stabiliser of the ratio and of the root.
      weight_decay: decay :math:`\lambda \ge 0`.
      mask: which leaves decay, as in optax.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adasmooth(1e-3)

    References:
      Jun Lu. AdaSmooth: An Adaptive Learning Rate Method based on Effective Ratio. 2022.
      https://arxiv.org/abs/2204.00825

    The defaults are the paper's (``optzoo.create("adasmooth", preset="authors")`` is the same).
    """
    check_nonnegative("weight_decay", weight_decay)
    return with_coupled_decay(
        scale_by_adasmooth(b1=b1, b2=b2, eps=eps), learning_rate, weight_decay, mask
    )


__all__ += ["adasmooth"]
