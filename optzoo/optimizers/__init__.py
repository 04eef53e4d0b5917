"""User-facing optimizers, one file per family; each registers itself in the catalogue."""

from optzoo.optimizers import gradient_descent as _gradient_descent
from optzoo.optimizers.gradient_descent import *  # noqa: F403

__all__ = sorted({*_gradient_descent.__all__})

from optzoo.optimizers import zoo_adaptive as _zoo_adaptive  # noqa: E402
from optzoo.optimizers.zoo_adaptive import *  # noqa: E402,F403
from optzoo.optimizers import zoo_sign as _zoo_sign  # noqa: E402
from optzoo.optimizers.zoo_sign import *  # noqa: E402,F403
from optzoo.optimizers import zoo_contrib as _zoo_contrib  # noqa: E402
from optzoo.optimizers.zoo_contrib import *  # noqa: E402,F403
from optzoo.optimizers import zoo_lr_free as _zoo_lr_free  # noqa: E402
from optzoo.optimizers.zoo_lr_free import *  # noqa: E402,F403
from optzoo.optimizers import zoo_schedule_free as _zoo_schedule_free  # noqa: E402
from optzoo.optimizers.zoo_schedule_free import *  # noqa: E402,F403
from optzoo.optimizers import zoo_factored as _zoo_factored  # noqa: E402
from optzoo.optimizers.zoo_factored import *  # noqa: E402,F403
from optzoo.optimizers import zoo_adam_variants as _zoo_adam_variants  # noqa: E402
from optzoo.optimizers.zoo_adam_variants import *  # noqa: E402,F403
__all__ = sorted({*__all__, *_zoo_adaptive.__all__, *_zoo_sign.__all__, *_zoo_contrib.__all__, *_zoo_lr_free.__all__, *_zoo_schedule_free.__all__, *_zoo_factored.__all__, *_zoo_adam_variants.__all__})
