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

from optzoo.optimizers._common import with_decay_after_step, with_decoupled_decay
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.low_rank import scale_by_galore_adam

__all__ = ["galore_adamw"]


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
        preset={"learning_rate": 1e-3, "decay_after_step": True},
        differences="the authors' GaLoreAdamW shrinks the stepped weights by (1 - lr * wd) "
        "after the step (decay_after_step=True), optzoo decays before it as AdamW; create()'s "
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
    decay_after_step: bool = False,
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
      decay_after_step: the authors' decay,
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
    if decay_after_step:
        return with_decay_after_step(direction, learning_rate, weight_decay, mask)
    return with_decoupled_decay(direction, learning_rate, weight_decay, mask)
