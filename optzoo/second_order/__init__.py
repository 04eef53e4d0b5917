"""``optzoo.second_order``: ``optax.second_order``'s names plus optzoo's second-order tools.

optax's ``hvp``, ``hessian_diag`` and ``fisher_diag`` keep their optax signatures; optzoo's
own tools have distinct names (``hessian_vector_product``, ``hessian_diagonal`` ...).
"""

import optax

from optzoo._optax import reexport

__all__ = reexport(optax.second_order, globals())

from optzoo.second_order import hessian_tools as _hessian_tools  # noqa: E402
from optzoo.second_order import linesearch as _linesearch  # noqa: E402
from optzoo.second_order import minimize as _minimize  # noqa: E402
from optzoo.second_order import result as _result  # noqa: E402
from optzoo.second_order.hessian_tools import *  # noqa: E402,F403
from optzoo.second_order.linesearch import *  # noqa: E402,F403
from optzoo.second_order.minimize import *  # noqa: E402,F403
from optzoo.second_order.result import *  # noqa: E402,F403

__all__ = sorted(
    {
        *__all__,
        *_hessian_tools.__all__,
        *_linesearch.__all__,
        *_minimize.__all__,
        *_result.__all__,
    }
)
