"""Small configs shared by the training tests."""

import json
import pathlib


def tiny(model=None, data=None, optimizer=None, train=None, **top):
    """A config mapping for a fast run; sections override the defaults given here."""
    cfg = {
        "model": {"name": "mlp", "width": 16, "depth": 1, **(model or {})},
        "data": {"name": "digits", **(data or {})},
        "optimizer": {"name": "adam", "learning_rate": 1e-2, **(optimizer or {})},
        "train": {"steps": 30, "batch_size": 32, "quiet": True, "log_every": 10, **(train or {})},
    }
    cfg.update(top)
    return cfg


def rows(workdir, name="metrics.jsonl"):
    path = pathlib.Path(workdir) / name
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def losses(workdir):
    return [r["loss"] for r in rows(workdir)]
