"""``optzoo.transforms``: every name of ``optax.transforms`` plus optzoo's building blocks.

optzoo's own ``scale_by_*`` blocks (one file per family) replace optax's where
the names coincide and give the same numbers.
"""

import optax

from optzoo._optax import reexport

__all__ = reexport(optax.transforms, globals())

from optzoo.transforms import momentum as _momentum  # noqa: E402
from optzoo.transforms import scaling as _scaling  # noqa: E402
from optzoo.transforms.momentum import *  # noqa: E402,F403
from optzoo.transforms.scaling import *  # noqa: E402,F403

__all__ = sorted({*__all__, *_momentum.__all__, *_scaling.__all__})

from optzoo.transforms import zoo_adaptive as _zoo_adaptive  # noqa: E402
from optzoo.transforms.zoo_adaptive import *  # noqa: E402,F403
from optzoo.transforms import zoo_sign as _zoo_sign  # noqa: E402
from optzoo.transforms.zoo_sign import *  # noqa: E402,F403
from optzoo.transforms import zoo_contrib as _zoo_contrib  # noqa: E402
from optzoo.transforms.zoo_contrib import *  # noqa: E402,F403
from optzoo.transforms import zoo_factored as _zoo_factored  # noqa: E402
from optzoo.transforms.zoo_factored import *  # noqa: E402,F403
from optzoo.transforms import zoo_adam_variants as _zoo_adam_variants  # noqa: E402
from optzoo.transforms.zoo_adam_variants import *  # noqa: E402,F403
__all__ = sorted({*__all__, *_zoo_adaptive.__all__, *_zoo_sign.__all__, *_zoo_contrib.__all__, *_zoo_factored.__all__, *_zoo_adam_variants.__all__})
