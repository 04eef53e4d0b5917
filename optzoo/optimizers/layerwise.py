"""Layer-wise adaptive optimizers: LARS, LAMB (trust ratio) and NovoGrad (per-layer moments).

Each gives optax's numbers, has optax's signature and uses optax's state classes.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import check_nonnegative, check_unit_interval
from optzoo.optimizers.adam import MaskOrFn
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.adam import scale_by_adam
from optzoo.transforms.layerwise import (
    bound_param_norm,
    centre_normalise_neurons,
    scale_by_nero,
    scale_by_novograd,
    scale_by_trust_ratio,
)
from optzoo.transforms.momentum import trace
from optzoo.transforms.scaling import scale_by_learning_rate
from optzoo.transforms.weight_decay import add_decayed_weights

__all__ = [
    "fromage",
    "lamb",
    "lars",
    "novograd",
]


YOU_2020_LAMB = Reference(
    "Yang You, Jing Li, Sashank Reddi, Jonathan Hseu, Sanjiv Kumar, Srinadh Bhojanapalli, "
    "Xiaodan Song, James Demmel, Kurt Keutzer, Cho-Jui Hsieh",
    "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes",
    2020,
    "https://arxiv.org/abs/1904.00962",
)


YOU_2017_LARS = Reference(
    "Yang You, Igor Gitman, Boris Ginsburg",
    "Large Batch Training of Convolutional Networks",
    2017,
    "https://arxiv.org/abs/1708.03888",
)


GINSBURG_2019_NOVOGRAD = Reference(
    "Boris Ginsburg, Patrice Castonguay, Oleksii Hrinchuk, Oleksii Kuchaiev, Vitaly Lavrukhin, "
    "Ryan Leary, Jason Li, Huyen Nguyen, Yang Zhang, Jonathan M. Cohen",
    "Stochastic Gradient Methods with Layer-wise Adaptive Moments for Training of Deep Networks",
    2019,
    "https://arxiv.org/abs/1905.11286",
)


@register(
    "lamb",
    family="layerwise",
    reference=YOU_2020_LAMB,
    state_per_param=2,
    defaults={"learning_rate": 1e-2},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithm 2",
        no_package="the authors' implementation is TensorFlow 1 code, not a package",
    ),
)
def lamb(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-6,
    eps_root: jax.typing.ArrayLike = 0.0,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: MaskOrFn = None,
) -> optax.GradientTransformationExtraArgs:
    r"""LAMB: Adam directions rescaled layer-wise by a trust ratio.

    .. math::
       r_t = \hat m_t/(\sqrt{\hat v_t + \epsilon_{root}} + \epsilon) + \lambda x_t,\qquad
       x_{t+1} = x_t - \eta\, \frac{\|x_t\|}{\|r_t\|}\, r_t.

    optzoo's defaults are the paper's (Algorithm 2 with :math:`\phi(z) = z`, :math:`\epsilon =
    10^{-6}`), so ``optzoo.create("lamb", preset="authors")`` changes nothing.

    Args:
      learning_rate: :math:`\eta`, scalar or schedule.
      b1, b2: Adam moment decays.
      eps, eps_root: Adam denominators.
      weight_decay: :math:`\lambda`.
      mask: weight-decay mask (pytree or callable).

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.lamb``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.lamb(1e-3, weight_decay=0.01)

    References:
      You et al. Large Batch Optimization for Deep Learning: Training BERT in 76 minutes.
      2020. https://arxiv.org/abs/1904.00962
    """
    return optax.chain(
        scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root),
        add_decayed_weights(weight_decay=weight_decay, mask=mask),
        scale_by_trust_ratio(),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "lars",
    family="layerwise",
    reference=YOU_2017_LARS,
    state_per_param=1,
    defaults={"learning_rate": 1.0},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={"split_norm": True},
        differences="optzoo (as optax) divides by ||g + wd x||; Algorithm 1 by ||g|| + wd ||x|| "
        "(split_norm=True); its polynomial learning-rate decay is a schedule to pass",
        no_package="the authors published no package (they implemented LARS in NVIDIA Caffe)",
    ),
)
def lars(
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    weight_decay_mask: MaskOrFn = True,
    trust_coefficient: jax.typing.ArrayLike = 0.001,
    eps: jax.typing.ArrayLike = 0.0,
    trust_ratio_mask: MaskOrFn = True,
    momentum: jax.typing.ArrayLike = 0.9,
    nesterov: bool = False,
    *,
    split_norm: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""LARS: SGD with momentum on layer-wise trust-ratio-scaled gradients.

    .. math::
       r_t = (g_t + \lambda x_t)\, \frac{c\|x_t\|}{\|g_t + \lambda x_t\| + \epsilon},\qquad
       b_t = \mu b_{t-1} - \eta r_t,\qquad x_{t+1} = x_t + b_t.

    optzoo's trust ratio is optax's; the paper's Algorithm 1 divides by
    :math:`\|g_t\| + \lambda\|x_t\|` instead: ``split_norm=True``, which
    ``optzoo.create("lars", preset="authors")`` selects.

    Args:
      learning_rate: :math:`\eta`.
      weight_decay: :math:`\lambda`.
      weight_decay_mask: where to apply weight decay.
      trust_coefficient: :math:`c`.
      eps: added to the update norm.
      trust_ratio_mask: where to apply the trust ratio.
      momentum: :math:`\mu`.
      nesterov: Nesterov momentum.
      split_norm: the paper's denominator :math:`\|g_t\| + \lambda\|x_t\| + \epsilon`
        (``weight_decay`` must then be a scalar).

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.lars`` (by default).

    Example:
      >>> import optzoo
      >>> tx = optzoo.lars(1.0, weight_decay=1e-4)

    References:
      You, Gitman, Ginsburg. Large Batch Training of Convolutional Networks. 2017.
      https://arxiv.org/abs/1708.03888
    """
    check_nonnegative("trust_coefficient", trust_coefficient)
    check_unit_interval("momentum", momentum)
    if split_norm:
        if callable(weight_decay):
            raise ValueError("lars: split_norm=True needs a scalar weight_decay, not a schedule")
        check_nonnegative("weight_decay", weight_decay)
        return optax.chain(
            _split_norm_trust_ratio(
                weight_decay, weight_decay_mask, trust_coefficient, eps, trust_ratio_mask
            ),
            scale_by_learning_rate(learning_rate),
            trace(decay=momentum, nesterov=nesterov),
        )
    return optax.chain(
        add_decayed_weights(weight_decay, mask=weight_decay_mask),
        optax.masked(
            inner=scale_by_trust_ratio(trust_coefficient=trust_coefficient, eps=eps),
            mask=trust_ratio_mask,
        ),
        scale_by_learning_rate(learning_rate),
        trace(decay=momentum, nesterov=nesterov),
    )


def _split_norm_trust_ratio(
    weight_decay: jax.typing.ArrayLike,
    weight_decay_mask: MaskOrFn,
    trust_coefficient: jax.typing.ArrayLike,
    eps: jax.typing.ArrayLike,
    trust_ratio_mask: MaskOrFn,
) -> optax.GradientTransformation:
    # Algorithm 1 of You, Gitman, Ginsburg: (g + wd x) * c ||x|| / (||g|| + wd ||x|| + eps),
    # with optax's conventions elsewhere (ratio 1 where a norm is 0; masks as in lars).
    def resolve(mask, params):
        mask = mask(params) if callable(mask) else mask
        if isinstance(mask, bool):
            return jax.tree.map(lambda _: mask, params)
        return mask

    def one(g, x, decays, trusted):
        wd = weight_decay if decays else 0.0
        d = g + wd * x
        if not trusted:
            return d
        x_norm, g_norm = jnp.linalg.norm(x), jnp.linalg.norm(g)
        ratio = trust_coefficient * x_norm / (g_norm + wd * x_norm + eps)
        zero = jnp.logical_or(x_norm == 0.0, g_norm + wd * x_norm == 0.0)
        return d * jnp.where(zero, jnp.ones([], x.dtype), ratio).astype(x.dtype)

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("lars needs params")
        decays = resolve(weight_decay_mask, params)
        trusted = resolve(trust_ratio_mask, params)
        return jax.tree.map(one, updates, params, decays, trusted), state

    return optax.GradientTransformation(optax.init_empty_state, update_fn)


@register(
    "novograd",
    family="layerwise",
    reference=GINSBURG_2019_NOVOGRAD,
    state_per_param=1,
    defaults={"learning_rate": 1e-2},
    also_in=("optax",),
    authors=Authors(
        code="OpenSeq2Seq NovoGrad2 (paper, Algorithm 1)",
        preset={"b1": 0.95, "b2": 0.98, "eps": 0.0, "eps_root": 1e-8},
        differences="optzoo's b1=0.9, b2=0.25, eps=1e-6 outside the root are optax's; the "
        "authors' are 0.95, 0.98 and 1e-8 inside the root",
        no_package="the authors' code is TensorFlow 1 (NVIDIA OpenSeq2Seq) and CUDA-only apex",
    ),
)
def novograd(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.25,
    eps: jax.typing.ArrayLike = 1e-6,
    eps_root: jax.typing.ArrayLike = 0.0,
    weight_decay: optax.ScalarOrSchedule = 0.0,
) -> optax.GradientTransformationExtraArgs:
    r"""NovoGrad: layer-wise normalised gradients with momentum.

    :math:`x_{t+1} = x_t - \eta\, m_t` with :math:`m_t` from :func:`optzoo.scale_by_novograd`.

    optzoo's defaults are optax's; the authors' (OpenSeq2Seq: :math:`\beta_1 = 0.95`,
    :math:`\beta_2 = 0.98`, :math:`\epsilon_{root} = 10^{-8}` inside the root) are
    ``optzoo.create("novograd", preset="authors")``.

    Args:
      learning_rate: :math:`\eta`.
      b1: momentum.
      b2: decay of the layer-wise second moment.
      eps, eps_root: denominators.
      weight_decay: :math:`\lambda`.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.novograd``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.novograd(1e-2)

    References:
      Ginsburg et al. Stochastic Gradient Methods with Layer-wise Adaptive Moments for
      Training of Deep Networks. 2019. https://arxiv.org/abs/1905.11286
    """
    check_nonnegative("eps_root", eps_root)
    check_nonnegative("weight_decay", weight_decay)
    return optax.chain(
        scale_by_novograd(b1=b1, b2=b2, eps=eps, eps_root=eps_root, weight_decay=weight_decay),
        scale_by_learning_rate(learning_rate),
    )


BERNSTEIN_2020_FROMAGE = Reference(
    "Jeremy Bernstein, Arash Vahdat, Yisong Yue, Ming-Yu Liu",
    "On the distance between two neural networks and the stability of learning",
    2020,
    "https://arxiv.org/abs/2002.03432",
)


@register(
    "fromage",
    family="layerwise",
    reference=BERNSTEIN_2020_FROMAGE,
    state_per_param=0,
    defaults={"learning_rate": 1e-2},
    also_in=("optax",),
    authors=Authors(
        code="paper, Algorithm 1 (Fromage)",
        differences="none; p_bound (a cap on each layer's norm, off by default) is an "
        "option of the authors' code",
        no_package="the authors published source files (jxbz/fromage), no package",
    ),
)
def fromage(
    learning_rate: optax.ScalarOrSchedule,
    min_norm: jax.typing.ArrayLike = 1e-6,
    *,
    p_bound: float | None = None,
) -> optax.GradientTransformation:
    r"""Fromage (Frobenius matched gradient descent): per-tensor relative steps.

    .. math::
       x_{t+1} = \frac{x_t - \eta \frac{\|x_t\|}{\|g_t\|} g_t}{\sqrt{1 + \eta^2}}

    per leaf (norms floored at ``min_norm``): every tensor moves by :math:`\eta` relative to
    its own norm, then shrinks so its norm does not drift up. The same chain as
    ``optax.fromage`` (``scale_by_trust_ratio``, the learning rate times
    :math:`1/\sqrt{1+\eta^2}`, and a decay of :math:`1 - 1/\sqrt{1+\eta^2}`), with
    optax's numbers. ``p_bound`` (keyword-only, the authors' option) also caps each leaf's
    norm at ``p_bound`` times its norm at ``init`` (:func:`bound_param_norm`).

    Args:
      learning_rate: relative step :math:`\eta`, a scalar or a schedule (the paper: 1e-2).
      min_norm: floor of the norms in the trust ratio.
      p_bound: optional cap on each leaf's norm, relative to its norm at ``init``.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.fromage(1e-2)
      >>> params = jnp.ones(3)
      >>> updates, state = tx.update(jnp.ones(3), tx.init(params), params)

    References:
      Jeremy Bernstein, Arash Vahdat, Yisong Yue, Ming-Yu Liu. On the distance between two
      neural networks and the stability of learning. 2020. https://arxiv.org/abs/2002.03432
    """
    if callable(learning_rate):
        mult = lambda c: 1 / (1 + learning_rate(c) ** 2) ** 0.5  # noqa: E731
        step: optax.ScalarOrSchedule = lambda c: mult(c) * learning_rate(c)  # noqa: E731
        decay: optax.ScalarOrSchedule = lambda c: mult(c) - 1  # noqa: E731
    else:
        m = 1 / (1 + learning_rate**2) ** 0.5
        step, decay = learning_rate * m, m - 1
    parts = [
        scale_by_trust_ratio(min_norm),
        scale_by_learning_rate(step),
        # optax's own: the shrink is a negative decay, which optzoo's validated
        # add_decayed_weights would reject.
        optax.add_decayed_weights(decay),
    ]
    if p_bound is not None:
        parts.append(bound_param_norm(p_bound))
    return optax.chain(*parts)


LIU_2021_NERO = Reference(
    "Yang Liu, Jeremy Bernstein, Markus Meister, Yisong Yue",
    "Learning by Turning: Neural Architecture Aware Optimisation",
    2021,
    "https://arxiv.org/abs/2102.07227",
)


@register(
    "nero",
    family="layerwise",
    reference=LIU_2021_NERO,
    state_per_param=0,
    defaults={"learning_rate": 1e-2},
    authors=Authors(
        code="paper, Algorithm 1 (Nero), with the authors' code's per-leaf scale and eps",
        no_package="the authors published source files (jxbz/nero), no package",
    ),
)
def nero(
    learning_rate: optax.ScalarOrSchedule,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    constraints: bool = True,
) -> optax.GradientTransformation:
    r"""Nero: per-neuron normalised steps on centred, unit-norm neurons.

    For each neuron :math:`i` (a slice along the first axis of a rank >= 2 leaf; every entry
    of a scalar or vector leaf is a neuron of its own),

    .. math::
       v_{t,i} = \beta v_{t-1,i} + (1-\beta)\|g_{t,i}\|^2,\qquad
       x_{t,i} \leftarrow x_{t,i} - \eta\, \sigma \frac{g_{t,i}}{\sqrt{v_{t,i}/(1-\beta^t)}
       + \epsilon},

    then (``constraints``, rank >= 2 leaves) each neuron is centred and scaled to unit norm,
    also once before the first step. :math:`\sigma` is each leaf's mean neuron norm at
    ``init`` (:func:`optzoo.scale_by_nero`, :func:`optzoo.centre_normalise_neurons`).
    No weight decay: the constraint fixes the scale. Needs params.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule (the paper: 0.01).
      b2: decay :math:`\beta` of the squared neuron norms, in ``[0, 1]``.
      eps: added to the denominator and to the norms of the constraint.
      constraints: centre and normalise the neurons of rank >= 2 leaves.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.nero(1e-2)

    References:
      Yang Liu, Jeremy Bernstein, Markus Meister, Yisong Yue. Learning by Turning: Neural
      Architecture Aware Optimisation. 2021. https://arxiv.org/abs/2102.07227

    The defaults are the authors' (``optzoo.create("nero", preset="authors")`` is the same).
    """
    parts = [scale_by_nero(b2=b2, eps=eps, constraints=constraints)]
    parts.append(scale_by_learning_rate(learning_rate))
    if constraints:
        parts.append(centre_normalise_neurons(eps))
    return optax.chain(*parts)


__all__ += ["nero"]
