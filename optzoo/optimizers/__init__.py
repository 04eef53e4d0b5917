"""User-facing optimizers, one file per family; each registers itself in the catalogue."""

from optzoo.optimizers import gradient_descent as _gradient_descent
from optzoo.optimizers import matrix as _matrix
from optzoo.optimizers.gradient_descent import *  # noqa: F403
from optzoo.optimizers.matrix import *  # noqa: F403

__all__ = sorted({*_gradient_descent.__all__, *_matrix.__all__})
