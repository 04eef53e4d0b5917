"""Exact semantics presets of other frameworks: ``optzoo.compat.torch`` and ``optzoo.compat.keras``."""
