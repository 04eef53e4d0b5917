"""``optzoo.compat.torch``: PyTorch's optimizers and schedulers with PyTorch's numbers.

``optzoo.compat.torch.Adam(lr=1e-3, betas=(0.9, 0.999), ...)`` takes
``torch.optim.Adam``'s keywords and defaults and returns an
``optax.GradientTransformation`` whose ``optax.apply_updates`` step equals
``optimizer.step()``. Schedulers live in :mod:`optzoo.compat.torch.lr_scheduler`.
PyTorch itself is not needed.
"""

from optzoo.compat.torch import (  # noqa: F401
    _lbfgs,
    _optim,
    _optim_extra,
    _param_groups,
    lr_scheduler,  # noqa: F401
)
from optzoo.compat.torch._lbfgs import *  # noqa: F403
from optzoo.compat.torch._optim import *  # noqa: F403
from optzoo.compat.torch._optim_extra import *  # noqa: F403
from optzoo.compat.torch._param_groups import *  # noqa: F403

__all__ = sorted({*_optim.__all__, *_optim_extra.__all__, *_lbfgs.__all__, *_param_groups.__all__})
