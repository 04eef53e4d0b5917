r"""The Keras presets as data: one :class:`~optzoo.compat._spec.Spec` per Keras optimizer.

Each spec holds the signature of ``keras.optimizers.X.__init__`` (names, defaults,
order), the rows of docs/semantics.md and the update rule
(:mod:`optzoo.compat.keras.kernels`). :mod:`optzoo.compat.keras.optimizers` builds the
public presets from :data:`SPECS`, and ``python -m optzoo.compat.semantics_table``
the table. Every Keras optimizer shares the common options (:data:`COMMON`), which
the loop in :mod:`optzoo.compat.keras.base` implements once.
"""

from __future__ import annotations

import functools

from optzoo.compat._spec import Spec, semantics
from optzoo.compat.keras import kernels

__all__ = ["SPECS", "COMMON", "COMMON_DOC"]

COMMON = (
    "weight_decay",
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
    "exclude_from_weight_decay",
)
"""The options every preset passes to :func:`optzoo.compat.keras.base.keras_transform`."""

COMMON_DOC = """

    The common Keras options are supported: ``weight_decay`` (decoupled,
    ``w -= w * wd * lr`` before the step), ``clipnorm`` (per tensor),
    ``global_clipnorm``, ``clipvalue`` (at most one of the three), ``use_ema``,
    ``ema_momentum``, ``ema_overwrite_frequency`` and ``gradient_accumulation_steps``.
    ``name`` and ``loss_scale_factor`` are accepted (the latter divides the
    gradients). A ``LearningRateSchedule`` is any callable of Keras's raw iteration
    counter, e.g. :mod:`optzoo.compat.keras.schedules`. Keras's
    ``optimizer.exclude_from_weight_decay(var_names=...)`` becomes the extra argument
    ``exclude_from_weight_decay=[...]``: regular expressions searched in each
    parameter's ``"/"``-joined tree path.
"""


def _args(head: str, *, weight_decay: bool = True, tail: str = "") -> str:
    """Keras's parameter list: ``head``, the common options, ``tail``, then the extra."""
    wd = "weight_decay=None, " if weight_decay else ""
    return (
        f"{head}, {wd}clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,"
        " ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,"
        f" gradient_accumulation_steps=None, name=None, {tail}exclude_from_weight_decay=None"
    )


_DECOUPLED = "decoupled, scaled by lr (default None)"

# a preset's rows: _sem(eps, bias_correction, accumulator_init, nesterov=..., weight_decay=...)
_sem = functools.partial(semantics, weight_decay=_DECOUPLED)
_BETAS = "learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7"
_KINGMA = """
    References:
      Kingma & Ba. Adam: A Method for Stochastic Optimization. 2015.
      https://arxiv.org/abs/1412.6980"""

SPECS: list[Spec] = [
    Spec(
        "SGD",
        _args("learning_rate=0.01, momentum=0.0, nesterov=False"),
        kernels.sgd,
        r"""``keras.optimizers.SGD``: :math:`m \leftarrow \mu m - \eta g`,
    :math:`w \leftarrow w + m` (Nesterov: :math:`w \leftarrow w + \mu m - \eta g`).

    References:
      Robbins & Monro. A Stochastic Approximation Method. 1951.
      https://doi.org/10.1214/aoms/1177729586""",
        family="sgd",
        semantics=_sem(
            "none",
            "none",
            "m = 0",
            nesterov="m = mu m - lr g; w += mu m - lr g (lr inside the buffer)",
            weight_decay="decoupled, scaled by lr: w -= w wd lr (default None)",
        ),
    ),
    Spec(
        "RMSprop",
        _args("learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False"),
        kernels.rmsprop,
        r"""``keras.optimizers.RMSprop``: :math:`v \leftarrow \rho v + (1-\rho)g^2`,
    :math:`\Delta = \eta g/\sqrt{v - \bar g^2[\text{centered}] + \epsilon}`,
    :math:`m \leftarrow \mu m + \Delta`, :math:`w \leftarrow w - m`.

    References:
      Tieleman & Hinton. Lecture 6.5, RMSProp. 2012.
      https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf""",
        family="rmsprop",
        semantics=_sem(
            "inside the sqrt: g / sqrt(v + eps)",
            "none",
            "v = 0",
            nesterov="n/a (heavy ball on lr g / sqrt(v + eps))",
        ),
    ),
    Spec(
        "Adam",
        _args(_BETAS + ", amsgrad=False"),
        kernels.adam,
        r"""``keras.optimizers.Adam``:
    :math:`w \leftarrow w - \eta\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\frac{m}{\sqrt v+\epsilon}`
    (``optax.adam(eps=...)`` adds :math:`\epsilon` to :math:`\sqrt{\hat v}` instead).
"""
        + _KINGMA,
        family="adam",
        semantics=_sem(
            "eps_hat: lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps), i.e. eps not bias-corrected",
            "yes, folded into the step size",
            "m = v = 0; amsgrad keeps max of raw v",
        ),
    ),
    Spec(
        "AdamW",
        _args(
            "learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,"
            " amsgrad=False",
            weight_decay=False,
        ),
        kernels.adamw,
        r"""``keras.optimizers.AdamW``: :func:`Adam` with ``weight_decay=0.004``.

    References:
      Loshchilov & Hutter. Decoupled Weight Decay Regularization. 2019.
      https://arxiv.org/abs/1711.05101""",
        family="adamw",
        semantics=_sem(
            "eps_hat: m / (sqrt(v) + eps) with bias corrections in the step size",
            "yes, folded into the step size",
            "m = v = 0",
            weight_decay="decoupled, scaled by lr: w -= w wd lr, before the Adam step",
        ),
    ),
    Spec(
        "Adadelta",
        _args("learning_rate=0.001, rho=0.95, epsilon=1e-7"),
        kernels.adadelta,
        r"""``keras.optimizers.Adadelta`` (Keras's default ``learning_rate`` is 0.001).

    References:
      Zeiler. ADADELTA: An Adaptive Learning Rate Method. 2012. https://arxiv.org/abs/1212.5701""",
        family="adadelta",
        semantics=_sem("sqrt(u + eps) / sqrt(v + eps) g", "none", "v = u = 0"),
    ),
    Spec(
        "Adagrad",
        _args("learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7"),
        kernels.adagrad,
        r"""``keras.optimizers.Adagrad``: :math:`S \leftarrow S + g^2`,
    :math:`w \leftarrow w - \eta g/\sqrt{S+\epsilon}`.

    References:
      Duchi, Hazan & Singer. Adaptive Subgradient Methods for Online Learning and Stochastic
      Optimization. 2011. https://jmlr.org/papers/v12/duchi11a.html""",
        family="adagrad",
        semantics=_sem(
            "inside the sqrt: g / sqrt(sum + eps)",
            "none",
            "initial_accumulator_value (default 0.1)",
        ),
    ),
    Spec(
        "Adamax",
        _args(_BETAS),
        kernels.adamax,
        r"""``keras.optimizers.Adamax``: :math:`u \leftarrow \max(\beta_2 u, |g|)`,
    :math:`w \leftarrow w - \eta m/((1-\beta_1^t)(u+\epsilon))`.
"""
        + _KINGMA,
        family="adamax",
        semantics=_sem(
            "outside the max: m / ((1 - b1^t)(u + eps))", "first moment only", "m = u = 0"
        ),
    ),
    Spec(
        "Nadam",
        _args(_BETAS),
        kernels.nadam,
        r"""``keras.optimizers.Nadam`` (Dozat 2016): PyTorch's NAdam with
    ``momentum_decay=1`` in the exponent of 0.96.

    References:
      Dozat. Incorporating Nesterov Momentum into Adam. 2016.
      https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ""",
        family="nadam",
        semantics=_sem(
            "m_hat / (sqrt(v_hat) + eps)",
            "u-product for m, 1 - b2^t for v",
            "m = v = 0, u_product = 1",
            nesterov="Dozat, momentum schedule u_t = b1 (1 - 0.5 0.96^t) (fixed psi = 1)",
        ),
    ),
    Spec(
        "Ftrl",
        _args(
            "learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,"
            " l1_regularization_strength=0.0, l2_regularization_strength=0.0,"
            " l2_shrinkage_regularization_strength=0.0, beta=0.0"
        ),
        kernels.ftrl,
        r"""``keras.optimizers.Ftrl`` (McMahan et al. 2013, "Ad click prediction: a view
    from the trenches", https://research.google/pubs/pub41159/).

    .. math::
       n' = n + g^2,\; z \leftarrow z + \tilde g - \frac{n'^{-p} - n^{-p}}{\eta} w,\;
       w = \frac{\mathrm{clip}(z, -\ell_1, \ell_1) - z}{n'^{-p}/\eta + 2\ell_2}.""",
    ),
    Spec(
        "Lion",
        _args("learning_rate=0.001, beta_1=0.9, beta_2=0.99"),
        kernels.lion,
        r"""``keras.optimizers.Lion`` (Chen et al. 2023, https://arxiv.org/abs/2302.06675):
    :math:`w \leftarrow w - \eta\,\mathrm{sign}(\beta_1 m + (1-\beta_1) g)`,
    :math:`m \leftarrow \beta_2 m + (1-\beta_2) g`.""",
        family="lion",
        semantics=_sem("none", "none", "m = 0"),
    ),
    Spec(
        "Lamb",
        _args(_BETAS),
        kernels.lamb,
        r"""``keras.optimizers.Lamb`` (You et al. 2020, https://arxiv.org/abs/1904.00962):
    Adam's direction :math:`r = \hat m/(\sqrt{\hat v}+\epsilon)` scaled by the trust
    ratio :math:`\|w\|/\|r\|` per tensor (1 when either norm is 0). Keras applies
    ``weight_decay`` before the step, not inside :math:`r`.""",
    ),
    Spec(
        "Adafactor",
        _args(
            "learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,"
            " clip_threshold=1.0, relative_step=True"
        ),
        kernels.adafactor,
        r"""``keras.optimizers.Adafactor`` (Shazeer & Stern 2018,
    https://arxiv.org/abs/1804.04235), Keras's variant: no first moment, factored
    second moment over the last two axes, step :math:`\min(\eta, 1/\sqrt t)\cdot
    \max(\epsilon_2, \mathrm{RMS}(w))`, update clipped to RMS ``clip_threshold``.""",
        family="adafactor",
        semantics=_sem(
            "epsilon_1 added to g^2 before averaging, epsilon_2 floors the weight RMS",
            "none; beta2_t = 1 - t^beta_2_decay",
            "r = c = v = 0",
        ),
    ),
    Spec(
        "Muon",
        _args(
            "learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999, adam_weight_decay=0.004,"
            " epsilon=1e-7, weight_decay=0.004",
            weight_decay=False,
            tail="exclude_layers=None, exclude_embeddings=True, muon_a=3.4445, muon_b=-4.7750,"
            " muon_c=2.0315, adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True,"
            " rms_rate=0.2, ",
        ),
        kernels.muon,
        r"""``keras.optimizers.Muon`` (Jordan et al. 2024; Liu et al. 2025,
    https://arxiv.org/abs/2502.16982): Newton-Schulz-orthogonalised momentum for
    2-D weights, Adam (Keras's) for the rest.

    .. math::
       m \leftarrow \mu m + g,\; O = \mathrm{NS}_5(g + \mu m \text{ if nesterov else } m),\;
       w \leftarrow w - \eta\, r\sqrt{\max(A,B)}\; O.

    A tensor goes to Adam when it is not 2-D, when ``exclude_embeddings`` and its
    tree path (``"/"``-joined keys) contains ``"embedding"``, or when a regex of
    ``exclude_layers`` matches its path. Weight decay is ``weight_decay`` for Muon
    tensors and ``adam_weight_decay`` for Adam tensors.""",
    ),
]
