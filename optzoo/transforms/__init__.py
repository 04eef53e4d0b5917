"""``optzoo.transforms``: every name of ``optax.transforms`` plus optzoo's building blocks.

optzoo's own ``scale_by_*`` blocks (one file per family, each with an explicit
``__all__``) replace optax's where the names coincide and give the same numbers.
"""

import optax

from optzoo._optax import reexport
from optzoo.core.exports import collect

__all__ = collect(__name__, globals(), base=reexport(optax.transforms, globals()))
