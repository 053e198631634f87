"""Outputs for data of national size: the per-village layer as partitioned GeoParquet (one file
per county, in a folder per province), per-county GeoPackages, and a summary table per county.

Asked for in the project file::

    [output]
    parquet = "villages_parquet"         # folder: <province>/<county>.parquet
    county_geopackages = "counties"      # folder: <province>/<county>.gpkg
    county_summary = "county_summary.csv"

The folders are written under a temporary name and moved into place when complete; the previous
folder is replaced only then. Read the GeoParquet folder with ``geopandas.read_parquet(folder)``
or in place with DuckDB: ``SELECT * FROM read_parquet('folder/*/*.parquet')``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._files import atomic_path, check_output_paths, project_inputs
from ..errors import ConfigError, OutputError

__all__ = [
    "PARTITION_COLUMNS",
    "check_partitioned_outputs",
    "county_summary",
    "write_county_geopackages",
    "write_geoparquet",
    "write_partitioned_outputs",
]

#: Village columns the files are split by, the outer one first (those present are used).
PARTITION_COLUMNS = ("province", "county")
_FOLDER_KEYS = ("parquet", "county_geopackages")


def _safe_name(value: Any) -> str:
    """A unit's value as a file name: path separators and characters Windows refuses replaced."""
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", text).strip(". ") or "_"


def _groups(villages: pd.DataFrame, by: Sequence[str]) -> list[tuple[tuple[str, ...], np.ndarray]]:
    """``(file name parts, row positions)`` per unit, units in sorted order, rows in input order."""
    by = [c for c in by if c in villages.columns]
    if not by:
        return [(("villages",), np.arange(len(villages)))]
    keys = villages[by].astype(str).agg("\x1f".join, axis=1) if len(by) > 1 else None
    codes, uniques = pd.factorize(
        keys if keys is not None else villages[by[0]].astype(str), sort=True
    )
    out = []
    for i, u in enumerate(uniques):
        parts = tuple(_safe_name(p) for p in str(u).split("\x1f"))
        out.append((parts, np.flatnonzero(codes == i)))
    return out


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'GeoParquet output ([output] parquet) needs pyarrow: pip install "accessibility[parquet]"'
        ) from exc
    return pa, pq


def _write_folder(folder: Path, write: Callable[[Path], None], *, overwrite: bool) -> Path:
    """Write a folder under a temporary name beside ``folder``, then move it into place (the
    previous folder is removed only once the new one is complete)."""
    folder = Path(folder)
    if folder.exists() and not overwrite:
        raise OutputError(f"output folder {str(folder)!r} already exists; pass overwrite=True")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    old = None
    try:
        write(tmp)
        if folder.exists():
            old = Path(
                tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent)
            )
            os.rmdir(old)
            os.replace(folder, old)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and old.exists() and not folder.exists():
            os.replace(old, folder)  # put the previous folder back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def _geo_metadata(gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    """GeoParquet 1.0 metadata of ``gdf``'s geometry column (WKB)."""
    geom = gdf.geometry
    bbox = [float(v) for v in geom.total_bounds] if len(geom) else []
    col = {
        "encoding": "WKB",
        "geometry_types": sorted(set(geom.geom_type.dropna())),
        "crs": gdf.crs.to_json_dict() if gdf.crs is not None else None,
    }
    if bbox and np.isfinite(bbox).all():
        col["bbox"] = bbox
    return {"version": "1.0.0", "primary_column": geom.name, "columns": {geom.name: col}}


def write_geoparquet(
    villages: gpd.GeoDataFrame,
    folder: str | os.PathLike,
    *,
    by: Sequence[str] = PARTITION_COLUMNS,
    overwrite: bool = True,
) -> list[Path]:
    """Write ``villages`` as GeoParquet, one file per unit: ``folder/<province>/<county>.parquet``.

    Every file has the same schema (taken from the whole layer, so a column empty in one county
    keeps its type), the index as a column, and GeoParquet 1.0 metadata (WKB geometry, CRS,
    bounding box of the file). The folder is written under a temporary name and moved into place
    when complete. Units are the distinct values of the ``by`` columns present (none present: one
    file ``villages.parquet``); names are the values, with characters a file name cannot hold
    replaced by ``_``.

    Returns
    -------
    list of Path
        The files written, in unit order.

    Examples
    --------
    >>> import geopandas as gpd, shapely, tempfile
    >>> from accessibility.project.parquet import write_geoparquet
    >>> v = gpd.GeoDataFrame({"province": ["P1", "P1", "P2"], "county": ["A", "B", "C"],
    ...                       "t_min": [1.0, 2.0, 3.0]},
    ...                      geometry=shapely.points([0, 1, 2], [0, 1, 2]), crs=3857)
    >>> folder = tempfile.mkdtemp()
    >>> [p.relative_to(folder).as_posix() for p in write_geoparquet(v, folder + "/out")]
    ['out/P1/A.parquet', 'out/P1/B.parquet', 'out/P2/C.parquet']
    >>> gpd.read_parquet(folder + "/out")["t_min"].sum()
    np.float64(6.0)
    """
    pa, pq = _pyarrow()
    gname = villages.geometry.name
    plain = pd.DataFrame(villages).copy()  # the geometry as WKB, in its place among the columns
    plain[gname] = villages.geometry.to_wkb()
    schema = pa.Schema.from_pandas(plain, preserve_index=True)
    names: list[Path] = []

    def write(tmp: Path) -> None:
        for parts, rows in _groups(villages, by):
            path = tmp.joinpath(*parts[:-1], parts[-1] + ".parquet")
            path.parent.mkdir(parents=True, exist_ok=True)
            table = pa.Table.from_pandas(plain.iloc[rows], schema=schema, preserve_index=True)
            meta = dict(table.schema.metadata or {})
            meta[b"geo"] = json.dumps(_geo_metadata(villages.iloc[rows])).encode()
            pq.write_table(table.replace_schema_metadata(meta), path, compression="zstd")
            names.append(Path(folder).joinpath(*path.relative_to(tmp).parts))

    _write_folder(Path(folder), write, overwrite=overwrite)
    return names


def write_county_geopackages(
    villages: gpd.GeoDataFrame,
    folder: str | os.PathLike,
    *,
    by: Sequence[str] = PARTITION_COLUMNS,
    overwrite: bool = True,
) -> list[Path]:
    """Write one GeoPackage per unit (layer ``villages``): ``folder/<province>/<county>.gpkg``,
    the folder moved into place when complete (see :func:`write_geoparquet`).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from accessibility.project.parquet import write_county_geopackages
    >>> v = gpd.GeoDataFrame({"province": ["P1", "P2"], "county": ["A", "B"]},
    ...                      geometry=shapely.points([0, 1], [0, 1]), crs=3857)
    >>> [p.as_posix() for p in write_county_geopackages(v, "counties")]
    ['counties/P1/A.gpkg', 'counties/P2/B.gpkg']
    """
    from .. import io

    names: list[Path] = []

    def write(tmp: Path) -> None:
        for parts, rows in _groups(villages, by):
            path = tmp.joinpath(*parts[:-1], parts[-1] + ".gpkg")
            path.parent.mkdir(parents=True, exist_ok=True)
            io.write_geopackage(path, {"villages": villages.iloc[rows]}, overwrite=True)
            names.append(Path(folder).joinpath(*path.relative_to(tmp).parts))

    _write_folder(Path(folder), write, overwrite=overwrite)
    return names


def county_summary(
    villages: pd.DataFrame,
    thresholds_min: Mapping[str, Sequence[float]],
    *,
    population: str | None = "population",
    by: Sequence[str] = PARTITION_COLUMNS,
) -> pd.DataFrame:
    """One row per unit (province, county): villages, population and, per service, the share of
    villages and of people within each threshold of the nearest facility, the gap (villages and
    people beyond the largest threshold or reaching none) and the median and largest time.

    ``thresholds_min`` maps each service to its thresholds; times are the layer's
    ``<service>_nearest_min`` columns (missing = no facility reached).

    Examples
    --------
    >>> import pandas as pd
    >>> from accessibility.project.parquet import county_summary
    >>> v = pd.DataFrame({"county": ["A", "A", "B"], "population": [100, 300, 50],
    ...                   "clinic_nearest_min": [10.0, 40.0, None]})
    >>> s = county_summary(v, {"clinic": [15, 30]})
    >>> s[["county", "clinic_within_15min_pop_share", "clinic_gap_villages"]]
      county  clinic_within_15min_pop_share  clinic_gap_villages
    0      A                           0.25                    1
    1      B                           0.00                    1
    """
    by = [c for c in by if c in villages.columns]
    keys = by or ["_all"]
    table = pd.DataFrame(villages).assign(_all="all") if not by else pd.DataFrame(villages)
    pop = (
        pd.to_numeric(table[population], errors="coerce").fillna(0.0)
        if population and population in table.columns
        else pd.Series(1.0, index=table.index)
    )
    cols: dict[str, pd.Series] = {"_pop": pop}
    for service, ts in thresholds_min.items():
        t = pd.to_numeric(table[f"{service}_nearest_min"], errors="coerce")
        for th in ts:
            within = (t <= float(th)).astype(float)
            cols[f"{service}_within_{float(th):g}min_share"] = within
            cols[f"{service}_within_{float(th):g}min_pop_share"] = within * pop
        gap = ~(t <= float(max(ts))) if len(ts) else t.isna()
        cols[f"{service}_gap_villages"] = gap.astype(int)
        cols[f"{service}_gap_population"] = gap * pop
        cols[f"{service}_median_min"] = t
        cols[f"{service}_max_min"] = t
    work = pd.DataFrame(cols, index=table.index)
    work[keys] = table[keys].astype(str).to_numpy()
    agg: dict[str, Any] = {"_pop": "sum"}
    for c in work.columns:
        if c in keys or c == "_pop":
            continue
        agg[c] = (
            "median"
            if c.endswith("_median_min")
            else "max"
            if c.endswith("_max_min")
            else "mean"
            if c.endswith("min_share")
            else "sum"
        )
    grouped = work.groupby(keys, sort=True)
    out = grouped.agg(agg)
    for c in out.columns:
        if c.endswith("_pop_share"):
            out[c] = np.where(out["_pop"] > 0, out[c] / out["_pop"].where(out["_pop"] > 0, 1), 0.0)
    out.insert(0, "villages", grouped.size())
    out = out.rename(columns={"_pop": "population"}).reset_index()
    return out.drop(columns=["_all"], errors="ignore")


def _outputs(cfg: Mapping[str, Any], folder: Path) -> dict[str, Path]:
    outc = cfg["output"]
    return {k: folder / outc[k] for k in (*_FOLDER_KEYS, "county_summary") if outc.get(k)}


def check_partitioned_outputs(cfg: Mapping[str, Any], folder: str | os.PathLike) -> None:
    """Before any work: the output folders of ``[output] parquet`` / ``county_geopackages`` are
    plain names, hold no input file (the whole folder is replaced) and the summary CSV is
    writable and no input.

    Raises
    ------
    ConfigError, OutputError
    """
    outs = _outputs(cfg, Path(folder))
    overwrite = bool(cfg["output"].get("overwrite", True))
    if "parquet" in outs:
        _pyarrow()  # missing: say so before any work
    for key in _FOLDER_KEYS:
        if key not in outs:
            continue
        name = str(cfg["output"][key])
        if Path(name).name != name or name in (".", ".."):
            raise ConfigError(
                f'[output] {key} = {name!r}: must be a plain folder name such as "{key}", '
                "written inside the output folder"
            )
        target = os.path.realpath(outs[key])
        for in_key, path in project_inputs(cfg).items():
            real = os.path.realpath(path)
            if real == target or real.startswith(target + os.sep):
                raise OutputError(
                    f"[output] {key} = {name!r} would replace the folder holding {in_key} "
                    f"({str(path)!r}), which the run reads; choose another name or --out"
                )
        if outs[key].exists() and not overwrite:
            raise OutputError(f"output folder {str(outs[key])!r} already exists; use --overwrite")
    if "county_summary" in outs:
        check_output_paths(cfg, folder, outputs={"[output] county_summary": outs["county_summary"]})


def write_partitioned_outputs(
    villages: gpd.GeoDataFrame,
    cfg: Mapping[str, Any],
    folder: str | os.PathLike,
    thresholds_min: Mapping[str, Sequence[float]],
) -> dict[str, Path]:
    """Write what ``[output] parquet``, ``county_geopackages`` and ``county_summary`` ask for
    into ``folder``; returns ``{key: path}`` of what was written."""
    outs = _outputs(cfg, Path(folder))
    overwrite = bool(cfg["output"].get("overwrite", True))
    if "parquet" in outs:
        write_geoparquet(villages, outs["parquet"], overwrite=overwrite)
    if "county_geopackages" in outs:
        write_county_geopackages(villages, outs["county_geopackages"], overwrite=overwrite)
    if "county_summary" in outs:
        pop = cfg["columns"].get("population")
        summary = county_summary(villages, thresholds_min, population=pop)
        with atomic_path(outs["county_summary"], overwrite=overwrite) as tmp:
            summary.to_csv(tmp, index=False, encoding="utf-8-sig")
    return outs
