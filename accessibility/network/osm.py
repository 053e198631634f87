"""Networks from OpenStreetMap: an OSM file read offline (:mod:`accessibility.osm`), or an osmnx
graph the user already has. Junctions are OSM nodes, so no snapping tolerance is needed."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._arrays import short_lived_arrays
from .._crs import CRSLike, metric_crs
from ..errors import EmptyLayerError
from ..speeds import MODES
from .assemble import BuildOptions, assemble
from .types import Network

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["network_from_osm", "network_from_osmnx"]

_log = logging.getLogger(__name__)


def network_from_osm(
    path: str | os.PathLike,
    *,
    modes: Sequence[str] = MODES,
    profile: str | Mapping[str, Mapping[str, float]] = "osm",
    speeds: Mapping[str, Mapping[str, float]] | None = None,
    use_maxspeed: bool = True,
    oneway: bool = True,
    crs: CRSLike | None = None,
) -> Network:
    """Build a network from an OpenStreetMap file, offline.

    Reads ``.osm``, ``.osm.gz``, ``.osm.bz2`` XML and ``.osm.pbf`` with pyosmium. Every way with a
    ``highway`` tag that some mode may use is kept, and **all connected components are kept** (no
    silent "largest component only"); ``network.report`` says how many there are. Junctions are OSM
    nodes shared by ways, so no snapping tolerance is needed. ``oneway=yes/-1`` and roundabouts are
    honoured for vehicles (unless ``oneway=False``); ``maxspeed`` tags (km/h or mph) replace the
    class speed for cars when ``use_maxspeed``, except on classes whose car speed you set in
    ``speeds``: your explicit choice wins. The log (INFO) lists the speeds used per mode and class
    and how many edges took their speed from ``maxspeed`` tags
    (``report["car_edges_speed_from_maxspeed"]``).

    Parameters
    ----------
    path
        ``.osm``, ``.osm.gz``, ``.osm.bz2`` or ``.osm.pbf`` file.
    modes
        Modes to compute times for.
    profile
        ``"osm"`` (``highway=*`` classes), ``"china"`` or a full ``{mode: {class: km/h}}`` table.
    speeds
        Overrides of the profile, e.g. ``{"car": {"residential": 20}}``; a mode or class that
        neither the profile nor the file has is an error.
    use_maxspeed
        Use ``maxspeed`` tags for car speeds on classes you did not set in ``speeds``.
    oneway
        ``True`` honours one-way tags for vehicles; ``False`` makes every road two-way.
    crs
        Projected metric CRS to compute in; default: the local UTM zone.

    Examples
    --------
    >>> import accessibility as acc
    >>> net = acc.network_from_osm("../shared/data/osm/north-bayreuth.osm.gz")  # doctest: +SKIP
    """
    with short_lived_arrays():  # the builder's arrays live for a step or two
        from pyproj import Transformer

        from ..osm import read_osm_road_vertices

        roads = read_osm_road_vertices(path)
        sizes = roads["sizes"]
        if len(sizes) == 0:
            raise EmptyLayerError(f"{os.fspath(path)!r} has no ways with a highway tag")
        attrs = roads["attrs"]
        lonlat = roads["lonlat"]
        # the lines' extent decides the UTM zone; the vertices are projected as arrays, as
        # GeoSeries.to_crs would project the lines' coordinates, and the lines made once, projected
        lo, hi = lonlat.min(axis=0), lonlat.max(axis=0)
        work_crs = metric_crs(gpd.GeoSeries(shapely.points([lo, hi]), crs="EPSG:4326"), crs)
        xy = np.column_stack(
            Transformer.from_crs("EPSG:4326", work_crs, always_xy=True).transform(
                lonlat[:, 0], lonlat[:, 1]
            )
        )
        proj = shapely.linestrings(xy, indices=np.repeat(np.arange(len(sizes)), sizes))
        report: dict[str, Any] = {"n_input_lines": len(sizes), "source": os.fspath(path)}
        if roads.get("skipped"):
            report["n_osm_ways_skipped"] = dict(roads["skipped"])
        if not use_maxspeed:
            report["car_edges_speed_from_maxspeed"] = 0
            _log.info(
                "maxspeed tags are not used (use_maxspeed=False): car speeds are class speeds"
            )
        options = BuildOptions(
            profile, speeds, modes, oneway, maxspeed_column="maxspeed_kmh" if use_maxspeed else None
        )
        return assemble(
            proj, attrs, work_crs, options, vertex_keys=roads["vertex_keys"], report=report
        )


def network_from_osmnx(
    graph: nx.MultiDiGraph,
    *,
    modes: Sequence[str] = MODES,
    profile: str | Mapping[str, Mapping[str, float]] = "osm",
    speeds: Mapping[str, Mapping[str, float]] | None = None,
    use_maxspeed: bool = True,
    oneway: bool = True,
    crs: CRSLike | None = None,
) -> Network:
    """Build a network from an osmnx ``MultiDiGraph`` the user already has.

    Pairs of opposite directed edges of the same way become one two-way edge; a directed edge with no
    partner becomes a one-way edge (walkable both ways; ``oneway=False`` makes it two-way for every
    mode). Nodes keep their positions; components are all kept. ``maxspeed`` and ``speeds`` work
    as in :func:`network_from_osm`: a class speed set in ``speeds`` wins over ``maxspeed``.

    Examples
    --------
    On an OSM extract (real data beside the project):

    >>> import osmnx as ox  # doctest: +SKIP
    >>> graph = ox.graph_from_xml("../shared/data/osm/north-bayreuth.osm.gz")  # doctest: +SKIP
    >>> net = network_from_osmnx(graph, modes=("walk", "car"))  # doctest: +SKIP
    """
    import osmnx as ox

    if graph.number_of_edges() == 0:
        raise EmptyLayerError("the osmnx graph has no edges")
    _, edges = ox.graph_to_gdfs(graph, nodes=True, edges=True, fill_edge_geometry=True)
    edges = edges.reset_index()
    n_not_road = 0
    if "highway" in edges:
        # graph_from_xml turns every way into edges (landuse outlines too): keep roads only
        road = edges["highway"].notna().to_numpy()
        n_not_road = int((~road).sum())
        edges = edges.loc[road].reset_index(drop=True)
    if "length" in edges:
        lk = np.round(edges["length"].to_numpy(np.float64), 2)
    else:
        lk = np.round(shapely.length(edges.geometry.to_numpy()), 9)
    u = edges["u"].to_numpy()
    v = edges["v"].to_numpy()
    edges.geometry.to_numpy()
    # match each edge with an opposite partner of the same length (same way, other direction)
    key_fwd = pd.MultiIndex.from_arrays([u, v, lk])
    key_bwd = pd.MultiIndex.from_arrays([v, u, lk])
    has_partner = key_fwd.isin(key_bwd)
    canonical = (u < v) | ((u == v) & (edges["key"].to_numpy() % 2 == 0))
    keep = ~has_partner | (has_partner & canonical)
    # an edge u<v whose partner is kept instead: drop duplicates of the same pair/length
    e = edges.loc[keep].copy()
    e["oneway_flag"] = ~has_partner[keep]

    def _first(x: Any) -> Any:
        return x[0] if isinstance(x, list) and x else x

    hw = e["highway"].map(_first) if "highway" in e else pd.Series("unknown", index=e.index)
    attrs = pd.DataFrame(
        {
            "road_class": hw.to_numpy(),
            "oneway": e["oneway_flag"].to_numpy(bool),
            "name": e["name"].map(_first).to_numpy() if "name" in e else None,
        }
    )
    maxspeed_column = None
    if use_maxspeed and "maxspeed" in e:
        from ..osm import parse_maxspeed

        attrs["maxspeed_kmh"] = e["maxspeed"].map(lambda s: parse_maxspeed(_first(s))).to_numpy()
        maxspeed_column = "maxspeed_kmh"
    node_ids = np.concatenate([e["u"].to_numpy(), e["v"].to_numpy()])
    gs = gpd.GeoSeries(e.geometry.to_numpy(), crs=graph.graph.get("crs", "EPSG:4326"))
    work_crs = metric_crs(gs, crs)
    proj = gs.to_crs(work_crs).to_numpy()
    # junctions are the osmnx nodes: give the end vertices their node id, interior vertices unique keys
    coords, line_of = shapely.get_coordinates(proj, return_index=True)
    keys = -1 - np.arange(len(coords), dtype=np.int64)
    starts = np.r_[True, line_of[1:] != line_of[:-1]]
    ends = np.r_[line_of[1:] != line_of[:-1], True]
    keys[starts] = node_ids[: len(e)]
    keys[ends] = node_ids[len(e) :]
    report: dict[str, Any] = {
        "n_input_lines": int(graph.number_of_edges()),
        "source": "osmnx",
        "n_non_road_edges_dropped": n_not_road,
    }
    options = BuildOptions(profile, speeds, modes, oneway, maxspeed_column=maxspeed_column)
    return assemble(proj, attrs, work_crs, options, vertex_keys=keys, report=report)
