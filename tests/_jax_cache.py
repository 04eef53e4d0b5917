"""One on-disk JAX compilation cache for a test run, shared by its processes.

Used by ``tests/conftest.py`` (optzoo's own suite) and ``tests/external/run_external_suites.py``
(optax's and Flax's suites). Many tests compile the same program again: after
``jax.clear_caches()``, in another xdist worker, or from a new closure with the same
computation. JAX's persistent cache serves those from disk; the folder is new for every run
and removed at its end, so no run sees another's programs. Results are the same either way:
the cache stores the executable XLA built.
"""

from __future__ import annotations

import tempfile


def settings(cache_dir: str) -> dict[str, object]:
    """JAX's settings for a cache at ``cache_dir`` that keeps every program, however small or
    quick to compile (JAX's defaults skip those)."""
    return {
        "jax_compilation_cache_dir": cache_dir,
        "jax_persistent_cache_min_compile_time_secs": 0.0,
        "jax_persistent_cache_min_entry_size_bytes": 0,
    }


def new_cache(prefix: str) -> tuple[str, dict[str, str]]:
    """A new cache folder and the environment variables that give it to JAX processes."""
    cache_dir = tempfile.mkdtemp(prefix=prefix)
    return cache_dir, {key.upper(): str(value) for key, value in settings(cache_dir).items()}
