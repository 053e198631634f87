"""[[upgrade_facility]] in scenarios: a facility moved up a tier (and maybe to a new service)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from accessibility.errors import ConfigError
from accessibility.network import network_from_roads
from accessibility.pipeline import accessibility_layer
from accessibility.planning import PlanningInputs, apply_scenario, evaluate_scenario, load_scenario

CRS = "EPSG:32650"
X0, Y0, STEP, N = 500_000.0, 3_000_000.0, 1000.0, 4


def _inputs():
    lines = []
    for j in range(N):
        for i in range(N - 1):
            lines.append(
                shapely.LineString(
                    [(X0 + i * STEP, Y0 + j * STEP), (X0 + (i + 1) * STEP, Y0 + j * STEP)]
                )
            )
            lines.append(
                shapely.LineString(
                    [(X0 + j * STEP, Y0 + i * STEP), (X0 + j * STEP, Y0 + (i + 1) * STEP)]
                )
            )
    roads = gpd.GeoDataFrame(
        {"road_class": ["county"] * len(lines), "oneway": [False] * len(lines)},
        geometry=lines,
        crs=CRS,
    )
    net = network_from_roads(roads)
    villages = gpd.GeoDataFrame(
        {"population": [100.0, 200.0, 300.0], "area_type": ["rural"] * 3},
        geometry=[shapely.Point(X0 + 50, Y0 + 50), shapely.Point(X0 + 2950, Y0 + 2950),
                  shapely.Point(X0 + 1500, Y0 + 20)],
        crs=CRS,
        index=pd.Index(["V1", "V2", "V3"], name="village_id"),
    )  # fmt: skip
    facilities = gpd.GeoDataFrame(
        {"service": ["clinic", "clinic", "health_centre"], "level": ["village", "village", "township"],
         "capacity": [2, 3, 40]},
        geometry=[shapely.Point(X0 + 100, Y0), shapely.Point(X0 + 3000, Y0 + 2900),
                  shapely.Point(X0 + 1500, Y0)],
        crs=CRS,
        index=pd.Index(["C1", "C2", "HC1"], name="facility_id"),
    )  # fmt: skip
    return net, villages, facilities


SCENARIO = {
    "upgrade_facility": [{"id": "C2", "to": "township", "service": "health_centre", "capacity": 30}]
}


def test_upgrade_sets_the_tier_column_and_moves_the_service():
    net, villages, facilities = _inputs()
    new = apply_scenario(PlanningInputs(net, villages, facilities), SCENARIO)
    row = new.facilities.loc["C2"]
    assert (row["level"], row["service"], row["capacity"]) == ("township", "health_centre", 30)
    assert facilities.loc["C2", "level"] == "village"  # the input is not modified
    assert new.changes["facility_change"]["C2"] == "upgraded"
    assert new.changes["closed"]["clinic"] == ["C2"] and new.changes["added"]["health_centre"] == [
        "C2"
    ]


def test_upgrade_evaluates_like_a_full_recomputation():
    net, villages, facilities = _inputs()
    res = evaluate_scenario(
        net, villages, facilities, SCENARIO, services=["clinic", "health_centre"], standards=None
    )
    after = facilities.copy()
    after.loc["C2", ["level", "service", "capacity"]] = ["township", "health_centre", 30]
    full = accessibility_layer(net, villages, after, services=["clinic", "health_centre"])
    for s in ("clinic", "health_centre"):
        np.testing.assert_allclose(
            res.villages[f"{s}_nearest_min_after"].to_numpy(float),
            full[f"{s}_nearest_min"].to_numpy(float),
        )
    # V2 sits next to C2: its health centre is now C2
    assert res.villages.loc["V2", "health_centre_nearest_id_after"] == "C2"


def test_upgrade_entries_are_checked():
    with pytest.raises(ConfigError, match="needs `to"):
        load_scenario({"upgrade_facility": [{"id": "C2"}]})
    net, villages, facilities = _inputs()
    bad = {"upgrade_facility": [{"id": "C2", "to": "township", "service": "hospitall"}]}
    with pytest.raises(ConfigError, match="unknown service"):
        apply_scenario(PlanningInputs(net, villages, facilities), bad)


@pytest.mark.parametrize("action", ["close_facility", "change_capacity", "upgrade_facility"])
def test_a_loaded_scenario_loads_again(action):
    # run_scenario loads the scenario and evaluate_scenario loads it again: `id` was copied into
    # `ids` by the first load and the second refused "exactly one of id or ids"
    extra = {
        "close_facility": {},
        "change_capacity": {"capacity": 5},
        "upgrade_facility": {"to": "x"},
    }
    once = load_scenario({action: {"id": "A", **extra[action]}})
    assert load_scenario(once)[action][0]["ids"] == ["A"]
