"""Transformations that wrap another optimizer (cautious, lookahead, SAM, EMA ...)."""

__all__: list[str] = []
