"""Public transport: county line tables and GTFS as timetables, and the transit search.

* :mod:`~accessibility.transit.timetable`: :class:`Timetable`, the arrays every search reads;
* :mod:`~accessibility.transit.line_tables`: county line tables (CSV / GeoPackage / TOML) as
  timetables; :mod:`~accessibility.transit.gtfs`: GTFS zips with ``frequencies.txt``;
* :mod:`~accessibility.transit.raptor`: range RAPTOR compiled with numba;
* :mod:`~accessibility.transit.walk`: straight-line access, egress and transfer walks;
* :func:`transit_travel_times`: door-to-door cost tables over a departure window;
* :mod:`~accessibility.transit.project`: :class:`TransitSetup` (a project's ``[transit]``),
  :func:`transit_costs` over road-network walks, :func:`transit_catchments`;
* :mod:`~accessibility.transit.edits`: scenario changes of line tables.

See ``docs/transit.md``.
"""

from .edits import BUS_ACTIONS, edit_line_tables
from .gtfs import timetable_from_gtfs
from .line_tables import (
    read_line_table,
    read_line_tables,
    road_run_times,
    timetable_from_line_table,
)
from .project import (
    TransitSetup,
    transit_catchments,
    transit_costs,
    transit_layers,
    transit_setup,
    transit_setup_from_config,
    with_line_tables,
    zone_links,
)
from .raptor import UNREACHED, WAITS, CompiledTimetable, compile_timetable, range_raptor
from .timetable import Timetable, parse_time_s
from .travel import transit_travel_times
from .walk import stop_transfers, straight_line_walk

__all__ = [
    "BUS_ACTIONS",
    "UNREACHED",
    "WAITS",
    "CompiledTimetable",
    "Timetable",
    "TransitSetup",
    "compile_timetable",
    "edit_line_tables",
    "parse_time_s",
    "range_raptor",
    "read_line_table",
    "read_line_tables",
    "road_run_times",
    "stop_transfers",
    "straight_line_walk",
    "timetable_from_gtfs",
    "timetable_from_line_table",
    "transit_catchments",
    "transit_costs",
    "transit_layers",
    "transit_setup",
    "transit_setup_from_config",
    "transit_travel_times",
    "with_line_tables",
    "zone_links",
]
