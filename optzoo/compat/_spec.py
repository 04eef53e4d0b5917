"""Presets as data: the declarative description of a framework optimizer.

Each PyTorch and Keras preset is one :class:`Spec`: its public signature (argument
names, defaults, positional order), the argument ranges the framework rejects, what
it computes (:class:`Semantics`, the rows of docs/semantics.md) and the update rule.
:func:`factory` turns a spec and a framework's builder into the public callable:
it binds the user's arguments against the signature (an unknown or surplus argument
is a ``TypeError`` naming it), checks the ranges (a ``ValueError`` naming the
argument) and hands the complete keyword dict to the builder.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import numbers
from collections.abc import Callable, Mapping
from typing import Any, Literal

import jax.numpy as jnp

__all__ = ["Semantics", "Spec", "factory", "signature", "check_ranges", "semantics"]

# names a default in Spec.args may use besides literals
_DEFAULT_NAMES = {"bfloat16": jnp.bfloat16}


@dataclasses.dataclass(frozen=True)
class Semantics:
    """What a preset computes, one phrase per row of docs/semantics.md."""

    eps: str = "n/a"
    weight_decay: str = "n/a"
    nesterov: str = "n/a"
    bias_correction: str = "n/a"
    accumulator_init: str = "n/a"


def semantics(
    eps: str,
    bias_correction: str,
    accumulator_init: str,
    *,
    weight_decay: str,
    nesterov: str = "n/a",
) -> Semantics:
    """A :class:`Semantics` with the three rows every preset fills given by position.

    The specs bind their framework's usual ``weight_decay`` phrase with
    ``functools.partial``, so a preset spells only the rows where it differs.
    """
    return Semantics(
        eps=eps,
        weight_decay=weight_decay,
        nesterov=nesterov,
        bias_correction=bias_correction,
        accumulator_init=accumulator_init,
    )


@dataclasses.dataclass(frozen=True)
class Spec:
    """One framework optimizer, described as data.

    Attributes:
      name: the framework's class name (``"Adam"``), also the preset's name.
      args: the framework's parameter list as Python source, e.g.
        ``"lr=1e-3, betas=(0.9, 0.999), *, maximize=False"``: names, defaults,
        positional order and where the keyword-only arguments start.
      rule: the update rule, called by the framework's builder with the bound
        arguments (see :mod:`optzoo.compat.torch.kernels`, :mod:`optzoo.compat.keras.kernels`).
      doc: the preset's docstring (the formula and the references).
      family: the row group of docs/semantics.md (``"adam"``), or ``None`` when the
        optimizer has no counterpart in the other frameworks.
      semantics: eps placement, decay coupling, Nesterov form, bias correction and
        accumulator initialisation, as the table prints them.
      decay: how ``weight_decay`` enters, for builders that apply it themselves:
        ``"coupled"`` (``g += wd p``), ``"decoupled"`` (``p -= lr wd p``),
        ``"switch"`` (coupled unless ``decoupled_weight_decay=True``) or ``"rule"``
        (the rule handles it, or there is none).
      ranges: argument -> interval the framework requires (``"[0,1)"``,
        ``"[0,inf)"``); a tuple argument is checked element by element, ``None`` and
        non-numbers (schedules) are not checked.
    """

    name: str
    args: str
    rule: Callable[..., Any]
    doc: str
    family: str | None = None
    semantics: Semantics | None = None
    decay: Literal["coupled", "decoupled", "switch", "rule"] = "rule"
    ranges: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def signature(self) -> inspect.Signature:
        """The preset's ``inspect.Signature``."""
        return signature(self.args)

    @property
    def defaults(self) -> dict[str, Any]:
        """Argument -> default, in positional order."""
        return {k: p.default for k, p in self.signature.parameters.items()}


@functools.cache
def signature(args: str) -> inspect.Signature:
    """The ``inspect.Signature`` of a parameter list written as Python source."""
    fn = ast.parse(f"def preset({args}): pass").body[0]
    assert isinstance(fn, ast.FunctionDef)
    a, empty, P = fn.args, inspect.Parameter.empty, inspect.Parameter

    def value(node: ast.expr | None) -> Any:
        if node is None:
            return empty
        if isinstance(node, ast.Name):
            return _DEFAULT_NAMES[node.id]
        return ast.literal_eval(node)

    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    kinds = [P.POSITIONAL_ONLY] * len(a.posonlyargs) + [P.POSITIONAL_OR_KEYWORD] * len(a.args)
    params = [
        P(arg.arg, kind, default=value(d))
        for arg, kind, d in zip(positional, kinds, defaults, strict=True)
    ]
    if a.vararg:
        params.append(P(a.vararg.arg, P.VAR_POSITIONAL))
    params += [
        P(arg.arg, P.KEYWORD_ONLY, default=value(d))
        for arg, d in zip(a.kwonlyargs, a.kw_defaults, strict=True)
    ]
    if a.kwarg:
        params.append(P(a.kwarg.arg, P.VAR_KEYWORD))
    return inspect.Signature(params)


def _parse(interval: str) -> tuple[float, float, bool, bool]:
    lo, hi = interval[1:-1].split(",")
    return float(lo), float(hi), interval[0] == "[", interval[-1] == "]"


def check_ranges(preset: str, kwargs: Mapping[str, Any], ranges: Mapping[str, str]) -> None:
    """Raises ``ValueError`` naming the first argument outside its interval."""
    for arg, interval in ranges.items():
        value = kwargs[arg]
        items = enumerate(value) if isinstance(value, tuple) else [(None, value)]
        lo, hi, lo_closed, hi_closed = _parse(interval)
        for i, v in items:
            if not isinstance(v, numbers.Real) or isinstance(v, bool):
                continue
            v = float(v)
            inside = (lo <= v if lo_closed else lo < v) and (v <= hi if hi_closed else v < hi)
            if not inside:  # NaN is never inside
                where = arg if i is None else f"{arg}[{i}]"
                raise ValueError(f"{preset}: invalid {where} value {v}: must be in {interval}")


def factory(
    spec: Spec, build: Callable[[Spec, dict[str, Any]], Any], module: str
) -> Callable[..., Any]:
    """The public preset of ``spec``: binds the arguments, checks them, calls ``build``."""
    sig = spec.signature

    def preset(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{spec.name}() {e}") from None
        bound.apply_defaults()
        kw = dict(bound.arguments)
        check_ranges(spec.name, kw, spec.ranges)
        return build(spec, kw)

    preset.__signature__ = sig  # type: ignore[attr-defined]
    preset.__name__ = preset.__qualname__ = spec.name
    preset.__doc__ = spec.doc
    preset.__module__ = module
    preset.spec = spec  # type: ignore[attr-defined]
    return preset
