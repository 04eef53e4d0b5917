"""Former home of the classic adaptive blocks; kept so existing imports keep working.

``scale_by_adam``, ``scale_by_amsgrad`` and ``scale_by_adamax`` now live in
:mod:`optzoo.transforms.adam`; ``scale_by_rms``, ``scale_by_stddev``, ``scale_by_rss`` and
``scale_by_adadelta`` in :mod:`optzoo.transforms.adagrad_rmsprop`. New code should import
them from ``optzoo.transforms`` (or ``optzoo``).
"""

from optzoo.transforms.adagrad_rmsprop import (
    scale_by_adadelta,
    scale_by_rms,
    scale_by_rss,
    scale_by_stddev,
)
from optzoo.transforms.adam import scale_by_adam, scale_by_adamax, scale_by_amsgrad

__all__ = [
    "scale_by_adam",
    "scale_by_rms",
    "scale_by_stddev",
    "scale_by_rss",
    "scale_by_adadelta",
    "scale_by_adamax",
    "scale_by_amsgrad",
]
