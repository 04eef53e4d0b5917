"""``optzoo.projections``: optax's ``optax.projections``, re-exported unchanged."""

import optax

from optzoo._optax import reexport

__all__ = reexport(optax.projections, globals())
