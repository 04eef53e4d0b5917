"""The building blocks (``scale_by_*``) of :mod:`optzoo.optimizers.low_rank`.

See there why ``scale_by_galore_adam`` is not named ``scale_by_galore``.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from optzoo.core.validation import (
    check_betas,
    check_finite,
    check_nonnegative,
    check_positive,
    check_positive_int,
    check_range,
    concrete_value,
)

__all__ = [
    "ScaleByGaloreAdamState",
    "scale_by_galore_adam",
    "ScaleBySpamState",
    "scale_by_spam",
    "ScaleByStableSpamState",
    "scale_by_stablespam",
    "ScaleByApolloState",
    "scale_by_apollo",
    "ScaleByFiraState",
    "scale_by_fira",
    "ScaleByCondaState",
    "scale_by_conda",
    "ScaleByRacsState",
    "scale_by_racs",
    "ScaleByAliceState",
    "scale_by_alice",
    "ScaleByDemoState",
    "scale_by_demo",
]


class ScaleByGaloreAdamState(NamedTuple):
    """State of :func:`scale_by_galore_adam`: step count, projections, moments (projected space)."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    proj: optax.Params
    mu: optax.Params
    nu: optax.Params


def _is_right(shape) -> bool:
    return shape[0] >= shape[1]


def _proj_shape(shape, rank):
    m, n = shape
    r = min(rank, min(m, n))
    return (r, n) if _is_right(shape) else (m, r)


def _low_shape(shape, rank):
    m, n = shape
    r = min(rank, min(m, n))
    return (m, r) if _is_right(shape) else (r, n)


def _basis(g: jax.Array, rank: int) -> jax.Array:
    u, _, vh = jnp.linalg.svd(g, full_matrices=False)
    return vh[:rank, :] if _is_right(g.shape) else u[:, :rank]


@functools.cache
def _refresh_branches(rank: int):
    """The two ``lax.cond`` branches, one pair per rank (stable identities, so eager calls
    reuse one compilation)."""

    def refresh(g, p):
        return _basis(g, rank).astype(p.dtype)

    def keep(g, p):
        del g
        return p

    return refresh, keep


def scale_by_galore_adam(
    rank: int = 128,
    update_proj_gap: int = 200,
    scale: jax.typing.ArrayLike = 0.25,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-6,
    *,
    torch_refresh: bool = False,
) -> optax.GradientTransformation:
    r"""GaLore scaling: Adam in a rank-:math:`r` subspace of each matrix's gradient.

    For a matrix leaf :math:`G_t \in \mathbb{R}^{m\times n}` with :math:`m \ge n`,
    :math:`P` is the top-:math:`r` right singular vectors (:math:`r\times n`) of the gradient
    at the last refresh, :math:`R_t = G_t P^\top`, and the output is
    :math:`\alpha\, \hat u_t P`; for :math:`m < n`, :math:`P` is the top-:math:`r` left
    singular vectors (:math:`m\times r`), :math:`R_t = P^\top G_t` and the output is
    :math:`\alpha P \hat u_t`. Here

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) R_t,\quad
       v_t = \beta_2 v_{t-1} + (1-\beta_2) R_t^2,\quad
       \hat u_t = \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,\frac{m_t}{\sqrt{v_t}+\epsilon}.

    :math:`P` is recomputed (SVD of :math:`G_t`, in float32 or wider) at the 0-based steps
    :math:`t \equiv 0 \pmod T` (the authors' ``galore-torch``); the moments are kept across
    refreshes. The refresh is a ``lax.cond`` on the step count (no recompilation).

    Leaf-rank rule: only rank-2 leaves are projected; scalars, vectors and leaves of rank
    :math:`\ge 3` take plain Adam (the same :math:`\hat u_t` on the full gradient, without
    :math:`\alpha`), as in the authors' code and ``pytorch_optimizer``.

    Args:
      rank: :math:`r` (capped at :math:`\min(m, n)`).
      update_proj_gap: :math:`T`, steps between refreshes of :math:`P`.
      scale: :math:`\alpha`, multiplier of the projected-back update.
      b1: first-moment decay.
      b2: second-moment decay.
      eps: added to :math:`\sqrt{v_t}`.
      torch_refresh: refresh at the 1-based steps 1 and :math:`kT` as ``pytorch_optimizer``
        4.1.0 (instead of :math:`1 + kT`).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByGaloreAdamState`.

    References:
      Zhao et al. GaLore: Memory-Efficient LLM Training by Gradient Low-Rank Projection.
      2024. https://arxiv.org/abs/2403.03507
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)
    if not isinstance(rank, int) or rank < 1:
        raise ValueError(f"rank must be a positive integer, got {rank!r}")
    if not isinstance(update_proj_gap, int) or update_proj_gap < 1:
        raise ValueError(f"update_proj_gap must be a positive integer, got {update_proj_gap!r}")
    check_positive("scale", scale)

    def init_fn(params):
        def proj(p):
            if p.ndim != 2:
                return jnp.zeros((0,), p.dtype)
            return jnp.zeros(_proj_shape(p.shape, rank), jnp.promote_types(p.dtype, jnp.float32))

        def moment(p):
            if p.ndim != 2:
                return jnp.zeros_like(p)
            return jnp.zeros(_low_shape(p.shape, rank), p.dtype)

        return ScaleByGaloreAdamState(
            count=jnp.zeros([], jnp.int32),
            proj=jax.tree.map(proj, params),
            mu=jax.tree.map(moment, params),
            nu=jax.tree.map(moment, params),
        )

    def update_fn(updates, state, params=None):
        del params
        count = state.count
        if torch_refresh:
            refresh = (count == 0) | ((count + 1) % update_proj_gap == 0)
        else:
            refresh = count % update_proj_gap == 0
        t = count + 1

        def step_size(dtype):
            bc1 = 1 - jnp.asarray(b1, dtype) ** t.astype(dtype)
            bc2 = 1 - jnp.asarray(b2, dtype) ** t.astype(dtype)
            return jnp.sqrt(bc2) / bc1

        def leaf(g, p, m, v):
            dtype = g.dtype
            gf = g.astype(jnp.promote_types(dtype, jnp.float32))
            if g.ndim == 2:
                p = jax.lax.cond(refresh, *_refresh_branches(rank), gf, p)
                low = gf @ p.T if _is_right(g.shape) else p.T @ gf
            else:
                low = gf
            m = b1 * m.astype(low.dtype) + (1 - b1) * low
            v = b2 * v.astype(low.dtype) + (1 - b2) * low * low
            u = step_size(low.dtype) * m / (jnp.sqrt(v) + eps)
            if g.ndim == 2:
                u = scale * (u @ p if _is_right(g.shape) else p @ u)
            return u.astype(dtype), p, m.astype(dtype), v.astype(dtype)

        out = jax.tree.map(leaf, updates, state.proj, state.mu, state.nu)
        treedef = jax.tree.structure(updates)
        u, p, m, v = (
            zip(*treedef.flatten_up_to(out), strict=True) if treedef.num_leaves else ((),) * 4
        )
        u, p, m, v = (jax.tree.unflatten(treedef, x) for x in (u, p, m, v))
        return u, ScaleByGaloreAdamState(count=optax.safe_increment(count), proj=p, mu=m, nu=v)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleBySpamState(NamedTuple):
    """State of :func:`scale_by_spam`: step count, moments, update masks (empty unless
    ``density < 1``) and the PRNG key the masks are drawn from."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    mu: optax.Params
    nu: optax.Params
    mask: optax.Params
    key: jax.Array


def _spam_warmup(t: jax.Array, update_proj_gap: int, warmup_steps: int, dtype) -> jax.Array:
    r"""The cosine ramp after a momentum reset: 1 before the first reset, then
    :math:`1 - 0.99\,(1 + \cos(\pi (s + 1) / (W + 1))) / 2` for the :math:`s`-th step
    (0-based) after it while :math:`s < W`, 1 afterwards."""
    s = (t % update_proj_gap).astype(dtype)
    ramp = 1 - 0.99 * (1 + jnp.cos(jnp.pi * (s + 1) / (warmup_steps + 1))) / 2
    on = (t >= update_proj_gap) & (s < warmup_steps)
    return jnp.where(on, ramp, jnp.ones([], dtype))


def scale_by_spam(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-6,
    threshold: jax.typing.ArrayLike = 5000.0,
    grad_accu_steps: int = 20,
    update_proj_gap: int = 500,
    warmup_steps: int = 50,
    density: float = 1.0,
    key: jax.Array | int = 0,
) -> optax.GradientTransformation:
    r"""SPAM scaling: Adam with spike clipping, periodic momentum resets and a cosine
    warm-up of the step after each reset.

    With :math:`t` the 1-based step and :math:`T` = ``update_proj_gap``: at steps
    :math:`t \equiv 0 \pmod T` both moments are reset to zero. From step
    ``grad_accu_steps`` :math:`= N` on, and while :math:`t \bmod T \ge N`, a gradient entry
    whose square exceeds :math:`\theta v_{t-1}` is clipped to
    :math:`\operatorname{sign}(g)\sqrt{\theta v_{t-1}}` (no clipping for :math:`\theta = 0`).
    Then

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
       v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad
       u_t = w_t \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,\frac{m_t}{\sqrt{v_t}+\epsilon},

    the bias corrections counting from step 1 (not from the last reset) and :math:`w_t` the
    cosine ramp ``1 - 0.99 (1 + cos(pi (s + 1) / (W + 1))) / 2`` over the first :math:`W`
    (``warmup_steps``) steps :math:`s = 0, 1, \dots` after each reset (1 before the first
    reset).

    With ``density < 1`` each matrix (rank-2 leaf) updates only a random subset of its
    entries (the mask): ``int(density * size)`` entries at step 1, then a fresh Bernoulli
    (``density``) mask at each reset, drawn from the PRNG key kept in the state
    (reproducible and jit-safe); the other entries get a zero update. Scalars, vectors and
    leaves of rank :math:`\ge 3` are never masked.

    Args:
      b1: first-moment decay.
      b2: second-moment decay.
      eps: added to :math:`\sqrt{v_t}`.
      threshold: spike threshold :math:`\theta` (0: no clipping).
      grad_accu_steps: :math:`N`, steps after a reset before clipping starts.
      update_proj_gap: :math:`T`, steps between momentum resets (and mask refreshes).
      warmup_steps: :math:`W`, length of the cosine ramp after each reset.
      density: fraction of each matrix's entries updated (1: all, no mask is stored).
      key: PRNG key (or an integer seed) for the masks; an integer becomes a raw
        ``jax.random.PRNGKey`` (two uint32 words).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleBySpamState`.

    References:
      Huang, Zhu, Jin, Liu, Wang, Liu. SPAM: Spike-Aware Adam with Momentum Reset for Stable
      LLM Training. 2025. https://arxiv.org/abs/2501.06842
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)
    check_nonnegative("threshold", threshold)
    check_positive_int("update_proj_gap", update_proj_gap)
    if isinstance(grad_accu_steps, bool) or not isinstance(grad_accu_steps, int):
        raise ValueError(f"grad_accu_steps must be a non-negative integer, got {grad_accu_steps!r}")
    check_nonnegative("grad_accu_steps", grad_accu_steps)
    if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int):
        raise ValueError(f"warmup_steps must be a non-negative integer, got {warmup_steps!r}")
    check_nonnegative("warmup_steps", warmup_steps)
    check_range("density", density, 0.0, 1.0)
    masked = concrete_value(density) != 1.0
    clip = concrete_value(threshold) != 0.0

    def _key():
        return jax.random.PRNGKey(key) if isinstance(key, int) else key

    def init_fn(params):
        k = _key()
        leaves, treedef = jax.tree.flatten(params)

        def first_mask(i, p):
            if not masked or p.ndim != 2:
                return jnp.zeros((0,), bool)
            n = int(density * p.size)
            order = jax.random.permutation(jax.random.fold_in(k, i), p.size)
            return jnp.zeros((p.size,), bool).at[order[:n]].set(True).reshape(p.shape)

        masks = jax.tree.unflatten(treedef, [first_mask(i, p) for i, p in enumerate(leaves)])
        return ScaleBySpamState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params),
            nu=optax.tree.zeros_like(params),
            mask=masks,
            key=k,
        )

    def update_fn(updates, state, params=None):
        del params
        t = state.count + 1
        reset = t % update_proj_gap == 0
        clip_now = (t >= grad_accu_steps) & (t % update_proj_gap >= grad_accu_steps)
        leaves, treedef = jax.tree.flatten(updates)
        mus, nus, masks = (treedef.flatten_up_to(x) for x in (state.mu, state.nu, state.mask))
        step_key = jax.random.fold_in(state.key, t)
        out_u, out_m, out_v, out_k = [], [], [], []
        for i, (g, m, v, mk) in enumerate(zip(leaves, mus, nus, masks, strict=True)):
            dtype = g.dtype
            m = jnp.where(reset, jnp.zeros_like(m), m)
            v = jnp.where(reset, jnp.zeros_like(v), v)
            if clip:
                limit = threshold * v
                g = jnp.where(clip_now & (g * g > limit), jnp.sign(g) * jnp.sqrt(limit), g)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            bc1 = 1 - jnp.asarray(b1, dtype) ** t.astype(dtype)
            bc2 = 1 - jnp.asarray(b2, dtype) ** t.astype(dtype)
            w = _spam_warmup(t, update_proj_gap, warmup_steps, dtype)
            u = w * jnp.sqrt(bc2) / bc1 * m / (jnp.sqrt(v) + eps)
            if mk.ndim == 2:
                fresh = jax.random.uniform(jax.random.fold_in(step_key, i), g.shape) < density
                mk = jnp.where(reset, fresh, mk)
                u = jnp.where(mk, u, 0)
            out_u.append(u.astype(dtype))
            out_m.append(m.astype(dtype))
            out_v.append(v.astype(dtype))
            out_k.append(mk)
        u, m, v, mk = (jax.tree.unflatten(treedef, x) for x in (out_u, out_m, out_v, out_k))
        return u, ScaleBySpamState(optax.safe_increment(state.count), m, v, mk, state.key)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByStableSpamState(NamedTuple):
    """State of :func:`scale_by_stablespam`: step count, moments, and per leaf the EMAs of
    the largest gradient entry and of the gradient norm and its square."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    mu: optax.Params
    nu: optax.Params
    max_ema: optax.Params
    norm_ema: optax.Params
    norm_sq_ema: optax.Params


def _stablespam_beta_scale(t: jax.Array, t_max: int | None, eta_min: float, dtype) -> jax.Array:
    r"""Multiplier of :math:`\beta_1` and :math:`\gamma_1` at the 1-based step :math:`t`:
    ``eta_min + (1 - eta_min) (1 + cos(pi (t + 1) / (t_max + 1))) / (1 + cos(pi / (t_max + 1)))``
    for :math:`t <` ``t_max``, ``eta_min`` afterwards (``pytorch_optimizer``'s cosine)."""
    if t_max is None:
        return jnp.ones([], dtype)
    tf = t.astype(dtype)
    c = (1 + jnp.cos(jnp.pi * (tf + 1) / (t_max + 1))) / (1 + jnp.cos(jnp.pi / (t_max + 1)))
    return jnp.where(t < t_max, eta_min + (1 - eta_min) * c, jnp.asarray(eta_min, dtype))


def scale_by_stablespam(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    gamma1: float = 0.7,
    gamma2: float = 0.9,
    theta: float = 0.999,
    t_max: int | None = None,
    eta_min: float = 0.5,
    update_proj_gap: int = 1000,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""Stable-SPAM scaling: adaptive spike clipping and gradient-norm normalisation before
    Adam, with periodic momentum resets.

    Per leaf, with :math:`t` the 1-based step: the largest entry
    :math:`M_t = \theta M_{t-1} + (1-\theta)\max|g_t|` (debiased by :math:`1-\theta^t`)
    bounds the entries, :math:`g \leftarrow g\,\hat M_t / \max|g_t|` where
    :math:`|g| > \hat M_t`; then with :math:`n = \|g\|_2`,
    :math:`a_t = \gamma_1 a_{t-1} + (1-\gamma_1) n` and
    :math:`b_t = \gamma_2 b_{t-1} + (1-\gamma_2) n^2` (debiased by :math:`1-\gamma_1^t`,
    :math:`1-\gamma_2^t`), the gradient is rescaled to
    :math:`\tilde g = (g / n)\,\hat a_t / (\sqrt{\hat b_t} + \epsilon)`, and

    .. math::
       m_k = \beta_1 m_{k-1} + (1-\beta_1)\tilde g,\quad
       v_k = \beta_2 v_{k-1} + (1-\beta_2)\tilde g^2,\quad
       u = \frac{m_k / (1-\beta_1^k)}{\sqrt{v_k / (1-\beta_2^k)} + \epsilon},

    where the moments are zeroed and :math:`k` restarts at 1 at each step
    :math:`t \equiv 0 \pmod T` (``update_proj_gap``). With ``t_max``, :math:`\beta_1` and
    :math:`\gamma_1` are multiplied by a cosine from 1 down to ``eta_min`` over ``t_max``
    steps. A leaf whose clipped gradient is zero keeps its moments and gets a zero update.
    Every leaf (scalar, vector, rank :math:`\ge 3`) is treated as one tensor (its max and
    its Frobenius norm).

    Args:
      b1: first-moment decay :math:`\beta_1`.
      b2: second-moment decay :math:`\beta_2`.
      gamma1: decay of the gradient-norm EMA (``-1``: ``b1``).
      gamma2: decay of the squared-norm EMA.
      theta: decay of the max-entry EMA.
      t_max: steps of the cosine decay of :math:`\beta_1`, :math:`\gamma_1` (None: none).
      eta_min: final multiplier of that cosine.
      update_proj_gap: :math:`T`, steps between momentum resets.
      eps: added to the square roots.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByStableSpamState`.

    References:
      Huang et al. Stable-SPAM: How to Train in 4-Bit More Stably than
      16-Bit Adam. 2025. https://arxiv.org/abs/2502.17055
    """
    check_betas(b1, b2)
    if concrete_value(gamma1) != -1:
        check_range("gamma1", gamma1, 0.0, 1.0, high_open=True)
    check_range("gamma2", gamma2, 0.0, 1.0, high_open=True)
    check_range("theta", theta, 0.0, 1.0, high_open=True)
    if t_max is not None:
        check_positive_int("t_max", t_max)
    check_range("eta_min", eta_min, 0.0, 1.0)
    check_positive_int("update_proj_gap", update_proj_gap)
    check_nonnegative("eps", eps)
    g1: jax.typing.ArrayLike
    if concrete_value(gamma1) is None:  # traced (inject_hyperparams)
        g1 = jnp.where(jnp.asarray(gamma1) == -1, b1, gamma1)
    else:
        g1 = b1 if concrete_value(gamma1) == -1 else gamma1

    def init_fn(params):
        scalar = lambda p: jnp.zeros([], p.dtype)  # noqa: E731
        return ScaleByStableSpamState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params),
            nu=optax.tree.zeros_like(params),
            max_ema=jax.tree.map(scalar, params),
            norm_ema=jax.tree.map(scalar, params),
            norm_sq_ema=jax.tree.map(scalar, params),
        )

    def update_fn(updates, state, params=None):
        del params
        t = state.count + 1
        reset = t % update_proj_gap == 0
        k = jnp.where(t >= update_proj_gap, t % update_proj_gap + 1, t)

        def leaf(g, m, v, mx, a, b):
            dtype = g.dtype
            tf, kf = t.astype(dtype), k.astype(dtype)
            s = _stablespam_beta_scale(t, t_max, eta_min, dtype)
            beta1, gam1 = b1 * s, g1 * s
            m = jnp.where(reset, jnp.zeros_like(m), m)
            v = jnp.where(reset, jnp.zeros_like(v), v)
            gmax = jnp.max(jnp.abs(g)) if g.size else jnp.zeros((), g.dtype)
            mx = theta * mx + (1 - theta) * gmax
            mx_hat = mx / (1 - theta**tf)
            g = jnp.where(jnp.abs(g) > mx_hat, g / gmax * mx_hat, g)
            n = jnp.linalg.norm(g.ravel())
            active = n > 0
            a_new = gam1 * a + (1 - gam1) * n
            b_new = gamma2 * b + (1 - gamma2) * n * n
            c = (a_new / (1 - gam1**tf)) / (jnp.sqrt(b_new / (1 - gamma2**tf)) + eps)
            g = g / jnp.where(active, n, 1) * c
            m_new = beta1 * m + (1 - beta1) * g
            v_new = b2 * v + (1 - b2) * g * g
            bc1 = 1 - beta1**kf
            bc2 = 1 - jnp.asarray(b2, dtype) ** kf
            u = m_new / bc1 / (jnp.sqrt(v_new) / jnp.sqrt(bc2) + eps)
            keep = lambda new, old: jnp.where(active, new, old).astype(dtype)  # noqa: E731
            return (
                jnp.where(active, u, 0).astype(dtype),
                keep(m_new, m),
                keep(v_new, v),
                mx.astype(dtype),
                keep(a_new, a),
                keep(b_new, b),
            )

        out = jax.tree.map(
            leaf,
            updates,
            state.mu,
            state.nu,
            state.max_ema,
            state.norm_ema,
            state.norm_sq_ema,
        )
        treedef = jax.tree.structure(updates)
        parts = zip(*treedef.flatten_up_to(out), strict=True) if treedef.num_leaves else ((),) * 6
        u, m, v, mx, a, b = (jax.tree.unflatten(treedef, x) for x in parts)
        return u, ScaleByStableSpamState(optax.safe_increment(state.count), m, v, mx, a, b)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByApolloState(NamedTuple):
    """State of :func:`scale_by_apollo`: step count, PRNG key, random projections, moments
    (projected space for matrices), and each matrix's last update norm (the limiter's)."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    key: jax.Array
    proj: optax.Params
    mu: optax.Params
    nu: optax.Params
    last_norm: optax.Params


def apollo_projection(key: jax.Array, step: jax.Array, index: int, shape, rank: int, dtype):
    r"""The Gaussian projection of :func:`scale_by_apollo` for the matrix leaf number
    ``index`` (flattening order) refreshed at the 1-based ``step``: entries
    :math:`\mathcal N(0, 1/r)` drawn from ``fold_in(fold_in(key, step), index)``, shape
    :math:`(r, n)` for :math:`m \ge n` (acting on the right) and :math:`(m, r)` otherwise."""
    m, n = shape
    pshape = (rank, n) if _is_right(shape) else (m, rank)
    k = jax.random.fold_in(jax.random.fold_in(key, step), index)
    return jax.random.normal(k, pshape, dtype) / jnp.sqrt(jnp.asarray(rank, dtype))


def scale_by_apollo(
    rank: int = 256,
    update_proj_gap: int = 200,
    scale: jax.typing.ArrayLike = 1.0,
    scale_type: str = "channel",
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-6,
    correct_bias: bool = True,
    key: jax.Array | int = 0,
    *,
    full_rank_update: bool = True,
) -> optax.GradientTransformation:
    r"""APOLLO scaling: the gradient scaled channel-wise (or tensor-wise) by the ratio of
    Adam's update to the gradient, both measured in a random rank-:math:`r` projection.

    For a matrix leaf :math:`G_t \in \mathbb{R}^{m\times n}` with :math:`m \ge n`,
    :math:`R_t = G_t P^\top` with :math:`P \in \mathbb{R}^{r\times n}` Gaussian,
    :math:`\mathcal N(0, 1/r)` (for :math:`m < n`, :math:`R_t = P^\top G_t` with
    :math:`P \in \mathbb{R}^{m\times r}`); Adam's moments run on :math:`R_t`,
    :math:`\tilde R_t = m_t / (\sqrt{v_t} + \epsilon)`, and the scaling is
    :math:`s = \|\tilde R_t\|/(\|R_t\| + 10^{-8})`, per row of :math:`R_t` (the channels
    along the unprojected side, ``scale_type="channel"``) or for the whole matrix
    (``"tensor"``). The output is :math:`\sqrt{\alpha}\, G_t s` (the paper's Algorithm 1;
    ``full_rank_update=False``: :math:`\alpha^{3/2} (R_t s) P` projected back, as
    ``pytorch_optimizer``), divided by the norm-growth limiter
    :math:`\max(\|U_t\|/\|U_{t-1}\|, 1.01)/1.01` from the second step on, and times
    Adam's step factor :math:`\sqrt{1-\beta_2^t}/(1-\beta_1^t)` (``correct_bias``).

    :math:`P` is redrawn at 1-based steps 1 and :math:`kT` from the PRNG key in the state
    (see ``apollo_projection`` in this module: reproducible, jit-safe, no SVD); the moments are kept
    across redraws. Scalars, vectors and leaves of rank :math:`\ge 3` take plain Adam
    (:math:`\hat m_t/(\sqrt{v_t}+\epsilon)`, no :math:`\alpha`).

    Args:
      rank: :math:`r` (a matrix smaller than it still gets an :math:`r`-row projection).
      update_proj_gap: :math:`T`, steps between redraws of :math:`P`.
      scale: :math:`\alpha`.
      scale_type: ``"channel"`` or ``"tensor"``.
      b1: first-moment decay.
      b2: second-moment decay.
      eps: added to :math:`\sqrt{v_t}`.
      correct_bias: Adam's step factor (off: 1).
      key: PRNG key (or integer seed, a raw ``jax.random.PRNGKey``) of the projections.
      full_rank_update: scale the full gradient (paper, authors' code); ``False`` projects
        the scaled low-rank gradient back (``pytorch_optimizer`` 4.1.0).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByApolloState`.

    References:
      Zhu, Zhang, Cong, Liu, Park, Chandra, Long, Pan, Wang, Lee. APOLLO: SGD-like Memory,
      AdamW-level Performance. 2024. https://arxiv.org/abs/2412.05270
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)
    check_positive_int("rank", rank)
    check_positive_int("update_proj_gap", update_proj_gap)
    check_positive("scale", scale)
    if scale_type not in ("channel", "tensor"):
        raise ValueError(f"scale_type must be 'channel' or 'tensor', got {scale_type!r}")

    def _key():
        return jax.random.PRNGKey(key) if isinstance(key, int) else key

    def init_fn(params):
        def proj(p):
            if p.ndim != 2:
                return jnp.zeros((0,), p.dtype)
            m, n = p.shape
            shape = (rank, n) if _is_right(p.shape) else (m, rank)
            return jnp.zeros(shape, jnp.promote_types(p.dtype, jnp.float32))

        def moment(p):
            if p.ndim != 2:
                return jnp.zeros_like(p)
            m, n = p.shape
            return jnp.zeros((m, rank) if _is_right(p.shape) else (rank, n), p.dtype)

        return ScaleByApolloState(
            count=jnp.zeros([], jnp.int32),
            key=_key(),
            proj=jax.tree.map(proj, params),
            mu=jax.tree.map(moment, params),
            nu=jax.tree.map(moment, params),
            last_norm=jax.tree.map(lambda p: jnp.zeros([], p.dtype), params),
        )

    def update_fn(updates, state, params=None):
        del params
        count = state.count
        t = count + 1
        refresh = (count == 0) | (t % update_proj_gap == 0)
        leaves, treedef = jax.tree.flatten(updates)
        rest = [treedef.flatten_up_to(x) for x in (state.proj, state.mu, state.nu, state.last_norm)]
        outs = []
        for i, (g, p, m, v, last) in enumerate(zip(leaves, *rest, strict=True)):
            dtype = g.dtype
            wide = jnp.promote_types(dtype, jnp.float32)
            gf = g.astype(wide)
            if g.ndim == 2:
                shape = g.shape
                p = jnp.where(refresh, apollo_projection(state.key, t, i, shape, rank, wide), p)
                low = gf @ p.T if _is_right(shape) else p.T @ gf
            else:
                low = gf
            m = b1 * m.astype(wide) + (1 - b1) * low
            v = b2 * v.astype(wide) + (1 - b2) * low * low
            u = m / (jnp.sqrt(v) + eps)
            if g.ndim == 2:
                if scale_type == "channel":
                    if full_rank_update:  # one factor per channel of the unprojected side
                        axis = 1 if _is_right(shape) else 0
                    else:  # pytorch_optimizer's rule, on the projected shape
                        axis = 0 if low.shape[0] < low.shape[1] else 1
                    s = jnp.linalg.norm(u, axis=axis, keepdims=True) / (
                        jnp.linalg.norm(low, axis=axis, keepdims=True) + 1e-8
                    )
                else:
                    s = jnp.linalg.norm(u) / (jnp.linalg.norm(low) + 1e-8)
                if full_rank_update:
                    u = gf * s
                else:
                    u = low * s
                norm = jnp.linalg.norm(u)
                limiter = jnp.where(count > 0, jnp.maximum(norm / (last + 1e-8), 1.01) / 1.01, 1)
                u, last = u / limiter, (norm / limiter).astype(last.dtype)
                u = u * jnp.sqrt(jnp.asarray(scale, wide))
                if not full_rank_update:
                    u = scale * (u @ p if _is_right(shape) else p @ u)
            if correct_bias:  # on the step, after the scaling and the limiter
                tf = t.astype(wide)
                bc1 = 1 - jnp.asarray(b1, wide) ** tf
                u = u * jnp.sqrt(1 - jnp.asarray(b2, wide) ** tf) / bc1
            outs.append((u.astype(dtype), p, m.astype(dtype), v.astype(dtype), last))
        u, p, m, v, last = (
            jax.tree.unflatten(treedef, list(x)) if outs else jax.tree.unflatten(treedef, [])
            for x in (zip(*outs, strict=True) if outs else ((),) * 5)
        )
        return u, ScaleByApolloState(optax.safe_increment(count), state.key, p, m, v, last)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByFiraState(NamedTuple):
    """State of :func:`scale_by_fira`: step count, projections, moments (projected space)
    and each matrix's last residual-update norm (the limiter's)."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    proj: optax.Params
    mu: optax.Params
    nu: optax.Params
    last_norm: optax.Params


def scale_by_fira(
    rank: int = 128,
    update_proj_gap: int = 200,
    scale: jax.typing.ArrayLike = 0.25,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-6,
    *,
    torch_refresh: bool = False,
) -> optax.GradientTransformation:
    r"""Fira scaling: GaLore's projected Adam plus the gradient's residual outside the
    subspace, scaled by the projected Adam's per-channel norm ratio.

    For a matrix leaf, with :math:`P` and :math:`R_t` as in :func:`scale_by_galore_adam`
    (an SVD basis, refreshed every :math:`T` steps), :math:`N_t = m_t/(\sqrt{v_t}+\epsilon)`
    Adam's direction on :math:`R_t` and :math:`B(\cdot)` the projection back (times
    :math:`\alpha`): the residual :math:`E_t = G_t - B(R_t)` is scaled per channel (rows of
    :math:`R_t` for :math:`m \ge n`, columns otherwise) by
    :math:`\phi = \|N_t\|/(\|R_t\| + 10^{-8})`, divided by the norm-growth limiter
    :math:`\max(\|\phi E_t\|/\|\phi E_{t-1}\|, 1.01)/1.01` (from the second step on), and

    .. math:: u_t = \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,\bigl(B(N_t) + \phi E_t\bigr).

    Scalars, vectors and leaves of rank :math:`\ge 3` take plain Adam.

    Args:
      rank: :math:`r` (capped at :math:`\min(m, n)`).
      update_proj_gap: :math:`T`, steps between SVD refreshes of :math:`P`.
      scale: :math:`\alpha`, multiplier of the projection back.
      b1: first-moment decay.
      b2: second-moment decay.
      eps: added to :math:`\sqrt{v_t}`.
      torch_refresh: refresh at the 1-based steps 1 and :math:`kT` (``pytorch_optimizer``)
        instead of :math:`1 + kT` (the authors' GaLore projector).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByFiraState`.

    References:
      Chen, Feng, Li, Lai, Yue, Yuan, Wang. Fira: Can We Achieve Full-rank Training of LLMs Under
      Low-rank Constraint? 2024. https://arxiv.org/abs/2410.01623
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)
    check_positive_int("rank", rank)
    check_positive_int("update_proj_gap", update_proj_gap)
    check_positive("scale", scale)
    galore = scale_by_galore_adam(rank, update_proj_gap, scale, b1, b2, eps)

    def init_fn(params):
        st = galore.init(params)
        last = jax.tree.map(lambda p: jnp.zeros([], p.dtype), params)
        return ScaleByFiraState(st.count, st.proj, st.mu, st.nu, last)

    def update_fn(updates, state, params=None):
        del params
        count = state.count
        if torch_refresh:
            refresh = (count == 0) | ((count + 1) % update_proj_gap == 0)
        else:
            refresh = count % update_proj_gap == 0
        tf = count + 1

        def leaf(g, p, m, v, last):
            dtype = g.dtype
            wide = jnp.promote_types(dtype, jnp.float32)
            gf = g.astype(wide)
            right = g.ndim == 2 and _is_right(g.shape)
            if g.ndim == 2:
                p = jax.lax.cond(refresh, *_refresh_branches(rank), gf, p)
                low = gf @ p.T if right else p.T @ gf
            else:
                low = gf
            m = b1 * m.astype(wide) + (1 - b1) * low
            v = b2 * v.astype(wide) + (1 - b2) * low * low
            u = m / (jnp.sqrt(v) + eps)
            if g.ndim == 2:
                back = lambda x: scale * (x @ p if right else p @ x)  # noqa: E731
                axis = 1 if right else 0
                phi = jnp.linalg.norm(u, axis=axis, keepdims=True) / (
                    jnp.linalg.norm(low, axis=axis, keepdims=True) + 1e-8
                )
                resid = (gf - back(low)) * phi
                norm = jnp.linalg.norm(resid)
                limiter = jnp.where(count > 0, jnp.maximum(norm / (last + 1e-8), 1.01) / 1.01, 1)
                resid, last = resid / limiter, (norm / limiter).astype(last.dtype)
                u = back(u) + resid
            t = tf.astype(wide)
            u = u * jnp.sqrt(1 - jnp.asarray(b2, wide) ** t) / (1 - jnp.asarray(b1, wide) ** t)
            return u.astype(dtype), p, m.astype(dtype), v.astype(dtype), last

        out = jax.tree.map(leaf, updates, state.proj, state.mu, state.nu, state.last_norm)
        treedef = jax.tree.structure(updates)
        parts = zip(*treedef.flatten_up_to(out), strict=True) if treedef.num_leaves else ((),) * 5
        u, p, m, v, last = (jax.tree.unflatten(treedef, x) for x in parts)
        return u, ScaleByFiraState(optax.safe_increment(count), p, m, v, last)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByCondaState(NamedTuple):
    """State of :func:`scale_by_conda`: step count, rotations, first moment (full) and
    second moment (rotated)."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    proj: optax.Params
    mu: optax.Params
    nu: optax.Params


def scale_by_conda(
    update_proj_gap: int = 2000,
    scale: jax.typing.ArrayLike = 1.0,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""Conda scaling: Adam whose second moment lives in the singular basis of the first
    moment (column-normalised Adam).

    For a matrix leaf :math:`G_t \in \mathbb{R}^{m\times n}`: :math:`m_t = \beta_1 m_{t-1}
    + (1-\beta_1) G_t` (full size); at 1-based steps 1 and :math:`kT` the basis is refreshed
    from the SVD of :math:`m_t`, :math:`P = V^\top` (:math:`n \times n`) for :math:`m \ge n`
    or :math:`P = U` (:math:`m \times m`) otherwise. With :math:`\Pi(X) = X P^\top`
    (resp. :math:`P^\top X`) and :math:`\Pi^{-1}(Y) = Y P` (resp. :math:`P Y`),

    .. math::
       v_t = \beta_2 v_{t-1} + (1-\beta_2)\,\Pi(G_t)^2,\quad
       u_t = \alpha\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,
             \Pi^{-1}\!\Bigl(\frac{\Pi(m_t)}{\sqrt{v_t}+\epsilon}\Bigr).

    :math:`v` is kept across refreshes. The rotation is a ``lax.cond`` on the step count.
    Scalars, vectors and leaves of rank :math:`\ge 3` take plain Adam (no :math:`\alpha`).
    The update is unchanged by the sign of each singular vector.

    Args:
      update_proj_gap: :math:`T`, steps between SVD refreshes.
      scale: :math:`\alpha`.
      b1: first-moment decay.
      b2: second-moment decay.
      eps: added to :math:`\sqrt{v_t}`.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByCondaState`.

    References:
      Wang et al. Conda: Column-Normalized Adam for Training Large Language Models Faster.
      2025. https://arxiv.org/abs/2509.24218
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)
    check_positive_int("update_proj_gap", update_proj_gap)
    check_positive("scale", scale)

    def init_fn(params):
        def proj(p):
            if p.ndim != 2:
                return jnp.zeros((0,), p.dtype)
            k = min(p.shape)
            shape = (k, p.shape[1]) if _is_right(p.shape) else (p.shape[0], k)
            return jnp.zeros(shape, jnp.promote_types(p.dtype, jnp.float32))

        return ScaleByCondaState(
            count=jnp.zeros([], jnp.int32),
            proj=jax.tree.map(proj, params),
            mu=optax.tree.zeros_like(params),
            nu=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        count = state.count
        refresh = (count == 0) | ((count + 1) % update_proj_gap == 0)
        t = count + 1

        def leaf(g, p, m, v):
            dtype = g.dtype
            wide = jnp.promote_types(dtype, jnp.float32)
            gf = g.astype(wide)
            m = b1 * m.astype(wide) + (1 - b1) * gf
            if g.ndim == 2:
                right = _is_right(g.shape)
                p = jax.lax.cond(refresh, *_refresh_branches(min(g.shape)), m, p)
                rot = lambda x: x @ p.T if right else p.T @ x  # noqa: E731
                low, m_low = rot(gf), rot(m)
            else:
                low, m_low = gf, m
            v = b2 * v.astype(wide) + (1 - b2) * low * low
            u = m_low / (jnp.sqrt(v) + eps)
            if g.ndim == 2:
                u = scale * (u @ p if right else p @ u)
            tf = t.astype(wide)
            u = u * jnp.sqrt(1 - jnp.asarray(b2, wide) ** tf) / (1 - jnp.asarray(b1, wide) ** tf)
            return u.astype(dtype), p, m.astype(dtype), v.astype(dtype)

        out = jax.tree.map(leaf, updates, state.proj, state.mu, state.nu)
        treedef = jax.tree.structure(updates)
        parts = zip(*treedef.flatten_up_to(out), strict=True) if treedef.num_leaves else ((),) * 4
        u, p, m, v = (jax.tree.unflatten(treedef, x) for x in parts)
        return u, ScaleByCondaState(optax.safe_increment(count), p, m, v)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByRacsState(NamedTuple):
    """State of :func:`scale_by_racs`: step count, and per leaf the row and column EMAs of
    the squared gradient and the last update norm (the limiter's)."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    row: optax.Params
    col: optax.Params
    last_norm: optax.Params


def _as_matrix(x: jax.Array) -> jax.Array:
    """RACS's view of a leaf: vectors and scalars as one column, rank >= 3 as
    (first axis, rest)."""
    if x.ndim < 2:
        return x.reshape(x.size, 1)
    return x.reshape(x.shape[0], -1)


def scale_by_racs(
    beta: jax.typing.ArrayLike = 0.9,
    alpha: jax.typing.ArrayLike = 0.05,
    gamma: jax.typing.ArrayLike = 1.01,
    eps: jax.typing.ArrayLike = 1e-8,
) -> optax.GradientTransformation:
    r"""RACS scaling: the gradient divided by row and column scales (a structured,
    Kronecker-diagonal Fisher approximation), with a norm-growth limiter.

    Each leaf is viewed as a matrix :math:`G_t` (vectors and scalars as one column,
    rank :math:`\ge 3` as first axis :math:`\times` the rest). With
    :math:`s_t = \beta s_{t-1} + (1-\beta)\operatorname{mean}_j G_{ij}^2` (rows, from 0)
    and :math:`q_t = \beta q_{t-1} + (1-\beta)\operatorname{mean}_i G_{ij}^2` (columns,
    from 1),

    .. math::
       \hat G_t = \frac{G_t}{\sqrt{s_t + \epsilon}\,\sqrt{q_t + \epsilon}^\top},\quad
       \rho_t = \frac{\gamma}{\max(\|\hat G_t\| / (\phi_{t-1} + \epsilon), \gamma)},\quad
       u_t = \alpha \rho_t \hat G_t,

    with :math:`\phi_t = \rho_t \|\hat G_t\|` and :math:`\rho_1 = 1`.

    Args:
      beta: decay of the row and column statistics.
      alpha: update scale :math:`\alpha`.
      gamma: the limiter's largest growth of the update norm per step.
      eps: added inside the square roots (and to :math:`\phi`).

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByRacsState`.

    References:
      Gong et al. Towards Efficient Optimizer Design for LLM via Structured Fisher
      Approximation with a Low-Rank Extension. 2025. https://arxiv.org/abs/2502.07752
    """
    check_range("beta", beta, 0.0, 1.0)
    check_range("alpha", alpha, 0.0, 1.0)
    check_positive("gamma", gamma)
    check_nonnegative("eps", eps)

    def init_fn(params):
        def row(p):
            return jnp.zeros(_as_matrix(p).shape[:1], p.dtype)

        def col(p):
            return jnp.ones(_as_matrix(p).shape[1:], p.dtype)

        return ScaleByRacsState(
            count=jnp.zeros([], jnp.int32),
            row=jax.tree.map(row, params),
            col=jax.tree.map(col, params),
            last_norm=jax.tree.map(lambda p: jnp.zeros([], p.dtype), params),
        )

    def update_fn(updates, state, params=None):
        del params
        first = state.count == 0

        def leaf(g, s, q, phi):
            dtype = g.dtype
            gm = _as_matrix(g)
            sq = gm * gm
            s = beta * s + (1 - beta) * jnp.mean(sq, axis=1)
            q = beta * q + (1 - beta) * jnp.mean(sq, axis=0)
            ghat = gm / (jnp.sqrt(s + eps)[:, None] * jnp.sqrt(q + eps)[None, :])
            norm = jnp.linalg.norm(ghat)
            rho = jnp.where(first, 1, gamma / jnp.maximum(norm / (phi + eps), gamma))
            u = (alpha * rho * ghat).reshape(g.shape)
            return u.astype(dtype), s.astype(dtype), q.astype(dtype), (norm * rho).astype(dtype)

        out = jax.tree.map(leaf, updates, state.row, state.col, state.last_norm)
        treedef = jax.tree.structure(updates)
        parts = zip(*treedef.flatten_up_to(out), strict=True) if treedef.num_leaves else ((),) * 4
        u, s, q, phi = (jax.tree.unflatten(treedef, x) for x in parts)
        return u, ScaleByRacsState(optax.safe_increment(state.count), s, q, phi)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByAliceState(NamedTuple):
    """State of :func:`scale_by_alice`: step count, PRNG key, and per leaf the subspace
    :math:`U`, its statistics :math:`Q`, the projected moments, the residual's column
    statistics and the last compensation norm."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    key: jax.Array
    basis: optax.Params
    stats: optax.Params
    mu: optax.Params
    nu: optax.Params
    resid: optax.Params
    last_norm: optax.Params


def _alice_switch(q, u_prev, rank, leading_basis, key):
    """One subspace iteration of ``q`` from ``u_prev``; the ``leading_basis`` leading
    eigenvectors, completed to ``rank`` by random columns of the orthogonal complement."""
    u, _ = jnp.linalg.qr(q @ u_prev)
    vals, vecs = jnp.linalg.eigh(u.T @ q @ u)
    vecs = u @ vecs
    order = jnp.argsort(-vals)
    lead = vecs[:, order[:leading_basis]]
    if rank == leading_basis:
        return lead
    comp = jnp.linalg.qr(vecs, mode="complete")[0][:, rank:]
    if comp.shape[1] < rank - leading_basis:
        comp = jnp.concatenate([comp, vecs[:, order[leading_basis:]]], axis=1)
    pick = jax.random.permutation(key, comp.shape[1])[: rank - leading_basis]
    return jnp.concatenate([lead, comp[:, pick]], axis=1)


@functools.cache
def _alice_branches(rank: int, leading_basis: int):
    """The two ``lax.cond`` branches of a basis switch, one pair per (rank, leading_basis)."""

    def switch(q, u, key):
        wide = jnp.promote_types(u.dtype, jnp.float32)  # QR and eigh: float32 or wider
        return _alice_switch(q.astype(wide), u.astype(wide), rank, leading_basis, key).astype(
            u.dtype
        )

    def keep(q, u, key):
        del q, key
        return u

    return switch, keep


def scale_by_alice(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.9,
    b3: jax.typing.ArrayLike = 0.999,
    alpha: jax.typing.ArrayLike = 0.3,
    alpha_c: jax.typing.ArrayLike = 0.4,
    update_interval: int = 200,
    rank: int = 256,
    gamma: jax.typing.ArrayLike = 1.01,
    leading_basis: int = 40,
    eps: jax.typing.ArrayLike = 1e-8,
    key: jax.Array | int = 0,
) -> optax.GradientTransformation:
    r"""Alice scaling: Adam in a tracked low-rank eigenbasis of :math:`GG^\top`, plus a
    scaled compensation of the residual outside it.

    Each leaf is viewed as a matrix :math:`G_t` (:math:`m \times n`; vectors as one
    column, rank :math:`\ge 3` as first axis :math:`\times` the rest); :math:`r =
    \min(\text{rank}, m)`. At step 1 and every ``update_interval`` steps the basis
    :math:`U` (:math:`m \times r`) is switched: with
    :math:`\tilde Q = \beta_3 U Q U^\top + (1-\beta_3) G_t G_t^\top`, one subspace
    iteration from the old :math:`U` (QR of :math:`\tilde Q U`, then the eigenvectors of
    the projected :math:`\tilde Q`) gives the ``leading_basis`` leading eigenvectors, and
    random columns of their orthogonal complement (drawn from the PRNG key in the state)
    fill the remaining :math:`r -` ``leading_basis``. Then, with
    :math:`\Sigma = U^\top G_t`,

    .. math::
       Q \leftarrow \beta_3 Q + (1-\beta_3)\Sigma\Sigma^\top,\
       m \leftarrow \beta_1 m + (1-\beta_1)\Sigma,\
       v \leftarrow \beta_2 v + (1-\beta_2)\Sigma^2,\
       p \leftarrow \max(\beta_1 p + (1-\beta_1)(\mathbf 1^\top G^2 - \mathbf 1^\top\Sigma^2),
       10^{-8}),

    :math:`C = \sqrt{m - r}\,(G - U\Sigma)/\sqrt{p}` (per column) scaled by the limiter
    :math:`\gamma/\max(\|C\|/\phi, \gamma)` (from the second step on) with :math:`\phi` the
    last :math:`\|C\|`, and :math:`u_t = \alpha\,(U\, m/(\sqrt v + \epsilon) + \alpha_c C)`.
    No bias correction. The switch (QR, eigh) runs in float32 or wider.

    Args:
      b1: decay of the projected momentum (and of :math:`p`).
      b2: decay of the projected second moment.
      b3: decay of the subspace statistics :math:`Q` (0: Alice-0).
      alpha: update scale.
      alpha_c: scale of the compensation.
      update_interval: steps between basis switches.
      rank: subspace rank.
      gamma: the limiter's largest growth of :math:`\|C\|` per step.
      leading_basis: leading eigenvectors kept at a switch (at most ``rank``).
      eps: added to :math:`\sqrt v`.
      key: PRNG key (or integer seed) of the random complement.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByAliceState`.

    References:
      Gong et al. Towards Efficient Optimizer Design for LLM via Structured Fisher
      Approximation with a Low-Rank Extension. 2025. https://arxiv.org/abs/2502.07752
    """
    check_range("b1", b1, 0.0, 1.0, high_open=True)
    check_range("b2", b2, 0.0, 1.0, high_open=True)
    check_range("b3", b3, 0.0, 1.0, high_open=True)
    check_range("alpha", alpha, 0.0, 1.0)
    check_range("alpha_c", alpha_c, 0.0, 1.0)
    check_positive_int("update_interval", update_interval)
    check_positive_int("rank", rank)
    check_positive("gamma", gamma)
    check_positive_int("leading_basis", leading_basis)
    if leading_basis > rank:
        raise ValueError(f"leading_basis ({leading_basis}) must be at most rank ({rank})")
    check_nonnegative("eps", eps)

    def _key():
        return jax.random.PRNGKey(key) if isinstance(key, int) else key

    def init_fn(params):
        def zeros(shape_fn):
            def one(p):
                m, n = _as_matrix(p).shape
                return jnp.zeros(shape_fn(m, n, min(rank, m)), p.dtype)

            return jax.tree.map(one, params)

        return ScaleByAliceState(
            count=jnp.zeros([], jnp.int32),
            key=_key(),
            basis=zeros(lambda m, n, r: (m, r)),
            stats=zeros(lambda m, n, r: (r, r)),
            mu=zeros(lambda m, n, r: (r, n)),
            nu=zeros(lambda m, n, r: (r, n)),
            resid=zeros(lambda m, n, r: (n,)),
            last_norm=jax.tree.map(lambda p: jnp.zeros([], p.dtype), params),
        )

    def update_fn(updates, state, params=None):
        del params
        count = state.count
        switch = (count == 0) | ((count + 1) % update_interval == 0)
        leaves, treedef = jax.tree.flatten(updates)
        rest = [
            treedef.flatten_up_to(x)
            for x in (state.basis, state.stats, state.mu, state.nu, state.resid, state.last_norm)
        ]
        step_key = jax.random.fold_in(state.key, count + 1)
        outs = []
        for i, (g, u, q, m, v, p, phi) in enumerate(zip(leaves, *rest, strict=True)):
            dtype = g.dtype
            gm = _as_matrix(g)
            rows, r = gm.shape[0], u.shape[1]
            lb = min(leading_basis, r)
            k = jax.random.fold_in(step_key, i)
            q_new = b3 * (u @ q @ u.T) + (1 - b3) * (gm @ gm.T)
            u = jax.lax.cond(switch, *_alice_branches(r, lb), q_new, u, k)
            sigma = u.T @ gm
            q = b3 * q + (1 - b3) * sigma @ sigma.T
            m = b1 * m + (1 - b1) * sigma
            v = b2 * v + (1 - b2) * sigma * sigma
            p = jnp.maximum(
                b1 * p + (1 - b1) * (jnp.sum(gm * gm, axis=0) - jnp.sum(sigma * sigma, axis=0)),
                1e-8,
            )
            c = jnp.sqrt(jnp.asarray(rows - r, dtype)) * (gm - u @ sigma) / jnp.sqrt(p)
            norm = jnp.linalg.norm(c)
            lim = jnp.where(
                phi > 0, gamma / jnp.maximum(norm / jnp.where(phi > 0, phi, 1), gamma), 1
            )
            c = c * lim
            upd = alpha * (u @ (m / (jnp.sqrt(v) + eps)) + alpha_c * c)
            outs.append(
                (
                    upd.reshape(g.shape).astype(dtype),
                    u,
                    q,
                    m,
                    v,
                    p,
                    jnp.linalg.norm(c).astype(dtype),
                )
            )
        parts = zip(*outs, strict=True) if outs else ((),) * 7
        upd, u, q, m, v, p, phi = (jax.tree.unflatten(treedef, list(x)) for x in parts)
        return upd, ScaleByAliceState(optax.safe_increment(count), state.key, u, q, m, v, p, phi)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByDemoState(NamedTuple):
    """State of :func:`scale_by_demo`: step count (for a scheduled ``momentum_scale``) and
    per leaf the residual momentum (what was not yet extracted)."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    delta: optax.Updates


def _demo_chunk(n: int, target: int) -> int:
    """The largest divisor of ``n`` not above ``target`` (the authors' chunk size; 1 for a
    prime ``n > target``)."""
    return max(d for d in range(1, min(n, target) + 1) if n % d == 0)


def _dct_matrix(n: int) -> np.ndarray:
    r"""Orthonormal DCT-II matrix :math:`C` (float64): :math:`c = C x`, :math:`x = C^\top c`
    (``scipy.fft.dct(x, norm="ortho")``)."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    c = np.sqrt(2.0 / n) * np.cos(np.pi * (2 * i + 1) * k / (2 * n))
    c[0] /= np.sqrt(2.0)
    # Exact zeros where the cosine vanishes ((2i + 1) k an odd multiple of n), not the
    # ~1e-17 of np.cos: a q made of such basis vectors is then exactly 0 there, and its
    # sign 0, rather than a sign of round-off.
    c[(2 * i + 1) * k % (2 * n) == n] = 0.0
    return c


def _demo_view(shape) -> tuple[int, ...]:
    """DeMo's view of a leaf: scalars as a 1-vector, rank >= 3 as (first axis, rest)."""
    if len(shape) == 0:
        return (1,)
    if len(shape) <= 2:
        return tuple(shape)
    return (shape[0], int(np.prod(shape[1:])))


def scale_by_demo(
    compression_decay: jax.typing.ArrayLike = 0.999,
    compression_top_k: int = 32,
    compression_chunk: int = 64,
    momentum_scale: optax.ScalarOrSchedule = 1.0,
    *,
    sign: bool = True,
    axis_name: str | None = None,
) -> optax.GradientTransformation:
    r"""DeMo scaling: momentum whose fast components (the largest chunked-DCT coefficients)
    are extracted, removed from it and applied, as signs.

    Each leaf is viewed as a vector or a matrix (scalars as a 1-vector, rank :math:`\ge 3` as
    first axis :math:`\times` the rest) and cut into chunks of :math:`s` (vector) or
    :math:`s_1 \times s_2` (matrix) entries, :math:`s_i` the largest divisor of the axis
    length not above ``compression_chunk``. With :math:`\eta_t` = ``momentum_scale`` (the
    learning rate in the authors' code, 1 in the paper's Algorithm 1),

    .. math::
       m \leftarrow \beta m + \eta_t g_t,\quad
       q = \mathrm{IDCT}(\mathrm{TopK}_k(\mathrm{DCT}(m))),\quad
       m \leftarrow m - q,\quad
       u_t = \mathrm{sign}(Q),\ Q = \mathrm{Synchronize}(q),

    the orthonormal DCT-II per chunk (along each axis of a matrix chunk), TopK keeping the
    :math:`k` = ``compression_top_k`` (at most the chunk size) coefficients of largest
    magnitude of each chunk (ties: ``lax.top_k``'s lower index). The sign of an entry of
    :math:`Q` that vanishes exactly (basis vectors that are zero there, e.g. odd
    frequencies at the centre of an odd-length chunk) is 0: the basis holds exact zeros
    there. With ``sign=False``, :math:`u_t = Q` (Algorithm 1 as written).

    Synchronize: on one process it is the identity (:math:`Q = q`). With ``axis_name`` (under
    ``pmap``, ``shard_map`` or a named ``vmap``) each coefficient of :math:`Q` is the mean of
    the values the replicas that selected it sent (zero if none did), the authors'
    all-gather followed by a scatter-mean, computed as two dense ``psum`` over the named
    axis: the same numbers, though not the sparse communication the method is designed for.
    The residual :math:`m` stays local.

    Args:
      compression_decay: :math:`\beta`, decay of the residual momentum.
      compression_top_k: coefficients kept per chunk.
      compression_chunk: largest chunk length per axis.
      momentum_scale: :math:`\eta_t` multiplying the gradient into the momentum (scalar or
        schedule of the step count).
      sign: output the sign of :math:`Q` (the authors' code and ``pytorch_optimizer``).
      axis_name: named mapped axis to synchronise over; ``None``: one process.

    Returns:
      A ``GradientTransformation`` with state :class:`ScaleByDemoState`.

    References:
      Peng, Quesnelle, Kingma. DeMo: Decoupled Momentum Optimization. 2024.
      https://arxiv.org/abs/2411.19870
    """
    check_range("compression_decay", compression_decay, 0.0, 1.0, high_open=True)
    check_positive_int("compression_top_k", compression_top_k)
    check_positive_int("compression_chunk", compression_chunk)
    if not callable(momentum_scale):
        check_finite("momentum_scale", momentum_scale)

    def init_fn(params):
        return ScaleByDemoState(
            count=jnp.zeros([], jnp.int32),
            delta=jax.tree.map(jnp.zeros_like, params),
        )

    def _leaf(g, m, eta):
        if g.size == 0:
            return g, m
        dtype = m.dtype
        view = _demo_view(g.shape)
        chunks = [_demo_chunk(n, compression_chunk) for n in view]
        mats = [jnp.asarray(_dct_matrix(c), dtype) for c in chunks]
        m = (compression_decay * m + eta * g.astype(dtype)).astype(dtype)
        x = m.reshape(view)
        if len(view) == 1:
            (s,) = chunks
            (c1,) = mats
            coef = x.reshape(-1, s) @ c1.T  # (blocks, s)
            flat = coef
        else:
            (h, w), (c1, c2) = chunks, mats
            blocks = x.reshape(view[0] // h, h, view[1] // w, w)
            coef = jnp.einsum("yhxw,bh,dw->yxbd", blocks, c1, c2)
            flat = coef.reshape(-1, h * w)
        k = min(compression_top_k, flat.shape[-1])
        _, idx = jax.lax.top_k(jnp.abs(flat), k)
        rows = jnp.arange(flat.shape[0])[:, None]
        keep = jnp.zeros(flat.shape, bool).at[rows, idx].set(True).reshape(coef.shape)
        sel = jnp.where(keep, coef, 0)

        def decode(c):
            if len(view) == 1:
                return (c @ mats[0]).reshape(g.shape)
            out = jnp.einsum("yxbd,bh,dw->yhxw", c, mats[0], mats[1])
            return out.reshape(g.shape)

        q = decode(sel)
        m = m - q
        if axis_name is not None:
            total = jax.lax.psum(sel, axis_name)
            count = jax.lax.psum(keep.astype(dtype), axis_name)
            q = decode(total / jnp.maximum(count, 1))
        u = jnp.sign(q) if sign else q
        return u.astype(g.dtype), m

    def update_fn(updates, state, params=None):
        del params
        eta = momentum_scale(state.count) if callable(momentum_scale) else momentum_scale
        leaves, treedef = jax.tree.flatten(updates)
        ms = treedef.flatten_up_to(state.delta)
        outs = [_leaf(g, m, eta) for g, m in zip(leaves, ms, strict=True)]
        u = jax.tree.unflatten(treedef, [o[0] for o in outs])
        delta = jax.tree.unflatten(treedef, [o[1] for o in outs])
        return u, ScaleByDemoState(optax.safe_increment(state.count), delta)

    return optax.GradientTransformation(init_fn, update_fn)
