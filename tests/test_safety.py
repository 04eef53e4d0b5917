"""Safety: configs and saved files can carry data only, never code.

Two kinds of check. A scan of the source (``optzoo/``, ``benchmarks/``,
``examples/``) with :mod:`ast`: YAML is read with ``safe_load`` only; nothing
pickles (no pickle-family imports, every ``np.load`` passes
``allow_pickle=False``); no ``eval``/``exec``; no import by a name computed at
run time outside the reviewed places. And behaviour: hostile configs and
checkpoints are refused with a clear error and their payload never runs.
"""

from __future__ import annotations

import ast
import hashlib
import json
import pathlib
import shutil

import numpy as np
import pytest
import yaml

from optzoo.cli import main
from optzoo.train import load_config, save_checkpoint
from optzoo.train.checkpoint import CheckpointError, restore_checkpoint

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCES = sorted(p for d in ("optzoo", "benchmarks", "examples") for p in (ROOT / d).rglob("*.py"))

BANNED_YAML = {
    "load",
    "load_all",
    "full_load",
    "full_load_all",
    "unsafe_load",
    "unsafe_load_all",
    "Loader",
    "FullLoader",
    "UnsafeLoader",
    "Unpickler",
}
BANNED_MODULES = {"pickle", "cPickle", "_pickle", "cloudpickle", "dill", "shelve", "marshal"}
BANNED_LOADS = {("torch", "load"), ("jnp", "load"), ("pd", "read_pickle"), ("joblib", "load")}
BANNED_CALLS = {"eval", "exec", "compile"}
IMPORTERS = {"__import__", "importlib.import_module", "_importlib.import_module"}
# Imports by computed name, each reviewed: the names come from optzoo's own package
# listing (pkgutil) or a fixed tuple, never from a config.
DYNAMIC_IMPORTS_ALLOWED = {
    "optzoo/__init__.py": "lazy submodules named in the fixed tuple _LAZY_SUBMODULES",
    "optzoo/core/exports.py": "walks optzoo's own subpackages with pkgutil",
}


def _rel(path: pathlib.Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _tree(path: pathlib.Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _scan(check, tree: ast.AST) -> list[tuple[int, str]]:
    return [(getattr(n, "lineno", 0), m) for n in ast.walk(tree) if (m := check(n))]


def _findings(check) -> list[str]:
    return [
        f"{_rel(path)}:{line}: {msg}" for path in SOURCES for line, msg in _scan(check, _tree(path))
    ]


def _yaml_check(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute) and _dotted(node.value) == "yaml":
        if node.attr in BANNED_YAML:
            return f"yaml.{node.attr}"
    if isinstance(node, ast.ImportFrom) and node.module == "yaml":
        bad = [a.name for a in node.names if a.name in BANNED_YAML]
        return f"from yaml import {bad}" if bad else None
    return None


def _pickle_check(node: ast.AST) -> str | None:
    if isinstance(node, ast.Import):
        bad = [a.name for a in node.names if a.name.split(".")[0] in BANNED_MODULES]
        return f"import {bad}" if bad else None
    if isinstance(node, ast.ImportFrom):
        bad_module = (node.module or "").split(".")[0] in BANNED_MODULES
        return f"from {node.module} import" if bad_module else None
    if isinstance(node, ast.keyword) and node.arg == "allow_pickle":
        if not (isinstance(node.value, ast.Constant) and node.value.value is False):
            return "allow_pickle not False"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        owner, name = _dotted(node.func.value), node.func.attr
        if (owner.split(".")[-1], name) in BANNED_LOADS or (owner, name) == ("jax.numpy", "load"):
            return f"{owner}.{name}"
        if owner in ("np", "numpy") and name == "load":
            kw = {k.arg: k.value for k in node.keywords}
            flag = kw.get("allow_pickle")
            if not (isinstance(flag, ast.Constant) and flag.value is False):
                return "np.load without allow_pickle=False"
    return None


def _code_check(node: ast.AST) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Name) and node.func.id in BANNED_CALLS:
        return f"{node.func.id}()"
    if _dotted(node.func) in IMPORTERS:
        arg = node.args[0] if node.args else None
        if not isinstance(arg, ast.Constant):
            return "import by computed name"
    return None


@pytest.mark.parametrize(
    "check,snippet",
    [
        (_yaml_check, "yaml.load(f, Loader=yaml.Loader)"),
        (_yaml_check, "yaml.unsafe_load(text)"),
        (_yaml_check, "from yaml import FullLoader"),
        (_pickle_check, "import pickle"),
        (_pickle_check, "import cloudpickle as cp"),
        (_pickle_check, "from dill import loads"),
        (_pickle_check, "np.load(path)"),
        (_pickle_check, "np.load(path, allow_pickle=True)"),
        (_pickle_check, "numpy.load(path, allow_pickle=flag)"),
        (_pickle_check, "np.savez(path, allow_pickle=True)"),
        (_pickle_check, "jnp.load(path)"),
        (_pickle_check, "torch.load(path)"),
        (_code_check, "eval(cfg['lr'])"),
        (_code_check, "exec(text)"),
        (_code_check, "importlib.import_module(cfg.name)"),
        (_code_check, "__import__(name)"),
    ],
)
def test_the_checks_catch_what_they_ban(check, snippet):
    assert _scan(check, ast.parse(snippet)), snippet


@pytest.mark.parametrize(
    "check,snippet",
    [
        (_yaml_check, "yaml.safe_load(f); yaml.safe_dump(x); yaml.YAMLError"),
        (_pickle_check, "np.load(path, allow_pickle=False); np.savez(path, **arrays)"),
        (_code_check, "jax.jit(f).lower(x).compile(); importlib.import_module('optax')"),
    ],
)
def test_the_checks_pass_safe_code(check, snippet):
    assert _scan(check, ast.parse(snippet)) == []


def test_the_scan_sees_the_source():
    names = {_rel(p) for p in SOURCES}
    assert {"optzoo/train/config.py", "optzoo/bench/config.py"} <= names
    assert "optzoo/train/checkpoint.py" in names and len(names) > 50


def test_yaml_is_read_with_safe_load_only():
    assert _findings(_yaml_check) == []
    users = [p for p in SOURCES if "yaml.safe_load" in p.read_text(encoding="utf-8")]
    assert {"optzoo/train/config.py", "optzoo/bench/config.py"} <= {_rel(p) for p in users}


def test_nothing_pickles():
    assert _findings(_pickle_check) == []


def test_no_eval_exec_or_import_by_computed_name():
    found = _findings(_code_check)
    assert [f for f in found if f.split(":")[0] not in DYNAMIC_IMPORTS_ALLOWED] == []


# ---------------------------------------------------------------- behaviour


class _Payload:
    """Unpickling this creates ``marker``: the proof that a file was unpickled."""

    def __init__(self, marker: pathlib.Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_checkpoint_with_a_pickled_object_is_refused_unrun(tmp_path):
    state = {"w": np.zeros(3, np.float32)}
    path = save_checkpoint(tmp_path / "run", state, 1, {})
    marker = tmp_path / "pwned"
    shutil.rmtree(path / "state")  # the arrays.npz format of optzoo 0.1, still read
    np.savez(path / "arrays.npz", **{"['w']": np.array([_Payload(marker)], dtype=object)})
    assert not marker.exists()  # saving pickled it, nothing ran yet
    meta = json.loads((path / "meta.json").read_text())
    meta["arrays_sha256"] = hashlib.sha256((path / "arrays.npz").read_bytes()).hexdigest()
    (path / "meta.json").write_text(json.dumps(meta))  # a consistent, deliberate file
    with pytest.raises(CheckpointError, match="allow_pickle=False"):
        restore_checkpoint(path, state)
    assert not marker.exists()


def _hostile_yaml(marker: pathlib.Path) -> str:
    return f"!!python/object/apply:builtins.open [{str(marker)!r}, 'w']\n"


def test_train_config_with_python_tags_is_refused(tmp_path, capsys):
    marker = tmp_path / "pwned"
    cfg = tmp_path / "job.yaml"
    cfg.write_text(f"seed: 0\noptimizer:\n  name: {_hostile_yaml(marker)}")
    assert main(["train", str(cfg), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "not valid YAML" in err and str(cfg) in err and "Traceback" not in err
    cfg.write_text("seed: 0\n")
    over = ["--set", f"seed={_hostile_yaml(marker).strip()}"]
    assert main(["train", str(cfg), "--out", str(tmp_path / "out"), *over]) == 2
    assert "--set seed: cannot parse" in capsys.readouterr().err
    assert not marker.exists()


def test_config_strings_are_data_not_code(tmp_path):
    marker = tmp_path / "pwned"
    code = f"__import__('os').system('touch {marker}')"
    with pytest.raises(ValueError, match="optimizer.learning_rate: expected a number"):
        load_config({"optimizer": {"learning_rate": code}})
    with pytest.raises(ValueError, match="seed: expected an integer"):
        load_config({}, [f"seed={code}"])
    assert not marker.exists()


@pytest.mark.parametrize(
    "section,name",
    [
        ("optimizer", "os.system"),
        ("optimizer", "optax._src.alias.adam"),
        ("optimizer", "__import__"),
        ("model", "os.system"),
        ("model", "optzoo.models.mlp"),
        ("data", "os.system"),
    ],
)
def test_train_names_come_from_registries(tmp_path, capsys, section, name):
    cfg = tmp_path / "job.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "model": {"width": 4, "depth": 1},
                "data": {"name": "spirals"},
                "train": {"steps": 1, "batch_size": 8},
                section: {"name": name},
            }
        )
    )
    assert main(["train", str(cfg), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{section}.name" in err and repr(name) in err and "Traceback" not in err
    assert not (tmp_path / "out" / "metrics.json").exists()


def _suite(optimizer: str, missing: str = "error", model: str = "mlp") -> dict:
    return {
        "name": "hostile",
        "seeds": [0],
        "missing_optimizers": missing,
        "workloads": [
            {
                "name": "w",
                "data": {"name": "digits"},
                "model": {"name": model, "width": 4, "depth": 1},
                "batch_size": 8,
                "steps": 2,
                "eval_every": 1,
                "target": {"metric": "eval_accuracy", "value": 0.3},
            }
        ],
        "optimizers": [{"name": optimizer, "hyperparameters": {"learning_rate": 0.1}}],
    }


@pytest.mark.parametrize(
    "raw,needle",
    [
        (_suite("os.system"), "'os.system' is not in the registry"),
        (_suite("os.system", missing="skip"), "none of the named optimizers"),
        (_suite("optax._src.alias.sgd"), "is not in the registry"),
        (_suite("sgd", model="os.system"), "model.name"),
    ],
)
def test_bench_names_come_from_registries(tmp_path, capsys, raw, needle):
    cfg = tmp_path / "suite.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    assert main(["bench", "run", str(cfg), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_bench_config_with_python_tags_is_refused(tmp_path, capsys):
    marker = tmp_path / "pwned"
    cfg = tmp_path / "suite.yaml"
    cfg.write_text(f"name: {_hostile_yaml(marker)}")
    assert main(["bench", "run", str(cfg), "--out", str(tmp_path / "out")]) == 2
    assert "invalid YAML" in capsys.readouterr().err
    assert not marker.exists()


# --------------------------------------------------------- --out of optzoo train


def _train_cfg(tmp_path: pathlib.Path) -> pathlib.Path:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("model: {width: 4, depth: 1}\ndata: {name: spirals}\ntrain: {steps: 2}\n")
    return cfg


def test_train_out_refuses_a_foreign_directory_unless_forced(tmp_path, capsys):
    cfg, foreign = _train_cfg(tmp_path), tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    assert main(["train", str(cfg), "--out", str(foreign), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert str(foreign) in err and "--force" in err and "Traceback" not in err
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.tex"]
    assert main(["train", str(cfg), "--out", str(foreign), "--quiet", "--force"]) == 0
    assert (foreign / "metrics.json").is_file()
    assert (foreign / "thesis.tex").read_text() == "precious"
    # Once optzoo has written there, it is an optzoo output: no --force needed again.
    assert main(["train", str(cfg), "--out", str(foreign), "--quiet"]) == 0


def test_train_out_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("x")
    assert main(["train", str(_train_cfg(tmp_path)), "--out", str(target), "--force"]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert target.read_text() == "x"
