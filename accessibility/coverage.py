"""Capacity-filled coverage: kept importable as ``accessibility.coverage``.

It lives in :mod:`accessibility.measures.coverage`; see its documentation.
"""

from .measures.coverage import CoverageResult, capacity_coverage

__all__ = ["CoverageResult", "capacity_coverage"]
