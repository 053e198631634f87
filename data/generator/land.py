"""The county boundary, the township polygons, the elevation model and the population raster."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .frame import CELL, MARGIN, TOWNSHIPS, H, W, mountain_factor, round_cm

if TYPE_CHECKING:
    from shapely import Polygon


def county_boundary(rng: np.random.Generator, centres: dict[str, tuple[float, float]]) -> Polygon:
    """A lumpy super-ellipse stretched to fill the 40 x 35 km extent (less a 500 m margin).

    Shapes are drawn until every township centre lies at least 1.5 km inside the boundary.
    """
    import shapely

    theta = np.linspace(0.0, 2.0 * np.pi, 240, endpoint=False)
    c, s = np.cos(theta), np.sin(theta)
    inner = shapely.points(list(centres.values()))
    for _ in range(500):
        radius = np.ones_like(theta)
        for k, amp in ((2, 0.05), (3, 0.05), (4, 0.035), (5, 0.03), (7, 0.02), (11, 0.012)):
            radius += amp * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
        p = 2.6
        ux = np.sign(c) * np.abs(c) ** (2 / p) * radius
        uy = np.sign(s) * np.abs(s) ** (2 / p) * radius
        x = 500.0 + (ux - ux.min()) / (ux.max() - ux.min()) * (W - 1000.0)
        y = 500.0 + (uy - uy.min()) / (uy.max() - uy.min()) * (H - 1000.0)
        poly = shapely.Polygon([(round_cm(a), round_cm(b)) for a, b in zip(x, y, strict=True)])
        if poly.is_valid and shapely.contains(poly.buffer(-1500.0), inner).all():
            return poly
    raise RuntimeError("could not draw a county boundary around the township centres")


def township_polygons(county: Polygon, centres: dict[str, tuple[float, float]]) -> dict:
    """Voronoi cells of the township centres, clipped to the county (key -> Polygon)."""
    import shapely

    points = shapely.MultiPoint([centres[k] for k, *_ in TOWNSHIPS])
    cells = shapely.voronoi_polygons(points, extend_to=county.envelope.buffer(5000)).geoms
    out = {}
    for key, *_ in TOWNSHIPS:
        pt = shapely.Point(centres[key])
        cell = next(c for c in cells if c.contains(pt))
        poly = shapely.set_precision(cell.intersection(county), 0.01)
        if poly.geom_type != "Polygon":
            raise RuntimeError(f"township {key} is not a single polygon")
        out[key] = poly
    return out


def make_dem(rng: np.random.Generator, county: Polygon) -> tuple[np.ndarray, Any, np.ndarray]:
    """Elevation (m) on a 100 m grid: a gentle plain in the south-east, ridged mountains in the
    north-west. Returns (array, local transform, mask of cells within 1 km of the county)."""
    from affine import Affine
    from rasterio import features
    from scipy.ndimage import gaussian_filter

    cols = int((W + 2 * MARGIN) / CELL)
    rows = int((H + 2 * MARGIN) / CELL)
    transform = Affine(CELL, 0.0, -MARGIN, 0.0, -CELL, H + MARGIN)

    def noise(sigma: float) -> np.ndarray:
        field = gaussian_filter(rng.standard_normal((rows, cols)), sigma, mode="reflect")
        return field / field.std()

    xc = -MARGIN + CELL * (np.arange(cols) + 0.5)
    yc = H + MARGIN - CELL * (np.arange(rows) + 0.5)
    gx, gy = np.meshgrid(xc, yc)
    m = mountain_factor(gx, gy)
    ridge = 0.65 * (1.0 - np.abs(noise(14.0))) + 0.35 * (1.0 - np.abs(noise(5.0)))
    ridge = np.clip(ridge, 0.0, None)
    elev = 110.0 + 30.0 * noise(40.0) + 12.0 * noise(10.0) + m**1.4 * (260.0 + 650.0 * ridge)
    elev = np.round(np.clip(elev, 45.0, None), 1).astype(np.float32)
    valid = features.rasterize(
        [(county.buffer(1000.0), 1)], out_shape=(rows, cols), transform=transform, fill=0
    ).astype(bool)
    return elev, transform, valid


def sample_at(raster: np.ndarray, transform: Any, x: float, y: float) -> float:
    """The raster value at a local point."""
    col = int((x - transform.c) / transform.a)
    row = int((y - transform.f) / transform.e)
    return float(raster[row, col])


def make_population_raster(
    villages: list[dict[str, Any]], county: Polygon, transform: Any, shape: tuple[int, int]
) -> np.ndarray:
    """People per 100 m cell: each village's population spread by a Gaussian kernel over the cells
    inside the county, normalised so every village's cells sum to its population."""
    from rasterio import features

    inside = features.rasterize([(county, 1)], out_shape=shape, transform=transform, fill=0).astype(
        bool
    )
    pop = np.zeros(shape, dtype=np.float64)
    rows, cols = shape
    for v in villages:
        sigma = {"county_seat": 320.0, "township_seat": 260.0}.get(v["settlement"], 220.0)
        sigma += 120.0 * v["m"] if v["settlement"] == "village" else 0.0
        col = int((v["x"] - transform.c) / transform.a)
        row = int((v["y"] - transform.f) / transform.e)
        half = math.ceil(3 * sigma / CELL)
        r0, r1 = max(0, row - half), min(rows, row + half + 1)
        c0, c1 = max(0, col - half), min(cols, col + half + 1)
        xc = transform.c + CELL * (np.arange(c0, c1) + 0.5)
        yc = transform.f - CELL * (np.arange(r0, r1) + 0.5)
        gx, gy = np.meshgrid(xc, yc)
        w = np.exp(-((gx - v["x"]) ** 2 + (gy - v["y"]) ** 2) / (2 * sigma**2))
        w *= inside[r0:r1, c0:c1]
        pop[r0:r1, c0:c1] += v["population"] * w / w.sum()
    return pop.astype(np.float32)
