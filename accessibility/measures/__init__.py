"""Accessibility measures: functions of a cost table, demand and supply, one value per village.

The package, one job a module: :mod:`~accessibility.measures.decay` (distance-decay functions),
:mod:`~accessibility.measures.nearest` (cost to the nearest facilities),
:mod:`~accessibility.measures.cumulative` (cumulative opportunities and gravity),
:mod:`~accessibility.measures.fca` (the floating-catchment family, spatial availability, Huff),
:mod:`~accessibility.measures.coverage` (capacity-filled coverage) and
:mod:`~accessibility.measures.table` (many measures from plain dicts, in one table).

Every measure takes

* ``costs``: the long cost table (columns ``origin``, ``destination`` and a cost column, by default
  ``travel_time_min``; pairs beyond the routing limit are absent),
* ``demand``: a Series indexed by village id (population, school-age children, elderly, ...),
* ``supply``: a Series indexed by facility id (beds, doctors, seats, or 1 per facility),

and returns a named Series indexed exactly like ``demand`` (or, for :func:`huff_probabilities`, a
long table). Villages that reach nothing get 0 where 0 is the honest answer (counts, sums, ratios
of supply per person) and ``inf`` where a cost is asked for (:func:`nearest_cost`).

A measure's catchment is ``catchment_min=`` (minutes) or ``catchment_m=`` (metres): the one in
the unit of the cost column, read from the end of its name (``_min``, ``_s``, ``_h``, ``_m``,
``_km``) or ``costs.attrs["units"]``; another unit is a
:class:`~accessibility.errors.CostUnitError`. (``limit_min=`` is the old name of
``catchment_min=`` and works for one release, with a FutureWarning.)

All computation is vectorised over the pairs (``numpy.bincount`` over integer codes), so a cost
table of millions of rows takes seconds.

References for each measure are in its docstring and in ``docs/measures.md``.

Examples
--------
The examples of this package run on the bundled (synthetic) demo county: 354 villages, its 221
village clinics, and the cost table of car travel times up to 60 minutes. Two villages are shown:
``V001`` (an urban community in the county seat) and ``V216`` (a mountain village of Taoyuan
township, the second farthest from a clinic).

>>> import accessibility as acc
>>> from accessibility import decay
>>> from accessibility.measures import *
>>> demo = acc.load_demo()
>>> villages = demo.villages
>>> clinics = demo.facilities[demo.facilities["service"] == "clinic"]
>>> net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
>>> costs = acc.travel_costs(net, villages, clinics, mode="car", max_time_min=60)
>>> len(villages), len(clinics), len(costs)
(354, 221, 65779)
>>> two = ["V001", "V216"]
>>> villages.loc[two, "name_pinyin"].tolist()
['Jiefang Shequ', 'Dongchong Cun']
"""

from . import decay as decay
from ._table import DEFAULT_COST
from .coverage import CoverageResult, capacity_coverage
from .cumulative import cumulative, cumulative_intervals, gravity
from .fca import (
    E2SFCA_BREAKS_MIN,
    E2SFCA_WEIGHTS,
    THREE_SFCA_BREAKS_MIN,
    THREE_SFCA_WEIGHTS,
    bfca,
    e2sfca,
    huff_probabilities,
    kd2sfca,
    m2sfca,
    spatial_availability,
    three_sfca,
    two_sfca,
)
from .nearest import mean_nearest_cost, nearest_cost, nearest_facility
from .table import measure_reaches, measure_table

__all__ = [
    "DEFAULT_COST",
    "E2SFCA_BREAKS_MIN",
    "E2SFCA_WEIGHTS",
    "THREE_SFCA_BREAKS_MIN",
    "THREE_SFCA_WEIGHTS",
    "CoverageResult",
    "bfca",
    "capacity_coverage",
    "cumulative",
    "cumulative_intervals",
    "e2sfca",
    "gravity",
    "huff_probabilities",
    "kd2sfca",
    "m2sfca",
    "mean_nearest_cost",
    "measure_reaches",
    "measure_table",
    "nearest_cost",
    "nearest_facility",
    "spatial_availability",
    "three_sfca",
    "two_sfca",
]
