"""Ranger: RAdam with Lookahead and gradient centralisation, built from optzoo's parts."""

from __future__ import annotations

from typing import Literal

import jax
import optax

from optzoo.core.validation import check_betas, check_finite, check_nonnegative
from optzoo.optimizers._common import with_decoupled_decay
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.adam import scale_by_radam
from optzoo.wrappers.gradient_filters import centralize_gradients
from optzoo.wrappers.lookahead import with_lookahead

__all__ = ["ranger"]

WRIGHT_2019_RANGER = Reference(
    "Less Wright",
    "Ranger: a synergistic optimizer combining RAdam and LookAhead (with Gradient "
    "Centralization, Yong et al. 2020)",
    2019,
    "https://github.com/lessw2020/Ranger-Deep-Learning-Optimizer",
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
