"""User-facing optimizers, one file per family; each registers itself in the catalogue."""

from optzoo.optimizers import curvature as _curvature
from optzoo.optimizers import gradient_descent as _gradient_descent
from optzoo.optimizers import matrix as _matrix
from optzoo.optimizers.curvature import *  # noqa: F403
from optzoo.optimizers.gradient_descent import *  # noqa: F403
from optzoo.optimizers.matrix import *  # noqa: F403

__all__ = sorted({*_curvature.__all__, *_gradient_descent.__all__, *_matrix.__all__})
