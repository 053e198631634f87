"""The standards table a project names (``[equity] standards``) and the travel modes it asks for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..standards import load_standards

__all__ = ["project_standards", "standard_modes"]


def project_standards(cfg: Mapping[str, Any]) -> pd.DataFrame | None:

    name = cfg["equity"]["standards"]
    if not name or name == "none":
        return None
    return load_standards(None if name == "default" else name)


def standard_modes(standards: pd.DataFrame, services: Sequence[str]) -> dict[str, list[str]]:
    """The travel modes the standards ask for, per service."""
    out: dict[str, list[str]] = {}
    for _, row in standards.iterrows():
        if row.get("unit", "min") != "min":
            continue
        for s in row["services"]:
            if s in services:
                out.setdefault(s, [])
                if row["mode"] not in out[s]:
                    out[s].append(row["mode"])
    return out
