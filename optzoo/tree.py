"""``optzoo.tree``: optax's ``optax.tree``, re-exported unchanged."""

import optax

from optzoo._optax import reexport

__all__ = reexport(optax.tree, globals())
