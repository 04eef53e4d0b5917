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


def select(
    family: str | None = None, since: int | None = None, query: Sequence[str] = ()
) -> list[Any]:
    """The catalogue's records that match every filter given.

    Args:
      family: one family or several separated by commas (``"matrix,sign"``).
      since: the earliest year of the paper.
      query: words that must all occur (case-insensitive) in the name, the paper's
        title or its authors.

    Raises:
      ValueError: for an unknown family (the message lists the known ones).
    """
    from optzoo import registry

    records = registry.catalogue()
    if family:
        known = sorted({r.family for r in records})
        wanted = [f.strip() for f in family.split(",") if f.strip()]
        unknown = [f for f in wanted if f not in known]
        if unknown:
            raise ValueError(f"unknown family {unknown[0]!r} (known: {', '.join(known)})")
        records = [r for r in records if r.family in wanted]
    if since is not None:
        records = [r for r in records if r.year >= since]
    words = [w.lower() for w in query]
    if words:

        def text(r: Any) -> str:
            ref = r.reference
            return f"{r.name} {r.name.replace('_', ' ')} {ref.title} {ref.authors}".lower()

        records = [r for r in records if all(w in text(r) for w in words)]
    return records


def catalogue_rows(records: Sequence[Any] | None = None) -> list[tuple[str, str, str, str, str]]:
    """(name, family, year, reference, state floats per parameter) for each record."""
    rows = []
    for r in select() if records is None else records:
        ref = f"{r.reference.authors}, *{r.reference.title}*"
        rows.append((r.name, r.family, str(r.year), ref, _state(r.state_per_param)))
    return rows


def render_markdown(records: Sequence[Any] | None = None) -> str:
    """The README's catalogue table (regenerate with ``optzoo list --markdown``)."""
    lines = [
        "| name | family | year | reference | state / param |",
        "|---|---|---|---|---|",
    ]
    for r in select() if records is None else records:
        ref = f"{r.reference.authors}. [{r.reference.title}]({r.reference.url})"
        lines.append(
            f"| `{r.name}` | {r.family} | {r.year} | {ref} | {_state(r.state_per_param)} |"
        )
    lines.append("")
    lines.append(f"{len(lines) - 3} optimizers.")
    return "\n".join(lines)


def render_text(records: Sequence[Any] | None = None) -> str:
    rows = [("name", "family", "year", "reference", "state/param"), *catalogue_rows(records)]
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
    if args.families:
        from collections import Counter

        counts = Counter(r.family for r in select())
        for family, n in sorted(counts.items()):
            print(f"{family:20s} {n}")
        print(f"\n{len(counts)} families, {sum(counts.values())} optimizers")
        return 0
    records = select(args.family, args.since, args.query)
    if not records:
        print("no optimizer matches (optzoo list --families shows the families)")
        return 1
    print(render_markdown(records) if args.markdown else render_text(records))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="optzoo", description="A GPU-accelerated optimizer zoo.")
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="print the optimizer catalogue")
    p_list.add_argument("--markdown", action="store_true", help="print the README table")
    p_list.add_argument("--update-readme", metavar="PATH", help="rewrite the README's table")
    p_list.add_argument(
        "query", nargs="*", help="words to find in the name, the paper's title or its authors"
    )
    p_list.add_argument("--family", help="only these families (comma-separated)")
    p_list.add_argument("--since", type=int, metavar="YEAR", help="only papers from YEAR on")
    p_list.add_argument("--families", action="store_true", help="the families and their sizes")
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
