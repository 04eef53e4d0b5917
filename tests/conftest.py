"""Makes the shared test helpers (``tests/_trajectory.py``) importable from every test.

Also keeps Triton out of the test processes: two reference packages (kron-torch and
bitsandbytes) import it through torch, and Triton's bundled LLVM shares the process with
XLA's. The CPU torch references never need it (torch treats it as not installed), and a
worker that had loaded it once crashed inside an XLA compilation.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.modules.setdefault("triton", None)  # type: ignore[arg-type]
