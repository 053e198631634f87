"""Are two runs' outputs the same? GeoPackages and CSVs of two folders, compared file by file.

For a speed change that must not change results: run a job (for example ``bench/bench_county.py``'s
``run``) once with the old code and once with the new, each into its own folder, then

    python bench/compare_outputs.py OLD_DIR NEW_DIR

Every GeoPackage is compared table by table (each table's DDL and every row, the indexes and
triggers), leaving out only the clock columns (``gpkg_contents.last_change``,
``layer_styles.update_time``: the time of writing, unless ``SOURCE_DATE_EPOCH`` fixes it); every
CSV byte for byte. Prints what differs and exits with status 1 if anything does.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

CLOCK_COLUMNS = {"gpkg_contents": "last_change", "layer_styles": "update_time"}


def gpkg_dump(path: Path) -> dict[str, object]:
    """Every table's DDL and rows (clock columns left out), the indexes and triggers."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out: dict[str, object] = {}
        tables = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        for name, sql in sorted(tables):
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{name}")')]
            keep = [c for c in cols if c != CLOCK_COLUMNS.get(name)]
            select = ", ".join(f'"{c}"' for c in keep)
            out[name] = (sql, con.execute(f'SELECT {select} FROM "{name}"').fetchall())
        out["indexes and triggers"] = sorted(
            con.execute("SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')")
        )
        return out
    finally:
        con.close()


def compare(old: Path, new: Path) -> list[str]:
    """What differs between the GeoPackages and CSVs of folders ``old`` and ``new``."""
    problems = []
    names = sorted(
        {p.name for d in (old, new) for p in d.iterdir() if p.suffix in (".gpkg", ".csv")}
    )
    if not names:
        problems.append(f"no .gpkg or .csv file in {old} or {new}")
    for name in names:
        a, b = old / name, new / name
        if not (a.exists() and b.exists()):
            problems.append(f"{name}: only in {old if a.exists() else new}")
        elif a.suffix == ".csv":
            if a.read_bytes() != b.read_bytes():
                problems.append(f"{name}: the CSVs differ")
        else:
            da, db = gpkg_dump(a), gpkg_dump(b)
            problems += [
                f"{name}: table {t!r} differs"
                for t in sorted(set(da) | set(db))
                if da.get(t) != db.get(t)
            ]
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    args = ap.parse_args()
    problems = compare(args.old, args.new)
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"same outputs: {args.old} and {args.new}")


if __name__ == "__main__":
    main()
