"""QGIS styles of the tier and audit layers: ``referrals`` (lines by people referred),
``schools_audit`` (points by indicators met), ``tier_closure`` (units by share outside) and
``tier_upgrades`` (candidates by rank).

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> s = gpd.GeoDataFrame({"indicators_met": [7, 5]}, geometry=[Point(0, 0), Point(1, 1)])
>>> 'attr="indicators_met"' in school_audit_qml(s)
True
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .qml import graduated_qml

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["closure_qml", "referral_qml", "school_audit_qml", "tier_layer_qml", "upgrade_qml"]


def school_audit_qml(schools: gpd.GeoDataFrame) -> str:
    """Schools by the number of the seven 优质均衡 indicators met: 7 green, 6 amber, fewer red."""
    return graduated_qml(
        "indicators_met",
        [-0.5, 5.5, 6.5, 7.5],
        ["#d7301f", "#fdae61", "#1a9850"],
        "Point",
        ["0-5 of 7 (fails / 未达标)", "6 of 7", "7 of 7"],
        size_mm=3.2,
        label_field="name" if "name" in schools.columns else None,
    )


def referral_qml(referrals: gpd.GeoDataFrame) -> str:
    """Referral links by the people referred along them (light to dark)."""
    top = float(referrals["population"].max()) if len(referrals) else 1.0
    top = top if math.isfinite(top) and top > 0 else 1.0
    breaks = [0.0, top / 8, top / 4, top / 2, math.inf]
    labels = [f"≤ {breaks[1]:,.0f}", f"≤ {breaks[2]:,.0f}", f"≤ {breaks[3]:,.0f}", "more"]
    colors = ["#c6dbef", "#6baed6", "#2171b5", "#08306b"]
    return graduated_qml("population", breaks, colors, "LineString", labels)


def closure_qml(closure: gpd.GeoDataFrame) -> str:
    """Units by the share of people whose nearest facility lies outside (filter by group and
    tier in QGIS: the layer has one polygon per unit, group and tier)."""
    breaks = [0.0, 0.05, 0.2, 0.5, 1.0]
    labels = ["< 5 %", "5-20 %", "20-50 %", "> 50 %"]
    colors = ["#1a9850", "#d9ef8b", "#fdae61", "#d7301f"]
    return graduated_qml("share_outside", breaks, colors, "Polygon", labels, fill_alpha=0.6)


def upgrade_qml(upgrades: gpd.GeoDataFrame) -> str:
    """Upgrade candidates by rank within their group and tier: the best five stand out."""
    return graduated_qml(
        "rank",
        [0.5, 1.5, 5.5, math.inf],
        ["#7a0177", "#dd3497", "#bdbdbd"],
        "Point",
        ["best (1)", "2-5", "others"],
        size_mm=3.0,
        label_field="name" if "name" in upgrades.columns else None,
    )


def tier_layer_qml(name: str, gdf: gpd.GeoDataFrame) -> str | None:
    """The style of a tier or audit layer by its name; None for any other layer."""
    cols = set(map(str, gdf.columns))
    if name == "schools_audit" and "indicators_met" in cols:
        return school_audit_qml(gdf)
    if name == "referrals" and "population" in cols:
        return referral_qml(gdf)
    if name == "tier_upgrades" and "rank" in cols:
        return upgrade_qml(gdf)
    if name == "tier_closure" and "share_outside" in cols:
        return closure_qml(gdf)
    return None
