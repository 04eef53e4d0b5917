"""The ``optzoo`` command: ``list``, ``train``, ``bench``.

Every command answers bad input with exit status 2 and a one-line message,
never a traceback. This module and the parsers it builds import only the
standard library: JAX and the registry load inside the commands that use them,
so ``--help`` and ``--version`` answer at once (see ``optzoo_cli``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from optzoo.cli_bench import add_bench_parser
from optzoo.cli_train import add_train_parser

VERSIONED = ("optzoo", "jax", "jaxlib", "optax", "flax", "chex", "orbax-checkpoint")


def versions() -> str:
    """Installed versions of optzoo and its main dependencies, from package metadata only."""
    from importlib import metadata

    out = []
    for name in VERSIONED:
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} (not installed)")
    return "\n".join(out)


class _Version(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any):
        super().__init__(option_strings, dest, nargs=0, help="print versions and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(versions())
        parser.exit()


CATALOGUE_START = "<!-- catalogue:start -->"
CATALOGUE_END = "<!-- catalogue:end -->"


def _state(x: float) -> str:
    return f"{x:g}"


def catalogue_rows() -> list[tuple[str, str, str, str, str]]:
    """(name, family, year, reference, state floats per parameter) for every optimizer."""
    from optzoo import registry

    rows = []
    for r in registry.catalogue():
        ref = f"{r.reference.authors}, *{r.reference.title}*"
        rows.append((r.name, r.family, str(r.year), ref, _state(r.state_per_param)))
    return rows


def render_markdown() -> str:
    """The README's catalogue table (regenerate with ``optzoo list --markdown``)."""
    from optzoo import registry

    lines = [
        "| name | family | year | reference | state / param |",
        "|---|---|---|---|---|",
    ]
    for r in registry.catalogue():
        ref = f"{r.reference.authors}. [{r.reference.title}]({r.reference.url})"
        lines.append(
            f"| `{r.name}` | {r.family} | {r.year} | {ref} | {_state(r.state_per_param)} |"
        )
    lines.append("")
    lines.append(f"{len(lines) - 3} optimizers.")
    return "\n".join(lines)


def render_text() -> str:
    rows = [("name", "family", "year", "reference", "state/param"), *catalogue_rows()]
    widths = [min(max(len(r[i]) for r in rows), 60) for i in range(5)]
    out = []
    for row in rows:
        cells = [c if len(c) <= widths[i] else c[: widths[i] - 1] + "…" for i, c in enumerate(row)]
        out.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(cells)).rstrip())
    out.append(f"\n{len(rows) - 1} optimizers")
    return "\n".join(out)


def update_readme(path: str) -> None:
    """Rewrites the catalogue table between the README's markers."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if CATALOGUE_START not in text or CATALOGUE_END not in text:
        raise ValueError(f"{path} lacks the markers {CATALOGUE_START} / {CATALOGUE_END}")
    head, rest = text.split(CATALOGUE_START, 1)
    _, tail = rest.split(CATALOGUE_END, 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{head}{CATALOGUE_START}\n{render_markdown()}\n{CATALOGUE_END}{tail}")


def _cmd_list(args: argparse.Namespace) -> int:
    if args.update_readme:
        update_readme(args.update_readme)
        return 0
    print(render_markdown() if args.markdown else render_text())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="optzoo", description="A GPU-accelerated optimizer zoo.")
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="print the optimizer catalogue")
    p_list.add_argument("--markdown", action="store_true", help="print the README table")
    p_list.add_argument("--update-readme", metavar="PATH", help="rewrite the README's table")
    p_list.set_defaults(func=_cmd_list)
    add_train_parser(sub)
    add_bench_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, FileNotFoundError) as e:
        print(f"optzoo {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
