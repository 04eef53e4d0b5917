"""Clear errors for mismatched trees, raised at trace time before any cryptic JAX error.

Every registered optimizer's ``update`` is wrapped by :func:`checked`: when
``params`` is given, the updates tree must match it in structure, shapes and
dtype kind; otherwise a tree error raised inside the optimizer is re-raised as a
``ValueError`` that names the first mismatched path. The checks read only static
shapes, so they cost nothing inside ``jit``.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
import optax


def _kind(x: Any) -> str:
    dtype = np.dtype(x.dtype) if hasattr(x, "dtype") else np.result_type(x)
    if np.issubdtype(dtype, np.complexfloating):
        return "complex"
    if np.issubdtype(dtype, np.floating):
        return "float"
    if np.issubdtype(dtype, np.integer) or dtype == np.bool_:
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
            dtype = leaf.dtype if hasattr(leaf, "dtype") else np.result_type(leaf)
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
    """Raises a ValueError naming the first complex leaf unless ``name`` supports complex."""
    if name in COMPLEX_OPTIMIZERS:
        return
    for path, leaf in _leaves(tree).items():
        if leaf is not None and _has_dtype(leaf) and _kind(leaf) == "complex":
            raise ValueError(
                f"{name}: params leaf {path or '<root>'} is complex; {name} does not support "
                "complex parameters (those that do: optzoo.core.tree_checks.COMPLEX_OPTIMIZERS)"
            )


def checked(tx: optax.GradientTransformation, name: str = "optimizer") -> Any:
    """Wraps ``tx`` with the tree checks above; numbers and state are unchanged.

    ``init`` and ``update`` reject integer and boolean leaves, and ``init`` rejects
    complex leaves for optimizers not in :data:`COMPLEX_OPTIMIZERS` (naming the path);
    ``update`` also checks that the gradient tree matches ``params``.
    """
    inner = optax.with_extra_args_support(tx)

    def init_fn(params):
        reject_integer_leaves(params, name)
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
            # Diagnose only tree errors on container updates: a bare array has no path, and
            # an optimizer's own ValueError must reach the user unchanged.
            is_tree_error = any(w in str(e).lower() for w in ("tree", "structure", "node"))
            if not is_tree_error or jax.tree_util.treedef_is_leaf(jax.tree.structure(updates)):
                raise
            for candidate in _state_candidates(state, updates):
                problem = first_mismatch(updates, candidate, "the optimizer state")
                if problem:
                    raise ValueError(
                        f"{name}: gradient tree does not match the state from init(): {problem}"
                    ) from e
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
