"""The in-memory data set record every loader returns."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["TASKS", "Dataset"]

TASKS = ("classification", "regression", "sequence")


@dataclasses.dataclass
class Dataset:
    """Train and test arrays of one data set, held in host memory.

    Attributes:
      name: the loader's name.
      task: ``classification`` (integer labels, cross-entropy), ``regression``
        (float targets, mean squared error) or ``sequence`` (a label per step).
      num_outputs: classes, vocabulary size, or regression outputs.
      x_train, y_train, x_test, y_test: the arrays; images are ``(N, H, W, C)``.
      w_train, w_test: optional per-target weights (e.g. the copy task scores only
        its answer steps); ``None`` means every target counts.
      augment: the training-batch augmentation (``data.options.augment``, an
        :class:`optzoo.data.augment.Augment`), ``None`` for none.
    """

    name: str
    task: str
    num_outputs: int
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    w_train: np.ndarray | None = None
    w_test: np.ndarray | None = None
    augment: Any = None

    def split(self, which: str) -> dict[str, np.ndarray]:
        """``{"x", "y"[, "w"]}`` arrays of the ``train`` or ``test`` split."""
        x, y, w = (
            (self.x_train, self.y_train, self.w_train)
            if which == "train"
            else (self.x_test, self.y_test, self.w_test)
        )
        out = {"x": x, "y": y}
        if w is not None:
            out["w"] = w
        return out
