"""``optzoo.compat.keras``: Keras 3's optimizers and schedules with Keras's numbers.

``optzoo.compat.keras.Adam(learning_rate=1e-3, ...)`` takes
``keras.optimizers.Adam``'s arguments and defaults, including the common options
(weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
ema_overwrite_frequency, gradient_accumulation_steps), and returns an
``optax.GradientTransformation`` whose step equals ``optimizer.apply(grads)``.
Schedules live in :mod:`optzoo.compat.keras.schedules`. Keras itself is not needed.

Layout: :mod:`~optzoo.compat.keras.specs` describes each optimizer as data
(signature, semantics), :mod:`~optzoo.compat.keras.kernels` holds each
``update_step``, :mod:`~optzoo.compat.keras.base` Keras's ``apply`` loop (common
options), :mod:`~optzoo.compat.keras.optimizers` builds the presets from the specs.
"""

from optzoo.compat.keras import optimizers, schedules  # noqa: F401
from optzoo.compat.keras.base import KerasState as KerasState
from optzoo.compat.keras.base import ema_params as ema_params
from optzoo.compat.keras.optimizers import *  # noqa: F403

__all__ = sorted({*optimizers.__all__, "KerasState", "ema_params"})
