"""Public facilities of every service, placed by the planning logic of a real county."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from accessibility.datasets.county import (
    SERVICES,
)

from .frame import SEAT, TOWNSHIPS, mountain_factor, round_cm

if TYPE_CHECKING:
    from shapely import Polygon


def make_facilities(
    rng: np.random.Generator,
    county: Polygon,
    villages: list[dict[str, Any]],
    centres: dict[str, tuple[float, float]],
    grid: dict[str, Any],
) -> list[dict[str, Any]]:
    """Facilities with capacities; generous in the seat, thin in the mountain townships."""
    place = _Placer(rng, county.buffer(-20.0))
    urban = [i for i, v in enumerate(villages) if v["settlement"] == "county_seat"]
    cx, cy = grid["centre"]
    centre_v = min(urban, key=lambda i: math.dist((villages[i]["x"], villages[i]["y"]), (cx, cy)))
    _county_level(place, villages, urban, grid, centre_v)
    _township_level(place, villages, urban, centres, grid)
    _village_level(place, villages)
    return _numbered(place.rows)


class _Placer:
    """Places facilities near a point inside the county and collects their rows."""

    def __init__(self, rng: np.random.Generator, core: Polygon) -> None:
        self.rng, self.core = rng, core
        self.rows: list[dict[str, Any]] = []

    def near(self, x: float, y: float, lo: float, hi: float) -> tuple[float, float]:
        """A point lo..hi metres from (x, y), inside the county."""
        import shapely

        for _ in range(50):
            r, phi = self.rng.uniform(lo, hi), self.rng.uniform(0, 2 * np.pi)
            px, py = x + r * math.cos(phi), y + r * math.sin(phi)
            if shapely.contains_xy(self.core, px, py):
                break
        return round_cm(px), round_cm(py)

    def add(self, service, name, level, vi, xy, capacity, unit, doctors=0, teachers=0) -> None:
        self.rows.append(
            {
                "service": service,
                "name": name,
                "level": level,
                "village": vi,
                "x": xy[0],
                "y": xy[1],
                "capacity": int(capacity),
                "capacity_unit": unit,
                "doctors": int(doctors),
                "teachers": int(teachers),
            }
        )


def _county_level(
    place: _Placer,
    villages: list[dict[str, Any]],
    urban: list[int],
    grid: dict[str, Any],
    centre_v: int,
) -> None:
    """County-level facilities and the seat's community services, all in the seat."""
    rng = place.rng
    cx, cy = grid["centre"]
    # county level, all in the seat
    place.add(
        "hospital", "县人民医院", "county", centre_v, place.near(cx, cy, 120, 220), 480, "beds", 165
    )
    place.add(
        "elder_care",
        "县社会福利院",
        "county",
        urban[-1],
        place.near(villages[urban[-1]]["x"], villages[urban[-1]]["y"], 50, 150),
        220,
        "places",
    )
    numerals = "一二三四五六"
    for n in range(6):
        vi = urban[(n * 5 + 1) % len(urban)]
        seats = int(round(rng.uniform(1_800, 2_600), -1))
        place.add(
            "primary_school",
            f"县城第{numerals[n]}小学",
            "county",
            vi,
            place.near(villages[vi]["x"], villages[vi]["y"], 60, 180),
            seats,
            "seats",
            teachers=round(seats / 19),
        )
    for n in range(3):
        vi = urban[(n * 5 + 3) % len(urban)]
        seats = int(round(rng.uniform(2_000, 3_000), -1))
        place.add(
            "junior_school",
            f"县第{numerals[n]}中学",
            "county",
            vi,
            place.near(villages[vi]["x"], villages[vi]["y"], 60, 180),
            seats,
            "seats",
            teachers=round(seats / 13),
        )
    for n, vi in enumerate(urban):
        v = villages[vi]
        if n % 2 == 1:
            doctors = int(rng.integers(3, 7))
            place.add(
                "clinic",
                f"{v['name']}卫生服务站",
                "village",
                vi,
                place.near(v["x"], v["y"], 30, 120),
                doctors,
                "doctors",
                doctors,
            )
        if n % 2 == 0:
            place.add(
                "day_care",
                f"{v['name']}日间照料中心",
                "village",
                vi,
                place.near(v["x"], v["y"], 30, 120),
                int(rng.integers(30, 51)),
                "places",
            )


def _township_level(
    place: _Placer,
    villages: list[dict[str, Any]],
    urban: list[int],
    centres: dict[str, tuple[float, float]],
    grid: dict[str, Any],
) -> None:
    """Township health centres, schools and elder-care homes, at the township seats."""
    rng = place.rng
    seat_village = {
        v["township"]: i for i, v in enumerate(villages) if v["settlement"] != "village"
    }
    # township level, at the township seat
    for key, zh, *_ in TOWNSHIPS:
        m = float(mountain_factor(*centres[key]))
        if key == SEAT:
            vi, (x, y) = urban[len(urban) // 2], grid["centre"]
            tag = "城关镇"
        else:
            vi, (x, y) = seat_village[key], centres[key]
            tag = zh
        beds = round(rng.uniform(45, 65) * (1.0 - 0.6 * m))
        place.add(
            "health_centre",
            f"{tag}卫生院",
            "township",
            vi,
            place.near(x, y, 80, 260),
            beds,
            "beds",
            max(5, round(beds * rng.uniform(0.35, 0.45))),
        )
        if key != SEAT:
            seats = int(round(rng.uniform(700, 1_200) * (1.0 - 0.55 * m), -1))
            place.add(
                "primary_school",
                f"{tag}中心小学",
                "township",
                vi,
                place.near(x, y, 80, 260),
                seats,
                "seats",
                teachers=round(seats / 16),
            )
            if m < 0.85:  # the two remotest mountain townships have no junior school
                seats = int(round(rng.uniform(800, 1_300) * (1.0 - 0.4 * m), -1))
                place.add(
                    "junior_school",
                    f"{tag}中学",
                    "township",
                    vi,
                    place.near(x, y, 80, 260),
                    seats,
                    "seats",
                    teachers=round(seats / 12),
                )
        if key not in (SEAT, "Yunfeng"):  # Yunfeng's old people go to Gaoping's home
            places = round(rng.uniform(60, 110) * (1.0 - 0.5 * m))
            place.add(
                "elder_care",
                f"{tag}敬老院",
                "township",
                vi,
                place.near(x, y, 80, 260),
                places,
                "places",
            )


def _village_level(place: _Placer, villages: list[dict[str, Any]]) -> None:
    """Village clinics, schools (or teaching points) and day-care stations, by chance."""
    rng = place.rng
    # village level
    for vi, v in enumerate(villages):
        if v["settlement"] != "village":
            continue
        m = v["m"]
        if rng.random() < 0.72 - 0.35 * m:
            doctors = int(
                rng.choice([1, 2, 3], p=[0.7, 0.25, 0.05] if m > 0.5 else [0.3, 0.5, 0.2])
            )
            place.add(
                "clinic",
                f"{v['name'][:-1]}村卫生室",
                "village",
                vi,
                place.near(v["x"], v["y"], 20, 100),
                doctors,
                "doctors",
                doctors,
            )
        if rng.random() < 0.22 + 0.05 * m:
            if m > 0.5:
                seats = int(rng.integers(20, 70))
                name = f"{v['name']}教学点"
            else:
                seats = int(round(rng.uniform(120, 420), -1))
                name = f"{v['name']}小学"
            place.add(
                "primary_school",
                name,
                "village",
                vi,
                place.near(v["x"], v["y"], 20, 100),
                seats,
                "seats",
                teachers=max(2, round(seats / 14)),
            )
        if rng.random() < 0.22 - 0.16 * m:
            place.add(
                "day_care",
                f"{v['name']}幸福院",
                "village",
                vi,
                place.near(v["x"], v["y"], 20, 100),
                int(rng.integers(10, 31)),
                "places",
            )


def _numbered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows sorted by service, village and name, with ids by service (H001, HC001, ...)."""
    prefix = {
        "hospital": "H",
        "health_centre": "HC",
        "clinic": "CL",
        "primary_school": "PS",
        "junior_school": "JS",
        "elder_care": "EC",
        "day_care": "DC",
    }
    rows.sort(key=lambda r: (SERVICES.index(r["service"]), r["village"], r["name"]))
    counter: dict[str, int] = {}
    for r in rows:
        counter[r["service"]] = counter.get(r["service"], 0) + 1
        r["facility_id"] = f"{prefix[r['service']]}{counter[r['service']]:03d}"
    return rows
