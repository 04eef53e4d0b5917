"""User-facing optimizers, one file per family; each registers itself in the catalogue."""

from optzoo.optimizers import adaptive as _adaptive
from optzoo.optimizers import gradient_descent as _gradient_descent
from optzoo.optimizers.adaptive import *  # noqa: F403
from optzoo.optimizers.gradient_descent import *  # noqa: F403

__all__ = sorted({*_adaptive.__all__, *_gradient_descent.__all__})
