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


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, lo, hi):
    """Minimiser of the cubic through (x1, f1, g1), (x2, f2, g2), clipped to [lo, hi];
    the midpoint of [lo, hi] when the cubic has no minimum (PyTorch's rule)."""
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    d2 = jnp.sqrt(jnp.maximum(d2_square, 0.0))
    pos_a = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    pos_b = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    min_pos = jnp.where(x1 <= x2, pos_a, pos_b)
    return jnp.where(d2_square >= 0, jnp.minimum(jnp.maximum(min_pos, lo), hi), (lo + hi) / 2.0)


class _LS(NamedTuple):
    phase: jax.Array  # 0: bracketing, 1: zoom, 2: finished
    t: jax.Array
    f_new: jax.Array
    g_new: jax.Array
    gtd_new: jax.Array
    t_prev: jax.Array
    f_prev: jax.Array
    g_prev: jax.Array
    gtd_prev: jax.Array
    b_t: jax.Array  # (2,) bracket
    b_f: jax.Array
    b_g: jax.Array  # (2, n)
    b_gtd: jax.Array
    low: jax.Array
    done: jax.Array
    insuf: jax.Array
    ls_iter: jax.Array
    evals: jax.Array


def _strong_wolfe(vg, x, t, d, f, g, gtd, max_ls, c1=1e-4, c2=0.9, tolerance_change=1e-9):
    """PyTorch's strong-Wolfe line search (bracketing, then cubic zoom) as a while loop.

    Returns ``(f_new, g_new, t, evaluations)``.
    """
    dt = x.dtype
    d_norm = jnp.max(jnp.abs(d))
    f_new, g_new = vg(x + t * d)
    zero = jnp.zeros([], dt)
    i0 = jnp.zeros([], jnp.int32)
    st = _LS(
        phase=i0,
        t=t,
        f_new=f_new,
        g_new=g_new,
        gtd_new=jnp.dot(g_new, d),
        t_prev=zero,
        f_prev=f,
        g_prev=g,
        gtd_prev=gtd,
        b_t=jnp.zeros(2, dt),
        b_f=jnp.zeros(2, dt),
        b_g=jnp.zeros((2, x.shape[0]), dt),
        b_gtd=jnp.zeros(2, dt),
        low=i0,
        done=jnp.zeros([], bool),
        insuf=jnp.zeros([], bool),
        ls_iter=i0,
        evals=jnp.ones([], jnp.int32),
    )

    def low_of(b_f):
        return jnp.where(b_f[0] <= b_f[1], 0, 1).astype(jnp.int32)

    def body(s):
        # ---- bracketing phase: decide on the point already evaluated
        armijo_fail = (s.f_new > f + c1 * s.t * gtd) | ((s.ls_iter > 1) & (s.f_new >= s.f_prev))
        wolfe = ~armijo_fail & (jnp.abs(s.gtd_new) <= -c2 * gtd)
        upward = ~armijo_fail & ~wolfe & (s.gtd_new >= 0)
        to_zoom = armijo_fail | upward
        cont0 = ~(to_zoom | wolfe)
        t_interp = _cubic_interpolate(
            s.t_prev,
            s.f_prev,
            s.gtd_prev,
            s.t,
            s.f_new,
            s.gtd_new,
            s.t + 0.01 * (s.t - s.t_prev),
            s.t * 10,
        )
        pair_t = jnp.stack([s.t_prev, s.t])
        pair_f = jnp.stack([s.f_prev, s.f_new])
        pair_g = jnp.stack([s.g_prev, s.g_new])
        pair_gtd = jnp.stack([s.gtd_prev, s.gtd_new])
        one_t = jnp.stack([s.t, s.t])
        one_f = jnp.stack([s.f_new, s.f_new])
        one_g = jnp.stack([s.g_new, s.g_new])
        one_gtd = jnp.stack([s.gtd_new, s.gtd_new])

        # ---- zoom phase: next trial point inside the bracket
        lo_i, hi_i = s.low, 1 - s.low
        bmax, bmin = jnp.max(s.b_t), jnp.min(s.b_t)
        stop1 = (
            s.done
            | (s.ls_iter >= max_ls)
            | (jnp.abs(s.b_t[1] - s.b_t[0]) * d_norm < tolerance_change)
        )
        tz = _cubic_interpolate(
            s.b_t[0],
            s.b_f[0],
            s.b_gtd[0],
            s.b_t[1],
            s.b_f[1],
            s.b_gtd[1],
            jnp.minimum(s.b_t[0], s.b_t[1]),
            jnp.maximum(s.b_t[0], s.b_t[1]),
        )
        eps = 0.1 * (bmax - bmin)
        near = jnp.minimum(bmax - tz, tz - bmin) < eps
        push = near & (s.insuf | (tz >= bmax) | (tz <= bmin))
        tz_pushed = jnp.where(jnp.abs(tz - bmax) < jnp.abs(tz - bmin), bmax - eps, bmin + eps)
        tz = jnp.where(push, tz_pushed, tz)
        insuf_z = jnp.where(near, ~push, False)

        in0, in1 = s.phase == 0, s.phase == 1
        evaluate = (in0 & cont0) | (in1 & ~stop1)
        t_eval = jnp.where(in0, t_interp, tz)
        f_e, g_e = jax.lax.cond(
            evaluate, lambda z: vg(x + z * d), lambda z: (s.f_new, s.g_new), t_eval
        )
        gtd_e = jnp.dot(g_e, d)
        ls_iter = s.ls_iter + evaluate.astype(jnp.int32)
        evals = s.evals + evaluate.astype(jnp.int32)

        # ---- bracketing phase transitions
        hit_max = cont0 & (ls_iter == max_ls)
        b_t0 = jnp.where(to_zoom, pair_t, jnp.where(wolfe, one_t, jnp.stack([zero, t_eval])))
        b_f0 = jnp.where(to_zoom, pair_f, jnp.where(wolfe, one_f, jnp.stack([f, f_e])))
        b_g0 = jnp.where(to_zoom, pair_g, jnp.where(wolfe, one_g, jnp.stack([g, g_e])))
        b_gtd0 = jnp.where(to_zoom, pair_gtd, jnp.where(wolfe, one_gtd, s.b_gtd))
        s0 = s._replace(
            phase=jnp.where(to_zoom, 1, jnp.where(wolfe | hit_max, 2, 0)).astype(jnp.int32),
            t=jnp.where(cont0, t_eval, s.t),
            f_new=f_e,
            g_new=g_e,
            gtd_new=jnp.where(cont0, gtd_e, s.gtd_new),
            t_prev=jnp.where(cont0, s.t, s.t_prev),
            f_prev=jnp.where(cont0, s.f_new, s.f_prev),
            g_prev=jnp.where(cont0, s.g_new, s.g_prev),
            gtd_prev=jnp.where(cont0, s.gtd_new, s.gtd_prev),
            b_t=b_t0,
            b_f=b_f0,
            b_g=b_g0,
            b_gtd=b_gtd0,
            low=low_of(b_f0),
            done=wolfe,
            ls_iter=ls_iter,
            evals=evals,
        )

        # ---- zoom phase bracket update
        fail = (f_e > f + c1 * tz * gtd) | (f_e >= s.b_f[lo_i])
        wolfe_z = ~fail & (jnp.abs(gtd_e) <= -c2 * gtd)
        flip = ~fail & ~wolfe_z & (gtd_e * (s.b_t[hi_i] - s.b_t[lo_i]) >= 0)

        def put(arr, i, v):
            return arr.at[i].set(v)

        # on failure: replace the high end; otherwise (optionally high <- low), low <- new
        def upd(arr, new):
            failed = put(arr, hi_i, new)
            moved = jnp.where(flip, put(arr, hi_i, arr[lo_i]), arr)
            return jnp.where(fail, failed, put(moved, lo_i, new))

        zb_t, zb_f = upd(s.b_t, tz), upd(s.b_f, f_e)
        zb_g, zb_gtd = upd(s.b_g, g_e), upd(s.b_gtd, gtd_e)
        s1 = s._replace(
            phase=jnp.where(stop1, 2, 1).astype(jnp.int32),
            b_t=jnp.where(stop1, s.b_t, zb_t),
            b_f=jnp.where(stop1, s.b_f, zb_f),
            b_g=jnp.where(stop1, s.b_g, zb_g),
            b_gtd=jnp.where(stop1, s.b_gtd, zb_gtd),
            low=jnp.where(stop1, s.low, jnp.where(fail, low_of(zb_f), s.low)),
            done=jnp.where(stop1, s.done, wolfe_z),
            insuf=jnp.where(stop1, s.insuf, insuf_z),
            ls_iter=ls_iter,
            evals=evals,
        )
        return jax.tree.map(lambda a, b: jnp.where(in0, a, b), s0, s1)

    s = jax.lax.while_loop(lambda s: s.phase != 2, body, st)
    return s.b_f[s.low], s.b_g[s.low], s.b_t[s.low], s.evals


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
      line_search_fn: ``None`` (fixed steps) or ``"strong_wolfe"``: PyTorch's
        bracketing + cubic-zoom search (c1=1e-4, c2=0.9, at most ``max_eval`` minus the
        evaluations already spent in the step).

    Returns:
      A ``GradientTransformationExtraArgs``; ``update`` needs ``params`` and ``value_fn``.

    Example:
      >>> import jax, jax.numpy as jnp
      >>> from optzoo.compat import torch as ot
      >>> f = lambda x: jnp.sum((x - 1.0) ** 2)
      >>> tx = ot.LBFGS(lr=1)
      >>> x = jnp.zeros(3); state = tx.init(x)
      >>> u, state = tx.update(jax.grad(f)(x), state, x, value_fn=f)
    """
    if line_search_fn not in (None, "strong_wolfe"):
        raise RuntimeError("only 'strong_wolfe' is supported")
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

        def vg_dt(z):
            value, grad = vg(z)
            return jnp.asarray(value, dt), grad.astype(dt)

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
            if line_search_fn is None:
                x_new = jnp.where(stop_gtd, x, x + t * d)
                evaluate = (~stop_gtd) & (k != max_iter)
                loss_new, g_new = jax.lax.cond(
                    evaluate, lambda z: vg_dt(z), lambda z: (loss, g), x_new
                )
                n_evals = evaluate.astype(jnp.int32)
            else:

                def search(_):
                    return _strong_wolfe(vg_dt, x, t, d, loss, g, gtd, max_eval - evals)

                def skip(_):
                    return loss, g, t, jnp.zeros([], jnp.int32)

                loss_new, g_new, t, n_evals = jax.lax.cond(stop_gtd, skip, search, None)
                x_new = jnp.where(stop_gtd, x, x + t * d)
            evals_new = evals + n_evals
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
                func_evals=st.func_evals + n_evals,
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
