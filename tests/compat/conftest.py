"""Makes the shared helper module ``_problem`` importable from the compat tests."""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")  # before anything imports keras
sys.path.insert(0, os.path.dirname(__file__))
