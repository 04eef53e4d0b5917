"""Matrix preconditioners' building blocks, one module per method.

:mod:`.muon` (Newton-Schulz orthogonalisation), :mod:`.scion` (norm-constrained LMOs),
:mod:`.shampoo`, :mod:`.soap`, :mod:`.psgd` (PSGD-Kron) and :mod:`.utils`, the shared
reshape, blocking and batching machinery. Their public names are bound here, so
``optzoo.transforms.matrix.scale_by_muon`` keeps working.
"""

from optzoo.core.exports import collect

__all__ = collect(__name__, globals())
