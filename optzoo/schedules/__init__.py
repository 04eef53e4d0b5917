"""``optzoo.schedules``: every name of ``optax.schedules`` plus optzoo's own schedules."""

import optax

from optzoo._optax import reexport

__all__ = reexport(optax.schedules, globals())
