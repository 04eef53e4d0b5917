"""``optzoo.hessian``: the Hessian tools of :mod:`optzoo.second_order.hessian_tools`.

Hessian-vector and Gauss-Newton products, the full Hessian and its diagonal (exact or
Hutchinson), Lanczos and power-iteration eigenpairs, the Hutchinson trace, the spectral
density by stochastic Lanczos quadrature and a condition-number estimate, on pytrees.
"""

from optzoo.second_order.hessian_tools import *  # noqa: F403
from optzoo.second_order.hessian_tools import __all__  # noqa: F401
