"""The school table of the demo county: one row per school, with the resources the compulsory-
education audit (优质均衡, 教督〔2017〕6号) asks for.

Its own seeded generator (stage :data:`STAGE`), so every other layer stays as it was. Resources are
drawn around the audit's standards: most county-seat and township schools meet them, village
schools and teaching points in the hills often miss one or two (key teachers, sports space), and a
few county-seat schools have oversized classes (大班额).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import geopandas as gpd

#: The generator stage of the school table (the issue that added it).
STAGE = 21

# per 100 pupils (teachers, rooms) or per pupil (m2, yuan): the 优质均衡 standards, primary/junior
_STANDARDS = {
    "qualified_teachers": (4.2, 5.3),
    "key_teachers": (1.0, 1.0),
    "pe_art_teachers": (0.9, 0.9),
    "teaching_space_m2": (4.5, 5.8),
    "sports_space_m2": (7.5, 10.2),
    "equipment_value_yuan": (2000.0, 2500.0),
    "multimedia_rooms": (2.3, 2.4),
}
_PER_100 = {"qualified_teachers", "key_teachers", "pe_art_teachers", "multimedia_rooms"}


def make_schools(rng: np.random.Generator, facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per primary and junior school of ``facilities`` (points at the school)."""
    import geopandas as gpd

    schools = facilities[facilities["service"].isin(["primary_school", "junior_school"])]
    rows = []
    for fid, f in schools.iterrows():
        junior = f["service"] == "junior_school"
        j = int(junior)
        pupils = max(12, round(int(f["capacity"]) * rng.uniform(0.62, 0.96)))
        # village schools are poorer, county-seat schools richer
        base = {"village": 1.02, "township": 1.22, "county": 1.3}[f["level"]]
        row: dict[str, object] = {"facility_id": fid, "name": f["name"]}
        row["level"] = "junior" if junior else "primary"
        row["school_type"] = row["level"]
        row["pupils"] = pupils
        for key, std in _STANDARDS.items():
            factor = base * rng.lognormal(0.0, 0.12)
            amount = std[j] * factor * (pupils / 100.0 if key in _PER_100 else pupils)
            if key == "pe_art_teachers":
                total = max(1, round(amount))
                row["pe_teachers"] = max(1, round(total * rng.uniform(0.4, 0.6)))
                row["art_teachers"] = max(0, total - int(row["pe_teachers"]))
            elif key == "equipment_value_yuan":
                row[key] = int(round(amount, -3))
            elif key.endswith("_m2"):
                row[key] = round(amount)
            else:
                row[key] = max(0, round(amount))
        size = 50.0 if junior else 45.0
        mean = min(size - 3, max(8.0, pupils / max(1, math.ceil(pupils / (size - 6)))))
        classes = max(1, math.ceil(pupils / mean))
        big = f["level"] == "county" and rng.random() < 0.5
        row["classes"] = classes
        row["max_class_pupils"] = round(
            min(pupils, pupils / classes * rng.uniform(1.02, 1.12) + (8 if big else 0))
        )
        rows.append(row)
    cols = [
        "facility_id", "name", "level", "school_type", "pupils", "classes", "max_class_pupils",
        "qualified_teachers", "key_teachers", "pe_teachers", "art_teachers", "teaching_space_m2",
        "sports_space_m2", "equipment_value_yuan", "multimedia_rooms",
    ]  # fmt: skip
    import pandas as pd

    table = pd.DataFrame(rows)[cols]
    for c in cols[4:]:
        table[c] = table[c].astype("int64")
    return gpd.GeoDataFrame(
        table, geometry=schools.geometry.to_numpy(), crs=facilities.crs
    ).set_index("facility_id")
