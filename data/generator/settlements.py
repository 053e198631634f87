"""The county seat's street grid and the villages (names, population, age groups)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .frame import (
    DESCRIPTORS,
    MOUNTAIN_FEATURES,
    PLAIN_FEATURES,
    SEAT,
    STREETS,
    SURNAMES,
    TOWNSHIPS,
    URBAN_COMMUNITIES,
    H,
    Line,
    W,
    mountain_factor,
    round_cm,
    terrain_class,
)
from .land import sample_at

if TYPE_CHECKING:
    from shapely import Polygon


def urban_grid(rng: np.random.Generator, seat: tuple[float, float]) -> dict[str, Any]:
    """Street grid of the county seat: rotated, oval, ~4.4 x 3.2 km, streets every ~350-400 m."""
    import shapely

    angle = math.radians(11.0)
    ca, sa = math.cos(angle), math.sin(angle)
    ss = np.linspace(-2200.0, 2200.0, 12) + rng.uniform(-50, 50, 12)
    ts = np.linspace(-1600.0, 1600.0, 9) + rng.uniform(-40, 40, 9)
    inside = ((ss[:, None] / 2450.0) ** 2 + (ts[None, :] / 1800.0) ** 2) <= 1.0

    def world(s: float, t: float) -> tuple[float, float]:
        return (round_cm(seat[0] + s * ca - t * sa), round_cm(seat[1] + s * sa + t * ca))

    pts = {(i, k): world(ss[i], ts[k]) for i in range(len(ss)) for k in range(len(ts))}
    mid_i, mid_k = len(ss) // 2, len(ts) // 2
    # the seat centre is the crossing of the two central streets
    centre = pts[(mid_i, mid_k)]
    names = iter(STREETS)
    lines: list[Line] = []
    for k in range(len(ts)):  # east-west streets (west -> east)
        xy = [pts[(i, k)] for i in range(len(ss)) if inside[i, k]]
        if len(xy) < 2:
            continue
        if k == mid_k:
            lines.append(Line(xy, "national", "人民路", "G353", kind="street"))
        else:
            cls = "county" if k in (mid_k - 3, mid_k + 3) else "township"
            lines.append(Line(xy, cls, next(names), kind="street"))
    for i in range(len(ss)):  # north-south streets (south -> north)
        xy = [pts[(i, k)] for k in range(len(ts)) if inside[i, k]]
        if len(xy) < 2:
            continue
        if i == mid_i:
            lines.append(Line(xy, "provincial", "解放路", "S217", kind="street"))
        else:
            cls = "county" if i in (mid_i - 3, mid_i + 3) else "township"
            lines.append(Line(xy, cls, next(names), kind="street"))
    # three one-way side streets: a north-south couplet beside the centre and one east-west street
    ns = [ln for ln in lines if ln.xy[0][1] < ln.xy[-1][1] - 1000 and ln.road_class == "township"]
    ew = [ln for ln in lines if ln.xy[0][0] < ln.xy[-1][0] - 1000 and ln.road_class == "township"]
    ns.sort(key=lambda ln: abs(ln.xy[0][0] - centre[0]))
    ew.sort(key=lambda ln: abs(ln.xy[0][1] - centre[1]))
    ns[0].oneway = True  # northbound (drawn south -> north)
    ns[1].oneway = True
    ns[1].xy.reverse()  # southbound
    ew[0].oneway = True  # eastbound
    grid_pts = [pts[key] for key in pts if inside[key]]
    urban = shapely.MultiPoint(grid_pts).convex_hull.buffer(200.0)
    blocks = [
        world((ss[i] + ss[i + 1]) / 2, (ts[k] + ts[k + 1]) / 2)
        for i in range(len(ss) - 1)
        for k in range(len(ts) - 1)
        if inside[i, k] and inside[i + 1, k] and inside[i, k + 1] and inside[i + 1, k + 1]
    ]
    central_ew = next(ln for ln in lines if ln.name == "人民路")
    central_ns = next(ln for ln in lines if ln.name == "解放路")
    return {
        "lines": lines,
        "points": grid_pts,
        "urban": urban,
        "blocks": blocks,
        "centre": centre,
        "west_end": central_ew.xy[0],
        "east_end": central_ew.xy[-1],
        "south_end": central_ns.xy[0],
        "north_end": central_ns.xy[-1],
    }


def pinyin_join(parts: Sequence[str]) -> str:
    """Join pinyin syllables, with the apostrophe before a/o/e (Xi'an), capitalised."""
    out = ""
    for part in parts:
        if out and part[0] in "aoe":
            out += "'"
        out += part
    return out[:1].upper() + out[1:]


def village_name(rng: np.random.Generator, m: float, used: set[str]) -> tuple[str, str]:
    """A Chinese village name and its pinyin, not yet in ``used``."""
    features = MOUNTAIN_FEATURES if rng.random() < m else PLAIN_FEATURES
    for _ in range(200):
        form = rng.random()
        if form < 0.3:  # 李家村
            sur = SURNAMES[rng.integers(len(SURNAMES))]
            zh, py = sur[0] + "家", [sur[1], "jia"]
        elif form < 0.5:  # 李家湾村
            sur = SURNAMES[rng.integers(len(SURNAMES))]
            feat = features[rng.integers(len(features))]
            zh, py = sur[0] + "家" + feat[0], [sur[1], "jia", feat[1]]
        else:  # 石桥村, 上坪村
            desc = DESCRIPTORS[rng.integers(len(DESCRIPTORS))]
            feat = features[rng.integers(len(features))]
            zh, py = desc[0] + feat[0], [desc[1], feat[1]]
        name = zh + "村"
        if name not in used:
            used.add(name)
            return name, pinyin_join(py) + " Cun"
    raise RuntimeError("ran out of village names")


def make_villages(
    rng: np.random.Generator,
    county: Polygon,
    townships: dict,
    centres: dict[str, tuple[float, float]],
    grid: dict[str, Any],
    dem: np.ndarray,
    transform: Any,
) -> list[dict[str, Any]]:
    """Urban communities, township-seat communities and rural administrative villages."""
    import shapely

    n_rural = 330
    urban_zone = grid["urban"].buffer(700.0)
    out: list[dict[str, Any]] = []
    used: set[str] = set()

    # urban communities: spread over the seat's blocks by farthest-point sampling
    blocks = np.array(grid["blocks"])
    chosen = [int(np.argmin(np.hypot(*(blocks - np.array(grid["centre"])).T)))]
    dmin = np.hypot(*(blocks - blocks[chosen[0]]).T)
    while len(chosen) < len(URBAN_COMMUNITIES):
        nxt = int(np.argmax(dmin))
        chosen.append(nxt)
        dmin = np.minimum(dmin, np.hypot(*(blocks - blocks[nxt]).T))
    for (zh, py), b in zip(URBAN_COMMUNITIES, chosen, strict=True):
        x, y = blocks[b]
        out.append(
            {
                "x": round_cm(x),
                "y": round_cm(y),
                "name": zh,
                "name_pinyin": py,
                "settlement": "county_seat",
            }
        )
        used.add(zh)

    # township seats: the residents' community of each township town
    for key, zh, py, *_ in TOWNSHIPS:
        if key == SEAT:
            continue
        cx, cy = centres[key]
        phi = rng.uniform(0, 2 * np.pi)
        stem_zh = zh[:-1]
        out.append(
            {
                "x": round_cm(cx + 180.0 * math.cos(phi)),
                "y": round_cm(cy + 180.0 * math.sin(phi)),
                "name": stem_zh + "社区",
                "name_pinyin": py.split()[0] + " Shequ",
                "settlement": "township_seat",
            }
        )
        used.add(stem_zh + "社区")

    # rural villages: rejection sampling, sparser and higher up in the mountains
    centre_arr = np.array(list(centres.values()))
    accepted = np.empty((0, 2))
    while len(accepted) < n_rural:
        batch = rng.uniform((0.0, 0.0), (W, H), size=(4000, 2))
        u = rng.random(4000)
        ok = shapely.contains_xy(county, batch[:, 0], batch[:, 1])
        ok &= ~shapely.contains_xy(urban_zone, batch[:, 0], batch[:, 1])
        for (x, y), ui, inside in zip(batch, u, ok, strict=True):
            if not inside or len(accepted) >= n_rural:
                continue
            m = float(mountain_factor(x, y))
            elev = sample_at(dem, transform, x, y)
            keep = (1.0 - 0.55 * m) * float(np.clip(1.0 - (elev - 350.0) / 900.0, 0.1, 1.0))
            if ui > keep:
                continue
            if np.min(np.hypot(*(centre_arr - (x, y)).T)) < 900.0:
                continue
            if len(accepted) and np.min(np.hypot(*(accepted - (x, y)).T)) < 1000.0 + 150.0 * m:
                continue
            accepted = np.vstack([accepted, (x, y)])
    for x, y in accepted:
        m = float(mountain_factor(x, y))
        zh, py = village_name(rng, m, used)
        out.append(
            {
                "x": round_cm(x),
                "y": round_cm(y),
                "name": zh,
                "name_pinyin": py,
                "settlement": "village",
            }
        )

    # attributes
    order = {key: i for i, (key, *_) in enumerate(TOWNSHIPS)}
    for v in out:
        pt = shapely.Point(v["x"], v["y"])
        v["township"] = next(k for k, poly in townships.items() if poly.covers(pt))
        m = float(mountain_factor(v["x"], v["y"]))
        v["m"] = m
        v["terrain"] = terrain_class(m)
        v["elevation_m"] = round(sample_at(dem, transform, v["x"], v["y"]), 1)
        v["area_type"] = "urban" if v["settlement"] == "county_seat" else "rural"
    core = county.buffer(-30.0)
    out.sort(
        key=lambda v: (
            order[v["township"]],
            v["settlement"] != "county_seat",
            v["settlement"] != "township_seat",
            -v["y"],
            v["x"],
        )
    )
    for i, v in enumerate(out):
        v["village_id"] = f"V{i + 1:03d}"
        m = v["m"]
        if v["settlement"] == "county_seat":
            pop = rng.lognormal(math.log(5600.0), 0.22)
            school, elderly = rng.normal(0.105, 0.012), rng.normal(0.130, 0.015)
            income = rng.normal(36_500.0, 2_500.0)
        elif v["settlement"] == "township_seat":
            pop = rng.lognormal(math.log(3600.0 - 1200.0 * m), 0.18)
            school, elderly = rng.normal(0.110, 0.012), rng.normal(0.165 + 0.04 * m, 0.015)
            income = rng.normal(21_000.0 - 3_000.0 * m, 1_200.0)
        else:
            pop = rng.lognormal(math.log(1500.0 - 950.0 * m), 0.33 + 0.1 * m)
            school = rng.normal(0.115, 0.015)
            elderly = rng.normal(0.180 + 0.065 * m, 0.025)
            income = rng.normal(17_500.0 - 5_500.0 * m, 1_300.0)
        v["population"] = int(max(120, round(pop)))
        v["pop_school_age"] = round(v["population"] * float(np.clip(school, 0.06, 0.18)))
        v["pop_elderly"] = round(v["population"] * float(np.clip(elderly, 0.08, 0.34)))
        v["income_yuan"] = int(round(max(income, 7_000.0), -1))
        # where the village road ends: a few dozen to a few hundred metres from the centre
        r = rng.uniform(40.0, 140.0 + 160.0 * m)
        phi = rng.uniform(0, 2 * np.pi)
        if not shapely.contains_xy(core, v["x"] + r * math.cos(phi), v["y"] + r * math.sin(phi)):
            phi = math.atan2(H / 2 - v["y"], W / 2 - v["x"])  # turn inwards at the border
        v["entrance"] = (round_cm(v["x"] + r * math.cos(phi)), round_cm(v["y"] + r * math.sin(phi)))
    return out
