"""Tree checks: a silent diagnosis by default, and an opt-in strict layer.

Every registered optimizer is wrapped by :func:`diagnosed`, which changes nothing: the
same transformation class, the same numbers and state, the same exceptions. Only when
an ``update`` already fails with a tree error (a JAX ``ValueError`` / ``TypeError``
about mismatched structures) does it add a note to that exception naming the first
mismatched path; the exception itself (type, message) is optax's.

:func:`checked` is the strict layer (``optzoo.checked(tx, name=...)``,
``optzoo.create(name, strict=True)``, the ``strict`` switch of the training and
benchmark configs): before calling the optimizer it rejects integer and boolean leaves,
complex leaves (for registered optimizers not known to support them), and gradient
trees that differ from ``params`` in structure, shape or dtype kind, each with a
``ValueError`` naming the path. The checks read only static shapes and dtypes, so they
cost nothing inside ``jit``.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax


def _kind(x: Any) -> str:
    dtype = x.dtype if hasattr(x, "dtype") else jnp.result_type(x)
    if jnp.issubdtype(dtype, jnp.complexfloating):
        return "complex"
    if jnp.issubdtype(dtype, jnp.floating):  # includes bfloat16 and the float8 types
        return "float"
    if jnp.issubdtype(dtype, jnp.integer) or jnp.issubdtype(dtype, jnp.bool_):
        return "integer"
    return str(dtype)


def _leaves(tree: Any) -> dict[str, Any]:
    flat, _ = jax.tree_util.tree_flatten_with_path(tree, is_leaf=lambda x: x is None)
    return {jax.tree_util.keystr(path): leaf for path, leaf in flat}


def first_mismatch(updates: Any, reference: Any, what: str = "params") -> str | None:
    """Describes the first leaf where ``updates`` and ``reference`` differ, or returns None."""
    u, r = _leaves(updates), _leaves(reference)
    for path in r:
        if path not in u:
            return f"{what} has a leaf at {path or '<root>'} that the updates lack"
    for path in u:
        if path not in r:
            return f"the updates have a leaf at {path or '<root>'} that {what} lacks"
    u_def = jax.tree.structure(updates, is_leaf=lambda x: x is None)
    r_def = jax.tree.structure(reference, is_leaf=lambda x: x is None)
    if not u_def == r_def:  # type: ignore[operator]
        return f"the updates' tree structure differs from {what}'s (same paths, other node types)"
    for path, ul in u.items():
        rl = r[path]
        if ul is None or rl is None:
            if (ul is None) != (rl is None):
                return f"leaf {path} is None in one tree only"
            continue
        us, rs = np.shape(ul), np.shape(rl)
        if us != rs:
            return f"leaf {path} has shape {us} in the updates but {rs} in {what}"
        if _kind(ul) != _kind(rl):
            return f"leaf {path} is {_kind(ul)} in the updates but {_kind(rl)} in {what}"
    return None


def _state_candidates(state: Any, updates: Any) -> list[Any]:
    """Sub-trees of ``state`` whose root node type is that of ``updates`` (e.g. Adam's mu)."""
    root_type = type(updates)
    found: list[Any] = []

    def walk(node: Any) -> None:
        if type(node) is root_type and not isinstance(node, tuple):
            found.append(node)
            return
        if isinstance(node, (tuple, list)):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            for child in node.values():
                walk(child)

    walk(state)
    return found


def _has_dtype(x: Any) -> bool:
    return hasattr(x, "dtype") or isinstance(x, (bool, int, float, complex))


def first_integer_leaf(tree: Any) -> tuple[str, Any] | None:
    """Path and dtype of the first integer or boolean leaf of ``tree``, or None."""
    for path, leaf in _leaves(tree).items():
        if leaf is not None and _has_dtype(leaf) and _kind(leaf) == "integer":
            dtype = leaf.dtype if hasattr(leaf, "dtype") else jnp.result_type(leaf)
            return path or "<root>", dtype
    return None


def reject_integer_leaves(tree: Any, name: str, what: str = "params") -> None:
    """Raises a ValueError naming the first integer or boolean leaf of ``tree``."""
    found = first_integer_leaf(tree)
    if found:
        path, dtype = found
        raise ValueError(
            f"{name}: {what} leaf {path} has integer dtype {dtype}; optimizers update "
            "floating leaves only. Cast it to a float dtype, or wrap the optimizer in "
            "optzoo.skip_integer_leaves(...) to leave integer leaves unchanged"
        )


# Registered optimizers verified on complex parameters (tests/test_reliability_dtypes.py:
# each converges on a complex least-squares problem given conjugated JAX gradients). The
# others reject complex leaves at init; their rules use orderings, signs or real-only
# functions (clip, cbrt, sign masks, Newton-Schulz without conjugate transposes).
COMPLEX_OPTIMIZERS = frozenset(
    {
        "adabelief", "adafactor", "adagrad", "adahessian", "adam", "adam_mini", "adamax",
        "adamaxw", "adamp", "adamw", "adamw_8bit", "adamw_bf16_state", "adan", "ademamix",
        "amsgrad", "dadapt_sgd", "dog", "gd", "grams", "lamb", "laprop", "lars", "lion",
        "lookahead_adam", "mars_adamw", "mars_lion", "momentum", "nadam", "nadamw", "ncg",
        "nesterov", "newton_cg", "novograd", "radam", "rmsprop", "schedule_free_adamw",
        "schedule_free_radam", "schedule_free_sgd", "sgd", "sign_sgd", "signum", "yogi",
    }
)  # fmt: skip


def reject_complex_leaves(tree: Any, name: str) -> None:
    """Raises a ValueError naming the first complex leaf of ``tree``; ``name`` is the
    optimizer named in the message (one not in :data:`COMPLEX_OPTIMIZERS`)."""
    for path, leaf in _leaves(tree).items():
        if leaf is not None and _has_dtype(leaf) and _kind(leaf) == "complex":
            raise ValueError(
                f"{name}: params leaf {path or '<root>'} is complex; {name} does not support "
                "complex parameters (those that do: optzoo.core.tree_checks.COMPLEX_OPTIMIZERS)"
            )


def _is_tree_error(e: Exception, updates: Any) -> bool:
    """A JAX tree error on container updates (a bare array has no path to name)."""
    text = str(e).lower()
    if not any(w in text for w in ("tree", "structure", "node", "key", "shape")):
        return False
    return not jax.tree_util.treedef_is_leaf(jax.tree.structure(updates))


def _diagnose(updates: Any, state: Any, params: Any) -> str | None:
    """The first path where ``updates`` differ from ``params`` or from a state sub-tree."""
    if params is not None:
        problem = first_mismatch(updates, params, "params")
        if problem:
            return f"gradient tree does not match params: {problem}"
    for candidate in _state_candidates(state, updates):
        problem = first_mismatch(updates, candidate, "the optimizer state")
        if problem:
            return f"gradient tree does not match the state from init(): {problem}"
    return None


_DIAGNOSED = "_optzoo_diagnosed"


def diagnosed(tx: Any, name: str = "optimizer") -> Any:
    """The default wrapper of registered optimizers: ``tx`` unchanged, plus a diagnosis.

    Returns an object of the same class as ``tx`` (``tx._replace(update=...)``) with the
    same ``init``; ``update`` calls ``tx.update`` with the same arguments. If that raises
    a tree error (mismatched structures), the exception propagates unchanged except for
    a note (PEP 678, shown in the traceback) naming the first mismatched path. Nothing is
    checked beforehand and nothing else is added, so every program that runs with optax
    runs the same way.
    """
    inner = getattr(tx, "update", None)
    if inner is None or not hasattr(tx, "_replace") or getattr(inner, _DIAGNOSED, False):
        return tx

    def update_fn(updates, state, *args, **kwargs):
        try:
            return inner(updates, state, *args, **kwargs)
        except (ValueError, TypeError) as e:
            if _is_tree_error(e, updates) and hasattr(e, "add_note"):
                params = args[0] if args else kwargs.get("params")
                try:
                    problem = _diagnose(updates, state, params)
                except Exception:  # noqa: BLE001 - a diagnosis must never mask the error
                    problem = None
                if problem:
                    e.add_note(f"optzoo ({name}): {problem}")
            raise

    setattr(update_fn, _DIAGNOSED, True)
    return tx._replace(update=update_fn)


def checked(
    tx: optax.GradientTransformation, name: str = "optimizer", *, complex_ok: bool = True
) -> Any:
    """The strict layer: ``tx`` with eager input checks that name the culprit.

    Same numbers and state as ``tx``; what optax would accept silently is rejected here
    with a ``ValueError`` naming the optimizer and the tree path:

    * ``init`` and ``update`` reject integer and boolean leaves (wrap the optimizer in
      :func:`optzoo.skip_integer_leaves` to leave them unchanged instead);
    * ``init`` rejects complex leaves when ``complex_ok`` is false (``optzoo.create(...,
      strict=True)`` passes ``name in COMPLEX_OPTIMIZERS`` for registered optimizers);
    * ``update`` with ``params`` requires the gradient tree to match them in structure,
      shapes and dtype kind (float / integer / complex; float precisions may differ);
    * a tree error inside ``update`` is re-raised as a ``ValueError`` naming the path.

    The checks read static shapes and dtypes only, so they cost nothing under ``jit``.

    Args:
      tx: any optax ``GradientTransformation``.
      name: the optimizer's name, used in messages.
      complex_ok: whether complex parameters are accepted.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.checked(optzoo.adam(1e-3), name="adam")
      >>> state = tx.init({"w": jnp.ones(3)})
    """
    inner = optax.with_extra_args_support(tx)

    def init_fn(params):
        reject_integer_leaves(params, name)
        if not complex_ok:
            reject_complex_leaves(params, name)
        return inner.init(params)

    def update_fn(updates, state, params=None, **extra):
        if params is not None:
            reject_integer_leaves(params, name)
            problem = first_mismatch(updates, params, "params")
            if problem:
                raise ValueError(f"{name}: gradient tree does not match params: {problem}")
        reject_integer_leaves(updates, name, "gradient")
        try:
            return inner.update(updates, state, params, **extra)
        except (ValueError, TypeError) as e:
            # An optimizer's own errors reach the user unchanged.
            if not _is_tree_error(e, updates):
                raise
            problem = _diagnose(updates, state, None)
            if problem:
                raise ValueError(f"{name}: {problem}") from e
            raise

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def reject_masked(params: Any, name: str) -> None:
    """Raises inside ``optax.masked`` for methods that evaluate the loss on all parameters.

    ``optax.masked`` hands the inner optimizer ``MaskedNode`` placeholders, on which a
    ``value_fn`` cannot be evaluated; such methods must wrap the mask instead.
    """
    leaves = jax.tree.leaves(params, is_leaf=lambda x: isinstance(x, optax.MaskedNode))
    if any(isinstance(x, optax.MaskedNode) for x in leaves):
        raise ValueError(
            f"{name} cannot run inside optax.masked: its value_fn needs every parameter; "
            "mask inside it instead (e.g. chain(..., optax.masked(...)))"
        )
