"""Makes the shared test helpers (``tests/_trajectory.py``) importable from every test.

Also keeps Triton out of the test processes: two reference packages (kron-torch and
bitsandbytes) import it through torch, and Triton's bundled LLVM shares the process with
XLA's. The CPU torch references never need it (torch treats it as not installed), and a
worker that had loaded it once crashed inside an XLA compilation.
"""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.modules.setdefault("triton", None)  # type: ignore[arg-type]

import _jax_env  # noqa: E402  (from the folder just put on sys.path)


def pytest_configure(config):
    """The run's JAX settings (``_jax_env.py``), given to every xdist worker and subprocess
    through the environment: XLA's elemental CPU emitter, and one JAX compilation cache on disk
    for the whole run (a cache folder set by the caller is left alone)."""
    if hasattr(config, "workerinput"):
        return  # an xdist worker inherits the controller's settings through its environment
    flags = _jax_env.xla_flags(os.environ.get("XLA_FLAGS"))
    if flags:
        os.environ["XLA_FLAGS"] = flags
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return
    cache_dir, environment = _jax_env.new_cache("optzoo-tests-jax-cache-")
    config._optzoo_jax_cache_dir = cache_dir
    os.environ.update(environment)
    if "jax" in sys.modules:  # a plugin imported JAX first, so it read its settings already
        import jax

        for key, value in _jax_env.settings(cache_dir).items():
            jax.config.update(key, value)


def pytest_unconfigure(config):
    cache_dir = getattr(config, "_optzoo_jax_cache_dir", None)
    if cache_dir:
        shutil.rmtree(cache_dir, ignore_errors=True)
