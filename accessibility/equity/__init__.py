"""Balance and equity: coverage against planning standards, inequality indices, the urban-rural gap.

Three groups of functions, all taking the per-village layer (one row per village, indexed by village
id) and returning new pandas objects aligned to it:

* **Standards** -- :func:`standards_compliance` says for every village whether it meets the
  standard that applies to its area type (urban / rural); :func:`coverage_rates` turns that into
  the population share meeting each standard (达标率) overall, by urban/rural or by township;
  :func:`underserved` ranks villages by population x shortfall; :func:`unit_summary` and
  :func:`join_units` make a township table/layer.
* **Inequality** of any per-village measure, population-weighted: :func:`gini`, :func:`theil_t`,
  :func:`theil_l`, :func:`theil_decomposition`, :func:`coefficient_of_variation`, :func:`palma`,
  :func:`concentration_index`, :func:`lorenz_curve`, :func:`fgt`; :func:`inequality_table` and
  :func:`urban_rural_gap` gather them for a report.
* **Spatial clustering** of poor access: :func:`morans_i` and :func:`local_clusters` (equal to
  PySAL ``esda`` with k-nearest-neighbour weights from ``libpysal``, computed with numpy/SciPy).

Weights are populations: an index computed with weights equals the index computed on a list where
every village is repeated once per resident. Inputs are checked once, with errors that say what was
found and how to fix it: weights that do not match the values, negative or missing values, all-zero
measures, groups with missing labels (see :func:`.inputs.prepare`).

One job per module: :mod:`.inputs` (checks, alignment, :func:`fill_unreachable`),
:mod:`.inequality` (the indices), :mod:`.spatial` (Moran's I, LISA), :mod:`.compliance`
(standards met per village), :mod:`.coverage` (coverage rates, underserved villages),
:mod:`.units` (township summaries) and :mod:`.summaries` (report tables).

References
----------
Cowell, F. (2011). *Measuring Inequality*, 3rd ed. Oxford University Press (Gini, Theil, Palma).
Shorrocks, A. (1980). The class of additively decomposable inequality measures. *Econometrica* 48.
O'Donnell, O. et al. (2008). *Analyzing Health Equity Using Household Survey Data*, ch. 8
(concentration index). Foster, J., Greer, J., Thorbecke, E. (1984). A class of decomposable poverty
measures. *Econometrica* 52. Anselin, L. (1995). Local indicators of spatial association - LISA.
*Geographical Analysis* 27.

Examples
--------
The examples run on the bundled (synthetic) demo county: the per-village layer of car travel
times to every service, checked against the built-in Chinese planning standards.

>>> import accessibility as acc
>>> from accessibility.equity import *
>>> from accessibility.standards import load_standards
>>> demo = acc.load_demo()
>>> net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
>>> layer = acc.accessibility_layer(net, demo.villages, demo.facilities)  # car times
>>> standards = load_standards()
>>> compliance = standards_compliance(layer, standards, mode="car", missing="skip")
>>> clinic = fill_unreachable(layer["clinic_nearest_min"], 60)  # minutes to the nearest clinic
>>> pop = layer["population"]
>>> len(layer), round(float(clinic.max()), 1)
(354, 44.4)
"""

from __future__ import annotations

from .compliance import standards_compliance
from .coverage import coverage_rates, coverage_table, underserved
from .inequality import (
    CV_LIMIT_JUNIOR,
    CV_LIMIT_PRIMARY,
    coefficient_of_variation,
    concentration_index,
    fgt,
    gini,
    lorenz_curve,
    palma,
    theil_decomposition,
    theil_l,
    theil_t,
)
from .inputs import fill_unreachable
from .spatial import local_clusters, morans_i
from .summaries import inequality_table, urban_rural_gap
from .units import join_units, unit_summary

__all__ = [
    "CV_LIMIT_JUNIOR",
    "CV_LIMIT_PRIMARY",
    "coefficient_of_variation",
    "concentration_index",
    "coverage_rates",
    "coverage_table",
    "fgt",
    "fill_unreachable",
    "gini",
    "inequality_table",
    "join_units",
    "local_clusters",
    "lorenz_curve",
    "morans_i",
    "palma",
    "standards_compliance",
    "theil_decomposition",
    "theil_l",
    "theil_t",
    "underserved",
    "unit_summary",
    "urban_rural_gap",
]
