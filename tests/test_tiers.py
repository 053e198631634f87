"""Tiers, referral chains, closure and upgrades on a hand-worked example.

Villages V1, V2, V3 (population 100, 200, 50). Facilities: clinics C1, C2 (tier 1), health
centres T1, T2 (tier 2), hospital H1 (tier 3). Village -> facility minutes (a blank = beyond the
routing limit):

        C1  C2  T1  T2  H1
    V1   5  12  20  30  50
    V2  15   4  25  10  40
    V3       8      18

Facility -> facility minutes: C1->T1 7, C1->T2 16, C2->T1 14, C2->T2 6, T1->H1 25, T2->H1 35
(and same-tier pairs C1->C2 9, T1->T2 12, which a referral never uses).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from accessibility.errors import InvalidValueError
from accessibility.tiers import (
    closure_by_village,
    closure_summary,
    facility_tiers,
    nearest_by_tier,
    referral_chain,
    referral_flows,
    referral_table,
    upgrade_facilities,
    upgrade_gains,
)

VILLAGES = pd.Index(["V1", "V2", "V3"], name="village_id")
POP = pd.Series([100, 200, 50], index=VILLAGES)
TIERS = pd.Series([1, 1, 2, 2, 3], index=["C1", "C2", "T1", "T2", "H1"])


def _costs(rows):
    return pd.DataFrame(rows, columns=["origin", "destination", "travel_time_min"])


COSTS = _costs(
    [
        ("V1", "C1", 5), ("V1", "C2", 12), ("V1", "T1", 20), ("V1", "T2", 30), ("V1", "H1", 50),
        ("V2", "C1", 15), ("V2", "C2", 4), ("V2", "T1", 25), ("V2", "T2", 10), ("V2", "H1", 40),
        ("V3", "C2", 8), ("V3", "T2", 18),
    ]
)  # fmt: skip
FAC_COSTS = _costs(
    [
        ("C1", "T1", 7), ("C1", "T2", 16), ("C2", "T1", 14), ("C2", "T2", 6),
        ("T1", "H1", 25), ("T2", "H1", 35), ("C1", "C2", 9), ("T1", "T2", 12),
    ]
)  # fmt: skip


def test_facility_tiers_from_a_column_with_values_and_services():
    fac = pd.DataFrame(
        {
            "service": ["clinic", "health_centre", "hospital", "school"],
            "level": ["village", "township", "county", "village"],
        },
        index=["C1", "T1", "H1", "S1"],
    )
    got = facility_tiers(
        fac,
        column="level",
        values={"village": 1, "township": 2, "county": 3},
        services=["clinic", "health_centre", "hospital"],
    )
    assert got.to_dict() == {"C1": 1, "T1": 2, "H1": 3}  # the school is not in the group


def test_facility_tiers_rejects_values_without_a_tier():
    fac = pd.DataFrame({"level": ["village", "city"]}, index=["a", "b"])
    with pytest.raises(InvalidValueError, match="city"):
        facility_tiers(fac, column="level", values={"village": 1})


def test_nearest_by_tier_hand_worked():
    near = nearest_by_tier(COSTS, VILLAGES, TIERS)
    # V1: C1 5, T1 20, H1 50; V2: C2 4, T2 10, H1 40; V3: C2 8, T2 18, no hospital in reach
    assert near["tier1_id"].tolist() == ["C1", "C2", "C2"]
    assert near["tier1_min"].tolist() == [5, 4, 8]
    assert near["tier2_id"].tolist() == ["T1", "T2", "T2"]
    assert near["tier2_min"].tolist() == [20, 10, 18]
    assert near["tier3_id"].tolist()[:2] == ["H1", "H1"] and pd.isna(near["tier3_id"].iloc[2])
    assert near["tier3_min"].tolist()[:2] == [50, 40] and math.isinf(near["tier3_min"].iloc[2])


def test_referral_table_each_facility_to_its_nearest_next_tier():
    ref = referral_table(FAC_COSTS, TIERS)
    # C1 -> T1 (7 < 16), C2 -> T2 (6 < 14), T1 -> H1 25, T2 -> H1 35; H1 is the top tier
    assert ref.loc[["C1", "C2", "T1", "T2"], "referral_id"].tolist() == ["T1", "T2", "H1", "H1"]
    assert ref.loc[["C1", "C2", "T1", "T2"], "referral_min"].tolist() == [7, 6, 25, 35]
    assert ref.loc[["C1", "T1"], "referral_tier"].tolist() == [2, 3]
    assert pd.isna(ref.loc["H1", "referral_id"]) and np.isnan(ref.loc["H1", "referral_min"])


def test_referral_chain_time_is_the_sum_of_the_legs():
    near = nearest_by_tier(COSTS, VILLAGES, TIERS)
    chain = referral_chain(near, referral_table(FAC_COSTS, TIERS))
    # V1: 5 (C1) + 7 (C1->T1) + 25 (T1->H1) = 37; V2: 4 + 6 + 35 = 45; V3: 8 + 6 + 35 = 49
    assert chain["referral_min"].tolist() == [37, 45, 49]
    assert chain["referral_tier2_id"].tolist() == ["T1", "T2", "T2"]
    assert chain["referral_tier3_id"].tolist() == ["H1", "H1", "H1"]
    # V1 is sent to T1 and then H1, although it could drive to H1 directly in 50 min
    assert chain.loc["V1", "referral_extra_min"] == 37 - 50


def test_referral_chain_breaks_when_the_first_leg_is_unreachable():
    costs = COSTS[COSTS["origin"] != "V3"]
    near = nearest_by_tier(costs, VILLAGES, TIERS)
    chain = referral_chain(near, referral_table(FAC_COSTS, TIERS))
    assert math.isinf(chain.loc["V3", "referral_min"])
    assert pd.isna(chain.loc["V3", "referral_tier2_id"])


def test_referral_flows_count_people_per_link():
    near = nearest_by_tier(COSTS, VILLAGES, TIERS)
    chain = referral_chain(near, referral_table(FAC_COSTS, TIERS))
    flows = referral_flows(chain, near, referral_table(FAC_COSTS, TIERS), POP).set_index(
        ["from_id", "to_id"]
    )
    # C1->T1 carries V1 (100); C2->T2 carries V2 and V3 (250); T1->H1 100; T2->H1 250
    assert flows["population"].to_dict() == {
        ("C1", "T1"): 100, ("C2", "T2"): 250, ("T1", "H1"): 100, ("T2", "H1"): 250,
    }  # fmt: skip
    assert flows.loc[("C2", "T2"), "villages"] == 2
    assert flows.loc[("T2", "H1"), "time_min"] == 35


def test_closure_by_village_and_summary_hand_worked():
    units = pd.Series(["A", "A", "B"], index=VILLAGES)
    fac_units = pd.Series(["A", "B", "A", "B", "A"], index=TIERS.index)
    near = nearest_by_tier(COSTS, VILLAGES, TIERS)
    per = closure_by_village(COSTS, near, units, TIERS, fac_units)
    # tier 1: V2's nearest clinic C2 is in B; the nearest in A is C1 at 15 min: 11 min more
    assert per["tier1_outside"].tolist() == [False, True, False]
    assert per.loc["V2", "tier1_inside_min"] == 15 and per.loc["V2", "tier1_extra_min"] == 11
    # tier 2: V2's nearest T2 is in B; T1 in A at 25 min: 15 min more
    assert per.loc["V2", "tier2_extra_min"] == 15
    # tier 3: V3 reaches no hospital (unknown, not "outside"); B has no hospital at all
    assert pd.isna(per.loc["V3", "tier3_outside"]) and math.isinf(per.loc["V3", "tier3_inside_min"])
    summary = closure_summary(per, units, POP).set_index(["unit", "tier"])
    a1 = summary.loc[("A", 1)]
    assert a1["population"] == 300 and a1["population_outside"] == 200
    assert a1["share_outside"] == pytest.approx(200 / 300)
    assert a1["mean_extra_min"] == 11  # the people outside, weighted by population
    b3 = summary.loc[("B", 3)]
    assert b3["population_unreachable"] == 50 and b3["population_outside"] == 0
    county = closure_summary(per, units, POP, overall=True).set_index(["unit", "tier"])
    assert county.loc[("all", 2), "share_outside"] == pytest.approx(200 / 350)


def test_upgrade_gains_rank_lower_tier_facilities_hand_worked():
    near = nearest_by_tier(COSTS, VILLAGES, TIERS)
    gains = upgrade_gains(COSTS, near, TIERS, POP, tier=1)
    # C2 as a health centre: V1 20->12 (800), V2 10->4 (1200), V3 18->8 (500) = 2500 person-min
    # C1: V1 20->5 (1500); V2 10 < 15 (0); V3 does not reach C1 = 1500
    assert gains.index.tolist() == ["C2", "C1"]
    assert gains["person_min_saved"].tolist() == [2500, 1500]
    assert gains["population_better_served"].tolist() == [350, 100]
    assert gains["to_tier"].tolist() == [2, 2]


def test_upgrade_gains_count_newly_reached_people_apart():
    near = nearest_by_tier(COSTS, VILLAGES, TIERS)
    gains = upgrade_gains(COSTS, near, TIERS, POP, tier=2)
    # T2 as a hospital: V1 50->30 (2000), V2 40->10 (6000); V3 reaches no hospital today: new
    assert gains.loc["T2", "person_min_saved"] == 8000
    assert gains.loc["T2", "population_newly_reached"] == 50
    assert gains.loc["T1", "population_newly_reached"] == 0


def test_upgrade_facilities_returns_a_new_table():
    fac = pd.DataFrame(
        {"level": ["village", "township"], "service": ["clinic", "x"]}, index=["a", "b"]
    )
    values = {"village": 1, "township": 2, "county": 3}
    out = upgrade_facilities(fac, ["a"], column="level", values=values, service="health_centre")
    assert out.loc["a", "level"] == "township" and out.loc["a", "service"] == "health_centre"
    assert fac.loc["a", "level"] == "village"  # the input is not modified
    with pytest.raises(InvalidValueError, match="top tier"):
        upgrade_facilities(out, ["b"], column="level", values={"village": 1, "township": 2})


def test_facility_tiers_can_leave_out_facilities_without_a_tier():
    fac = pd.DataFrame({"level": ["village", None, ""]}, index=["a", "b", "c"])
    with pytest.raises(InvalidValueError, match="<empty>"):
        facility_tiers(fac, column="level", values={"village": 1})
    got = facility_tiers(fac, column="level", values={"village": 1}, missing="drop")
    assert got.to_dict() == {"a": 1} and got.attrs["missing"] == ["b", "c"]
