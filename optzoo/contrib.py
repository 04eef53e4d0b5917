"""``optzoo.contrib``: optax's ``optax.contrib``, re-exported unchanged."""

import optax

from optzoo._optax import reexport

__all__ = reexport(optax.contrib, globals())
