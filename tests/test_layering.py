"""The import graph of ``optzoo``: no cycles, and the layers import downwards only.

Layers, bottom to top: the library core (optimizers, transforms, registry, ...), then
``optzoo.models`` and ``optzoo.data``, then the training engine ``optzoo.train``, then the
benchmark ``optzoo.bench``, then the command line (``optzoo.cli*``). A module may import
its own layer and the ones below; ``bench`` may import ``train``, ``train`` never imports
``bench``, the library never imports ``train``, ``bench`` or the CLI. An import inside a
function (a lazy import) counts like any other, both for cycles and for layers; the only
upward imports allowed are the lazy ones listed in ``DOCUMENTED_LAZY`` with their reason.

The graph is read from the source with ``ast`` (nothing is imported), so it sees lazy
imports too; ``if TYPE_CHECKING:`` blocks are not imports at run time and are skipped.
"""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]

LAYERS = {"models": 1, "data": 1, "train": 2, "bench": 3}
CLI_LAYER = 4
# (importer, imported): the reason. Only lazy (function-level) imports may be listed.
DOCUMENTED_LAZY: dict[tuple[str, str], str] = {}


def _modules(root: pathlib.Path, package: str) -> dict[str, pathlib.Path]:
    mods = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module) -> list[tuple[ast.stmt, bool]]:
    """Every import statement with whether it runs at module level."""
    out: list[tuple[ast.stmt, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit_stmt(sub, top)
                continue
            visit_stmt(child, top)

    def visit_stmt(child: ast.AST, top: bool) -> None:
        if isinstance(child, ast.Import | ast.ImportFrom):
            out.append((child, top))
        inner = top and not isinstance(
            child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
        )
        if isinstance(child, ast.ClassDef):
            inner = top  # a class body runs at import time
        visit(child, inner)

    visit(tree, True)
    return out


def import_graph(root: pathlib.Path, package: str) -> dict[str, dict[str, bool]]:
    """module -> {imported module: imported at module level?} within ``package``."""
    mods = _modules(root, package)

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, dict[str, bool]] = {m: {} for m in mods}
    for mod, path in mods.items():
        here = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node, top in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    parent = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join(parent + ([base] if base else []))
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            for name in names:
                target = resolve(name) if name.split(".")[0] == package else None
                # A package importing its own submodules is how packages work, not a cycle.
                if target and target != mod and not target.startswith(mod + "."):
                    graph[mod][target] = graph[mod].get(target, False) or top
    return graph


def cycles(graph: dict[str, dict[str, bool]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return 0
    if parts[1].startswith("cli"):
        return CLI_LAYER
    return LAYERS.get(parts[1], 0)


def upward_imports(graph: dict[str, dict[str, bool]]) -> list[tuple[str, str, bool]]:
    return [
        (m, t, top)
        for m, targets in sorted(graph.items())
        for t, top in sorted(targets.items())
        if layer(t) > layer(m)
    ]


def test_the_graph_sees_the_packages_and_lazy_imports():
    graph = import_graph(ROOT, "optzoo")
    assert {"optzoo.bench.config", "optzoo.train.loop", "optzoo.cli_bench"} <= set(graph)
    assert graph["optzoo.train.state"]["optzoo.models"] is True  # module level
    assert graph["optzoo.cli_bench"]["optzoo.bench.runner"] is False  # inside a function


def test_no_import_cycle_among_optzoo_modules():
    assert cycles(import_graph(ROOT, "optzoo")) == []


def test_layers_import_downwards_only():
    graph = import_graph(ROOT, "optzoo")
    bad = [
        f"{m} -> {t} ({'module level' if top else 'lazy'})"
        for m, t, top in upward_imports(graph)
        if top or (m, t) not in DOCUMENTED_LAZY
    ]
    assert bad == []
    assert all(not top for (m, t), _ in DOCUMENTED_LAZY.items() for top in [graph[m][t]])
    assert "optzoo.train" in graph["optzoo.bench.workloads"]  # bench runs on the engine


def test_the_checks_catch_a_lazy_cycle_and_an_upward_import(tmp_path):
    pkg = tmp_path / "optzoo"
    (pkg / "bench").mkdir(parents=True)
    (pkg / "train").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "bench" / "__init__.py").write_text("")
    (pkg / "train" / "__init__.py").write_text("")
    (pkg / "bench" / "config.py").write_text(
        "def check():\n    from optzoo.bench.engine import run\n"
    )
    (pkg / "bench" / "engine.py").write_text(
        "from optzoo.bench import config\nfrom typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from optzoo.cli import main\n"
    )
    (pkg / "train" / "loop.py").write_text("def f():\n    from ..bench import engine\n")
    graph = import_graph(tmp_path, "optzoo")
    assert cycles(graph) == [["optzoo.bench.config", "optzoo.bench.engine"]]
    assert upward_imports(graph) == [
        ("optzoo.train.loop", "optzoo.bench", False),
        ("optzoo.train.loop", "optzoo.bench.engine", False),
    ]
