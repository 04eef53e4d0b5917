"""Schedule-free optimizers: the wrapper, SGD, AdamW and RAdam, and the evaluation parameters.

``schedule_free``, ``schedule_free_sgd``, ``schedule_free_adamw`` and
``schedule_free_eval_params`` give ``optax.contrib``'s numbers and use its
``ScheduleFreeState``; ``schedule_free_radam`` follows the authors' RAdam variant.

Schedule-free methods keep two sequences, :math:`z` (the SGD/Adam iterate) and :math:`x`
(its weighted average), and evaluate gradients at :math:`y = \beta_1 x + (1-\beta_1) z`;
``params`` hold :math:`y` during training. Evaluate or checkpoint
``schedule_free_eval_params(state, params)`` (:math:`x`).
"""

from __future__ import annotations

import functools
from typing import Any, Literal

import jax
import jax.numpy as jnp
import optax
from optax.contrib import ScheduleFreeState

from optzoo.core.dtypes import tree_dtype
from optzoo.core.validation import check_betas, check_decay, check_finite, check_nonnegative
from optzoo.optimizers._common import with_decoupled_decay
from optzoo.optimizers.gradient_descent import sgd
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.adagrad_rmsprop import scale_by_rms
from optzoo.transforms.weight_decay import add_decayed_weights

__all__ = [
    "schedule_free",
    "schedule_free_sgd",
    "schedule_free_adamw",
    "schedule_free_radam",
    "schedule_free_eval_params",
    "find_schedule_free_state",
]


DEFAZIO_2024_SCHEDULE_FREE = Reference(
    "Aaron Defazio, Xingyu Alice Yang, Harsh Mehta, Konstantin Mishchenko, Ahmed Khaled, "
    "Ashok Cutkosky",
    "The Road Less Scheduled",
    2024,
    "https://arxiv.org/abs/2405.15682",
)


def _init_state(params, b1, base_state, z):
    """A fresh ``ScheduleFreeState``: no weight yet, the first step, :math:`z_0` = ``z``."""
    dtype = tree_dtype(params, "lowest")
    return ScheduleFreeState(
        b1=jnp.asarray(b1, dtype=dtype),
        weight_sum=jnp.zeros([], dtype=dtype),
        step_count=jnp.ones([], dtype=jnp.int32),
        max_lr=jnp.zeros([], dtype=dtype),
        base_optimizer_state=base_state,
        z=z,
    )


def _step(y, params, state, total, max_lr, base_state, z):
    """The update to the new :math:`y` and the state after it."""
    updates = jax.tree.map(lambda a, b: a - b, y, params)
    return updates, ScheduleFreeState(
        b1=state.b1,
        weight_sum=total,
        step_count=optax.safe_increment(state.step_count),
        max_lr=max_lr,
        base_optimizer_state=base_state,
        z=z,
    )


def schedule_free(
    base_optimizer: optax.GradientTransformation,
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    weight_lr_power: jax.typing.ArrayLike = 2.0,
    state_dtype: jax.typing.DTypeLike | None = None,
    r: jax.typing.ArrayLike = 0.0,
) -> optax.GradientTransformationExtraArgs:
    r"""Turns ``base_optimizer`` into its schedule-free version.

    With :math:`u_t` the base update at :math:`y_t` (it includes :math:`-\eta_t`),
    :math:`w_t = t^r \eta_{\max}^p` and :math:`c_{t+1} = w_t / \sum_{i\le t} w_i`:

    .. math::
       z_{t+1} = z_t + u_t,\quad x_{t+1} = (1-c_{t+1}) x_t + c_{t+1} z_{t+1},\quad
       y_{t+1} = \beta_1 x_{t+1} + (1-\beta_1) z_{t+1}.

    Args:
      base_optimizer: the optimizer producing :math:`u_t` (without momentum).
      learning_rate: the base optimizer's learning rate (scalar or schedule), for the weights.
      b1: interpolation :math:`\beta_1` between :math:`x` and :math:`z`.
      weight_lr_power: :math:`p`.
      state_dtype: dtype of :math:`z`.
      r: polynomial power of the step count in the averaging weights (the authors' ``r``;
        0, the default, is ``optax.contrib``'s weighting).

    Returns:
      A ``GradientTransformationExtraArgs`` with ``optax.contrib.ScheduleFreeState``, equal to
      ``optax.contrib.schedule_free`` (with ``r=0``).

    Example:
      >>> import optzoo
      >>> tx = optzoo.schedule_free(optzoo.sgd(1.0), learning_rate=1.0)

    References:
      Defazio et al. The Road Less Scheduled. 2024. https://arxiv.org/abs/2405.15682
    """
    check_decay("b1", b1)
    check_nonnegative("r", r)
    base_optimizer = optax.with_extra_args_support(base_optimizer)

    def init_fn(params):
        z = params if state_dtype is None else optax.tree.cast(params, dtype=state_dtype)
        z = jax.tree.map(lambda t: t.copy(), z)
        return _init_state(params, b1, base_optimizer.init(params), z)

    def update_fn(grads, state, params=None, **extra_args):
        lr = learning_rate
        if callable(learning_rate):
            lr = jnp.asarray(learning_rate(state.step_count), dtype=state.max_lr.dtype)
        max_lr = jnp.maximum(state.max_lr, lr)
        # t**0 == 1 exactly, so r=0 keeps optax.contrib's numbers.
        t = state.step_count.astype(max_lr.dtype)
        weight = (t**r * max_lr**weight_lr_power).astype(max_lr.dtype)
        total = state.weight_sum + weight
        # A vanishing learning rate gives 0/0; treat it as "no averaging" unless NaN came in.
        ck = jnp.where(
            jnp.logical_or(jnp.isnan(weight), jnp.isnan(total)),
            jnp.full(weight.shape, jnp.nan),
            jnp.nan_to_num(weight / total, nan=0.0, posinf=jnp.inf),
        )
        base_updates, base_state = base_optimizer.update(
            grads, state.base_optimizer_state, params, **extra_args
        )
        z = jax.tree.map(
            lambda zi, ui: jnp.asarray(zi + ui).astype(jnp.asarray(zi).dtype), state.z, base_updates
        )
        x_prev = jax.tree.map(lambda yi, zi: (yi - (1.0 - b1) * zi) / b1, params, state.z)
        x = jax.tree.map(lambda xi, zi: (1.0 - ck) * xi + ck * zi, x_prev, z)
        y = jax.tree.map(lambda xi, zi: b1 * xi + (1.0 - b1) * zi, x, z)
        return _step(y, params, state, total, max_lr, base_state, z)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def _warmup(learning_rate, warmup_steps, convention):
    """The base optimizer's schedule (counted from 0) and the averaging weights' schedule
    (:func:`schedule_free` counts from 1)."""
    if convention not in ("optax", "authors"):
        raise ValueError(f"warmup_convention must be 'optax' or 'authors', got {convention!r}")
    if not warmup_steps:
        return learning_rate, learning_rate
    if convention == "optax":
        # optax.contrib: the base step at count k uses k / W, the weights (k + 1) / W.
        sched = optax.warmup_constant_schedule(
            init_value=0, peak_value=learning_rate, warmup_steps=warmup_steps
        )
        return sched, sched

    # The authors' package: step k (from 0) uses (k + 1) / W everywhere.
    def base(count):
        return learning_rate * jnp.minimum(1.0, (count + 1) / warmup_steps)

    def weights(step_count):
        return base(step_count - 1)

    return base, weights


def _with_warmup(
    make_base, learning_rate, warmup_steps, warmup_convention, b1, weight_lr_power, state_dtype, r
):
    """:func:`schedule_free` around ``make_base(lr)``, the two rates from :func:`_warmup`."""
    check_nonnegative("weight_lr_power", weight_lr_power)
    check_nonnegative("r", r)
    check_finite("learning_rate", learning_rate)
    base_lr, weights_lr = _warmup(learning_rate, warmup_steps, warmup_convention)
    return schedule_free(
        make_base(base_lr),
        learning_rate=weights_lr,
        b1=b1,
        weight_lr_power=weight_lr_power,
        state_dtype=state_dtype,
        r=r,
    )


_WARMUP_AUTHORS = Authors(
    code="schedulefree==1.4.1",
    preset={"warmup_convention": "authors"},
    differences="with warmup_steps=W optzoo follows optax.contrib (the z step k uses "
    "k/W of the rate, the averaging weight (k+1)/W); the authors' package uses (k+1)/W",
)


@register(
    "schedule_free_sgd",
    family="schedule_free",
    reference=DEFAZIO_2024_SCHEDULE_FREE,
    authors=_WARMUP_AUTHORS,
    state_per_param=1,
    defaults={},
    also_in=("optax.contrib",),
)
def schedule_free_sgd(
    learning_rate: jax.typing.ArrayLike = 1.0,
    warmup_steps: int | None = None,
    b1: jax.typing.ArrayLike = 0.9,
    weight_decay: jax.typing.ArrayLike | None = None,
    weight_lr_power: jax.typing.ArrayLike = 2.0,
    state_dtype: jax.typing.DTypeLike | None = None,
    r: jax.typing.ArrayLike = 0.0,
    warmup_convention: Literal["optax", "authors"] = "optax",
) -> optax.GradientTransformationExtraArgs:
    r"""Schedule-free SGD: :func:`schedule_free` around ``sgd(learning_rate)``.

    The defaults are the authors' (``schedulefree``) except the warm-up ramp, which follows
    ``optax.contrib``: ``optzoo.create("schedule_free_sgd", preset="authors")`` gives theirs.

    Args:
      learning_rate: peak learning rate.
      warmup_steps: linear warm-up length (``None``: no warm-up).
      b1: interpolation :math:`\beta_1` (acts as momentum).
      weight_decay: optional coupled weight decay, evaluated at :math:`y`.
      weight_lr_power: power of the learning rate in the averaging weights.
      state_dtype: dtype of :math:`z`.
      r: polynomial power of the step count in the averaging weights.
      warmup_convention: ``"optax"`` (``optax.contrib``: the step ``k``, counted from 0,
        moves :math:`z` with :math:`\eta k/W` and weights it with :math:`\eta (k+1)/W`) or
        ``"authors"`` (the authors' package: :math:`\eta (k+1)/W` for both).

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.contrib.schedule_free_sgd`` (with
      the default ``r`` and ``warmup_convention``).

    Example:
      >>> import optzoo
      >>> tx = optzoo.schedule_free_sgd(1.0, warmup_steps=100)

    References:
      Defazio et al. The Road Less Scheduled. 2024. https://arxiv.org/abs/2405.15682
    """

    def base(lr):
        if weight_decay is None:
            return sgd(lr)
        return optax.chain(add_decayed_weights(weight_decay), sgd(lr))

    return _with_warmup(
        base, learning_rate, warmup_steps, warmup_convention, b1, weight_lr_power, state_dtype, r
    )


@register(
    "schedule_free_adamw",
    family="schedule_free",
    reference=DEFAZIO_2024_SCHEDULE_FREE,
    authors=_WARMUP_AUTHORS,
    state_per_param=2,
    also_in=("optax.contrib",),
)
def schedule_free_adamw(
    learning_rate: jax.typing.ArrayLike = 0.0025,
    warmup_steps: int | None = None,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
    weight_lr_power: jax.typing.ArrayLike = 2.0,
    state_dtype: jax.typing.DTypeLike | None = None,
    r: jax.typing.ArrayLike = 0.0,
    warmup_convention: Literal["optax", "authors"] = "optax",
) -> optax.GradientTransformationExtraArgs:
    r"""Schedule-free AdamW: :func:`schedule_free` around AdamW without momentum.

    The defaults are the authors' (``schedulefree``) except the warm-up ramp, which follows
    ``optax.contrib``: ``optzoo.create("schedule_free_adamw", preset="authors")`` gives theirs.

    The base update is :math:`-\eta_t(g/(\sqrt{\hat v}+\epsilon) + \lambda y)`, with
    :math:`\hat v` the bias-corrected EMA of :math:`g^2` (as ``optax.contrib``; the paper
    folds the bias correction into the learning rate instead, which also changes the weights).

    Args:
      learning_rate: peak learning rate.
      warmup_steps: linear warm-up length.
      b1: interpolation :math:`\beta_1`.
      b2: second-moment decay.
      eps: denominator.
      weight_decay: decoupled weight decay, evaluated at :math:`y`.
      weight_lr_power: power of the learning rate in the averaging weights.
      state_dtype: dtype of :math:`z`.
      r: polynomial power of the step count in the averaging weights.
      warmup_convention: ``"optax"`` or ``"authors"``, see :func:`schedule_free_sgd`.

    Returns:
      A ``GradientTransformationExtraArgs`` equal to ``optax.contrib.schedule_free_adamw``
      (with the default ``r`` and ``warmup_convention``).

    Example:
      >>> import optzoo
      >>> tx = optzoo.schedule_free_adamw(1e-3, warmup_steps=100, weight_decay=1e-4)

    References:
      Defazio et al. The Road Less Scheduled. 2024. https://arxiv.org/abs/2405.15682
    """
    check_decay("b2", b2)
    rms = scale_by_rms(decay=b2, eps=eps, eps_in_sqrt=False, bias_correction=True)
    return _with_warmup(
        functools.partial(with_decoupled_decay, rms, weight_decay=weight_decay),
        learning_rate,
        warmup_steps,
        warmup_convention,
        b1,
        weight_lr_power,
        state_dtype,
        r,
    )


@register(
    "schedule_free_radam",
    family="schedule_free",
    reference=DEFAZIO_2024_SCHEDULE_FREE,
    authors=Authors(code="schedulefree==1.4.1"),
    state_per_param=2,
    also_in=(),
)
def schedule_free_radam(
    learning_rate: optax.ScalarOrSchedule = 0.0025,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
    r: jax.typing.ArrayLike = 0.0,
    weight_lr_power: jax.typing.ArrayLike = 2.0,
    silent_sgd_phase: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""Schedule-free RAdam: schedule-free Adam with RAdam's rectification as warm-up.

    The defaults are the authors' (``schedulefree.RAdamScheduleFree``).

    At step :math:`t` with :math:`\rho_t` RAdam's SMA length and :math:`r_t` its rectifier,
    :math:`\eta_t = \eta\, r_t` when :math:`\rho_t > 4`, else :math:`\eta_t = 0` (or
    :math:`\eta` with ``silent_sgd_phase=False``, an SGD step). Then

    .. math::
       v_t = \beta_2 v + (1-\beta_2) g^2,\quad
       \tilde g = g/(\sqrt{\hat v_t} + \epsilon)\ (\text{only when } \rho_t > 4) + \lambda y_t,\\
       \eta_{\max} = \max_{i\le t}\eta_i,\quad w_t = t^r \eta_{\max}^p,\quad
       c_t = w_t / \textstyle\sum_{i\le t} w_i,\\
       y_{t+1} = (1-c_t) y_t + c_t z_t + \eta_t(\beta_1(1-c_t) - 1)\tilde g,\quad
       z_{t+1} = z_t - \eta_t \tilde g.

    No warm-up schedule is needed. The state is ``optax.contrib.ScheduleFreeState`` (its
    ``base_optimizer_state`` holds :math:`v`), so :func:`schedule_free_eval_params` applies.

    Args:
      learning_rate: :math:`\eta` (scalar or schedule of the step).
      b1: interpolation :math:`\beta_1`.
      b2: second-moment decay.
      eps: denominator.
      weight_decay: :math:`\lambda`, evaluated at :math:`y`.
      r: polynomial weighting power of the averaging weights.
      weight_lr_power: :math:`p`.
      silent_sgd_phase: take no step while :math:`\rho_t \le 4` (else take SGD steps).

    Returns:
      A ``GradientTransformationExtraArgs``; needs params.

    Example:
      >>> import optzoo
      >>> tx = optzoo.schedule_free_radam(2.5e-3, silent_sgd_phase=False)

    References:
      Defazio et al. The Road Less Scheduled. 2024. https://arxiv.org/abs/2405.15682
    """
    check_nonnegative("weight_lr_power", weight_lr_power)
    check_nonnegative("weight_decay", weight_decay)
    check_nonnegative("r", r)
    check_finite("learning_rate", learning_rate)
    check_betas(b1, b2)
    check_nonnegative("eps", eps)
    rho_inf = 2.0 / (1.0 - b2) - 1.0

    def init_fn(params):
        nu = optax.tree.zeros_like(params)
        z = jax.tree.map(lambda t: t.copy(), params)
        return _init_state(params, b1, optax.ScaleByRmsState(nu=nu), z)

    def update_fn(grads, state, params=None, **extra_args):
        del extra_args
        if params is None:
            raise ValueError("schedule_free_radam needs params")
        t = state.step_count
        tf = t.astype(jnp.result_type(float))
        base_lr = learning_rate(t - 1) if callable(learning_rate) else learning_rate
        b2t = b2**tf
        bc2 = 1.0 - b2t
        rho = rho_inf - 2.0 * tf * b2t / bc2
        adaptive = rho > 4.0
        safe_rho = jnp.where(adaptive, rho, 5.0)
        rect = jnp.sqrt(
            (safe_rho - 4.0)
            * (safe_rho - 2.0)
            * rho_inf
            / ((rho_inf - 4.0) * (rho_inf - 2.0) * safe_rho)
        )
        rect = jnp.where(adaptive, rect, 0.0 if silent_sgd_phase else 1.0)
        lr = jnp.asarray(base_lr * rect, dtype=state.max_lr.dtype)
        max_lr = jnp.maximum(state.max_lr, lr)
        weight = ((tf**r) * max_lr**weight_lr_power).astype(state.weight_sum.dtype)
        total = state.weight_sum + weight
        ck = jnp.where(total != 0.0, weight / jnp.where(total != 0.0, total, 1.0), 0.0)
        nu = optax.tree.update_moment_per_elem_norm(grads, state.base_optimizer_state.nu, b2, 2)

        def direction(g, v, y):
            normed = jnp.where(adaptive, g / (jnp.sqrt(v) / jnp.sqrt(bc2) + eps), g)
            return normed + weight_decay * y

        d = jax.tree.map(direction, grads, nu, params)
        y_lr = lr * (b1 * (1.0 - ck) - 1.0)
        new_y = jax.tree.map(
            lambda y, z, g: (y + ck * (z - y) + y_lr * g).astype(y.dtype), params, state.z, d
        )
        z = jax.tree.map(lambda z, g: (z - lr * g).astype(z.dtype), state.z, d)
        return _step(new_y, params, state, total, max_lr, optax.ScaleByRmsState(nu=nu), z)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def schedule_free_eval_params(state: Any, params: optax.Params) -> optax.Params:
    r"""The averaged iterate :math:`x = (y - (1-\beta_1) z)/\beta_1` to evaluate.

    Args:
      state: a ``ScheduleFreeState`` (or a state containing its ``b1`` and ``z``).
      params: the training parameters :math:`y`.

    Returns:
      The evaluation parameters :math:`x`, same tree as ``params``.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.schedule_free_sgd()
      >>> p = jnp.ones(2); s = tx.init(p)
      >>> x = optzoo.schedule_free_eval_params(s, p)

    References:
      Defazio et al. The Road Less Scheduled. 2024. https://arxiv.org/abs/2405.15682
    """
    b1 = getattr(state, "b1", None)
    z = getattr(state, "z", None)
    if b1 is None or z is None:
        raise ValueError("schedule_free_eval_params requires a ScheduleFreeState as input.")
    return jax.tree.map(lambda yi, zi: (yi - (1.0 - b1) * zi) / b1, params, z)


def find_schedule_free_state(opt_state: Any, params: optax.Params) -> ScheduleFreeState | None:
    """The one ``ScheduleFreeState`` inside ``opt_state`` whose :math:`z` covers ``params``.

    Looks through any nesting of optax states (``chain``, ``MultiSteps``,
    ``inject_hyperparams``, ...). Returns ``None`` when there is none, more than one,
    or when its :math:`z` is not shaped like ``params`` (e.g. under ``masked``), so
    callers then evaluate ``params`` as they are.

    Example:
      >>> import jax.numpy as jnp, optax, optzoo
      >>> tx = optax.chain(optax.clip_by_global_norm(1.0), optzoo.schedule_free_adamw(1e-3))
      >>> p = {"w": jnp.ones(2)}
      >>> optzoo.find_schedule_free_state(tx.init(p), p) is not None
      True
    """
    found = [
        s
        for s in jax.tree.leaves(opt_state, is_leaf=lambda x: isinstance(x, ScheduleFreeState))
        if isinstance(s, ScheduleFreeState)
    ]
    if len(found) != 1:
        return None
    z_leaves, z_def = jax.tree.flatten(found[0].z)
    p_leaves, p_def = jax.tree.flatten(params)
    same = bool(z_def == p_def) and all(  # type: ignore[operator]
        jnp.shape(a) == jnp.shape(b) for a, b in zip(z_leaves, p_leaves, strict=True)
    )
    return found[0] if same else None
