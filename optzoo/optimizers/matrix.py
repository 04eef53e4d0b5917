"""Matrix-preconditioned optimizers: Muon, Scion, Shampoo, SOAP and PSGD-Kron.

Each treats leaves of rank >= 2 as matrices (reshape rule ``higher_rank``, see
:mod:`optzoo.transforms.matrix.utils`) and has a documented fallback for rank 0/1
leaves (biases, norms, scalars).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from optzoo.core.validation import check_decay, check_finite, check_nonnegative
from optzoo.optimizers._common import decay_before_learning_rate
from optzoo.registry import Authors, Reference, register
from optzoo.transforms.matrix.adamuon import scale_by_adamuon
from optzoo.transforms.matrix.muon import MUON_NS_COEFFS, scale_by_muon
from optzoo.transforms.matrix.normuon import scale_by_normuon
from optzoo.transforms.matrix.psgd import scale_by_kron
from optzoo.transforms.matrix.scion import scale_by_scion
from optzoo.transforms.matrix.scionlight import scale_by_scion_light
from optzoo.transforms.matrix.shampoo import scale_by_shampoo
from optzoo.transforms.matrix.soap import scale_by_soap
from optzoo.transforms.matrix.spectral_sphere import scale_by_spectral_sphere
from optzoo.transforms.matrix.splus import scale_by_splus, scale_by_splus_shape, splus_leaf_scale
from optzoo.transforms.scaling import scale_by_learning_rate

__all__ = [
    "adamuon",
    "muon",
    "normuon",
    "psgd_kron",
    "scion",
    "scionlight",
    "shampoo",
    "soap",
    "spectralsphere",
    "splus",
]

JORDAN_2024 = Reference(
    "Keller Jordan, Yuchen Jin, Vlado Boza, Jiacheng You, Franz Cesista, Laker Newhouse, "
    "Jeremy Bernstein",
    "Muon: An optimizer for hidden layers in neural networks",
    2024,
    "https://kellerjordan.github.io/posts/muon/",
)

GUPTA_2018 = Reference(
    "Vineet Gupta, Tomer Koren, Yoram Singer",
    "Shampoo: Preconditioned Stochastic Tensor Optimization",
    2018,
    "https://arxiv.org/abs/1802.09568",
)
VYAS_2024 = Reference(
    "Nikhil Vyas, Depen Morwani, Rosie Zhao, Mujin Kwun, Itai Shapira, David Brandfonbrener, "
    "Lucas Janson, Sham Kakade",
    "SOAP: Improving and Stabilizing Shampoo using Adam",
    2024,
    "https://arxiv.org/abs/2409.11321",
)
PETHICK_2025 = Reference(
    "Thomas Pethick, Wanyun Xie, Kimon Antonakopoulos, Zhenyu Zhu, Antonio Silveti-Falls, "
    "Volkan Cevher",
    "Training Deep Learning Models with Norm-Constrained LMOs",
    2025,
    "https://arxiv.org/abs/2502.07529",
)
SI_2025 = Reference(
    "Chongjie Si, Debing Zhang, Wei Shen",
    "AdaMuon: Adaptive Muon Optimizer",
    2025,
    "https://arxiv.org/abs/2507.11005",
)
LI_2025 = Reference(
    "Zichong Li, Liming Liu, Chen Liang, Weizhu Chen, Tuo Zhao",
    "NorMuon: Making Muon more efficient and scalable",
    2025,
    "https://arxiv.org/abs/2510.05491",
)
_SCION_NO_PACKAGE = (
    "the authors published no package: their reference is one PyTorch file in their "
    "repository (LIONS-EPFL/scion), not on the package index"
)
LI_2015 = Reference(
    "Xi-Lin Li",
    "Preconditioned Stochastic Gradient Descent",
    2015,
    "https://arxiv.org/abs/1512.04202",
)


def _matrix_labels(higher_rank: str, matrix: str, other: str) -> Callable[[Any], Any]:
    def labels(params: Any) -> Any:
        def one(x: Any) -> str:
            nd = len(getattr(x, "shape", ()))
            if nd == 2 or (nd > 2 and higher_rank != "adam"):
                return matrix
            return other

        return jax.tree.map(one, params)

    return labels


def _check_adamw_fallback(
    learning_rate: Any,
    weight_decay: Any,
    adam_b1: Any,
    adam_b2: Any,
    adam_eps: Any,
    adam_weight_decay: Any,
) -> None:
    """The checks of a matrix optimizer with an AdamW fallback for the other leaves."""
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    check_decay("adam_b1", adam_b1)
    check_decay("adam_b2", adam_b2)
    check_nonnegative("adam_eps", adam_eps)
    check_nonnegative("adam_weight_decay", adam_weight_decay)


def _with_adamw_fallback(
    name: str,
    direction: optax.GradientTransformation,
    learning_rate: optax.ScalarOrSchedule,
    weight_decay: Any,
    weight_decay_mask: Any,
    higher_rank: str,
    adam_learning_rate: optax.ScalarOrSchedule | None,
    /,
    **adam_kwargs: Any,
) -> optax.GradientTransformation:
    """``optax.partition``: matrices (by ``higher_rank``, see :func:`_matrix_labels`) take
    ``direction``, decoupled decay and the learning rate under label ``name``; the other
    leaves ``optax.adamw(adam_learning_rate, **adam_kwargs)`` (``None``: ``learning_rate``)
    under ``"adam"``."""
    return optax.partition(
        {
            name: optax.chain(
                direction,
                optax.add_decayed_weights(weight_decay, weight_decay_mask),
                scale_by_learning_rate(learning_rate),
            ),
            "adam": optax.adamw(
                learning_rate if adam_learning_rate is None else adam_learning_rate,
                **adam_kwargs,
            ),
        },
        _matrix_labels(higher_rank, name, "adam"),
    )


@register(
    "muon",
    family="matrix",
    reference=JORDAN_2024,
    state_per_param=1,
    defaults={"learning_rate": 0.02},
    also_in=("optax.contrib",),
    authors=Authors(
        code="muon-optimizer==0.1.0",
        preset={
            "bias_correction": False,
            "eps": 1e-7,
            "higher_rank": "batch",
            "matrix_layout": "out_in",
            "adam_b2": 0.95,
            "adam_eps": 1e-10,
            "adam_nesterov": False,
            "adam_learning_rate": 3e-4,
        },
        differences=(
            "optax's bias-corrected momentum, Frobenius eps 1e-8, rank-3 leaves flattened, "
            "(fan_in, fan_out) shape scale, AdamW fallback with the Muon lr, b2 0.999, "
            "eps 1e-8 and Nesterov; the authors' Newton-Schulz runs in bfloat16"
        ),
    ),
)
def muon(
    learning_rate: optax.ScalarOrSchedule,
    ns_coeffs: Sequence[float] | Sequence[Sequence[float]] = MUON_NS_COEFFS,
    ns_steps: int = 5,
    beta: float = 0.95,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    weight_decay_mask: Any | None = None,
    mu_dtype: Any | None = None,
    *,
    nesterov: bool = True,
    bias_correction: bool = True,
    higher_rank: str = "flatten",
    consistent_rms: float | None = None,
    adam_b1: float = 0.9,
    adam_b2: float = 0.999,
    adam_eps_root: float = 0.0,
    adam_weight_decay: float = 0.0,
    adam_learning_rate: optax.ScalarOrSchedule | None = None,
    precond_dtype: Any | None = None,
    block_mesh: jax.sharding.Mesh | None = None,
    matrix_layout: str = "in_out",
    adam_eps: float | None = None,
    adam_nesterov: bool | None = None,
) -> optax.GradientTransformation:
    r"""Muon: MomentUm Orthogonalized by Newton-Schulz, with AdamW for non-matrix leaves.

    For each matrix leaf (see :func:`optzoo.scale_by_muon`):

    .. math::
       m_t = \beta m_{t-1} + (1-\beta) g_t, \quad
       x_{t+1} = x_t - \eta\,\big(s(m,n)\,\mathrm{NS}_5(\hat m_t) + \lambda x_t\big),

    where :math:`\hat m_t` is the (bias-corrected, Nesterov) momentum and
    :math:`\mathrm{NS}_5` five quintic Newton-Schulz steps. Leaves of rank 0/1 (and
    rank > 2 with ``higher_rank="adam"``) get AdamW with ``adam_*`` settings and
    Nesterov momentum when ``nesterov`` is set; zero-size matrix leaves get
    zero-size updates.

    Reshape rule for rank > 2 leaves, ``higher_rank``: ``"flatten"`` (default)
    views ``(d_1, ..., d_k)`` as ``(d_1 \cdots d_{k-1}, d_k)``; ``"batch"``
    orthogonalises each ``(d_{k-1}, d_k)`` slice; ``"adam"`` sends them to AdamW
    (``optax.contrib.muon``'s default). On trees whose leaves have rank <= 2,
    and with ``higher_rank="adam"`` on any tree, the numbers equal
    ``optax.contrib.muon`` with the same arguments. ``bias_correction=False``
    gives Keller Jordan's PyTorch momentum instead.

    optzoo's defaults are ``optax.contrib.muon``'s; ``optzoo.create("muon",
    preset="authors")`` gives Keller Jordan's ``SingleDeviceMuonWithAuxAdam`` (raw momentum,
    eps 1e-7, batched rank-3 leaves, PyTorch ``(out, in)`` shape scale, aux Adam lr 3e-4,
    betas (0.9, 0.95), eps 1e-10, no Nesterov), except that their Newton-Schulz runs in
    bfloat16 and optzoo's in float32 (``precond_dtype=jnp.bfloat16`` for theirs).
    ``torch.optim.Muon`` (2-D leaves only, AdamW for the rest) is ``bias_correction=False,
    eps=1e-7, higher_rank="adam", matrix_layout="out_in", adam_eps=1e-8,
    adam_nesterov=False`` plus ``consistent_rms=0.2`` for ``adjust_lr_fn="match_rms_adamw"``.

    Args:
      learning_rate: step size :math:`\eta` of the matrix leaves.
      ns_coeffs: Newton-Schulz coefficients ``(a, b, c)`` or one triple per step.
      ns_steps: Newton-Schulz steps.
      beta: momentum decay.
      eps: Newton-Schulz normalisation epsilon and Adam epsilon.
      weight_decay: decoupled decay :math:`\lambda` (times :math:`\eta`) for matrices.
      weight_decay_mask: mask (or callable) for the matrix weight decay.
      mu_dtype: momentum dtype.
      nesterov: Nesterov momentum (Muon and the AdamW fallback).
      bias_correction: optax's bias-corrected momentum (default) or Jordan's raw one.
      higher_rank: ``"flatten"``, ``"batch"`` or ``"adam"``.
      consistent_rms: if set, scale updates to this RMS (Liu et al. 2025).
      adam_b1: AdamW fallback :math:`\beta_1`.
      adam_b2: AdamW fallback :math:`\beta_2`.
      adam_eps_root: AdamW fallback epsilon inside the root.
      adam_weight_decay: AdamW fallback weight decay.
      adam_learning_rate: AdamW fallback step size (default: ``learning_rate``).
      precond_dtype: Newton-Schulz dtype, e.g. ``jnp.bfloat16`` (see
        :func:`optzoo.scale_by_muon`; ``None``: float32).
      block_mesh: 1-D mesh to shard the stacked matrices over (see
        :func:`optzoo.scale_by_muon`).
      matrix_layout: ``"in_out"`` (JAX kernels) or ``"out_in"`` (PyTorch weights): which
        side is fan-out in the shape scale (see :func:`optzoo.scale_by_muon`).
      adam_eps: AdamW fallback epsilon (default: ``eps``).
      adam_nesterov: Nesterov momentum in the AdamW fallback (default: ``nesterov``).

    Returns:
      A ``GradientTransformation`` (an ``optax.partition`` of Muon and AdamW).

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.muon(0.02)
      >>> state = tx.init({"w": jnp.ones((8, 4)), "b": jnp.zeros(4)})

    References:
      Jordan, Jin, Boza, You, Cesista, Newhouse, Bernstein. Muon: An optimizer for
      hidden layers in neural networks. 2024. https://kellerjordan.github.io/posts/muon/
    """
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    check_decay("adam_b1", adam_b1)
    check_decay("adam_b2", adam_b2)
    check_nonnegative("adam_eps_root", adam_eps_root)
    check_nonnegative("adam_weight_decay", adam_weight_decay)
    if higher_rank not in ("flatten", "batch", "adam"):
        raise ValueError(f"higher_rank must be 'flatten', 'batch' or 'adam', got {higher_rank!r}")
    if adam_eps is None:
        adam_eps = eps
    else:
        check_nonnegative("adam_eps", adam_eps)
    direction = scale_by_muon(
        ns_coeffs,
        ns_steps,
        beta,
        eps,
        mu_dtype,
        nesterov=nesterov,
        bias_correction=bias_correction,
        higher_rank="flatten" if higher_rank == "adam" else higher_rank,
        consistent_rms=consistent_rms,
        precond_dtype=precond_dtype,
        block_mesh=block_mesh,
        matrix_layout=matrix_layout,
    )
    return _with_adamw_fallback(
        "muon",
        direction,
        learning_rate,
        weight_decay,
        weight_decay_mask,
        higher_rank,
        adam_learning_rate,
        b1=adam_b1,
        b2=adam_b2,
        eps=adam_eps,
        eps_root=adam_eps_root,
        weight_decay=adam_weight_decay,
        mu_dtype=mu_dtype,
        nesterov=nesterov if adam_nesterov is None else adam_nesterov,
    )


@register(
    "shampoo",
    family="matrix",
    reference=GUPTA_2018,
    state_per_param=6,
    defaults={"learning_rate": 1e-3},
    also_in=(),
    authors=Authors(
        code="paper, Algorithm 1",
        preset={
            "beta1": 0.0,
            "beta2": 1.0,
            "graft": "none",
            "precondition_frequency": 1,
            "start_preconditioning_step": 1,
        },
        differences=(
            "momentum 0.9, EMA statistics (beta2 0.999), Adam grafting and roots refreshed "
            "every 10 steps (the paper: none, sums, none, every step); rank >= 3 leaves "
            "flattened (Algorithm 2: one factor per axis); vectors: diagonal AdaGrad"
        ),
        no_package=(
            "the authors published no package of the 2018 algorithm; their distributed "
            "Shampoo (google-research scalable_shampoo) is repository code, not on the index"
        ),
    ),
)
def shampoo(
    learning_rate: optax.ScalarOrSchedule,
    beta1: float = 0.9,
    beta2: float = 0.999,
    block_size: int | None = None,
    matrix_eps: float = 1e-6,
    precondition_frequency: int = 10,
    start_preconditioning_step: int = 1,
    graft: str = "adam",
    graft_beta2: float = 0.999,
    graft_eps: float = 1e-8,
    weight_decay: float = 0.0,
    weight_decay_mask: Any | None = None,
    *,
    nesterov: bool = False,
    root_method: str = "eigh",
    higher_rank: str = "flatten",
    precond_dtype: Any | None = None,
    block_mesh: jax.sharding.Mesh | None = None,
) -> optax.GradientTransformation:
    r"""Blocked Shampoo with grafting, momentum and decoupled weight decay.

    .. math::
       u_t = \mathrm{graft}\big((L_t+\epsilon I)^{-1/4} G_t (R_t+\epsilon I)^{-1/4}\big),\quad
       m_t = \beta_1 m_{t-1} + u_t,\quad x_{t+1} = x_t - \eta(m_t + \lambda x_t),

    per ``block_size`` tile, the inverse roots refreshed every
    ``precondition_frequency`` steps by eigendecomposition or the coupled Newton
    iteration (``root_method``). See :func:`optzoo.scale_by_shampoo` for the
    statistics, grafting, tiling and the rank 0/1 fallback (grafting direction).
    ``beta1=0, beta2=1, graft="none", precondition_frequency=1`` is the original Shampoo of
    Gupta et al. (Algorithm 1; ``optzoo.create("shampoo", preset="authors")``); deliberate
    differences from the paper: rank >= 3 leaves are viewed as matrices (``higher_rank``)
    where Algorithm 2 keeps one factor per axis with exponent :math:`-1/2k`, and rank-1
    leaves get diagonal AdaGrad where Algorithm 2 is full-matrix AdaGrad. Differences from
    the conventions of Anil et al.'s distributed Shampoo (google-research
    ``scalable_shampoo``, defaults: ``beta1=0.9``, ``beta2=0.999``, Nesterov, SGD grafting,
    ``start_preconditioning_step=5``, roots every step by the coupled Newton iteration):
    its ``matrix_epsilon`` (1e-6) is relative to the statistic's largest eigenvalue, optzoo's
    ``matrix_eps`` is absolute; its grafting norm and ours are both per block (tile); it
    merges small axes before blocking, optzoo flattens or batches (``higher_rank``); its
    weight decay is coupled by default, optzoo's decoupled.

    Args:
      learning_rate: step size :math:`\eta`.
      beta1: heavy-ball momentum on the grafted update (0 disables it).
      beta2: statistics decay (1: running sum).
      block_size: tile size (``None``: 128).
      matrix_eps: ridge added before the inverse roots.
      precondition_frequency: steps between inverse-root refreshes.
      start_preconditioning_step: first step using the Shampoo direction.
      graft: ``"adam"``, ``"adagrad"``, ``"sgd"`` or ``"none"``.
      graft_beta2: Adam-grafting second-moment decay.
      graft_eps: grafting epsilon.
      weight_decay: decoupled decay :math:`\lambda`.
      weight_decay_mask: weight-decay mask.
      nesterov: Nesterov momentum.
      root_method: ``"eigh"`` or ``"newton"``.
      higher_rank: reshape rule for rank > 2 leaves.
      precond_dtype: dtype of the statistics and preconditioning matmul inputs, e.g.
        ``jnp.bfloat16`` (see :func:`optzoo.scale_by_shampoo`; ``None``: float32).
      block_mesh: 1-D mesh to shard the stacked tiles over (see
        :func:`optzoo.scale_by_shampoo`).

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.shampoo(1e-3, block_size=256, graft="adagrad")

    References:
      Gupta, Koren, Singer. Shampoo: Preconditioned Stochastic Tensor Optimization. 2018.
      https://arxiv.org/abs/1802.09568
      Anil, Gupta, Koren, Regan, Singer. Scalable Second Order Optimization for Deep
      Learning. 2020. https://arxiv.org/abs/2002.09018
    """
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    check_decay("beta1", beta1)
    return optax.chain(
        scale_by_shampoo(
            block_size,
            beta2,
            matrix_eps,
            precondition_frequency,
            start_preconditioning_step,
            graft,
            graft_beta2,
            graft_eps,
            root_method=root_method,
            higher_rank=higher_rank,
            precond_dtype=precond_dtype,
            block_mesh=block_mesh,
        ),
        optax.trace(beta1, nesterov) if not _is_zero(beta1) else optax.identity(),
        optax.add_decayed_weights(weight_decay, weight_decay_mask),
        scale_by_learning_rate(learning_rate),
    )


def _is_zero(x: Any) -> bool:
    return isinstance(x, (int, float)) and float(x) == 0.0


@register(
    "soap",
    family="matrix",
    reference=VYAS_2024,
    state_per_param=6,
    defaults={"learning_rate": 3e-3},
    also_in=(),
    authors=Authors(
        code="paper, Algorithms 3 and 4",
        preset={"decay_updated_weights": True},
        differences=(
            "weight decay on the weights before the update and also at step 1 (theirs: on the "
            "updated weights, none at step 1); rank >= 3 leaves flattened to a matrix (theirs: "
            "one factor per axis)"
        ),
        no_package=(
            "the authors published no package: their reference is one PyTorch file in their "
            "repository (nikhilvyas/SOAP), not on the package index"
        ),
    ),
)
def soap(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.95,
    b2: float = 0.95,
    shampoo_beta: float | None = None,
    eps: float = 1e-8,
    weight_decay: float = 0.01,
    weight_decay_mask: Any | None = None,
    precondition_frequency: int = 10,
    max_precondition_dim: int = 10000,
    *,
    higher_rank: str = "flatten",
    precond_dtype: Any | None = None,
    block_mesh: jax.sharding.Mesh | None = None,
    decay_updated_weights: bool = False,
) -> optax.GradientTransformation:
    r"""SOAP: Adam in Shampoo's eigenbasis, with decoupled weight decay.

    .. math:: x_{t+1} = x_t - \eta\,(u_t + \lambda x_t),

    with :math:`u_t` from :func:`optzoo.scale_by_soap` (zero at step 1, which only
    builds the preconditioner). The authors' code decays the already-updated
    weights, :math:`x_{t+1} = (x_t - \eta u_t)(1 - \eta\lambda)`, and not at all at step 1;
    optzoo uses the optax form above (they differ by :math:`\eta^2\lambda u_t`), and
    ``decay_updated_weights=True`` gives theirs. ``optzoo.create("soap", preset="authors")``
    gives the authors' code (Vyas et al.'s ``soap.py``) but for rank >= 3 leaves, which
    optzoo views as matrices (``higher_rank``) where they keep one factor per axis.

    Args:
      learning_rate: step size :math:`\eta`.
      b1: first-moment decay.
      b2: second-moment decay.
      shampoo_beta: preconditioner statistics decay (``None``: ``b2``).
      eps: Adam epsilon.
      weight_decay: decoupled decay :math:`\lambda`.
      weight_decay_mask: weight-decay mask.
      precondition_frequency: steps between eigenbasis refreshes.
      max_precondition_dim: longest side that is rotated.
      higher_rank: reshape rule for rank > 2 leaves.
      precond_dtype: dtype of the statistics and rotation matmul inputs, e.g.
        ``jnp.bfloat16`` (see :func:`optzoo.scale_by_soap`; ``None``: float32).
      block_mesh: 1-D mesh to shard the stacked matrices over (see
        :func:`optzoo.scale_by_soap`).
      decay_updated_weights: decay the updated weights, none at step 1 (authors' code).

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.soap(3e-3)

    References:
      Vyas, Morwani, Zhao, Kwun, Shapira, Brandfonbrener, Janson, Kakade. SOAP: Improving
      and Stabilizing Shampoo using Adam. 2024. https://arxiv.org/abs/2409.11321
    """
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    return optax.chain(
        scale_by_soap(
            b1,
            b2,
            shampoo_beta,
            eps,
            precondition_frequency,
            max_precondition_dim,
            higher_rank=higher_rank,
            precond_dtype=precond_dtype,
            block_mesh=block_mesh,
        ),
        decay_before_learning_rate(
            learning_rate,
            weight_decay,
            weight_decay_mask,
            skip_first_step=True,
            name="soap's decay_updated_weights",
        )
        if decay_updated_weights
        else optax.add_decayed_weights(weight_decay, weight_decay_mask),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "scion",
    family="matrix",
    reference=PETHICK_2025,
    state_per_param=1,
    defaults={"learning_rate": 0.01},
    also_in=(),
    authors=Authors(
        code="paper, the uSCG and SCG algorithm boxes",
        preset={"momentum": 1.0, "constraint": True, "matrix_layout": "out_in"},
        differences=(
            "momentum 0.1 (theirs 1.0: none), unconstrained (theirs constrained), JAX (in, out) "
            "shape scales; rank-3/4 leaves flattened (theirs: a conv rule), float32 "
            "Newton-Schulz (theirs bfloat16, eps 1e-7)"
        ),
        no_package=_SCION_NO_PACKAGE,
    ),
)
def scion(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float = 0.1,
    norms: Any = "auto",
    scale: float = 1.0,
    weight_decay: float = 0.0,
    weight_decay_mask: Any | None = None,
    *,
    constraint: bool = False,
    ns_steps: int = 5,
    higher_rank: str = "flatten",
    matrix_layout: str = "in_out",
) -> optax.GradientTransformation:
    r"""Scion: (unconstrained) stochastic conditional gradient with per-layer norm LMOs.

    .. math::
       d_t = (1-\alpha) d_{t-1} + \alpha g_t,\qquad
       x_{t+1} = x_t - \eta\,\big(\rho\,\mathrm{lmo}(d_t) + \lambda x_t\big)
       \quad\text{(uSCG)},\qquad
       x_{t+1} = (1-\eta) x_t - \eta\rho\,\mathrm{lmo}(d_t)\quad\text{(SCG, constraint=True)},

    with the per-leaf normalisations of :func:`optzoo.scale_by_scion` (``norms``) and
    radius :math:`\rho` = ``scale``. In the constrained form the weight decay is
    the :math:`\eta x_t` term itself (``weight_decay`` is ignored).

    ``optzoo.create("scion", preset="authors")`` gives the defaults of the authors' ``Scion``
    class (no momentum, the constrained update, PyTorch ``(out, in)`` shape scales); their
    conv rule for rank-3/4 leaves and their bfloat16 Newton-Schulz are not reproduced.

    Args:
      learning_rate: step size :math:`\eta`.
      momentum: :math:`\alpha`, the weight of the new gradient (paper: 0.1).
      norms: per-leaf norm names, see :func:`optzoo.scale_by_scion`.
      scale: radius :math:`\rho`.
      weight_decay: decoupled decay :math:`\lambda` (unconstrained form only).
      weight_decay_mask: weight-decay mask.
      constraint: the constrained (SCG) update.
      ns_steps: Newton-Schulz steps of the spectral LMO.
      higher_rank: reshape rule for rank > 2 leaves.
      matrix_layout: ``"in_out"`` (JAX) or ``"out_in"`` (PyTorch), see
        :func:`optzoo.scale_by_scion`.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.scion(0.01, norms="auto")

    References:
      Pethick, Xie, Antonakopoulos, Zhu, Silveti-Falls, Cevher. Training Deep Learning
      Models with Norm-Constrained LMOs. 2025. https://arxiv.org/abs/2502.07529
    """
    return _scion(
        scale_by_scion, learning_rate, momentum, norms, scale, weight_decay, weight_decay_mask,
        constraint, ns_steps, higher_rank, matrix_layout,
    )  # fmt: skip


def _scion(
    block, learning_rate, momentum, norms, scale, weight_decay, weight_decay_mask, constraint,
    ns_steps, higher_rank, matrix_layout,
):  # fmt: skip
    r""":func:`scion` and :func:`scionlight` around their LMO block (``scale_by_scion`` or
    ``scale_by_scion_light``): radius, decay (the constrained form's :math:`\eta x_t`), lr."""
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    check_nonnegative("scale", scale)
    return optax.chain(
        block(
            momentum,
            norms,
            ns_steps=ns_steps,
            higher_rank=higher_rank,
            matrix_layout=matrix_layout,
        ),
        optax.scale(scale),
        optax.add_decayed_weights(1.0)
        if constraint
        else optax.add_decayed_weights(weight_decay, weight_decay_mask),
        scale_by_learning_rate(learning_rate),
    )


def _rank2_mask(params: Any) -> Any:
    return jax.tree.map(lambda x: jnp.ndim(x) >= 2, params)


@register(
    "psgd_kron",
    family="matrix",
    reference=LI_2015,
    state_per_param=3,
    defaults={"learning_rate": 1e-3},
    also_in=(),
    authors=Authors(
        code="kron-torch==0.3.3",
        preset={"learning_rate": 3e-4, "damping": float(np.finfo(np.float32).eps) ** 0.5},
        differences=(
            "no damping of the fitted momentum (theirs adds sqrt(eps_f32) * mean|G| * V), "
            "lr 1e-3 (theirs 3e-4); their preconditioner runs in float32 unless "
            "precond_dtype is given"
        ),
    ),
)
def psgd_kron(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    weight_decay: float = 0.0,
    weight_decay_mask: Any | None = None,
    preconditioner_lr: float = 0.1,
    update_probability: Any = None,
    max_size_triangular: int = 8192,
    *,
    momentum_into_preconditioner: bool = True,
    clip_rms: float | None = 1.1,
    higher_rank: str = "flatten",
    seed: int = 0,
    precond_dtype: Any | None = None,
    block_mesh: jax.sharding.Mesh | None = None,
    damping: float = 0.0,
) -> optax.GradientTransformation:
    r"""PSGD-Kron: Kronecker-factored PSGD with momentum and decoupled weight decay.

    .. math:: x_{t+1} = x_t - \eta\,(u_t + \lambda x_t),

    :math:`u_t` from :func:`optzoo.scale_by_kron` (preconditioned, RMS-capped
    momentum). By default the decay applies to leaves of rank >= 2 only, as in Li's
    and Evan Walters' Kron. ``optzoo.create("psgd_kron", preset="authors")`` gives the
    authors' ``kron_torch.Kron`` (Walters, Pooladzandi, Li): lr 3e-4 and the damping
    ``sqrt(eps_f32) * mean|G| * V`` of the fitted momentum that optzoo's default omits.

    Args:
      learning_rate: step size :math:`\eta`.
      b1: momentum decay.
      weight_decay: decoupled decay :math:`\lambda`.
      weight_decay_mask: weight-decay mask (default: rank >= 2 leaves).
      preconditioner_lr: step size of the factor updates.
      update_probability: float or schedule of the factor-update probability.
      max_size_triangular: longest side with a triangular factor.
      momentum_into_preconditioner: fit the preconditioner to the momentum.
      clip_rms: cap on the update RMS.
      higher_rank: reshape rule for rank > 2 leaves.
      seed: PRNG seed of the probe vectors.
      precond_dtype: dtype of the inputs of the products with the factors, e.g.
        ``jnp.bfloat16`` (see :func:`optzoo.scale_by_kron`; ``None``: float32).
      block_mesh: 1-D mesh to shard the stacked matrices over (see
        :func:`optzoo.scale_by_kron`).
      damping: damping of the fitted tensor (see :func:`optzoo.scale_by_kron`).

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.psgd_kron(1e-3)

    References:
      Li. Preconditioned Stochastic Gradient Descent. 2015. https://arxiv.org/abs/1512.04202
    """
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    return optax.chain(
        scale_by_kron(
            b1,
            preconditioner_lr,
            update_probability,
            max_size_triangular,
            momentum_into_preconditioner=momentum_into_preconditioner,
            clip_rms=clip_rms,
            higher_rank=higher_rank,
            seed=seed,
            precond_dtype=precond_dtype,
            block_mesh=block_mesh,
            damping=damping,
        ),
        optax.add_decayed_weights(
            weight_decay, _rank2_mask if weight_decay_mask is None else weight_decay_mask
        ),
        scale_by_learning_rate(learning_rate),
    )


@register(
    "adamuon",
    family="matrix",
    reference=SI_2025,
    state_per_param=2,
    defaults={"learning_rate": 0.02},
    also_in=(),
    authors=Authors(
        code="the authors' adamuon.py (Chongjie-Si/AdaMuon)",
        preset={
            "b1": 0.95,
            "b2": 0.999,
            "eps": 1e-8,
            "weight_decay": 0.01,
            "nesterov": True,
        },
        differences="the authors orthogonalise the Nesterov look-ahead (nesterov=True) with "
        "momentum 0.95, b2 0.999, eps 1e-8, wd 0.01; optzoo follows pytorch_optimizer "
        "(plain momentum 0.9, b2 0.95, eps 1e-10, no decay); their Newton-Schulz runs in "
        "bfloat16 on CUDA, and a rank-3 leaf has no rule there (optzoo flattens it)",
        no_package="the authors published a source file for CUDA and torch.distributed "
        "(adamuon.py), no package",
    ),
)
def adamuon(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.95,
    eps: float = 1e-10,
    weight_decay: float = 0.0,
    weight_decay_mask: Any | None = None,
    *,
    ns_coeffs: Sequence[float] | Sequence[Sequence[float]] = MUON_NS_COEFFS,
    ns_steps: int = 5,
    ns_eps: float = 1e-7,
    consistent_rms: float | None = 0.2,
    higher_rank: str = "flatten",
    matrix_layout: str = "in_out",
    adam_learning_rate: optax.ScalarOrSchedule | None = None,
    adam_b1: float = 0.9,
    adam_b2: float = 0.999,
    adam_eps: float = 1e-10,
    adam_weight_decay: float = 0.0,
    nesterov: bool = False,
) -> optax.GradientTransformation:
    r"""AdaMuon: Muon's orthogonalised momentum with an element-wise second moment.

    .. math::
       W_{t+1} = W_t - \eta\,\big(u_t + \lambda W_t\big),

    with :math:`u_t` of :func:`optzoo.scale_by_adamuon` (momentum, Newton-Schulz, an
    element-wise second moment of the orthogonalised matrix, Frobenius renormalisation
    and the ``0.2 * sqrt(max(m, n))`` shape scale). Leaves of rank >= 2 take this update
    (rank > 2 by the ``higher_rank`` rule); scalars and vectors take AdamW, as in
    pytorch_optimizer's ``use_muon=False`` groups.

    Args:
      learning_rate: step size :math:`\eta` of the matrix leaves.
      b1: momentum decay.
      b2: decay of the second moment of the orthogonalised update.
      eps: denominator and Frobenius-norm epsilon.
      weight_decay: decoupled weight decay :math:`\lambda` of the matrix leaves.
      weight_decay_mask: mask (or callable) for that weight decay.
      ns_coeffs: Newton-Schulz coefficients.
      ns_steps: Newton-Schulz steps.
      ns_eps: epsilon of the Newton-Schulz normalisation.
      consistent_rms: update RMS target, or ``None`` for Muon's shape scale.
      higher_rank: ``"flatten"`` or ``"batch"``.
      matrix_layout: ``"in_out"`` (JAX) or ``"out_in"`` (PyTorch).
      adam_learning_rate: AdamW step size for the other leaves (default: ``learning_rate``).
      adam_b1: AdamW first-moment decay.
      adam_b2: AdamW second-moment decay.
      adam_eps: AdamW epsilon.
      adam_weight_decay: AdamW weight decay.
      nesterov: orthogonalise the Nesterov look-ahead of the momentum, as the authors'
        code (``optzoo.create("adamuon", preset="authors")`` selects their defaults).

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adamuon(0.02, weight_decay=0.01)

    References:
      Si, Zhang, Shen. AdaMuon: Adaptive Muon Optimizer. 2025.
      https://arxiv.org/abs/2507.11005
    """
    _check_adamw_fallback(
        learning_rate, weight_decay, adam_b1, adam_b2, adam_eps, adam_weight_decay
    )
    direction = scale_by_adamuon(
        b1,
        b2,
        eps,
        ns_coeffs,
        ns_steps,
        ns_eps,
        consistent_rms=consistent_rms,
        higher_rank=higher_rank,
        matrix_layout=matrix_layout,
        nesterov=nesterov,
    )
    return _with_adamw_fallback(
        "adamuon", direction, learning_rate, weight_decay, weight_decay_mask, higher_rank,
        adam_learning_rate, b1=adam_b1, b2=adam_b2, eps=adam_eps, weight_decay=adam_weight_decay,
    )  # fmt: skip


@register(
    "normuon",
    family="matrix",
    reference=LI_2025,
    state_per_param=1,
    defaults={"learning_rate": 0.02},
    also_in=(),
    authors=Authors(
        code="the authors' normuon.py (SingleDeviceNorMuon)",
        preset={"matrix_layout": "out_in", "higher_rank": "batch"},
        differences="the authors' PyTorch weights have the neurons on the rows "
        "(matrix_layout='out_in') and a rank-3 leaf is a batch of matrices "
        "(higher_rank='batch'); their Newton-Schulz runs in bfloat16",
        no_package="the authors' package installs from GitHub only (zichongli5/NorMuon), "
        "not from the package index",
    ),
)
def normuon(
    learning_rate: optax.ScalarOrSchedule,
    beta: float = 0.95,
    b2: float = 0.95,
    eps: float = 1e-10,
    weight_decay: float = 0.0,
    weight_decay_mask: Any | None = None,
    *,
    nesterov: bool = True,
    update_scale: str = "preserve_norm",
    consistent_rms: float | None = None,
    ns_coeffs: Sequence[float] | Sequence[Sequence[float]] = MUON_NS_COEFFS,
    ns_steps: int = 5,
    ns_eps: float = 1e-7,
    higher_rank: str = "flatten",
    matrix_layout: str = "in_out",
    adam_learning_rate: optax.ScalarOrSchedule | None = None,
    adam_b1: float = 0.9,
    adam_b2: float = 0.999,
    adam_eps: float = 1e-10,
    adam_weight_decay: float = 0.0,
) -> optax.GradientTransformation:
    r"""NorMuon: Muon with a per-neuron second moment of the orthogonalised update.

    .. math::
       W_{t+1} = W_t - \eta\,\big(u_t + \lambda W_t\big),

    with :math:`u_t` of :func:`optzoo.scale_by_normuon`. Leaves of rank >= 2 take this
    update (rank > 2 by the ``higher_rank`` rule); scalars and vectors take AdamW, as in
    pytorch_optimizer's ``use_muon=False`` groups.

    Args:
      learning_rate: step size :math:`\eta` of the matrix leaves.
      beta: momentum decay.
      b2: decay of the per-neuron second moment.
      eps: denominator and Frobenius-norm epsilon.
      weight_decay: decoupled weight decay :math:`\lambda` of the matrix leaves.
      weight_decay_mask: mask (or callable) for that weight decay.
      nesterov: orthogonalise the Nesterov look-ahead.
      update_scale: ``"preserve_norm"`` or ``"match_rms"``.
      consistent_rms: shape-scale RMS with ``"preserve_norm"`` (``None``: Muon's).
      ns_coeffs: Newton-Schulz coefficients.
      ns_steps: Newton-Schulz steps.
      ns_eps: epsilon of the Newton-Schulz normalisation.
      higher_rank: ``"flatten"`` or ``"batch"``.
      matrix_layout: ``"in_out"`` (JAX) or ``"out_in"`` (PyTorch).
      adam_learning_rate, adam_b1, adam_b2, adam_eps, adam_weight_decay: the AdamW of the
        other leaves, as in :func:`adamuon`.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.normuon(0.02, weight_decay=0.01)

    References:
      Li, Liu, Liang, Chen, Zhao. NorMuon: Making Muon more efficient and scalable.
      2025. https://arxiv.org/abs/2510.05491
    """
    _check_adamw_fallback(
        learning_rate, weight_decay, adam_b1, adam_b2, adam_eps, adam_weight_decay
    )
    direction = scale_by_normuon(
        beta,
        b2,
        eps,
        ns_coeffs,
        ns_steps,
        ns_eps,
        nesterov=nesterov,
        update_scale=update_scale,
        consistent_rms=consistent_rms,
        higher_rank=higher_rank,
        matrix_layout=matrix_layout,
    )
    return _with_adamw_fallback(
        "normuon", direction, learning_rate, weight_decay, weight_decay_mask, higher_rank,
        adam_learning_rate, b1=adam_b1, b2=adam_b2, eps=adam_eps, weight_decay=adam_weight_decay,
    )  # fmt: skip


@register(
    "scionlight",
    family="matrix",
    reference=PETHICK_2025,
    state_per_param=1,
    defaults={"learning_rate": 0.01},
    authors=Authors(
        code="the authors' ScionLight (LIONS-EPFL/scion): Scion with the momentum kept in the "
        "gradient buffers (d = (1 - alpha) d + g), unconstrained update",
        preset={"momentum": 0.1, "matrix_layout": "out_in"},
        differences=(
            "JAX (in, out) shape scales (theirs PyTorch (out, in): preset matrix_layout='out_in'); "
            "rank-3/4 leaves flattened (theirs: a conv rule), float32 Newton-Schulz "
            "(theirs bfloat16)"
        ),
        no_package=_SCION_NO_PACKAGE,
    ),
)
def scionlight(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float = 0.1,
    norms: Any = "auto",
    scale: float = 1.0,
    weight_decay: float = 0.0,
    weight_decay_mask: Any | None = None,
    *,
    constraint: bool = False,
    ns_steps: int = 5,
    higher_rank: str = "flatten",
    matrix_layout: str = "in_out",
) -> optax.GradientTransformation:
    r"""ScionLight: Scion with its momentum as a decayed sum of gradients.

    .. math::
       d_t = (1-\alpha) d_{t-1} + g_t,\qquad
       x_{t+1} = x_t - \eta\,\big(\rho\,\mathrm{lmo}(d_t) + \lambda x_t\big),

    or :math:`x_{t+1} = (1-\eta) x_t - \eta\rho\,\mathrm{lmo}(d_t)` with
    ``constraint=True`` (then ``weight_decay`` is ignored). The authors' PyTorch class keeps
    :math:`d` in the gradient buffers (it multiplies them by :math:`1-\alpha` after each step
    and lets the next backward pass add to them); here :math:`d` is optimizer state, so the
    gradients passed to ``update`` are plain per-step gradients.

    Leaf rule (Scion's, :func:`optzoo.scale_by_scion`): with ``norms="auto"`` rank >= 2
    leaves take the spectral LMO :math:`\sqrt{n/m}\,\mathrm{NS}(d)` (rank > 2 viewed as one
    matrix, or a batch, by ``higher_rank``); vectors and scalars take the bias-RMS LMO
    :math:`d / (\mathrm{RMS}(d) + \epsilon)` (a scalar: :math:`d/(|d|+\epsilon)`).

    Defaults match the authors' class but for the shape-scale layout: JAX ``(in, out)``
    kernels; ``optzoo.create("scionlight", preset="authors")`` uses their PyTorch
    ``(out, in)`` layout.

    Args:
      learning_rate: step size :math:`\eta`.
      momentum: :math:`\alpha \in (0, 1]`, one minus the buffer's decay.
      norms: per-leaf norm names, see :func:`optzoo.scale_by_scion`.
      scale: radius :math:`\rho`.
      weight_decay: decoupled decay :math:`\lambda` (unconstrained form only).
      weight_decay_mask: weight-decay mask.
      constraint: the constrained (SCG) update.
      ns_steps: Newton-Schulz steps of the spectral LMO.
      higher_rank: reshape rule for rank > 2 leaves.
      matrix_layout: ``"in_out"`` (JAX) or ``"out_in"`` (PyTorch).

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.scionlight(0.01, momentum=0.1)

    References:
      Pethick, Xie, Antonakopoulos, Zhu, Silveti-Falls, Cevher. Training Deep Learning
      Models with Norm-Constrained LMOs. 2025. https://arxiv.org/abs/2502.07529
    """
    return _scion(
        scale_by_scion_light, learning_rate, momentum, norms, scale, weight_decay,
        weight_decay_mask, constraint, ns_steps, higher_rank, matrix_layout,
    )  # fmt: skip


FRANS_2025 = Reference(
    "Kevin Frans, Sergey Levine, Pieter Abbeel",
    "A Stable Whitening Optimizer for Efficient Neural Network Training",
    2025,
    "https://arxiv.org/abs/2506.07254",
)

SPLUS_DECAY_MODES = ("after_update", "scaled", "coupled")


@register(
    "splus",
    family="matrix",
    reference=FRANS_2025,
    state_per_param=5,
    defaults={"learning_rate": 0.1},
    authors=Authors(
        code="the authors' optax transformation (kvfrans/splus, optax/splus.py)",
        preset={"shape_constant": 0.5, "weight_decay_mode": "scaled"},
        differences=(
            "shape factor 2/(m+n) as in the paper and pytorch_optimizer (the authors' code "
            "computes 1/(m+n)/2: shape_constant=0.5); the decay shrinks the updated weights "
            "(theirs is added to the direction before the shape factor: weight_decay_mode="
            "'scaled'); no name-based 'nonstandard' leaves and no parameter EMA"
        ),
        no_package="the authors published source files (kvfrans/splus), no package",
    ),
)
def splus(
    learning_rate: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    weight_decay: float = 1e-2,
    weight_decay_mask: Any | None = None,
    *,
    weight_decay_mode: str = "after_update",
    inverse_steps: int = 100,
    shape_constant: float = 2.0,
    nonstandard_constant: float = 1e-3,
    max_dim: int = 10000,
    eps: float = 1e-30,
) -> optax.GradientTransformation:
    r"""SPlus: the sign of momentum in the eigenbasis of Shampoo's side statistics.

    .. math::
       u_t = Q_L\, \operatorname{sign}(Q_L^\top M_t Q_R)\, Q_R^\top,\qquad
       x_{t+1} = \big(x_t - \eta c\, u_t\big)(1 - \eta c \lambda),

    with :math:`M_t` the momentum, :math:`Q_L, Q_R` the eigenbases of the EMAs of
    :math:`GG^\top` and :math:`G^\top G` (:func:`optzoo.scale_by_splus`, refreshed every
    ``inverse_steps`` steps) and :math:`c = 2/(m+n)` for an ``(m, n)`` matrix
    (:func:`optzoo.scale_by_splus_shape`).

    Leaf rule: rank-2 leaves are whitened; scalars, vectors and rank >= 3 leaves (and
    matrices with a side longer than ``max_dim``) take :math:`\operatorname{sign}(M_t)`
    with :math:`c` = ``nonstandard_constant``.

    ``weight_decay_mode``: ``"after_update"`` (pytorch_optimizer's default: the updated
    weights shrink by :math:`1-\eta c\lambda`), ``"scaled"`` (the authors' code:
    :math:`x - \eta c (u + \lambda x)`) or ``"coupled"`` (:math:`\lambda x` added to the
    gradient before the momentum and the statistics, pytorch_optimizer's
    ``weight_decouple=False``).

    The authors' evaluation-time EMA of the parameters is not part of the update and is not
    kept (use a parameter-averaging wrapper). Defaults are pytorch_optimizer's (the paper's
    :math:`2/(m+n)`); ``optzoo.create("splus", preset="authors")`` reproduces the authors'
    code (:math:`1/(2(m+n))` and the ``"scaled"`` decay).

    Args:
      learning_rate: step size :math:`\eta`.
      b1: momentum decay.
      b2: decay of the side statistics.
      weight_decay: :math:`\lambda`.
      weight_decay_mask: weight-decay mask.
      weight_decay_mode: ``"after_update"``, ``"scaled"`` or ``"coupled"``.
      inverse_steps: steps between eigendecompositions.
      shape_constant: numerator of the matrix factor :math:`c/(m+n)`.
      nonstandard_constant: factor of the other leaves.
      max_dim: sides this long or longer are not whitened.
      eps: added to the statistics' diagonals before ``eigh``.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.splus(0.1)

    References:
      Kevin Frans, Sergey Levine, Pieter Abbeel. A Stable Whitening Optimizer for Efficient
      Neural Network Training. 2025. https://arxiv.org/abs/2506.07254
    """
    check_finite("learning_rate", learning_rate)
    check_nonnegative("weight_decay", weight_decay)
    if weight_decay_mode not in SPLUS_DECAY_MODES:
        raise ValueError(
            f"splus: weight_decay_mode must be one of {SPLUS_DECAY_MODES}, "
            f"got {weight_decay_mode!r}"
        )
    direction = scale_by_splus(b1, b2, inverse_steps, max_dim, eps)
    shape = scale_by_splus_shape(shape_constant, nonstandard_constant, max_dim)
    if weight_decay_mode == "coupled":
        return optax.chain(
            optax.add_decayed_weights(weight_decay, weight_decay_mask),
            direction,
            shape,
            scale_by_learning_rate(learning_rate),
        )
    if weight_decay_mode == "scaled":
        return optax.chain(
            direction,
            optax.add_decayed_weights(weight_decay, weight_decay_mask),
            shape,
            scale_by_learning_rate(learning_rate),
        )
    return optax.chain(
        direction,
        shape,
        decay_before_learning_rate(
            learning_rate,
            weight_decay,
            weight_decay_mask,
            leaf_factor=lambda shape: splus_leaf_scale(
                shape, nonstandard_constant, max_dim, shape_constant
            ),
            name="splus's weight decay",
        ),
        scale_by_learning_rate(learning_rate),
    )


ZHANG_2025_ADAGO = Reference(
    "Minxin Zhang, Yuxuan Liu, Hayden Schaeffer",
    "AdaGrad Meets Muon: Adaptive Stepsizes for Orthogonal Updates",
    2025,
    "https://arxiv.org/abs/2509.02981",
)


@register(
    "adago",
    family="matrix",
    reference=ZHANG_2025_ADAGO,
    state_per_param=1,
    defaults={"learning_rate": 0.05},
    authors=Authors(
        code="paper, Algorithm 1 (AdaGO), AdamW on vectors",
        preset={"sqrt_accumulator": True},
        differences="pytorch_optimizer (optzoo's default) divides by the accumulated squared "
        "norms; the paper by their root (sqrt_accumulator=True)",
        no_package="the authors published no package",
    ),
)
def adago(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float = 0.95,
    gamma: float = 10.0,
    eps: float = 5e-4,
    v0: float = 1e-6,
    weight_decay: float = 0.0,
    nesterov: bool = False,
    *,
    ns_coeffs: Sequence[float] | Sequence[Sequence[float]] = MUON_NS_COEFFS,
    ns_steps: int = 5,
    ns_eps: float = 0.0,
    higher_rank: str = "flatten",
    sqrt_accumulator: bool = False,
    adam_learning_rate: optax.ScalarOrSchedule = 3e-4,
    adam_b1: float = 0.9,
    adam_b2: float = 0.95,
    adam_eps: float = 1e-10,
    adam_weight_decay: float = 0.0,
) -> optax.GradientTransformation:
    r"""AdaGO: Muon's orthogonalised momentum with an AdaGrad-normed step size.

    .. math::
       W_{t+1} = W_t - \max\Big(\frac{\eta \min(\|G_t\|, \gamma)}{v_t}, \epsilon\Big)
       \mathrm{NS}(M_t) - \eta\lambda W_t,\qquad v_t = v_{t-1} + \min(\|G_t\|^2, \gamma^2)

    (:func:`optzoo.scale_by_adago`). Leaves of rank >= 2 take this update (rank > 2 by the
    ``higher_rank`` rule); scalars and vectors take AdamW, as pytorch_optimizer's
    ``use_muon=False`` groups.

    Args:
      learning_rate: :math:`\eta` of the matrix leaves.
      momentum: momentum decay :math:`\mu`.
      gamma: clip :math:`\gamma` of the gradient norm.
      eps: floor :math:`\epsilon` of the step size.
      v0: initial accumulator.
      weight_decay: decoupled decay :math:`\lambda` of the matrix leaves.
      nesterov: orthogonalise the Nesterov mix.
      ns_coeffs: Newton-Schulz coefficients.
      ns_steps: Newton-Schulz steps.
      ns_eps: added to the Frobenius norm before Newton-Schulz.
      higher_rank: ``"flatten"`` or ``"batch"``.
      sqrt_accumulator: divide by the root of the accumulator (the paper's :math:`v_t`)
        instead of the accumulator (pytorch_optimizer).
      adam_learning_rate, adam_b1, adam_b2, adam_eps, adam_weight_decay: the AdamW of the
        other leaves, as in :func:`adamuon` (``adam_learning_rate`` has a default of its own).

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adago(0.05)

    References:
      Minxin Zhang, Yuxuan Liu, Hayden Schaeffer. AdaGrad Meets Muon: Adaptive Stepsizes
      for Orthogonal Updates. 2025. https://arxiv.org/abs/2509.02981

    The defaults are pytorch_optimizer's; ``optzoo.create("adago", preset="authors")``
    takes the paper's root of the accumulator (``sqrt_accumulator=True``).
    """
    from optzoo.transforms.matrix.adago import scale_by_adago

    check_finite("adam_learning_rate", adam_learning_rate)
    _check_adamw_fallback(
        learning_rate, weight_decay, adam_b1, adam_b2, adam_eps, adam_weight_decay
    )
    direction = scale_by_adago(
        learning_rate,
        momentum,
        gamma,
        eps,
        v0,
        nesterov,
        ns_coeffs,
        ns_steps,
        ns_eps,
        higher_rank,
        sqrt_accumulator,
    )
    return _with_adamw_fallback(
        "adago", direction, learning_rate, weight_decay, None, higher_rank,
        adam_learning_rate, b1=adam_b1, b2=adam_b2, eps=adam_eps, weight_decay=adam_weight_decay,
    )  # fmt: skip


__all__ += ["adago"]


XIE_2026 = Reference(
    "Tian Xie, Haoming Luo, Haoyu Tang, Yiwen Hu, Jason Klein Liu, Qingnan Ren, Yang Wang, "
    "Wayne Xin Zhao, Rui Yan, Bing Su, Chong Luo, Baining Guo",
    "Controlled LLM Training on Spectral Sphere",
    2026,
    "https://arxiv.org/abs/2601.08393",
)


@register(
    "spectralsphere",
    family="matrix",
    reference=XIE_2026,
    state_per_param=1,
    defaults={"learning_rate": 0.02},
    authors=Authors(
        code="paper, the tangent-space update (momentum, power iteration, multiplier "
        "bisection, msign) as pytorch_optimizer writes it",
        differences=(
            "float32 msign and power iteration (pytorch_optimizer: bfloat16); no retraction of "
            "the weights to the sphere (as pytorch_optimizer)"
        ),
        no_package="the authors' code is a Megatron-LM fork (Unakar/Spectral-Sphere-Optimizer)",
    ),
)
def spectralsphere(
    learning_rate: optax.ScalarOrSchedule,
    momentum: float = 0.9,
    weight_decay: float = 1e-2,
    weight_decay_mask: Any | None = None,
    *,
    nesterov: bool = True,
    power_iteration_steps: int = 10,
    msign_steps: int = 5,
    solver_tolerance_f: float = 1e-8,
    solver_max_iterations: int = 100,
    adam_learning_rate: optax.ScalarOrSchedule | None = None,
    adam_b1: float = 0.9,
    adam_b2: float = 0.999,
    adam_eps: float = 1e-8,
    adam_weight_decay: float = 0.0,
) -> optax.GradientTransformation:
    r"""SpectralSphere (SSO): the momentum's polar factor, tangent to the weight's top
    singular direction.

    .. math::
       W_{t+1} = W_t - \eta\,\big(\operatorname{msign}(X_t + \lambda_t\Theta_t)
       + \lambda W_t\big),\qquad
       \langle\Theta_t, \operatorname{msign}(X_t + \lambda_t\Theta_t)\rangle = 0,

    with :math:`X_t` the normalised (Nesterov) momentum, :math:`\Theta_t = u_1 v_1^\top` the
    weight's top singular pair and :math:`\lambda_t` found by bisection
    (:func:`optzoo.scale_by_spectral_sphere`). Leaf rule: rank >= 2 leaves take this update
    (rank > 2: all axes but the last are rows); scalars and vectors take AdamW (pytorch_optimizer
    accepts 2-D parameters only). The paper's retraction of the weights to the sphere is not
    applied, as in pytorch_optimizer.

    Args:
      learning_rate: :math:`\eta` of the matrix leaves.
      momentum: momentum :math:`\mu`.
      weight_decay: decoupled decay of the matrix leaves.
      weight_decay_mask: weight-decay mask.
      nesterov: Nesterov look-ahead.
      power_iteration_steps: power-iteration steps.
      msign_steps: Polar Express steps.
      solver_tolerance_f: multiplier tolerance.
      solver_max_iterations: bisection steps.
      adam_learning_rate, adam_b1, adam_b2, adam_eps, adam_weight_decay: the AdamW of the
        other leaves, as in :func:`adamuon`.

    Returns:
      A ``GradientTransformation``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.spectralsphere(0.02)

    References:
      Tian Xie et al. Controlled LLM Training on Spectral Sphere. 2026.
      https://arxiv.org/abs/2601.08393
    """
    _check_adamw_fallback(
        learning_rate, weight_decay, adam_b1, adam_b2, adam_eps, adam_weight_decay
    )
    direction = scale_by_spectral_sphere(
        momentum,
        nesterov,
        power_iteration_steps,
        msign_steps,
        solver_tolerance_f,
        solver_max_iterations,
    )
    return _with_adamw_fallback(
        "sphere", direction, learning_rate, weight_decay, weight_decay_mask, "flatten",
        adam_learning_rate, b1=adam_b1, b2=adam_b2, eps=adam_eps, weight_decay=adam_weight_decay,
    )  # fmt: skip
