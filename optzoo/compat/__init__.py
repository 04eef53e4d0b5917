"""Exact semantics presets of other frameworks.

``optzoo.compat.torch`` (PyTorch) and ``optzoo.compat.keras`` (Keras 3): optimizers and
learning-rate schedules with the frameworks' names, defaults and numbers, as optax
transformations. ``python -m optzoo.compat.semantics_table`` writes docs/semantics.md.
"""

from optzoo.compat import keras, torch

__all__ = ["keras", "torch"]
