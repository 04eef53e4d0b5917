"""Multi-host start-up: ``jax.distributed.initialize`` from the parallel config."""

from __future__ import annotations

import jax

__all__ = ["initialize"]

_STARTED = False


def initialize(coordinator: str, num_processes: int, process_id: int) -> None:
    """Joins a multi-process JAX job (once per process; a no-op for one process).

    Must run before JAX touches a device. On CPU the processes exchange
    collectives through gloo. ``coordinator="auto"`` lets JAX detect the cluster
    (SLURM, Open MPI, Kubernetes) and read the process count and id from it.
    """
    global _STARTED
    if _STARTED or num_processes <= 1 and not coordinator:
        return
    if coordinator == "auto":
        # JAX reads the cluster's own variables: SLURM, Open MPI, Kubernetes (JobSet), ...
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize()
        _STARTED = True
        return
    if not coordinator:
        raise ValueError("multi-process training needs parallel.coordinator HOST:PORT")
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=coordinator, num_processes=num_processes, process_id=process_id
    )
    _STARTED = True
