"""Data-parallel execution of the train step: single, pmap, sharded (jit), shard_map, ZeRO-1.

A :class:`Runner` hides the strategy: it places the state, feeds each process's
part of the global batch and runs the compiled step. Every strategy computes the
same global-mean-loss update as one device.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from optzoo.optimizers.schedule_free import find_schedule_free_state, schedule_free_eval_params
from optzoo.train.state import TrainState
from optzoo.train.steps import StepOptions, train_step

__all__ = ["Runner", "hlo_collective_bytes", "tree_bytes_per_device"]

AXIS = "data"


def _zero1_spec(x: Any, n: int) -> P:
    """Shard an optimizer-state leaf along its first axis when it divides evenly."""
    if getattr(x, "ndim", 0) >= 1 and x.shape[0] % n == 0 and x.shape[0] >= n:
        return P(AXIS)
    return P()


class Runner:
    """Runs ``train_step`` under one data-parallel strategy on ``devices``."""

    def __init__(self, strategy: str, devices: list[Any], opts: StepOptions, zero1: bool = False):
        self.strategy = strategy
        self.devices = devices
        self.n = len(devices)
        self.opts = opts
        self.zero1 = zero1
        self.local_devices = [d for d in devices if d.process_index == jax.process_index()]
        self.mesh = Mesh(np.array(devices), (AXIS,))
        self.replicated = NamedSharding(self.mesh, P())
        self.batch_sharding = NamedSharding(self.mesh, P(AXIS))
        self._state_sharding: Any = None
        self._compiled: dict[bool, Any] = {}
        self.compile_info: tuple[str, Any] | None = None

    # --- placement -------------------------------------------------------------------------
    def state_sharding(self, state: TrainState) -> Any:
        """Per-leaf shardings of the state (opt state split over devices with ZeRO-1)."""
        sh = jax.tree.map(lambda _: self.replicated, state)
        if self.zero1:
            sh = sh.replace(
                opt_state=jax.tree.map(
                    lambda x: NamedSharding(self.mesh, _zero1_spec(x, self.n)), state.opt_state
                )
            )
        return sh

    def put_state(self, state: TrainState) -> TrainState:
        """Places a host (or single-device) state for this strategy."""
        if self.strategy == "single":
            return jax.device_put(state, self.devices[0])
        if self.strategy == "pmap":
            nl = len(self.local_devices)
            return jax.tree.map(
                lambda x: np.broadcast_to(np.asarray(x), (nl,) + np.shape(x)), state
            )
        self._state_sharding = self.state_sharding(state)
        return jax.tree.map(
            lambda x, s: jax.make_array_from_callback(
                np.shape(x), s, lambda idx: np.asarray(x)[idx]
            ),
            state,
            self._state_sharding,
        )

    def put_batch(self, local: dict[str, np.ndarray]) -> Any:
        """Places this process's rows of the global batch."""
        if self.strategy == "single":
            return jax.device_put(local, self.devices[0])
        if self.strategy == "pmap":
            nl = len(self.local_devices)
            return {k: v.reshape((nl, v.shape[0] // nl) + v.shape[1:]) for k, v in local.items()}
        return {
            k: jax.make_array_from_process_local_data(self.batch_sharding, v)
            for k, v in local.items()
        }

    def host_state(self, state: TrainState) -> TrainState:
        """The full state as host NumPy arrays (gathered across processes if needed)."""
        if self.strategy == "pmap":
            state = jax.tree.map(lambda x: x[0], state)
        return jax.tree.map(_to_host, state)

    def eval_params(self, state: TrainState, averaged: bool = True) -> tuple[Any, Any]:
        """(params, batch_stats) as single-device arrays for evaluation.

        With ``averaged`` (the default), a schedule-free optimizer's parameters are its
        averaged iterate :math:`x` (``schedule_free_eval_params``), which its authors
        evaluate, not the gradient point :math:`y` it trains; ``averaged=False`` gives
        the trained parameters as they are. Batch-norm statistics stay those gathered
        at :math:`y`.
        """
        params, stats = state.params, state.batch_stats
        # Under pmap every leaf carries a device axis, z and params alike, so the search
        # matches shapes before slicing, and only the schedule-free state is sliced.
        sf = find_schedule_free_state(state.opt_state, params) if averaged else None
        if self.strategy == "pmap":
            params, stats, sf = jax.tree.map(lambda x: x[0], (params, stats, sf))
        if sf is not None:
            if self.strategy in ("single", "pmap"):
                params = schedule_free_eval_params(sf, params)
            else:  # sharded, shard_map, ZeRO-1: z may be split over devices (and processes)
                average = jax.jit(schedule_free_eval_params, out_shardings=self.replicated)
                params = average(sf, params)
        if self.strategy == "pmap":
            return params, stats
        return jax.tree.map(lambda x: x.addressable_data(0), (params, stats))

    # --- the step ----------------------------------------------------------------------------
    def _build(self, diagnostics: bool) -> Any:
        import dataclasses

        opts = dataclasses.replace(self.opts, diagnostics=diagnostics)
        if self.strategy == "single":
            return jax.jit(functools.partial(train_step, opts=opts), donate_argnums=0)
        if self.strategy == "pmap":
            return jax.pmap(
                functools.partial(train_step, opts=opts, axis_name=AXIS),
                axis_name=AXIS,
                in_axes=(0, 0, None),
                devices=self.devices,
                donate_argnums=0,
            )
        if self.strategy == "sharded":
            return jax.jit(
                functools.partial(train_step, opts=opts),
                in_shardings=(self._state_sharding, self.batch_sharding, self.replicated),
                out_shardings=(self._state_sharding, self.replicated),
                donate_argnums=0,
            )
        body = functools.partial(train_step, opts=opts, axis_name=AXIS)
        mapped = jax.shard_map(
            body,
            mesh=self.mesh,
            in_specs=(P(), P(AXIS), P()),
            out_specs=(P(), P()),
            check_vma=False,
        )
        return jax.jit(mapped, donate_argnums=0)

    def step(
        self, state: TrainState, batch: Any, rng: jax.Array, diagnostics: bool = False
    ) -> tuple[TrainState, dict[str, Any]]:
        """One update; metrics are device scalars (first replica under pmap).

        The step is compiled ahead of time on first use; ``compile_info`` then
        holds its HLO text and memory analysis.
        """
        if diagnostics not in self._compiled:
            fn = self._build(diagnostics)
            # Compiling ahead of time fills jit's cache, so the calls below reuse it.
            compiled = fn.lower(state, batch, rng).compile()
            self._compiled[diagnostics] = fn
            if not diagnostics:
                try:
                    mem = compiled.memory_analysis()
                except Exception:  # noqa: BLE001 - not every backend reports it
                    mem = None
                self.compile_info = (compiled.as_text() or "", mem)
        state, metrics = self._compiled[diagnostics](state, batch, rng)
        if self.strategy == "pmap":
            metrics = jax.tree.map(lambda x: x[0], metrics)
        return state, metrics


def _to_host(x: Any) -> np.ndarray:
    if isinstance(x, jax.Array) and not x.is_fully_addressable:
        from jax.experimental import multihost_utils

        if x.is_fully_replicated:
            return np.asarray(x.addressable_data(0))
        return np.asarray(multihost_utils.process_allgather(x, tiled=True))
    return np.asarray(x)


_BYTES = {
    "f32": 4,
    "f64": 8,
    "bf16": 2,
    "f16": 2,
    "s32": 4,
    "u32": 4,
    "s64": 8,
    "u64": 8,
    "pred": 1,
    "s8": 1,
    "u8": 1,
    "s16": 2,
    "u16": 2,
}
_SHAPE = re.compile(r"\b(f32|f64|bf16|f16|s32|u32|s64|u64|pred|s8|u8|s16|u16)\[([0-9,]*)\]")


def hlo_collective_bytes(hlo: str, op: str = "all-reduce") -> int:
    """Bytes produced by every ``op`` (e.g. ``all-reduce``) instruction in HLO text."""
    total = 0
    for line in hlo.splitlines():
        if "=" not in line or f" {op}(" not in line and f" {op}-start(" not in line:
            continue
        lhs = line.split(f" {op}")[0].split("=", 1)[1]
        for dtype, dims in _SHAPE.findall(lhs):
            size = int(np.prod([int(d) for d in dims.split(",") if d])) if dims else 1
            total += size * _BYTES[dtype]
    return total


def tree_bytes_per_device(tree: Any) -> int:
    """Bytes one device holds of ``tree`` (a shard of each leaf)."""
    total = 0
    for x in jax.tree.leaves(tree):
        if isinstance(x, jax.Array):
            total += x.addressable_shards[0].data.nbytes
        else:
            total += np.asarray(x).nbytes
    return total
