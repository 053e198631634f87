"""How a study area is cut into partition tasks: the buffer that bounds every trip within the
time limit (:func:`buffer_radius_m`), the measures partitions can compute, which partition each
village belongs to, and the roads, facilities and villages each task takes (:class:`Plan`)."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...errors import ConfigError, MissingColumnError, suggest
from ...speeds import speed_profile

_log = logging.getLogger(__name__)


#: Measures whose value for a village depends only on that village's own cost rows.
LOCAL_MEASURES = frozenset(
    {"cumulative", "intervals", "nearest", "mean_nearest", "gravity", "huff"}
)
#: Measures that also need the demand of every village competing for the same facilities (two
#: steps: village -> facility -> villages). Partitions then carry "context" villages.
TWO_STEP_MEASURES = frozenset({"2sfca", "e2sfca", "m2sfca", "kd2sfca", "spatial_availability"})
#: Measures not supported in partitioned runs: 3SFCA and BFCA normalise over every facility a
#: competing village reaches (three steps), capacity-filled coverage fills facilities in a global
#: order (unbounded chain of dependencies).
UNSUPPORTED_MEASURES = frozenset({"3sfca", "bfca", "coverage"})

#: Tobler's hiking function peaks at a grade of -5 %: exp(3.5 * 0.05) times the flat speed.
_TOBLER_PEAK = math.exp(3.5 * 0.05)
#: Segments per quarter circle of the buffer polygons; the radius is enlarged so the polygon
#: contains the true disc (a polygon inscribed in a circle lies inside it).
_QUAD_SEGS = 8


def max_speeds_kmh(
    profile: str | Mapping[str, Mapping[str, float]] = "china",
    *,
    modes: Sequence[str],
    speeds: Mapping[str, Mapping[str, float]] | None = None,
    speed_column_max_kmh: float | None = None,
    dem: bool = False,
) -> dict[str, float]:
    """Fastest speed (km/h) any edge can have, per mode: the largest class speed of the profile
    (with overrides), a per-edge car speed column's maximum, and for slope-aware walking Tobler's
    peak (flat speed x exp(0.175), downhill at 5 %)."""

    table = speed_profile(profile, overrides=speeds) if speeds else speed_profile(profile)
    out: dict[str, float] = {}
    for m in modes:
        if m not in table:
            raise ConfigError(f"mode {m!r} has no speed table.{suggest(m, list(table))}")
        v = max(float(x) for x in table[m].values())
        if m == "car" and speed_column_max_kmh is not None and np.isfinite(speed_column_max_kmh):
            v = max(v, float(speed_column_max_kmh))
        if m == "walk" and dem:
            v *= _TOBLER_PEAK
        out[m] = v
    return out


def buffer_radius_m(
    max_time_min: Mapping[str, float],
    max_speed_kmh: Mapping[str, float],
    *,
    max_snap_m: float,
) -> float:
    """Radius (m) around a village beyond which no trip of the time limit can go.

    .. math:: r = \\max_m \\frac{T_m}{60} \\, v_m \\, 1000 + s

    with :math:`T_m` the routing time limit of mode :math:`m` (min), :math:`v_m` its fastest edge
    speed (km/h) and :math:`s` = ``max_snap_m``. Why it is an upper bound: a trip leaves the
    village along its connector (at most :math:`s` metres, villages farther from a road are not
    routed) and then runs along edges no faster than :math:`v_m`, so in :math:`T_m` minutes it
    covers at most :math:`T_m / 60 \\cdot v_m` km of road. Every road point a trip within the
    limit touches lies within :math:`r` of the village, and the facility at its end (itself up to
    :math:`s` from the road) within :math:`r + s`.

    A partition therefore takes (``D`` = the first term, ``R = D + s``):

    * facilities within ``R + s`` of its villages (everything they can reach);
    * roads within ``R + 2 s`` (every route, and the roads those facilities snap to, so each is
      snapped exactly as in the whole network);
    * with two-step measures (2SFCA family), also the "context" villages within ``2 (R + s)``
      that compete for the same facilities, and roads within ``2 R + 3 s``;
    * plus every road within a few snapping tolerances of those roads, so the selected roads are
      split at exactly the junctions they have in the whole network.

    Examples
    --------
    >>> buffer_radius_m({"car": 30.0}, {"car": 100.0}, max_snap_m=1000.0)
    51000.0
    """
    d = max(float(max_time_min[m]) / 60.0 * float(max_speed_kmh[m]) * 1000.0 for m in max_time_min)
    return d + float(max_snap_m)


def check_measures(specs: Mapping[str, Mapping[str, Any]]) -> bool:
    """Raise for measures partitions cannot compute exactly; True if any is two-step."""
    two_step = False
    for name, spec in specs.items():
        for m in spec.get("measures") or []:
            kind = str(m.get("measure", "")) if isinstance(m, Mapping) else ""
            if kind in UNSUPPORTED_MEASURES:
                raise ConfigError(
                    f"[services.{name}] measure {kind!r} cannot be computed exactly in a "
                    "partitioned run (it depends on villages and facilities arbitrarily far "
                    "away); run it with `accessibility run` without --dask, or drop it"
                )
            if kind in TWO_STEP_MEASURES:
                two_step = True
    return two_step


#: The village column partitioned by when none is named (and villages have it).
DEFAULT_PARTITION_COLUMN = "county"
#: The name of the one partition of a study area without a ``county`` column (one county).
WHOLE_AREA = "all"


def partition_labels(
    villages: gpd.GeoDataFrame,
    partition_column: str | None,
    partitions: gpd.GeoDataFrame | None,
) -> pd.Series:
    if partitions is not None:
        if partitions.crs is None:
            raise ConfigError("the partition polygons have no CRS; set one with .set_crs(...)")
        polys = partitions.to_crs(villages.crs) if partitions.crs != villages.crs else partitions
        hit_v, hit_p = shapely.STRtree(polys.geometry.to_numpy()).query(
            villages.geometry.to_numpy(), predicate="within"
        )
        first = pd.Series(hit_p, index=hit_v).groupby(level=0).min()
        lab = pd.Series(polys.index.to_numpy()[first.to_numpy()], index=villages.index[first.index])
        missing = villages.index.difference(lab.index)
        if len(missing):
            raise ConfigError(
                f"{len(missing)} villages lie in no partition polygon (e.g. "
                f"{missing[:5].tolist()}); give polygons that cover every village"
            )
        return lab.reindex(villages.index).astype(str)
    if partition_column is None:
        if DEFAULT_PARTITION_COLUMN not in villages.columns:
            _log.info(
                "villages have no %r column: the study area is one partition (name a unit "
                "column with partition_column=... to split it)",
                DEFAULT_PARTITION_COLUMN,
            )
            return pd.Series(WHOLE_AREA, index=villages.index)
        partition_column = DEFAULT_PARTITION_COLUMN
    if partition_column not in villages.columns:
        raise MissingColumnError(
            f"villages have no column {partition_column!r} to partition by."
            f"{suggest(partition_column, [str(c) for c in villages.columns])} Pass "
            "partition_column=... (an administrative unit such as a county code), or partitions="
            "<polygons>"
        )
    lab = villages[partition_column]
    if lab.isna().any():
        raise ConfigError(
            f"{int(lab.isna().sum())} villages have no {partition_column!r} value (e.g. "
            f"{villages.index[lab.isna()][:5].tolist()}); fill it so each village belongs to one "
            "partition"
        )
    return lab.astype(str)


class Plan:
    """Everything the driver needs to cut the study area into partition tasks."""

    def __init__(
        self,
        roads: gpd.GeoDataFrame,
        villages: gpd.GeoDataFrame,
        facilities: gpd.GeoDataFrame,
        work_crs: Any,
        *,
        d_m: float,
        snap_m: float,
        ring_m: float,
        two_step: bool,
    ) -> None:
        self.roads, self.villages, self.facilities = roads, villages, facilities
        rg = roads.geometry.to_crs(work_crs) if roads.crs != work_crs else roads.geometry
        self.road_geoms = rg.to_numpy()
        self.vil_xy = villages.geometry.to_crs(work_crs).to_numpy()
        self.fac_xy = facilities.geometry.to_crs(work_crs).to_numpy()
        self.road_tree = shapely.STRtree(self.road_geoms)
        self.vil_tree = shapely.STRtree(self.vil_xy)
        self.fac_tree = shapely.STRtree(self.fac_xy)
        self.d_m, self.snap_m, self.ring_m, self.two_step = d_m, snap_m, ring_m, two_step
        b = np.vstack([shapely.bounds(self.road_geoms), shapely.bounds(self.vil_xy)])
        self.diagonal_m = float(
            np.hypot(
                np.nanmax(b[:, 2]) - np.nanmin(b[:, 0]), np.nanmax(b[:, 3]) - np.nanmin(b[:, 1])
            )
        )

    def radii(self, level: int) -> dict[str, float]:
        d = self.d_m * 2.0**level
        r = d + self.snap_m
        s = self.snap_m
        out = {"d": d, "facilities": r + s, "roads": r + 2 * s, "context": 0.0}
        if self.two_step:
            out.update(context=2 * (r + s), roads=2 * r + 3 * s)
        return out

    def _region(self, hull: Any, radius: float) -> Any:
        grow = radius / math.cos(math.pi / (4 * _QUAD_SEGS)) + 1.0
        return shapely.buffer(hull, grow, quad_segs=_QUAD_SEGS)

    def select(self, own: np.ndarray, level: int) -> dict[str, Any]:
        rad = self.radii(level)
        hull = shapely.convex_hull(shapely.multipoints(self.vil_xy[own]))
        if level > 0 and rad["roads"] >= self.diagonal_m:
            roads = np.arange(len(self.road_geoms))
            fac = np.arange(len(self.fac_xy))
            vil = np.arange(len(self.vil_xy)) if self.two_step else np.sort(own)
        else:
            core = self.road_tree.query(self._region(hull, rad["roads"]), predicate="intersects")
            _, ring = self.road_tree.query(
                self.road_geoms[core], predicate="dwithin", distance=self.ring_m
            )
            roads = np.union1d(core, ring)
            fac = np.sort(
                self.fac_tree.query(self._region(hull, rad["facilities"]), predicate="intersects")
            )
            if self.two_step:
                ctx = self.vil_tree.query(
                    self._region(hull, rad["context"]), predicate="intersects"
                )
                vil = np.union1d(ctx, own)
            else:
                vil = np.sort(own)
        whole = (
            len(roads) == len(self.road_geoms)
            and len(fac) == len(self.fac_xy)
            and (not self.two_step or len(vil) == len(self.vil_xy))
        )
        return {"roads": roads, "facilities": fac, "villages": vil, "whole": whole, "radii": rad}
