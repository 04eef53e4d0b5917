"""Kernel initialisers by name, shared by every model."""

from __future__ import annotations

import difflib

import jax

__all__ = ["INITIALIZERS", "get_initializer"]

_I = jax.nn.initializers

INITIALIZERS = {
    "zeros": _I.zeros,
    "normal": _I.normal(0.01),
    "xavier_uniform": _I.glorot_uniform(),
    "xavier_normal": _I.glorot_normal(),
    "glorot_uniform": _I.glorot_uniform(),
    "glorot_normal": _I.glorot_normal(),
    "he_uniform": _I.he_uniform(),
    "he_normal": _I.he_normal(),
    "kaiming_uniform": _I.he_uniform(),
    "kaiming_normal": _I.he_normal(),
    "lecun_uniform": _I.lecun_uniform(),
    "lecun_normal": _I.lecun_normal(),
    "orthogonal": _I.orthogonal(),
}


def get_initializer(name: str) -> jax.nn.initializers.Initializer:
    """The kernel initialiser called ``name`` (e.g. ``"he_normal"``, ``"orthogonal"``).

    Raises:
      ValueError: for an unknown name, suggesting the closest ones.
    """
    try:
        return INITIALIZERS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(INITIALIZERS), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown initializer {name!r}{hint}") from None
