"""``optzoo.compat.keras``: Keras 3's optimizers and schedules with Keras's numbers.

``optzoo.compat.keras.Adam(learning_rate=1e-3, ...)`` takes
``keras.optimizers.Adam``'s arguments and defaults, including the common options
(weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
ema_overwrite_frequency, gradient_accumulation_steps), and returns an
``optax.GradientTransformation`` whose step equals ``optimizer.apply(grads)``.
Schedules live in :mod:`optzoo.compat.keras.schedules`. Keras itself is not needed.
"""

from optzoo.compat.keras import _optimizers, _optimizers_extra, schedules  # noqa: F401
from optzoo.compat.keras._base import KerasState as KerasState
from optzoo.compat.keras._base import ema_params as ema_params
from optzoo.compat.keras._optimizers import *  # noqa: F403
from optzoo.compat.keras._optimizers_extra import *  # noqa: F403

__all__ = sorted({*_optimizers.__all__, *_optimizers_extra.__all__, "KerasState", "ema_params"})
