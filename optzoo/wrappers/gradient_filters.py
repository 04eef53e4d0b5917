"""Gradient filters around an optimizer: skip non-finite steps, centralisation, OrthoGrad."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import check_betas, check_nonnegative
from optzoo.optimizers.adam import adamw
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.scaling import scale_by_learning_rate

__all__ = [
    "skip_nonfinite",
    "centralize_gradients",
    "orthogonalize_gradients",
    "adamw_gc",
    "orthograd_adamw",
]

YONG_2020 = Reference(
    "Hongwei Yong, Jianqiang Huang, Xiansheng Hua, Lei Zhang",
    "Gradient Centralization: A New Optimization Technique for Deep Neural Networks",
    2020,
    "https://arxiv.org/abs/2004.01461",
)
PRIETO_2025 = Reference(
    "Lucas Prieto, Melih Barsbey, Pedro A. M. Mediano, Tolga Birdal",
    "Grokking at the Edge of Numerical Stability",
    2025,
    "https://arxiv.org/abs/2501.04697",
)


def _all_finite(tree: Any) -> jax.Array:
    checks = [
        jnp.all(jnp.isfinite(x))
        for x in jax.tree.leaves(tree)
        if jnp.issubdtype(jnp.asarray(x).dtype, jnp.inexact)
    ]
    return jnp.all(jnp.stack(checks)) if checks else jnp.asarray(True)


def skip_nonfinite(
    inner: optax.GradientTransformation, max_consecutive: int | None = None
) -> optax.GradientTransformationExtraArgs:
    r"""Skips a step, keeping parameters and inner state, when anything in it is not finite.

    Like ``optax.apply_if_finite``, but the test covers what the inner optimizer
    produces as well as its input: the step is taken only when

    .. math:: \mathrm{finite}(g_t) \wedge \mathrm{finite}(u_t) \wedge
       \mathrm{finite}(\texttt{value}),

    where :math:`u_t` is the inner update. A finite gradient can still give a
    non-finite update: a loss that is NaN at SAM's perturbed point, float16 moments
    that overflow, a line search that walks into a NaN region. A skipped step returns
    zero updates and the previous inner state, bit for bit. The state is optax's
    ``ApplyIfFiniteState`` (``notfinite_count`` consecutive skips, ``total_notfinite``,
    ``last_finite``), so code that reads ``apply_if_finite``'s counters reads these.

    Args:
      inner: the optimizer to protect.
      max_consecutive: after this many consecutive skips, apply the step anyway (so a
        run that keeps producing NaN fails visibly, as ``apply_if_finite`` does);
        ``None`` (default) skips forever.

    Returns:
      A ``GradientTransformationExtraArgs`` with state ``optax.ApplyIfFiniteState``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.skip_nonfinite(optzoo.adamw(1e-3))
    """
    if max_consecutive is not None:
        check_nonnegative("max_consecutive", max_consecutive)
    inner = optax.with_extra_args_support(inner)

    def init_fn(params: optax.Params) -> optax.ApplyIfFiniteState:
        return optax.ApplyIfFiniteState(
            notfinite_count=jnp.zeros([], jnp.int32),
            last_finite=jnp.array(True),
            total_notfinite=jnp.zeros([], jnp.int32),
            inner_state=inner.init(params),
        )

    def update_fn(updates, state, params=None, **extra):
        new_updates, new_inner = inner.update(updates, state.inner_state, params, **extra)
        finite = _all_finite(updates) & _all_finite(new_updates)
        if extra.get("value") is not None:
            finite = finite & _all_finite(extra["value"])
        count = jnp.where(finite, 0, optax.safe_increment(state.notfinite_count))
        take = finite if max_consecutive is None else finite | (count > max_consecutive)
        out = jax.tree.map(lambda u: jnp.where(take, u, jnp.zeros_like(u)), new_updates)
        inner_state = jax.tree.map(
            lambda new, old: jnp.where(take, new, old), new_inner, state.inner_state
        )
        total = jnp.where(
            finite, state.total_notfinite, optax.safe_increment(state.total_notfinite)
        )
        return out, optax.ApplyIfFiniteState(count, finite, total, inner_state)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def centralize_gradients(
    min_rank: int = 2, matrix_layout: str = "in_out"
) -> optax.GradientTransformation:
    r"""Gradient centralisation: removes the mean over the fan-in axes of each weight.

    For a leaf of rank :math:`\ge` ``min_rank`` laid out JAX-style
    ``(..., fan_in, fan_out)`` (dense ``(in, out)``, conv ``(H, W, in, out)``):

    .. math:: g \leftarrow g - \operatorname{mean}_{\text{all axes but the last}}(g),

    i.e. each output unit's weight gradient has zero mean (Yong et al. take the
    mean over every axis but PyTorch's leading output axis). Lower-rank leaves
    (biases, scales) pass unchanged.

    With ``matrix_layout="out_in"`` (PyTorch weights ``(out, in, ...)``, the authors' code)
    the mean is over every axis but the first.

    Args:
      min_rank: leaves of smaller rank are left alone (2: dense and conv weights; the
        authors' ``gc_conv_only`` is 4).
      matrix_layout: ``"in_out"`` (JAX kernels, output axis last) or ``"out_in"``
        (PyTorch weights, output axis first).

    Returns:
      A stateless ``GradientTransformation``.

    Example:
      >>> import optax, optzoo
      >>> tx = optax.chain(optzoo.centralize_gradients(), optax.adamw(1e-3))

    References:
      Yong, Huang, Hua, Zhang. Gradient Centralization: A New Optimization Technique for
      Deep Neural Networks. 2020. https://arxiv.org/abs/2004.01461
    """

    if matrix_layout not in ("in_out", "out_in"):
        raise ValueError(f"matrix_layout must be 'in_out' or 'out_in', got {matrix_layout!r}")

    def one(g: jax.Array) -> jax.Array:
        if g.ndim < min_rank:
            return g
        axes = range(1, g.ndim) if matrix_layout == "out_in" else range(g.ndim - 1)
        return g - jnp.mean(g, axis=tuple(axes), keepdims=True)

    def update_fn(updates, state, params=None):
        del params
        return jax.tree.map(one, updates), state

    return optax.GradientTransformation(optax.init_empty_state, update_fn)


def orthogonalize_gradients(eps: float = 1e-30) -> optax.GradientTransformation:
    r"""OrthoGrad: keeps the part of each leaf's gradient orthogonal to its weights.

    Per leaf (flattened), with the gradient norm restored:

    .. math::
       g_\perp = g - \frac{\langle w, g\rangle}{\langle w, w\rangle + \epsilon} w, \qquad
       g \leftarrow g_\perp \frac{\|g\|}{\|g_\perp\| + \epsilon}.

    A gradient (numerically) parallel to the weights, :math:`\|g_\perp\| \le
    4\,\varepsilon_{\text{mach}} \|g\|`, becomes zero. Computed in float32 (or
    float64 for float64 leaves).

    Args:
      eps: :math:`\epsilon` in both denominators.

    Returns:
      A stateless ``GradientTransformation``; ``update`` requires ``params``.

    Example:
      >>> import optax, optzoo
      >>> tx = optax.chain(optzoo.orthogonalize_gradients(), optax.adamw(1e-3))

    References:
      Prieto, Barsbey, Mediano, Birdal. Grokking at the Edge of Numerical Stability. 2025.
      https://arxiv.org/abs/2501.04697
    """
    check_nonnegative("eps", eps)

    def one(g: jax.Array, w: jax.Array) -> jax.Array:
        dt = jnp.promote_types(g.dtype, jnp.float32)
        gf, wf = g.reshape(-1).astype(dt), w.reshape(-1).astype(dt)
        proj = jnp.dot(wf, gf) / (jnp.dot(wf, wf) + eps)
        go = gf - proj * wf
        gn, gon = jnp.linalg.norm(gf), jnp.linalg.norm(go)
        go = jnp.where(gon <= 4.0 * jnp.finfo(dt).eps * gn, 0.0, go)
        return (go * (gn / (gon + eps))).reshape(g.shape).astype(g.dtype)

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("orthogonalize_gradients needs params")
        return jax.tree.map(one, updates, params), state

    return optax.GradientTransformation(optax.init_empty_state, update_fn)


@register(
    "adamw_gc",
    family="wrapper",
    reference=YONG_2020,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
    also_in=(),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={
            "weight_decay": 1e-2,
            "matrix_layout": "out_in",
            "decay_bias_correction": True,
        },
        differences="JAX layout (mean over all axes but the last), weight_decay 1e-4; the "
        "authors' AdamW centres PyTorch weights over all axes but the first, decays by "
        "lr * wd / (1 - b1^t), wd 1e-2",
        no_package="the authors published source files (Yonghongwei/Gradient-Centralization), "
        "no package; the test transcribes their AdamW with use_gc=True",
    ),
)
def adamw_gc(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-4,
    mask: Any | None = None,
    matrix_layout: str = "in_out",
    decay_bias_correction: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""AdamW on centralised gradients: ``chain(centralize_gradients(), adamw(...))``.

    The authors' AdamW centres PyTorch-layout weights and divides the decay by
    :math:`1-\beta_1^t` like the momentum (``optzoo.create("adamw_gc", preset="authors")``).

    Args:
      learning_rate: step size.
      b1: first-moment decay.
      b2: second-moment decay.
      eps: Adam epsilon.
      weight_decay: decoupled weight decay.
      mask: weight-decay mask.
      matrix_layout: ``"in_out"`` (JAX kernels) or ``"out_in"`` (PyTorch weights): see
        :func:`centralize_gradients`.
      decay_bias_correction: decay by :math:`\eta\lambda/(1-\beta_1^t)` (the authors'
        AdamW, whose step ``lr / (1 - b1^t)`` multiplies the decay term too).

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adamw_gc(1e-3)

    References:
      Yong, Huang, Hua, Zhang. Gradient Centralization: A New Optimization Technique for
      Deep Neural Networks. 2020. https://arxiv.org/abs/2004.01461
    """
    # adamw validates the hyperparameters.
    if not decay_bias_correction:
        return optax.chain(
            centralize_gradients(matrix_layout=matrix_layout),
            adamw(learning_rate, b1, b2, eps, weight_decay=weight_decay, mask=mask),
        )
    check_betas(b1, b2)
    return optax.chain(
        centralize_gradients(matrix_layout=matrix_layout),
        optax.scale_by_adam(b1=b1, b2=b2, eps=eps),
        _add_bias_corrected_decay(weight_decay, b1, mask),
        scale_by_learning_rate(learning_rate),
    )


def _add_bias_corrected_decay(
    weight_decay: float, b1: float, mask: Any | None
) -> optax.GradientTransformation:
    # u + wd * x / (1 - b1^t): the GC authors' AdamW, where lr / (1 - b1^t) scales the decay.
    check_nonnegative("weight_decay", weight_decay)

    def init_fn(params):
        del params
        return optax.ScaleByScheduleState(count=jnp.zeros([], jnp.int32))

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("adamw_gc with decay_bias_correction needs params")
        count = optax.safe_increment(state.count)
        c = 1.0 - jnp.asarray(b1, jnp.result_type(float)) ** count
        new = jax.tree.map(lambda u, x: (u + weight_decay * x / c).astype(u.dtype), updates, params)
        return new, optax.ScaleByScheduleState(count=count)

    tx = optax.GradientTransformation(init_fn, update_fn)
    return optax.masked(tx, mask) if mask is not None else tx


@register(
    "orthograd_adamw",
    family="wrapper",
    reference=PRIETO_2025,
    state_per_param=2,
    defaults={"learning_rate": 1e-3},
    also_in=(),
    authors=Authors(
        code="paper, Section 5",
        preset={"weight_decay": 1e-2},
        differences="weight_decay 1e-4; the authors' OrthoGrad wraps torch.optim.AdamW with "
        "its defaults (wd 1e-2); optzoo zeroes a gradient parallel to the weights",
        no_package="the authors published a source file (orthograd.py, a wrapper around a "
        "torch optimizer), no package; the test transcribes it around torch.optim.AdamW",
    ),
)
def orthograd_adamw(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-4,
    mask: Any | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""⊥AdamW: AdamW on OrthoGrad-projected gradients (Prieto et al. 2025).

    ``weight_decay=1e-4`` here; the authors' wrapper runs ``torch.optim.AdamW`` with its
    default 1e-2 (``optzoo.create("orthograd_adamw", preset="authors")``).

    ``chain(orthogonalize_gradients(), adamw(...))``.

    Args:
      learning_rate, b1, b2, eps, weight_decay, mask: as in :func:`adamw_gc`.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.orthograd_adamw(1e-3)

    References:
      Prieto, Barsbey, Mediano, Birdal. Grokking at the Edge of Numerical Stability. 2025.
      https://arxiv.org/abs/2501.04697
    """
    # adamw validates the hyperparameters.
    return optax.chain(
        orthogonalize_gradients(),
        adamw(learning_rate, b1, b2, eps, weight_decay=weight_decay, mask=mask),
    )
