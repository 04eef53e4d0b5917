r"""The PyTorch presets as data: one :class:`~optzoo.compat._spec.Spec` per PyTorch optimizer.

Each spec holds the signature of ``torch.optim.X.__init__`` (names, defaults, order),
the ranges PyTorch rejects, how ``weight_decay`` couples, the rows of
docs/semantics.md and the update rule (:mod:`optzoo.compat.torch.kernels`).
:mod:`optzoo.compat.torch.optim` builds the public presets from :data:`SPECS`, and
``python -m optzoo.compat.semantics_table`` the table. Every factory accepts and
ignores PyTorch's execution options ``foreach``, ``fused``, ``capturable`` and
``differentiable``: they change how PyTorch runs the step, not what it computes.
"""

from __future__ import annotations

import functools

from optzoo.compat._spec import Spec, semantics
from optzoo.compat.torch import kernels

__all__ = ["SPECS", "EXECUTION_OPTIONS"]

EXECUTION_OPTIONS = ("foreach", "fused", "capturable", "differentiable")

_ADAM_ARGS = "betas=(0.9, 0.999), eps=1e-8, weight_decay="
_ADAM_RANGES = {"lr": "[0,inf)", "eps": "[0,inf)", "betas": "[0,1)", "weight_decay": "[0,inf)"}
_KINGMA = """
    References:
      Kingma & Ba. Adam: A Method for Stochastic Optimization. 2015.
      https://arxiv.org/abs/1412.6980
"""


# a preset's rows: _sem(eps, bias_correction, accumulator_init, nesterov=..., weight_decay=...)
_sem = functools.partial(semantics, weight_decay="coupled L2: g += wd p")


def _nonneg(*names: str) -> dict[str, str]:
    return dict.fromkeys(names, "[0,inf)")


SPECS: list[Spec] = [
    Spec(
        "SGD",
        "lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, *,"
        " maximize=False, foreach=None, differentiable=False, fused=None",
        kernels.sgd,
        r"""``torch.optim.SGD``.

    .. math::
       g \leftarrow g + \lambda p,\quad b_1 = g_1,\; b_t = \mu b_{t-1} + (1-\tau) g_t,\quad
       p \leftarrow p - \eta\,(g + \mu b_t \text{ if nesterov else } b_t).

    Example:
      >>> from optzoo.compat import torch as ot
      >>> tx = ot.SGD(lr=0.1, momentum=0.9, nesterov=True)

    References:
      Robbins & Monro. A Stochastic Approximation Method. 1951.
      https://doi.org/10.1214/aoms/1177729586
    """,
        family="sgd",
        decay="coupled",
        ranges=_nonneg("lr", "momentum", "weight_decay"),
        semantics=_sem(
            "none",
            "none",
            "b = g at the first step (no dampening)",
            nesterov="u = g + mu b, with b = mu b + (1 - dampening) g",
            weight_decay="coupled L2: g += wd p (before momentum)",
        ),
    ),
    Spec(
        "Adam",
        "lr=1e-3, "
        + _ADAM_ARGS
        + "0.0, amsgrad=False, *, foreach=None, maximize=False, capturable=False,"
        " differentiable=False, fused=None, decoupled_weight_decay=False",
        kernels.adam,
        r"""``torch.optim.Adam``.

    .. math::
       m_t = \beta_1 m + (1-\beta_1) g,\; v_t = \beta_2 v + (1-\beta_2) g^2,\;
       p \leftarrow p - \frac{\eta}{1-\beta_1^t}\,
       \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}.

    With ``amsgrad`` the denominator uses the running maximum of the *raw* :math:`v_t`
    (optax's ``amsgrad`` takes the maximum of the bias-corrected one). The math equals
    ``optzoo.scale_by_adam``; the preset forms :math:`1-\beta^t` as PyTorch does (in
    float64, here via ``expm1``), which ``scale_by_adam`` does in float32 with a
    relative error up to 1e-5 in the first steps.

    Example:
      >>> from optzoo.compat import torch as ot
      >>> tx = ot.Adam(lr=1e-3, weight_decay=1e-2)
    """
        + _KINGMA,
        family="adam",
        decay="switch",
        ranges=_ADAM_RANGES,
        semantics=_sem(
            "m_hat / (sqrt(v_hat) + eps)",
            "yes, both moments",
            "m = v = 0; amsgrad keeps max of raw v",
            weight_decay="coupled L2: g += wd p (decoupled_weight_decay=True: AdamW)",
        ),
    ),
    Spec(
        "AdamW",
        "lr=1e-3, "
        + _ADAM_ARGS
        + "1e-2, amsgrad=False, *, maximize=False, foreach=None, capturable=False,"
        " differentiable=False, fused=None",
        kernels.adam,
        r"""``torch.optim.AdamW``: :func:`Adam` with decoupled weight decay
    :math:`p \leftarrow p(1-\eta\lambda)` (PyTorch's default ``weight_decay=1e-2``).

    Example:
      >>> from optzoo.compat import torch as ot
      >>> tx = ot.AdamW(lr=3e-4)

    References:
      Loshchilov & Hutter. Decoupled Weight Decay Regularization. 2019.
      https://arxiv.org/abs/1711.05101
    """,
        family="adamw",
        decay="decoupled",
        ranges=_ADAM_RANGES,
        semantics=_sem(
            "m_hat / (sqrt(v_hat) + eps)",
            "yes, both moments",
            "m = v = 0",
            weight_decay="decoupled, scaled by lr: p *= 1 - lr wd",
        ),
    ),
    Spec(
        "Adagrad",
        "lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,"
        " foreach=None, *, maximize=False, differentiable=False, fused=None",
        kernels.adagrad,
        r"""``torch.optim.Adagrad``.

    .. math::
       S \leftarrow S + g^2,\quad
       p \leftarrow p - \frac{\eta}{1+(t-1)\,\delta}\,\frac{g}{\sqrt{S}+\epsilon}.

    References:
      Duchi, Hazan & Singer. Adaptive Subgradient Methods for Online Learning and Stochastic
      Optimization. 2011. https://jmlr.org/papers/v12/duchi11a.html
    """,
        family="adagrad",
        decay="coupled",
        ranges=_nonneg("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"),
        semantics=_sem(
            "g / (sqrt(sum) + eps)",
            "none; lr / (1 + (t - 1) lr_decay)",
            "initial_accumulator_value (default 0)",
        ),
    ),
    Spec(
        "RMSprop",
        "lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,"
        " capturable=False, foreach=None, maximize=False, differentiable=False",
        kernels.rmsprop,
        r"""``torch.optim.RMSprop``: ``optzoo.scale_by_rms`` (or ``scale_by_stddev`` when
    centered) with ``eps`` outside the square root, then a heavy-ball ``trace``.

    .. math::
       v \leftarrow \alpha v + (1-\alpha) g^2,\quad
       b \leftarrow \mu b + \frac{g}{\sqrt{v - \bar g^2 \,[\text{centered}]} + \epsilon},\quad
       p \leftarrow p - \eta b.

    References:
      Tieleman & Hinton. Lecture 6.5, RMSProp. 2012.
      https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf
    """,
        family="rmsprop",
        decay="coupled",
        ranges=_nonneg("lr", "eps", "momentum", "weight_decay", "alpha"),
        semantics=_sem(
            "g / (sqrt(v) + eps)",
            "none",
            "v = 0",
            nesterov="n/a (heavy ball on g / (sqrt(v) + eps))",
        ),
    ),
    Spec(
        "Adadelta",
        "lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, foreach=None, *, capturable=False,"
        " maximize=False, differentiable=False",
        kernels.adadelta,
        r"""``torch.optim.Adadelta`` (``optzoo.scale_by_adadelta`` scaled by ``lr``, and
    ``rho=1`` allowed as in PyTorch).

    .. math::
       v \leftarrow \rho v + (1-\rho) g^2,\;
       \Delta = \frac{\sqrt{u+\epsilon}}{\sqrt{v+\epsilon}} g,\;
       u \leftarrow \rho u + (1-\rho)\Delta^2,\; p \leftarrow p - \eta\Delta.

    References:
      Zeiler. ADADELTA: An Adaptive Learning Rate Method. 2012. https://arxiv.org/abs/1212.5701
    """,
        family="adadelta",
        decay="coupled",
        ranges={**_nonneg("lr", "eps", "weight_decay"), "rho": "[0,1]"},
        semantics=_sem("sqrt(u + eps) / sqrt(v + eps) g", "none", "v = u = 0"),
    ),
    Spec(
        "Adamax",
        "lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, foreach=None, *,"
        " maximize=False, differentiable=False, capturable=False",
        kernels.adamax,
        r"""``torch.optim.Adamax``.

    .. math::
       m \leftarrow \beta_1 m + (1-\beta_1) g,\; u \leftarrow \max(\beta_2 u, |g|+\epsilon),\;
       p \leftarrow p - \frac{\eta}{1-\beta_1^t}\frac{m}{u}.
    """
        + _KINGMA,
        family="adamax",
        decay="coupled",
        ranges=_ADAM_RANGES,
        semantics=_sem(
            "inside the max: u = max(b2 u, |g| + eps)", "first moment only", "m = u = 0"
        ),
    ),
    Spec(
        "NAdam",
        "lr=2e-3, " + _ADAM_ARGS + "0.0, momentum_decay=4e-3, decoupled_weight_decay=False, *,"
        " foreach=None, maximize=False, capturable=False, differentiable=False",
        kernels.nadam,
        r"""``torch.optim.NAdam``.

    .. math::
       \mu_t = \beta_1(1-\tfrac12 0.96^{t\psi}),\;
       p \leftarrow p - \eta\Big[\frac{(1-\mu_t) g}{1-\prod_{i\le t}\mu_i}
       + \frac{\mu_{t+1} m_t}{1-\prod_{i\le t+1}\mu_i}\Big]
       \Big/ \Big(\sqrt{v_t/(1-\beta_2^t)}+\epsilon\Big).

    References:
      Dozat. Incorporating Nesterov Momentum into Adam. 2016.
      https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ
    """,
        family="nadam",
        decay="switch",
        ranges={**_ADAM_RANGES, **_nonneg("momentum_decay")},
        semantics=_sem(
            "m_hat / (sqrt(v_hat) + eps)",
            "mu-product for m, 1 - b2^t for v",
            "m = v = 0, mu_product = 1",
            nesterov="Dozat, with momentum schedule mu_t = b1 (1 - 0.5 0.96^(t psi))",
            weight_decay="coupled L2 (decoupled_weight_decay=True: p *= 1 - lr wd)",
        ),
    ),
    Spec(
        "RAdam",
        "lr=1e-3, "
        + _ADAM_ARGS
        + "0.0, decoupled_weight_decay=False, *, foreach=None, maximize=False,"
        " capturable=False, differentiable=False",
        kernels.radam,
        r"""``torch.optim.RAdam`` (Liu et al. 2020, https://arxiv.org/abs/1908.03265).

    .. math::
       \rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t},\;
       p \leftarrow p - \eta\,\hat m_t\,\Big[r_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon}
       \text{ if } \rho_t > 5 \text{ else } 1\Big].
    """,
        family="radam",
        decay="switch",
        ranges=_ADAM_RANGES,
        semantics=_sem(
            "sqrt(1 - b2^t) / (sqrt(v) + eps)",
            "yes; un-adapted SGD step while rho_t <= 5",
            "m = v = 0",
            weight_decay="coupled L2 (decoupled_weight_decay=True: p *= 1 - lr wd)",
        ),
    ),
    Spec(
        "Rprop",
        "lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,"
        " maximize=False, differentiable=False",
        kernels.rprop,
        r"""``torch.optim.Rprop`` (Riedmiller & Braun 1993), PyTorch's variant (Rprop-):
    after a sign flip the step size shrinks and that coordinate's gradient is zeroed.

    .. math::
       \Delta \leftarrow \mathrm{clip}(\Delta\cdot\eta_{\pm}),\quad
       p \leftarrow p - \mathrm{sign}(g)\Delta.

    ``lr`` is the initial step size; a schedule is read once, at step 0.

    References:
      Riedmiller & Braun. A direct adaptive method for faster backpropagation learning: the
      RPROP algorithm. 1993. https://doi.org/10.1109/ICNN.1993.298623
    """,
        family="rprop",
        ranges=_nonneg("lr"),
        semantics=_sem(
            "none", "none", "step size = lr, previous gradient = 0", weight_decay="none"
        ),
    ),
    Spec(
        "ASGD",
        "lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, foreach=None,"
        " maximize=False, differentiable=False, capturable=False",
        kernels.asgd,
        r"""``torch.optim.ASGD`` (Polyak & Juditsky 1992): decayed SGD plus a running
    average ``ax`` of the iterates, kept in ``state.slots["ax"]``.

    .. math::
       p \leftarrow p(1-\lambda\eta_t) - \eta_t g,\quad
       \eta_{t+1} = \frac{\eta_0}{(1+\lambda\eta_0 t)^\alpha},\quad
       \bar x \leftarrow \bar x + \mu_t (p - \bar x),\; \mu_{t+1} = 1/\max(1, t - t_0).

    References:
      Polyak & Juditsky. Acceleration of Stochastic Approximation by Averaging. 1992.
      https://doi.org/10.1137/0330046
    """,
        family="asgd",
        decay="coupled",
        ranges=_nonneg("lr", "weight_decay"),
        semantics=_sem("none", "none", "eta = lr, mu = 1, ax = 0"),
    ),
    Spec(
        "Adafactor",
        "lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,"
        " foreach=None, maximize=False",
        kernels.adafactor,
        r"""``torch.optim.Adafactor`` (Shazeer & Stern 2018, https://arxiv.org/abs/1804.04235),
    PyTorch's variant: no first moment, relative step :math:`\min(\eta, 1/\sqrt t)`.

    Tensors with two or more dimensions keep factored row/column statistics over the
    last two axes; vectors and scalars keep a full second moment.
    """,
        family="adafactor",
        decay="decoupled",
        ranges={**_nonneg("lr", "eps", "weight_decay"), "beta2_decay": "(-inf,0]", "d": "[1,inf)"},
        semantics=_sem(
            "eps1 clamps the variance estimate (eps1^2), eps2 floors the parameter RMS",
            "none; beta2_t = 1 - t^beta2_decay",
            "row/col/full variance = 0",
            weight_decay="decoupled: p *= 1 - lr wd",
        ),
    ),
    Spec(
        "Muon",
        "lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,"
        " ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5, adjust_lr_fn=None, *,"
        " ns_dtype=bfloat16",
        kernels.muon,
        r"""``torch.optim.Muon`` (Jordan et al. 2024, https://kellerjordan.github.io/posts/muon/).

    .. math::
       B \leftarrow \mu B + (1-\mu) g,\;
       O = \mathrm{NS}_k\big((1-\mu) g + \mu B \text{ if nesterov else } B\big),\;
       p \leftarrow p(1-\eta\lambda) - \eta\,s(A, B)\, O,

    with :math:`s = \sqrt{\max(1, A/B)}` (``"original"``) or :math:`0.2\sqrt{\max(A,B)}`
    (``"match_rms_adamw"``). Parameters must be 2-D, as in PyTorch. PyTorch runs the
    Newton-Schulz iteration in bfloat16 (``ns_dtype``, an optzoo extra): trajectories
    then agree only to bfloat16 precision.
    """,
        decay="decoupled",
        ranges=_nonneg("lr", "momentum", "weight_decay"),
    ),
]
