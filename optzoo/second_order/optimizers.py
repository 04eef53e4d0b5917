"""Full-batch second-order optimizers as chains, registered in the catalogue.

``bfgs``, ``lbfgs_linesearch`` and ``ncg`` are ``chain(direction, scale_by_learning_rate,
line search)`` as ``optax.lbfgs`` is: their ``update`` takes the extra arguments
``value``, ``grad`` and ``value_fn`` (use ``optax.value_and_grad_from_state`` to reuse the
line search's evaluations). ``newton_cg`` is Hessian-free Newton-CG, Martens style, usable
on mini-batches.
"""

from __future__ import annotations

import optax

from optzoo.core.validation import check_finite
from optzoo.registry import Reference, register
from optzoo.second_order.gradient_transforms import (
    scale_by_bfgs,
    scale_by_hessian_free,
    scale_by_lbfgs_memory,
    scale_by_line_search,
    scale_by_ncg,
)
from optzoo.transforms.scaling import scale, scale_by_learning_rate

__all__ = ["bfgs", "lbfgs_linesearch", "ncg", "newton_cg"]

LIU_NOCEDAL_1989 = Reference(
    "Dong C. Liu, Jorge Nocedal",
    "On the limited memory BFGS method for large scale optimization",
    1989,
    "https://doi.org/10.1007/BF01589116",
)
FLETCHER_1970 = Reference(
    "Roger Fletcher",
    "A new approach to variable metric algorithms",
    1970,
    "https://doi.org/10.1093/comjnl/13.3.317",
)
FLETCHER_REEVES_1964 = Reference(
    "Roger Fletcher, Colin M. Reeves",
    "Function minimization by conjugate gradients",
    1964,
    "https://doi.org/10.1093/comjnl/7.2.149",
)
MARTENS_2010 = Reference(
    "James Martens",
    "Deep learning via Hessian-free optimization",
    2010,
    "https://www.cs.toronto.edu/~jmartens/docs/Deep_HessianFree.pdf",
)


def _lr(learning_rate: optax.ScalarOrSchedule | None) -> optax.GradientTransformation:
    if learning_rate is None:
        return scale(-1.0)
    check_finite("learning_rate", learning_rate)
    return scale_by_learning_rate(learning_rate)


def _search(linesearch: str | None, initial_step: str = "one") -> optax.GradientTransformation:
    if linesearch is None:
        return optax.identity()
    return scale_by_line_search(linesearch, initial_step=initial_step)


@register("bfgs", family="second_order", reference=FLETCHER_1970,
          state_per_param=float("inf"), needs=("value_fn",))  # fmt: skip
def bfgs(
    learning_rate: optax.ScalarOrSchedule | None = None,
    scale_init: bool = True,
    linesearch: str | None = "more-thuente",
) -> optax.GradientTransformationExtraArgs:
    r"""Dense BFGS with a line search: :math:`x_{k+1} = x_k - \alpha_k \eta H_k g_k`.

    State holds the ``n x n`` inverse Hessian (``state_per_param`` is ``n + 2``, reported as
    ``inf`` in the catalogue): for models with up to a few thousand parameters.

    Args:
      learning_rate: scale :math:`\eta` of the direction before the line search
        (``None``: 1).
      scale_init: rescale :math:`H_0` after the first step (N&W eq. 6.20).
      linesearch: ``"more-thuente"``, ``"wolfe"``, ``"hager-zhang"``, ``"armijo"`` or
        ``None`` (fixed step :math:`\eta`).

    Returns:
      A ``GradientTransformationExtraArgs``; ``update(grads, state, params, value=...,
      grad=..., value_fn=...)``.

    Example:
      >>> import jax, jax.numpy as jnp, optzoo
      >>> f = lambda x: jnp.sum((x - 1.0) ** 2)
      >>> tx = optzoo.second_order.bfgs()
      >>> x = jnp.zeros(3); state = tx.init(x)
      >>> v, g = jax.value_and_grad(f)(x)
      >>> u, state = tx.update(g, state, x, value=v, grad=g, value_fn=f)

    References:
      Fletcher. A new approach to variable metric algorithms. 1970.
      https://doi.org/10.1093/comjnl/13.3.317 (with Broyden, Goldfarb and Shanno, 1970);
      Nocedal, Wright. Numerical Optimization, 2nd ed. 2006.
      https://doi.org/10.1007/978-0-387-40065-5
    """
    return optax.chain(scale_by_bfgs(scale_init), _lr(learning_rate), _search(linesearch))


@register("lbfgs_linesearch", family="second_order", reference=LIU_NOCEDAL_1989,
          state_per_param=22, needs=("value_fn",))  # fmt: skip
def lbfgs_linesearch(
    learning_rate: optax.ScalarOrSchedule | None = None,
    memory_size: int = 10,
    linesearch: str | None = "more-thuente",
) -> optax.GradientTransformationExtraArgs:
    r"""L-BFGS with a choice of line search (optax's ``lbfgs`` fixes the zoom search).

    :math:`x_{k+1} = x_k - \alpha_k \eta H_k g_k` with :math:`H_k` from the last
    ``memory_size`` pairs by the two-loop recursion.

    Args:
      learning_rate: scale :math:`\eta` before the line search (``None``: 1).
      memory_size: stored pairs ``m`` (state is ``2m + 2`` floats per parameter).
      linesearch: ``"more-thuente"``, ``"wolfe"``, ``"hager-zhang"``, ``"armijo"`` or ``None``.

    Returns:
      A ``GradientTransformationExtraArgs`` taking ``value``, ``grad``, ``value_fn``.

    References:
      Liu, Nocedal. On the limited memory BFGS method for large scale optimization. 1989.
      https://doi.org/10.1007/BF01589116
    """
    return optax.chain(scale_by_lbfgs_memory(memory_size), _lr(learning_rate), _search(linesearch))


@register("ncg", family="second_order", reference=FLETCHER_REEVES_1964,
          state_per_param=2, needs=("value_fn",))  # fmt: skip
def ncg(
    learning_rate: optax.ScalarOrSchedule | None = None,
    variant: str = "pr+",
    linesearch: str | None = "hager-zhang",
) -> optax.GradientTransformationExtraArgs:
    r"""Nonlinear conjugate gradient with a line search.

    :math:`d_k = -g_k + \beta_k d_{k-1}`, :math:`x_{k+1} = x_k + \alpha_k \eta d_k`.

    Args:
      learning_rate: scale :math:`\eta` before the line search (``None``: 1).
      variant: ``"pr+"``, ``"fr"``, ``"hs"`` or ``"dy"`` (see :func:`scale_by_ncg`).
      linesearch: a line search name (default Hager-Zhang, made for CG) or ``None``.

    Returns:
      A ``GradientTransformationExtraArgs`` taking ``value``, ``grad``, ``value_fn``.

    References:
      Fletcher, Reeves. Function minimization by conjugate gradients. 1964.
      https://doi.org/10.1093/comjnl/7.2.149; Hager, Zhang. A survey of nonlinear conjugate
      gradient methods. 2006. https://people.clas.ufl.edu/hager/files/cg_survey.pdf
    """
    return optax.chain(
        scale_by_ncg(variant), _lr(learning_rate), _search(linesearch, initial_step="previous")
    )


@register("newton_cg", family="second_order", reference=MARTENS_2010,
          state_per_param=1, needs=("value_fn",), defaults={"learning_rate": 1.0})  # fmt: skip
def newton_cg(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    damping: float = 1.0,
    cg_maxiter: int = 50,
    cg_tol: float = 1e-4,
    curvature: str = "hessian",
    adapt_damping: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""Hessian-free Newton-CG (Martens 2010): :math:`x_{k+1} = x_k + \eta p_k`,
    :math:`(B_k + \lambda_k I) p_k = -g_k` by truncated CG.

    ``curvature="hessian"`` uses Hessian-vector products of ``value_fn``; ``"ggn"`` uses
    Gauss-Newton products from the extra arguments ``model_fn`` and ``loss_fn`` (positive
    semi-definite; the choice for mini-batch training of networks). See
    :func:`scale_by_hessian_free`.

    Returns:
      A ``GradientTransformationExtraArgs`` taking ``value``, ``value_fn`` (and ``model_fn``,
      ``loss_fn`` for GGN).

    References:
      Martens. Deep learning via Hessian-free optimization. 2010.
      https://www.cs.toronto.edu/~jmartens/docs/Deep_HessianFree.pdf
    """
    return optax.chain(
        scale_by_hessian_free(damping, cg_maxiter, cg_tol, curvature=curvature,
                              adapt_damping=adapt_damping),
        scale_by_learning_rate(learning_rate),
    )  # fmt: skip
