"""Ranger: RAdam with Lookahead and gradient centralisation, built from optzoo's parts."""

from __future__ import annotations

import math
from typing import Any, Literal, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.validation import (
    check_betas,
    check_finite,
    check_nonnegative,
    check_positive_int,
    check_range,
    check_unit_interval,
    concrete_value,
)
from optzoo.optimizers._common import with_decoupled_decay
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.adam import scale_by_radam
from optzoo.transforms.clipping import _unitwise_norm
from optzoo.wrappers.gradient_filters import centralize_gradients
from optzoo.wrappers.lookahead import with_lookahead

__all__ = ["ranger", "ranger21"]

WRIGHT_2019_RANGER = Reference(
    "Less Wright",
    "Ranger: a synergistic optimizer combining RAdam and LookAhead (with Gradient "
    "Centralization, Yong et al. 2020)",
    2019,
    "https://github.com/lessw2020/Ranger-Deep-Learning-Optimizer",
)
WRIGHT_DEMEURE_2021 = Reference(
    "Less Wright, Nestor Demeure",
    "Ranger21: a synergistic deep learning optimizer",
    2021,
    "https://arxiv.org/abs/2106.13731",
)


@register(
    "ranger",
    family="wrapper",
    reference=WRIGHT_2019_RANGER,
    state_per_param=3,
    defaults={"learning_rate": 1e-3},
    also_in=(),
    authors=Authors(
        code="the author's ranger.py (Ranger 20.4.11, with gradient centralisation)",
        preset={"gc_layout": "out_in"},
        differences="the author's PyTorch weights centralise over all axes but the first "
        "(gc_layout='out_in'); optzoo's JAX kernels over all but the last",
        no_package="the author published source files (lessw2020/Ranger-Deep-Learning-"
        "Optimizer), not on the package index",
    ),
)
def ranger(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.95,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-5,
    threshold: jax.typing.ArrayLike = 5.0,
    sync_period: int = 6,
    slow_step_size: float = 0.5,
    weight_decay: optax.ScalarOrSchedule = 0.0,
    mask: optax.Params | None = None,
    *,
    use_gc: bool = True,
    gc_min_rank: int = 2,
    gc_layout: Literal["in_out", "out_in"] = "in_out",
    eps_on_raw_nu: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""Ranger: :func:`with_lookahead` over RAdam, fed centralised gradients.

    Per step, with :math:`\mathrm{GC}` from :func:`optzoo.centralize_gradients` (leaves of rank
    :math:`\ge` ``gc_min_rank``; lower ranks pass unchanged):

    .. math::
       g_t \leftarrow \mathrm{GC}(g_t),\qquad
       \theta_{t+1} = \theta_t - \eta\,(u_t + \lambda \theta_t),

    :math:`u_t` the RAdam direction of :func:`optzoo.scale_by_radam` (bias-corrected momentum
    while :math:`\rho_t < 5`, the rectified adaptive step after), and every ``sync_period``
    steps Lookahead's :math:`\phi \leftarrow \phi + \alpha(\theta - \phi)`,
    :math:`\theta \leftarrow \phi`.

    Defaults are the original Ranger's (lr 1e-3, betas (0.95, 0.999), eps 1e-5, k 6,
    :math:`\alpha` 0.5, SMA threshold 5, centralisation of every leaf of rank :math:`\ge 2`).
    ``gc_layout`` names where the output axis is: ``"in_out"`` (JAX kernels, means over all
    axes but the last) or ``"out_in"`` (PyTorch weights, means over all axes but the first).
    Before :math:`\rho_t \ge 5` the step is SGD with bias-corrected momentum, as in the
    original code; ``pytorch_optimizer.Ranger`` does this only with
    ``degenerated_to_sgd=True`` (its default adds the momentum instead of subtracting it).

    Args:
      learning_rate: :math:`\eta`.
      b1, b2: RAdam's moment decays.
      eps: added to :math:`\sqrt{v}`.
      threshold: SMA length from which the rectified adaptive step is used.
      sync_period: Lookahead's :math:`k`.
      slow_step_size: Lookahead's :math:`\alpha \in [0, 1]`.
      weight_decay: decoupled decay :math:`\lambda` (scaled by :math:`\eta`).
      mask: where the weight decay applies.
      use_gc: centralise the gradients.
      gc_min_rank: smallest leaf rank that is centralised.
      gc_layout: ``"in_out"`` or ``"out_in"``, see above.
      eps_on_raw_nu: add ``eps`` to :math:`\sqrt{v}` before its bias correction, as the
        original Ranger and ``pytorch_optimizer`` do (``False``: optax's RAdam form), see
        :func:`optzoo.scale_by_radam`.

    Returns:
      A ``GradientTransformationExtraArgs``; ``update`` requires ``params``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.ranger(1e-3)

    References:
      Wright. Ranger: a synergistic optimizer (RAdam + LookAhead), 2019.
      https://github.com/lessw2020/Ranger-Deep-Learning-Optimizer; built on Liu et al. 2020
      (https://arxiv.org/abs/1908.03265), Zhang et al. 2019
      (https://arxiv.org/abs/1907.08610) and Yong et al. 2020
      (https://arxiv.org/abs/2004.01461).
    """
    check_betas(b1, b2)
    check_nonnegative("eps", eps)
    check_nonnegative("threshold", threshold)
    check_finite("learning_rate", learning_rate)
    direction = scale_by_radam(
        b1=b1, b2=b2, eps=eps, threshold=threshold, eps_on_raw_nu=eps_on_raw_nu
    )
    inner = with_decoupled_decay(direction, learning_rate, weight_decay, mask)
    if use_gc:
        inner = optax.chain(centralize_gradients(gc_min_rank, gc_layout), inner)
    return with_lookahead(inner, sync_period=sync_period, slow_step_size=slow_step_size)


class ScaleByRanger21State(NamedTuple):
    """State of the fast-weight step inside :func:`ranger21`.

    ``nu`` the second moment, ``nu_max`` its running maximum, ``mu_odd`` / ``mu_even``
    the two positive-negative momentum buffers (updated on odd / even steps).
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as in optax
    nu: optax.Updates
    nu_max: optax.Updates
    mu_odd: optax.Updates
    mu_even: optax.Updates


def _unit_axes(ndim: int, layout: str) -> tuple[int, ...]:
    """Axes of one unit: all for rank <= 1; the fan-in axis for rank 2-3; else all but the
    output axis (the first for ``"out_in"``, the last for ``"in_out"``)."""
    if ndim <= 1:
        return tuple(range(ndim))
    if ndim in (2, 3):
        return (1,) if layout == "out_in" else (0,)
    return tuple(range(1, ndim)) if layout == "out_in" else tuple(range(ndim - 1))


def _gc_axes(ndim: int, layout: str) -> tuple[int, ...]:
    return tuple(range(1, ndim)) if layout == "out_in" else tuple(range(ndim - 1))


def ranger21_schedule(
    learning_rate: optax.ScalarOrSchedule,
    num_iterations: int,
    b2: float = 0.999,
    num_warm_up_iterations: int | None = None,
    num_warm_down_iterations: int | None = None,
    warm_down_min_lr: float = 3e-5,
) -> optax.Schedule:
    r"""Ranger21's step size at step :math:`t = 1, 2, \dots` (called with :math:`t`).

    Linear warm-up over :math:`W` steps (:math:`\eta\,t/W` for :math:`t \le W`; by default
    :math:`W = \lceil 2/(1-\beta_2)\rceil`, or :math:`\lfloor 0.22 T\rfloor` when that is more
    than :math:`0.45 T`), then from :math:`s = T - D` (by default :math:`D = T -
    \lfloor 0.72 T\rfloor`) a linear warm-down
    :math:`\max(\eta - (\eta - \eta_{\min})\min(\max(t + 1 - s, 1)/(D + 1), 1), \eta_{\min})`.
    """
    total = num_iterations
    warm_up: Any
    warm_down: Any
    if num_warm_up_iterations is None:
        b2_value, total_value = concrete_value(b2), concrete_value(total)
        if b2_value is not None and total_value is not None:
            steps = math.ceil(2.0 / (1.0 - b2_value))
            warm_up = int(0.22 * total_value) if steps / total_value > 0.45 else steps
        else:  # traced (inject_hyperparams): the same in jnp
            w = jnp.ceil(2.0 / (1.0 - jnp.asarray(b2)))
            warm_up = jnp.where(w / total > 0.45, jnp.floor(0.22 * jnp.asarray(total)), w)
    else:
        warm_up = num_warm_up_iterations
    if num_warm_down_iterations is None:
        total_value = concrete_value(total)
        if total_value is not None:
            warm_down = total_value - int(0.72 * total_value)
        else:
            warm_down = total - jnp.floor(0.72 * jnp.asarray(total))
    else:
        warm_down = num_warm_down_iterations
    start = total - warm_down

    def schedule(t):
        base = learning_rate(t) if callable(learning_rate) else learning_rate
        t = jnp.asarray(t)
        ramp = base * jnp.minimum(1.0, t / jnp.maximum(warm_up, 1))
        lr = jnp.where(t > warm_up, base, ramp)
        pct = jnp.minimum(jnp.maximum(t + 1 - start, 1) / (warm_down + 1), 1.0)
        down = jnp.maximum(base - (base - warm_down_min_lr) * pct, warm_down_min_lr)
        return jnp.where(t < start, lr, down)

    return schedule


@register(
    "ranger21",
    family="wrapper",
    reference=WRIGHT_DEMEURE_2021,
    state_per_param=5,
    defaults={"learning_rate": 1e-3, "num_iterations": 1000},
    authors=Authors(
        code="pytorch_optimizer.Ranger21 (4.1.0)",
        preset={"layout": "out_in"},
        differences="PyTorch weights are (out, in, ...): the authors' units and centralisation "
        "follow layout='out_in'; optzoo's JAX kernels use 'in_out'",
    ),
)
def ranger21(
    learning_rate: optax.ScalarOrSchedule,
    num_iterations: int,
    b1: float = 0.9,
    b2: float = 0.999,
    b0: float = 0.9,
    eps: float = 1e-8,
    weight_decay: float = 1e-4,
    norm_loss_factor: float = 1e-4,
    agc_clipping_value: float = 1e-2,
    agc_eps: float = 1e-3,
    lookahead_merge_time: int = 5,
    lookahead_blending_alpha: float = 0.5,
    num_warm_up_iterations: int | None = None,
    num_warm_down_iterations: int | None = None,
    warm_down_min_lr: float = 3e-5,
    beta_softplus: float = 50.0,
    *,
    use_lr_schedule: bool = True,
    use_softplus: bool = True,
    centralize: bool = True,
    normalize: bool = True,
    amsgrad: bool = True,
    fixed_decay: bool = False,
    layout: Literal["in_out", "out_in"] = "in_out",
) -> optax.GradientTransformationExtraArgs:
    r"""Ranger21: AdamW with positive-negative momentum, AGC, GC/GN, norm loss, Lookahead.

    At step :math:`t` with scheduled step size :math:`\eta_t` (:func:`ranger21_schedule`:
    linear warm-up, flat, linear warm-down to ``warm_down_min_lr`` over ``num_iterations``),
    for each leaf :math:`\theta` with gradient :math:`g`:

    .. math::
       g &\leftarrow \mathrm{GN}(\mathrm{GC}(\mathrm{AGC}_\lambda(g; \theta))),\qquad
       v \leftarrow \beta_2 v + (1-\beta_2) g^2,\qquad
       \bar v = \sqrt{\bigl(1 + \textstyle\sum_{\text{all leaves}} v/(1-\beta_2^t)\bigr)/N},\\
       \theta &\leftarrow \theta\,(1 - w\,\eta_t/\bar v),\qquad
       \theta \leftarrow \theta\,\bigl(1 - 2\eta_t\,\kappa\,(1 - 1/(\lVert\theta\rVert_u
         + \epsilon))\bigr),\\
       m^{(t)} &\leftarrow \beta_1^2 m^{(t)} + (1-\beta_1^2) g,\qquad
       d = \mathrm{softplus}_{50}\bigl(\sqrt{\hat v_{\max}}/\sqrt{1-\beta_2^t}
         + \epsilon\bigr),\\
       \theta &\leftarrow \theta - \frac{\eta_t}{1-\beta_1^t}\,
         \frac{(1+\beta_0) m^{(t)} - \beta_0 m^{(t-1)}}{\sqrt{(1+\beta_0)^2 + \beta_0^2}\; d},

    where :math:`m^{(t)}` and :math:`m^{(t-1)}` are the two positive-negative momentum
    buffers (alternating on odd/even steps), :math:`\hat v_{\max}` the running maximum of
    :math:`v` (``amsgrad``), :math:`N` the number of parameters, :math:`\lVert\cdot\rVert_u`
    the unit-wise norm, and every ``lookahead_merge_time`` steps Lookahead
    (:func:`optzoo.with_lookahead`) blends the weights with the slow copy.

    Leaves: scalars and vectors are one unit (AGC, norm loss) and are not centralised;
    rank 2-3 leaves have units over their fan-in axis (axis 0 for ``layout="in_out"``, 1
    for ``"out_in"``); rank :math:`\ge 4` over all axes but the output one. GC removes the
    mean over all axes but the output one for rank :math:`\ge 2`; GN divides a leaf of more
    than two entries by its (unbiased) standard deviation plus 1e-8. As in the authors' code
    (and ``pytorch_optimizer``), the momentum sees the gradient centralised and normalised a
    second time (GC is idempotent; the second GN divides by :math:`1 + O(10^{-8}/\sigma)`).

    Defaults are ``pytorch_optimizer.Ranger21``'s except the layout; for theirs use
    ``optzoo.create("ranger21", preset="authors", num_iterations=...)``.

    Args:
      learning_rate: peak :math:`\eta` (a number or a schedule, then the peak at each step).
      num_iterations: :math:`T`, the training length the schedule is built for.
      b1, b2: moment decays (the momentum decays with :math:`\beta_1^2`).
      b0: :math:`\beta_0`, the positive-negative momentum's noise amplitude.
      eps: :math:`\epsilon` in the denominator and the norm loss.
      weight_decay: :math:`w`, decoupled, divided by :math:`\bar v`.
      norm_loss_factor: :math:`\kappa`.
      agc_clipping_value: AGC's :math:`\lambda`, largest unit gradient-to-weight norm ratio.
      agc_eps: AGC's floor on the weight norm.
      lookahead_merge_time: Lookahead's :math:`k`.
      lookahead_blending_alpha: Lookahead's :math:`\alpha \in [0, 1]`.
      num_warm_up_iterations: warm-up length (``None``: see :func:`ranger21_schedule`).
      num_warm_down_iterations: warm-down length (``None``: the last 28%).
      warm_down_min_lr: step size at the end of the warm-down.
      beta_softplus: softplus sharpness.
      use_lr_schedule: ``False`` keeps :math:`\eta` constant.
      use_softplus: smooth the denominator with softplus.
      centralize: gradient centralisation.
      normalize: gradient normalisation.
      amsgrad: use the running maximum of :math:`v` (``pytorch_optimizer``); ``False`` uses
        :math:`v`, as the authors' ``ranger21`` 0.1.0 effectively does.
      fixed_decay: decay by :math:`w/\bar v` without :math:`\eta_t`.
      layout: ``"in_out"`` (JAX kernels) or ``"out_in"`` (PyTorch weights), see above.

    Returns:
      A ``GradientTransformationExtraArgs``; ``update`` requires ``params``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.ranger21(1e-3, num_iterations=10_000)

    References:
      Wright, Demeure. Ranger21: a synergistic deep learning optimizer. 2021.
      https://arxiv.org/abs/2106.13731
    """
    check_positive_int("num_iterations", num_iterations)
    check_betas(b1, b2)
    check_range("b0", b0, 0.0, 1.0)
    check_nonnegative("eps", eps)
    check_nonnegative("weight_decay", weight_decay)
    check_nonnegative("norm_loss_factor", norm_loss_factor)
    check_nonnegative("agc_clipping_value", agc_clipping_value)
    check_nonnegative("agc_eps", agc_eps)
    check_nonnegative("warm_down_min_lr", warm_down_min_lr)
    check_range("beta_softplus", beta_softplus, 0.0, low_open=True)
    check_positive_int("lookahead_merge_time", lookahead_merge_time)
    check_unit_interval("lookahead_blending_alpha", lookahead_blending_alpha)
    for name, n in (
        ("num_warm_up_iterations", num_warm_up_iterations),
        ("num_warm_down_iterations", num_warm_down_iterations),
    ):
        if n is not None:
            check_range(name, n, 0.0, float(num_iterations))
    if layout not in ("in_out", "out_in"):
        raise ValueError(f"layout must be 'in_out' or 'out_in', got {layout!r}")
    check_finite("learning_rate", learning_rate)
    step_size: optax.ScalarOrSchedule = learning_rate
    if use_lr_schedule:
        step_size = ranger21_schedule(
            learning_rate,
            num_iterations,
            b2,
            num_warm_up_iterations,
            num_warm_down_iterations,
            warm_down_min_lr,
        )

    # The fast-weight step is a full update, not a direction scaled afterwards: the decay
    # is divided by a norm of the second moment over *all* leaves and the norm loss acts on
    # the decayed weights, so the step size enters here.
    def init_fn(params):
        z = lambda: jax.tree.map(jnp.zeros_like, params)  # noqa: E731
        return ScaleByRanger21State(jnp.zeros([], jnp.int32), z(), z(), z(), z())

    def prepare(g, p):
        axes = _unit_axes(g.ndim, layout)
        g_norm = jnp.maximum(_unitwise_norm(g, axes), 1e-6)
        limit = jnp.maximum(_unitwise_norm(p, axes), agc_eps) * agc_clipping_value
        return filters(jnp.where(g_norm > limit, g * (limit / g_norm), g))

    def filters(g):
        if centralize and g.ndim > 1:
            g = g - jnp.mean(g, axis=_gc_axes(g.ndim, layout), keepdims=True)
        if normalize and g.size > 2:
            g = g / (jnp.std(g, ddof=1) + 1e-8)
        return g

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("ranger21: update needs params")
        t = state.count + 1
        leaves = jax.tree.leaves(params)
        dt = jnp.promote_types(jnp.result_type(*leaves), jnp.float32) if leaves else jnp.float32
        tf = t.astype(dt)
        lr = step_size(t) if callable(step_size) else step_size
        lr = jnp.asarray(lr, dt)
        bc1 = 1 - jnp.asarray(b1, dt) ** tf
        bc2 = 1 - jnp.asarray(b2, dt) ** tf
        grads = jax.tree.map(prepare, updates, params)
        nu = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, state.nu, grads)
        total = sum((jnp.sum(v.astype(dt)) for v in jax.tree.leaves(nu)), jnp.zeros([], dt))
        size = max(sum(p.size for p in leaves), 1)
        v_norm = jnp.sqrt((1 + total / bc2) / size)
        decay = weight_decay * (1.0 if fixed_decay else lr) / v_norm
        nu_max = jax.tree.map(jnp.maximum, state.nu_max, nu) if amsgrad else nu
        odd = t % 2 == 1
        b1sq = b1 * b1
        noise = jnp.sqrt((1 + b0) ** 2 + b0**2).astype(dt)

        def leaf(g, p, vmax, mo, me):
            p1 = p * (1 - decay).astype(p.dtype)
            unorm = _unitwise_norm(p1, _unit_axes(p.ndim, layout))
            corr = 2 * norm_loss_factor * (1 - 1 / (unorm + eps))
            p2 = p1 * (1 - lr * corr).astype(p.dtype)
            den = jnp.sqrt(vmax) / jnp.sqrt(bc2).astype(p.dtype) + eps
            if use_softplus:
                z = beta_softplus * den
                den = jnp.where(z > 20, den, jnp.logaddexp(0, z) / beta_softplus)
            cur = jnp.where(odd, mo, me)
            other = jnp.where(odd, me, mo)
            cur = b1sq * cur + (1 - b1sq) * filters(g)
            pn = ((1 + b0) * cur - b0 * other) / noise
            p3 = p2 - (lr / bc1).astype(p.dtype) * pn / den
            return (p3 - p).astype(p.dtype), jnp.where(odd, cur, mo), jnp.where(odd, me, cur)

        out = jax.tree.map(leaf, grads, params, nu_max, state.mu_odd, state.mu_even)
        treedef = jax.tree.structure(params)
        u, mo, me = (
            jax.tree.unflatten(treedef, [o[i] for o in treedef.flatten_up_to(out)])
            for i in range(3)
        )
        return u, ScaleByRanger21State(optax.safe_increment(state.count), nu, nu_max, mo, me)

    inner = optax.GradientTransformation(init_fn, update_fn)
    return with_lookahead(
        inner, sync_period=lookahead_merge_time, slow_step_size=lookahead_blending_alpha
    )
