"""Regenerate the README images in docs/images/ from the embedded demo county.

    python docs/make_images.py            # writes docs/images/*.png (about 30 s)
    python docs/make_images.py --out DIR  # somewhere else

Needs a CJK font for the Chinese labels (Debian/Ubuntu: ``apt install fonts-wqy-microhei``);
without one the labels fall back to pinyin and a warning is logged. Images are palette PNGs
(256 colours) to stay small in the repository.
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import accessibility as acc
from accessibility import charts, maps
from accessibility._files import atomic_path
from accessibility.equity import fill_unreachable, gini, lorenz_curve

HERE = Path(__file__).resolve().parent
LABEL = {
    "hospital": "hospital 医院",
    "health_centre": "health centre 卫生院",
    "clinic": "clinic 村卫生室",
    "primary_school": "primary school 小学",
    "junior_school": "junior school 初中",
    "elder_care": "elder care 养老院",
}


def save_png(fig, path: Path, *, dpi: int = 100) -> int:
    """Save a figure as a 256-colour PNG (atomically) and return its size in bytes."""
    from PIL import Image

    buf = io.BytesIO()
    with charts.font_context():  # the CJK font for charts made by accessibility.charts
        fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    buf.seek(0)
    img = Image.open(buf).convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    with atomic_path(path) as tmp:
        img.save(tmp, format="PNG", optimize=True)
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "images")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    acc.set_options(progress=False)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    demo = acc.load_demo()
    net = acc.network_from_roads(demo.roads, tolerance_m=2.5)  # joins the demo's 1-2 m gaps
    layer = acc.accessibility_layer(net, demo.villages, demo.facilities, mode="car")
    hc = demo.facilities[demo.facilities["service"] == "health_centre"]
    written: dict[str, int] = {}

    # 1. travel time to the nearest health centre, worst-served villages named
    worst = layer["health_centre_nearest_min"].nlargest(5).index
    fig = maps.village_map(
        layer,
        "health_centre_nearest_min",
        roads=demo.roads,
        facilities=hc,
        units=demo.townships,
        labels=list(worst),
        breaks=[0, 5, 10, 15, 20, 30, 60],
        legend_title="minutes by car",
        title="Demo county: travel time to the nearest health centre (卫生院)",
    )
    written["health_centre_times.png"] = save_png(fig, out / "health_centre_times.png")

    # 2. network catchments of the health centres (5 / 10 / 15 min by car)
    from accessibility.catchments import network_catchments

    catch = network_catchments(
        net, hc, mode="car", thresholds_min=(5, 10, 15), service_column="service"
    )
    fig = maps.catchment_map(
        catch,
        villages=demo.villages,
        roads=demo.roads,
        facilities=hc,
        units=demo.townships,
        title="Health-centre catchments over the road network: 5 / 10 / 15 min by car",
    )
    written["health_centre_catchments.png"] = save_png(fig, out / "health_centre_catchments.png")

    # 3. Lorenz curves of travel times, population-weighted (unreachable counted as 60 min)
    curves = {}
    for service, label in LABEL.items():
        t = fill_unreachable(layer[f"{service}_nearest_min"], 60.0)
        g = gini(t, layer["population"])
        curves[f"{label}  Gini {g:.2f}"] = lorenz_curve(t, layer["population"])
    fig = charts.lorenz_chart(curves, title="Who travels longest? Lorenz curves of car times")
    written["lorenz_travel_times.png"] = save_png(fig, out / "lorenz_travel_times.png")

    for name, size in written.items():
        print(f"{out / name}: {size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
