"""Named indicators (accessibility.tiers.indicators) on hand-worked examples.

Three villages in two townships: V1 (A, 300 people, 60 elderly), V2 (A, 100, 40), V3 (B, 100, 100).
Walk minutes to the nearest clinic 10, 20, 40 and health centre 30, 12, 50.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from accessibility.errors import ConfigError
from accessibility.standards import load_standards
from accessibility.tiers.indicators import load_indicators, named_indicators

VILLAGES = pd.DataFrame(
    {
        "township": ["A", "A", "B"],
        "population": [300, 100, 100],
        "pop_elderly": [60, 40, 100],
        "clinic_nearest_min": [10.0, 20.0, 40.0],
        "health_centre_walk_nearest_min": [30.0, 12.0, 50.0],
        "health_tier2_min": [30.0, 12.0, math.inf],
    },
    index=["V1", "V2", "V3"],
)
FACILITIES = pd.DataFrame(
    {"service": ["elder_care", "elder_care", "clinic"], "capacity": [30, 20, 5],
     "township": ["A", "A", "B"]},
    index=["E1", "E2", "C1"],
)  # fmt: skip


def _one(entry, **kw):
    table = named_indicators(VILLAGES, {"x": {"source": "test", **entry}}, **kw)
    return table.iloc[0]


def test_population_share_nearest_of_several_services_by_mode():
    row = _one(
        {"kind": "population_share", "services": ["clinic", "health_centre"], "mode": "walk",
         "time_min": 15},
        modes={"clinic": "walk"},
    )  # fmt: skip
    # V1 clinic 10 <= 15 (300), V2 health centre 12 <= 15 (100), V3 40/50 > 15: 400/500 = 80 %
    assert row["value"] == pytest.approx(80.0) and row["value_text"] == "80.0%"


def test_population_share_refuses_times_of_another_mode():
    row = _one(
        {"kind": "population_share", "services": ["clinic"], "mode": "walk", "time_min": 15},
        modes={"clinic": "car"},
    )
    assert math.isnan(row["value"]) and "walk" in row["missing"]


def test_population_share_of_a_tier():
    row = _one({"kind": "population_share", "group": "health", "tier": 2, "time_min": 30})
    # V1 30 <= 30 (300), V2 12 (100), V3 unreachable: 400/500 = 80 %
    assert row["value"] == pytest.approx(80.0)


def test_per_1000_elderly():
    row = _one(
        {"kind": "per_1000", "services": ["elder_care"], "supply": "capacity",
         "population": "pop_elderly"},
        facilities=FACILITIES,
    )  # fmt: skip
    # (30 + 20) beds / 200 elderly * 1000 = 250
    assert row["value"] == pytest.approx(250.0) and row["value_text"] == "250.0"


def test_units_with_facility():
    row = _one({"kind": "units_with_facility", "services": ["elder_care"]}, facilities=FACILITIES)
    # townships A and B; only A has an elder-care home: 50 %
    assert row["value"] == pytest.approx(50.0)


def test_tier_group_indicator_for_facilities():
    tiers = {"elder": pd.Series([2, 1], index=["E1", "E2"])}
    row = _one(
        {"kind": "per_1000", "group": "elder", "tier": 2, "supply": "capacity",
         "population": "pop_elderly"},
        facilities=FACILITIES, tiers=tiers,
    )  # fmt: skip
    assert row["value"] == pytest.approx(150.0)  # 30 / 200 * 1000


def test_load_indicators_builtin_have_sources_and_flags():
    builtin = load_indicators()
    assert "社区小学步行10分钟覆盖率" in builtin
    assert all(e["source"] and isinstance(e["verified"], bool) for e in builtin.values())
    load_standards(None)  # the built-in standards file still loads with its [indicators]


def test_load_indicators_reports_every_problem():
    bad = {"a": {"kind": "area_share", "services": ["x"]}, "b": {"kind": "per_1000", "sourse": 1}}
    with pytest.raises(ConfigError) as exc:
        load_indicators({"indicators": bad})
    text = str(exc.value)
    assert "area_share" in text and "sourse" in text and "supply" in text
