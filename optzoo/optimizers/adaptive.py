"""Former home of the classic adaptive optimizers; kept so existing imports keep working.

Adam, AdamW, NAdam(W), AMSGrad and AdaMax(W) now live in :mod:`optzoo.optimizers.adam`;
Adagrad, RMSProp and Adadelta in :mod:`optzoo.optimizers.adagrad_rmsprop`. New code
should import them from ``optzoo`` (or ``optzoo.optimizers``).
"""

from optzoo.optimizers.adagrad_rmsprop import adadelta, adagrad, rmsprop
from optzoo.optimizers.adam import adam, adamax, adamaxw, adamw, amsgrad, nadam, nadamw

__all__ = [
    "adagrad",
    "rmsprop",
    "adadelta",
    "adam",
    "nadam",
    "adamw",
    "nadamw",
    "amsgrad",
    "adamax",
    "adamaxw",
]
