"""Low-precision optimizer state: moments kept in bf16 or in 8-bit block-wise codes.

:func:`low_precision_state` wraps any optimizer. Its state is the inner optimizer's
state with every large floating leaf replaced by a compressed node; each step
decompresses the state, runs the inner update in the original precision and
compresses the new state again. Integer leaves (step counters) and small leaves
(fewer than ``min_size`` elements) stay as they are.

Two formats:

* ``"bf16"``: the leaf is rounded to bfloat16, stochastically by default
  (unbiased: :math:`E[\\mathrm{round}(x)] = x`), with a PRNG key kept in the state.
* ``"int8"``: block-wise dynamic quantization. The flattened leaf is cut into blocks
  of ``block_size`` elements; each block stores its absolute maximum :math:`s` as a
  float32 scale and each element the 8-bit index of the code value nearest to
  :math:`x / s`. A block whose elements are all ``>= 0`` uses an unsigned code over
  ``[0, 1]`` (all 8 bits for magnitude, like a second moment), any other block a
  signed code over ``[-1, 1]``; the choice is kept in the sign of the stored scale.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from optzoo.core.validation import check_positive_int
from optzoo.optimizers.adam import adamw
from optzoo.registry import Authors, Reference, register

__all__ = [
    "LowPrecisionState",
    "low_precision_state",
    "quantization_code",
    "quantize_blockwise",
    "dequantize_blockwise",
    "stochastic_round_bf16",
    "adamw_bf16_state",
    "adamw_8bit",
]

DETTMERS_2021 = Reference(
    "Tim Dettmers, Mike Lewis, Sam Shleifer, Luke Zettlemoyer",
    "8-bit Optimizers via Block-wise Quantization",
    2021,
    "https://arxiv.org/abs/2110.02861",
)
ZAMIRAI_2020 = Reference(
    "Pedram Zamirai, Jian Zhang, Christopher R. Aberger, Christopher De Sa",
    "Revisiting BFloat16 Training",
    2020,
    "https://arxiv.org/abs/2010.06192",
)


# --------------------------------------------------------------------------- codes


def _dynamic_code(signed: bool) -> np.ndarray:
    # Dynamic tree code (Dettmers 2015/2021): after the optional sign bit, the number
    # e of leading zero bits is a decimal exponent, a 1 bit ends it and the remaining
    # bits split [0.1, 1] into equal bins; a code value is the bin's centre times 10^-e.
    magnitude_bits = 7 if signed else 8
    values = [0.0, 1.0]  # zero, and the block's absmax exactly
    for e in range(7):  # decades 10^0 .. 10^-6
        n = 2 ** (magnitude_bits - 1 - e)
        edges = np.linspace(0.1, 1.0, n + 1)
        centres = (edges[:-1] + edges[1:]) / 2 * 10.0**-e
        values.extend(centres)
        if signed:
            values.extend(-centres)
    code = np.sort(np.asarray(values, np.float64)).astype(np.float32)
    assert code.size == 256 and np.unique(code).size == 256
    return code


def _linear_code(signed: bool) -> np.ndarray:
    if signed:  # 255 evenly spaced values with 0 and +-1, plus one spare mid value
        code = np.concatenate([np.linspace(-1.0, 1.0, 255), [0.5 / 127]])
    else:
        code = np.linspace(0.0, 1.0, 256)
    return np.sort(code).astype(np.float32)


_CODES = {
    "dynamic": (_dynamic_code(True), _dynamic_code(False)),
    "linear": (_linear_code(True), _linear_code(False)),
}


def quantization_code(code: str = "dynamic", signed: bool = True) -> np.ndarray:
    """The 256 sorted float32 values of an 8-bit code (``"dynamic"`` or ``"linear"``)."""
    if code not in _CODES:
        raise ValueError(f"unknown code {code!r}; use 'dynamic' or 'linear'")
    return _CODES[code][0 if signed else 1].copy()


def _nearest(table: np.ndarray, y: jax.Array) -> jax.Array:
    midpoints = jnp.asarray((table[:-1] + table[1:]) / 2)
    return jnp.searchsorted(midpoints, y, side="right").astype(jnp.uint8)


def quantize_blockwise(
    x: jax.Array, block_size: int = 256, code: str = "dynamic"
) -> tuple[jax.Array, jax.Array]:
    r"""Block-wise 8-bit quantization of ``x``.

    The flattened ``x`` is zero-padded to a multiple of ``block_size`` and cut into
    blocks :math:`b`. With :math:`s_b = \max_{i\in b} |x_i|`, element :math:`i` gets the
    index :math:`q_i = \arg\min_k |c_k - x_i / s_b|` in the code :math:`c` (unsigned
    code when the block has no negative element, signed otherwise). In an unsigned
    block a positive element gets at least the smallest positive code value, so a
    second moment never decodes to zero.

    Args:
      x: a floating array.
      block_size: elements per block.
      code: ``"dynamic"`` (dynamic tree code) or ``"linear"``.

    Returns:
      ``(codes, scales)``: ``uint8[n_blocks * block_size]`` indices and
      ``float32[n_blocks]`` scales, negative for blocks that use the signed code.
    """
    signed_table, unsigned_table = _CODES[code]
    flat = jnp.ravel(x).astype(jnp.float32)
    pad = (-flat.size) % block_size
    blocks = jnp.pad(flat, (0, pad)).reshape(-1, block_size)
    absmax = jnp.max(jnp.abs(blocks), axis=1)
    signed = jnp.any(blocks < 0, axis=1)
    y = blocks / jnp.where(absmax > 0, absmax, 1.0)[:, None]
    # A positive entry of an unsigned block (a second moment) never decodes to 0: an
    # Adam-style update would divide by eps alone there.
    unsigned_q = jnp.where(y > 0, jnp.maximum(_nearest(unsigned_table, y), 1), 0)
    q = jnp.where(signed[:, None], _nearest(signed_table, y), unsigned_q.astype(jnp.uint8))
    return q.reshape(-1), jnp.where(signed, -absmax, absmax)


def dequantize_blockwise(
    codes: jax.Array,
    scales: jax.Array,
    shape: tuple[int, ...],
    dtype: Any = jnp.float32,
    code: str = "dynamic",
) -> jax.Array:
    """Inverse of :func:`quantize_blockwise`: :math:`x_i \\approx c_{q_i} |s_b|`."""
    signed_table, unsigned_table = (jnp.asarray(t) for t in _CODES[code])
    q = codes.reshape(scales.shape[0], -1).astype(jnp.int32)
    values = jnp.where(scales[:, None] < 0, signed_table[q], unsigned_table[q])
    flat = (values * jnp.abs(scales)[:, None]).reshape(-1)
    return flat[: int(np.prod(shape))].reshape(shape).astype(dtype)


def stochastic_round_bf16(x: jax.Array, key: jax.Array) -> jax.Array:
    r"""Rounds float32 ``x`` to bfloat16 up or down at random, unbiased.

    A random 16-bit integer is added to the low half of the float32 bit pattern and
    the low half is then cut off, so :math:`x` rounds away from zero with probability
    equal to its distance from the lower bf16 neighbour over the gap between the two.
    NaN stays NaN.
    """
    x = x.astype(jnp.float32)
    bits = jax.lax.bitcast_convert_type(x, jnp.uint32)
    noise = jax.random.bits(key, x.shape, jnp.uint32) & jnp.uint32(0xFFFF)
    rounded = (bits + noise) & jnp.uint32(0xFFFF0000)
    out = jax.lax.bitcast_convert_type(rounded, jnp.float32)
    return jnp.where(jnp.isnan(x), x, out).astype(jnp.bfloat16)


# ----------------------------------------------------------------- compressed leaves


@jax.tree_util.register_pytree_node_class
class Bf16Leaf:
    """A state leaf stored in bfloat16; ``dtype`` (static) is the dtype it decodes to."""

    def __init__(self, value: Any, dtype: str):
        self.value = value
        self.dtype = dtype

    def tree_flatten(self) -> tuple[tuple[Any], str]:
        return (self.value,), self.dtype

    @classmethod
    def tree_unflatten(cls, aux: str, children: tuple[Any]) -> Bf16Leaf:
        return cls(children[0], aux)

    def decode(self) -> jax.Array:
        return self.value.astype(self.dtype)

    def __repr__(self) -> str:
        return f"Bf16Leaf({self.value!r}, dtype={self.dtype})"


@jax.tree_util.register_pytree_node_class
class Int8Leaf:
    """A state leaf stored as 8-bit block codes; shape, dtype and code name are static."""

    def __init__(self, codes: Any, scales: Any, meta: tuple[tuple[int, ...], str, str]):
        self.codes = codes
        self.scales = scales
        self.meta = meta

    def tree_flatten(self) -> tuple[tuple[Any, Any], tuple[tuple[int, ...], str, str]]:
        return (self.codes, self.scales), self.meta

    @classmethod
    def tree_unflatten(cls, aux: Any, children: tuple[Any, Any]) -> Int8Leaf:
        return cls(children[0], children[1], aux)

    def decode(self) -> jax.Array:
        shape, dtype, code = self.meta
        return dequantize_blockwise(self.codes, self.scales, shape, dtype, code)

    def __repr__(self) -> str:
        return f"Int8Leaf(shape={self.meta[0]}, dtype={self.meta[1]}, code={self.meta[2]})"


def _is_compressed(x: Any) -> bool:
    return isinstance(x, (Bf16Leaf, Int8Leaf))


def _decompress(tree: Any) -> Any:
    return jax.tree.map(
        lambda x: x.decode() if _is_compressed(x) else x, tree, is_leaf=_is_compressed
    )


class LowPrecisionState(NamedTuple):
    """State of :func:`low_precision_state`.

    Attributes:
      inner_state: the wrapped optimizer's state, large floating leaves compressed.
      key: raw ``uint32[2]`` PRNG key for stochastic rounding, split every step.
    """

    inner_state: Any
    key: jax.Array


def low_precision_state(
    inner: optax.GradientTransformation,
    *,
    dtype: str = "bf16",
    stochastic_rounding: bool = True,
    block_size: int = 256,
    min_size: int | None = None,
    code: str = "dynamic",
    seed: int | jax.Array = 0,
) -> optax.GradientTransformationExtraArgs:
    r"""Stores ``inner``'s floating state in bf16 or 8-bit codes between steps.

    .. math::
       S_t = C\big(\mathrm{inner.update}(g_t, D(S_{t-1}), x_t)\big)

    with :math:`C` the compression of every floating state leaf with at least
    ``min_size`` elements and :math:`D` its inverse. The updates are those of
    ``inner`` run on the decompressed state, in the state's original precision.

    Args:
      inner: the optimizer whose state is compressed (any ``GradientTransformation``).
      dtype: ``"bf16"`` (2 bytes per element) or ``"int8"`` (1 byte per element plus
        a float32 scale per block).
      stochastic_rounding: bf16 only: round at random, unbiased, instead of to
        nearest (Zamirai et al. 2020 show nearest rounding of small updates stalls).
      block_size: int8 only: elements per quantization block.
      min_size: leaves with fewer elements stay uncompressed; default 4096 for
        ``"int8"`` (a block scale per few elements saves little) and 0 for ``"bf16"``.
      code: int8 only: ``"dynamic"`` (dynamic tree code, default) or ``"linear"``.
      seed: an int or a raw ``uint32[2]`` PRNG key for stochastic rounding.

    Returns:
      A ``GradientTransformationExtraArgs`` whose state is :class:`LowPrecisionState`.

    Example:
      >>> import jax.numpy as jnp, optzoo
      >>> tx = optzoo.low_precision_state(optzoo.adam(1e-3), dtype="int8", min_size=16)
      >>> state = tx.init({"w": jnp.zeros((64, 64))})

    References:
      Dettmers, Lewis, Shleifer, Zettlemoyer. 8-bit Optimizers via Block-wise
      Quantization. 2021. https://arxiv.org/abs/2110.02861

      Zamirai, Zhang, Aberger, De Sa. Revisiting BFloat16 Training. 2020.
      https://arxiv.org/abs/2010.06192
    """
    if dtype not in ("bf16", "int8"):
        raise ValueError(f"dtype must be 'bf16' or 'int8', got {dtype!r}")
    if code not in _CODES:
        raise ValueError(f"unknown code {code!r}; use 'dynamic' or 'linear'")
    check_positive_int("block_size", block_size)
    if min_size is None:
        min_size = 4096 if dtype == "int8" else 0
    if not isinstance(min_size, int) or min_size < 0:
        raise ValueError(f"min_size must be a nonnegative int, got {min_size!r}")
    inner = optax.with_extra_args_support(inner)

    def eligible(x: Any) -> bool:
        if not hasattr(x, "dtype") or not jnp.issubdtype(x.dtype, jnp.floating):
            return False
        if dtype == "bf16" and jnp.dtype(x.dtype).itemsize <= 2:
            return False
        return x.size >= min_size

    def compress_leaf(x: jax.Array, key: jax.Array | None) -> Any:
        name = jnp.dtype(x.dtype).name
        if dtype == "int8":
            codes, scales = quantize_blockwise(x, block_size, code)
            return Int8Leaf(codes, scales, (tuple(x.shape), name, code))
        if key is None or not stochastic_rounding:
            return Bf16Leaf(x.astype(jnp.bfloat16), name)
        return Bf16Leaf(stochastic_round_bf16(x, key), name)

    def compress(tree: Any, key: jax.Array | None) -> Any:
        leaves, treedef = jax.tree.flatten(tree)
        out = [
            compress_leaf(x, None if key is None else jax.random.fold_in(key, i))
            if eligible(x)
            else x
            for i, x in enumerate(leaves)
        ]
        return jax.tree.unflatten(treedef, out)

    def init_fn(params: optax.Params) -> LowPrecisionState:
        key = jax.random.PRNGKey(seed) if np.ndim(seed) == 0 else jnp.asarray(seed, jnp.uint32)
        # The initial state (zeros, mostly) is rounded to nearest.
        return LowPrecisionState(compress(inner.init(params), None), key)

    def update_fn(
        updates: optax.Updates,
        state: LowPrecisionState,
        params: optax.Params | None = None,
        **extra_args: Any,
    ) -> tuple[optax.Updates, LowPrecisionState]:
        key, subkey = jax.random.split(state.key)
        inner_state = _decompress(state.inner_state)
        updates, inner_state = inner.update(updates, inner_state, params, **extra_args)
        return updates, LowPrecisionState(compress(inner_state, subkey), key)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


# --------------------------------------------------------------------------- registry


@register(
    "adamw_bf16_state",
    family="low_precision",
    reference=ZAMIRAI_2020,
    state_per_param=1.0,
    defaults={"learning_rate": 1e-3},
    also_in=(),
    authors=Authors(
        code="paper, section 3 (stochastic rounding)",
        differences="the paper rounds the weight updates of all-bfloat16 training stochastically "
        "(or uses Kahan summation); optzoo rounds the two stored Adam moments stochastically and "
        "leaves the parameters in their own precision",
        no_package="the authors published no code",
    ),
)
def adamw_bf16_state(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: optax.ScalarOrSchedule = 1e-4,
    *,
    seed: int = 0,
) -> optax.GradientTransformationExtraArgs:
    r"""AdamW with both moments stored in bfloat16 with stochastic rounding.

    The update is :func:`optzoo.adamw`'s, computed in float32 from the decompressed
    moments; see :func:`low_precision_state` (``dtype="bf16"``, every floating leaf).

    ``state_per_param`` counts state in float32 units (4 bytes): two moments of 2
    bytes each give 1.0.

    Zamirai et al. round the *weight updates* of all-bfloat16 training stochastically (or
    sum them with Kahan summation); optzoo applies their stochastic rounding to the stored
    moments only. ``optzoo.create("adamw_bf16_state", preset="authors")`` changes nothing.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1, b2, eps, weight_decay: as in :func:`optzoo.adamw`.
      seed: seed of the stochastic-rounding PRNG key.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adamw_bf16_state(1e-3)

    References:
      Zamirai, Zhang, Aberger, De Sa. Revisiting BFloat16 Training. 2020.
      https://arxiv.org/abs/2010.06192
    """
    return low_precision_state(
        adamw(learning_rate, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay),
        dtype="bf16",
        seed=seed,
    )


@register(
    "adamw_8bit",
    family="low_precision",
    reference=DETTMERS_2021,
    state_per_param=2 * (1 + 4 / 256) / 4,
    defaults={"learning_rate": 1e-3},
    also_in=(),
    authors=Authors(
        code="bitsandbytes==0.50.2",
        preset={"weight_decay": 1e-2},
        differences="optzoo's weight_decay is 1e-4; bitsandbytes' AdamW8bit uses 1e-2",
    ),
)
def adamw_8bit(
    learning_rate: optax.ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: optax.ScalarOrSchedule = 1e-4,
) -> optax.GradientTransformationExtraArgs:
    r"""8-bit AdamW: both moments in block-wise dynamic 8-bit quantization.

    The update is :func:`optzoo.adamw`'s, computed in float32 from the dequantized
    moments; see :func:`low_precision_state` (``dtype="int8"``, blocks of 256,
    leaves of at least 4096 elements).

    ``state_per_param`` counts state in float32 units (4 bytes) for large leaves:
    two moments of 1 byte plus a 4-byte scale per 256 elements each,
    :math:`2 (1 + 4/256) / 4 \approx 0.508`. Leaves below 4096 elements keep 2.0.

    optzoo's ``weight_decay=1e-4`` differs from the authors' ``bitsandbytes.optim.AdamW8bit``
    (1e-2, otherwise the same defaults, block size and code):
    ``optzoo.create("adamw_8bit", preset="authors")``.

    Args:
      learning_rate: :math:`\eta`, a scalar or a schedule.
      b1, b2, eps, weight_decay: as in :func:`optzoo.adamw`.

    Returns:
      A ``GradientTransformationExtraArgs``.

    Example:
      >>> import optzoo
      >>> tx = optzoo.adamw_8bit(1e-3)

    References:
      Dettmers, Lewis, Shleifer, Zettlemoyer. 8-bit Optimizers via Block-wise
      Quantization. 2021. https://arxiv.org/abs/2110.02861
    """
    return low_precision_state(
        adamw(learning_rate, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay),
        dtype="int8",
    )
