r"""Low-memory projection methods: GaLore-AdamW.

``galore_adamw`` / ``scale_by_galore_adam`` are not named ``galore`` / ``scale_by_galore``:
``optax.contrib`` ships those with another signature (a ``base_optimizer`` and
``weight_dimension_numbers``) and optax's Adam (:math:`\epsilon` on the bias-corrected
:math:`\sqrt{\hat v}`), whereas these follow the authors' ``GaLoreAdamW``.
"""

from __future__ import annotations

from typing import Any

import jax
import optax

from optzoo.core.validation import check_finite, check_nonnegative
from optzoo.optimizers._common import (
    with_coupled_decay,
    with_decay_after_step,
    with_decoupled_decay,
)
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.low_rank import (
    scale_by_alice,
    scale_by_apollo,
    scale_by_conda,
    scale_by_demo,
    scale_by_fira,
    scale_by_galore_adam,
    scale_by_racs,
    scale_by_spam,
    scale_by_stablespam,
)

__all__ = [
    "galore_adamw",
    "spam",
    "stablespam",
    "apollo",
    "apollo_mini",
    "fira",
    "conda",
    "racs",
    "alice",
    "demo",
]


def _with_decay(
    direction: optax.GradientTransformation,
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: optax.ScalarOrSchedule,
    mask: Any,
    decay_updated_weights: bool,
) -> optax.GradientTransformationExtraArgs:
    r""":func:`with_decoupled_decay`, or with ``decay_updated_weights`` the decay of the
    stepped weights, :math:`x_{t+1} = (x_t - \eta u_t)(1 - \eta\lambda)`."""
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    if not decay_updated_weights:
        return with_decoupled_decay(direction, learning_rate, weight_decay, mask)
    return with_decay_after_step(direction, learning_rate, weight_decay, mask)


ZHAO_2024_GALORE = Reference(
    authors="Zhao, Zhang, Chen, Wang, Anandkumar, Tian",
    title="GaLore: Memory-Efficient LLM Training by Gradient Low-Rank Projection",
    year=2024,
    url="https://arxiv.org/abs/2403.03507",
)


@register(
    "galore_adamw",
    family="low_rank",
    reference=ZHAO_2024_GALORE,
    state_per_param=0.375,
    defaults={"learning_rate": 1e-2},
    authors=Authors(
        code="galore-torch==1.0",
        preset={"learning_rate": 1e-3, "decay_updated_weights": True},
        differences="the authors' GaLoreAdamW shrinks the stepped weights by (1 - lr * wd) "
        "after the step (decay_updated_weights=True), optzoo decays before it as AdamW; create()'s "
        "lr 1e-2 vs 1e-3",
    ),
)
def galore_adamw(
    learning_rate: optax.ScalarOrSchedule,
    rank: int = 128,
    update_proj_gap: int = 200,
    scale: jax.typing.ArrayLike = 0.25,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-6,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
    *,
    torch_refresh: bool = False,
    decay_updated_weights: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""GaLore-AdamW: Adam in a rank-:math:`r` SVD subspace of each matrix's gradient.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_galore_adam` (projected Adam for matrices, plain Adam for other
    leaves).

    Args:
      learning_rate: :math:`\eta`.
      rank: projection rank :math:`r`.
      update_proj_gap: steps :math:`T` between SVD refreshes of the projection.
      scale: :math:`\alpha`, multiplier of the projected-back update.
      b1: first-moment decay.
      b2: second-moment decay.
      eps: added to :math:`\sqrt{v_t}`.
      weight_decay: decoupled decay :math:`\lambda`.
      mask: weight-decay mask.
      torch_refresh: refresh the projection at ``pytorch_optimizer``'s steps (1 and
        :math:`kT`, 1-based) instead of the authors' (:math:`1 + kT`).
      decay_updated_weights: the authors' decay,
        :math:`x_{t+1} = (1 - \eta\lambda)(x_t - \eta u_t)`, instead of AdamW's
        :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)`
        (``optzoo.create("galore_adamw", preset="authors")``).

    Returns:
      A ``GradientTransformationExtraArgs``.

    ``pytorch_optimizer``'s ``GaLore`` applies the decay after the step,
    :math:`x_{t+1} = (x_t - \eta \alpha u_t)(1 - \eta\lambda)`, a difference of order
    :math:`\eta^2\lambda`.

    Example:
      >>> import optzoo
      >>> tx = optzoo.galore_adamw(1e-3, rank=4, update_proj_gap=50)

    References:
      Zhao et al. GaLore: Memory-Efficient LLM Training by Gradient Low-Rank Projection.
      2024. https://arxiv.org/abs/2403.03507
    """
    direction = scale_by_galore_adam(
        rank=rank,
        update_proj_gap=update_proj_gap,
        scale=scale,
        b1=b1,
        b2=b2,
        eps=eps,
        torch_refresh=torch_refresh,
    )
    return _with_decay(direction, learning_rate, weight_decay, mask, decay_updated_weights)


HUANG_2025_SPAM = Reference(
    authors="Huang, Zhu, Jin, Liu, Wang, Liu",
    title="SPAM: Spike-Aware Adam with Momentum Reset for Stable LLM Training",
    year=2025,
    url="https://arxiv.org/abs/2501.06842",
)


@register(
    "spam",
    family="low_rank",
    reference=HUANG_2025_SPAM,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="paper, Algorithm 1 (spike clipping, momentum reset, cosine warm-up)",
        preset={"decay_updated_weights": True},
        differences="optzoo decays x_t - eta lambda x_t inside the step (optax form); the "
        "authors' code decays the stepped weights (decay_updated_weights=True)",
        no_package="the authors published a repository (TianjinYellow/SPAM-Optimizer), not a "
        "package on the index",
    ),
)
def spam(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-6,
    threshold: jax.typing.ArrayLike = 5000.0,
    grad_accu_steps: int = 20,
    update_proj_gap: int = 500,
    warmup_steps: int = 50,
    density: float = 1.0,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
    *,
    key: jax.Array | int = 0,
    decay_updated_weights: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""SPAM: Spike-Aware Adam with Momentum Reset.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_spam`: Adam whose moments are reset every :math:`T` steps, whose
    gradient spikes (:math:`g^2 > \theta v_{t-1}`) are clipped to
    :math:`\operatorname{sign}(g)\sqrt{\theta v_{t-1}}`, and whose step ramps up along a
    cosine over :math:`W` steps after each reset; with ``density < 1`` each matrix updates a
    random subset of its entries, drawn from ``key``.

    Args:
      learning_rate: :math:`\eta`.
      b1: first-moment decay.
      b2: second-moment decay.
      eps: added to :math:`\sqrt{v_t}`.
      threshold: spike threshold :math:`\theta` (0: no clipping).
      grad_accu_steps: steps after a reset before clipping starts.
      update_proj_gap: :math:`T`, steps between momentum resets.
      warmup_steps: :math:`W`, cosine warm-up steps after a reset.
      density: fraction of each matrix's entries updated (random mask; 1: all).
      weight_decay: decoupled decay :math:`\lambda`.
      mask: weight-decay mask.
      key: PRNG key or integer seed of the update masks (used only when ``density < 1``).
      decay_updated_weights: decay the stepped weights,
        :math:`x_{t+1} = (x_t - \eta u_t)(1 - \eta\lambda)` (the authors' code and
        ``pytorch_optimizer``), instead of the optax form.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Defaults are ``pytorch_optimizer``'s (the authors'); for their weight decay use
    ``optzoo.create("spam", preset="authors")``. With ``density < 1``, ``pytorch_optimizer``
    decays only the masked entries; optzoo decays all.

    Example:
      >>> import optzoo
      >>> tx = optzoo.spam(1e-3)

    References:
      Huang, Zhu, Jin, Liu, Wang, Liu. SPAM: Spike-Aware Adam with Momentum Reset for Stable
      LLM Training. 2025. https://arxiv.org/abs/2501.06842
    """
    direction = scale_by_spam(
        b1=b1,
        b2=b2,
        eps=eps,
        threshold=threshold,
        grad_accu_steps=grad_accu_steps,
        update_proj_gap=update_proj_gap,
        warmup_steps=warmup_steps,
        density=density,
        key=key,
    )
    return _with_decay(direction, learning_rate, weight_decay, mask, decay_updated_weights)


HUANG_2025_STABLESPAM = Reference(
    authors="Huang et al.",
    title="Stable-SPAM: How to Train in 4-Bit More Stably than 16-Bit Adam",
    year=2025,
    url="https://arxiv.org/abs/2502.17055",
)


@register(
    "stablespam",
    family="low_rank",
    reference=HUANG_2025_STABLESPAM,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="paper, Algorithm 1 (adaptive spike clipping, adaptive gradient-norm "
        "normalisation, momentum reset)",
        no_package="the authors published a repository (TianjinYellow/StableSPAM), not a "
        "package on the index",
    ),
)
def stablespam(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    gamma1: float = 0.7,
    gamma2: float = 0.9,
    theta: float = 0.999,
    t_max: int | None = None,
    eta_min: float = 0.5,
    update_proj_gap: int = 1000,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Stable-SPAM: Adam on spike-clipped, norm-normalised gradients, with momentum resets.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_stablespam`: each leaf's entries are clipped at a debiased EMA
    of its largest entry, the gradient is rescaled to the ratio of debiased EMAs of its
    norm and squared norm, and Adam's moments are reset every :math:`T` steps.

    Args:
      learning_rate: :math:`\eta`.
      b1: first-moment decay.
      b2: second-moment decay.
      gamma1: decay of the gradient-norm EMA (``-1``: ``b1``).
      gamma2: decay of the squared-norm EMA.
      theta: decay of the max-entry EMA.
      t_max: steps of a cosine decay of ``b1`` and ``gamma1`` (None: none).
      eta_min: final multiplier of that cosine.
      update_proj_gap: :math:`T`, steps between momentum resets.
      eps: added to the square roots.
      weight_decay: decoupled decay :math:`\lambda`.
      mask: weight-decay mask.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Defaults are ``pytorch_optimizer``'s and the authors'
    (``optzoo.create("stablespam", preset="authors")`` is the same).

    Example:
      >>> import optzoo
      >>> tx = optzoo.stablespam(1e-3)

    References:
      Huang et al. Stable-SPAM: How to Train in 4-Bit More Stably than
      16-Bit Adam. 2025. https://arxiv.org/abs/2502.17055
    """
    direction = scale_by_stablespam(
        b1=b1,
        b2=b2,
        gamma1=gamma1,
        gamma2=gamma2,
        theta=theta,
        t_max=t_max,
        eta_min=eta_min,
        update_proj_gap=update_proj_gap,
        eps=eps,
    )
    return _with_decay(direction, learning_rate, weight_decay, mask, False)


ZHU_2024_APOLLO = Reference(
    authors="Zhu, Zhang, Cong, Liu, Park, Chandra, Long, Pan, Wang, Lee",
    title="APOLLO: SGD-like Memory, AdamW-level Performance",
    year=2024,
    url="https://arxiv.org/abs/2412.05270",
)

_APOLLO_AUTHORS = Authors(
    code="paper, Algorithm 1 (random projection, channel-wise scaling of the full gradient, "
    "norm-growth limiter)",
    preset={"decay_updated_weights": True},
    differences="optzoo decays x_t - eta lambda x_t inside the step (optax form); the authors' "
    "code decays the stepped weights (decay_updated_weights=True)",
    no_package="the authors' package (apollo-torch) needs a GPU build of its dependencies; "
    "the reference is a transcription of the algorithm box",
)


def _apollo(
    learning_rate, rank, update_proj_gap, scale, scale_type, b1, b2, eps, correct_bias,
    weight_decay, mask, key, full_rank_update, decay_updated_weights,
):  # fmt: skip
    direction = scale_by_apollo(
        rank=rank,
        update_proj_gap=update_proj_gap,
        scale=scale,
        scale_type=scale_type,
        b1=b1,
        b2=b2,
        eps=eps,
        correct_bias=correct_bias,
        key=key,
        full_rank_update=full_rank_update,
    )
    return _with_decay(direction, learning_rate, weight_decay, mask, decay_updated_weights)


@register(
    "apollo",
    family="low_rank",
    reference=ZHU_2024_APOLLO,
    state_per_param=0.75,
    defaults={"learning_rate": 1e-2},
    authors=_APOLLO_AUTHORS,
)
def apollo(
    learning_rate: optax.ScalarOrSchedule,
    rank: int = 256,
    update_proj_gap: int = 200,
    scale: jax.typing.ArrayLike = 1.0,
    scale_type: str = "channel",
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-6,
    correct_bias: bool = True,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
    *,
    key: jax.Array | int = 0,
    full_rank_update: bool = True,
    decay_updated_weights: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""APOLLO: AdamW-like steps from SGD-like memory, by scaling the gradient with Adam's
    per-channel learning-rate ratio estimated in a random low-rank projection.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_apollo`: for a matrix, :math:`u_t = \sqrt{\alpha}\,G_t s_t`
    with :math:`s_t` the ratio of the norms of Adam's update and of the gradient in a
    Gaussian rank-:math:`r` projection (per channel or per tensor), capped by a norm-growth
    limiter; other leaves take Adam. The projection is redrawn every ``update_proj_gap``
    steps from ``key``.

    Args:
      learning_rate: :math:`\eta`.
      rank: projection rank :math:`r`.
      update_proj_gap: steps between redraws of the projection.
      scale: :math:`\alpha`.
      scale_type: ``"channel"`` (APOLLO) or ``"tensor"`` (APOLLO-Mini).
      b1: first-moment decay.
      b2: second-moment decay.
      eps: added to :math:`\sqrt{v_t}`.
      correct_bias: Adam's bias correction.
      weight_decay: decoupled decay :math:`\lambda`.
      mask: weight-decay mask.
      key: PRNG key or integer seed of the projections.
      full_rank_update: scale the full gradient (paper); ``False``: project the scaled
        low-rank gradient back and multiply by :math:`\alpha^{3/2}` (``pytorch_optimizer``).
      decay_updated_weights: decay the stepped weights,
        :math:`x_{t+1} = (x_t - \eta u_t)(1 - \eta\lambda)` (the authors' code).

    Returns:
      A ``GradientTransformationExtraArgs``.

    Defaults are the authors' APOLLO (rank 256, gap 200, channel scaling, :math:`\alpha=1`)
    but for the form of the weight decay: ``optzoo.create("apollo", preset="authors")``
    gives theirs. ``pytorch_optimizer`` 4.1.0 differs: ``full_rank_update=False``, and it
    scales its (after-step) decay by Adam's bias correction.

    Example:
      >>> import optzoo
      >>> tx = optzoo.apollo(1e-2, rank=4, update_proj_gap=50)

    References:
      Zhu et al. APOLLO: SGD-like Memory, AdamW-level Performance. 2024.
      https://arxiv.org/abs/2412.05270
    """
    return _apollo(
        learning_rate, rank, update_proj_gap, scale, scale_type, b1, b2, eps, correct_bias,
        weight_decay, mask, key, full_rank_update, decay_updated_weights,
    )  # fmt: skip


@register(
    "apollo_mini",
    family="low_rank",
    reference=ZHU_2024_APOLLO,
    state_per_param=0,
    defaults={"learning_rate": 1e-2},
    authors=_APOLLO_AUTHORS,
)
def apollo_mini(
    learning_rate: optax.ScalarOrSchedule,
    rank: int = 1,
    update_proj_gap: int = 200,
    scale: jax.typing.ArrayLike = 128.0,
    scale_type: str = "tensor",
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-6,
    correct_bias: bool = True,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
    *,
    key: jax.Array | int = 0,
    full_rank_update: bool = True,
    decay_updated_weights: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""APOLLO-Mini: :func:`optzoo.apollo` with rank 1, one scaling factor per matrix and
    :math:`\alpha = 128` (the paper's preset; ``pytorch_optimizer`` has no separate class,
    only ``APOLLO`` with these arguments).

    Args:
      learning_rate, rank, update_proj_gap, scale, scale_type, b1, b2, eps, correct_bias,
        weight_decay, mask, key, full_rank_update, decay_updated_weights: as in
        :func:`optzoo.apollo`; here rank 1, :math:`\alpha = 128` (the update is scaled by
        :math:`\sqrt{\alpha}`) and ``"tensor"`` scaling.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Defaults are the authors' APOLLO-Mini but for the weight decay's form
    (``optzoo.create("apollo_mini", preset="authors")`` gives theirs).

    Example:
      >>> import optzoo
      >>> tx = optzoo.apollo_mini(1e-2)

    References:
      Zhu et al. APOLLO: SGD-like Memory, AdamW-level Performance. 2024.
      https://arxiv.org/abs/2412.05270
    """
    return _apollo(
        learning_rate, rank, update_proj_gap, scale, scale_type, b1, b2, eps, correct_bias,
        weight_decay, mask, key, full_rank_update, decay_updated_weights,
    )  # fmt: skip


CHEN_2024_FIRA = Reference(
    authors="Chen, Feng, Li, Lai, Yue, Yuan, Wang",
    title="Fira: Can We Achieve Full-rank Training of LLMs Under Low-rank Constraint?",
    year=2024,
    url="https://arxiv.org/abs/2410.01623",
)


@register(
    "fira",
    family="low_rank",
    reference=CHEN_2024_FIRA,
    state_per_param=0.375,
    defaults={"learning_rate": 1e-2},
    authors=Authors(
        code="paper, Algorithm 1 (GaLore-Adam plus the norm-scaled residual, norm-growth limiter)",
        preset={"decay_updated_weights": True},
        differences="optzoo decays x_t - eta lambda x_t inside the step (optax form); the "
        "authors' code decays the stepped weights (decay_updated_weights=True)",
        no_package="the authors' fira package pins an old torch and a CUDA build; the "
        "reference is a transcription of the algorithm box",
    ),
)
def fira(
    learning_rate: optax.ScalarOrSchedule,
    rank: int = 128,
    update_proj_gap: int = 200,
    scale: jax.typing.ArrayLike = 0.25,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-6,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
    *,
    torch_refresh: bool = False,
    decay_updated_weights: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""Fira: full-rank training under GaLore's low-rank memory, by adding the gradient's
    residual outside the projected subspace, scaled by the projected Adam's norm ratio.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_fira` (GaLore's projected Adam step plus the scaled, limited
    residual for matrices; plain Adam for other leaves).

    Args:
      learning_rate, rank, update_proj_gap, scale, b1, b2, eps, weight_decay, mask,
        torch_refresh, decay_updated_weights: as in :func:`optzoo.galore_adamw` (whose
        decay of the stepped weights is also Fira's authors' and ``pytorch_optimizer``'s).

    Returns:
      A ``GradientTransformationExtraArgs``.

    Defaults follow :func:`optzoo.galore_adamw` (rank 128, gap 200, :math:`\alpha = 0.25`);
    ``optzoo.create("fira", preset="authors")`` gives the authors' form of the decay.

    Example:
      >>> import optzoo
      >>> tx = optzoo.fira(1e-2, rank=4, update_proj_gap=50)

    References:
      Chen, Feng, Li, Lai, Yue, Yuan, Wang. Fira: Can We Achieve Full-rank Training of LLMs Under
      Low-rank Constraint? 2024. https://arxiv.org/abs/2410.01623
    """
    direction = scale_by_fira(
        rank=rank,
        update_proj_gap=update_proj_gap,
        scale=scale,
        b1=b1,
        b2=b2,
        eps=eps,
        torch_refresh=torch_refresh,
    )
    return _with_decay(direction, learning_rate, weight_decay, mask, decay_updated_weights)


WANG_2025_CONDA = Reference(
    authors="Wang et al.",
    title="Conda: Column-Normalized Adam for Training Large Language Models Faster",
    year=2025,
    url="https://arxiv.org/abs/2509.24218",
)


@register(
    "conda",
    family="low_rank",
    reference=WANG_2025_CONDA,
    state_per_param=3,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="paper, Algorithm 1 (Adam's second moment in the first moment's singular basis)",
        preset={"decay_updated_weights": True},
        differences="optzoo decays x_t - eta lambda x_t inside the step (optax form); the "
        "authors' code decays the stepped weights (decay_updated_weights=True)",
        no_package="the authors published a repository (jie040109/Conda), not a package on "
        "the index",
    ),
)
def conda(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    update_proj_gap: int = 2000,
    scale: jax.typing.ArrayLike = 1.0,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
    *,
    decay_updated_weights: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""Conda: Column-Normalized Adam, Adam with the second moment taken in the singular
    basis of the momentum (refreshed every ``update_proj_gap`` steps).

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_conda` (rotated Adam for matrices, plain Adam for other leaves).

    Args:
      learning_rate: :math:`\eta`.
      b1: first-moment decay.
      b2: second-moment decay.
      update_proj_gap: steps between SVD refreshes of the basis.
      scale: :math:`\alpha`, multiplier of the matrices' update.
      eps: added to :math:`\sqrt{v_t}`.
      weight_decay: decoupled decay :math:`\lambda`.
      mask: weight-decay mask.
      decay_updated_weights: decay the stepped weights,
        :math:`x_{t+1} = (x_t - \eta u_t)(1 - \eta\lambda)` (the authors' code and
        ``pytorch_optimizer``).

    Returns:
      A ``GradientTransformationExtraArgs``.

    Defaults are ``pytorch_optimizer``'s; ``optzoo.create("conda", preset="authors")`` gives
    the authors' form of the decay.

    Example:
      >>> import optzoo
      >>> tx = optzoo.conda(1e-3, update_proj_gap=200)

    References:
      Wang et al. Conda: Column-Normalized Adam for Training Large Language Models Faster.
      2025. https://arxiv.org/abs/2509.24218
    """
    direction = scale_by_conda(update_proj_gap=update_proj_gap, scale=scale, b1=b1, b2=b2, eps=eps)
    return _with_decay(direction, learning_rate, weight_decay, mask, decay_updated_weights)


GONG_2025_RACS = Reference(
    authors="Gong et al.",
    title="Towards Efficient Optimizer Design for LLM via Structured Fisher Approximation "
    "with a Low-Rank Extension",
    year=2025,
    url="https://arxiv.org/abs/2502.07752",
)


@register(
    "racs",
    family="low_rank",
    reference=GONG_2025_RACS,
    state_per_param=0,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="paper, the RACS algorithm box (row and column scaling, norm-growth limiter)",
        no_package="the authors published no package; pytorch_optimizer's RACS is the "
        "reference the tests also use",
    ),
)
def racs(
    learning_rate: optax.ScalarOrSchedule,
    beta: jax.typing.ArrayLike = 0.9,
    alpha: jax.typing.ArrayLike = 0.05,
    gamma: jax.typing.ArrayLike = 1.01,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
    *,
    weight_decouple: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""RACS: Row-And-Column Scaled SGD, the gradient normalised by EMAs of its squared
    row and column means, with a norm-growth limiter; memory of one vector per side.

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_racs`.

    Args:
      learning_rate: :math:`\eta`.
      beta: decay of the row and column statistics.
      alpha: update scale.
      gamma: the limiter's largest growth of the update norm per step.
      eps: added inside the square roots.
      weight_decay: decay :math:`\lambda`.
      mask: weight-decay mask.
      weight_decouple: decoupled decay (default); ``False`` adds :math:`\lambda x_t` to the
        gradient before the scaling.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Defaults are ``pytorch_optimizer``'s (``optzoo.create("racs", preset="authors")`` is the
    same).

    Example:
      >>> import optzoo
      >>> tx = optzoo.racs(1e-3)

    References:
      Gong et al. Towards Efficient Optimizer Design for LLM via Structured Fisher
      Approximation with a Low-Rank Extension. 2025. https://arxiv.org/abs/2502.07752
    """
    direction = scale_by_racs(beta=beta, alpha=alpha, gamma=gamma, eps=eps)
    if weight_decouple:
        return _with_decay(direction, learning_rate, weight_decay, mask, False)
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    return with_coupled_decay(direction, learning_rate, weight_decay, mask)


@register(
    "alice",
    family="low_rank",
    reference=GONG_2025_RACS,
    # U, m, v: 0.25 each and Q 0.0625 at rank 256 of 1024; the 1024-bias, a 1024 x 1
    # matrix to Alice, keeps a 1024 x 256 basis of its own (another 0.31).
    state_per_param=1.125,
    defaults={"learning_rate": 0.02},
    authors=Authors(
        code="paper, the Alice algorithm box (tracked eigenbasis, switching, compensation)",
        no_package="the authors published no package; pytorch_optimizer's Alice is the "
        "reference the tests also use",
    ),
)
def alice(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.9,
    b3: jax.typing.ArrayLike = 0.999,
    alpha: jax.typing.ArrayLike = 0.3,
    alpha_c: jax.typing.ArrayLike = 0.4,
    update_interval: int = 200,
    rank: int = 256,
    gamma: jax.typing.ArrayLike = 1.01,
    leading_basis: int = 40,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
    *,
    key: jax.Array | int = 0,
    weight_decouple: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""Alice: Adam in a low-rank eigenbasis of :math:`GG^\top` tracked by subspace
    iteration, with a compensation step for the residual (the low-rank extension of RACS).

    :math:`x_{t+1} = x_t - \eta(u_t + \lambda x_t)` with :math:`u_t` from
    :func:`optzoo.scale_by_alice`. The random part of each basis switch (columns of the
    complement, when ``leading_basis < rank``) is drawn from ``key``.

    Args:
      learning_rate: :math:`\eta`.
      b1: momentum decay.
      b2: second-moment decay.
      b3: decay of the subspace statistics (0: Alice-0).
      alpha: update scale.
      alpha_c: compensation scale.
      update_interval: steps between basis switches.
      rank: subspace rank.
      gamma: the compensation limiter's largest growth per step.
      leading_basis: leading eigenvectors kept at a switch.
      eps: added to :math:`\sqrt v`.
      weight_decay: decay :math:`\lambda`.
      mask: weight-decay mask.
      key: PRNG key or integer seed of the switches' random columns.
      weight_decouple: decoupled decay (default); ``False`` adds :math:`\lambda x_t` to the
        gradient.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Defaults are ``pytorch_optimizer``'s (``optzoo.create("alice", preset="authors")`` is the
    same).

    Example:
      >>> import optzoo
      >>> tx = optzoo.alice(0.02, rank=8, leading_basis=4)

    References:
      Gong et al. Towards Efficient Optimizer Design for LLM via Structured Fisher
      Approximation with a Low-Rank Extension. 2025. https://arxiv.org/abs/2502.07752
    """
    direction = scale_by_alice(
        b1=b1,
        b2=b2,
        b3=b3,
        alpha=alpha,
        alpha_c=alpha_c,
        update_interval=update_interval,
        rank=rank,
        gamma=gamma,
        leading_basis=leading_basis,
        eps=eps,
        key=key,
    )
    if weight_decouple:
        return _with_decay(direction, learning_rate, weight_decay, mask, False)
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    return with_coupled_decay(direction, learning_rate, weight_decay, mask)


PENG_2024_DEMO = Reference(
    authors="Peng, Quesnelle, Kingma",
    title="DeMo: Decoupled Momentum Optimization",
    year=2024,
    url="https://arxiv.org/abs/2411.19870",
)


@register(
    "demo",
    family="low_rank",
    reference=PENG_2024_DEMO,
    state_per_param=1,
    defaults={"learning_rate": 1e-3},
    authors=Authors(
        code="paper, Algorithm 1 (signum form, the learning rate in the momentum, as the "
        "authors' code bloc97/DeMo)",
        no_package="the authors published a repository (bloc97/DeMo), not a package; "
        "pytorch_optimizer's DeMo is the reference the tests also use",
    ),
)
def demo(
    learning_rate: optax.ScalarOrSchedule,
    compression_decay: jax.typing.ArrayLike = 0.999,
    compression_top_k: int = 32,
    compression_chunk: int = 64,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: Any = None,
    *,
    sign: bool = True,
    learning_rate_in_momentum: bool = True,
    axis_name: str | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""DeMo: Decoupled Momentum optimization, signSGD on the fast components of the
    momentum (its largest chunked-DCT coefficients), which are all that the replicas of a
    data-parallel run exchange; the rest stays in the local momentum.

    :math:`m \leftarrow \beta m + \eta_t g_t`, :math:`q =
    \mathrm{IDCT}(\mathrm{TopK}(\mathrm{DCT}(m)))`, :math:`m \leftarrow m - q`,
    :math:`x_{t+1} = x_t - \eta_t(\mathrm{sign}(Q) + \lambda x_t)` with :math:`Q` the
    synchronised :math:`q` (see :func:`optzoo.scale_by_demo`; on one process :math:`Q = q`).

    Args:
      learning_rate: :math:`\eta_t`.
      compression_decay: :math:`\beta`, decay of the residual momentum.
      compression_top_k: DCT coefficients kept per chunk.
      compression_chunk: largest chunk length per axis.
      weight_decay: decoupled decay :math:`\lambda`.
      mask: weight-decay mask.
      sign: step along :math:`\mathrm{sign}(Q)` (default, the authors' code); ``False``:
        along :math:`Q` (Algorithm 1 as written; pair it with
        ``learning_rate_in_momentum=False``).
      learning_rate_in_momentum: accumulate :math:`\eta_t g_t` (default, the authors' code
        and ``pytorch_optimizer``); ``False``: :math:`g_t` (Algorithm 1). The same for a
        constant learning rate when ``sign`` is on.
      axis_name: named mapped axis (``pmap`` / ``shard_map``) over which the extracted
        components are averaged; ``None`` (one process): no communication.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Defaults are the authors' and ``pytorch_optimizer``'s (``optzoo.create("demo",
    preset="authors")`` is the same).

    Example:
      >>> import optzoo
      >>> tx = optzoo.demo(1e-3)

    References:
      Peng, Quesnelle, Kingma. DeMo: Decoupled Momentum Optimization. 2024.
      https://arxiv.org/abs/2411.19870
    """
    check_finite("learning_rate", learning_rate)
    direction = scale_by_demo(
        compression_decay=compression_decay,
        compression_top_k=compression_top_k,
        compression_chunk=compression_chunk,
        momentum_scale=learning_rate if learning_rate_in_momentum else 1.0,
        sign=sign,
        axis_name=axis_name,
    )
    return _with_decay(direction, learning_rate, weight_decay, mask, False)
