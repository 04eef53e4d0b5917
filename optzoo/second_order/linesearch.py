r"""Line searches on flat vectors: backtracking Armijo, strong Wolfe (zoom) and Hager-Zhang.

Each search looks along a descent direction :math:`d` from :math:`x` at
:math:`\phi(\alpha) = f(x + \alpha d)`, given ``vg(x) -> (f(x), grad f(x))`` on flat
vectors, and runs in one ``lax.while_loop`` (one ``vg`` call per iteration), so it is
jittable and never hangs. It returns a :class:`LineSearchResult` with the step, the
value and gradient there (reused by the caller) and the number of evaluations.

When the conditions are not met within ``max_steps``, the best point found that
decreases :math:`f` is returned with ``success=False``; when there is none (or :math:`d` is
not a descent direction, :math:`\nabla f^\top d \ge 0`) the step is 0.

References:
  Nocedal, Wright. Numerical Optimization, 2nd ed., ch. 3 (Alg. 3.1, 3.5, 3.6). 2006.
  https://doi.org/10.1007/978-0-387-40065-5
  Moré, Thuente. Line search algorithms with guaranteed sufficient decrease. 1994.
  https://doi.org/10.1145/192115.192132
  Hager, Zhang. A new conjugate gradient method with guaranteed descent and an
  efficient line search. 2005. https://doi.org/10.1137/030601880
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from optzoo.second_order.loops import packed_while_loop

__all__ = [
    "LineSearchResult",
    "backtracking_armijo",
    "strong_wolfe",
    "hager_zhang",
    "more_thuente",
    "LINE_SEARCHES",
    "get_line_search",
]

ValueAndGrad = Callable[[jax.Array], tuple[jax.Array, jax.Array]]


class LineSearchResult(NamedTuple):
    """Outcome of a line search.

    Attributes:
      step: accepted step :math:`\\alpha` (0 when nothing decreased ``f``).
      value: :math:`f(x + \\alpha d)`.
      grad: :math:`\\nabla f(x + \\alpha d)` (flat).
      nfev: value-and-gradient evaluations used.
      success: the search's conditions (Armijo, strong Wolfe, approximate Wolfe) hold.
    """

    step: jax.Array
    value: jax.Array
    grad: jax.Array
    nfev: jax.Array
    success: jax.Array


def _where(c: jax.Array, a: Any, b: Any) -> Any:
    return jax.tree.map(lambda u, v: jnp.where(c, u, v), a, b)


def _eval(vg: ValueAndGrad, x: jax.Array, d: jax.Array, a: jax.Array):
    f, g = vg(x + a.astype(x.dtype) * d)
    f = jnp.asarray(f, x.dtype)
    slope = jnp.vdot(g, d)
    ok = jnp.isfinite(f) & jnp.isfinite(slope)
    return f, g, slope, ok


def backtracking_armijo(
    vg: ValueAndGrad,
    x: jax.Array,
    f0: jax.Array,
    g0: jax.Array,
    d: jax.Array,
    step0: jax.Array | float = 1.0,
    c1: float = 1e-4,
    max_steps: int = 30,
) -> LineSearchResult:
    r"""Backtracking until Armijo's :math:`\phi(\alpha) \le \phi(0) + c_1\alpha\phi'(0)` holds.

    Each rejected step is replaced by the minimiser of the quadratic through
    :math:`\phi(0), \phi'(0), \phi(\alpha)`, kept in :math:`[0.1\alpha, 0.5\alpha]`
    (N&W section 3.5).
    """
    dtype = x.dtype
    slope0 = jnp.vdot(g0, d)
    a0 = jnp.asarray(step0, dtype)

    def cond(s):
        i, _, _, _, done, _ = s
        return (~done) & (i < max_steps) & (slope0 < 0)

    def body(s):
        i, a, _, _, _, _ = s
        f, g, _, ok = _eval(vg, x, d, a)
        done = ok & (f <= f0 + c1 * a * slope0)
        denom = 2.0 * (f - f0 - slope0 * a)
        quad = -slope0 * a * a / jnp.where(denom > 0, denom, 1.0)
        quad = jnp.where(ok & (denom > 0), quad, 0.5 * a)
        a_next = jnp.clip(quad, 0.1 * a, 0.5 * a)
        return i + 1, jnp.where(done, a, a_next), f, g, done, ok

    init = (jnp.asarray(0), a0, f0, g0, jnp.asarray(False), jnp.asarray(True))
    i, a, f, g, done, _ = packed_while_loop(cond, body, init)
    res = LineSearchResult(a, f, g, i, done)
    fail = LineSearchResult(jnp.zeros((), dtype), f0, g0, i, jnp.asarray(False))
    return _where(done, res, fail)


def _cubic_min(a, fa, da, b, fb, db):
    """Minimiser of the cubic interpolating two points with slopes, safeguarded to the interval."""
    d1 = da + db - 3.0 * (fa - fb) / (a - b)
    disc = d1 * d1 - da * db
    d2 = jnp.sign(b - a) * jnp.sqrt(jnp.maximum(disc, 0.0))
    c = b - (b - a) * (db + d2 - d1) / (db - da + 2.0 * d2)
    lo, hi = jnp.minimum(a, b), jnp.maximum(a, b)
    w = hi - lo
    good = (disc >= 0) & jnp.isfinite(c) & (c > lo + 0.1 * w) & (c < hi - 0.1 * w)
    return jnp.where(good, c, 0.5 * (a + b))


class _WolfeState(NamedTuple):
    i: jax.Array
    stage: jax.Array  # 0 bracketing, 1 zoom, 2 done
    trial: jax.Array
    a_p: jax.Array  # previous point (bracketing) / low end (zoom)
    f_p: jax.Array
    d_p: jax.Array
    g_p: jax.Array
    a_h: jax.Array  # high end (zoom)
    f_h: jax.Array
    d_h: jax.Array
    a: jax.Array  # accepted point
    f: jax.Array
    g: jax.Array


def strong_wolfe(
    vg: ValueAndGrad,
    x: jax.Array,
    f0: jax.Array,
    g0: jax.Array,
    d: jax.Array,
    step0: jax.Array | float = 1.0,
    c1: float = 1e-4,
    c2: float = 0.9,
    max_steps: int = 30,
    max_step: float = 1e10,
) -> LineSearchResult:
    r"""Strong Wolfe line search: bracketing then zoom with cubic interpolation.

    Accepts :math:`\alpha` with :math:`\phi(\alpha) \le \phi(0) + c_1\alpha\phi'(0)` and
    :math:`|\phi'(\alpha)| \le c_2|\phi'(0)|` (N&W Algorithms 3.5 and 3.6). Trial steps
    inside a bracket are the minimiser of the cubic through its two ends, safeguarded
    away from them as in Moré and Thuente (1994). Use ``c2 = 0.9`` for quasi-Newton
    methods and ``c2 = 0.1`` for nonlinear CG.
    """
    dtype = x.dtype
    slope0 = jnp.vdot(g0, d)
    zero = jnp.zeros((), dtype)
    a0 = jnp.minimum(jnp.asarray(step0, dtype), max_step)

    def cond(s: _WolfeState):
        return (s.stage != 2) & (s.i < max_steps) & (slope0 < 0)

    def body(s: _WolfeState) -> _WolfeState:
        a = s.trial
        f, g, slope, ok = _eval(vg, x, d, a)
        armijo_bad = (~ok) | (f > f0 + c1 * a * slope0)
        curv_ok = ok & (jnp.abs(slope) <= -c2 * slope0)
        cur = (a, f, slope, g)
        lo = (s.a_p, s.f_p, s.d_p, s.g_p)
        hi = (s.a_h, s.f_h, s.d_h)

        # Bracketing stage (Algorithm 3.5).
        b_zoom_hi = armijo_bad | ((s.i > 0) & (f >= s.f_p))
        b_done = (~b_zoom_hi) & curv_ok
        b_zoom_lo = (~b_zoom_hi) & (~b_done) & (slope >= 0)
        b_lo = _where(b_zoom_lo, cur, lo)
        b_hi = _where(b_zoom_lo, lo[:3], cur[:3])
        b_stage = jnp.where(b_done, 2, jnp.where(b_zoom_hi | b_zoom_lo, 1, 0))
        b_trial = jnp.where(
            b_stage == 1, _cubic_min(*b_lo[:3], *b_hi), jnp.minimum(2 * a, max_step)
        )

        # Zoom stage (Algorithm 3.6).
        z_new_hi = armijo_bad | (f >= s.f_p)
        z_done = (~z_new_hi) & curv_ok
        flip = (~z_new_hi) & (~z_done) & (slope * (s.a_h - s.a_p) >= 0)
        z_hi = _where(z_new_hi, cur[:3], _where(flip, lo[:3], hi))
        z_lo = _where(z_new_hi, lo, cur)
        z_stage = jnp.where(z_done, 2, 1)
        tiny = jnp.abs(z_hi[0] - z_lo[0]) <= jnp.finfo(dtype).eps * jnp.maximum(z_lo[0], 1e-30)
        z_stage = jnp.where(tiny & (z_stage == 1), 3, z_stage)  # 3: interval collapsed
        z_trial = _cubic_min(*z_lo[:3], *z_hi)

        in_b = s.stage == 0
        new_lo = _where(in_b, b_lo, z_lo)
        new_hi = _where(in_b, b_hi, z_hi)
        # In bracketing without a bracket, the current point becomes "previous".
        new_lo = _where(in_b & (b_stage == 0), cur, new_lo)
        stage = jnp.where(in_b, b_stage, z_stage)
        done = stage == 2
        return _WolfeState(
            i=s.i + 1,
            stage=jnp.where(stage == 3, 2, stage),
            trial=jnp.where(in_b, b_trial, z_trial),
            a_p=new_lo[0], f_p=new_lo[1], d_p=new_lo[2], g_p=new_lo[3],
            a_h=new_hi[0], f_h=new_hi[1], d_h=new_hi[2],
            a=jnp.where(done, a, s.a), f=jnp.where(done, f, s.f), g=jnp.where(done, g, s.g),
        )  # fmt: skip

    init = _WolfeState(
        i=jnp.asarray(0), stage=jnp.asarray(0), trial=a0,
        a_p=zero, f_p=f0, d_p=slope0, g_p=g0,
        a_h=zero, f_h=f0, d_h=slope0,
        a=zero, f=f0, g=g0,
    )  # fmt: skip
    s = packed_while_loop(cond, body, init)
    success = s.a > 0
    # Fallback: the low end / previous point satisfies sufficient decrease when a_p > 0.
    fallback = LineSearchResult(s.a_p, s.f_p, s.g_p, s.i, jnp.asarray(False))
    fallback = _where(
        (s.a_p > 0) & (s.f_p < f0),
        fallback,
        LineSearchResult(zero, f0, g0, s.i, jnp.asarray(False)),
    )
    return _where(success, LineSearchResult(s.a, s.f, s.g, s.i, success), fallback)


class _HZState(NamedTuple):
    i: jax.Array
    stage: jax.Array  # 0 bracketing, 1 bracketed (secant / bisection), 2 done
    trial: jax.Array
    a: jax.Array  # low end: slope < 0 and value <= f0 + eps
    fa: jax.Array
    da: jax.Array
    ga: jax.Array
    b: jax.Array  # high end: slope >= 0, or value too high
    fb: jax.Array
    db: jax.Array
    secants: jax.Array  # secant steps in the current round
    width0: jax.Array  # bracket width when the round started
    out_a: jax.Array
    out_f: jax.Array
    out_g: jax.Array


def hager_zhang(
    vg: ValueAndGrad,
    x: jax.Array,
    f0: jax.Array,
    g0: jax.Array,
    d: jax.Array,
    step0: jax.Array | float = 1.0,
    delta: float = 0.1,
    sigma: float = 0.9,
    epsilon: float = 1e-6,
    gamma: float = 0.66,
    expand: float = 5.0,
    max_steps: int = 30,
) -> LineSearchResult:
    r"""Hager-Zhang line search: (approximate) Wolfe conditions, secant steps and bisection.

    Accepts :math:`\alpha` satisfying the Wolfe conditions
    :math:`\phi(\alpha) \le \phi(0) + \delta\alpha\phi'(0)`,
    :math:`\phi'(\alpha) \ge \sigma\phi'(0)`,
    or the approximate Wolfe conditions :math:`(2\delta-1)\phi'(0) \ge \phi'(\alpha) \ge
    \sigma\phi'(0)` with :math:`\phi(\alpha) \le \phi(0) + \epsilon|\phi(0)|`, which stay
    testable when :math:`f` is flat to rounding error. The search expands the step by
    ``expand`` until the slope turns non-negative (or the value exceeds
    :math:`\phi(0)+\epsilon|\phi(0)|`), then shrinks the bracket with secant steps; when two
    secant steps do not shrink it by ``gamma``, or the high end still has a negative
    slope (update rule U3), it bisects. One evaluation per iteration.
    """
    dtype = x.dtype
    slope0 = jnp.vdot(g0, d)
    zero = jnp.zeros((), dtype)
    f_cap = f0 + epsilon * jnp.abs(f0)

    def cond(s: _HZState):
        return (s.stage != 2) & (s.i < max_steps) & (slope0 < 0)

    def body(s: _HZState) -> _HZState:
        c = s.trial
        f, g, slope, ok = _eval(vg, x, d, c)
        wolfe = (f <= f0 + delta * c * slope0) & (slope >= sigma * slope0)
        approx = ((2 * delta - 1) * slope0 >= slope) & (slope >= sigma * slope0) & (f <= f_cap)
        done = ok & (wolfe | approx)
        is_hi = (~ok) | (slope >= 0) | (f > f_cap)
        # Bracketing: grow until a high end appears.
        grow = (s.stage == 0) & ~is_hi
        a = jnp.where(is_hi, s.a, c)
        fa, da = jnp.where(is_hi, s.fa, f), jnp.where(is_hi, s.da, slope)
        ga = jnp.where(is_hi, s.ga, g)
        b = jnp.where(is_hi, c, s.b)
        fb, db = jnp.where(is_hi, f, s.fb), jnp.where(is_hi, slope, s.db)
        width = b - a
        secants = jnp.where(s.stage == 0, 0, s.secants + 1)
        round_over = secants >= 2
        shrunk = width <= gamma * s.width0
        bisect = (~ok) | (db < 0) | (round_over & ~shrunk)

        def secant(u, du, v, dv):
            den = dv - du
            t = (u * dv - v * du) / jnp.where(den != 0, den, 1.0)
            return t, (den != 0) & jnp.isfinite(t) & (t > a) & (t < b)

        sec, sec_ok = secant(a, da, b, db)
        # secant^2: after the first secant of a round, a second one through the end that
        # just moved and its previous position (Hager & Zhang 2005, step S2-S3).
        sec_a, ok_a = secant(s.a, s.da, a, da)
        sec_b, ok_b = secant(s.b, s.db, b, db)
        second = (secants == 1) & (s.stage == 1)
        sec2 = jnp.where(is_hi, sec_b, sec_a)
        ok2 = jnp.where(is_hi, ok_b, ok_a)
        sec = jnp.where(second & ok2, sec2, sec)
        sec_ok = jnp.where(second & ok2, True, sec_ok)
        nxt = jnp.where(bisect | ~sec_ok, 0.5 * (a + b), sec)
        new_round = bisect | round_over | (s.stage == 0)
        collapsed = (s.stage == 1) & (width <= jnp.finfo(dtype).eps * jnp.maximum(b, 1e-30))
        stage = jnp.where(done | collapsed, 2, jnp.where(grow, 0, 1))
        return _HZState(
            i=s.i + 1, stage=stage, trial=jnp.where(grow, expand * c, nxt),
            a=a, fa=fa, da=da, ga=ga, b=b, fb=fb, db=db,
            secants=jnp.where(new_round, 0, secants),
            width0=jnp.where(new_round, width, s.width0),
            out_a=jnp.where(done, c, s.out_a), out_f=jnp.where(done, f, s.out_f),
            out_g=jnp.where(done, g, s.out_g),
        )  # fmt: skip

    init = _HZState(
        i=jnp.asarray(0), stage=jnp.asarray(0), trial=jnp.asarray(step0, dtype),
        a=zero, fa=f0, da=slope0, ga=g0, b=zero, fb=f0, db=slope0,
        secants=jnp.asarray(0), width0=zero, out_a=zero, out_f=f0, out_g=g0,
    )  # fmt: skip
    s = packed_while_loop(cond, body, init)
    success = s.out_a > 0
    fallback = _where(
        (s.a > 0) & (s.fa < f0),
        LineSearchResult(s.a, s.fa, s.ga, s.i, jnp.asarray(False)),
        LineSearchResult(zero, f0, g0, s.i, jnp.asarray(False)),
    )
    return _where(success, LineSearchResult(s.out_a, s.out_f, s.out_g, s.i, success), fallback)


def _dcstep(stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt, stpmin, stpmax):
    """Moré-Thuente safeguarded step: new trial and updated interval (four cases of the paper)."""
    sgnd = dp * jnp.sign(dx)

    def cubic_terms():
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = jnp.maximum(jnp.maximum(jnp.abs(theta), jnp.abs(dx)), jnp.abs(dp))
        s = jnp.where(s > 0, s, 1.0)
        disc = (theta / s) ** 2 - (dx / s) * (dp / s)
        return theta, s * jnp.sqrt(jnp.maximum(disc, 0.0))

    def case1(_):
        # Higher value -> the minimiser is bracketed; cubic or quadratic, whichever is closer.
        theta, root = cubic_terms()
        gam1 = jnp.where(stp < stx, -root, root)
        r1 = ((gam1 - dx) + theta) / (((gam1 - dx) + gam1) + dp)
        stpc1 = stx + r1 * (stp - stx)
        stpq1 = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2.0) * (stp - stx)
        return jnp.where(
            jnp.abs(stpc1 - stx) < jnp.abs(stpq1 - stx), stpc1, stpc1 + (stpq1 - stpc1) / 2
        )

    def case2(_):
        # Lower value, slopes of opposite sign -> bracketed; cubic or secant, farther one.
        theta, root = cubic_terms()
        gam2 = jnp.where(stp > stx, -root, root)
        r2 = ((gam2 - dp) + theta) / (((gam2 - dp) + gam2) + dx)
        stpc2 = stp + r2 * (stx - stp)
        stpq2 = stp + (dp / (dp - dx)) * (stx - stp)
        return jnp.where(jnp.abs(stpc2 - stp) > jnp.abs(stpq2 - stp), stpc2, stpq2)

    def case3(_):
        # Lower value, same sign, slope magnitude decreases.
        theta, root = cubic_terms()
        gam3 = jnp.where(stp > stx, -root, root)
        r3 = ((gam3 - dp) + theta) / ((gam3 + (dx - dp)) + gam3)
        stpc3 = jnp.where(
            (r3 < 0) & (gam3 != 0), stp + r3 * (stx - stp), jnp.where(stp > stx, stpmax, stpmin)
        )
        stpq3 = stp + (dp / (dp - dx)) * (stx - stp)
        near = jnp.where(jnp.abs(stpc3 - stp) < jnp.abs(stpq3 - stp), stpc3, stpq3)
        far = jnp.where(jnp.abs(stpc3 - stp) > jnp.abs(stpq3 - stp), stpc3, stpq3)
        capped = jnp.where(
            stp > stx,
            jnp.minimum(stp + 0.66 * (sty - stp), near),
            jnp.maximum(stp + 0.66 * (sty - stp), near),
        )
        return jnp.where(brackt, capped, jnp.clip(far, stpmin, stpmax))

    def case4(_):
        # Lower value, same sign, slope magnitude does not decrease.
        theta4 = 3.0 * (fp - fy) / (sty - stp) + dy + dp
        s4 = jnp.maximum(jnp.maximum(jnp.abs(theta4), jnp.abs(dy)), jnp.abs(dp))
        s4 = jnp.where(s4 > 0, s4, 1.0)
        g4 = s4 * jnp.sqrt(jnp.maximum((theta4 / s4) ** 2 - (dy / s4) * (dp / s4), 0.0))
        g4 = jnp.where(stp > sty, -g4, g4)
        r4 = ((g4 - dp) + theta4) / (((g4 - dp) + g4) + dy)
        return jnp.where(brackt, stp + r4 * (sty - stp), jnp.where(stp > stx, stpmax, stpmin))

    # One case runs (lax.switch), not all four selected by where: on XLA CPU that halves the
    # search's cost per trial and removes a fixed cost per solve (measured in mgh_cpu_timing).
    case1_ = fp > fx
    case2_ = (~case1_) & (sgnd < 0)
    case3_ = (~case1_) & (~case2_) & (jnp.abs(dp) < jnp.abs(dx))
    case = jnp.where(case1_, 0, jnp.where(case2_, 1, jnp.where(case3_, 2, 3)))
    stpf = jax.lax.switch(case, (case1, case2, case3, case4), None)
    brackt = brackt | case1_ | case2_
    # Interval update.
    new_y = case1_ | (sgnd < 0)
    sty_, fy_, dy_ = (
        jnp.where(case1_, stp, jnp.where(new_y, stx, sty)),
        jnp.where(case1_, fp, jnp.where(new_y, fx, fy)),
        jnp.where(case1_, dp, jnp.where(new_y, dx, dy)),
    )
    stx_, fx_, dx_ = (
        jnp.where(case1_, stx, stp),
        jnp.where(case1_, fx, fp),
        jnp.where(case1_, dx, dp),
    )
    return stx_, fx_, dx_, sty_, fy_, dy_, stpf, brackt


class _MTState(NamedTuple):
    i: jax.Array  # evaluations so far
    done: jax.Array  # a safeguard stopped the search (without convergence)
    stp: jax.Array  # the last trial, already evaluated: step, value, gradient, slope
    f: jax.Array
    g: jax.Array
    dp: jax.Array
    ok: jax.Array
    conv: jax.Array  # the last trial meets the strong Wolfe conditions
    stx: jax.Array  # the interval of uncertainty and its bookkeeping
    fx: jax.Array
    dx: jax.Array
    gx: jax.Array
    sty: jax.Array
    fy: jax.Array
    dy: jax.Array
    brackt: jax.Array
    stage2: jax.Array
    stmin: jax.Array
    stmax: jax.Array
    width: jax.Array
    width1: jax.Array


@functools.partial(jax.jit, static_argnames=("xtol", "min_step", "max_step"))
def _mt_take(
    s: _MTState,
    f0: jax.Array,
    g_init: jax.Array,
    gtest: jax.Array,
    *,
    xtol: float,
    min_step: float,
    max_step: float,
) -> tuple[_MTState, jax.Array]:
    """Takes the last (evaluated) trial of :func:`more_thuente` into the interval and returns
    the new state with the next step; a safeguard stop (``done``) keeps the interval as it
    was. Its own ``jit``: the trace, the same for every objective, is made once per dtype,
    shape and tolerances, not once per compiled solver."""
    big = jnp.asarray(jnp.finfo(s.f.dtype).max / 4, s.f.dtype)
    # A non-finite trial behaves as a very high value with a rising slope.
    f_use = jnp.where(s.ok, s.f, big)
    dp_use = jnp.where(s.ok, s.dp, -g_init)
    stp = s.stp
    ftest = f0 + stp * gtest
    stage2 = s.stage2 | ((f_use <= ftest) & (dp_use >= 0))
    warn = s.brackt & ((stp <= s.stmin) | (stp >= s.stmax) | (s.stmax - s.stmin <= xtol * s.stmax))
    warn = warn | ((stp == max_step) & (f_use <= ftest) & (dp_use <= gtest))
    warn = warn | ((stp == min_step) & ((f_use > ftest) | (dp_use >= gtest)))
    # Modified function in stage 1 when the value went down but not enough.
    modify = (~stage2) & (f_use <= s.fx) & (f_use > ftest)
    shift = jnp.where(modify, gtest, 0.0)
    stx, fx, dx, sty, fy, dy, stpf, brackt = _dcstep(
        s.stx, s.fx - s.stx * shift, s.dx - shift,
        s.sty, s.fy - s.sty * shift, s.dy - shift,
        stp, f_use - stp * shift, dp_use - shift,
        s.brackt, s.stmin, s.stmax,
    )  # fmt: skip
    fx, dx = fx + stx * shift, dx + shift
    fy, dy = fy + sty * shift, dy + shift
    # The new low end is the trial point exactly when stx moved to stp.
    gx = jnp.where(stx == stp, s.g, s.gx)
    width, width1 = s.width, s.width1
    bisect = brackt & (jnp.abs(sty - stx) >= 0.66 * width1)
    stpf = jnp.where(bisect, stx + 0.5 * (sty - stx), stpf)
    width1 = jnp.where(brackt, width, width1)
    width = jnp.where(brackt, jnp.abs(sty - stx), width)
    stmin = jnp.where(brackt, jnp.minimum(stx, sty), stpf + 1.1 * (stpf - stx))
    stmax = jnp.where(brackt, jnp.maximum(stx, sty), stpf + 4.0 * (stpf - stx))
    # A non-finite trial: shrink towards the best point instead of interpolating
    # through a huge stand-in value (which can land exactly on it and stall).
    stpf = jnp.where(s.ok, stpf, stx + 0.25 * (stp - stx))
    stmin = jnp.where(s.ok, stmin, jnp.minimum(stx, stp))
    stmax = jnp.where(s.ok, stmax, jnp.maximum(stx, stp))
    stpf = jnp.clip(stpf, min_step, max_step)
    stuck = brackt & ((stpf <= stmin) | (stpf >= stmax) | (stmax - stmin <= xtol * stmax))
    stpf = jnp.where(stuck, stx, stpf)
    # A safeguard stop ends the search, after which only the best point (stx, fx, gx)
    # is read, so only it keeps its old value; the rest of the interval is left as
    # computed (one select each would repeat the whole stop test in each fused output).
    keep = lambda new, old: jnp.where(warn, old, new)
    new = s._replace(
        done=warn, stage2=stage2,
        stx=keep(stx, s.stx), fx=keep(fx, s.fx), dx=dx, gx=keep(gx, s.gx),
        sty=sty, fy=fy, dy=dy, brackt=brackt, stmin=stmin, stmax=stmax, width=width,
        width1=width1,
    )  # fmt: skip
    return new, stpf


def more_thuente(
    vg: ValueAndGrad,
    x: jax.Array,
    f0: jax.Array,
    g0: jax.Array,
    d: jax.Array,
    step0: jax.Array | float = 1.0,
    c1: float = 1e-4,
    c2: float = 0.9,
    xtol: float = 1e-14,
    max_steps: int = 30,
    min_step: float = 0.0,
    max_step: float = 1e10,
    start: jax.Array | bool = False,
) -> LineSearchResult:
    r"""Moré-Thuente line search for the strong Wolfe conditions.

    Keeps an interval of uncertainty :math:`[\alpha_x, \alpha_y]` and picks each trial by
    the safeguarded cubic / quadratic / secant steps of Moré and Thuente (1994), working on
    the auxiliary function :math:`\psi(\alpha) = \phi(\alpha) - \phi(0) - c_1\alpha\phi'(0)`
    until a point with :math:`\psi \le 0` and :math:`\phi' \ge 0` is seen. The extrapolation
    range is :math:`[1.1, 4]` times the last step. This is the algorithm behind scipy's
    ``line_search_wolfe1`` and L-BFGS-B (MINPACK-2 ``dcsrch``).

    Where ``start`` holds, the search only evaluates its first trial and returns it with a
    step of 0 and ``success=False``: a solver whose first iteration passes ``start`` with
    ``d = 0`` gets ``f`` and its gradient at ``x`` from the search's own evaluation, so its
    program holds one evaluation fewer (``f0`` and ``g0`` are then not read).
    """
    dtype = x.dtype
    g_init = jnp.vdot(g0, d)
    gtest = c1 * g_init
    zero = jnp.zeros((), dtype)
    stp0 = jnp.clip(jnp.asarray(step0, dtype), min_step, max_step)
    width0 = jnp.asarray(max_step - min_step, dtype)

    def trial(stp):
        f, g, dp, ok = _eval(vg, x, d, stp)
        conv = ok & (f <= f0 + stp * gtest) & (jnp.abs(dp) <= -c2 * g_init)
        return f, g, dp, ok, conv

    def take(s: _MTState) -> tuple[_MTState, jax.Array]:
        return _mt_take(s, f0, g_init, gtest, xtol=xtol, min_step=min_step, max_step=max_step)

    def update(s: _MTState) -> _MTState:
        """One loop step: take the last trial, then evaluate the next (one call of ``vg``).
        After a safeguard stop, or when the trial just taken was the last one allowed, the
        next trial is still evaluated but not counted and its values are dropped: a cond
        here would cost every search more, and taking the last trial in the loop keeps
        ``take`` once in the program."""
        s, stpf = take(s)
        stop = s.done | (s.i >= max_steps)
        f, g, dp, ok, conv = trial(stpf)
        return s._replace(
            done=stop, i=s.i + (~stop).astype(s.i.dtype), stp=stpf, f=f, g=g, dp=dp, ok=ok,
            conv=conv & ~stop,
        )  # fmt: skip

    descent = g_init < 0
    # The first trial is evaluated before the loop, so a search whose first step is
    # accepted (most of them) never runs the interval bookkeeping.
    f1, g1, dp1, ok1, conv1 = trial(stp0)
    init = _MTState(
        i=descent.astype(jnp.int32), done=jnp.asarray(False), stp=stp0, f=f1, g=g1, dp=dp1,
        ok=ok1, conv=conv1 & descent,
        stx=zero, fx=f0, dx=g_init, gx=g0, sty=zero, fy=f0, dy=g_init,
        brackt=jnp.asarray(False), stage2=jnp.asarray(False),
        stmin=zero, stmax=stp0 + 4.0 * stp0, width=width0, width1=2.0 * width0,
    )  # fmt: skip

    def search(init: _MTState) -> LineSearchResult:
        # Out of evaluations, the last trial still goes into the interval (update takes it
        # before it stops), so the fallback is the best point seen.
        s = packed_while_loop(lambda s: ~s.done & ~s.conv, update, init)
        fallback = _where(
            (s.stx > 0) & (s.fx < f0),
            LineSearchResult(s.stx, s.fx, s.gx, s.i, jnp.asarray(False)),
            LineSearchResult(zero, f0, g0, s.i, jnp.asarray(False)),
        )
        return _where(s.conv, LineSearchResult(s.stp, s.f, s.g, s.i, s.conv), fallback)

    # A first trial that is accepted (most searches) skips the loop and its bookkeeping.
    accepted = LineSearchResult(stp0, f1, g1, init.i, jnp.asarray(True))
    not_descent = LineSearchResult(zero, f0, g0, init.i, jnp.asarray(False))
    branch = jnp.where(init.conv, 0, jnp.where(descent, 1, 2))
    if start is not False:
        start = jnp.asarray(start)
        not_descent = _where(
            start, LineSearchResult(zero, f1, g1, jnp.ones_like(init.i), jnp.asarray(False)),
            not_descent,
        )  # fmt: skip
        branch = jnp.where(start, 2, branch)
    return jax.lax.switch(branch, (lambda s: accepted, search, lambda s: not_descent), init)


LINE_SEARCHES: dict[str, Callable[..., LineSearchResult]] = {
    "armijo": backtracking_armijo,
    "wolfe": strong_wolfe,
    "more-thuente": more_thuente,
    "hager-zhang": hager_zhang,
}


def get_line_search(name: str) -> Callable[..., LineSearchResult]:
    """The line search called ``name``: a key of ``LINE_SEARCHES``."""
    try:
        return LINE_SEARCHES[name]
    except KeyError:
        raise ValueError(
            f"unknown line search {name!r}; choose from {sorted(LINE_SEARCHES)}"
        ) from None
