"""Transformations that wrap another optimizer (cautious, lookahead, SAM, EMA ...)."""

from optzoo.wrappers import averaging as _averaging
from optzoo.wrappers import cautious as _cautious
from optzoo.wrappers import gradient_filters as _gradient_filters
from optzoo.wrappers import lookahead as _lookahead
from optzoo.wrappers import sam as _sam
from optzoo.wrappers.averaging import *  # noqa: F403
from optzoo.wrappers.cautious import *  # noqa: F403
from optzoo.wrappers.gradient_filters import *  # noqa: F403
from optzoo.wrappers.lookahead import *  # noqa: F403
from optzoo.wrappers.sam import *  # noqa: F403

__all__: list[str] = sorted(
    {
        *_averaging.__all__,
        *_cautious.__all__,
        *_gradient_filters.__all__,
        *_lookahead.__all__,
        *_sam.__all__,
    }
)
