"""Offline data sets and deterministic, seeded batching.

``load_dataset(name, path=None, **options)`` returns a :class:`Dataset`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from optzoo.data import files, synthetic
from optzoo.data.augment import Augment, augment_images, parse_augment
from optzoo.data.dataset import TASKS, Dataset
from optzoo.data.pipeline import (
    batch_indices,
    eval_batches,
    get_batch,
    process_slice,
    shard_batch,
    steps_per_epoch,
)

__all__ = [
    "Augment",
    "DATASETS",
    "FILE_DATASETS",
    "IMAGE_DATASETS",
    "TASKS",
    "augment_images",
    "Dataset",
    "batch_indices",
    "eval_batches",
    "get_batch",
    "load_dataset",
    "parse_augment",
    "process_slice",
    "shard_batch",
    "steps_per_epoch",
]

DATASETS: dict[str, Callable[..., Dataset]] = {
    "digits": files.load_digits,
    "mnist5k": files.load_mnist5k,
    "mnist": lambda path, **kw: files.load_idx_dir(path, "mnist", **kw),
    "fashion_mnist": lambda path, **kw: files.load_idx_dir(path, "fashion_mnist", **kw),
    "cifar10": files.load_cifar10,
    "regression": synthetic.regression,
    "spirals": synthetic.spirals,
    "adding": synthetic.adding,
    "copy": synthetic.copy_task,
    "char_lm": synthetic.char_lm,
    "nqm": synthetic.nqm,
}
# Data sets read from local files under ``path`` (nothing is downloaded).
FILE_DATASETS = ("mnist", "fashion_mnist", "cifar10")
# Image data sets ``(N, H, W, C)``: they take ``augment: {shift, flip}`` (training batches).
IMAGE_DATASETS = ("digits", "mnist5k", "mnist", "fashion_mnist", "cifar10")


def load_dataset(name: str, path: str | None = None, **options: Any) -> Dataset:
    """Loads the data set ``name`` (a key of :data:`DATASETS`).

    ``mnist``, ``fashion_mnist`` and ``cifar10`` read local files under ``path``;
    the others are built in or generated, and take loader options (``seed``,
    ``n_train``, ``seq_len`` ...). The image data sets also take ``augment`` (e.g.
    ``{"shift": 2, "flip": False}``), kept on the data set for :func:`get_batch`.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; expected one of {sorted(DATASETS)}")
    spec = options.pop("augment", None)
    if spec is not None and name not in IMAGE_DATASETS:
        raise ValueError(f"augment: data set {name!r} is not images; only {IMAGE_DATASETS}")
    augment = parse_augment(spec)
    if name in FILE_DATASETS:
        if not path:
            raise ValueError(f"dataset {name!r} needs data.path pointing at its files")
        data = DATASETS[name](path, **options)
    else:
        data = DATASETS[name](**options)
    data.augment = augment
    return data
