"""Offline loaders (on files the tests write), synthetic tasks and deterministic batching."""

import gzip
import struct

import numpy as np
import pytest

from optzoo.data import (
    batch_indices,
    get_batch,
    load_dataset,
    process_slice,
    shard_batch,
    steps_per_epoch,
)
from optzoo.data.files import read_idx


def _write_idx(path, array, gz=False):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    raw = header + array.astype(np.uint8).tobytes()
    if gz:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(raw)
    else:
        path.write_bytes(raw)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_loader_reads_written_files(tmp_path, gz):
    rng = np.random.default_rng(0)
    imgs = {s: rng.integers(0, 256, (n, 28, 28)) for s, n in (("train", 6), ("t10k", 3))}
    labels = {s: rng.integers(0, 10, len(v)) for s, v in imgs.items()}
    for s in imgs:
        _write_idx(tmp_path / f"{s}-images-idx3-ubyte", imgs[s], gz)
        _write_idx(tmp_path / f"{s}-labels-idx1-ubyte", labels[s], gz)
    for name in ("mnist", "fashion_mnist"):
        d = load_dataset(name, path=str(tmp_path))
        assert d.x_train.shape == (6, 28, 28, 1) and d.x_test.shape == (3, 28, 28, 1)
        np.testing.assert_allclose(d.x_train[..., 0] * 255, imgs["train"], atol=1e-3)
        np.testing.assert_array_equal(d.y_test, labels["t10k"])


def test_idx_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04abcd")
    with pytest.raises(ValueError, match="not an IDX"):
        read_idx(tmp_path / "bad")
    with pytest.raises(ValueError, match="needs data.path"):
        load_dataset("mnist")
    with pytest.raises(FileNotFoundError):
        load_dataset("mnist", path=str(tmp_path))


def test_cifar10_binary_loader(tmp_path):
    rng = np.random.default_rng(1)
    chw = {}
    for name, n in (("data_batch_1.bin", 4), ("data_batch_2.bin", 3), ("test_batch.bin", 2)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        pix = rng.integers(0, 256, (n, 3, 32, 32)).astype(np.uint8)
        recs = np.concatenate([labels[:, None], pix.reshape(n, -1)], 1)
        (tmp_path / name).write_bytes(recs.tobytes())
        chw[name] = (labels, pix)
    d = load_dataset("cifar10", path=str(tmp_path))
    assert d.x_train.shape == (7, 32, 32, 3) and d.x_test.shape == (2, 32, 32, 3)
    labels, pix = chw["test_batch.bin"]
    np.testing.assert_array_equal(d.y_test, labels)
    np.testing.assert_allclose(d.x_test[1, 5, 7] * 255, pix[1, :, 5, 7], atol=1e-3)
    np.testing.assert_array_equal(d.y_train[:4], chw["data_batch_1.bin"][0])


def test_builtin_image_sets():
    d = load_dataset("digits")
    assert d.x_train.shape[1:] == (8, 8, 1) and len(d.x_train) + len(d.x_test) == 1797
    assert 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0
    m = load_dataset("mnist5k")
    assert m.x_train.shape == (4000, 28, 28, 1) and m.x_test.shape == (1000, 28, 28, 1)
    assert set(np.unique(m.y_train)) == set(range(10))
    assert 0.0 <= m.x_train.min() and m.x_train.max() <= 1.0


def test_synthetic_tasks():
    a = load_dataset("adding", n_train=50, n_test=10, seq_len=12)
    v, marks = a.x_train[..., 0], a.x_train[..., 1]
    assert (marks.sum(1) == 2).all()
    np.testing.assert_allclose(a.y_train[:, 0], (v * marks).sum(1), rtol=1e-6)
    c = load_dataset("copy", n_train=20, n_test=5, length=4, delay=3)
    np.testing.assert_array_equal(c.y_train[:, -4:], c.x_train[:, :4])
    assert (c.w_train[:, -4:] == 1).all() and c.w_train[:, :-4].sum() == 0
    lm = load_dataset("char_lm", seq_len=16, max_chars=5000)
    np.testing.assert_array_equal(lm.x_train[0, 1:], lm.y_train[0, :-1])
    assert lm.x_train.max() < 128 and lm.num_outputs == 128
    s = load_dataset("spirals", n_train=200)
    assert set(np.unique(s.y_train)) == {0, 1} and s.x_train.shape == (200, 2)
    r1, r2 = load_dataset("regression", seed=3), load_dataset("regression", seed=3)
    np.testing.assert_array_equal(r1.x_train, r2.x_train)
    assert not np.array_equal(r1.x_train, load_dataset("regression", seed=4).x_train)


def test_batches_are_deterministic_epoch_permutations():
    n, b, seed = 50, 8, 7
    per = steps_per_epoch(n, b)
    assert per == 6
    epoch0 = np.concatenate([batch_indices(n, b, s, seed) for s in range(per)])
    assert len(set(epoch0.tolist())) == per * b  # no repeats inside an epoch
    np.testing.assert_array_equal(batch_indices(n, b, 3, seed), batch_indices(n, b, 3, seed))
    assert not np.array_equal(batch_indices(n, b, 0, seed), batch_indices(n, b, per, seed))
    assert not np.array_equal(batch_indices(n, b, 0, seed), batch_indices(n, b, 0, seed + 1))
    with pytest.raises(ValueError, match="exceeds"):
        steps_per_epoch(4, 8)


def test_process_and_device_sharding_partition_the_global_batch():
    split = {"x": np.arange(40).reshape(20, 2), "y": np.arange(20)}
    whole = get_batch(split, 8, 5, seed=0)
    parts = [get_batch(split, 8, 5, seed=0, process_index=i, process_count=2) for i in range(2)]
    np.testing.assert_array_equal(np.concatenate([p["y"] for p in parts]), whole["y"])
    assert process_slice(8, 1, 4) == slice(2, 4)
    sharded = shard_batch(whole, 4)
    assert sharded["x"].shape == (4, 2, 2)
    np.testing.assert_array_equal(sharded["y"].reshape(-1), whole["y"])
    with pytest.raises(ValueError):
        shard_batch(whole, 3)
    with pytest.raises(ValueError, match="divisible"):
        process_slice(8, 0, 3)
