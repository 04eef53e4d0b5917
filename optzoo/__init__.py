"""optzoo: a GPU-accelerated optimizer zoo on JAX, and a drop-in superset of optax.

``import optzoo as optax`` runs optax programs unchanged. Names optzoo implements
itself (the classic optimizers and their building blocks) give optax's numbers
and use optax's state classes; every other optax name is re-exported.

Training, data and benchmark modules (``optzoo.models``, ``optzoo.data``,
``optzoo.train``, ``optzoo.bench``) load on first use.
"""

import importlib as _importlib
from typing import Any as _Any

from optzoo import (  # noqa: E402
    _optax,
    contrib,
    hessian,
    losses,
    optimizers,
    projections,
    registry,
    schedules,
    second_order,
    transforms,
    tree,
    tree_utils,
    wrappers,
)
from optzoo._optax import *  # noqa: F403
from optzoo._optax import assignment, experimental, microbatching, perturbations  # noqa: F401
from optzoo.core.flat import flat
from optzoo.core.tree_checks import checked
from optzoo.optimizers import *  # noqa: F403
from optzoo.registry import create  # noqa: E402
from optzoo.schedules import *  # noqa: F403
from optzoo.second_order import OptimizeResult, least_squares, minimize
from optzoo.transforms import *  # noqa: F403
from optzoo.wrappers import *  # noqa: F403

__version__ = "0.1.0"

__all__ = sorted(
    {
        *_optax.__all__,
        *_optax.optax.__all__,  # includes optax's deprecated aliases, served lazily below
        *transforms.__all__,
        *schedules.__all__,
        *optimizers.__all__,
        *wrappers.__all__,
        "checked",
        "create",
        "flat",
        "minimize",
        "least_squares",
        "OptimizeResult",
    }
)

_LAZY_SUBMODULES = ("models", "data", "train", "bench", "compat", "cli")

_optax.evaluate_annotations(
    {"": globals(), **{m: vars(_importlib.import_module(f"optzoo.{m}")) for m in _optax.SUBMODULES}}
)


def __getattr__(name: str) -> _Any:
    if name in _LAZY_SUBMODULES:
        return _importlib.import_module(f"optzoo.{name}")
    if hasattr(_optax.optax, name):  # optax's deprecated aliases warn on access, as in optax
        return getattr(_optax.optax, name)
    raise AttributeError(f"module 'optzoo' has no attribute {name!r}")
