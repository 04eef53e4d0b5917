"""``optzoo.compat.torch``: PyTorch's optimizers and schedulers with PyTorch's numbers.

``optzoo.compat.torch.Adam(lr=1e-3, betas=(0.9, 0.999), ...)`` takes
``torch.optim.Adam``'s keywords and defaults and returns an
``optax.GradientTransformation`` whose ``optax.apply_updates`` step equals
``optimizer.step()``. Schedulers live in :mod:`optzoo.compat.torch.lr_scheduler`.
PyTorch itself is not needed.

Layout: :mod:`~optzoo.compat.torch.specs` describes each optimizer as data
(signature, ranges, weight-decay coupling, semantics), :mod:`~optzoo.compat.torch.kernels`
holds the update math, :mod:`~optzoo.compat.torch.optim` builds the presets from the
specs; :mod:`~optzoo.compat.torch.lbfgs`, :mod:`~optzoo.compat.torch.groups` (parameter
groups) and :mod:`~optzoo.compat.torch.lr_scheduler` complete the API.
"""

from optzoo.compat.torch import groups, lbfgs, lr_scheduler, optim  # noqa: F401
from optzoo.compat.torch.groups import *  # noqa: F403
from optzoo.compat.torch.lbfgs import *  # noqa: F403
from optzoo.compat.torch.optim import *  # noqa: F403

__all__ = sorted({*optim.__all__, *lbfgs.__all__, *groups.__all__})
