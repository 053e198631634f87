"""The standards table a project names (``[equity] standards``) and the travel modes it asks for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..standards import load_standards

__all__ = ["project_standards", "standard_modes"]


def project_standards(cfg: Mapping[str, Any]) -> pd.DataFrame | None:
    """The project's standards table (``[equity] standards``) with the bus standards of
    ``[transit] standards`` laid over it; rows by bus (``mode = "transit"``) only when the
    project has a ``[transit]`` timetable."""

    name = cfg["equity"]["standards"]
    if not name or name == "none":
        return None
    table = load_standards(None if name == "default" else name)
    tr = cfg.get("transit") or {}
    if tr.get("standards") and (tr.get("lines") or tr.get("gtfs")):
        bus = load_standards(tr["standards"])
        names = {**table.attrs.get("names", {}), **bus.attrs.get("names", {})}
        table = pd.concat([table[~table["name"].isin(set(bus["name"]))], bus], ignore_index=True)
        table.attrs["names"] = names  # the readers' names of both files (concat drops attrs)
    if not (tr.get("lines") or tr.get("gtfs")):  # bus standards need a [transit] timetable
        table = table[table["mode"] != "transit"].reset_index(drop=True)
    return table


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
