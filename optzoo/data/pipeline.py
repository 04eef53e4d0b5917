"""Deterministic batching: the batch of any global step is a pure function of (seed, step)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from optzoo.data.augment import Augment, augment_images

__all__ = [
    "steps_per_epoch",
    "batch_indices",
    "get_batch",
    "process_slice",
    "shard_batch",
    "eval_batches",
]


def steps_per_epoch(n: int, batch_size: int) -> int:
    """Full batches per epoch (the remainder is dropped)."""
    if batch_size > n:
        raise ValueError(f"batch size {batch_size} exceeds the {n} training examples")
    return n // batch_size


def batch_indices(n: int, batch_size: int, step: int, seed: int) -> np.ndarray:
    """Example indices of global step ``step``: epoch ``e`` uses permutation ``(seed, e)``."""
    per_epoch = steps_per_epoch(n, batch_size)
    epoch, i = divmod(step, per_epoch)
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return order[i * batch_size : (i + 1) * batch_size]


def get_batch(
    split: dict[str, np.ndarray],
    batch_size: int,
    step: int,
    seed: int,
    process_index: int = 0,
    process_count: int = 1,
    augment: Augment | None = None,
) -> dict[str, np.ndarray]:
    """This process's part of the global batch of ``step``.

    With ``augment`` the images are shifted/flipped (:func:`optzoo.data.augment.augment_images`,
    drawn for the whole global batch from ``(seed, step)``, then sliced).
    """
    n = len(split["x"])
    idx = batch_indices(n, batch_size, step, seed)
    part = process_slice(batch_size, process_index, process_count)
    out = {k: v[idx[part]] for k, v in split.items()}
    if augment is not None and augment.active:
        x = augment_images(split["x"][idx], augment, step, seed)
        out["x"] = x[part]
    return out


def process_slice(batch_size: int, process_index: int, process_count: int) -> slice:
    """The contiguous rows of a global batch that process ``process_index`` feeds."""
    if batch_size % process_count:
        raise ValueError(f"batch size {batch_size} is not divisible by {process_count} processes")
    per = batch_size // process_count
    return slice(process_index * per, (process_index + 1) * per)


def shard_batch(batch: dict[str, np.ndarray], num_devices: int) -> dict[str, np.ndarray]:
    """Reshapes every array's leading axis ``B`` to ``(num_devices, B // num_devices)``."""
    out = {}
    for k, v in batch.items():
        if v.shape[0] % num_devices:
            raise ValueError(f"batch of {v.shape[0]} does not split over {num_devices} devices")
        out[k] = v.reshape((num_devices, v.shape[0] // num_devices) + v.shape[1:])
    return out


def eval_batches(split: dict[str, np.ndarray], batch_size: int) -> Iterator[dict[str, np.ndarray]]:
    """The whole split in order, in batches of ``batch_size`` (the last one may be smaller)."""
    n = len(split["x"])
    for start in range(0, n, batch_size):
        yield {k: v[start : start + batch_size] for k, v in split.items()}
