"""Dtype policy wrappers: float32 optimizer arithmetic for half-precision leaves, and
integer leaves left alone on request.

* :func:`upcast` runs any optimizer on float32 copies of ``float16`` / ``bfloat16``
  leaves and casts the updates back. Its state is float32 throughout, which is what
  ``float16`` needs: Adam-style denominators such as ``sqrt(v) + 1e-8`` underflow to
  ``0 / 0`` in float16 (its smallest subnormal is ``6e-8``).
* :func:`skip_integer_leaves` gives integer and boolean leaves (step counters, token
  tables kept in a parameter tree) a zero update of their own dtype and hides them
  from the inner optimizer. Without it, registered optimizers do with integer leaves
  what optax does, or, in strict mode (:func:`optzoo.checked`), reject them with a
  ValueError that names the path.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

__all__ = ["upcast", "skip_integer_leaves"]


def _dtype(x: Any) -> Any:
    return x.dtype if hasattr(x, "dtype") else jnp.asarray(x).dtype


def _is_inexact(x: Any) -> bool:
    return bool(jnp.issubdtype(_dtype(x), jnp.inexact))


def upcast(
    inner: optax.GradientTransformation, dtype: Any = jnp.float32
) -> optax.GradientTransformationExtraArgs:
    r"""Runs ``inner`` on ``dtype`` copies of lower-precision floating leaves.

    With :math:`c` the cast to ``dtype`` of every real floating leaf narrower than
    ``dtype`` (``float16``, ``bfloat16``; complex and integer leaves are left as
    they are):

    .. math:: u_t = \operatorname{cast}_{g}\big(\mathrm{inner}(c(g_t), c(x_t))\big),

    where :math:`\operatorname{cast}_g` returns each leaf to the dtype of the
    incoming gradient. The state is the inner optimizer's state for ``dtype``
    parameters. The extra arguments ``grad`` (a gradient tree) is cast as well;
    ``value_fn`` then receives ``dtype`` parameters.

    Args:
      inner: the optimizer to run in ``dtype``.
      dtype: the compute and state dtype (float32).

    Returns:
      A ``GradientTransformationExtraArgs`` with the inner optimizer's state.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.upcast(optzoo.adamw(1e-3))
      >>> state = tx.init({"w": jnp.ones(3, jnp.float16)})

    References:
      Micikevicius et al. Mixed Precision Training. 2018. https://arxiv.org/abs/1710.03740
    """
    inner = optax.with_extra_args_support(inner)
    target = np.dtype(dtype)

    def cast(tree: Any) -> Any:
        def one(x: Any) -> Any:
            x = jnp.asarray(x)
            if jnp.issubdtype(x.dtype, jnp.floating) and x.dtype.itemsize < target.itemsize:
                return x.astype(target)
            return x

        return jax.tree.map(one, tree)

    def init_fn(params: optax.Params) -> optax.OptState:
        return inner.init(cast(params))

    def update_fn(updates, state, params=None, **extra):
        if "grad" in extra and extra["grad"] is not None:
            extra = {**extra, "grad": cast(extra["grad"])}
        params_c = None if params is None else cast(params)
        new, state = inner.update(cast(updates), state, params_c, **extra)
        new = jax.tree.map(lambda u, g: jnp.asarray(u).astype(jnp.asarray(g).dtype), new, updates)
        return new, state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def skip_integer_leaves(
    inner: optax.GradientTransformation,
) -> optax.GradientTransformationExtraArgs:
    r"""Hides integer and boolean leaves from ``inner``; their update is zero.

    A leaf whose parameter (or, without ``params``, whose gradient) is not a
    floating or complex array is replaced by ``optax.MaskedNode`` for ``inner``
    (as in ``optax.masked``) and receives :math:`u = 0` in the parameter's own
    dtype, so ``optax.apply_updates`` leaves it unchanged. Gradients of integer
    inputs from ``jax.grad(..., allow_int=True)`` (dtype ``float0``) are accepted.

    Args:
      inner: the optimizer for the floating leaves.

    Returns:
      A ``GradientTransformationExtraArgs`` with state ``optax.MaskedState``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.skip_integer_leaves(optzoo.adam(1e-3))
      >>> state = tx.init({"w": jnp.ones(3), "step": jnp.zeros((), jnp.int32)})
    """

    def mask_of(tree: Any) -> Any:
        return jax.tree.map(_is_inexact, tree)

    def init_fn(params: optax.Params) -> optax.OptState:
        return optax.masked(inner, mask_of(params)).init(params)

    def update_fn(updates, state, params=None, **extra):
        reference = updates if params is None else params
        mask = mask_of(reference)
        new, state = optax.masked(inner, mask).update(updates, state, params, **extra)

        def zero_if_skipped(keep: bool, u: Any, ref: Any) -> Any:
            if keep:
                return u
            dt = _dtype(ref)
            return jnp.zeros(np.shape(ref), jnp.int32 if dt == jax.dtypes.float0 else dt)

        return jax.tree.map(zero_if_skipped, mask, new, reference), state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
