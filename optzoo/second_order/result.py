"""``OptimizeResult``: what ``minimize`` and ``least_squares`` return, in scipy's vocabulary."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import numpy as np

__all__ = ["OptimizeResult", "STATUS_MESSAGES"]

# status -> message; 0 is the only success: the first-order test (gradient tolerance) holds.
# 6 and 7 are stops on the objective / step tests where the gradient test does not hold (scipy
# reports these as successes; optzoo does not).
STATUS_MESSAGES = {
    -1: "Optimization did not run.",
    0: "Optimization terminated successfully.",
    1: "Maximum number of iterations has been exceeded.",
    2: "Desired error not necessarily achieved due to precision loss.",
    3: "NaN or infinite value encountered in the objective or its gradient.",
    4: "The objective function must return a scalar (shape ()); it did not.",
    5: "The trust region radius fell below its lower limit.",
    6: "Stopped by ftol (relative reduction of the objective below ftol); the gradient test "
    "does not hold.",
    7: "Stopped by xtol (step below xtol); the gradient test does not hold.",
}


class OptimizeResult(NamedTuple):
    """Result of :func:`optzoo.minimize` / :func:`optzoo.least_squares` (a pytree of arrays).

    Attributes:
      x: the solution, a pytree shaped like ``x0``.
      fun: objective at ``x`` (for ``least_squares``: the cost ``0.5 * sum(r**2)``).
      grad: gradient at ``x`` (a pytree shaped like ``x0``).
      grad_norm: infinity norm of ``grad``.
      nit: iterations taken.
      nfev: objective evaluations (for ``minimize`` each is one value-and-gradient call).
      njev: gradient / Jacobian evaluations.
      nhev: Hessian evaluations or Hessian(-vector) products.
      status: integer code, a key of ``STATUS_MESSAGES``.
      success: ``status == 0``: the first-order test holds at ``x`` (``grad_norm <= gtol``;
        for ``least_squares`` also the scale-free test of MINPACK / scipy ``lm``). A stop on
        ``ftol`` or ``xtol`` where it does not hold is ``status`` 6 or 7, ``success=False``.

    ``message`` (a property) is the text for ``status``, followed by the final gradient norm
    when the run did not succeed; the result stays a pytree of
    arrays, so ``minimize`` can run under ``jit`` and ``vmap``.
    """

    x: Any
    fun: jax.Array
    grad: Any
    grad_norm: jax.Array
    nit: jax.Array
    nfev: jax.Array
    njev: jax.Array
    nhev: jax.Array
    status: jax.Array
    success: jax.Array

    @property
    def message(self) -> str:
        """scipy-style message for ``status`` (a generic text when ``status`` is traced)."""
        try:
            codes = np.asarray(self.status)
        except Exception:  # noqa: BLE001 - traced status: no concrete message
            return "status is traced; see .status and STATUS_MESSAGES"
        if codes.ndim == 0:
            text = STATUS_MESSAGES.get(int(codes), f"unknown status {int(codes)}")
            if int(codes) != 0:
                try:
                    gn = float(np.asarray(self.grad_norm))
                    text = f"{text} Final gradient norm (inf) {gn:.3g}."
                except Exception:  # noqa: BLE001 - traced or missing grad_norm
                    pass
            return text
        return "; ".join(sorted({STATUS_MESSAGES.get(int(c), str(c)) for c in codes.ravel()}))
