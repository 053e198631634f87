"""Applying a scenario: new facilities, roads and network from the old ones (which are never
modified), and what changed."""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import ConfigError, MissingColumnError, NetworkWarning, suggest, warn
from ..network import Network

if TYPE_CHECKING:  # pragma: no cover
    pass
from .scenario import load_scenario

__all__ = ["PlanningInputs", "apply_scenario"]

_log = logging.getLogger(__name__)

_SUM_COLUMNS = ("capacity", "doctors", "teachers")


@dataclass(frozen=True)
class PlanningInputs:
    """The inputs a scenario changes, kept together.

    Attributes
    ----------
    network
        The road network.
    villages
        Village points (index = village id).
    facilities
        Facility points (index = facility id) with a service column.
    service_column
        Column of ``facilities`` naming the service.
    profile, speeds
        Speed profile (``"china"``, ``"osm"`` or a table) and overrides, used for the speeds of
        added roads (:func:`accessibility.network.speed_profile`).
    transit
        The :class:`~accessibility.transit.TransitSetup` of the project's buses, or None.
    changes
        Filled in by :func:`apply_scenario`: what changed (``facility_change`` per facility id,
        ``added``/``closed``/``supply_changed`` ids per service, ``network_changed``,
        ``edge_change`` per edge of the new network).
    """

    network: Network
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    service_column: str = "service"
    profile: Any = "china"
    speeds: Mapping[str, Mapping[str, float]] | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    transit: Any = None  # the TransitSetup (buses) a scenario may change


def _close_ids(word: str, ids: Iterable[Any], n: int = 3) -> str:
    close = difflib.get_close_matches(str(word), [str(i) for i in ids], n=n, cutoff=0.5)
    return f" Close ids: {close}." if close else ""


def _check_ids(
    wanted: Iterable[str], index: pd.Index, where: str, problems: list[str], what: str = "facility"
) -> None:
    known = set(map(str, index))
    for i in wanted:
        if str(i) not in known:
            problems.append(f"{where}: {what} id {i!r} does not exist.{_close_ids(i, index)}")


def _facility_row(
    entry: Mapping[str, Any],
    inputs: PlanningInputs,
    fac: gpd.GeoDataFrame,
    where: str,
    problems: list[str],
) -> dict[str, Any] | None:
    from pyproj import CRS, Transformer

    svc_col = inputs.service_column
    services = sorted(map(str, pd.unique(fac[svc_col].dropna().astype(str))))
    if entry["service"] not in services:
        problems.append(
            f"{where}: service {entry['service']!r} is not among the facilities' services "
            f"{services}.{suggest(entry['service'], services)}"
        )
    if entry["id"] in set(map(str, fac.index)):
        problems.append(f"{where}: facility id {entry['id']!r} already exists; choose a new id")
    fcrs = CRS.from_user_input(fac.crs)
    row: dict[str, Any] = {svc_col: entry["service"]}
    pt = None
    village = entry["at_village"]
    if village is not None:
        v = inputs.villages
        if str(village) not in set(map(str, v.index)):
            problems.append(
                f"{where}: village id {village!r} does not exist.{_close_ids(village, v.index)}"
            )
        else:
            key = v.index[list(map(str, v.index)).index(str(village))]
            geom = v.geometry.loc[[key]]
            pt = geom.to_crs(fcrs).iloc[0] if v.crs != fac.crs else geom.iloc[0]
            if "township" in v.columns and entry["township"] is None:
                row["township"] = v.at[key, "township"]
            if "village_id" in fac.columns:
                row["village_id"] = key
    elif entry["x"] is not None:
        t = Transformer.from_crs(inputs.network.crs, fcrs, always_xy=True)
        pt = shapely.Point(*t.transform(entry["x"], entry["y"]))
    elif entry["lon"] is not None:
        if not (-180 <= entry["lon"] <= 180 and -90 <= entry["lat"] <= 90):
            problems.append(f"{where}: lon/lat ({entry['lon']}, {entry['lat']}) are not degrees")
        else:
            t = Transformer.from_crs("EPSG:4326", fcrs, always_xy=True)
            pt = shapely.Point(*t.transform(entry["lon"], entry["lat"]))
    row["name"] = entry["name"] if entry["name"] is not None else entry["id"]
    for key in ("capacity", "doctors", "teachers", "township"):
        if entry.get(key) is not None:
            row[key] = entry[key]
    row.update(dict(entry["attributes"] or {}))
    for key in list(row):
        if key not in fac.columns:
            if key == "name" and entry["name"] is None:
                row.pop(key)
                continue
            problems.append(
                f"{where}: the facilities have no column {key!r}.{suggest(key, fac.columns)}"
            )
    if pt is None:
        return None
    row[fac.geometry.name] = pt
    return row


def _edge_selection(
    entry: Mapping[str, Any], edges: gpd.GeoDataFrame, where: str, problems: list[str]
) -> np.ndarray:
    if entry["road_class"] is not None:
        known = sorted(map(str, pd.unique(edges["road_class"].astype(str))))
        sel = np.zeros(len(edges), bool)
        for cls in entry["road_class"]:
            from ..speeds import normalise_class

            norm = normalise_class(cls, "china")
            hit = edges["road_class"].astype(str).isin([cls, norm]).to_numpy()
            if not hit.any():
                problems.append(
                    f"{where}: no road of class {cls!r}; the network has {known}."
                    + suggest(cls, known)
                )
            sel |= hit
        return sel
    if entry["road_name"] is not None:
        names = edges["name"].astype("string").fillna("")
        known = sorted(set(names) - {""})
        sel = np.zeros(len(edges), bool)
        for name in entry["road_name"]:
            hit = (names == name).to_numpy()
            if not hit.any():
                close = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
                problems.append(
                    f"{where}: no road named {name!r}."
                    + (f" Close names: {close}." if close else "")
                )
            sel |= hit
        return sel
    e = np.asarray(entry["edges"], dtype=np.int64)
    bad = e[(e < 0) | (e >= len(edges))]
    if len(bad):
        problems.append(
            f"{where}: edge ids {bad[:5].tolist()} are not in the network (0..{len(edges) - 1})"
        )
        e = e[(e >= 0) & (e < len(edges))]
    sel = np.zeros(len(edges), bool)
    sel[e] = True
    return sel


def _new_road_line(
    entry: Mapping[str, Any], network: Network, where: str, problems: list[str]
) -> shapely.LineString | None:
    from pyproj import Transformer

    if entry["lonlat"] is not None:
        lon, lat = np.asarray(entry["lonlat"], dtype=float).T
        t = Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
        xy = np.column_stack(t.transform(lon, lat))
    else:
        xy = np.asarray(entry["coordinates"], dtype=float)
    if not np.isfinite(xy).all():
        problems.append(f"{where}: coordinates could not be transformed to the network CRS")
        return None
    e = network.edges
    x0, y0, x1, y1 = e.total_bounds
    span = max(x1 - x0, y1 - y0, 1.0)
    far = (xy[:, 0] < x0 - span) | (xy[:, 0] > x1 + span) | (xy[:, 1] < y0 - span)
    far |= xy[:, 1] > y1 + span
    if far.any():
        problems.append(
            f"{where}: coordinates {xy[far][:2].round(1).tolist()} are far outside the road "
            f"network (bounds {np.round([x0, y0, x1, y1], 1).tolist()} in {network.crs.to_string()}); "
            "give them in the network's CRS, or use lonlat = [[lon, lat], ...]"
        )
        return None
    coords = [tuple(p) for p in xy]
    snap = float(entry["snap_m"])
    if snap > 0:
        geoms = e.geometry.to_numpy()
        tree = shapely.STRtree(geoms)
        node_xy = network.nodes[["x", "y"]].to_numpy()
        for pos in (0, -1):
            p = shapely.Point(coords[pos])
            (_, j), d = tree.query_nearest([p], return_distance=True, all_matches=False)
            if len(j) == 0 or d[0] > snap:
                warn(
                    NetworkWarning,
                    _log,
                    "%s: the road end %s is more than %g m from any road; it stays unconnected",
                    where,
                    np.round(coords[pos], 1).tolist(),
                    snap,
                )
                continue
            line = geoms[j[0]]
            q = shapely.line_interpolate_point(line, shapely.line_locate_point(line, p))
            qxy = np.array([q.x, q.y])
            ends = node_xy[[e["u"].iat[j[0]], e["v"].iat[j[0]]]]
            dn = np.hypot(*(ends - qxy).T)
            if dn.min() <= 0.5:  # at a junction: join the node itself
                qxy = ends[int(np.argmin(dn))]
            if np.hypot(*(qxy - np.asarray(coords[pos]))) > 0:
                if pos == 0:
                    coords.insert(0, (float(qxy[0]), float(qxy[1])))
                else:
                    coords.append((float(qxy[0]), float(qxy[1])))
    line = shapely.LineString(coords)
    if line.length <= 0:
        problems.append(f"{where}: the new road has zero length")
        return None
    return line


def _splice_roads(
    network: Network,
    lines: Sequence[shapely.LineString],
    entries: Sequence[Mapping[str, Any]],
    profile: Any,
    speeds: Mapping[str, Mapping[str, float]] | None,
) -> tuple[Network, np.ndarray]:
    """Re-run the topology builder on the network's roads plus new lines; keep old edge times.

    Pieces of existing edges keep their time per mode and direction in proportion to their
    length (exact for the uniform speed along an edge); new roads get their class speed.
    """
    from ..network import network_from_roads
    from ..speeds import PROFILES, normalise_class, speed_profile

    e = network.edges
    base = gpd.GeoDataFrame(
        {
            "road_class": e["road_class"].astype(str).to_numpy(),
            "oneway": e["oneway"].to_numpy(bool),
            "name": e["name"].to_numpy(object) if "name" in e else None,
        },
        geometry=e.geometry.to_numpy(),
        crs=network.crs,
        index=pd.Index(np.arange(len(e), dtype=np.int64)),
    )
    new = gpd.GeoDataFrame(
        {
            "road_class": [str(x["road_class"]) for x in entries],
            "oneway": [bool(x["oneway"]) for x in entries],
            "name": [x["name"] or f"new road {i + 1}" for i, x in enumerate(entries)],
        },
        geometry=list(lines),
        crs=network.crs,
        index=pd.Index(-1 - np.arange(len(lines), dtype=np.int64)),
    )
    roads = pd.concat([base, new])
    table = speed_profile(profile, overrides=speeds)
    built_modes = [m for m in network.modes if m in table] or list(table)[:1]
    rebuilt = network_from_roads(
        roads,
        profile=profile,
        speeds=speeds,
        modes=built_modes,
        tolerance_m=1e-3,
        join_t_junctions=True,
    )
    ne = rebuilt.edges
    src = ne["source_id"].to_numpy(np.int64)
    old = src >= 0
    srcc = np.where(old, src, 0)
    frac = ne["length_m"].to_numpy() / e["length_m"].to_numpy()[srcc]
    out = ne[["u", "v", "length_m", "road_class", "oneway", "name", "geometry"]].copy()
    out["source_id"] = src
    length = out["length_m"].to_numpy()
    pname = profile if isinstance(profile, str) and profile in PROFILES else None
    for mode in network.modes:
        fwd = np.full(len(ne), np.inf)
        bwd = np.full(len(ne), np.inf)
        with np.errstate(invalid="ignore"):
            fwd[old] = e[f"{mode}_fwd_min"].to_numpy()[srcc[old]] * frac[old]
            bwd[old] = e[f"{mode}_bwd_min"].to_numpy()[srcc[old]] * frac[old]
        for k, entry in enumerate(entries):
            m = src == -1 - k
            sp = entry["speed_kmh"]
            if isinstance(sp, Mapping):
                v = float(
                    sp.get(
                        mode,
                        table.get(mode, {}).get(normalise_class(entry["road_class"], pname), 0.0),
                    )
                )
            elif sp is not None and mode == "car":
                v = float(sp)
            else:
                cls = normalise_class(entry["road_class"], pname)
                mt = table.get(mode, {})
                v = float(mt.get(cls, mt.get("unknown", 0.0)))
            t = length[m] / 1000.0 / v * 60.0 if v > 0 else np.full(int(m.sum()), np.inf)
            fwd[m] = t
            oneway = bool(entry["oneway"]) and mode != "walk"
            bwd[m] = np.inf if oneway else t
        out[f"{mode}_fwd_min"] = fwd
        out[f"{mode}_bwd_min"] = bwd
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.fmin(fwd, bwd)
            out[f"{mode}_speed_kmh"] = np.where(
                np.isfinite(t) & (t > 0), length / 1000.0 / (t / 60.0), 0.0
            )
    out.index.name = "edge"
    report = dict(rebuilt.report)
    report["n_roads_added"] = len(lines)
    return Network(rebuilt.nodes, out, network.modes, report), src


def apply_scenario(
    inputs: PlanningInputs, scenario: str | os.PathLike | Mapping[str, Any]
) -> PlanningInputs:
    """Apply a scenario to the inputs and return new inputs (the given ones are not modified).

    Facility changes are applied in this order: ``add_facility``, ``merge_facilities``,
    ``close_facility``, ``change_capacity``, ``upgrade_facility`` (a new service counts as closed
    in the old service and added in the new one); road changes: ``add_road``, then
    ``change_road_speed``. All problems (unknown facility ids with the closest existing ones,
    unknown services, road classes or names, columns the facilities lack) are reported at once.

    Parameters
    ----------
    inputs
        The current network, villages and facilities.
    scenario
        A scenario file or dict (:func:`load_scenario`).

    Returns
    -------
    PlanningInputs
        New inputs. ``changes`` holds ``facility_change`` (facility id -> ``"added"``,
        ``"closed"``, ``"merged_away"``, ``"merged_into"``, ``"capacity_changed"``, ``"upgraded"``), per-service
        id lists ``added``, ``closed``, ``supply_changed``, ``network_changed`` (bool),
        ``edge_change`` (per edge of the new network: ``""``, ``"new"`` or ``"speed"``),
        ``transit_changed`` (bool) and ``bus_lines_changed`` (line ids); ``transit`` the setup
        after the bus actions (``[[change_headway]]``, ``[[add_run]]``, ``[[add_line]]``,
        ``[[extend_line]]``, :func:`accessibility.transit.edit_line_tables`).

    Examples
    --------
    >>> import accessibility as acc
    >>> demo = acc.load_demo()
    >>> net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
    >>> base = PlanningInputs(net, demo.villages, demo.facilities)
    >>> new = apply_scenario(base, {"close_facility": {"id": "HC002"}})
    >>> "HC002" in new.facilities.index, "HC002" in base.facilities.index
    (False, True)
    """
    sc = load_scenario(scenario)
    svc_col = inputs.service_column
    fac = inputs.facilities
    if svc_col not in fac.columns:
        raise MissingColumnError(
            f"facilities have no service column {svc_col!r}.{suggest(svc_col, fac.columns)}"
        )
    problems: list[str] = []
    edit = _FacilityEdit(fac, svc_col, problems)
    edit.add(sc["add_facility"], inputs)
    edit.merge(sc["merge_facilities"])
    edit.close(sc["close_facility"])
    edit.change_capacity(sc["change_capacity"])
    _upgrade(edit, sc["upgrade_facility"])
    for fid, what in edit.change.items():
        if what == "added":
            edit.added.setdefault(edit.svc(fid), []).append(fid)
    net, edge_change, roads_changed = _apply_road_changes(sc, inputs, problems)
    changes = {
        "facility_change": edit.change,
        "added": edit.added,
        "closed": edit.closed,
        "supply_changed": edit.supply,
        "network_changed": roads_changed,
        "edge_change": edge_change,
        "scenario": sc,
    }
    transit, changes["bus_lines_changed"] = _apply_bus_changes(sc, inputs, net)
    changes["transit_changed"] = bool(changes["bus_lines_changed"])
    new_fac = edit.new_fac
    return replace(inputs, network=net, facilities=new_fac, changes=changes, transit=transit)


def _apply_bus_changes(
    sc: Mapping[str, Any], inputs: PlanningInputs, network: Network
) -> tuple[Any, list[str]]:
    """The transit setup after the scenario's bus actions, and the lines they change."""
    from ..transit import BUS_ACTIONS, edit_line_tables

    if not any(sc.get(a) for a in BUS_ACTIONS):
        return inputs.transit, []
    if inputs.transit is None:
        raise ConfigError(
            "the scenario changes buses ("
            + ", ".join(f"[[{a}]]" for a in BUS_ACTIONS if sc.get(a))
            + ') but the project has no [transit] section naming a line table (lines = "...")'
        )
    return edit_line_tables(inputs.transit, sc, network=network, villages=inputs.villages)


class _FacilityEdit:
    """The facilities while a scenario's facility changes are applied, with what changed."""

    def __init__(self, fac: gpd.GeoDataFrame, svc_col: str, problems: list[str]) -> None:
        self.fac = fac
        self.new_fac = fac.copy()
        self.svc_col = svc_col
        self.problems = problems
        self.change: dict[Any, str] = {}
        self.added: dict[str, list[Any]] = {}
        self.closed: dict[str, list[Any]] = {}
        self.supply: dict[str, list[Any]] = {}
        self.id_of = {str(i): i for i in fac.index}

    def svc(self, fid: Any) -> str:
        return str(self.new_fac.at[fid, self.svc_col])

    def existing(self, ids: Sequence[Any], where: str) -> list[Any]:
        """The facilities named by ``ids`` (the unknown ones recorded as problems)."""
        _check_ids(ids, self.new_fac.index, where, self.problems)
        return [
            self.id_of[x]
            for x in ids
            if str(x) in self.id_of and self.id_of[x] in self.new_fac.index
        ]

    def add(self, entries: Sequence[Mapping[str, Any]], inputs: PlanningInputs) -> None:
        rows = []
        for i, entry in enumerate(entries):
            row = _facility_row(
                entry, inputs, self.fac, f"[[add_facility]] #{i + 1}", self.problems
            )
            if row is not None:
                rows.append((entry["id"], row))
        if not rows:
            return
        add = gpd.GeoDataFrame(
            [r for _, r in rows],
            index=pd.Index([k for k, _ in rows], name=self.fac.index.name),
            geometry=self.fac.geometry.name,
            crs=self.fac.crs,
        )
        self.new_fac = pd.concat([self.new_fac, add])
        for k, _ in rows:
            self.change[k] = "added"
            self.id_of[str(k)] = k

    def merge(self, entries: Sequence[Mapping[str, Any]]) -> None:
        for i, entry in enumerate(entries):
            where = f"[[merge_facilities]] #{i + 1}"
            _check_ids([*entry["from"], entry["into"]], self.new_fac.index, where, self.problems)
            if any(str(x) not in self.id_of for x in [*entry["from"], entry["into"]]):
                continue
            into = self.id_of[entry["into"]]
            srcs = [self.id_of[x] for x in entry["from"]]
            other = [s for s in srcs if self.svc(s) != self.svc(into)]
            if other:
                self.problems.append(
                    f"{where}: {other} are not {self.svc(into)!r} facilities like {entry['into']!r}"
                )
                continue
            self._sum_into(into, srcs, entry["sum"], where)
            self.new_fac = self.new_fac.drop(index=srcs)
            for s in srcs:
                self.change[s] = "merged_away"
                self.closed.setdefault(str(self.fac.at[s, self.svc_col]), []).append(s)
            self.change[into] = "merged_into"
            self.supply.setdefault(self.svc(into), []).append(into)

    def _sum_into(self, into: Any, srcs: list[Any], columns: Any, where: str) -> None:
        new_fac = self.new_fac
        cols = columns if columns is not None else [c for c in _SUM_COLUMNS if c in new_fac.columns]
        for c in cols:
            if c not in new_fac.columns:
                self.problems.append(
                    f"{where}: no column {c!r} to sum.{suggest(c, new_fac.columns)}"
                )
                continue
            vals = pd.to_numeric(new_fac.loc[[into, *srcs], c], errors="coerce")
            total = vals.sum(min_count=1)
            if pd.api.types.is_integer_dtype(new_fac[c]) and pd.notna(total):
                total = int(total)
            new_fac.loc[into, c] = total

    def close(self, entries: Sequence[Mapping[str, Any]]) -> None:
        for i, entry in enumerate(entries):
            gone = self.existing(entry["ids"], f"[[close_facility]] #{i + 1}")
            for g in gone:
                s = self.svc(g)
                if self.change.get(g) == "added":
                    self.added[s] = [a for a in self.added.get(s, []) if a != g]
                    self.change.pop(g)
                else:
                    self.change[g] = "closed"
                    self.closed.setdefault(s, []).append(g)
            self.new_fac = self.new_fac.drop(index=gone)

    def change_capacity(self, entries: Sequence[Mapping[str, Any]]) -> None:
        for i, entry in enumerate(entries):
            where = f"[[change_capacity]] #{i + 1}"
            targets = self.existing(entry["ids"], where)
            new_fac = self.new_fac
            for key in ("capacity", "doctors", "teachers"):
                if entry[key] is not None:
                    if key not in new_fac.columns:
                        self.problems.append(f"{where}: the facilities have no column {key!r}")
                        continue
                    new_fac.loc[targets, key] = entry[key]
            if entry["scale"] is not None:
                col = entry["column"]
                if col not in new_fac.columns:
                    self.problems.append(
                        f"{where}: no column {col!r} to scale.{suggest(col, new_fac.columns)}"
                    )
                else:
                    vals = pd.to_numeric(new_fac.loc[targets, col], errors="coerce")
                    vals = vals * entry["scale"]
                    if pd.api.types.is_integer_dtype(new_fac[col]):
                        new_fac[col] = new_fac[col].astype(float)
                    new_fac.loc[targets, col] = vals.to_numpy()
            for t in targets:
                self.change.setdefault(t, "capacity_changed")
                self.supply.setdefault(self.svc(t), []).append(t)


def _upgrade(edit: _FacilityEdit, entries: Sequence[Mapping[str, Any]]) -> None:
    """``[[upgrade_facility]]``: the tier column set to ``to``, maybe a new service and supply."""
    for i, entry in enumerate(entries):
        where = f"[[upgrade_facility]] #{i + 1}"
        targets = edit.existing(entry["ids"], where)
        fac, col = edit.new_fac, entry["column"]
        if col not in fac.columns:
            edit.problems.append(f"{where}: no column {col!r}.{suggest(col, fac.columns)}")
            continue
        known = set(fac[edit.svc_col].astype(str))
        if entry["service"] is not None and str(entry["service"]) not in known:
            edit.problems.append(
                f"{where}: unknown service {entry['service']!r}.{suggest(entry['service'], known)}"
            )
            continue
        for t in targets:
            old = edit.svc(t)
            fac.loc[t, col] = entry["to"]
            for key in ("capacity", "doctors", "teachers"):
                if entry[key] is not None and key in fac.columns:
                    fac.loc[t, key] = entry[key]
            new = str(entry["service"]) if entry["service"] is not None else old
            if new != old:
                fac.loc[t, edit.svc_col] = new
                edit.closed.setdefault(old, []).append(t)
                edit.added.setdefault(new, []).append(t)
            else:
                edit.supply.setdefault(old, []).append(t)
            edit.change[t] = "upgraded"


def _apply_road_changes(
    sc: Mapping[str, Any], inputs: PlanningInputs, problems: list[str]
) -> tuple[Network, np.ndarray, bool]:
    """The network after ``add_road`` and ``change_road_speed``, the change of each edge and
    whether the network changed; raises the problems of the whole scenario (facilities
    included) at once."""
    net = inputs.network
    edge_change = np.full(len(net.edges), "", dtype=object)
    lines, road_entries = [], []
    for i, entry in enumerate(sc["add_road"]):
        line = _new_road_line(entry, net, f"[[add_road]] #{i + 1}", problems)
        if line is not None:
            lines.append(line)
            road_entries.append(entry)
    speed_sel = [
        _edge_selection(entry, net.edges, f"[[change_road_speed]] #{i + 1}", problems)
        for i, entry in enumerate(sc["change_road_speed"])
    ]
    for i, entry in enumerate(sc["change_road_speed"]):
        if entry["mode"] not in net.modes:
            problems.append(
                f"[[change_road_speed]] #{i + 1}: mode {entry['mode']!r} is not a network mode "
                f"{list(net.modes)}.{suggest(entry['mode'], net.modes)}"
            )
    if problems:
        raise ConfigError(
            f"scenario {sc['scenario']['name']!r} does not fit the data: {len(problems)} "
            "problem(s):\n  - " + "\n  - ".join(problems)
        )
    if lines:
        net, src = _splice_roads(net, lines, road_entries, inputs.profile, inputs.speeds)
        edge_change = np.where(src < 0, "new", "").astype(object)
        # edge selections by class/name are re-evaluated on the new network
        speed_sel = [
            _edge_selection(entry, net.edges, f"[[change_road_speed]] #{i + 1}", problems)
            for i, entry in enumerate(sc["change_road_speed"])
        ]
        _log.info("added %d road(s); the network now has %d edges", len(lines), len(net.edges))
    for entry, sel in zip(sc["change_road_speed"], speed_sel, strict=True):
        net = _change_speed(net, entry, sel)
        edge_change = np.where(sel & (edge_change == ""), "speed", edge_change)
    return net, edge_change, bool(lines or sc["change_road_speed"])


def _change_speed(net: Network, entry: Mapping[str, Any], sel: np.ndarray) -> Network:
    """The network with the speed of the selected edges changed as ``entry`` says."""
    mode = entry["mode"]
    e = net.edges
    fwd = e[f"{mode}_fwd_min"].to_numpy().copy()
    bwd = e[f"{mode}_bwd_min"].to_numpy().copy()
    length = e["length_m"].to_numpy()
    for arr in (fwd, bwd):
        ok = sel & np.isfinite(arr)
        if entry["speed_kmh"] is not None:
            arr[ok] = length[ok] / 1000.0 / float(entry["speed_kmh"]) * 60.0
        else:
            arr[ok] = arr[ok] / float(entry["scale"])
    _log.info(
        "changed the %s speed of %d edge(s) (%.1f km)",
        mode,
        int(sel.sum()),
        float(length[sel].sum()) / 1000,
    )
    return net.with_edge_times(mode, fwd, bwd)
