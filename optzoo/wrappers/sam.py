"""Sharpness-aware minimisation (SAM) and adaptive SAM (ASAM) as one-call wrappers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optzoo.core.tree_checks import reject_masked
from optzoo.core.validation import (
    check_betas,
    check_finite,
    check_nonnegative,
    check_positive,
    check_unit_interval,
)
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.scaling import scale_by_learning_rate

__all__ = ["sam_wrapper", "sam", "asam", "bsam", "BSAMState"]

FORET_2020 = Reference(
    "Pierre Foret, Ariel Kleiner, Hossein Mobahi, Behnam Neyshabur",
    "Sharpness-Aware Minimization for Efficiently Improving Generalization",
    2020,
    "https://arxiv.org/abs/2010.01412",
)
KWON_2021 = Reference(
    "Jungmin Kwon, Jeongseop Kim, Hyunseo Park, In Kwon Choi",
    "ASAM: Adaptive Sharpness-Aware Minimization for Scale-Invariant Learning of Deep "
    "Neural Networks",
    2021,
    "https://arxiv.org/abs/2102.11600",
)


def _is_zero(x: Any) -> bool:
    # A Python zero (the term is skipped); arrays and tracers (inject_hyperparams) count.
    return isinstance(x, (int, float)) and x == 0


def sam_wrapper(
    inner: optax.GradientTransformation,
    rho: float = 0.05,
    *,
    adaptive: bool = False,
    eta: float = 0.0,
    eps: float = 1e-12,
    adaptive_mask: Any = None,
    l2_reg: float = 0.0,
) -> optax.GradientTransformationExtraArgs:
    r"""SAM / ASAM around any optimizer; each ``update`` is one full SAM step.

    With :math:`T_w = |w| + \eta` (ASAM, ``adaptive=True``) or :math:`T_w = 1` (SAM):

    .. math::
       \epsilon = \rho\, \frac{T_w^2 \odot g}{\|T_w \odot g\|_2 + \epsilon_0}, \qquad
       \tilde g = \nabla L(w + \epsilon), \qquad
       (u, s) = \text{inner.update}(\tilde g, s, w).

    The norm is global over the tree. The loss comes in as the ``value_fn``
    extra argument (``value_fn(params) -> scalar``); the gradient at the
    perturbed point is ``jax.grad(value_fn)``, so one update costs one extra
    gradient. Unlike ``optax.contrib.sam`` (which alternates adversarial and
    descent steps through the outer loop), no change to the training loop is
    needed beyond passing ``value_fn``. For a stochastic loss, close the
    mini-batch into ``value_fn``.

    Args:
      inner: the base optimizer applied to the perturbed gradient.
      rho: neighbourhood radius :math:`\rho`.
      adaptive: ASAM's element-wise scaling.
      eta: ASAM's :math:`\eta` in :math:`T_w = |w| + \eta`.
      eps: :math:`\epsilon_0` added to the norm.
      adaptive_mask: with ``adaptive``, a tree of booleans (or a callable on the params
        returning one, like ``optax.masked``'s mask) choosing the leaves scaled by
        :math:`T_w`; the others use :math:`T_w = 1`. The authors' ASAM scales the
        parameters whose names contain ``"weight"``: ``adaptive_mask=lambda p:
        jax.tree_util.tree_map_with_path(lambda k, _: "weight" in
        jax.tree_util.keystr(k).lower(), p)``. ``None``: every leaf.
      l2_reg: :math:`\lambda` of an L2 penalty :math:`\frac{\lambda}{2}\|w\|^2` counted as
        part of the loss (the authors' JAX code): it enters both the ascent gradient and the
        gradient at :math:`w + \epsilon`.

    Returns:
      A ``GradientTransformationExtraArgs`` with ``inner``'s state; ``update``
      requires ``params`` and ``value_fn``.

    Example:
      >>> import optax, optzoo
      >>> tx = optzoo.sam_wrapper(optax.sgd(0.1), rho=0.05)

    References:
      Foret, Kleiner, Mobahi, Neyshabur. Sharpness-Aware Minimization for Efficiently
      Improving Generalization. 2020. https://arxiv.org/abs/2010.01412
      Kwon, Kim, Park, Choi. ASAM: Adaptive Sharpness-Aware Minimization for
      Scale-Invariant Learning of Deep Neural Networks. 2021. https://arxiv.org/abs/2102.11600
    """
    check_nonnegative("rho", rho)
    check_nonnegative("eta", eta)
    check_nonnegative("eps", eps)
    check_nonnegative("l2_reg", l2_reg)
    inner = optax.with_extra_args_support(inner)

    def update_fn(
        updates, state, params=None, *, value_fn: Callable[..., Any] | None = None, **extra
    ):
        if value_fn is None or params is None:
            raise ValueError("SAM needs params and the value_fn= extra argument (the loss)")
        reject_masked(params, "SAM")
        if not _is_zero(l2_reg):
            updates = jax.tree.map(lambda g, w: g + l2_reg * w, updates, params)
        if adaptive:
            t = jax.tree.map(lambda w: jnp.abs(w) + eta, params)
            if adaptive_mask is not None:
                on = adaptive_mask(params) if callable(adaptive_mask) else adaptive_mask
                t = jax.tree.map(lambda ti, m: ti if m else jnp.ones_like(ti), t, on)
            scaled = jax.tree.map(lambda ti, g: ti * g, t, updates)
        else:
            t = None
            scaled = updates
        norm = optax.tree.norm(scaled) + eps
        if adaptive:
            e = jax.tree.map(lambda ti, g: rho * ti * ti * g / norm, t, updates)
        else:
            e = jax.tree.map(lambda g: rho * g / norm, updates)
        perturbed = jax.tree.map(lambda w, ei: (w + ei).astype(w.dtype), params, e)
        adv = jax.grad(value_fn)(perturbed)
        if not _is_zero(l2_reg):
            adv = jax.tree.map(lambda a, w: a + l2_reg * w, adv, perturbed)
        adv = jax.tree.map(lambda a, g: a.astype(g.dtype), adv, updates)
        return inner.update(adv, state, params, value_fn=value_fn, **extra)

    return optax.GradientTransformationExtraArgs(inner.init, update_fn)


def _sgd(
    learning_rate: Any,
    momentum: float | None,
    nesterov: bool,
    weight_decay: float = 0.0,
    clip_norm: float | None = None,
) -> Any:
    check_nonnegative("weight_decay", weight_decay)
    return optax.chain(
        optax.clip_by_global_norm(clip_norm) if clip_norm is not None else optax.identity(),
        optax.identity() if _is_zero(weight_decay) else optax.add_decayed_weights(weight_decay),
        optax.trace(momentum, nesterov) if momentum is not None else optax.identity(),
        scale_by_learning_rate(learning_rate),
    )


def _weight_named(params: Any) -> Any:
    r"""``True`` for the leaves whose key path contains ``"weight"`` (case-insensitive): the
    leaves the authors' ASAM scales by :math:`|w| + \eta` (PyTorch ``*.weight``)."""
    return jax.tree_util.tree_map_with_path(
        lambda path, _: "weight" in jax.tree_util.keystr(path).lower(), params
    )


@register(
    "sam",
    family="wrapper",
    reference=FORET_2020,
    state_per_param=0,
    needs=("value_fn",),
    defaults={"learning_rate": 0.05},
    also_in=("optax.contrib",),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={"momentum": 0.9, "nesterov": True, "l2_reg": 1e-3, "clip_norm": 5.0},
        differences="plain SGD; the authors' JAX code: Nesterov momentum 0.9, L2 1e-3 in "
        "the loss, SAM gradient clipped to global norm 5 (and no eps in the norm)",
        no_package="the authors published JAX research code (google-research/sam)",
    ),
)
def sam(
    learning_rate: optax.ScalarOrSchedule,
    rho: float = 0.05,
    momentum: float | None = None,
    nesterov: bool = False,
    l2_reg: float = 0.0,
    clip_norm: float | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""SAM over SGD: :math:`x \leftarrow x - \eta \nabla L(x + \rho g/\|g\|)`.

    See :func:`sam_wrapper`; ``update`` needs the ``value_fn=`` extra argument. The authors'
    JAX code adds Nesterov momentum, an L2 term in the loss and gradient clipping
    (``optzoo.create("sam", preset="authors")``).

    Args:
      learning_rate: SGD step size.
      rho: neighbourhood radius.
      momentum: optional heavy-ball momentum of the base SGD.
      nesterov: Nesterov momentum.
      l2_reg: L2 penalty :math:`\frac{\lambda}{2}\|w\|^2` in the loss (both gradients).
      clip_norm: clip the SAM gradient to this global norm before the momentum.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.sam(0.05, rho=0.05)

    References:
      Foret, Kleiner, Mobahi, Neyshabur. Sharpness-Aware Minimization for Efficiently
      Improving Generalization. 2020. https://arxiv.org/abs/2010.01412
    """
    check_unit_interval("momentum", momentum)
    check_finite("learning_rate", learning_rate)
    return sam_wrapper(
        _sgd(learning_rate, momentum, nesterov, clip_norm=clip_norm), rho, l2_reg=l2_reg
    )


@register(
    "asam",
    family="wrapper",
    reference=KWON_2021,
    state_per_param=0,
    needs=("value_fn",),
    defaults={"learning_rate": 0.05},
    also_in=(),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={
            "momentum": 0.9,
            "weight_decay": 5e-4,
            "eps": 1e-16,
            "adaptive_mask": "authors",
        },
        differences="every leaf scaled by |w| + eta, plain SGD; the authors' code scales "
        "the parameters named '*weight*' only and runs SGD(momentum 0.9, weight_decay 5e-4)",
        no_package="the authors published source files (SamsungLabs/ASAM)",
    ),
)
def asam(
    learning_rate: optax.ScalarOrSchedule,
    rho: float = 0.5,
    eta: float = 0.01,
    momentum: float | None = None,
    nesterov: bool = False,
    weight_decay: float = 0.0,
    eps: float = 1e-12,
    adaptive_mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""ASAM over SGD: SAM with the element-wise scale :math:`T_w = |w| + \eta`.

    See :func:`sam_wrapper`; ``update`` needs the ``value_fn=`` extra argument.
    The defaults ``rho=0.5, eta=0.01`` are Kwon et al.'s CIFAR settings. The authors' code
    scales only parameters named ``*weight*`` and steps with SGD(momentum 0.9, weight decay
    5e-4) (``optzoo.create("asam", preset="authors")``).

    Args:
      learning_rate, rho, momentum, nesterov: as in :func:`sam`.
      eta: offset in :math:`T_w`.
      weight_decay: coupled L2 of the base SGD, at the unperturbed weights
        (``torch.optim.SGD``'s ``weight_decay``).
      eps: added to the norm.
      adaptive_mask: leaves scaled by :math:`T_w` (see :func:`sam_wrapper`); ``"authors"``:
        the leaves whose key path contains ``"weight"``, as in the authors' code.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.asam(0.05)

    References:
      Kwon, Kim, Park, Choi. ASAM: Adaptive Sharpness-Aware Minimization for
      Scale-Invariant Learning of Deep Neural Networks. 2021. https://arxiv.org/abs/2102.11600
    """
    check_unit_interval("momentum", momentum)
    check_finite("learning_rate", learning_rate)
    if isinstance(adaptive_mask, str):
        if adaptive_mask != "authors":
            raise ValueError(
                f"adaptive_mask: a tree, a callable or 'authors', got {adaptive_mask!r}"
            )
        adaptive_mask = _weight_named
    return sam_wrapper(
        _sgd(learning_rate, momentum, nesterov, weight_decay),
        rho,
        adaptive=True,
        eta=eta,
        eps=eps,
        adaptive_mask=adaptive_mask,
    )


MOLLENHOFF_KHAN_2022 = Reference(
    "Thomas Möllenhoff, Mohammad Emtiyaz Khan",
    "SAM as an Optimal Relaxation of Bayes",
    2022,
    "https://arxiv.org/abs/2210.01620",
)


class BSAMState(NamedTuple):
    """State of :func:`bsam`: step count, PRNG key, momentum :math:`g_m` and precision
    :math:`s` (one array of each per leaf)."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count
    rng_key: jax.Array
    momentum: Any
    s: Any


_BSAM_VARIANTS = ("paper", "pytorch_optimizer")


@register(
    "bsam",
    family="wrapper",
    reference=MOLLENHOFF_KHAN_2022,
    state_per_param=2,
    needs=("value_fn",),
    defaults={"learning_rate": 0.1, "num_data": 50000},
    also_in=(),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={},
        differences="none in the update (Algorithm 1); the authors' JAX code divides the "
        "mean step by the precision s before its update instead of after, averages the "
        "gradients over m-sharpness sub-batches and starts s at s_init (an argument here)",
        no_package="the authors published JAX research code (team-approx-bayes/bayesian-sam)",
    ),
)
def bsam(
    learning_rate: optax.ScalarOrSchedule,
    num_data: int,
    b1: float = 0.9,
    b2: float = 0.999,
    weight_decay: float = 1e-4,
    rho: float = 0.05,
    damping: float = 0.1,
    s_init: float = 1.0,
    adaptive: bool = False,
    key: jax.Array | int = 0,
    variant: str = "paper",
) -> optax.GradientTransformationExtraArgs:
    r"""Bayesian SAM (bSAM): SAM as the mean update of a Gaussian posterior.

    Algorithm 1 of the paper, with posterior mean :math:`w`, precision vector :math:`s`
    (variance :math:`\sigma^2 = 1/(N s)`), momentum :math:`g_m` and :math:`\xi \sim
    \mathcal N(0, I)`:

    .. math::
       g = \nabla L(w + \sigma \xi), \qquad \epsilon = \rho\, g / s, \qquad
       g_\epsilon = \nabla L(w + \epsilon),

       g_m \leftarrow \beta_1 g_m + (1 - \beta_1)(g_\epsilon + \delta w), \qquad
       s \leftarrow \beta_2 s + (1 - \beta_2)(\sqrt{s}\,|g| + \delta + \gamma), \qquad
       w \leftarrow w - \alpha\, g_m / s.

    Everything is element-wise, so scalars, vectors and leaves of any rank are treated
    alike. Both gradients come from the ``value_fn`` extra argument (``value_fn(params) ->
    scalar``), so one update costs two gradients; the incoming gradient (at :math:`w`, not
    at a noisy sample) is not used. The noise :math:`\xi` comes from the state's key: each
    step splits it into a carried key and a sample key, and the sample key is split once
    per leaf (the key schedule of :func:`optzoo.add_noise`). ``adaptive=True`` scales
    :math:`\epsilon` element-wise by :math:`w^2` (as ASAM with :math:`\eta = 0`).

    ``variant="pytorch_optimizer"`` gives pytorch_optimizer 4.1.0's ``BSAM``, which departs
    from Algorithm 1: the noise has standard deviation :math:`1/(N s)` (not its square
    root), the perturbation is taken from the noisy point and neither is undone (the step
    starts from :math:`w + \sigma\xi + \epsilon`), the momentum averages
    :math:`\delta g_\epsilon` (not :math:`g_\epsilon + \delta w`), and the precision averages
    :math:`(\sqrt{s}\,|g_\epsilon| + \delta + \gamma)^2`.

    Args:
      learning_rate: :math:`\alpha`, a scalar or a schedule.
      num_data: :math:`N`, the training set size (sets the noise variance).
      b1: :math:`\beta_1`, momentum decay.
      b2: :math:`\beta_2`, precision decay.
      weight_decay: :math:`\delta`, the L2 regulariser (prior precision).
      rho: :math:`\rho`, the SAM radius.
      damping: :math:`\gamma`.
      s_init: the starting precision (1 in the paper).
      adaptive: scale the perturbation by :math:`w^2`.
      key: a JAX PRNG key or an integer seed for the noise.
      variant: ``"paper"`` (Algorithm 1) or ``"pytorch_optimizer"``.

    Returns:
      A ``GradientTransformationExtraArgs`` whose state is :class:`BSAMState`; ``update``
      requires ``params`` and ``value_fn``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.bsam(0.1, num_data=50000)

    References:
      Möllenhoff, Khan. SAM as an Optimal Relaxation of Bayes. 2022.
      https://arxiv.org/abs/2210.01620

    Defaults follow pytorch_optimizer except the step size (0.1 in ``create``, its 0.5 is
    too large off the paper's CIFAR setup); ``optzoo.create("bsam", preset="authors")`` is
    Algorithm 1 itself.
    """
    check_finite("learning_rate", learning_rate)
    check_positive("num_data", num_data)
    check_betas(b1, b2)
    check_nonnegative("weight_decay", weight_decay)
    check_nonnegative("rho", rho)
    check_nonnegative("damping", damping)
    check_positive("s_init", s_init)
    if variant not in _BSAM_VARIANTS:
        raise ValueError(f"variant: one of {_BSAM_VARIANTS}, got {variant!r}")
    paper = variant == "paper"

    def init_fn(params):
        is_key = isinstance(key, jax.Array) and jnp.issubdtype(key.dtype, jax.dtypes.prng_key)
        return BSAMState(
            count=jnp.zeros([], jnp.int32),
            rng_key=key if is_key else jax.random.key(key),
            momentum=jax.tree.map(jnp.zeros_like, params),
            s=jax.tree.map(lambda p: jnp.full_like(p, s_init), params),
        )

    def update_fn(updates, state, params=None, *, value_fn=None, **extra):
        del extra
        if value_fn is None or params is None:
            raise ValueError("bSAM needs params and the value_fn= extra argument (the loss)")
        reject_masked(params, "bSAM")
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
        carry_key, sample_key = jax.random.split(state.rng_key)
        leaves, treedef = jax.tree.flatten(params)
        leaf_keys = jax.random.split(sample_key, len(leaves))
        xi = jax.tree.unflatten(
            treedef,
            [
                jax.random.normal(k, w.shape, w.dtype)
                for w, k in zip(leaves, leaf_keys, strict=True)
            ],
        )

        def cast(tree):
            return jax.tree.map(lambda x, w: x.astype(w.dtype), tree, params)

        if paper:
            std = jax.tree.map(lambda s: jnp.sqrt(1.0 / (num_data * s)), state.s)
        else:
            std = jax.tree.map(lambda s: 1.0 / (num_data * s), state.s)
        noisy = cast(jax.tree.map(lambda w, sd, z: w + sd * z, params, std, xi))
        g = cast(jax.grad(value_fn)(noisy))
        base = params if paper else noisy
        scale = jax.tree.map(jnp.square, base) if adaptive else jax.tree.map(jnp.ones_like, base)
        perturbed = cast(
            jax.tree.map(lambda b, t, gi, s: b + t * rho * gi / s, base, scale, g, state.s)
        )
        g_eps = cast(jax.grad(value_fn)(perturbed))
        if paper:
            target = jax.tree.map(lambda ge, w: ge + weight_decay * w, g_eps, params)
            curv = jax.tree.map(
                lambda s, gi: jnp.sqrt(s) * jnp.abs(gi) + weight_decay + damping, state.s, g
            )
        else:
            target = jax.tree.map(lambda ge: weight_decay * ge, g_eps)
            curv = jax.tree.map(
                lambda s, ge: jnp.square(jnp.sqrt(s) * jnp.abs(ge) + weight_decay + damping),
                state.s,
                g_eps,
            )
        momentum = jax.tree.map(lambda m, t: b1 * m + (1 - b1) * t, state.momentum, target)
        s_new = jax.tree.map(lambda s, c: b2 * s + (1 - b2) * c, state.s, curv)
        step = jax.tree.map(lambda m, s: -lr * m / s, momentum, s_new)
        if not paper:
            step = jax.tree.map(lambda u, pt, w: u + (pt - w), step, perturbed, params)
        new_updates = jax.tree.map(lambda u, g0: u.astype(g0.dtype), step, updates)
        new_state = BSAMState(
            count=optax.safe_increment(state.count),
            rng_key=carry_key,
            momentum=cast(momentum),
            s=cast(s_new),
        )
        return new_updates, new_state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
