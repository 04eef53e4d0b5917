"""Makes the shared test helpers (``tests/_trajectory.py``) importable from every test.

Also keeps Triton out of the test processes: two reference packages (kron-torch and
bitsandbytes) import it through torch, and Triton's bundled LLVM shares the process with
XLA's. The CPU torch references never need it (torch treats it as not installed), and a
worker that had loaded it once crashed inside an XLA compilation.
"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
sys.modules.setdefault("triton", None)  # type: ignore[arg-type]


def pytest_configure(config):
    """One JAX compilation cache on disk for the whole run, shared by every xdist worker.

    Many tests compile the same programs again: after ``jax.clear_caches()``, in another
    worker process, or from a fresh closure with the same computation (each optimizer's
    invariant tests, eager steps that compile one program per primitive). JAX's persistent
    cache serves those from disk. The directory is new for every run and removed at its end,
    so no run sees another's programs; a cache directory set by the caller is left alone.
    Compilation results are the same either way: the cache stores the executable XLA built.
    """
    if hasattr(config, "workerinput") or os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return  # an xdist worker inherits the controller's settings through its environment
    cache_dir = tempfile.mkdtemp(prefix="optzoo-tests-jax-cache-")
    config._optzoo_jax_cache_dir = cache_dir
    # Cache every program, however small or quick to compile (JAX's defaults skip those).
    settings = {
        "jax_compilation_cache_dir": cache_dir,
        "jax_persistent_cache_min_compile_time_secs": 0.0,
        "jax_persistent_cache_min_entry_size_bytes": 0,
    }
    os.environ.update({key.upper(): str(value) for key, value in settings.items()})
    if "jax" in sys.modules:  # a plugin imported JAX first, so it read its settings already
        import jax

        for key, value in settings.items():
            jax.config.update(key, value)


def pytest_unconfigure(config):
    cache_dir = getattr(config, "_optzoo_jax_cache_dir", None)
    if cache_dir:
        shutil.rmtree(cache_dir, ignore_errors=True)
