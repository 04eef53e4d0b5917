"""Everything a suite can name, read from the registries it is checked against.

``optzoo bench list`` prints :func:`catalog`: the training engine's data sets
(``optzoo.data.DATASETS``, with their loader options), models
(``optzoo.models.MODELS``, with the ``model`` keys each reads), activations and
initialisers, the optimizer registry (any whose update needs more than the
engine's step supplies listed apart), and the suite's own vocabulary
(schedules, tuning protocols, search distributions, target and table metrics).
"""

from __future__ import annotations

import inspect

from optzoo.bench import config as cfg

__all__ = ["catalog", "format_catalog"]


def _loader_options(fn: object) -> list[str]:
    """The keyword options of a data loader (``path`` is ``data.path``)."""
    try:
        params = inspect.signature(fn).parameters.values()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.name != "path" and p.kind is p.POSITIONAL_OR_KEYWORD]


def catalog() -> dict[str, list[str]]:
    """Section name -> entries (``name`` or ``name (details)``)."""
    from optzoo import registry
    from optzoo.data import DATASETS, FILE_DATASETS, IMAGE_DATASETS
    from optzoo.models import ACTIVATIONS, INITIALIZERS, MODELS
    from optzoo.train.state import MODEL_OPTIONS

    data = []
    for name, loader in DATASETS.items():
        opts = _loader_options(loader)
        if name in IMAGE_DATASETS:
            opts.append("augment {shift, flip}")
        details = ["data.path: local files"] if name in FILE_DATASETS else []
        if opts:
            details.append("options: " + ", ".join(opts))
        data.append(f"{name} ({'; '.join(details)})" if details else name)
    runnable, needs = [], {}
    for name in registry.names():
        missing = sorted(set(registry.info(name).needs) - cfg.ENGINE_SUPPLIES)
        if missing:
            needs[name] = missing
        else:
            runnable.append(name)
    models = [f"{m} ({', '.join(MODEL_OPTIONS.get(m, ()))})" for m in MODELS]
    out = {
        "data sets": data,
        "models": models,
        "activations": list(ACTIVATIONS),
        "initializers": list(INITIALIZERS),
        "engines": list(cfg.ENGINES),
        "target metrics": list(cfg.METRICS),
        "table metrics": list(cfg.TABLE_METRICS),
        "schedules": list(cfg.SCHEDULES),
        "protocols": list(cfg.PROTOCOLS),
        "search spaces": list(cfg.DISTRIBUTIONS),
        "optimizers": runnable,
    }
    if needs:
        out["not runnable"] = [f"{n} (needs {', '.join(needs[n])})" for n in sorted(needs)]
    return out


def format_catalog(entries: dict[str, list[str]] | None = None) -> str:
    """The catalog as text, a section per line (data sets and models one entry a line)."""
    entries = catalog() if entries is None else entries
    lines = []
    for section, items in entries.items():
        if section in ("data sets", "models"):
            lines.append(f"{section}:")
            lines += [f"  {item}" for item in items]
        else:
            lines.append(f"{section + ':':16s}{', '.join(items)}")
    return "\n".join(lines)
