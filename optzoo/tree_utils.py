"""``optzoo.tree_utils``: optax's ``optax.tree_utils``, re-exported unchanged."""

import optax

from optzoo._optax import reexport

__all__ = reexport(optax.tree_utils, globals())
