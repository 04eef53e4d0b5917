"""``optzoo.schedules``: every name of ``optax.schedules`` plus optzoo's own schedules."""

import optax

from optzoo._optax import reexport
from optzoo.core.exports import collect

__all__ = collect(__name__, globals(), base=reexport(optax.schedules, globals()))
