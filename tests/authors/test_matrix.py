"""The matrix optimizers against their authors' code (issue #14).

Muon runs against Keller Jordan's package (``muon-optimizer``) and ``torch.optim.Muon``;
PSGD-Kron against Xi-Lin Li's ``psgd_torch``; SOAP, Shampoo and Scion against NumPy
transcriptions of the papers' algorithm boxes (their authors published no package). See
tests/authors/_reference.py for the problem and the tolerance.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

import optzoo

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import _reference as R  # noqa: E402

WD = 0.1


def _no_bfloat16(monkeypatch, torch):
    """The authors' Newton-Schulz casts to bfloat16 (``G.bfloat16()``): make that cast the
    identity so their code runs in float64 like optzoo's (bfloat16 matmuls of two libraries
    cannot agree to 1e-6)."""
    monkeypatch.setattr(torch.Tensor, "bfloat16", lambda self, *a, **k: self)


class _Both:
    """Steps two torch optimizers as one (a Muon for the matrices, an Adam for the rest)."""

    def __init__(self, *opts):
        self.opts = opts

    def zero_grad(self):
        for o in self.opts:
            o.zero_grad()

    def step(self):
        for o in self.opts:
            o.step()


# --------------------------------------------------------------------------- Muon


def test_muon_matches_keller_jordan(monkeypatch):
    torch = pytest.importorskip("torch")
    muon = pytest.importorskip("muon")
    _no_bfloat16(monkeypatch, torch)
    lr = 0.02

    def make(tensors):
        vector, matrix, tensor = tensors
        return muon.SingleDeviceMuonWithAuxAdam(
            [
                dict(params=[matrix, tensor], lr=lr, weight_decay=WD, use_muon=True),
                dict(params=[vector], weight_decay=WD, use_muon=False),
            ]
        )

    theirs = R.run_torch(make)
    tx = optzoo.create(
        "muon", preset="authors", learning_rate=lr, weight_decay=WD, adam_weight_decay=WD
    )
    ours = R.run_optzoo(tx)
    R.check("muon", R.displacement_error(ours, theirs), "muon-optimizer 0.1.0")


@pytest.mark.slow
@pytest.mark.parametrize("adjust_lr_fn", [None, "original", "match_rms_adamw"])
def test_muon_matches_torch_optim_muon(monkeypatch, adjust_lr_fn):
    """torch.optim.Muon (2-D parameters only) with torch.optim.AdamW for the others, as its
    documentation recommends: optzoo with ``higher_rank="adam"`` and torch's AdamW defaults.
    torch's momentum is ``m = mu m + g`` (no ``1 - mu``): the same direction after
    Newton-Schulz's normalisation up to its epsilon."""
    torch = pytest.importorskip("torch")
    _no_bfloat16(monkeypatch, torch)
    lr = 0.02

    def make(tensors):
        vector, matrix, tensor = tensors
        return _Both(
            torch.optim.Muon([matrix], lr=lr, weight_decay=WD, adjust_lr_fn=adjust_lr_fn),
            torch.optim.AdamW([vector, tensor], lr=lr, weight_decay=WD),
        )

    theirs = R.run_torch(make)
    tx = optzoo.muon(
        lr,
        eps=1e-7,
        weight_decay=WD,
        bias_correction=False,
        higher_rank="adam",
        matrix_layout="out_in",
        consistent_rms=0.2 if adjust_lr_fn == "match_rms_adamw" else None,
        adam_eps=1e-8,
        adam_nesterov=False,
        adam_weight_decay=WD,
    )
    err = R.displacement_error(R.run_optzoo(tx), theirs)
    assert err <= R.TOL["float64"], err
