"""The public surface: every name in each public module's ``__all__`` resolves, and no name
that was public before the files were reorganised by family has disappeared.

``public_api.json`` is the ``__all__`` of each module, recorded on the commit before the
optimizer and transform modules were renamed by family (``zoo_*`` -> ``adam``, ``sign`` ...).
Names may be added; a name missing from the current ``__all__`` fails here.
"""

from __future__ import annotations

import importlib
import json
import pathlib

import pytest

RECORDED = json.loads((pathlib.Path(__file__).parent / "public_api.json").read_text())

PUBLIC_MODULES = sorted(
    {
        *RECORDED,
        "optzoo.transforms.adam",
        "optzoo.transforms.adagrad_rmsprop",
        "optzoo.transforms.factored",
        "optzoo.transforms.layerwise",
        "optzoo.transforms.learning_rate_free",
        "optzoo.transforms.sign",
        "optzoo.optimizers.adam",
        "optzoo.optimizers.adagrad_rmsprop",
        "optzoo.optimizers.factored",
        "optzoo.optimizers.layerwise",
        "optzoo.optimizers.learning_rate_free",
        "optzoo.optimizers.schedule_free",
        "optzoo.optimizers.sign",
    }
)


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_name_in_all_resolves(module):
    mod = importlib.import_module(module)
    missing = [n for n in mod.__all__ if not hasattr(mod, n)]
    assert not missing, f"{module}.__all__ names that do not resolve: {missing}"


@pytest.mark.parametrize("module", sorted(RECORDED))
def test_no_public_name_was_lost(module):
    mod = importlib.import_module(module)
    lost = sorted(set(RECORDED[module]) - set(mod.__all__))
    assert not lost, f"{module} no longer exports {lost}"


def test_old_adaptive_paths_give_the_same_objects():
    import optzoo
    from optzoo.optimizers import adaptive as old_optimizers
    from optzoo.transforms import adaptive as old_transforms

    for name in old_transforms.__all__:
        assert getattr(old_transforms, name) is getattr(optzoo.transforms, name), name
    for name in old_optimizers.__all__:
        assert getattr(old_optimizers, name) is getattr(optzoo, name), name
