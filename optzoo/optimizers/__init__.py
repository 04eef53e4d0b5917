"""User-facing optimizers, one file per family; each registers itself in the catalogue."""

from optzoo.core.exports import collect

__all__ = collect(__name__, globals())
