r"""The chain and catalogue entry shared by the EmoNavi optimizers (emonavi, emofact, emolynx).

All three need the loss: ``update(grads, state, params, value=loss)``. With the short (0.3),
medium (0.05) and long (0.01) EMAs of the loss :math:`S, M, L`, the trend
:math:`s = \tanh((L - S)/\max(L, 10^{-5}))` sets the drive :math:`d_t`
(1 while :math:`|s| \le 0.25`; :math:`8|\tau|(1 + 0.1\tau)` with
:math:`\tau = \operatorname{sign}(s)(1-|s|)` for :math:`0.25 < |s| < 0.5`;
:math:`1 - |s|` for :math:`|s| > 0.75`). :math:`x_{t+1} = x_t - \eta(d_t u_t +
\lambda x_t)` (``weight_decouple=False``: :math:`\lambda x_t` joins the gradient), with
:math:`u_t` each optimizer's direction. With ``use_shadow`` a shadow copy :math:`h` of the
weights trails them and, once :math:`|s| > 0.625`, the step starts from
:math:`(1-|s|)x + |\tau| h`.

Their shared arguments:

- ``learning_rate``: :math:`\eta`, a scalar or a schedule.
- ``weight_decay``: :math:`\lambda`.
- ``weight_decouple``: decoupled (AdamW-style) decay; ``False`` adds it to the gradient.
- ``use_shadow``: keep and blend in the shadow weights (one more copy of the parameters).
- ``shadow_weight``: how far the shadow moves to the weights on a shadow step, in [0, 1].
- ``mask``: weight-decay mask.

Each returns a ``GradientTransformationExtraArgs`` whose ``update`` needs ``params`` and
``value=``. Their defaults are pytorch_optimizer's (the author's code is not packaged);
``optzoo.create(name, preset="authors")`` is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optax

from optzoo.core.validation import check_nonnegative, check_range
from optzoo.optimizers._common import with_decay
from optzoo.registry import Authors, Reference, register
from optzoo.transforms._emo import emo_shadow

MUOOON_2025_EMONAVI = Reference(
    "muooon",
    "EmoNavi: an optimizer that scales its steps by the trend of the loss",
    2025,
    "https://github.com/muooon/EmoNavi",
)


def register_emo(
    name: str, family: str, state_per_param: float, cls: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The catalogue entry of an EmoNavi optimizer (``cls``: pytorch_optimizer's class)."""
    return register(
        name,
        family=family,
        reference=MUOOON_2025_EMONAVI,
        state_per_param=state_per_param,
        needs=("value",),
        defaults={"learning_rate": 1e-3},
        authors=Authors(
            code=f"pytorch_optimizer==4.1.0 ({cls})",
            differences="none in the update or the defaults; the loss is passed as value= "
            "where the reference calls a closure",
            no_package="the author publishes source files (muooon/EmoNavi), no package; "
            f"pytorch_optimizer's {cls} is the packaged implementation",
        ),
    )


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
    tx = with_decay(direction, learning_rate, weight_decay, mask, decoupled=weight_decouple)
    if not use_shadow:
        return tx
    shadow = emo_shadow(
        learning_rate, weight_decay, weight_decouple, shadow_weight, refresh_shadow, mask
    )
    return optax.chain(tx, shadow)
