"""Exact semantics presets of other frameworks: ``optzoo.compat.torch``, ``.keras``."""
