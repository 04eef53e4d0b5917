"""GaLore-AdamW against its authors' package, galore-torch 1.0 (issue #14).

The authors' ``GaLoreAdamW`` takes the SVD of a float64 gradient in float32
(``get_orthogonal_matrix`` casts every non-float32 matrix), so the comparison runs in
float32. The matrix is projected (the ``rank`` group); the vector and the rank-3 tensor are
plain AdamW, as in the authors' examples, where only the 2-D weights of the attention and
MLP blocks take GaLore.
"""

from __future__ import annotations

import pathlib
import sys

import pytest

import optzoo

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402


def test_galore_adamw_matches_galore_torch():
    pytest.importorskip("torch")
    galore_torch = pytest.importorskip("galore_torch")
    lr, wd, rank, gap, scale = 1e-2, 1e-2, 2, 10, 0.25

    def make(tensors):
        vector, matrix, tensor = tensors
        return galore_torch.GaLoreAdamW(
            [
                dict(params=[vector, tensor]),
                dict(
                    params=[matrix],
                    rank=rank,
                    update_proj_gap=gap,
                    scale=scale,
                    proj_type="std",
                ),
            ],
            lr=lr,
            weight_decay=wd,
            no_deprecation_warning=True,
        )

    theirs = R.run_torch(make, dtype="float32")
    tx = optzoo.create(
        "galore_adamw",
        preset="authors",
        learning_rate=lr,
        weight_decay=wd,
        rank=rank,
        update_proj_gap=gap,
        scale=scale,
    )
    ours = R.run_optzoo(tx, dtype="float32")
    R.check(
        "galore_adamw",
        R.displacement_error(ours, theirs),
        "galore-torch 1.0",
        dtype="float32",
    )
