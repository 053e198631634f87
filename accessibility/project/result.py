"""What a run of a project produced (:class:`RunResult`): the layers, the cost tables and the
files written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ..network import Network

__all__ = ["RunResult"]


@dataclass
class RunResult:
    """What :func:`run_project` produced: the layers and where they were written."""

    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    network: Network
    costs: dict[str, pd.DataFrame]
    townships: gpd.GeoDataFrame | None = None
    files: dict[str, Path] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    standards_table: pd.DataFrame | None = None
    extra_layers: dict[str, pd.DataFrame] = field(default_factory=dict)
    transit: Any = None  # the TransitSetup of [transit] (bus lines and stops layers, report)

    def __repr__(self) -> str:
        files = ", ".join(f"{k}={v.name}" for k, v in self.files.items())
        return (
            f"<RunResult {len(self.villages)} villages, {len(self.facilities)} facilities; {files}>"
        )
