"""The JAX settings the processes of one test run share.

Used by ``tests/conftest.py`` (optzoo's own suite) and ``tests/external/run_external_suites.py``
(optax's and Flax's suites, which take the cache only).

* **One on-disk compilation cache per run.** Many tests compile the same program again: after
  ``jax.clear_caches()``, in another xdist worker, or from a new closure with the same
  computation. JAX's persistent cache serves those from disk; the folder is new for every run
  and removed at its end, so no run sees another's programs. Results are the same either way:
  the cache stores the executable XLA built.
* **XLA's CPU compiler with its elemental emitter** (``--xla_cpu_use_fusion_emitters=false``)
  for optzoo's own suite. Most tests compile small programs that run once; the default MLIR
  fusion emitters spend most of a compile on a fixed cost per fused kernel, and the suite
  runs about a third faster without them (README, "Tests"). optzoo's code is the same either
  way; only XLA's code generation differs, and a test compares programs built the same way.
  The external suites and the README's main job keep XLA's defaults. Set
  ``OPTZOO_TEST_XLA_DEFAULTS=1`` to run the suite with XLA's defaults too.
"""

from __future__ import annotations

import os
import tempfile

ELEMENTAL_EMITTER_FLAG = "--xla_cpu_use_fusion_emitters=false"


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


def xla_flags(current: str | None) -> str | None:
    """``XLA_FLAGS`` for optzoo's test processes: ``current`` with the elemental-emitter flag
    added, unless ``OPTZOO_TEST_XLA_DEFAULTS`` is set or ``current`` already chooses an
    emitter."""
    current = current or ""
    if os.environ.get("OPTZOO_TEST_XLA_DEFAULTS") or "xla_cpu_use_fusion_emitters" in current:
        return current or None
    return f"{current} {ELEMENTAL_EMITTER_FLAG}".strip()
