"""Training-batch augmentation for image data sets: random shifts and horizontal flips.

``data.options.augment: {shift: 2, flip: false}`` translates every training image by up to
``shift`` pixels in each direction (zero padding) and, with ``flip: true``, mirrors half of
them left-right. Only training batches are augmented; the draws are a pure function of
``(seed, step)`` and drawn for the whole global batch, so every process count gives the
same batch.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["Augment", "parse_augment", "augment_images"]


@dataclasses.dataclass(frozen=True)
class Augment:
    """Maximum shift in pixels (``0``: none) and whether to flip horizontally."""

    shift: int = 0
    flip: bool = False

    @property
    def active(self) -> bool:
        return self.shift > 0 or self.flip


def parse_augment(spec: Any) -> Augment | None:
    """The :class:`Augment` of ``data.options.augment`` (``None`` when it does nothing).

    Raises ``ValueError`` naming ``augment`` for an unknown key or a bad value.
    """
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise ValueError(f"augment: expected a mapping such as {{shift: 2}}, got {spec!r}")
    unknown = sorted(set(spec) - {"shift", "flip"})
    if unknown:
        raise ValueError(f"augment: unknown key(s) {unknown}; expected shift, flip")
    shift = spec.get("shift", 0)
    if isinstance(shift, bool) or not isinstance(shift, (int, np.integer)) or shift < 0:
        raise ValueError(f"augment.shift: expected an integer >= 0, got {shift!r}")
    flip = spec.get("flip", False)
    if not isinstance(flip, (bool, np.bool_)):
        raise ValueError(f"augment.flip: expected true or false, got {flip!r}")
    aug = Augment(int(shift), bool(flip))
    return aug if aug.active else None


def augment_images(x: np.ndarray, aug: Augment, step: int, seed: int) -> np.ndarray:
    """The images ``x`` (``(B, H, W, C)``) of global step ``step``, shifted and flipped.

    Example ``i`` moves by ``(dy_i, dx_i)`` (uniform in ``[-shift, shift]``): its pixel
    ``(r, c)`` lands at ``(r + dy_i, c + dx_i)``; what leaves the frame is lost and what
    enters is zero. With ``flip``, each example is mirrored with probability 1/2 (before
    the shift). Shape and dtype are kept.
    """
    if x.ndim != 4:
        raise ValueError(f"augment: needs images (N, H, W, C), got shape {x.shape}")
    rng = np.random.default_rng([seed, step, 0xA5])
    b, h, w, _ = x.shape
    s = aug.shift
    offsets = rng.integers(-s, s + 1, size=(b, 2))
    flips = np.asarray(rng.random(b) < 0.5)
    if aug.flip:
        x = np.where(flips[:, None, None, None], x[:, :, ::-1], x)
    if s == 0:
        return x
    padded = np.pad(x, ((0, 0), (s, s), (s, s), (0, 0)))
    rows = (s - offsets[:, :1]) + np.arange(h)[None]  # (B, H): source row of each output row
    cols = (s - offsets[:, 1:]) + np.arange(w)[None]
    return padded[np.arange(b)[:, None, None], rows[:, :, None], cols[:, None, :]]
