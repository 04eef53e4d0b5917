"""The optimizer catalogue: name -> factory and metadata.

Optimizer modules register their user-facing factories with :func:`register`
at import time::

    @register("adam", family="adam", reference=KINGMA_BA_2015, state_per_param=2)
    def adam(learning_rate, b1=0.9, ...): ...

``names()``, ``info(name)`` and ``create(name, **hyperparameters)`` read it.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import optax

from optzoo.core.tree_checks import COMPLEX_OPTIMIZERS, checked, diagnosed

__all__ = [
    "Reference",
    "Authors",
    "OptimizerInfo",
    "register",
    "names",
    "info",
    "create",
    "catalogue",
]


@dataclasses.dataclass(frozen=True)
class Reference:
    """A citation: authors, title, year and a URL (arXiv where there is one)."""

    authors: str
    title: str
    year: int
    url: str

    def __str__(self) -> str:
        return f"{self.authors}. {self.title}. {self.year}. {self.url}"


@dataclasses.dataclass(frozen=True)
class Authors:
    """The implementation the method's authors published, and how optzoo reproduces it.

    Attributes:
      code: where the authors' implementation is: an installable package and the pinned
        version the tests compare with (``"prodigyopt==1.1.2"``), or ``"paper, Algorithm 1"``
        when the reference is a NumPy transcription of the paper's algorithm box.
      preset: the arguments that select the authors' defaults, applied by
        ``create(name, preset="authors")``; empty when optzoo's defaults are the authors'.
      differences: one line on how optzoo's defaults differ from the authors' (empty when
        they do not).
      no_package: why no package could be used, when ``code`` names the paper.
    """

    code: str
    preset: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    differences: str = ""
    no_package: str = ""


PRESETS = ("authors",)


@dataclasses.dataclass(frozen=True)
class OptimizerInfo:
    """Catalogue record of one registered optimizer."""

    name: str
    factory: Callable[..., optax.GradientTransformation]
    family: str
    reference: Reference
    hyperparameters: Mapping[str, Any]
    state_per_param: float
    needs: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    create_defaults: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    also_in: tuple[str, ...] = ()
    authors: Authors | None = None

    @property
    def year(self) -> int:
        return self.reference.year


_REGISTRY: dict[str, OptimizerInfo] = {}


def _signature_defaults(fn: Callable[..., Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    defaults: dict[str, Any] = {}
    required: list[str] = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is inspect.Parameter.empty:
            required.append(p.name)
        else:
            defaults[p.name] = p.default
    return defaults, tuple(required)


def register(
    name: str,
    *,
    family: str,
    reference: Reference,
    state_per_param: float,
    needs: tuple[str, ...] = (),
    defaults: Mapping[str, Any] | None = None,
    also_in: tuple[str, ...] = (),
    authors: Authors | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator that adds an optimizer factory to the catalogue.

    The decorated factory keeps its signature and returns the transformation unchanged
    (same class, numbers, state and errors), except that a tree error raised by its
    ``update`` gets a note naming the mismatched path
    (:func:`optzoo.core.tree_checks.diagnosed`). The strict checks are opt-in:
    ``create(name, strict=True)`` or :func:`optzoo.checked`.

    Args:
      name: catalogue name (lower case, ``snake_case``).
      family: the content family, named after the module that defines the optimizer
        (``adam``, ``sign``, ``matrix`` ...; ``sgd`` for ``gradient_descent``).
      reference: the paper that introduced the method.
      state_per_param: float32 words (4 bytes) of optimizer state per parameter for one
        large square float32 weight matrix, to leading order: arrays that grow like the
        matrix count by their bytes (Adam: 2; a bfloat16 moment 0.5; an 8-bit one with a
        4-byte scale per 256 entries (1 + 4/256) / 4), arrays that grow like its side
        (factored statistics: Adafactor 0) and scalars count 0; ``float("inf")`` when
        the state grows faster than the parameter count (BFGS). Checked by
        tests/test_state_bytes.py on a 1024 x 1024 matrix plus a 1024 bias.
      needs: extra inputs the update needs (``value_fn``, ``hvp``, ``value``).
      defaults: values :func:`create` passes unless the caller overrides them: defaults
        for required arguments (e.g. ``{"learning_rate": 1e-3}``), or a better choice
        than the signature's default.
      also_in: other namespaces that ship an optimizer of the same name (``"optax"``,
        ``"optax.contrib"``); empty when only optzoo has it.
      authors: the authors' published implementation and the preset that reproduces it
        (:class:`Authors`); ``create(name, preset="authors")`` applies it.
    """

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY:
            raise ValueError(f"optimizer {name!r} is registered twice")
        # An optax name returns exactly optax's class (e.g. a plain GradientTransformation).
        is_optax_name = callable(getattr(optax, name, None))

        @functools.wraps(fn)
        def factory(*args: Any, **kwargs: Any) -> optax.GradientTransformation:
            tx = fn(*args, **kwargs)
            if not is_optax_name:  # optzoo's own names all take extra args (value_fn ...)
                tx = optax.with_extra_args_support(tx)
            # Unchanged; an update that fails on a mismatched tree gets a note naming the path.
            return diagnosed(tx, name)

        sig_defaults, required = _signature_defaults(fn)
        accepted = {*sig_defaults, *required}
        unknown = [k for k in (authors.preset if authors else {}) if k not in accepted]
        if unknown:
            raise ValueError(f"{name}: the authors' preset names unknown arguments {unknown}")
        hyper = {**sig_defaults, **dict(defaults or {})}
        _REGISTRY[name] = OptimizerInfo(
            name=name,
            factory=factory,
            family=family,
            reference=reference,
            hyperparameters=hyper,
            state_per_param=float(state_per_param),
            needs=tuple(needs),
            required=tuple(r for r in required if r not in hyper),
            create_defaults=dict(defaults or {}),
            also_in=tuple(also_in),
            authors=authors,
        )
        return factory

    return deco


def _load() -> None:
    # Importing the package registers every optimizer (idempotent).
    import optzoo  # noqa: F401


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=3, cutoff=0.5)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def names() -> list[str]:
    """Sorted names of every registered optimizer."""
    _load()
    return sorted(_REGISTRY)


def info(name: str) -> OptimizerInfo:
    """The catalogue record of ``name``; unknown names raise ValueError with suggestions."""
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown optimizer {name!r}{_suggest(name, sorted(_REGISTRY))}") from None


def create(
    name: str, *, preset: str | None = None, strict: bool = False, **hyperparameters: Any
) -> optax.GradientTransformation:
    """Builds the optimizer ``name``; registry defaults fill unspecified required arguments.

    Args:
      name: a registry name (:func:`names`).
      preset: ``"authors"`` selects the defaults of the implementation the method's
        authors published (:attr:`OptimizerInfo.authors`; docs/authors.md lists them);
        explicit ``hyperparameters`` still win. ``None`` keeps optzoo's defaults.
      strict: wrap the optimizer in :func:`optzoo.checked`, which rejects integer,
        boolean and (where unsupported) complex leaves and gradient trees that do not
        match the parameters, each with a ``ValueError`` naming the path. Off by
        default: the optimizer then accepts whatever its optax namesake accepts.
      **hyperparameters: the factory's arguments.
    """
    record = info(name)
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r} for optimizer {name!r} (known: {PRESETS})")
    if preset == "authors" and record.authors is None:
        raise ValueError(f"optimizer {name!r} has no authors' preset (see docs/authors.md)")
    chosen = dict(record.authors.preset) if preset == "authors" and record.authors else {}
    params = inspect.signature(record.factory).parameters
    accepts_any = any(p.kind == p.VAR_KEYWORD for p in params.values())
    if not accepts_any:
        unknown = [k for k in hyperparameters if k not in params]
        if unknown:
            options = sorted(params)
            hints = "".join(_suggest(k, options) for k in unknown)
            raise ValueError(
                f"unknown hyperparameter(s) {unknown} for optimizer {name!r}{hints} "
                f"(accepted: {', '.join(options)})"
            )
    missing = [r for r in record.required if r not in hyperparameters and r not in chosen]
    if missing:
        raise ValueError(f"optimizer {name!r} needs hyperparameter(s) {missing}")
    # Registry defaults cover arguments (e.g. learning_rate) the caller left out.
    kwargs = {**record.create_defaults, **chosen, **hyperparameters}
    tx = record.factory(**kwargs)
    return checked(tx, name, complex_ok=name in COMPLEX_OPTIMIZERS) if strict else tx


def catalogue() -> list[OptimizerInfo]:
    """Every record, sorted by family then name."""
    _load()
    return sorted(_REGISTRY.values(), key=lambda r: (r.family, r.name))
