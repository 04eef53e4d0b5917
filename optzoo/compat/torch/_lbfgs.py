"""``torch.optim.LBFGS`` with its closure semantics mapped onto a value function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

__all__ = ["LBFGS", "LBFGSState"]


class LBFGSState(NamedTuple):
    """PyTorch's LBFGS state: direction, step, circular curvature history, counters."""

    d: jax.Array
    t: jax.Array
    old_dirs: jax.Array  # (history_size, n): y vectors
    old_stps: jax.Array  # (history_size, n): s vectors
    ro: jax.Array  # (history_size,)
    head: jax.Array  # index of the oldest pair
    num_old: jax.Array
    h_diag: jax.Array
    prev_flat_grad: jax.Array
    prev_loss: jax.Array
    n_iter: jax.Array
    func_evals: jax.Array


def LBFGS(
    lr: float = 1,
    max_iter: int = 20,
    max_eval: int | None = None,
    tolerance_grad: float = 1e-7,
    tolerance_change: float = 1e-9,
    history_size: int = 100,
    line_search_fn: str | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""``torch.optim.LBFGS`` (Liu & Nocedal 1989, https://doi.org/10.1007/BF01589116).

    One ``update`` is one ``optimizer.step(closure)``: up to ``max_iter`` L-BFGS
    iterations, each re-evaluating the objective, with PyTorch's stopping tests
    (``tolerance_grad`` on the gradient's max-norm, ``tolerance_change`` on the
    step and on the loss change, ``max_eval`` evaluations). The closure becomes the
    ``value_fn=`` keyword of ``update`` (``params -> loss``); ``updates`` is the
    gradient at ``params`` and ``value=`` the loss there (computed when omitted).

    The first iteration ever takes the step :math:`\min(1, 1/\|g\|_1)\,\eta`, later
    ones :math:`\eta`; directions come from the two-loop recursion over the last
    ``history_size`` pairs with :math:`y^\top s > 10^{-10}`, scaled by
    :math:`H_0 = y^\top s / y^\top y`.

    Args:
      lr, max_iter, max_eval, tolerance_grad, tolerance_change, history_size: as PyTorch.
      line_search_fn: only ``None`` (fixed steps) is implemented; ``"strong_wolfe"``
        raises ``NotImplementedError`` (use ``optzoo.lbfgs`` for a line-searched L-BFGS).

    Returns:
      A ``GradientTransformationExtraArgs``; ``update`` needs ``params`` and ``value_fn``.

    Example:
      >>> import jax.numpy as jnp, optax
      >>> from optzoo.compat import torch as ot
      >>> f = lambda x: jnp.sum((x - 1.0) ** 2)
      >>> tx = ot.LBFGS(lr=1)
      >>> x = jnp.zeros(3); state = tx.init(x)
      >>> u, state = tx.update(jax.grad(f)(x), state, x, value_fn=f)
    """
    if line_search_fn is not None:
        if line_search_fn != "strong_wolfe":
            raise RuntimeError("only 'strong_wolfe' is supported")
        raise NotImplementedError("optzoo.compat.torch.LBFGS implements line_search_fn=None only")
    if max_eval is None:
        max_eval = max_iter * 5 // 4
    hs = history_size

    def init_fn(params):
        flat, _ = ravel_pytree(params)
        n, dt = flat.shape[0], flat.dtype
        z = jnp.zeros([], jnp.int32)
        return LBFGSState(
            d=jnp.zeros(n, dt),
            t=jnp.zeros([], dt),
            old_dirs=jnp.zeros((hs, n), dt),
            old_stps=jnp.zeros((hs, n), dt),
            ro=jnp.zeros(hs, dt),
            head=z,
            num_old=z,
            h_diag=jnp.ones([], dt),
            prev_flat_grad=jnp.zeros(n, dt),
            prev_loss=jnp.zeros([], dt),
            n_iter=z,
            func_evals=z,
        )

    def two_loop(g, st):
        q = -g
        al = jnp.zeros(hs, g.dtype)

        def back(ii, carry):
            q, al = carry
            i = hs - 1 - ii
            pos = (st.head + i) % hs
            a = jnp.dot(st.old_stps[pos], q) * st.ro[pos]
            active = i < st.num_old
            q = jnp.where(active, q - a * st.old_dirs[pos], q)
            return q, al.at[i].set(jnp.where(active, a, 0.0))

        q, al = jax.lax.fori_loop(0, hs, back, (q, al))
        r = q * st.h_diag

        def fwd(i, r):
            pos = (st.head + i) % hs
            be = jnp.dot(st.old_dirs[pos], r) * st.ro[pos]
            return jnp.where(i < st.num_old, r + st.old_stps[pos] * (al[i] - be), r)

        return jax.lax.fori_loop(0, hs, fwd, r)

    def update_fn(
        updates, state, params=None, *, value=None, value_fn: Callable | None = None, **extra: Any
    ):
        del extra
        if params is None or value_fn is None:
            raise ValueError("LBFGS needs `params` and `value_fn=` (the closure) in `update`")
        x0, unravel = ravel_pytree(params)
        g0, _ = ravel_pytree(updates)
        dt = x0.dtype
        f = lambda x: value_fn(unravel(x))
        vg = jax.value_and_grad(f)
        loss0 = jnp.asarray(f(x0) if value is None else value, dt)

        def body(c):
            x, loss, g, st, k, evals, _ = c
            k = k + 1
            n_iter = st.n_iter + 1
            first = n_iter == 1

            # curvature pair from the last iteration (not on the very first one)
            y = g - st.prev_flat_grad
            s = st.d * st.t
            ys = jnp.dot(y, s)
            push = (~first) & (ys > 1e-10)
            full = st.num_old == hs
            pos = jnp.where(full, st.head, (st.head + st.num_old) % hs)
            st2 = st._replace(
                old_dirs=jnp.where(push, st.old_dirs.at[pos].set(y), st.old_dirs),
                old_stps=jnp.where(push, st.old_stps.at[pos].set(s), st.old_stps),
                ro=jnp.where(push, st.ro.at[pos].set(1.0 / ys), st.ro),
                head=jnp.where(push & full, (st.head + 1) % hs, st.head),
                num_old=jnp.where(push & ~full, st.num_old + 1, st.num_old),
                h_diag=jnp.where(push, ys / jnp.dot(y, y), st.h_diag),
            )
            st2 = st2._replace(
                num_old=jnp.where(first, 0, st2.num_old),
                head=jnp.where(first, 0, st2.head),
                h_diag=jnp.where(first, 1.0, st2.h_diag).astype(dt),
            )
            d = jnp.where(first, -g, two_loop(g, st2))
            prev_loss = loss
            t = jnp.where(
                first, jnp.minimum(1.0, 1.0 / jnp.sum(jnp.abs(g))) * lr, jnp.asarray(lr, dt)
            ).astype(dt)
            gtd = jnp.dot(g, d)
            stop_gtd = gtd > -tolerance_change
            x_new = jnp.where(stop_gtd, x, x + t * d)
            evaluate = (~stop_gtd) & (k != max_iter)
            loss_new, g_new = jax.lax.cond(
                evaluate, lambda z: tuple(a.astype(dt) for a in vg(z)), lambda z: (loss, g), x_new
            )
            evals_new = evals + evaluate.astype(jnp.int32)
            opt_cond = jnp.max(jnp.abs(g_new)) <= tolerance_grad
            done = (
                stop_gtd
                | (k == max_iter)
                | (evals_new >= max_eval)
                | opt_cond
                | (jnp.max(jnp.abs(d * t)) <= tolerance_change)
                | (jnp.abs(loss_new - prev_loss) < tolerance_change)
            )
            st3 = st2._replace(
                d=d,
                t=t,
                prev_flat_grad=g,
                prev_loss=prev_loss,
                n_iter=n_iter,
                func_evals=st.func_evals + evaluate.astype(jnp.int32),
            )
            return x_new, loss_new, g_new, st3, k, evals_new, done

        def cond(c):
            return (c[4] < max_iter) & ~c[6]

        skip = jnp.max(jnp.abs(g0)) <= tolerance_grad
        carry = (
            x0,
            loss0,
            g0,
            state._replace(func_evals=state.func_evals + 1),
            jnp.zeros([], jnp.int32),
            jnp.ones([], jnp.int32),
            skip,
        )
        x, _, _, st, _, _, _ = jax.lax.while_loop(cond, body, carry)
        st = jax.tree.map(lambda new, old: jnp.where(skip, old, new), st, state)
        return unravel(x - x0), st

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
