"""The chain shared by the EmoNavi optimizers (emonavi, emofact, emolynx)."""

from __future__ import annotations

from typing import Any

import optax

from optzoo.core.validation import check_nonnegative, check_range
from optzoo.optimizers._common import with_coupled_decay, with_decoupled_decay
from optzoo.transforms._emo import emo_shadow


def emo_chain(
    direction: optax.GradientTransformation,
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: optax.ScalarOrSchedule,
    weight_decouple: bool,
    use_shadow: bool,
    shadow_weight: float,
    refresh_shadow: bool,
    mask: Any,
) -> optax.GradientTransformationExtraArgs:
    """Decay (decoupled or L2), ``direction``, the learning rate, then the optional shadow."""
    check_nonnegative("weight_decay", weight_decay)
    check_range("shadow_weight", shadow_weight, 0.0, 1.0)
    tail = with_decoupled_decay if weight_decouple else with_coupled_decay
    tx = tail(direction, learning_rate, weight_decay, mask)
    if not use_shadow:
        return tx
    shadow = emo_shadow(
        learning_rate, weight_decay, weight_decouple, shadow_weight, refresh_shadow, mask
    )
    return optax.chain(tx, shadow)
