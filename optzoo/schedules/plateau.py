"""``reduce_on_plateau`` under ``optzoo.schedules`` as well as ``optzoo.contrib``.

It is optax's ``optax.contrib.reduce_on_plateau`` (a transformation that scales
updates by a factor lowered whenever a monitored loss stops improving), the same
object under a second name.
"""

from optzoo.contrib import reduce_on_plateau  # type: ignore[attr-defined]  # bound at run time

__all__ = ["reduce_on_plateau"]
