"""Transit: line tables and GTFS -> timetables, and the range RAPTOR search.

The search is checked against hand-worked examples and against an independent brute-force
time-dependent Dijkstra over (stop, trip, rides) events written here in plain Python, on random
small feeds (hypothesis) and on the São Paulo GTFS feed for sampled origins and departures.
"""

from __future__ import annotations

import bisect
import heapq
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility.errors import (
    CRSError,
    InvalidValueError,
    MissingColumnError,
)
from accessibility.transit import (
    Timetable,
    compile_timetable,
    parse_time_s,
    read_line_table,
    stop_transfers,
    straight_line_walk,
    timetable_from_gtfs,
    timetable_from_line_table,
    transit_travel_times,
)

CRS = "EPSG:32650"
EMPTY = pd.DataFrame({"origin": [], "destination": [], "travel_time_min": []})


def cost(rows):
    return pd.DataFrame(rows, columns=["origin", "destination", "travel_time_min"])


def line_table(lines: dict, stops_xy: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """lines: id -> dict(stops=[names], run=[min...], departures=str | (first, last, head), riders)."""
    srows, lrows = [], []
    for lid, spec in lines.items():
        for i, name in enumerate(spec["stops"]):
            run = spec["run"][i] if i < len(spec["run"]) else None
            x, y = stops_xy[name]
            srows.append(
                {
                    "line_id": lid,
                    "stop_seq": i + 1,
                    "stop_name": name,
                    "x": x,
                    "y": y,
                    "run_min": run,
                }
            )
        row = {
            "line_id": lid,
            "line_name": f"line {lid}",
            "day_type": "weekday",
            "riders": spec.get("riders", "all"),
        }
        if isinstance(spec["departures"], str):
            row["departures"] = spec["departures"]
        else:
            row["first"], row["last"], row["headway_min"] = spec["departures"]
        lrows.append(row)
    return pd.DataFrame(srows), pd.DataFrame(lrows)


XY = {"A": (0, 0), "B": (5000, 0), "C": (10000, 0), "D": (10000, 5000), "E": (5000, 5000)}


def simple(lines):
    s, ln = line_table(lines, XY)
    return timetable_from_line_table(s, ln, crs=CRS)


def run(tt, access, egress, **kw):
    kw.setdefault("transfers", EMPTY)
    return transit_travel_times(tt, cost(access), cost(egress), **kw)


# --------------------------------------------------------------------------------------------
# brute force: time-dependent Dijkstra over (stop / trip position, rides) states
# --------------------------------------------------------------------------------------------


def brute_freq(tt: Timetable, pupils: bool = False) -> list[tuple[list, list]]:
    """Frequency templates as ([(stop, arr - first dep, dep - first dep)], [(start, last, headway)])."""
    out = []
    for t in sorted(set(tt.freq_trip.tolist())):
        if tt.trip_pupils_only[t] and not pupils:
            continue
        lo, hi = tt.trip_ptr[t], tt.trip_ptr[t + 1]
        first = int(tt.event_dep_s[lo])
        ev = [
            (int(s), int(a) - first, int(d) - first)
            for s, a, d in zip(
                tt.event_stop[lo:hi], tt.event_arr_s[lo:hi], tt.event_dep_s[lo:hi], strict=True
            )
        ]
        periods = [
            (
                int(tt.freq_start_s[p]),
                list(
                    range(int(tt.freq_start_s[p]), int(tt.freq_end_s[p]), int(tt.freq_headway_s[p]))
                )[-1],
                int(tt.freq_headway_s[p]),
            )
            for p in np.flatnonzero(tt.freq_trip == t)
        ]
        out.append((ev, periods))
    return out


def brute_trips(
    tt: Timetable, pupils: bool = False, expand: bool = True
) -> list[list[tuple[int, int, int]]]:
    """Every vehicle as a list of (stop, arr, dep); frequency templates expanded independently."""
    out = []
    periods: dict[int, list[int]] = {}
    for i, t in enumerate(tt.freq_trip):
        periods.setdefault(int(t), []).append(i)
    for t in range(tt.n_trips):
        if tt.trip_pupils_only[t] and not pupils:
            continue
        lo, hi = tt.trip_ptr[t], tt.trip_ptr[t + 1]
        ev = list(
            zip(
                tt.event_stop[lo:hi].tolist(),
                tt.event_arr_s[lo:hi].tolist(),
                tt.event_dep_s[lo:hi].tolist(),
                strict=True,
            )
        )
        if t not in periods:
            out.append(ev)
            continue
        if not expand:
            continue
        first = ev[0][2]
        for p in periods[t]:
            start = int(tt.freq_start_s[p])
            while start < tt.freq_end_s[p]:
                out.append([(s, a - first + start, d - first + start) for s, a, d in ev])
                start += int(tt.freq_headway_s[p])
    return out


class Brute:
    def __init__(
        self,
        tt,
        access,
        egress,
        transfers,
        direct,
        *,
        max_rides,
        max_time_s,
        pupils=False,
        half_headway=False,
    ):
        self.trips = brute_trips(tt, pupils, expand=not half_headway)
        self.freq = brute_freq(tt, pupils) if half_headway else []
        self.freq_at: dict[int, list[tuple[int, int]]] = {}
        for fi, (ev, _p) in enumerate(self.freq):
            for i, (s, _a, _d) in enumerate(ev):
                self.freq_at.setdefault(s, []).append((fi, i))
        self.at_stop: dict[int, list[tuple[int, int, int]]] = {}
        for ti, tr in enumerate(self.trips):
            for i, (s, _a, d) in enumerate(tr):
                self.at_stop.setdefault(s, []).append((d, ti, i))
        for v in self.at_stop.values():
            v.sort()
        self.access, self.egress, self.transfers, self.direct = access, egress, transfers, direct
        self.K, self.max_time = max_rides, max_time_s

    def transit_arrival(self, o, t, bound=None) -> dict:
        """Earliest arrival (transit only, >= 1 ride) at each destination departing o at t."""
        bound = bound if bound is not None else t + self.max_time
        heap = [(t + w, 0, "at", s, 0) for s, w in self.access.get(o, [])]
        heapq.heapify(heap)
        done = set()
        res: dict = {}
        while heap:
            time, r, kind, key, _ = heapq.heappop(heap)
            if time > bound:
                break
            state = (kind, key, r)
            if state in done:
                continue
            done.add(state)
            if kind == "at":  # at stop key, may board
                if r >= self.K:
                    continue
                evs = self.at_stop.get(key, [])
                for d, ti, i in evs[bisect.bisect_left(evs, (time, -1, -1)) :]:
                    if d > bound:
                        break
                    heapq.heappush(heap, (d, r + 1, "on", (ti, i), 0))
                for fi, i in self.freq_at.get(
                    key, []
                ):  # half headway: may also wait for a later period
                    ev, periods = self.freq[fi]
                    x = time - ev[i][2]
                    starts = [
                        st_ if x < st_ else x + h // 2 for st_, last, h in periods if x <= last
                    ]
                    if starts:
                        heapq.heappush(
                            heap, (min(starts) + ev[i][2], r + 1, "fon", (fi, i, min(starts)), 0)
                        )
            elif kind == "on":  # on trip ti, leaving position i
                ti, i = key
                tr = self.trips[ti]
                if i + 1 < len(tr):
                    s, a, d = tr[i + 1]
                    heapq.heappush(heap, (a, r, "veh", s, 0))
                    heapq.heappush(heap, (d, r, "on", (ti, i + 1), 0))
            elif kind == "fon":  # on a frequency vehicle that left the first stop at t0
                fi, i, t0 = key
                ev = self.freq[fi][0]
                if i + 1 < len(ev):
                    s, a, d = ev[i + 1]
                    heapq.heappush(heap, (t0 + a, r, "veh", s, 0))
                    heapq.heappush(heap, (t0 + d, r, "fon", (fi, i + 1, t0), 0))
            else:  # "veh": alighted at stop key
                heapq.heappush(heap, (time, r, "at", key, 0))
                for s2, w in self.transfers.get(key, []):
                    heapq.heappush(heap, (time + w, r, "at", s2, 0))
                for dest, w in self.egress.get(key, []):
                    if time + w < res.get(dest, math.inf):
                        res[dest] = time + w
        return res

    def times(self, o, t) -> dict:
        """Travel time (s) to each destination, departing at t (schedule semantics)."""
        res = {d: a - t for d, a in self.transit_arrival(o, t).items()}
        for d, w in self.direct.get(o, []):
            res[d] = min(res.get(d, math.inf), w)
        return {d: v for d, v in res.items() if v <= self.max_time}

    def planned(self, o, t) -> dict:
        """min(direct walk, A(t) - t*) with t* the latest departure whose arrival equals A(t)."""
        big = 10**9
        at = self.transit_arrival(o, t, bound=big)
        cands = sorted(
            {t}
            | {
                d - w
                for s, w in self.access.get(o, [])
                for d, _ti, _i in self.at_stop.get(s, [])
                if d - w >= t
            }
        )
        res = {}
        for dest, a in at.items():
            lo, hi = 0, len(cands) - 1  # arrival is non-decreasing in departure: binary search
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if self.transit_arrival(o, cands[mid], bound=a).get(dest, math.inf) <= a:
                    lo = mid
                else:
                    hi = mid - 1
            res[dest] = a - cands[lo]
        for d, w in self.direct.get(o, []):
            res[d] = min(res.get(d, math.inf), w)
        return {d: v for d, v in res.items() if v <= self.max_time}


def as_dict(table: pd.DataFrame, key="origin") -> dict:
    out: dict = {}
    for a, b, w in table[["origin", "destination", "travel_time_min"]].itertuples(index=False):
        out.setdefault(a, []).append((b, round(w * 60)))
    return out


def check_against_brute(
    tt,
    access,
    egress,
    transfers,
    direct,
    *,
    window,
    max_transfers,
    max_time_min,
    wait="schedule",
    pupils=False,
):
    stop_pos = {str(s): i for i, s in enumerate(tt.stop_ids)}
    enc = lambda tab, a=False, b=False: {  # noqa: E731
        (stop_pos[k] if a else k): [((stop_pos[x] if b else x), w) for x, w in v]
        for k, v in as_dict(tab).items()
    }
    brute = Brute(
        tt,
        enc(access, b=True),
        enc(egress, a=True),
        enc(transfers, a=True, b=True),
        enc(direct),
        max_rides=max_transfers + 1,
        max_time_s=round(max_time_min * 60),
        pupils=pupils,
        half_headway=wait == "half_headway",
    )
    got = transit_travel_times(
        tt,
        access,
        egress,
        direct=direct,
        transfers=transfers,
        window=window,
        max_transfers=max_transfers,
        max_time_min=max_time_min,
        wait=wait,
        pupils=pupils,
        by_departure=True,
    )
    got_d = {
        (o, d, dep): v
        for o, d, dep, v in got[
            ["origin", "destination", "departure", "travel_time_min"]
        ].itertuples(index=False)
    }
    origins = set(access["origin"]) | set(direct["origin"])
    n = 0
    for t in range(parse_time_s(window[0]), parse_time_s(window[1]), 60):
        dep = f"{t // 3600:02d}:{t % 3600 // 60:02d}"
        for o in origins:
            want = brute.planned(o, t) if wait == "planned" else brute.times(o, t)
            mine = {d: round(v * 60) for (oo, d, dd), v in got_d.items() if oo == o and dd == dep}
            assert mine == want, (o, dep)
            n += 1
    return n


# --------------------------------------------------------------------------------------------
# hand-worked examples
# --------------------------------------------------------------------------------------------


def test_parse_time():
    assert parse_time_s("6:30") == 23400
    assert parse_time_s("24:05:01") == 86701
    with pytest.raises(InvalidValueError, match="HH:MM"):
        parse_time_s("6h30")


@pytest.mark.slow
def test_headway_30_each_wait_semantics_by_hand():
    # A -> B 10 min, buses 07:00, 07:30, ..., 09:00; 5 min walk to A and 5 min from B
    tt = simple({"1": {"stops": ["A", "B"], "run": [10], "departures": ("07:00", "09:00", 30)}})
    acc, egr = [("v", "A", 5.0)], [("B", "s", 5.0)]
    dep = run(tt, acc, egr, window=("07:00", "07:30"), by_departure=True)
    # leave at 07:00+m: at A at 07:05+m, bus 07:30, at B 07:40, school 07:45 -> 45 - m (m <= 25);
    # m > 25: at A after 07:30, bus 08:00 -> 75 - m
    want = [45 - m if m <= 25 else 75 - m for m in range(30)]
    assert dep["travel_time_min"].tolist() == want
    # half headway: 5 walk + 15 wait + 10 ride + 5 walk, whatever the departure
    hh = run(tt, acc, egr, window=("07:00", "08:00"), wait="half_headway", by_departure=True)
    assert set(hh["travel_time_min"]) == {35.0}
    # planned: no initial wait
    pl = run(tt, acc, egr, window=("07:00", "08:00"), wait="planned", by_departure=True)
    assert set(pl["travel_time_min"]) == {20.0}
    # percentiles (nearest rank) over 07:00-07:30
    summ = run(tt, acc, egr, window=("07:00", "07:30"), percentiles=(50, 80, 100))
    srt = sorted(want)
    assert summ["travel_time_min_p50"].item() == srt[14]
    assert summ["travel_time_min_p80"].item() == srt[23]
    assert summ["travel_time_min_p100"].item() == max(want)
    assert summ["travel_time_min"].item() == srt[14]


def test_half_headway_before_service_and_between_periods():
    # first bus 08:00: someone at A at 07:50 waits 10 min, not half a headway
    tt = simple({"1": {"stops": ["A", "B"], "run": [10], "departures": ("08:00", "09:00", 20)}})
    r = run(
        tt,
        [("v", "A", 0.0)],
        [("B", "s", 0.0)],
        window=("07:50", "07:51"),
        wait="half_headway",
        by_departure=True,
    )
    assert r["travel_time_min"].tolist() == [20.0]
    # after the last bus (09:00) nothing runs
    r = run(
        tt, [("v", "A", 0.0)], [("B", "s", 0.0)], window=("09:01", "09:02"), wait="half_headway"
    )
    assert r.empty


def test_gtfs_like_frequency_periods_half_headway_choose_later_period(tmp_path):
    # a 60-minute headway until 08:00 then 10 minutes: at 07:58 waiting for the 08:00 period
    # (first bus 08:00, wait 2 min) beats half of 60 minutes
    tt = simple({"1": {"stops": ["A", "B"], "run": [10], "departures": "06:00"}})
    tt2 = Timetable(
        **{
            **tt.__dict__,
            "freq_trip": np.array([0, 0]),
            "freq_start_s": np.array([6 * 3600, 8 * 3600]),
            "freq_end_s": np.array([8 * 3600, 9 * 3600]),
            "freq_headway_s": np.array([3600, 600]),
        }
    )
    r = run(
        tt2,
        [("v", "A", 0.0)],
        [("B", "s", 0.0)],
        window=("07:58", "07:59"),
        wait="half_headway",
        by_departure=True,
    )
    assert r["travel_time_min"].tolist() == [12.0]
    r = run(
        tt2,
        [("v", "A", 0.0)],
        [("B", "s", 0.0)],
        window=("08:10", "08:11"),
        wait="half_headway",
        by_departure=True,
    )
    assert r["travel_time_min"].tolist() == [15.0]
    # schedule semantics: vehicles at 06:00, 07:00, 08:00, 08:10, ... (end exclusive)
    r = run(tt2, [("v", "A", 0.0)], [("B", "s", 0.0)], window=("07:01", "07:02"), by_departure=True)
    assert r["travel_time_min"].tolist() == [69.0]


def test_transfer_by_hand():
    # line 1 A->B (10 min) at 07:00; line 2 E->D (5 min) at 07:15; B->E is a 4 min walk
    tt = simple(
        {
            "1": {"stops": ["A", "B"], "run": [10], "departures": "07:00"},
            "2": {"stops": ["E", "D"], "run": [5], "departures": "07:15 07:30"},
        }
    )
    tr = cost([("B", "E", 4.0)])
    r = run(
        tt,
        [("v", "A", 0.0)],
        [("D", "s", 0.0)],
        window=("07:00", "07:01"),
        transfers=tr,
        by_departure=True,
    )
    assert r["travel_time_min"].tolist() == [20.0]  # arrive E 07:14, bus 07:15, D 07:20
    r = run(
        tt,
        [("v", "A", 0.0)],
        [("D", "s", 0.0)],
        window=("07:00", "07:01"),
        transfers=tr,
        max_transfers=0,
    )
    assert r.empty
    slow = cost([("B", "E", 6.0)])  # miss the 07:15, take the 07:30
    r = run(
        tt,
        [("v", "A", 0.0)],
        [("D", "s", 0.0)],
        window=("07:00", "07:01"),
        transfers=slow,
        by_departure=True,
    )
    assert r["travel_time_min"].tolist() == [35.0]


def test_school_run_only_for_pupils():
    tt = simple(
        {
            "S": {"stops": ["A", "B"], "run": [10], "departures": "07:10", "riders": "pupils"},
            "1": {"stops": ["A", "B"], "run": [15], "departures": "07:40"},
        }
    )
    assert tt.trips()["pupils_only"].tolist() == [False, True]
    acc, egr = [("v", "A", 0.0)], [("B", "school", 0.0)]
    public = run(tt, acc, egr, window=("07:00", "07:01"), by_departure=True)
    pupil = run(tt, acc, egr, window=("07:00", "07:01"), pupils=True, by_departure=True)
    assert public["travel_time_min"].tolist() == [55.0]
    assert pupil["travel_time_min"].tolist() == [20.0]


def test_direct_walk_and_limits():
    tt = simple({"1": {"stops": ["A", "B"], "run": [10], "departures": "07:00"}})
    direct = cost([("v", "s", 25.0)])
    r = run(
        tt,
        [("v", "A", 3.0)],
        [("B", "s", 3.0)],
        direct=direct,
        window=("07:00", "07:02"),
        by_departure=True,
    )
    assert r["travel_time_min"].tolist() == [25.0, 25.0]  # the 07:00 bus is missed
    r = run(
        tt,
        [("v", "A", 0.0)],
        [("B", "s", 3.0)],
        direct=direct,
        window=("07:00", "07:01"),
        by_departure=True,
    )
    assert r["travel_time_min"].tolist() == [13.0]
    r = run(
        tt,
        [("v", "A", 0.0)],
        [("B", "s", 3.0)],
        direct=direct,
        window=("07:00", "07:01"),
        max_walk_min=2,
    )
    assert r.empty  # every walk is longer than 2 minutes
    r = run(tt, [("v", "A", 0.0)], [("B", "s", 3.0)], window=("07:00", "07:01"), max_time_min=12)
    assert r.empty
    assert r.attrs["max_time_min"] == 12.0


def test_percentile_unreachable_counts_as_infinite():
    tt = simple({"1": {"stops": ["A", "B"], "run": [10], "departures": "07:00"}})
    r = run(
        tt, [("v", "A", 0.0)], [("B", "s", 0.0)], window=("06:58", "07:02"), percentiles=(50, 80)
    )
    # departures 06:58, 06:59, 07:00 reach (12, 11, 10); 07:01 does not
    assert r["travel_time_min_p50"].item() == 11.0
    assert r["travel_time_min_p80"].item() == math.inf


def test_overtaking_trips_are_split():
    # two lines on the same stops, the later one faster: the express overtakes the slow bus
    tt = simple(
        {
            "slow": {"stops": ["A", "B", "C"], "run": [20, 20], "departures": "07:00"},
            "fast": {"stops": ["A", "B", "C"], "run": [5, 5], "departures": "07:05"},
        }
    )
    ct = compile_timetable(tt)
    assert ct.n_routes == 2
    r = run(tt, [("v", "A", 0.0)], [("C", "s", 0.0)], window=("07:00", "07:01"), by_departure=True)
    assert r["travel_time_min"].tolist() == [15.0]


# --------------------------------------------------------------------------------------------
# readers and errors
# --------------------------------------------------------------------------------------------

TOML = """
crs = "EPSG:32650"

[[line]]
id = "101"
name = "城关—石桥"
stops = [
  { name = "城关", x = 0, y = 0, run_min = 12 },
  { name = "河口", x = 6000, y = 0, run_min = 8 },
  { name = "石桥", x = 9000, y = 2000 },
]
[[line.service]]
day_type = "weekday"
departures = ["06:30", "12:00", "17:10"]
[[line.service]]
day_type = "weekend"
first = "07:00"
last = "17:00"
headway_min = 60

[[line]]
id = "S1"
name = "校车"
riders = "pupils"
stops = [{ name = "河口", x = 6000, y = 0, run_min = 15 }, { name = "镇中学", x = 6000, y = 8000 }]
[[line.service]]
day_type = "weekday"
departures = ["07:05"]
"""


def test_read_toml_line_table(tmp_path):
    p = tmp_path / "lines.toml"
    p.write_text(TOML, encoding="utf-8")
    tt = read_line_table(p, day_type="weekday")
    assert tt.n_stops == 4  # 河口 is shared by both lines
    assert sorted(tt.stop_ids) == sorted(["城关", "河口", "石桥", "镇中学"])
    trips = tt.trips()
    assert trips["pupils_only"].tolist() == [False, False, False, True]
    assert trips["first_dep_s"].tolist() == [23400, 43200, 61800, 25500]
    we = read_line_table(p, day_type="weekend")
    assert len(we.freq_trip) == 1 and we.freq_headway_s.tolist() == [3600]
    with pytest.raises(InvalidValueError, match="several day types"):
        read_line_table(p)


def test_line_table_csv_and_gpkg_agree(tmp_path):
    s, ln = line_table(
        {"1": {"stops": ["A", "B", "C"], "run": [5, 7], "departures": ("06:00", "07:10", 20)}}, XY
    )
    s.to_csv(tmp_path / "stops.csv", index=False)
    ln.to_csv(tmp_path / "lines.csv", index=False)
    a = read_line_table(tmp_path / "stops.csv", lines=tmp_path / "lines.csv", crs=CRS)
    g = gpd.GeoDataFrame(
        s.drop(columns=["x", "y"]), geometry=shapely.points(s["x"], s["y"]), crs=CRS
    )
    g.to_file(tmp_path / "l.gpkg", layer="line_stops")
    gpd.GeoDataFrame(ln, geometry=[None] * len(ln), crs=CRS).to_file(
        tmp_path / "l.gpkg", layer="lines"
    )
    b = read_line_table(tmp_path / "l.gpkg")
    for t in (a, b):
        # first/last/headway 06:00/07:10/20: template + the off-grid last bus at 07:10
        assert t.trips()["trip_id"].tolist() == ["1#freq", "1#last"]
        assert t.freq_start_s.tolist() == [21600] and t.freq_end_s.tolist() == [25801]
        assert t.event_arr_s.tolist()[:3] == [21600, 21900, 22320]
    np.testing.assert_allclose(a.stop_x_m, b.stop_x_m)


def test_line_table_stop_layer():
    layer = gpd.GeoDataFrame(
        geometry=[shapely.Point(0, 0), shapely.Point(3000, 4000)], index=["s1", "s2"], crs=CRS
    )
    s = pd.DataFrame(
        {
            "line_id": [1, 1],
            "stop_seq": [1, 2],
            "stop_name": ["a", "b"],
            "stop_id": ["s1", "s2"],
            "run_min": [6, None],
        }
    )
    ln = pd.DataFrame(
        {"line_id": [1], "line_name": ["x"], "day_type": ["d"], "departures": ["8:00"]}
    )
    tt = timetable_from_line_table(s, ln, stop_layer=layer)
    assert tt.stop_ids.tolist() == ["s1", "s2"]
    assert tt.stops().geometry.iloc[1].equals(shapely.Point(3000, 4000))


def test_line_table_errors():
    s, ln = line_table({"1": {"stops": ["A", "B"], "run": [10], "departures": "07:00"}}, XY)
    with pytest.raises(MissingColumnError, match="run_min"):
        timetable_from_line_table(s.drop(columns="run_min"), ln, crs=CRS)
    with pytest.raises(CRSError, match="crs="):
        timetable_from_line_table(s, ln)
    with pytest.raises(InvalidValueError, match="missing or negative"):
        timetable_from_line_table(s.assign(run_min=[-1, None]), ln, crs=CRS)
    with pytest.raises(InvalidValueError, match="not a time"):
        timetable_from_line_table(s, ln.assign(departures="7h"), crs=CRS)
    with pytest.raises(MissingColumnError, match="no departures"):
        timetable_from_line_table(s, ln.drop(columns="departures"), crs=CRS)
    with pytest.raises(InvalidValueError, match="riders"):
        timetable_from_line_table(s, ln.assign(riders="staff"), crs=CRS)
    s0, l0 = s.copy(), ln.copy()
    timetable_from_line_table(s, ln, crs=CRS)
    pd.testing.assert_frame_equal(s, s0)  # inputs untouched
    pd.testing.assert_frame_equal(ln, l0)


def test_search_input_errors():
    tt = simple({"1": {"stops": ["A", "B"], "run": [10], "departures": "07:00"}})
    with pytest.raises(InvalidValueError, match="not in the timetable"):
        run(tt, [("v", "Z", 0.0)], [("B", "s", 0.0)])
    with pytest.raises(InvalidValueError, match="wait="):
        run(tt, [("v", "A", 0.0)], [("B", "s", 0.0)], wait="random")
    with pytest.raises(InvalidValueError, match="negative"):
        run(tt, [("v", "A", -1.0)], [("B", "s", 0.0)])
    with pytest.raises(MissingColumnError, match="travel_time_min"):
        transit_travel_times(tt, pd.DataFrame({"origin": ["v"], "destination": ["A"]}), cost([]))
    with pytest.raises(InvalidValueError, match="percentiles"):
        run(tt, [("v", "A", 0.0)], [("B", "s", 0.0)], percentiles=(0,))


def test_straight_line_walk_and_transfers():
    tt = simple(
        {
            "1": {"stops": ["A", "B"], "run": [10], "departures": "07:00"},
            "2": {"stops": ["E", "D"], "run": [10], "departures": "07:00"},
        }
    )
    tr = stop_transfers(tt, max_walk_m=5000)
    assert set(zip(tr["origin"], tr["destination"], strict=True)) == {
        ("A", "B"),
        ("B", "A"),
        ("B", "E"),
        ("E", "B"),
        ("D", "E"),
        ("E", "D"),
    }
    assert np.allclose(tr["travel_time_min"], 5000 * 1.3 / (4.8 / 3.6) / 60)
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], index=["v"], crs=CRS)
    w = straight_line_walk(pts, tt.stops(), max_walk_m=10)
    assert w["destination"].tolist() == ["A"] and w["travel_time_min"].tolist() == [0.0]


# --------------------------------------------------------------------------------------------
# brute-force agreement on random feeds
# --------------------------------------------------------------------------------------------

NAMES = list("PQRSTUV")


@st.composite
def feeds(draw):
    n_stops = draw(st.integers(3, 6))
    names = NAMES[:n_stops]
    xy = {n: (i * 1000.0, (i % 2) * 700.0) for i, n in enumerate(names)}
    lines = {}
    seqs = []
    for li in range(draw(st.integers(1, 4))):
        if seqs and draw(st.booleans()):
            seq = draw(st.sampled_from(seqs))  # same stops as another line: overtaking possible
        else:
            seq = draw(
                st.lists(st.sampled_from(names), min_size=2, max_size=min(4, n_stops), unique=True)
            )
            seqs.append(seq)
        run_ = draw(st.lists(st.integers(0, 12), min_size=len(seq) - 1, max_size=len(seq) - 1))
        if draw(st.booleans()):
            deps = draw(st.lists(st.integers(400, 530), min_size=1, max_size=5))
            departures = " ".join(f"{d // 60:02d}:{d % 60:02d}" for d in deps)
        else:
            first = draw(st.integers(400, 470))
            last = first + draw(st.integers(0, 60))
            departures = (
                f"{first // 60:02d}:{first % 60:02d}",
                f"{last // 60:02d}:{last % 60:02d}",
                draw(st.sampled_from([5, 10, 15, 30])),
            )
        lines[str(li)] = {
            "stops": seq,
            "run": run_,
            "departures": departures,
            "riders": "pupils" if draw(st.integers(0, 5)) == 0 else "all",
        }
    s, ln = line_table(lines, xy)
    tt = timetable_from_line_table(s, ln, crs=CRS)
    if len(tt.freq_trip) and draw(st.booleans()):
        # GTFS-like: two back-to-back periods of different headways per frequency template
        f_trip, f_start, f_end, f_head = [], [], [], []
        for t in tt.freq_trip.tolist():
            a = draw(st.integers(400, 450)) * 60
            b = a + draw(st.integers(5, 40)) * 60
            c = b + draw(st.integers(5, 40)) * 60
            for lo, hi in ((a, b), (b, c)):
                f_trip.append(t)
                f_start.append(lo)
                f_end.append(hi)
                f_head.append(draw(st.sampled_from([5, 10, 20, 60])) * 60)
        tt = Timetable(
            **{
                **tt.__dict__,
                "freq_trip": np.array(f_trip),
                "freq_start_s": np.array(f_start),
                "freq_end_s": np.array(f_end),
                "freq_headway_s": np.array(f_head),
            }
        )
    ids = [str(x) for x in tt.stop_ids]
    walk = st.integers(0, 8).map(float)
    access = cost(
        draw(
            st.lists(
                st.tuples(st.sampled_from(["o1", "o2"]), st.sampled_from(ids), walk),
                max_size=5,
                unique_by=lambda r: r[:2],
            )
        )
    )
    egress = cost(
        draw(
            st.lists(
                st.tuples(st.sampled_from(ids), st.sampled_from(["d1", "d2"]), walk),
                max_size=5,
                unique_by=lambda r: r[:2],
            )
        )
    )
    transfers = cost(
        draw(
            st.lists(
                st.tuples(st.sampled_from(ids), st.sampled_from(ids), walk).filter(
                    lambda r: r[0] != r[1]
                ),
                max_size=5,
                unique_by=lambda r: r[:2],
            )
        )
    )
    direct = cost(
        draw(
            st.lists(
                st.tuples(
                    st.sampled_from(["o1", "o2"]),
                    st.sampled_from(["d1", "d2"]),
                    st.integers(10, 90).map(float),
                ),
                max_size=2,
                unique_by=lambda r: r[:2],
            )
        )
    )
    return tt, access, egress, transfers, direct


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feeds(), st.integers(0, 2), st.sampled_from([30.0, 60.0, 90.0]), st.booleans())
def test_range_raptor_equals_brute_force_random_feeds(feed, max_transfers, max_time, pupils):
    tt, access, egress, transfers, direct = feed
    check_against_brute(
        tt,
        access,
        egress,
        transfers,
        direct,
        window=("06:55", "07:35"),
        max_transfers=max_transfers,
        max_time_min=max_time,
        pupils=pupils,
    )


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feeds(), st.integers(0, 2), st.sampled_from([30.0, 60.0]))
def test_half_headway_equals_brute_force_random_feeds(feed, max_transfers, max_time):
    tt, access, egress, transfers, direct = feed
    check_against_brute(
        tt,
        access,
        egress,
        transfers,
        direct,
        window=("06:55", "07:35"),
        max_transfers=max_transfers,
        max_time_min=max_time,
        wait="half_headway",
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feeds(), st.integers(0, 2))
def test_planned_equals_brute_force_random_feeds(feed, max_transfers):
    tt, access, egress, transfers, direct = feed
    check_against_brute(
        tt,
        access,
        egress,
        transfers,
        direct,
        window=("06:55", "07:25"),
        max_transfers=max_transfers,
        max_time_min=60.0,
        wait="planned",
    )


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feeds(), st.data())
def test_more_trips_never_increase_a_time(feed, data):
    tt, access, egress, transfers, direct = feed
    kw = dict(
        direct=direct,
        transfers=transfers,
        window=("06:55", "07:35"),
        by_departure=True,
        pupils=True,
    )
    for wait in ("schedule", "half_headway"):  # planned: durations, not monotone in the trips
        # drop some trips (never a frequency template's periods' owner to keep indices simple)
        drop = data.draw(st.sets(st.sampled_from(range(tt.n_trips))))
        drop -= set(tt.freq_trip.tolist())
        keep = np.array([t not in drop for t in range(tt.n_trips)])
        fewer = _subset(tt, keep)
        full = transit_travel_times(tt, access, egress, wait=wait, **kw)
        part = transit_travel_times(fewer, access, egress, wait=wait, **kw)
        key = ["origin", "destination", "departure"]
        m = part.merge(full, on=key, how="left", suffixes=("_few", "_all"))
        assert m["travel_time_min_all"].notna().all()  # reached with fewer trips -> with all
        assert (m["travel_time_min_all"] <= m["travel_time_min_few"]).all()


def _subset(tt: Timetable, keep: np.ndarray) -> Timetable:
    ptr = tt.trip_ptr
    ev = np.concatenate(
        [np.arange(ptr[t], ptr[t + 1]) for t in np.flatnonzero(keep)] or [np.zeros(0, int)]
    )
    sizes = np.diff(ptr)[keep]
    new_index = np.cumsum(keep) - 1
    return Timetable(
        **{
            **tt.__dict__,
            "trip_ids": tt.trip_ids[keep],
            "trip_line_ids": tt.trip_line_ids[keep],
            "trip_line_names": tt.trip_line_names[keep],
            "trip_pupils_only": tt.trip_pupils_only[keep],
            "trip_ptr": np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
            "event_stop": tt.event_stop[ev],
            "event_arr_s": tt.event_arr_s[ev],
            "event_dep_s": tt.event_dep_s[ev],
            "freq_trip": new_index[tt.freq_trip],
        }
    )


# --------------------------------------------------------------------------------------------
# São Paulo GTFS (frequency-based): reader, and brute-force agreement for sampled pairs
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spo(shared_data: Path):
    pytest.importorskip("gtfs_kit")
    folder = shared_data / "transit"
    if not (folder / "spo.zip").exists():
        pytest.skip("São Paulo GTFS absent")
    tt = timetable_from_gtfs(folder / "spo.zip")
    cells = pd.read_csv(folder / "spo_hexgrid.csv")
    pts = gpd.GeoDataFrame(
        cells, geometry=shapely.points(cells["lon"], cells["lat"]), crs=4326
    ).set_index("id")
    return tt, pts


def test_gtfs_reader_spo(spo):
    tt, _ = spo
    assert tt.n_stops > 600 and tt.n_trips == 36
    assert len(tt.freq_trip) == 704
    assert "service date" in tt.description
    assert tt.crs.is_projected
    ct = compile_timetable(tt)
    # every frequency period expanded: vehicles at start + k * headway < end
    n_vehicles = sum(
        len(range(s, e, h))
        for s, e, h in zip(tt.freq_start_s, tt.freq_end_s, tt.freq_headway_s, strict=True)
    )
    assert ct.r_ntrips.sum() == n_vehicles


@pytest.mark.slow
def test_spo_equals_brute_force_sampled(spo):
    tt, pts = spo
    rng = np.random.default_rng(7)
    origins = pts.iloc[rng.choice(len(pts), 8, replace=False)]
    access = straight_line_walk(origins, tt.stops(), max_walk_m=800)
    egress = straight_line_walk(tt.stops(), pts, max_walk_m=800)
    direct = straight_line_walk(origins, pts, max_walk_m=800)
    transfers = stop_transfers(tt)
    # round to whole seconds as the search does
    for t in (access, egress, direct, transfers):
        t["travel_time_min"] = np.round(t["travel_time_min"] * 60) / 60
    n = check_against_brute(
        tt,
        access[list(access.columns[:3])],
        egress.iloc[:, :3],
        transfers.iloc[:, :3],
        direct.iloc[:, :3],
        window=("07:00", "07:06"),
        max_transfers=2,
        max_time_min=60.0,
    )
    assert n == 8 * 6


def test_spo_hexgrid_window(spo):
    tt, pts = spo
    sub = pts.iloc[:40]
    access = straight_line_walk(sub, tt.stops())
    egress = straight_line_walk(tt.stops(), sub)
    direct = straight_line_walk(sub, sub)
    r = transit_travel_times(tt, access, egress, direct=direct, window=("07:00", "07:30"))
    assert (r["travel_time_min_p50"] <= r["travel_time_min_p80"]).all()
    self_rows = r[r["origin"] == r["destination"]]
    assert (self_rows["travel_time_min"] == 0).all()


@pytest.mark.parametrize("module", ["timetable", "walk", "travel"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"accessibility.transit.{module}")
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0


def test_docs_transit_blocks_run(tmp_path, monkeypatch):
    """The ```python blocks of docs/transit.md run in order and print what the page shows."""
    import contextlib
    import io
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "transit.md").read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    pairs = re.findall(r"```python\n(.*?)\n```\s*\n```text\n(.*?)\n```", text, re.S)
    assert len(pairs) == 2
    for code, shown in pairs:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(code, "docs/transit.md", "exec"), ns)
        assert buf.getvalue().strip() == shown.strip()


def test_loop_line_visits_a_stop_twice():
    # 环线 A -> B -> C -> A, 5 minutes a leg, leaving A at 07:00; from B back round to A
    tt = simple({"L": {"stops": ["A", "B", "C", "A"], "run": [5, 5, 5], "departures": "07:00"}})
    assert tt.n_stops == 3
    r = run(tt, [("v", "B", 0.0)], [("A", "s", 0.0)], window=("07:00", "07:01"), by_departure=True)
    assert r["travel_time_min"].tolist() == [15.0]
    r = run(tt, [("v", "A", 0.0)], [("A", "s", 0.0)], window=("07:00", "07:01"), by_departure=True)
    assert r["travel_time_min"].tolist() == [15.0]  # round the loop (at least one ride)


def _write_gtfs(folder: Path) -> Path:
    import zipfile

    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n1,County Bus,http://example.org,Asia/Shanghai\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nS1,A,30.000,111.000\nS2,B,30.010,111.000\nS3,C,30.020,111.000\n",
        "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\nR1,1,,County line,3\n",
        "trips.txt": "route_id,service_id,trip_id\nR1,WK,T1\nR1,WK,T2\nR1,SUN,T3\n",
        "stop_times.txt": (
            "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
            "T1,07:00:00,07:00:00,S1,1\nT1,,,S2,2\nT1,07:20:00,07:20:00,S3,3\n"
            "T2,09:00:00,09:00:00,S1,1\n"
            "T3,10:00:00,10:00:00,S1,1\nT3,10:30:00,10:30:00,S3,2\n"
        ),
        "calendar.txt": (
            "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
            "WK,1,1,1,1,1,0,0,20240101,20241231\nSUN,0,0,0,0,0,0,1,20240101,20241231\n"
        ),
        "frequencies.txt": "trip_id,start_time,end_time,headway_secs\nT1,07:00:00,08:00:00,600\n",
    }
    path = folder / "county.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return path


def test_gtfs_reader_small_feed_by_hand(tmp_path):
    pytest.importorskip("gtfs_kit")
    from accessibility.validate import InputWarning

    path = _write_gtfs(tmp_path)
    with pytest.warns(InputWarning, match="fewer than two stops"):
        tt = timetable_from_gtfs(path)  # busiest date: a weekday (T1, T2) over a Sunday (T3)
    assert "20240101" in tt.description
    assert tt.trip_ids.tolist() == ["T1"]
    assert tt.trip_line_names.tolist() == ["County line"]  # no short name: the long one
    assert tt.event_arr_s.tolist() == [25200, 25800, 26400]  # S2 interpolated at 07:10
    assert (tt.freq_start_s.tolist(), tt.freq_end_s.tolist(), tt.freq_headway_s.tolist()) == (
        [25200],
        [28800],
        [600],
    )
    acc, egr = [("v", "S1", 0.0)], [("S3", "s", 0.0)]
    # schedule: buses 07:00, 07:10, ..., 07:50 (end exclusive); leaving 07:51 -> none in 60 min
    r = run(tt, acc, egr, window=("07:05", "07:06"), by_departure=True)
    assert r["travel_time_min"].tolist() == [25.0]
    assert run(tt, acc, egr, window=("07:51", "07:52"), max_time_min=60).empty
    r = run(tt, acc, egr, window=("07:05", "07:06"), wait="half_headway", by_departure=True)
    assert r["travel_time_min"].tolist() == [25.0]  # 5 min (half of 10) + 20 min
    sunday = timetable_from_gtfs(path, date="20240107")
    assert sunday.trip_ids.tolist() == ["T3"]


def test_road_run_times_by_hand():
    from accessibility.network import network_from_roads
    from accessibility.transit import road_run_times

    # a county road (40 km/h) along y=0; stops on it at x = 0, 2000, 4000
    roads = gpd.GeoDataFrame(
        {"road_class": ["county"]},
        geometry=[shapely.LineString([(0, 0), (4000, 0)])],
        crs=CRS,
    )
    net = network_from_roads(roads, modes=("car",))
    s = pd.DataFrame(
        {
            "line_id": ["1", "1", "1"],
            "stop_seq": [1, 2, 3],
            "stop_name": ["A", "B", "C"],
            "x": [0.0, 2000.0, 4000.0],
            "y": [0.0, 0.0, 0.0],
            "run_min": [None, 10.0, None],
        }
    )
    filled = road_run_times(s, net, bus_speed_factor=0.75, crs=CRS)
    # 2000 m at 40 km/h = 3 min by car; a bus at 0.75 of that speed: 4 min; given 10 kept
    assert filled["run_min"].tolist()[:2] == pytest.approx([4.0, 10.0])
    assert pd.isna(filled["run_min"].iloc[2])
    assert s["run_min"].isna().sum() == 2  # input untouched
    far = pd.concat([s, s.iloc[[2]].assign(stop_seq=4, stop_name="D", x=90000.0)])
    with pytest.raises(InvalidValueError, match="no car route"):
        road_run_times(far.assign(run_min=None), net, crs=CRS, max_segment_min=30)
