"""The road network: trunk roads, streets, village links, crossings noded, deliberate gaps."""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .frame import (
    COUNTY_ROADS,
    EXPRESSWAY_CLEARANCE_M,
    SEAT,
    TOWNSHIPS,
    Line,
    mountain_factor,
    round_cm,
)

if TYPE_CHECKING:
    from shapely import Polygon

logger = logging.getLogger(__name__)


def meander(
    rng: np.random.Generator,
    a: tuple[float, float],
    b: tuple[float, float],
    inside: Polygon | None = None,
) -> list[tuple[float, float]]:
    """A road from a to b that winds more where the terrain is mountainous.

    The offset from the chord is ``A(t) * sin(pi t)^0.7 * sin(pi k t + phi)`` with the amplitude
    and the number of bends k growing with the mountain factor; the ends stay exactly at a and b.
    With ``inside``, the bends are flattened until the road stays within that polygon.
    """
    import shapely

    ax, ay = a
    bx, by = b
    length = math.hypot(bx - ax, by - ay)
    if length < 1.0:
        return [a, b]
    m_mid = float(mountain_factor((ax + bx) / 2, (ay + by) / 2))
    k = max(1, round(length * (0.1 + 0.9 * m_mid) / 320.0))  # bends: ~every 320 m up high
    n = max(2, math.ceil(length / (130.0 if m_mid > 0.25 else 350.0)), 8 * k + 2)
    t = np.linspace(0.0, 1.0, n + 1)
    px, py = ax + (bx - ax) * t, ay + (by - ay) * t
    nx, ny = -(by - ay) / length, (bx - ax) / length
    m = mountain_factor(px, py)
    amp = np.minimum(length * (0.025 + 0.09 * m), 40.0 + 190.0 * m)
    phase = rng.uniform(0, 2 * np.pi) if k > 1 else (0.0 if rng.random() < 0.5 else np.pi)
    off = amp * np.sin(np.pi * t) ** 0.7 * np.sin(np.pi * k * t + phase)
    if k == 1:
        off = amp * np.sin(np.pi * t) * (1.0 if phase == 0.0 else -1.0)
    for scale in (1.0, 0.5, 0.25, 0.0):
        xs, ys = px + scale * off * nx, py + scale * off * ny
        pts = [(round_cm(x), round_cm(y)) for x, y in zip(xs[1:-1], ys[1:-1], strict=True)]
        xy = [a, *pts, b]
        if inside is None or inside.covers(shapely.LineString(xy)):
            break
    return xy


def polyline(rng: np.random.Generator, waypoints: Sequence[tuple[float, float]]) -> list:
    """A meandering line through the waypoints."""
    xy: list[tuple[float, float]] = [waypoints[0]]
    for a, b in itertools.pairwise(waypoints):
        xy.extend(meander(rng, a, b)[1:])
    return xy


def clip_to(poly: Polygon, xy: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Keep the run of vertices inside ``poly`` that contains the middle, ending on the boundary."""
    import shapely

    arr = np.array(xy)
    inside = shapely.contains_xy(poly, arr[:, 0], arr[:, 1])
    lo = hi = next(i for i in range(len(xy) // 3, len(xy)) if inside[i])
    while lo > 0 and inside[lo - 1]:
        lo -= 1
    while hi < len(xy) - 1 and inside[hi + 1]:
        hi += 1
    out = list(xy[lo : hi + 1])
    ring = poly.exterior
    if lo > 0:
        cut = shapely.LineString([xy[lo - 1], xy[lo]]).intersection(ring)
        p = min(shapely.get_parts(cut), key=lambda g: g.distance(shapely.Point(xy[lo])))
        out.insert(0, (round_cm(p.x), round_cm(p.y)))
    if hi < len(xy) - 1:
        cut = shapely.LineString([xy[hi], xy[hi + 1]]).intersection(ring)
        p = min(shapely.get_parts(cut), key=lambda g: g.distance(shapely.Point(xy[hi])))
        out.append((round_cm(p.x), round_cm(p.y)))
    return out


def insert_vertex(line: Line, p: tuple[float, float], *, snap_m: float = 0.02) -> tuple:
    """Make ``p`` a vertex of ``line`` (on its nearest segment); return the vertex used.

    A vertex already within ``snap_m`` of ``p`` is reused rather than adding a near duplicate.
    """
    arr = np.array(line.xy)
    d = np.hypot(arr[:, 0] - p[0], arr[:, 1] - p[1])
    j = int(np.argmin(d))
    if d[j] <= snap_m:
        return line.xy[j]
    a, b = arr[:-1], arr[1:]
    ab = b - a
    t = np.clip(((p[0] - a[:, 0]) * ab[:, 0] + (p[1] - a[:, 1]) * ab[:, 1]) / (ab**2).sum(1), 0, 1)
    proj = a + ab * t[:, None]
    seg = int(np.argmin(np.hypot(proj[:, 0] - p[0], proj[:, 1] - p[1])))
    line.xy.insert(seg + 1, p)
    return p


def make_roads(
    rng: np.random.Generator,
    county: Polygon,
    centres: dict[str, tuple[float, float]],
    grid: dict[str, Any],
    villages: list[dict[str, Any]],
) -> list[Line]:
    """Every road line, in stages that draw from ``rng`` in a fixed order."""
    import shapely

    lines = trunk_roads(rng, county, centres, grid)
    exp_geom = shapely.LineString(lines[0].xy)  # the expressway comes first
    village_links(rng, county, lines, villages, exp_geom)
    n_village, track_villages = classify_links(lines, villages)
    village_loops(rng, county, lines, villages, n_village, track_villages)
    node_crossings(lines)
    fix_near_misses(lines)
    seats = {
        j
        for j, ln in enumerate(lines)
        if ln.kind == "link" and villages[ln.village]["settlement"] != "village"
    }
    make_gaps(lines, [1.2, 1.5, 1.8, 1.3, 1.6], skip=seats)
    return lines


def trunk_roads(
    rng: np.random.Generator,
    county: Polygon,
    centres: dict[str, tuple[float, float]],
    grid: dict[str, Any],
) -> list[Line]:
    """The expressway (first) and its link, national, provincial and county roads, the seat's
    streets."""
    c = {k: (round_cm(x), round_cm(y)) for k, (x, y) in centres.items()}
    lines: list[Line] = []

    # expressway with one interchange south-east of the seat; crossings are grade-separated
    interchange = (28_500.0, 11_500.0)
    xy = clip_to(
        county, polyline(rng, [(-3000.0, 0.0), (15_000.0, 3_500.0), interchange, (43e3, 21e3)])
    )
    if interchange not in xy:
        raise RuntimeError("interchange lost while clipping the expressway")
    expressway = Line(xy, "expressway", "云江高速", "G6011")
    lines.append(expressway)
    grid_pts = np.array(grid["points"])

    def nearest_grid(p: tuple[float, float]) -> tuple[float, float]:
        j = int(np.argmin(np.hypot(grid_pts[:, 0] - p[0], grid_pts[:, 1] - p[1])))
        return tuple(grid_pts[j])

    link_end = nearest_grid(interchange)
    lines.append(Line(meander(rng, interchange, link_end, county), "provincial", "高速连接线"))
    # national road G353 west-east through the seat, provincial S217 south-north
    lines.append(
        Line(
            clip_to(
                county,
                polyline(rng, [(-3e3, 12.5e3), c["Qingshui"], c["Longtan"], grid["west_end"]]),
            ),
            "national",
            "国道353线",
            "G353",
        )
    )
    lines.append(
        Line(
            clip_to(county, polyline(rng, [grid["east_end"], c["Xintang"], (43e3, 22e3)])),
            "national",
            "国道353线",
            "G353",
        )
    )
    lines.append(
        Line(
            clip_to(county, polyline(rng, [(22.5e3, -3e3), c["Huangtu"], grid["south_end"]])),
            "provincial",
            "省道217线",
            "S217",
        )
    )
    lines.append(
        Line(
            clip_to(county, polyline(rng, [grid["north_end"], c["Taoyuan"], (29.5e3, 38e3)])),
            "provincial",
            "省道217线",
            "S217",
        )
    )
    # provincial S311 into the mountains
    lines.append(
        Line(
            clip_to(
                county,
                polyline(rng, [c["Longtan"], c["Gaoping"], c["Yunfeng"], (9.5e3, 38e3)]),
            ),
            "provincial",
            "省道311线",
            "S311",
        )
    )
    lines.extend(grid["lines"])
    # county roads between township centres (from the edge of the seat's grid)
    short = {key: zh[0] for key, zh, *_ in TOWNSHIPS}
    for n, (ka, kb) in enumerate(COUNTY_ROADS, start=1):
        a = nearest_grid(c[kb]) if ka == SEAT else c[ka]
        b = c[kb]
        lines.append(
            Line(meander(rng, a, b, county), "county", f"{short[ka]}{short[kb]}公路", f"X{n:03d}")
        )
    return lines


def village_links(
    rng: np.random.Generator,
    county: Polygon,
    lines: list[Line],
    villages: list[dict[str, Any]],
    exp_geom: Any,
) -> None:
    """Connect every village, the nearest to the network first (a Prim-like tree); appends to
    ``lines`` and may move village entrances."""
    import shapely

    for v in villages:  # keep village roads' dead ends well away from the expressway
        e = shapely.Point(v["entrance"])
        if exp_geom.distance(e) < 4 * EXPRESSWAY_CLEARANCE_M:
            q = exp_geom.interpolate(exp_geom.project(shapely.Point(v["x"], v["y"])))
            dx, dy = v["x"] - q.x, v["y"] - q.y
            d = max(math.hypot(dx, dy), 1e-6)
            r = max(d + 40.0, 5 * EXPRESSWAY_CLEARANCE_M)
            v["entrance"] = (round_cm(q.x + dx / d * r), round_cm(q.y + dy / d * r))
    todo = [i for i, v in enumerate(villages) if v["settlement"] != "county_seat"]
    points = shapely.points([villages[i]["entrance"] for i in todo])
    # inserting a junction vertex does not move a line, so cached geometries stay valid
    geoms = [shapely.LineString(ln.xy) for ln in lines]
    targets = [j for j, ln in enumerate(lines) if ln.road_class != "expressway"]
    (_, hit), dist = shapely.STRtree([geoms[j] for j in targets]).query_nearest(
        points, return_distance=True, all_matches=False
    )
    hit = np.array(targets)[hit]
    remaining = np.ones(len(todo), dtype=bool)
    for _ in range(len(todo)):
        pick = int(np.argmin(np.where(remaining, dist, np.inf)))
        remaining[pick] = False
        vi = todo[pick]
        e = villages[vi]["entrance"]
        parent = int(hit[pick])
        geom = geoms[parent]
        q = geom.interpolate(geom.project(shapely.Point(e)))
        p = (round_cm(q.x), round_cm(q.y))
        if math.dist(p, e) < 60.0 and exp_geom.distance(shapely.Point(e)) > 100.0:
            villages[vi]["entrance"] = p  # the village sits on an existing road
            continue
        if exp_geom.distance(shapely.Point(p)) < EXPRESSWAY_CLEARANCE_M:
            # the nearest point is where a road passes under the expressway: move along the road
            s = geom.project(shapely.Point(p))
            shift = 3 * EXPRESSWAY_CLEARANCE_M
            q = geom.interpolate(s + shift if s + shift < geom.length else s - shift)
            p = (round_cm(q.x), round_cm(q.y))
        p = insert_vertex(lines[parent], p, snap_m=5.0)
        link = Line(
            meander(rng, p, e, county), "village", "", kind="link", village=vi, parent=parent
        )
        lines.append(link)
        geoms.append(shapely.LineString(link.xy))
        d_new = shapely.distance(geoms[-1], points)
        closer = remaining & (d_new < dist)
        dist = np.where(closer, d_new, dist)
        hit = np.where(closer, len(lines) - 1, hit)


def classify_links(lines: list[Line], villages: list[dict[str, Any]]) -> tuple[int, set[int]]:
    """Name and class the links: township roads, village roads, tracks to remote villages.

    Returns the number of village roads and the villages reached only by a track.
    """
    import shapely

    # classify the tree: links carrying several villages are township roads
    carried = [0] * len(lines)
    for j in range(len(lines) - 1, -1, -1):
        ln = lines[j]
        if ln.kind == "link":
            carried[j] += 1
            if lines[ln.parent].kind == "link":
                carried[ln.parent] += carried[j]
    has_children = {ln.parent for ln in lines if ln.kind == "link"}
    n_township = n_village = 0
    for j, ln in enumerate(lines):
        if ln.kind != "link":
            continue
        v = villages[ln.village]
        length = shapely.LineString(ln.xy).length
        if carried[j] >= 4 or length > 4_000.0:
            n_township += 1
            ln.road_class, ln.ref = "township", f"Y{n_township:03d}"
            ln.name = f"{v['name']}公路"
        else:
            n_village += 1
            ln.road_class, ln.ref = "village", f"C{n_village:03d}"
            ln.name = f"{v['name']}通村路"
    # a few remote mountain villages are reached only by an unpaved track
    leaves = [
        j
        for j, ln in enumerate(lines)
        if ln.kind == "link"
        and ln.road_class == "village"
        and j not in has_children
        and villages[ln.village]["m"] > 0.75
        and villages[ln.village]["settlement"] == "village"
    ]
    leaves.sort(key=lambda j: -villages[lines[j].village]["elevation_m"])
    track_villages = set()
    for j in leaves[:6]:
        ln = lines[j]
        ln.road_class, ln.ref = "track", ""
        ln.name = f"{villages[ln.village]['name']}机耕道"
        track_villages.add(ln.village)
    return n_village, track_villages


def village_loops(
    rng: np.random.Generator,
    county: Polygon,
    lines: list[Line],
    villages: list[dict[str, Any]],
    n_village: int,
    track_villages: set[int],
) -> None:
    """Some villages also get a road to a neighbouring village (loops in the tree)."""
    # loops: some villages also have a road to a neighbouring village
    linked = {ln.village: j for j, ln in enumerate(lines) if ln.kind == "link"}
    pairs = {(ln.village, lines[ln.parent].village) for ln in lines if ln.kind == "link"}
    idx = sorted(linked)
    ent = np.array([villages[i]["entrance"] for i in idx])
    n_loop = 0
    for a_pos, a in enumerate(idx):
        prob = 0.30 - 0.25 * villages[a]["m"]
        if rng.random() > prob or a in track_villages:
            continue
        d = np.hypot(*(ent - ent[a_pos]).T)
        d[a_pos] = np.inf
        b_pos = int(np.argmin(d))
        b = idx[b_pos]
        if d[b_pos] > 2_200.0 or b in track_villages:
            continue
        if (a, b) in pairs or (b, a) in pairs:
            continue
        pairs.add((a, b))
        n_loop += 1
        va, vb = villages[a], villages[b]
        lines.append(
            Line(
                meander(rng, va["entrance"], vb["entrance"], county),
                "village",
                f"{va['name']}—{vb['name']}村道",
                f"C{n_village + n_loop:03d}",
                kind="loop",
            )
        )


def node_crossings(lines: list[Line]) -> None:
    """Add a shared vertex wherever two lines cross (the expressway is grade-separated)."""
    import shapely

    for _ in range(5):
        idx = [j for j, ln in enumerate(lines) if ln.road_class != "expressway"]
        geoms = [shapely.LineString(lines[j].xy) for j in idx]
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        changed = 0
        for a, b in zip(left, right, strict=True):
            if a >= b:
                continue
            la, lb = lines[idx[a]], lines[idx[b]]
            inter = shapely.intersection(geoms[a], geoms[b])
            pts: list[tuple[float, float]] = []
            for part in shapely.get_parts(inter):
                coords = shapely.get_coordinates(part)
                if part.geom_type != "Point":
                    coords = coords[[0, -1]]
                pts.extend((float(x), float(y)) for x, y in coords)
            va, vb = set(la.xy), set(lb.xy)
            for q in pts:
                qr = (round_cm(q[0]), round_cm(q[1]))
                if qr in va and qr in vb:
                    continue
                shared = insert_vertex(la, qr)
                insert_vertex(lb, shared)
                changed += 1
        if not changed:
            return
    raise RuntimeError("noding the road lines did not converge")


def fix_near_misses(lines: list[Line]) -> None:
    """Join dead ends that stop within 10 m of another road (so only the deliberate gaps remain)."""
    import shapely

    owners: dict[tuple[float, float], set[int]] = {}
    for j, ln in enumerate(lines):
        for p in ln.xy:
            owners.setdefault(p, set()).add(j)
    idx = [j for j, ln in enumerate(lines) if ln.road_class != "expressway"]
    geoms = [shapely.LineString(lines[j].xy) for j in idx]
    tree = shapely.STRtree(geoms)
    exp = shapely.LineString(next(o for o in lines if o.road_class == "expressway").xy)
    for j, ln in enumerate(lines):
        if ln.road_class == "expressway":
            continue
        for end in (0, -1):
            p = ln.xy[end]
            if len(owners[p]) > 1:
                continue
            pt = shapely.Point(p)
            if exp.distance(pt) < EXPRESSWAY_CLEARANCE_M:
                raise RuntimeError(f"road {ln.name} ends next to the expressway")
            for hit in tree.query(pt, predicate="dwithin", distance=10.0):
                k = idx[int(hit)]
                if k == j:
                    continue
                g = shapely.LineString(lines[k].xy)
                if g.distance(pt) > 0.0:
                    q = g.interpolate(g.project(pt))
                    ln.xy[end] = insert_vertex(lines[k], (round_cm(q.x), round_cm(q.y)))
                    if len(ln.xy) > 2 and ln.xy[end] == ln.xy[1 if end == 0 else -2]:
                        del ln.xy[end]  # the road already met that line at its last vertex
                    logger.debug("joined a dead end of %s to %s", ln.name, lines[k].name)
                    break


def make_gaps(lines: list[Line], gaps_m: Sequence[float], *, skip: set[int]) -> None:
    """Pull the junction end of a few leaf village roads back by 1-2 m from the road they join.

    These are the deliberate topology errors a network builder's repair (snapping dead ends within
    a tolerance of 2-3 m onto the nearest line) must join; their ``gap_m`` records the distance.
    """
    import shapely

    has_children = {ln.parent for ln in lines if ln.kind == "link"}
    count: dict[tuple[float, float], int] = {}
    for ln in lines:
        for p in ln.xy:
            count[p] = count.get(p, 0) + 1
    done = 0
    for j, ln in enumerate(lines):
        if done == len(gaps_m):
            break
        if ln.kind != "link" or ln.road_class != "village" or j in has_children or j in skip:
            continue
        if mountain_factor(*ln.xy[0]) > 0.3 or count[ln.xy[0]] != 2:
            continue
        if len(ln.xy) < 3 or any(count[p] != 1 for p in ln.xy[1:]):
            continue  # only this village hangs on the line: unrepaired, it is cut off
        parent = lines[ln.parent]
        k = parent.xy.index(ln.xy[0])
        if k == 0 or k == len(parent.xy) - 1:
            continue
        # angle between the link's first segment and the parent's direction there
        dx, dy = np.subtract(ln.xy[1], ln.xy[0])
        seg = math.hypot(dx, dy)
        px, py = np.subtract(parent.xy[k + 1], parent.xy[k - 1])
        sin = abs(dx * py - dy * px) / (seg * math.hypot(px, py))
        target = gaps_m[done]
        g = target / max(sin, 1e-9)
        if sin < 0.85 or seg < g + 5.0:
            continue
        new = (round_cm(ln.xy[0][0] + dx / seg * g), round_cm(ln.xy[0][1] + dy / seg * g))
        pt = shapely.Point(new)
        dist = min(shapely.LineString(o.xy).distance(pt) for i, o in enumerate(lines) if i != j)
        if not 1.05 <= dist <= 1.95:
            continue
        ln.xy[0] = new
        ln.gap_m = round(dist, 2)
        done += 1
    if done < len(gaps_m):
        raise RuntimeError("could not place every deliberate gap")
