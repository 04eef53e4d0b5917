"""The mechanism behind run_external_suites.py, without the network: what ``import optax``
resolves to once optax_swap_plugin is loaded, and how known-failure lists are read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

_PROBE = """
import json, sys
import optax_swap_plugin
import optax, optax.tree
from optax import contrib, tree_utils, transforms
from optax._src import alias
from optax.transforms import _clipping
import flax.training.train_state as train_state
from flax.nnx.training import optimizer
print(json.dumps({
    "optax": optax.__name__,
    "optax.tree": optax.tree.__name__,
    "contrib": contrib.__name__,
    "tree_utils": tree_utils.__name__,
    "transforms": transforms.__name__,
    "alias": alias.__name__,
    "_clipping": _clipping.__name__,
    "adam_module": optax.adam.__module__,
    "alias_adam_module": alias.adam.__module__,
    "clip_module": _clipping.clip_by_global_norm.__module__,
    "flax_train_state": train_state.optax.__name__,
    "flax_nnx_optimizer": optimizer.optax.__name__,
}))
"""


def _probe(against: str) -> dict[str, str]:
    env = dict(os.environ, OPTZOO_EXTERNAL_AGAINST=against, JAX_PLATFORMS="cpu")
    repo = str(HERE.parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), repo, env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_optax_gives_optzoo_and_internals_stay_real_optax():
    got = _probe("optzoo")
    assert got["optax"] == "optzoo"
    assert got["optax.tree"] == "optzoo.tree"
    assert got["contrib"] == "optzoo.contrib"
    assert got["tree_utils"] == "optzoo.tree_utils"
    assert got["transforms"] == "optzoo.transforms"
    assert got["adam_module"].startswith("optzoo.")
    # optax's internals, which its tests import directly, are real optax's modules.
    assert got["alias"] == "optax._src.alias"
    assert got["_clipping"] == "optax.transforms._clipping"
    # ... in which each function optzoo implements itself is optzoo's.
    assert got["alias_adam_module"].startswith("optzoo.")
    assert got["clip_module"].startswith("optzoo.")
    # Flax, imported after the swap, builds its optimizers through optzoo too.
    assert got["flax_train_state"] == "optzoo"
    assert got["flax_nnx_optimizer"] == "optzoo"


def test_baseline_run_keeps_real_optax():
    got = _probe("optax")
    assert got["optax"] == "optax"
    assert got["flax_nnx_optimizer"] == "optax"
    assert got["adam_module"].startswith("optax.")
    assert got["alias_adam_module"].startswith("optax.")


def _runner():
    sys.path.insert(0, str(HERE))
    try:
        import run_external_suites as r
    finally:
        sys.path.remove(str(HERE))
    return r


def test_known_failure_lists_parse_and_name_their_versions(tmp_path):
    r = _runner()
    f = tmp_path / "k.txt"
    f.write_text("# header\n# versions: optax==0.2.8 jax==0.10.2\n\na/b_test.py::T::t  # why\n")
    known, versions = r.read_known(f)
    assert known == {"a/b_test.py::T::t": "why"}
    assert versions == {"optax": "0.2.8", "jax": "0.10.2"}
    for suite in r.SUITES:
        known, versions = r.read_known(HERE / f"{suite}_known_failures.txt")
        assert versions.get("optax"), f"{suite}_known_failures.txt names no optax version"
        assert all(reason and "TODO" not in reason for reason in known.values())


def test_unknown_suite_is_an_error():
    r = _runner()
    with pytest.raises(SystemExit):
        r.main(["nosuchsuite"])


_NO_INTERFERENCE = """
import importlib, json, pathlib, sys
import optax

def namespaces(pkg):
    # Every module file under the package (pkgutil skips folders without an __init__.py,
    # such as optax/_src), imported.
    root = pathlib.Path(pkg.__file__).parent
    for f in sorted(root.rglob("*.py")):
        parts = f.relative_to(root.parent).with_suffix("").parts
        if not parts[-1].endswith("_test"):
            importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return [m for n, m in sorted(sys.modules.items()) if n.split(".")[0] == pkg.__name__]

real = namespaces(optax)
before = {m.__name__: dict(vars(m)) for m in real}
import optzoo
namespaces(optzoo)  # every optzoo module, optional parts included
changed = sorted(
    f"{m.__name__}.{k}"
    for m in real
    for k in set(before[m.__name__]) | set(vars(m))
    if before[m.__name__].get(k, before) is not vars(m).get(k, before)
)
print(json.dumps(changed))
"""


def test_importing_optzoo_changes_no_optax_module():
    # A program that uses optax and optzoo side by side gets optax's own functions from optax:
    # importing optzoo (all of it) rebinds nothing in any optax module. (The external suites'
    # plugin does rebind optax's internals to optzoo's functions, on purpose, in its own run.)
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    out = subprocess.run(
        [sys.executable, "-c", _NO_INTERFERENCE], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
