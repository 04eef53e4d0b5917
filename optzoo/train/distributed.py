"""Multi-host start-up: ``jax.distributed.initialize`` from the parallel config."""

from __future__ import annotations

import jax

__all__ = ["initialize"]

_STARTED = False


def initialize(coordinator: str, num_processes: int, process_id: int) -> None:
    """Joins a multi-process JAX job (once per process; a no-op for one process).

    Must run before JAX touches a device. On CPU the processes exchange
    collectives through gloo.
    """
    global _STARTED
    if _STARTED or num_processes <= 1 and not coordinator:
        return
    if not coordinator:
        raise ValueError("multi-process training needs parallel.coordinator HOST:PORT")
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=coordinator, num_processes=num_processes, process_id=process_id
    )
    _STARTED = True
