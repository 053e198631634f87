"""Distance-decay functions: kept importable as ``accessibility.decay``.

They live in :mod:`accessibility.measures.decay`; see its documentation.
"""

from .measures.decay import *  # noqa: F403
from .measures.decay import __all__ as __all__
