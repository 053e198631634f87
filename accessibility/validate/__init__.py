"""Input validation in one place: every problem of a layer reported at once.

Planning data is messy: village tables from spreadsheets with swapped latitude and longitude,
duplicated ids, text in the population column, road layers with no class column. The functions
here look at a whole layer, collect *every* problem they find and raise one error that lists them
all, each with what was found (counts and a few example ids) and how to fix it, in the manner of
osmnx's ``_validate.py``. Things that can be repaired safely (3D coordinates, single-part
multipoints, undecodable bytes in names, multi-part road lines) are repaired in the returned copy
with an :class:`InputWarning` saying so.

=========================  ===========================================================
function                   checks
=========================  ===========================================================
``validate_locations``     villages / facilities: CRS, ids, columns, numbers, geometry,
                           text encoding, swapped latitude/longitude
``validate_roads``         road lines: CRS, class column and values, speeds, geometry,
                           self-loops
``check_same_crs``         several layers share one CRS
``check_extent_overlap``   points lie within (a margin around) the road network
=========================  ===========================================================

When several problems of different kinds are found, the error raised is an instance of every
matching class at once (e.g. both :class:`~accessibility.errors.CRSError` and
:class:`~accessibility.errors.MissingColumnError`), so ``except CRSError`` still works; its
``problems`` attribute lists ``(error class name, message)`` pairs.
"""

from ..errors import InputWarning
from .extent import check_extent_overlap, check_same_crs
from .locations import validate_locations
from .problems import Problems as Problems
from .roads import ROAD_CLASS_COLUMN_CANDIDATES, validate_roads

__all__ = [
    "ROAD_CLASS_COLUMN_CANDIDATES",
    "InputWarning",
    "check_extent_overlap",
    "check_same_crs",
    "validate_locations",
    "validate_roads",
]
