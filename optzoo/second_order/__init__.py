"""``optzoo.second_order``: ``optax.second_order``'s names plus optzoo's second-order tools."""

import optax

from optzoo._optax import reexport

__all__ = reexport(optax.second_order, globals())
