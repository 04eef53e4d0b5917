"""``optzoo.second_order``: ``optax.second_order``'s names plus optzoo's second-order tools.

optax's ``hvp``, ``hessian_diag`` and ``fisher_diag`` keep their optax signatures; optzoo's
own tools have distinct names (``hessian_vector_product``, ``hessian_diagonal`` ...).
"""

import optax

from optzoo._optax import reexport

__all__ = reexport(optax.second_order, globals())

from optzoo.second_order import gradient_transforms as _gradient_transforms  # noqa: E402
from optzoo.second_order import hessian_tools as _hessian_tools  # noqa: E402
from optzoo.second_order import linesearch as _linesearch  # noqa: E402
from optzoo.second_order import minimization as _minimization  # noqa: E402
from optzoo.second_order import nonlinear_least_squares as _nonlinear_least_squares  # noqa: E402
from optzoo.second_order import optimizers as _optimizers  # noqa: E402
from optzoo.second_order import result as _result  # noqa: E402
from optzoo.second_order.gradient_transforms import *  # noqa: E402,F403
from optzoo.second_order.hessian_tools import *  # noqa: E402,F403
from optzoo.second_order.linesearch import *  # noqa: E402,F403
from optzoo.second_order.minimization import *  # noqa: E402,F403
from optzoo.second_order.nonlinear_least_squares import *  # noqa: E402,F403
from optzoo.second_order.optimizers import *  # noqa: E402,F403
from optzoo.second_order.result import *  # noqa: E402,F403

__all__ = sorted(
    {
        *__all__,
        *_gradient_transforms.__all__,
        *_hessian_tools.__all__,
        *_nonlinear_least_squares.__all__,
        *_linesearch.__all__,
        *_minimization.__all__,
        *_optimizers.__all__,
        *_result.__all__,
    }
)
