"""The demo county's buses: county lines (城乡公交), village runs (村村通客车) and a school run.

Built from the finished village and facility layers with its OWN random generator
(``stage_rng(seed, 20)``), so every other layer stays exactly as it was. Written as a county line
table in TOML (``demo_bus_lines.toml``, the format of ``docs/transit.md``):

* one county line from the county bus station (the seat village nearest the county hospital) to
  each township centre (the village nearest its health centre), stopping at up to six villages
  near the way, every 60, 90 or 120 minutes from about 06:30 to 18:00, and its return line;
* village runs in eight townships: from a remote village through up to three villages to the
  township centre two or three times a day, and back;
* one school run (``riders = "pupils"``) to a township junior school at 06:50.

Running times are the straight-line distance times a detour factor at a bus speed (35 km/h on
county lines, 25 km/h on village runs), rounded to half minutes. Many villages are far from every
stop: they have no usable bus, which is what the report shows.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .frame import SEAT, TOWNSHIPS, stage_rng

__all__ = ["BUS_LINES_NAME", "bus_lines_toml", "make_bus_lines", "write_bus_lines"]

BUS_LINES_NAME = "demo_bus_lines.toml"
BUS_STAGE = 20  # the stage number of this module's generator (the others use 1-6)
DETOUR = 1.35


def _xy(frame: pd.DataFrame) -> np.ndarray:
    return np.column_stack([frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()])


def _run_min(a: np.ndarray, b: np.ndarray, speed_kmh: float) -> float:
    d = float(np.hypot(*(b - a))) * DETOUR
    return max(1.0, round(d / (speed_kmh / 3.6) / 60.0 * 2) / 2)


def _hhmm(minutes: float) -> str:
    m = round(minutes)
    return f"{m // 60:02d}:{m % 60:02d}"


def _nearest(villages: pd.DataFrame, xy: np.ndarray, point: Any) -> str:
    d = np.hypot(xy[:, 0] - point.x, xy[:, 1] - point.y)
    return str(villages.index[int(np.argmin(d))])


def _via(
    rng: np.random.Generator,
    villages: pd.DataFrame,
    xy: np.ndarray,
    a: str,
    b: str,
    most: int,
    corridor_m: float,
) -> list[str]:
    """Up to ``most`` villages near the straight way from ``a`` to ``b``, in order, >= 1.2 km
    apart."""
    pa, pb = xy[villages.index.get_loc(a)], xy[villages.index.get_loc(b)]
    ab = pb - pa
    length = float(np.hypot(*ab))
    if length < 1.0:
        return []
    t = ((xy - pa) @ ab) / length**2
    off = np.abs((xy - pa) @ np.array([-ab[1], ab[0]]) / length)
    ok = (t > 0.1) & (t < 0.9) & (off < corridor_m)
    cand = [str(v) for v in villages.index[ok] if str(v) not in (a, b)]
    if not cand:
        return []
    pick = rng.choice(len(cand), size=min(most, len(cand)), replace=False)
    chosen = sorted((cand[i] for i in pick), key=lambda v: t[villages.index.get_loc(v)])
    out: list[str] = []
    last = pa
    for v in chosen:
        p = xy[villages.index.get_loc(v)]
        if np.hypot(*(p - last)) >= 1200 and np.hypot(*(pb - p)) >= 1200:
            out.append(v)
            last = p
    return out


def _line(
    lid: str,
    name: str,
    stops: list[str],
    villages: pd.DataFrame,
    xy: np.ndarray,
    speed_kmh: float,
    service: dict[str, Any],
    riders: str = "all",
) -> dict[str, Any]:
    rows = []
    for i, v in enumerate(stops):
        p = xy[villages.index.get_loc(v)]
        row: dict[str, Any] = {
            "name": str(villages.loc[v, "name"]),
            "x": round(float(p[0]), 2),
            "y": round(float(p[1]), 2),
        }
        if i + 1 < len(stops):
            row["run_min"] = _run_min(p, xy[villages.index.get_loc(stops[i + 1])], speed_kmh)
        rows.append(row)
    line = {"id": lid, "name": name, "stops": rows, "service": [{"day_type": "weekday", **service}]}
    if riders != "all":
        line["riders"] = riders
    return line


def make_bus_lines(seed: int, villages: pd.DataFrame, facilities: pd.DataFrame) -> list[dict]:
    """The demo county's lines as ``[[line]]`` tables (see the module documentation)."""
    rng = stage_rng(seed, BUS_STAGE)
    villages = villages.set_index("village_id") if "village_id" in villages.columns else villages
    facilities = (
        facilities.set_index("facility_id") if "facility_id" in facilities.columns else facilities
    )
    xy = _xy(villages)
    hospital = facilities[facilities["service"] == "hospital"].geometry.iloc[0]
    station = _nearest(villages, xy, hospital)
    centres = {
        str(row["township"]): _nearest(villages, xy, row.geometry)
        for _, row in facilities[facilities["service"] == "health_centre"].iterrows()
    }
    names = {key: cn for key, cn, *_ in TOWNSHIPS}
    lines: list[dict] = []
    townships = [t for t in centres if t != SEAT]
    for k, town in enumerate(townships, start=1):
        via = _via(rng, villages, xy, station, centres[town], 6, 1500.0)
        stops = [station, *via, centres[town]]
        head = int(rng.choice([60, 90, 120]))
        first = 6 * 60 + 30 + 10 * int(rng.integers(0, 4))
        last = first + head * ((18 * 60 - first) // head)
        back_first = 6 * 60 + 10 * int(rng.integers(0, 4))
        back_last = back_first + head * ((17 * 60 + 30 - back_first) // head)
        lab = f"县城—{names[town]}"
        lines.append(
            _line(f"K{k}", lab, stops, villages, xy, 35.0,
                  {"first": _hhmm(first), "last": _hhmm(last), "headway_min": head})
        )  # fmt: skip
        lines.append(
            _line(f"K{k}R", f"{names[town]}—县城", stops[::-1], villages, xy, 35.0,
                  {"first": _hhmm(back_first), "last": _hhmm(back_last), "headway_min": head})
        )  # fmt: skip
    runs = sorted(rng.choice(len(townships), size=min(8, len(townships)), replace=False))
    for k, i in enumerate(runs, start=1):
        town = townships[int(i)]
        mine = villages[villages["township"].astype(str) == town]
        centre = xy[villages.index.get_loc(centres[town])]
        far = np.hypot(*(_xy(mine) - centre).T)
        remote = str(mine.index[int(np.argmax(far))])
        via = _via(rng, villages, xy, remote, centres[town], 3, 1500.0)
        stops = [remote, *via, centres[town]]
        n = int(rng.integers(2, 4))
        out = [7 * 60 + 5, 12 * 60 + 10, 16 * 60 + 40][:n]
        back = [6 * 60 + 20, 13 * 60, 17 * 60 + 30][:n]
        jitter = int(rng.integers(0, 3)) * 5
        rname = str(villages.loc[remote, "name"])
        lines.append(
            _line(f"C{k}", f"{rname}—{names[town]} 村村通", stops, villages, xy, 25.0,
                  {"departures": " ".join(_hhmm(m + jitter) for m in out)})
        )  # fmt: skip
        lines.append(
            _line(f"C{k}R", f"{names[town]}—{rname} 村村通", stops[::-1], villages, xy, 25.0,
                  {"departures": " ".join(_hhmm(m + jitter) for m in back)})
        )  # fmt: skip
    schools = facilities[facilities["service"] == "junior_school"]
    schools = schools[schools["township"].astype(str) != SEAT]
    school = schools.iloc[int(rng.integers(0, len(schools)))]
    town = str(school["township"])
    mine = villages[villages["township"].astype(str) == town]
    at = _nearest(villages, xy, school.geometry)
    far = np.hypot(*(_xy(mine) - xy[villages.index.get_loc(at)]).T)
    start = str(mine.index[int(np.argmax(far))])
    stops = [start, *_via(rng, villages, xy, start, at, 2, 1500.0), at]
    lines.append(
        _line("S1", f"{school['name']} 校车", stops, villages, xy, 30.0,
              {"departures": "06:50"}, riders="pupils")
    )  # fmt: skip
    return lines


def _value(v: Any) -> str:
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else "nan"
    return str(v)


def bus_lines_toml(lines: list[dict], crs: str = "EPSG:4546") -> str:
    """The lines as a line-table TOML text (stable formatting: same lines, same bytes)."""
    out = [
        "# SYNTHETIC bus lines of the demo county (data/generator/buses.py; docs/transit.md).",
        "# County lines 县城—乡镇 (K), village runs 村村通 (C), a school run for pupils (S).",
        "",
        f'crs = "{crs}"',
    ]
    for line in lines:
        out += ["", "[[line]]", f"id = {_value(line['id'])}", f"name = {_value(line['name'])}"]
        if "riders" in line:
            out.append(f"riders = {_value(line['riders'])}")
        out.append("stops = [")
        for s in line["stops"]:
            out.append("  { " + ", ".join(f"{k} = {_value(v)}" for k, v in s.items()) + " },")
        out.append("]")
        for svc in line["service"]:
            out.append("[[line.service]]")
            out += [f"{k} = {_value(v)}" for k, v in svc.items()]
    return "\n".join(out) + "\n"


def write_bus_lines(
    seed: int, layers: dict[str, Any], path: Path, *, overwrite: bool = True
) -> None:
    """Write ``demo_bus_lines.toml`` from the generated layers, atomically."""
    from accessibility._files import atomic_path

    text = bus_lines_toml(make_bus_lines(seed, layers["villages"], layers["facilities"]))
    with atomic_path(path, overwrite=overwrite) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
