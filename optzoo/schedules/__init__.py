"""``optzoo.schedules``: every name of ``optax.schedules`` plus optzoo's own schedules."""

import optax

from optzoo._optax import reexport

__all__ = reexport(optax.schedules, globals())

from optzoo.schedules import decay as _decay  # noqa: E402
from optzoo.schedules import plateau as _plateau  # noqa: E402
from optzoo.schedules import wsd as _wsd  # noqa: E402
from optzoo.schedules.decay import *  # noqa: E402,F403
from optzoo.schedules.plateau import *  # noqa: E402,F403
from optzoo.schedules.wsd import *  # noqa: E402,F403

__all__ = sorted({*__all__, *_decay.__all__, *_plateau.__all__, *_wsd.__all__})
