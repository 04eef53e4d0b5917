"""``optzoo.losses``: optax's ``optax.losses``, re-exported unchanged."""

import optax

from optzoo._optax import reexport

__all__ = reexport(optax.losses, globals())
