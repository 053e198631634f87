"""A real OSM extract from ../shared/data: build, route and export, through the project file."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from accessibility.config import load_config
from accessibility.osm import read_osm_places, read_osm_pois
from accessibility.pipeline import run_project

pytestmark = pytest.mark.shared_data


@pytest.mark.slow
def test_imperial_county_pbf_project(shared_data, tmp_path):
    pbf = shared_data / "osm" / "imperial-county.osm.pbf"
    places = read_osm_places(pbf, places=("city", "town", "village", "hamlet"))
    places["population"] = 1.0
    pois = read_osm_pois(pbf, {"amenity": ["school", "clinic", "doctors", "hospital"]})
    pois["service"] = pois["amenity"].replace({"doctors": "clinic"})
    pois["capacity"] = 1.0
    places.to_file(tmp_path / "inputs.gpkg", layer="villages")
    pois.to_file(tmp_path / "inputs.gpkg", layer="facilities")
    (tmp_path / "project.toml").write_text(
        f'''
[input]
osm = "{pbf}"
villages = "inputs.gpkg"
villages_layer = "villages"
facilities = "inputs.gpkg"
facilities_layer = "facilities"

[columns]
village_id = "osm_id"
facility_id = "osm_id"
township = ""
area_type = ""

[network]
profile = "osm"
modes = ["car"]
max_snap_m = 5000.0

[analysis]
mode = "car"
thresholds_min = [15, 30, 60]

[equity]
standards = "none"

[output]
folder = "out"
report = ""
''',
        encoding="utf-8",
    )
    cfg = load_config(tmp_path / "project.toml")
    result = run_project(cfg)
    gpkg = tmp_path / "out" / "accessibility.gpkg"
    layer = gpd.read_file(gpkg, layer="villages")
    assert len(layer) == len(places)
    assert result.network.report["n_components"] > 1  # all fragments kept
    # every place has a finite time to a school or an explicit unreachable flag
    t = layer["school_nearest_min"]
    assert (t.notna() == layer["school_reachable"]).all()
    assert layer["school_reachable"].mean() > 0.8
    # El Centro (the county seat) has schools within 15 minutes
    seat = layer[layer["name"] == "El Centro"]
    assert len(seat) == 1 and seat["school_n_15min"].iloc[0] >= 3
    assert np.isfinite(seat["hospital_nearest_min"].iloc[0])
