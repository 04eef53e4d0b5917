"""Transformations that wrap another optimizer (cautious, lookahead, SAM, EMA ...)."""

from optzoo.core.exports import collect

__all__ = collect(__name__, globals())
