"""Full-batch second-order optimizers as chains, registered in the catalogue.

``bfgs``, ``lbfgs_linesearch`` and ``ncg`` are ``chain(direction, scale_by_learning_rate,
line search)`` as ``optax.lbfgs`` is: their ``update`` takes the extra arguments
``value``, ``grad`` and ``value_fn`` (use ``optax.value_and_grad_from_state`` to reuse the
line search's evaluations). ``newton_cg`` is Hessian-free Newton-CG, Martens style, usable
on mini-batches.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import optax

from optzoo.core.validation import check_finite
from optzoo.registry import Authors, Reference, register
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


def _with_search(
    direction: optax.GradientTransformation,
    learning_rate: optax.ScalarOrSchedule | None,
    linesearch: str | None,
    options: Mapping[str, Any] | None = None,
    initial_step: str = "one",
) -> optax.GradientTransformationExtraArgs:
    """``chain(direction, learning rate, line search)``; no search when ``linesearch`` is None."""
    if linesearch is None:
        if options:
            raise ValueError(f"linesearch_options {dict(options)} given without a line search")
        search = optax.identity()
    else:
        search = scale_by_line_search(linesearch, initial_step=initial_step, **dict(options or {}))
    return optax.chain(direction, _lr(learning_rate), search)


# All four take the loss through the value_fn extra argument.
_register = functools.partial(register, family="second_order", needs=("value_fn",))


@_register(
    "bfgs",
    reference=FLETCHER_1970,
    state_per_param=float("inf"),
    authors=Authors(
        code="Nocedal & Wright, Numerical Optimization (2006), Algorithm 6.1",
        no_package="BFGS (Broyden, Fletcher, Goldfarb, Shanno 1970) predates published code; "
        "the reference is the textbook algorithm box with a Moré-Thuente strong Wolfe search",
    ),
)
def bfgs(
    learning_rate: optax.ScalarOrSchedule | None = None,
    scale_init: bool = True,
    linesearch: str | None = "more-thuente",
    linesearch_options: Mapping[str, Any] | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Dense BFGS with a line search: :math:`x_{k+1} = x_k - \alpha_k \eta H_k g_k`.

    State holds the ``n x n`` inverse Hessian (``state_per_param`` is ``n + 2``, reported as
    ``inf`` in the catalogue): for models with up to a few thousand parameters.
    The defaults are Nocedal & Wright's Algorithm 6.1 (:math:`H_0` rescaled by eq. 6.20,
    strong Wolfe search with :math:`c_1 = 10^{-4}, c_2 = 0.9`), so
    ``optzoo.create("bfgs", preset="authors")`` is the same optimizer.

    Args:
      learning_rate: scale :math:`\eta` of the direction before the line search
        (``None``: 1).
      scale_init: rescale :math:`H_0` after the first step (N&W eq. 6.20).
      linesearch: ``"more-thuente"``, ``"wolfe"``, ``"hager-zhang"``, ``"armijo"`` or
        ``None`` (fixed step :math:`\eta`).
      linesearch_options: keyword arguments of the line search (``c1``, ``c2``, ``xtol``,
        ``max_steps`` ...; see :func:`scale_by_line_search`).

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
    return _with_search(scale_by_bfgs(scale_init), learning_rate, linesearch, linesearch_options)


@_register(
    "lbfgs_linesearch",
    reference=LIU_NOCEDAL_1989,
    state_per_param=22,
    authors=Authors(
        code="Nocedal & Wright, Numerical Optimization (2006), Algorithms 7.4-7.5",
        preset={
            "memory_size": 5,
            "first_step": "inverse_norm",
            "linesearch_options": {"xtol": 1e-16, "max_steps": 20},
        },
        differences="m = 10 (the authors' driver: 5); first search from 1, theirs from "
        "1/||g||; Moré-Thuente xtol 1e-14 and 30 evaluations (theirs 1e-16, 20)",
        no_package="Liu and Nocedal's code is Fortran 77 (lbfgs.f, no package); the reference "
        "is the two-loop recursion with scipy's port of the same Moré-Thuente search (dcsrch)",
    ),
)
def lbfgs_linesearch(
    learning_rate: optax.ScalarOrSchedule | None = None,
    memory_size: int = 10,
    linesearch: str | None = "more-thuente",
    first_step: str = "one",
    linesearch_options: Mapping[str, Any] | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""L-BFGS with a choice of line search (optax's ``lbfgs`` fixes the zoom search).

    :math:`x_{k+1} = x_k - \alpha_k \eta H_k g_k` with :math:`H_k` from the last
    ``memory_size`` pairs by the two-loop recursion.
    Liu and Nocedal's code uses ``m = 5`` (their driver), a first search from
    :math:`1/\|g_0\|` and a Moré-Thuente search with ``xtol=1e-16`` and 20 evaluations:
    ``optzoo.create("lbfgs_linesearch", preset="authors")`` selects them.

    Args:
      learning_rate: scale :math:`\eta` before the line search (``None``: 1).
      memory_size: stored pairs ``m`` (state is ``2m + 2`` floats per parameter).
      linesearch: ``"more-thuente"``, ``"wolfe"``, ``"hager-zhang"``, ``"armijo"`` or ``None``.
      first_step: initial trial step of the first search: ``"one"`` or ``"inverse_norm"``
        (:math:`1/\|d_0\|`, as Liu and Nocedal's code and L-BFGS-B); later searches start at 1.
      linesearch_options: keyword arguments of the line search (``c1``, ``c2``, ``xtol``,
        ``max_steps`` ...; see :func:`scale_by_line_search`).

    Returns:
      A ``GradientTransformationExtraArgs`` taking ``value``, ``grad``, ``value_fn``.

    References:
      Liu, Nocedal. On the limited memory BFGS method for large scale optimization. 1989.
      https://doi.org/10.1007/BF01589116
    """
    if first_step not in ("one", "inverse_norm"):
        raise ValueError(f"first_step must be 'one' or 'inverse_norm', got {first_step!r}")
    direction = scale_by_lbfgs_memory(memory_size)
    return _with_search(direction, learning_rate, linesearch, linesearch_options, first_step)


@_register(
    "ncg",
    reference=FLETCHER_REEVES_1964,
    state_per_param=2,
    authors=Authors(
        code="Nocedal & Wright, Numerical Optimization (2006), Algorithm 5.4",
        preset={
            "variant": "fr",
            "linesearch": "more-thuente",
            "linesearch_options": {"c2": 0.1},
        },
        differences="Polak-Ribière+ with a Hager-Zhang search (Fletcher-Reeves: FR beta, "
        "strong Wolfe search with c2 < 1/2); no restart every n iterations",
        no_package="the method (1964) predates published code; the reference is FR-CG with "
        "scipy's port of the Moré-Thuente search (dcsrch)",
    ),
)
def ncg(
    learning_rate: optax.ScalarOrSchedule | None = None,
    variant: str = "pr+",
    linesearch: str | None = "hager-zhang",
    linesearch_options: Mapping[str, Any] | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Nonlinear conjugate gradient with a line search.

    :math:`d_k = -g_k + \beta_k d_{k-1}`, :math:`x_{k+1} = x_k + \alpha_k \eta d_k`.
    Fletcher-Reeves CG (as N&W Algorithm 5.4 states it) takes their :math:`\beta` and a
    strong Wolfe search with :math:`c_2 < 1/2`, unlike the defaults (PR+, Hager-Zhang):
    ``optzoo.create("ncg", preset="authors")`` selects FR with Moré-Thuente, ``c2=0.1``.

    Args:
      learning_rate: scale :math:`\eta` before the line search (``None``: 1).
      variant: ``"pr+"``, ``"fr"``, ``"hs"`` or ``"dy"`` (see :func:`scale_by_ncg`).
      linesearch: a line search name (default Hager-Zhang, made for CG) or ``None``.
      linesearch_options: keyword arguments of the line search (``c1``, ``c2``, ``xtol``,
        ``max_steps`` ...; see :func:`scale_by_line_search`).

    Returns:
      A ``GradientTransformationExtraArgs`` taking ``value``, ``grad``, ``value_fn``.

    References:
      Fletcher, Reeves. Function minimization by conjugate gradients. 1964.
      https://doi.org/10.1093/comjnl/7.2.149; Hager, Zhang. A survey of nonlinear conjugate
      gradient methods. 2006. https://people.clas.ufl.edu/hager/files/cg_survey.pdf
    """
    direction = scale_by_ncg(variant)
    return _with_search(direction, learning_rate, linesearch, linesearch_options, "previous")


@_register(
    "newton_cg",
    reference=MARTENS_2010,
    state_per_param=1,
    defaults={"learning_rate": 1.0},
    authors=Authors(
        code="Martens (2010), Algorithm 1 with sections 4.1-4.5",
        preset={"curvature": "ggn", "cg_stop": "progress"},
        differences="Hessian products and a relative-residual CG stop (Martens: Gauss-Newton "
        "products, his relative-progress stop); no CG-iterate backtracking (his section 4.6); "
        "a step that raises the loss is rejected",
        no_package="Martens' Hessian-free code is MATLAB (no package); the reference is a NumPy "
        "transcription of his Algorithm 1",
    ),
)
def newton_cg(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    damping: float = 1.0,
    cg_maxiter: int = 50,
    cg_tol: float = 1e-4,
    curvature: str = "hessian",
    adapt_damping: bool = True,
    cg_stop: str = "residual",
) -> optax.GradientTransformationExtraArgs:
    r"""Hessian-free Newton-CG (Martens 2010): :math:`x_{k+1} = x_k + \eta p_k`,
    :math:`(B_k + \lambda_k I) p_k = -g_k` by truncated CG.

    ``curvature="hessian"`` uses Hessian-vector products of ``value_fn``; ``"ggn"`` uses
    Gauss-Newton products from the extra arguments ``model_fn`` and ``loss_fn`` (positive
    semi-definite; the choice for mini-batch training of networks). See
    :func:`scale_by_hessian_free` (``cg_stop="progress"``: Martens' CG stopping rule).
    Martens uses Gauss-Newton products and his progress-based CG stop;
    ``optzoo.create("newton_cg", preset="authors")`` selects both.

    Returns:
      A ``GradientTransformationExtraArgs`` taking ``value``, ``value_fn`` (and ``model_fn``,
      ``loss_fn`` for GGN).

    References:
      Martens. Deep learning via Hessian-free optimization. 2010.
      https://www.cs.toronto.edu/~jmartens/docs/Deep_HessianFree.pdf
    """
    return optax.chain(
        scale_by_hessian_free(damping, cg_maxiter, cg_tol, curvature=curvature,
                              adapt_damping=adapt_damping, cg_stop=cg_stop),
        scale_by_learning_rate(learning_rate),
    )  # fmt: skip
