"""Makes the shared test helpers (``tests/_trajectory.py``) importable from every test."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
