"""Training-batch augmentation of image data sets (``data.options.augment``)."""

from __future__ import annotations

import numpy as np
import pytest

from optzoo.data import Augment, augment_images, get_batch, load_dataset, parse_augment
from optzoo.train import ConfigError, train_and_evaluate


def _one_hot_images(b=16, h=9, w=7, c=2):
    x = np.zeros((b, h, w, c), np.float32)
    x[:, 4, 3, :] = 1.0
    return x


def test_shift_moves_a_pixel_by_the_sampled_offset():
    x = _one_hot_images()
    out = augment_images(x, Augment(shift=2), step=3, seed=7)
    assert out.shape == x.shape and out.dtype == x.dtype
    offsets = np.random.default_rng([7, 3, 0xA5]).integers(-2, 3, size=(16, 2))
    assert len({tuple(o) for o in offsets}) > 1
    for i, (dy, dx) in enumerate(offsets):
        expected = np.zeros_like(x[i])
        expected[4 + dy, 3 + dx, :] = 1.0
        np.testing.assert_array_equal(out[i], expected)


def test_shift_pads_with_zeros_and_flip_mirrors():
    x = np.ones((8, 5, 5, 1), np.float32)
    out = augment_images(x, Augment(shift=5), step=0, seed=0)
    assert out.sum() < x.sum()  # shifted content leaves zeros behind
    x = np.zeros((64, 9, 7, 2), np.float32)
    x[:, 4, 1, :] = 1.0
    out = augment_images(x, Augment(flip=True), step=1, seed=0)
    assert out.sum() == x.sum()
    flipped = out[:, 4, 7 - 1 - 1, 0] == 1.0
    kept = out[:, 4, 1, 0] == 1.0
    assert np.all(flipped ^ kept) and 10 < flipped.sum() < 54


def test_training_batches_only_seeded_and_process_independent():
    ds = load_dataset("digits", augment={"shift": 2})
    assert ds.augment == Augment(shift=2)
    plain = load_dataset("digits")
    np.testing.assert_array_equal(ds.x_test, plain.x_test)  # eval data untouched
    split = ds.split("train")
    a = get_batch(split, 32, 5, seed=1, augment=ds.augment)
    b = get_batch(split, 32, 5, seed=1, augment=ds.augment)
    ref = get_batch(split, 32, 5, seed=1)
    np.testing.assert_array_equal(a["x"], b["x"])
    np.testing.assert_array_equal(a["y"], ref["y"])
    assert a["x"].shape == ref["x"].shape and a["x"].dtype == ref["x"].dtype
    assert not np.array_equal(a["x"], ref["x"])
    assert not np.array_equal(a["x"], get_batch(split, 32, 6, seed=1, augment=ds.augment)["x"])
    parts = [get_batch(split, 32, 5, 1, i, 2, augment=ds.augment)["x"] for i in range(2)]
    np.testing.assert_array_equal(np.concatenate(parts), a["x"])


@pytest.mark.parametrize(
    "spec, match",
    [
        ({"shift": -1}, r"augment\.shift"),
        ({"shift": 1.5}, r"augment\.shift"),
        ({"flip": "yes"}, r"augment\.flip"),
        ({"rotate": 10}, r"augment: unknown key.*rotate"),
        ("shift", r"augment: expected a mapping"),
    ],
)
def test_bad_options_name_augment(spec, match):
    with pytest.raises(ValueError, match=match):
        parse_augment(spec)


def test_augment_is_for_images_only_and_a_noop_spec_is_none():
    with pytest.raises(ValueError, match="augment: data set 'spirals' is not images"):
        load_dataset("spirals", augment={"shift": 1})
    assert parse_augment({}) is None and parse_augment({"shift": 0, "flip": False}) is None


def test_engine_reports_a_bad_augment_and_trains_with_one(tmp_path):
    cfg = {
        "model": {"name": "mlp", "width": 16, "depth": 1},
        "data": {"name": "digits", "options": {"augment": {"shift": -2}}},
        "train": {"steps": 3, "batch_size": 16, "eval_every": 3, "quiet": True},
    }
    with pytest.raises(ConfigError, match="augment"):
        train_and_evaluate(cfg, tmp_path / "bad")
    cfg["data"]["options"]["augment"] = {"shift": 1}
    result = train_and_evaluate(cfg, tmp_path / "good")
    assert result["steps"] == 3 and np.isfinite(result["final_eval_loss"])
