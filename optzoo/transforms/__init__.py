"""``optzoo.transforms``: every name of ``optax.transforms`` plus optzoo's building blocks.

optzoo's own ``scale_by_*`` blocks (one file per family) replace optax's where
the names coincide and give the same numbers.
"""

import optax

from optzoo._optax import reexport

__all__ = reexport(optax.transforms, globals())

from optzoo.transforms import curvature as _curvature  # noqa: E402
from optzoo.transforms import matrix as _matrix  # noqa: E402
from optzoo.transforms import matrix_psgd as _matrix_psgd  # noqa: E402
from optzoo.transforms import matrix_shampoo as _matrix_shampoo  # noqa: E402
from optzoo.transforms import matrix_soap as _matrix_soap  # noqa: E402
from optzoo.transforms import momentum as _momentum  # noqa: E402
from optzoo.transforms import scaling as _scaling  # noqa: E402
from optzoo.transforms.curvature import *  # noqa: E402,F403
from optzoo.transforms.matrix import *  # noqa: E402,F403
from optzoo.transforms.matrix_psgd import *  # noqa: E402,F403
from optzoo.transforms.matrix_shampoo import *  # noqa: E402,F403
from optzoo.transforms.matrix_soap import *  # noqa: E402,F403
from optzoo.transforms.momentum import *  # noqa: E402,F403
from optzoo.transforms.scaling import *  # noqa: E402,F403

__all__ = sorted(
    {
        *__all__,
        *_curvature.__all__,
        *_matrix.__all__,
        *_matrix_psgd.__all__,
        *_matrix_shampoo.__all__,
        *_matrix_soap.__all__,
        *_momentum.__all__,
        *_scaling.__all__,
    }
)
