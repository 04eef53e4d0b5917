r"""The Moré-Garbow-Hillstrom test set: 35 least-squares problems with standard starts.

Each problem is a residual :math:`r: \mathbb{R}^n \to \mathbb{R}^m`; the objective is
:math:`F(x) = \sum_i r_i(x)^2` (the paper's convention; ``least_squares`` minimises
:math:`\tfrac12 F`). Written from the definitions in

  Moré, Garbow, Hillstrom. Testing Unconstrained Optimization Software. ACM Transactions on
  Mathematical Software 7(1), 17-41, 1981. https://doi.org/10.1145/355934.355936

with the paper's starting points and reported minimum values ``fstar``. For the problems of
variable dimension the sizes are the ones used in the paper's tables where it gives a value
(Watson ``n = 9``, Penalty I/II ``n = 10``, Chebyquad ``n = 8``) and ``n = 10`` (``12`` for
Extended Powell, a multiple of 4; ``m = 20`` for the linear functions) otherwise. Where the
paper lists a second, local minimum value it is kept in ``flocal``.

The module is part of the package (not ``tests/`` or ``benchmarks/``) so the tests, the
benchmark ``benchmarks/mgh.py`` and users can import it without path manipulation::

    from optzoo.second_order.mgh_problems import MGH_PROBLEMS
    p = MGH_PROBLEMS[9]            # Meyer (0-based list; p.number == 10)
    p.residual(p.x0), p.objective(p.x0), p.fstar
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

__all__ = ["MGHProblem", "MGH_PROBLEMS", "mgh_problem"]


class MGHProblem(NamedTuple):
    """One test problem.

    Attributes:
      number: the paper's number (1-35).
      name: the paper's name.
      residual: ``residual(x) -> (m,)`` array.
      x0: standard starting point (NumPy float64).
      m: number of residuals.
      fstar: reported minimum of :math:`F = \\sum r_i^2`.
      flocal: other minimum values the paper reports (local minima), possibly empty.
    """

    number: int
    name: str
    residual: Callable
    x0: np.ndarray
    m: int
    fstar: float
    flocal: tuple = ()

    @property
    def n(self) -> int:
        return int(self.x0.size)

    def objective(self, x):
        """:math:`F(x) = \\sum_i r_i(x)^2`."""
        r = self.residual(x)
        return jnp.vdot(r, r)


def _arr(*v) -> np.ndarray:
    return np.asarray(v, dtype=np.float64)


# 1. Rosenbrock
def rosenbrock(x):
    return jnp.stack([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]])


# 2. Freudenstein and Roth
def freudenstein_roth(x):
    x1, x2 = x[0], x[1]
    return jnp.stack(
        [-13.0 + x1 + ((5.0 - x2) * x2 - 2.0) * x2, -29.0 + x1 + ((x2 + 1.0) * x2 - 14.0) * x2]
    )


# 3. Powell badly scaled
def powell_badly_scaled(x):
    return jnp.stack([1e4 * x[0] * x[1] - 1.0, jnp.exp(-x[0]) + jnp.exp(-x[1]) - 1.0001])


# 4. Brown badly scaled
def brown_badly_scaled(x):
    return jnp.stack([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2.0])


# 5. Beale
_BEALE_Y = _arr(1.5, 2.25, 2.625)


def beale(x):
    i = jnp.arange(1, 4, dtype=x.dtype)
    return _BEALE_Y - x[0] * (1.0 - x[1] ** i)


# 6. Jennrich and Sampson (m = 10)
def jennrich_sampson(x):
    i = jnp.arange(1, 11, dtype=x.dtype)
    return 2.0 + 2.0 * i - (jnp.exp(i * x[0]) + jnp.exp(i * x[1]))


# 7. Helical valley
def helical_valley(x):
    x1, x2, x3 = x[0], x[1], x[2]
    theta = jnp.arctan(x2 / x1) / (2.0 * math.pi) + jnp.where(x1 < 0, 0.5, 0.0)
    return jnp.stack([10.0 * (x3 - 10.0 * theta), 10.0 * (jnp.sqrt(x1**2 + x2**2) - 1.0), x3])


# 8. Bard
_BARD_Y = _arr(
    0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39
)


def bard(x):
    u = jnp.arange(1, 16, dtype=x.dtype)
    v = 16.0 - u
    w = jnp.minimum(u, v)
    return _BARD_Y - (x[0] + u / (v * x[1] + w * x[2]))


# 9. Gaussian
_GAUSS_Y = _arr(
    0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989,
    0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009,
)  # fmt: skip


def gaussian(x):
    t = (8.0 - jnp.arange(1, 16, dtype=x.dtype)) / 2.0
    return x[0] * jnp.exp(-x[1] * (t - x[2]) ** 2 / 2.0) - _GAUSS_Y


# 10. Meyer
_MEYER_Y = _arr(
    34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744,
    8261, 7030, 6005, 5147, 4427, 3820, 3307, 2872,
)  # fmt: skip


def meyer(x):
    t = 45.0 + 5.0 * jnp.arange(1, 17, dtype=x.dtype)
    return x[0] * jnp.exp(x[1] / (t + x[2])) - _MEYER_Y


# 11. Gulf research and development (m = 99)
_GULF_M = 99


def gulf(x):
    t = jnp.arange(1, _GULF_M + 1, dtype=x.dtype) / 100.0
    y = 25.0 + (-50.0 * jnp.log(t)) ** (2.0 / 3.0)
    return jnp.exp(-(jnp.abs(y - x[1]) ** x[2]) / x[0]) - t


# 12. Box three-dimensional (m = 10)
def box3(x):
    t = 0.1 * jnp.arange(1, 11, dtype=x.dtype)
    return jnp.exp(-t * x[0]) - jnp.exp(-t * x[1]) - x[2] * (jnp.exp(-t) - jnp.exp(-10.0 * t))


# 13. Powell singular
def powell_singular(x):
    return jnp.stack(
        [
            x[0] + 10.0 * x[1],
            math.sqrt(5.0) * (x[2] - x[3]),
            (x[1] - 2.0 * x[2]) ** 2,
            math.sqrt(10.0) * (x[0] - x[3]) ** 2,
        ]
    )


# 14. Wood
def wood(x):
    return jnp.stack(
        [
            10.0 * (x[1] - x[0] ** 2),
            1.0 - x[0],
            math.sqrt(90.0) * (x[3] - x[2] ** 2),
            1.0 - x[2],
            math.sqrt(10.0) * (x[1] + x[3] - 2.0),
            (x[1] - x[3]) / math.sqrt(10.0),
        ]
    )


# 15. Kowalik and Osborne
_KO_Y = _arr(0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246)
_KO_U = _arr(4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625)


def kowalik_osborne(x):
    u = _KO_U
    return _KO_Y - x[0] * (u**2 + u * x[1]) / (u**2 + u * x[2] + x[3])


# 16. Brown and Dennis (m = 20)
def brown_dennis(x):
    t = jnp.arange(1, 21, dtype=x.dtype) / 5.0
    return (x[0] + t * x[1] - jnp.exp(t)) ** 2 + (x[2] + x[3] * jnp.sin(t) - jnp.cos(t)) ** 2


# 17. Osborne 1
_OSB1_Y = _arr(
    0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751,
    0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490,
    0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406,
)  # fmt: skip


def osborne1(x):
    t = 10.0 * jnp.arange(33, dtype=x.dtype)
    return _OSB1_Y - (x[0] + x[1] * jnp.exp(-t * x[3]) + x[2] * jnp.exp(-t * x[4]))


# 18. Biggs EXP6 (m = 13)
def biggs_exp6(x):
    t = 0.1 * jnp.arange(1, 14, dtype=x.dtype)
    y = jnp.exp(-t) - 5.0 * jnp.exp(-10.0 * t) + 3.0 * jnp.exp(-4.0 * t)
    return x[2] * jnp.exp(-t * x[0]) - x[3] * jnp.exp(-t * x[1]) + x[5] * jnp.exp(-t * x[4]) - y


# 19. Osborne 2
_OSB2_Y = _arr(
    1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746,
    0.679, 0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649,
    0.694, 0.644, 0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395,
    0.375, 0.372, 0.391, 0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653,
    0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739,
    0.710, 0.729, 0.720, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054,
)  # fmt: skip


def osborne2(x):
    t = jnp.arange(65, dtype=x.dtype) / 10.0
    model = (
        x[0] * jnp.exp(-t * x[4])
        + x[1] * jnp.exp(-((t - x[8]) ** 2) * x[5])
        + x[2] * jnp.exp(-((t - x[9]) ** 2) * x[6])
        + x[3] * jnp.exp(-((t - x[10]) ** 2) * x[7])
    )
    return _OSB2_Y - model


# 20. Watson (m = 31)
def watson(x):
    n = x.shape[0]
    t = jnp.arange(1, 30, dtype=x.dtype) / 29.0
    j = jnp.arange(n, dtype=x.dtype)
    powers = t[:, None] ** j[None, :]  # t^(j-1) for j = 1..n
    s1 = (powers[:, :-1] * (j[1:] * x[1:])[None, :]).sum(axis=1)
    s2 = powers @ x
    return jnp.concatenate([s1 - s2**2 - 1.0, jnp.stack([x[0], x[1] - x[0] ** 2 - 1.0])])


# 21. Extended Rosenbrock
def extended_rosenbrock(x):
    a, b = x[0::2], x[1::2]
    return jnp.stack([10.0 * (b - a**2), 1.0 - a], axis=1).ravel()


# 22. Extended Powell singular
def extended_powell(x):
    q = x.reshape(-1, 4)
    a, b, c, d = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    return jnp.stack(
        [
            a + 10.0 * b,
            math.sqrt(5.0) * (c - d),
            (b - 2.0 * c) ** 2,
            math.sqrt(10.0) * (a - d) ** 2,
        ],
        axis=1,
    ).ravel()


# 23. Penalty I
def penalty1(x):
    return jnp.concatenate([math.sqrt(1e-5) * (x - 1.0), jnp.stack([jnp.vdot(x, x) - 0.25])])


# 24. Penalty II
def penalty2(x):
    n = x.shape[0]
    a = math.sqrt(1e-5)
    i = jnp.arange(2, n + 1, dtype=x.dtype)
    y = jnp.exp(i / 10.0) + jnp.exp((i - 1.0) / 10.0)
    part1 = a * (jnp.exp(x[1:] / 10.0) + jnp.exp(x[:-1] / 10.0) - y)
    part2 = a * (jnp.exp(x[1:] / 10.0) - math.exp(-0.1))
    w = jnp.arange(n, 0, -1, dtype=x.dtype)
    last = jnp.vdot(w, x**2) - 1.0
    return jnp.concatenate([jnp.stack([x[0] - 0.2]), part1, part2, jnp.stack([last])])


# 25. Variably dimensioned
def variably_dimensioned(x):
    j = jnp.arange(1, x.shape[0] + 1, dtype=x.dtype)
    s = jnp.vdot(j, x - 1.0)
    return jnp.concatenate([x - 1.0, jnp.stack([s, s**2])])


# 26. Trigonometric
def trigonometric(x):
    n = x.shape[0]
    i = jnp.arange(1, n + 1, dtype=x.dtype)
    return n - jnp.sum(jnp.cos(x)) + i * (1.0 - jnp.cos(x)) - jnp.sin(x)


# 27. Brown almost-linear
def brown_almost_linear(x):
    n = x.shape[0]
    return jnp.concatenate([x[:-1] + jnp.sum(x) - (n + 1.0), jnp.stack([jnp.prod(x) - 1.0])])


def _grid(n, dtype):
    h = 1.0 / (n + 1)
    return h, h * jnp.arange(1, n + 1, dtype=dtype)


# 28. Discrete boundary value
def discrete_boundary_value(x):
    h, t = _grid(x.shape[0], x.dtype)
    z = jnp.zeros((1,), x.dtype)
    left = jnp.concatenate([z, x[:-1]])
    right = jnp.concatenate([x[1:], z])
    return 2.0 * x - left - right + h**2 * (x + t + 1.0) ** 3 / 2.0


# 29. Discrete integral equation
def discrete_integral_equation(x):
    n = x.shape[0]
    h, t = _grid(n, x.dtype)
    c = (x + t + 1.0) ** 3
    lower = jnp.cumsum(t * c)  # sum_{j <= i} t_j c_j
    upper = jnp.sum((1.0 - t) * c) - jnp.cumsum((1.0 - t) * c)  # sum_{j > i} (1 - t_j) c_j
    return x + h * ((1.0 - t) * lower + t * upper) / 2.0


# 30. Broyden tridiagonal
def broyden_tridiagonal(x):
    z = jnp.zeros((1,), x.dtype)
    left = jnp.concatenate([z, x[:-1]])
    right = jnp.concatenate([x[1:], z])
    return (3.0 - 2.0 * x) * x - left - 2.0 * right + 1.0


# 31. Broyden banded (ml = 5, mu = 1)
def broyden_banded(x):
    n = x.shape[0]
    i = np.arange(n)[:, None]
    j = np.arange(n)[None, :]
    band = ((j >= i - 5) & (j <= i + 1) & (j != i)).astype(np.float64)
    return x * (2.0 + 5.0 * x**2) + 1.0 - band @ (x * (1.0 + x))


# 32-34. Linear functions (m = 20)
_LIN_M = 20


def linear_full_rank(x):
    n = x.shape[0]
    s = jnp.sum(x)
    head = x - 2.0 / _LIN_M * s - 1.0
    tail = jnp.full((_LIN_M - n,), -2.0 / _LIN_M, x.dtype) * s - 1.0
    return jnp.concatenate([head, tail])


def linear_rank1(x):
    j = jnp.arange(1, x.shape[0] + 1, dtype=x.dtype)
    i = jnp.arange(1, _LIN_M + 1, dtype=x.dtype)
    return i * jnp.vdot(j, x) - 1.0


def linear_rank1_zero(x):
    n = x.shape[0]
    j = jnp.arange(2, n, dtype=x.dtype)
    s = jnp.vdot(j, x[1:-1])
    i = jnp.arange(2, _LIN_M, dtype=x.dtype)
    mid = (i - 1.0) * s - 1.0
    one = -jnp.ones((1,), x.dtype)
    return jnp.concatenate([one, mid, one])


# 35. Chebyquad (m = n)
def chebyquad(x):
    n = x.shape[0]
    z = 2.0 * x - 1.0  # shifted Chebyshev polynomials T_i(2x - 1) by the recurrence
    t_prev, t_cur = jnp.ones_like(z), z
    rows = [jnp.mean(t_cur)]
    for _ in range(2, n + 1):
        t_prev, t_cur = t_cur, 2.0 * z * t_cur - t_prev
        rows.append(jnp.mean(t_cur))
    i = np.arange(1, n + 1)
    y = np.zeros(n)
    y[1::2] = -1.0 / (i[1::2].astype(np.float64) ** 2 - 1.0)
    return jnp.stack(rows) - y


def _lin_rank1_fstar(m):
    return m * (m - 1) / (2 * (2 * m + 1))


def _lin_rank1_zero_fstar(m):
    return (m * m + 3 * m - 6) / (2 * (2 * m - 3))


_N = 10
MGH_PROBLEMS: tuple[MGHProblem, ...] = (
    MGHProblem(1, "Rosenbrock", rosenbrock, _arr(-1.2, 1.0), 2, 0.0),
    MGHProblem(2, "Freudenstein-Roth", freudenstein_roth, _arr(0.5, -2.0), 2, 0.0, (48.9842,)),
    MGHProblem(3, "Powell badly scaled", powell_badly_scaled, _arr(0.0, 1.0), 2, 0.0),
    MGHProblem(4, "Brown badly scaled", brown_badly_scaled, _arr(1.0, 1.0), 3, 0.0),
    MGHProblem(5, "Beale", beale, _arr(1.0, 1.0), 3, 0.0),
    MGHProblem(6, "Jennrich-Sampson", jennrich_sampson, _arr(0.3, 0.4), 10, 124.362),
    MGHProblem(7, "Helical valley", helical_valley, _arr(-1.0, 0.0, 0.0), 3, 0.0),
    MGHProblem(8, "Bard", bard, _arr(1.0, 1.0, 1.0), 15, 8.21487e-3, (17.4286,)),
    MGHProblem(9, "Gaussian", gaussian, _arr(0.4, 1.0, 0.0), 15, 1.12793e-8),
    MGHProblem(10, "Meyer", meyer, _arr(0.02, 4000.0, 250.0), 16, 87.9458),
    MGHProblem(11, "Gulf", gulf, _arr(5.0, 2.5, 0.15), _GULF_M, 0.0),
    MGHProblem(12, "Box 3-D", box3, _arr(0.0, 10.0, 20.0), 10, 0.0),
    MGHProblem(13, "Powell singular", powell_singular, _arr(3.0, -1.0, 0.0, 1.0), 4, 0.0),
    MGHProblem(14, "Wood", wood, _arr(-3.0, -1.0, -3.0, -1.0), 6, 0.0),
    MGHProblem(
        15,
        "Kowalik-Osborne",
        kowalik_osborne,
        _arr(0.25, 0.39, 0.415, 0.39),
        11,
        3.07505e-4,
        (1.02734e-3,),
    ),  # fmt: skip
    MGHProblem(16, "Brown-Dennis", brown_dennis, _arr(25.0, 5.0, -5.0, -1.0), 20, 85822.2),
    MGHProblem(17, "Osborne 1", osborne1, _arr(0.5, 1.5, -1.0, 0.01, 0.02), 33, 5.46489e-5),
    MGHProblem(
        18, "Biggs EXP6", biggs_exp6, _arr(1.0, 2.0, 1.0, 1.0, 1.0, 1.0), 13, 0.0, (5.65565e-3,)
    ),
    MGHProblem(
        19,
        "Osborne 2",
        osborne2,
        _arr(1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5),
        65,
        4.01377e-2,
    ),  # fmt: skip
    MGHProblem(20, "Watson", watson, np.zeros(9), 31, 1.39976e-6),
    MGHProblem(21, "Extended Rosenbrock", extended_rosenbrock, np.tile([-1.2, 1.0], 5), 10, 0.0),
    MGHProblem(22, "Extended Powell", extended_powell, np.tile([3.0, -1.0, 0.0, 1.0], 3), 12, 0.0),
    MGHProblem(23, "Penalty I", penalty1, np.arange(1.0, _N + 1), _N + 1, 7.08765e-5),
    MGHProblem(24, "Penalty II", penalty2, np.full(_N, 0.5), 2 * _N, 2.93660e-4),
    MGHProblem(
        25,
        "Variably dimensioned",
        variably_dimensioned,
        1.0 - np.arange(1.0, _N + 1) / _N,
        _N + 2,
        0.0,
    ),  # fmt: skip
    MGHProblem(26, "Trigonometric", trigonometric, np.full(_N, 1.0 / _N), _N, 0.0, (2.79506e-5,)),
    MGHProblem(27, "Brown almost-linear", brown_almost_linear, np.full(_N, 0.5), _N, 0.0, (1.0,)),
    MGHProblem(
        28,
        "Discrete boundary value",
        discrete_boundary_value,
        (t := np.arange(1.0, _N + 1) / (_N + 1)) * (t - 1.0),
        _N,
        0.0,
    ),  # fmt: skip
    MGHProblem(
        29, "Discrete integral equation", discrete_integral_equation, t * (t - 1.0), _N, 0.0
    ),
    MGHProblem(30, "Broyden tridiagonal", broyden_tridiagonal, np.full(_N, -1.0), _N, 0.0),
    MGHProblem(31, "Broyden banded", broyden_banded, np.full(_N, -1.0), _N, 0.0),
    MGHProblem(32, "Linear full rank", linear_full_rank, np.ones(_N), _LIN_M, float(_LIN_M - _N)),
    MGHProblem(33, "Linear rank 1", linear_rank1, np.ones(_N), _LIN_M, _lin_rank1_fstar(_LIN_M)),
    MGHProblem(
        34,
        "Linear rank 1, zero columns and rows",
        linear_rank1_zero,
        np.ones(_N),
        _LIN_M,
        _lin_rank1_zero_fstar(_LIN_M),
    ),  # fmt: skip
    MGHProblem(35, "Chebyquad", chebyquad, np.arange(1.0, 9.0) / 9.0, 8, 3.51687e-3),
)


def mgh_problem(key: int | str) -> MGHProblem:
    """A problem by its paper number (1-35) or its name (case-insensitive)."""
    for p in MGH_PROBLEMS:
        if key == p.number or (isinstance(key, str) and key.lower() == p.name.lower()):
            return p
    raise ValueError(f"no MGH problem {key!r}; numbers 1-35 or one of the names")
