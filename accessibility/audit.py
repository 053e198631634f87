"""The county compulsory-education audit (县域义务教育优质均衡发展督导评估) from a school table.

Counties in China are audited on fixed indicators. For compulsory education the "high-quality
balanced development" audit (优质均衡, 教督〔2017〕6号《县域义务教育优质均衡发展督导评估办法》,
第六条 资源配置) asks, separately for primary (小学) and junior secondary (初中) schools:

* seven resource indicators per school, per 100 pupils or per pupil (:data:`INDICATORS`);
* that every school meets at least six of them and no missed one falls below 85 % of its standard
  ("每所学校至少6项指标达到上述要求，余项不能低于要求的85%");
* that the inter-school coefficient of variation (差异系数) of every indicator is at most 0.50 for
  primary and 0.45 for junior schools;
* and (第七条, 政府保障程度) school-size and class-size caps.

This is *not* the coefficient of variation of village travel times in :mod:`accessibility.equity`:
the audit's CV is taken across schools, of each resource indicator, with every school weighted by
its pupils (see :func:`coefficient_of_variation`).

Three functions, each taking the school table and returning new data aligned to its index:
:func:`school_indicators` (the seven values), :func:`school_audit` (pass/fail per school) and
:func:`county_audit` (CVs and the verdict per level). The thresholds, each with its document,
clause and a ``verified`` flag, live in ``accessibility/standards/school_audit.toml`` and are read
by :func:`load_audit_standards`, which also takes overrides (a dict or a TOML file).

The school table has one row per school (an all-through 九年一贯制 school is split into its primary
and junior parts, one row each, as the audit does) with the columns of :data:`INPUT_COLUMNS`
(rename them with ``columns=``):

* ``level``: ``"primary"``/``"junior"`` (or ``"小学"``/``"初中"``);
* ``pupils``: pupils on the register (在校生数);
* ``qualified_teachers``: full-time teachers above the required qualification (高于规定学历), persons;
* ``key_teachers``: county-level or higher key teachers (县级及以上骨干教师), persons;
* ``pe_teachers``: full-time PE teachers (体育专任教师), persons;
* ``art_teachers``: full-time music and fine-art teachers (音乐、美术专任教师), persons;
* ``teaching_space_m2``: teaching and auxiliary rooms (教学及辅助用房面积), m²;
* ``sports_space_m2``: sports grounds and halls (体育运动场馆面积), m²;
* ``equipment_value_yuan``: teaching instruments and equipment (教学仪器设备值), yuan;
* ``multimedia_rooms``: networked multimedia classrooms (网络多媒体教室), rooms.

Optional (:data:`OPTIONAL_COLUMNS`): ``max_class_pupils`` (pupils in the school's largest class,
for the class-size cap), ``classes`` (number of classes, gives ``mean_class_pupils``),
``school_type`` (``primary``/``junior``/``nine_year``/``twelve_year`` or 小学/初中/九年一贯制/
十二年一贯制, for the school-size cap) and ``school_pupils`` (compulsory-stage pupils of the whole
school, for the size cap of an all-through school; default ``pupils``).

Examples
--------
>>> import pandas as pd
>>> from accessibility.audit import county_audit
>>> schools = pd.DataFrame(
...     {"level": ["primary", "primary"], "pupils": [500, 300],
...      "qualified_teachers": [25, 14], "key_teachers": [6, 3], "pe_teachers": [3, 2],
...      "art_teachers": [2, 1], "teaching_space_m2": [2500, 1500],
...      "sports_space_m2": [4000, 2400], "equipment_value_yuan": [1_100_000, 660_000],
...      "multimedia_rooms": [12, 7], "max_class_pupils": [45, 40]},
...     index=pd.Index(["S1", "S2"], name="school"))
>>> result = county_audit(schools)
>>> result.passed
True
"""

from __future__ import annotations

import copy
import math
import os
import tomllib
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import (
    ConfigError,
    DuplicateIdError,
    EmptyLayerError,
    InvalidValueError,
    MissingColumnError,
    suggest,
)
from .validate import InputWarning

__all__ = [
    "INDICATORS",
    "INDICATOR_NAMES_ZH",
    "INPUT_COLUMNS",
    "LEVELS",
    "OPTIONAL_COLUMNS",
    "CountyAudit",
    "coefficient_of_variation",
    "county_audit",
    "load_audit_standards",
    "school_audit",
    "school_indicators",
]

#: School levels the audit distinguishes (小学, 初中).
LEVELS: tuple[str, ...] = ("primary", "junior")
_LEVEL_ALIASES: dict[str, str] = {
    "primary": "primary",
    "junior": "junior",
    "小学": "primary",
    "初中": "junior",
}
#: School types of the school-size cap.
SCHOOL_TYPES: tuple[str, ...] = ("primary", "junior", "nine_year", "twelve_year")
_SCHOOL_TYPE_ALIASES: dict[str, str] = {
    **{t: t for t in SCHOOL_TYPES},
    "小学": "primary",
    "初中": "junior",
    "九年一贯制": "nine_year",
    "九年一贯制学校": "nine_year",
    "十二年一贯制": "twelve_year",
    "十二年一贯制学校": "twelve_year",
}

#: Required input columns: key -> default column name (rename with ``columns={key: name}``).
INPUT_COLUMNS: dict[str, str] = {
    "level": "level",
    "pupils": "pupils",
    "qualified_teachers": "qualified_teachers",
    "key_teachers": "key_teachers",
    "pe_teachers": "pe_teachers",
    "art_teachers": "art_teachers",
    "teaching_space_m2": "teaching_space_m2",
    "sports_space_m2": "sports_space_m2",
    "equipment_value_yuan": "equipment_value_yuan",
    "multimedia_rooms": "multimedia_rooms",
}
#: Optional input columns: key -> default column name.
OPTIONAL_COLUMNS: dict[str, str] = {
    "max_class_pupils": "max_class_pupils",
    "classes": "classes",
    "school_type": "school_type",
    "school_pupils": "school_pupils",
}

# indicator -> (input keys summed in the numerator, pupils per unit of the indicator)
_FORMULAS: dict[str, tuple[tuple[str, ...], float]] = {
    "qualified_teachers_per_100_pupils": (("qualified_teachers",), 100.0),
    "key_teachers_per_100_pupils": (("key_teachers",), 100.0),
    "pe_art_teachers_per_100_pupils": (("pe_teachers", "art_teachers"), 100.0),
    "teaching_space_m2_per_pupil": (("teaching_space_m2",), 1.0),
    "sports_space_m2_per_pupil": (("sports_space_m2",), 1.0),
    "equipment_yuan_per_pupil": (("equipment_value_yuan",), 1.0),
    "multimedia_rooms_per_100_pupils": (("multimedia_rooms",), 100.0),
}
#: The seven resource indicators of 教督〔2017〕6号 第六条, in the document's order.
INDICATORS: tuple[str, ...] = tuple(_FORMULAS)
#: Official Chinese name of each indicator (for reports and audit forms).
INDICATOR_NAMES_ZH: dict[str, str] = {
    "qualified_teachers_per_100_pupils": "每百名学生拥有高于规定学历教师数",
    "key_teachers_per_100_pupils": "每百名学生拥有县级以上骨干教师数",
    "pe_art_teachers_per_100_pupils": "每百名学生拥有体育、艺术（美术、音乐）专任教师数",
    "teaching_space_m2_per_pupil": "生均教学及辅助用房面积",
    "sports_space_m2_per_pupil": "生均体育运动场馆面积",
    "equipment_yuan_per_pupil": "生均教学仪器设备值",
    "multimedia_rooms_per_100_pupils": "每百名学生拥有网络多媒体教室数",
}

# A value equal to its standard up to float rounding (21 teachers / 500 pupils * 100 = 4.2) meets it.
_REL_TOL = 1e-9


# --- standards ---------------------------------------------------------------------------------


def _builtin_standards() -> dict[str, Any]:
    text = resources.files("accessibility.standards").joinpath("school_audit.toml")
    return tomllib.loads(text.read_text(encoding="utf-8"))


def load_audit_standards(
    overrides: Mapping[str, Any] | str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Return the audit thresholds, with their sources, optionally overridden.

    Parameters
    ----------
    overrides
        ``None`` for the built-in file (``accessibility/standards/school_audit.toml``); a mapping,
        or the path of a TOML file, laid over it with the same layout, listing only the values that
        change (e.g. ``{"quality": {"cv_limit": {"primary": 0.45}}}``). Every key must exist in
        the built-in file. An overridden entry gets ``verified = False`` and a ``source`` saying
        it was overridden, unless the override gives its own ``source`` (and ``verified``).

    Returns
    -------
    dict
        A new nested dict (changing it changes nothing else): ``quality.indicators.<name>`` with
        ``primary``/``junior`` thresholds, ``quality.school_rule``, ``quality.cv_limit``,
        ``quality.cv_method``, ``quality.school_size_cap``, ``quality.class_size_cap`` and the
        ``basic`` (2012) audit's data; every threshold table has ``source`` and ``verified``.

    Raises
    ------
    ConfigError
        An unknown key (with a "Did you mean" hint), a value of the wrong type, a missing or
        invalid TOML file.

    Examples
    --------
    >>> from accessibility.audit import load_audit_standards
    >>> std = load_audit_standards()
    >>> std["quality"]["cv_limit"]["primary"], std["quality"]["cv_limit"]["verified"]
    (0.5, True)
    >>> mine = load_audit_standards({"quality": {"class_size_cap": {"primary": 40}}})
    >>> mine["quality"]["class_size_cap"]["primary"], mine["quality"]["class_size_cap"]["verified"]
    (40, False)
    """
    base = _builtin_standards()
    if overrides is None:
        return base
    if isinstance(overrides, Mapping):
        data, origin = overrides, "overrides mapping"
    else:
        path = Path(overrides)
        if not path.is_file():
            raise ConfigError(
                f"audit standards file {str(path)!r} not found. Pass a TOML file laid out like "
                "accessibility/standards/school_audit.toml (only the keys you change), a dict, "
                "or None for the built-in thresholds."
            )
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"audit standards file {str(path)!r} is not valid TOML: {exc}"
            ) from exc
        origin = str(path)
    _merge(base, data, origin=origin, where="")
    _check_standards(base)
    return base


def _merge(base: dict[str, Any], new: Mapping[str, Any], *, origin: str, where: str) -> None:
    changed = False
    for key, value in new.items():
        here = f"{where}.{key}" if where else str(key)
        if key not in base:
            raise ConfigError(
                f"audit standards ({origin}): unknown key {here!r}.{suggest(str(key), base)} "
                f"Known keys{' under ' + repr(where) if where else ''}: {sorted(base)}."
            )
        old = base[key]
        if isinstance(old, dict):
            if not isinstance(value, Mapping):
                raise ConfigError(
                    f"audit standards ({origin}): {here!r} must be a table, got {value!r}."
                )
            _merge(old, value, origin=origin, where=here)
            continue
        if not _same_kind(old, value):
            raise ConfigError(
                f"audit standards ({origin}): {here!r} = {value!r} should be a "
                f"{type(old).__name__} like the built-in {old!r}."
            )
        base[key] = value
        changed = changed or key not in ("source", "verified", "note", "checked_against")
    if changed and "source" in base:
        if "source" not in new:
            base["source"] = f"override ({origin}); built-in was: {base['source']}"
        if "verified" not in new:
            base["verified"] = False


def _same_kind(old: object, new: object) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return isinstance(old, bool) and isinstance(new, bool)
    if isinstance(old, int | float):
        return isinstance(new, int | float) and math.isfinite(new)
    return isinstance(new, type(old))


def _check_standards(std: Mapping[str, Any]) -> None:
    q = std["quality"]
    problems: list[str] = []
    for name in INDICATORS:
        for level in LEVELS:
            v = q["indicators"][name][level]
            if not v > 0:
                problems.append(f"quality.indicators.{name}.{level} = {v!r} must be > 0")
    for key in ("primary", "junior"):
        if not q["cv_limit"][key] > 0:
            problems.append(f"quality.cv_limit.{key} must be > 0")
    for table, keys in (("school_size_cap", SCHOOL_TYPES), ("class_size_cap", LEVELS)):
        for key in keys:
            v = q[table][key]
            if not (v > 0 and float(v).is_integer()):
                problems.append(f"quality.{table}.{key} = {v!r} must be a whole number of pupils")
    rule = q["school_rule"]
    if not 0 <= rule["min_indicators_met"] <= len(INDICATORS):
        problems.append(f"quality.school_rule.min_indicators_met must be 0..{len(INDICATORS)}")
    if not 0 <= rule["min_share_of_standard"] <= 1:
        problems.append("quality.school_rule.min_share_of_standard must be between 0 and 1")
    method = q["cv_method"]
    if method["weighting"] not in ("pupils", "none"):
        problems.append(
            f"quality.cv_method.weighting = {method['weighting']!r}: use 'pupils' or 'none'."
            + suggest(method["weighting"], ("pupils", "none"))
        )
    if method["ddof"] not in (0, 1) or (method["ddof"] == 1 and method["weighting"] != "none"):
        problems.append("quality.cv_method.ddof must be 0, or 1 with weighting = 'none'")
    if problems:
        raise ConfigError("audit standards: " + "; ".join(problems) + ".")


# --- input -------------------------------------------------------------------------------------


def _resolve_columns(
    schools: pd.DataFrame, level_column: str, columns: Mapping[str, str] | None
) -> dict[str, str]:
    names = dict(INPUT_COLUMNS) | dict(OPTIONAL_COLUMNS)
    names["level"] = level_column
    for key, name in (columns or {}).items():
        if key not in names:
            raise InvalidValueError(
                f"columns={{{key!r}: ...}}: unknown key.{suggest(key, names)} "
                f"Keys: {sorted(names)}."
            )
        names[key] = name
    missing = [k for k in INPUT_COLUMNS if names[k] not in schools.columns]
    if missing:
        available = [str(c) for c in schools.columns]
        lines = []
        for key in missing:
            name = names[key]
            hint = suggest(name, available)
            lines.append(f"{name!r} ({key}){hint}")
        raise MissingColumnError(
            f"the school table lacks {len(missing)} column(s) the audit needs: "
            + "; ".join(lines)
            + f". Expected columns (key: default name): {INPUT_COLUMNS}. Name yours with "
            "columns={key: 'your column'}, e.g. columns={'pupils': '在校生数'}. "
            f"The table has: {available}."
        )
    return names


def _examples(mask: pd.Series, values: pd.Series | None = None, n: int = 5) -> str:
    ids = list(mask[mask].index[:n])
    if values is None:
        text = ", ".join(repr(i) for i in ids)
    else:
        shown = [values.loc[i] for i in ids]
        shown = [v.item() if isinstance(v, np.generic) else v for v in shown]
        text = ", ".join(f"{i!r}={v!r}" for i, v in zip(ids, shown, strict=True))
    more = int(mask.sum()) - len(ids)
    return text + (f" and {more} more" if more > 0 else "")


def _aliased(raw: pd.Series, aliases: Mapping[str, str]) -> tuple[pd.Series, pd.Series, str]:
    """``raw`` read through ``aliases`` (``None`` where it is not one), where it is not, and the
    first value that is not (``""`` if none)."""
    coded = raw.map(lambda v: aliases.get(str(v).strip()) if pd.notna(v) else None)
    bad = coded.isna()
    return coded, bad, str(raw[bad].iloc[0]) if bad.any() else ""


def _read_schools(
    schools: pd.DataFrame,
    *,
    level_column: str,
    columns: Mapping[str, str] | None,
    what: str,
) -> pd.DataFrame:
    """Validate the school table; return a new frame with canonical keys as columns."""
    if not isinstance(schools, pd.DataFrame):
        raise InvalidValueError(f"{what}: schools must be a pandas DataFrame, got {type(schools)}.")
    if len(schools) == 0:
        raise EmptyLayerError(f"{what}: the school table has no rows.")
    if not schools.index.is_unique:
        dup = schools.index[schools.index.duplicated()].unique()[:5]
        raise DuplicateIdError(
            f"{what}: the school table's index (the school id) repeats: {list(dup)}. "
            "Give each school a unique id (e.g. schools = schools.set_index('school_code'))."
        )
    names = _resolve_columns(schools, level_column, columns)
    out = pd.DataFrame(index=schools.index)
    problems: list[str] = []

    raw_level = schools[names["level"]]
    level, bad, first = _aliased(raw_level, _LEVEL_ALIASES)
    if bad.any():
        problems.append(
            f"column {names['level']!r} has {int(bad.sum())} value(s) that are not a school level: "
            f"{_examples(bad, raw_level)}. Use 'primary'/'junior' (or 小学/初中); split an "
            "all-through school into one row per level; senior secondary and other schools are "
            f"outside this audit (drop them).{suggest(first, _LEVEL_ALIASES)}"
        )
    out["level"] = level

    numeric_keys = [k for k in INPUT_COLUMNS if k != "level"]
    numeric_keys += [
        k for k in ("max_class_pupils", "classes", "school_pupils") if names[k] in schools.columns
    ]
    for key in numeric_keys:
        col = names[key]
        raw = schools[col]
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        not_number = values.isna() & raw.notna()
        if not_number.any():
            problems.append(
                f"column {col!r} has {int(not_number.sum())} value(s) that are not numbers: "
                f"{_examples(not_number, raw)}. Clean them in the source table."
            )
        missing = raw.isna()
        if missing.any():
            problems.append(
                f"column {col!r} has {int(missing.sum())} missing value(s): {_examples(missing)}. "
                "The audit is not computed on part of a table: fill them (0 if the school has none)."
            )
        negative = values < 0
        if negative.any():
            problems.append(
                f"column {col!r} has {int(negative.sum())} negative value(s): "
                f"{_examples(negative, values)}. Correct them in the source data."
            )
        infinite = np.isinf(values)
        if infinite.any():
            problems.append(f"column {col!r} has infinite value(s): {_examples(infinite)}.")
        out[key] = values
    zero = out["pupils"] == 0
    if zero.any():
        problems.append(
            f"column {names['pupils']!r} is 0 for {int(zero.sum())} school(s): {_examples(zero)}. "
            "Per-pupil indicators are undefined for a school without pupils; drop closed schools "
            "(the audit counts schools with pupils on the register)."
        )
    if names["classes"] in schools.columns:
        no_class = (out["classes"] == 0) & (out["pupils"] > 0)
        if no_class.any():
            problems.append(
                f"column {names['classes']!r} is 0 for {int(no_class.sum())} school(s) with pupils: "
                f"{_examples(no_class)}."
            )
    if names["school_type"] in schools.columns:
        raw_type = schools[names["school_type"]]
        stype, bad, first = _aliased(raw_type, _SCHOOL_TYPE_ALIASES)
        if bad.any():
            problems.append(
                f"column {names['school_type']!r} has {int(bad.sum())} unknown school type(s): "
                f"{_examples(bad, raw_type)}. Use one of {list(SCHOOL_TYPES)} (or 小学/初中/"
                f"九年一贯制/十二年一贯制).{suggest(first, _SCHOOL_TYPE_ALIASES)}"
            )
        out["school_type"] = stype
    if problems:
        raise InvalidValueError(
            f"{what}: {len(problems)} problem(s) in the school table:\n"
            + "\n".join(f"  {i}. {p}" for i, p in enumerate(problems, 1))
        )
    return out


# --- indicators and per-school rules -----------------------------------------------------------


def _indicators(clean: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=clean.index)
    for name, (keys, per) in _FORMULAS.items():
        numerator = sum(clean[k] for k in keys)
        out[name] = per * numerator / clean["pupils"]
    return out


def school_indicators(
    schools: pd.DataFrame,
    *,
    level_column: str = "level",
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The seven resource indicators of the 优质均衡 audit for every school.

    For school :math:`i` with :math:`P_i` pupils (教督〔2017〕6号, 第六条 (一)-(七)):

    * ``qualified_teachers_per_100_pupils`` = 100 · qualified_teachers / P
      (每百名学生拥有高于规定学历教师数);
    * ``key_teachers_per_100_pupils`` = 100 · key_teachers / P (每百名学生拥有县级以上骨干教师数);
    * ``pe_art_teachers_per_100_pupils`` = 100 · (pe_teachers + art_teachers) / P
      (每百名学生拥有体育、艺术（美术、音乐）专任教师数);
    * ``teaching_space_m2_per_pupil`` = teaching_space_m2 / P (生均教学及辅助用房面积);
    * ``sports_space_m2_per_pupil`` = sports_space_m2 / P (生均体育运动场馆面积);
    * ``equipment_yuan_per_pupil`` = equipment_value_yuan / P (生均教学仪器设备值);
    * ``multimedia_rooms_per_100_pupils`` = 100 · multimedia_rooms / P (每百名学生拥有网络多媒体教室数).

    Parameters
    ----------
    schools
        One row per school (per level of an all-through school); the index is the school id.
        Columns: see :data:`INPUT_COLUMNS` and the module docstring. Not modified.
    level_column
        Column holding the level, ``"primary"``/``"junior"`` (or ``"小学"``/``"初中"``).
    columns
        ``{key: column name}`` for columns not named as in :data:`INPUT_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``schools``: ``level`` and the seven indicator columns (:data:`INDICATORS`;
        units in the names; :data:`INDICATOR_NAMES_ZH` gives the official names).

    Raises
    ------
    MissingColumnError
        A required column is absent (the message lists the expected columns, with "Did you mean").
    InvalidValueError
        Non-numeric, missing, negative or infinite values, zero pupils, an unknown level; all
        problems are reported at once.

    Examples
    --------
    >>> import pandas as pd
    >>> from accessibility.audit import school_indicators
    >>> schools = pd.DataFrame(
    ...     {"level": ["primary"], "pupils": [400], "qualified_teachers": [20],
    ...      "key_teachers": [4], "pe_teachers": [2], "art_teachers": [2],
    ...      "teaching_space_m2": [2000], "sports_space_m2": [3200],
    ...      "equipment_value_yuan": [880_000], "multimedia_rooms": [10]}, index=["S1"])
    >>> table = school_indicators(schools)
    >>> table.loc["S1", "level"], table.loc["S1"].drop("level").astype(float).tolist()
    ('primary', [5.0, 1.0, 1.0, 5.0, 8.0, 2200.0, 2.5])
    """
    clean = _read_schools(
        schools, level_column=level_column, columns=columns, what="school_indicators"
    )
    return pd.concat([clean[["level"]], _indicators(clean)], axis=1)


def _level_values(clean: pd.DataFrame, table: Mapping[str, Any]) -> pd.Series:
    return clean["level"].map({lvl: float(table[lvl]) for lvl in LEVELS}).astype(float)


def _school_audit(clean: pd.DataFrame, std: Mapping[str, Any]) -> pd.DataFrame:
    q = std["quality"]
    values = _indicators(clean)
    out = pd.concat([clean[["level", "pupils"]], values], axis=1)
    met_cols, share_cols = [], []
    for name in INDICATORS:
        standard = _level_values(clean, q["indicators"][name])
        share = values[name] / standard
        out[f"{name}_share_of_standard"] = share
        out[f"{name}_met"] = share >= 1 - _REL_TOL
        met_cols.append(f"{name}_met")
        share_cols.append(f"{name}_share_of_standard")
    rule = q["school_rule"]
    out["indicators_met"] = out[met_cols].sum(axis=1).astype(int)
    out["lowest_share_of_standard"] = out[share_cols].min(axis=1)
    out["meets_resource_rule"] = (out["indicators_met"] >= rule["min_indicators_met"]) & (
        out["lowest_share_of_standard"] >= rule["min_share_of_standard"] - _REL_TOL
    )

    caps = q["school_size_cap"]
    kind = clean["school_type"] if "school_type" in clean else clean["level"]
    out["school_size_pupils"] = (
        clean["school_pupils"] if "school_pupils" in clean else clean["pupils"]
    )
    out["school_size_cap"] = kind.map({t: int(caps[t]) for t in SCHOOL_TYPES}).astype(int)
    out["school_size_ok"] = out["school_size_pupils"] <= out["school_size_cap"]

    out["class_size_cap"] = _level_values(clean, q["class_size_cap"]).astype(int)
    if "max_class_pupils" in clean:
        out["max_class_pupils"] = clean["max_class_pupils"]
        out["class_size_ok"] = (clean["max_class_pupils"] <= out["class_size_cap"]).astype(
            "boolean"
        )
    else:
        out["max_class_pupils"] = np.nan
        out["class_size_ok"] = pd.array([pd.NA] * len(out), dtype="boolean")
    if "classes" in clean:
        out["mean_class_pupils"] = clean["pupils"] / clean["classes"]
    return out


def school_audit(
    schools: pd.DataFrame,
    *,
    level_column: str = "level",
    columns: Mapping[str, str] | None = None,
    standards: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Pass/fail of every school on the 优质均衡 indicators, the six-of-seven rule and the caps.

    Per school and indicator, ``share = value / standard`` for the school's level; the indicator is
    met when ``share >= 1`` ("达到…以上": at or above the standard; equality up to float rounding
    counts). The school meets the resource rule of 教督〔2017〕6号 第六条 ("每所学校至少6项指标达到
    上述要求，余项不能低于要求的85%") when at least ``min_indicators_met`` (6) indicators are met
    and the lowest share is at least ``min_share_of_standard`` (0.85; exactly 85 % passes).
    Caps (第七条; thresholds marked unverified in the standards file): the compulsory-stage pupils
    of the school (``school_pupils``, default ``pupils``) at most 2000 (primary, junior) or 2500
    (nine-year/twelve-year schools, by ``school_type``); the largest class at most 45 (primary) or
    50 (junior) pupils.

    Parameters
    ----------
    schools
        The school table (see :func:`school_indicators`); not modified.
    level_column, columns
        As in :func:`school_indicators`.
    standards
        Thresholds from :func:`load_audit_standards` (default: the built-in ones).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``schools``: ``level``, ``pupils``; the seven indicators; per indicator
        ``<indicator>_share_of_standard`` and ``<indicator>_met``; ``indicators_met`` (0-7),
        ``lowest_share_of_standard``, ``meets_resource_rule``; ``school_size_pupils``,
        ``school_size_cap``, ``school_size_ok``; ``class_size_cap``, ``max_class_pupils``,
        ``class_size_ok`` (nullable: ``<NA>`` when the table has no ``max_class_pupils``);
        ``mean_class_pupils`` when the table has ``classes`` (information only: an average cannot
        show that *every* class is within the cap).

    Raises
    ------
    MissingColumnError, InvalidValueError
        As in :func:`school_indicators`.

    Examples
    --------
    >>> import pandas as pd
    >>> from accessibility.audit import school_audit
    >>> schools = pd.DataFrame(
    ...     {"level": ["junior"], "pupils": [1000], "qualified_teachers": [50],
    ...      "key_teachers": [10], "pe_teachers": [5], "art_teachers": [4],
    ...      "teaching_space_m2": [5800], "sports_space_m2": [10200],
    ...      "equipment_value_yuan": [2_500_000], "multimedia_rooms": [24],
    ...      "max_class_pupils": [52]}, index=["J1"])
    >>> row = school_audit(schools).iloc[0]
    >>> int(row["indicators_met"]), round(float(row["lowest_share_of_standard"]), 3)
    (6, 0.943)
    >>> bool(row["meets_resource_rule"]), bool(row["class_size_ok"])
    (True, False)
    """
    std = load_audit_standards() if standards is None else standards
    clean = _read_schools(schools, level_column=level_column, columns=columns, what="school_audit")
    return _school_audit(clean, std)


# --- coefficient of variation and the county verdict ----------------------------------------


def coefficient_of_variation(
    values: Iterable[float] | np.ndarray | pd.Series,
    weights: Iterable[float] | np.ndarray | pd.Series | None = None,
    *,
    ddof: int = 0,
) -> float:
    """The audit's inter-school coefficient of variation (差异系数), optionally pupil-weighted.

    With weights :math:`P_i` (pupils of school :math:`i`, :math:`P = \\sum_i P_i`) and values
    :math:`X_i` (an indicator of school :math:`i`):

    .. math::

        \\bar X = \\frac{\\sum_i P_i X_i}{P}, \\qquad
        S = \\sqrt{\\sum_i \\frac{P_i}{P} (X_i - \\bar X)^2}, \\qquad CV = \\frac{S}{\\bar X}.

    For a per-pupil indicator :math:`\\bar X` is the county total over the county's pupils. This
    is the formula of the 2012 基本均衡 method (教督〔2012〕3号, 附件2), reproduced in provincial
    working documents with a worked example (5 primary schools, books per pupil, CV 0.52); that
    the 2017 audit uses it too is practice, not text (see ``quality.cv_method`` in the standards
    file, marked unverified). Without weights it is ``np.std(x, ddof=ddof) / np.mean(x)``.

    Parameters
    ----------
    values
        One value per school.
    weights
        Pupils per school (``None``: every school counts once).
    ddof
        0 (divide by the total weight; population SD) or, unweighted only, 1 (sample SD).

    Returns
    -------
    float
        The CV (0 for a single school); NaN when the mean is 0.

    Raises
    ------
    InvalidValueError
        No values, non-finite values, negative or all-zero weights, lengths that differ,
        ``ddof=1`` with weights or with one value.

    Examples
    --------
    >>> from accessibility.audit import coefficient_of_variation
    >>> pupils = [45, 37, 89, 76, 55]
    >>> books = [279, 137, 935, 160, 402]
    >>> per_pupil = [b / p for b, p in zip(books, pupils)]
    >>> round(coefficient_of_variation(per_pupil, pupils), 2)
    0.52
    >>> round(coefficient_of_variation([1.0, 2.0, 3.0]), 4)
    0.4082
    """
    x = np.asarray(values, dtype=float).ravel()
    if x.size == 0:
        raise InvalidValueError("coefficient_of_variation: no values.")
    if not np.isfinite(x).all():
        raise InvalidValueError("coefficient_of_variation: values must be finite numbers.")
    if ddof not in (0, 1):
        raise InvalidValueError(f"coefficient_of_variation: ddof must be 0 or 1, got {ddof!r}.")
    if weights is None:
        if ddof == 1 and x.size < 2:
            raise InvalidValueError("coefficient_of_variation: ddof=1 needs at least two values.")
        mean = float(x.mean())
        sd = float(x.std(ddof=ddof))
    else:
        if ddof != 0:
            raise InvalidValueError(
                "coefficient_of_variation: ddof=1 (sample SD) is only defined here without "
                "weights; the audit's pupil-weighted SD divides by the total pupils (ddof=0)."
            )
        w = np.asarray(weights, dtype=float).ravel()
        if w.shape != x.shape:
            raise InvalidValueError(
                f"coefficient_of_variation: {x.size} values but {w.size} weights."
            )
        if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise InvalidValueError(
                "coefficient_of_variation: weights must be finite, non-negative and not all 0."
            )
        share = w / w.sum()
        mean = float((share * x).sum())
        sd = float(np.sqrt((share * (x - mean) ** 2).sum()))
    if mean == 0:
        return math.nan
    return sd / mean


@dataclass(frozen=True)
class CountyAudit:
    """Result of :func:`county_audit` (plain tables; nothing is computed on access).

    Attributes
    ----------
    schools
        :func:`school_audit` of every school (indexed like the input).
    cv
        One row per level and indicator: ``level``, ``indicator``, ``indicator_zh``, ``schools``,
        ``pupils``, ``mean``, ``sd``, ``cv``, ``cv_limit``, ``cv_ok``, ``standard``,
        ``schools_meeting_standard``.
    levels
        One row per level present: ``schools``, ``schools_meeting_resource_rule``,
        ``all_meet_resource_rule``, ``all_cv_ok``, ``all_school_sizes_ok``,
        ``all_class_sizes_ok`` and ``passed`` (both nullable: ``<NA>`` when class sizes are
        unknown and nothing else failed).
    passed
        ``True``/``False`` for the county; ``None`` when it hinges on something not checked.
    unchecked
        What could not be checked (e.g. class sizes without a ``max_class_pupils`` column).
    standards
        The thresholds used (with their sources).
    """

    schools: pd.DataFrame
    cv: pd.DataFrame
    levels: pd.DataFrame
    passed: bool | None
    unchecked: tuple[str, ...] = ()
    standards: Mapping[str, Any] = field(default_factory=dict, repr=False)


def county_audit(
    schools: pd.DataFrame,
    *,
    level_column: str = "level",
    columns: Mapping[str, str] | None = None,
    standards: Mapping[str, Any] | None = None,
) -> CountyAudit:
    """The county's 优质均衡 resource audit: CV of every indicator per level, and the verdict.

    Per level (primary, junior) and indicator, the inter-school coefficient of variation is
    computed by :func:`coefficient_of_variation` with the method of ``quality.cv_method`` in the
    standards (default: pupil-weighted, population SD) and compared with ``quality.cv_limit``
    (教督〔2017〕6号 第六条: "所有指标校际差异系数，小学均小于或等于0.50，初中均小于或等于0.45";
    equality passes; a CV that cannot be computed, because no school of the level has any of the
    resource, is NaN and fails). A level passes when every school meets the resource rule
    (:func:`school_audit`), every CV is within its limit and every school is within the size and
    class caps; the county passes when every level present passes.

    Schools are audited as given: the 2017 document's scope rules (e.g. provinces leaving out
    teaching points under 50 pupils) are the caller's to apply before the call.

    Parameters
    ----------
    schools
        The school table (see :func:`school_indicators`); not modified.
    level_column, columns
        As in :func:`school_indicators`.
    standards
        Thresholds from :func:`load_audit_standards` (default: the built-in ones).

    Returns
    -------
    CountyAudit
        ``schools`` (per-school audit), ``cv`` (per level and indicator), ``levels`` (per level),
        ``passed`` (``None`` if it depends on an unchecked item, listed in ``unchecked``).

    Warns
    -----
    InputWarning
        When the table has no ``max_class_pupils`` column, so class sizes are not checked.

    Raises
    ------
    MissingColumnError, InvalidValueError
        As in :func:`school_indicators`.

    Examples
    --------
    >>> import pandas as pd
    >>> from accessibility.audit import county_audit
    >>> schools = pd.DataFrame(
    ...     {"level": ["primary", "primary"], "pupils": [500, 300],
    ...      "qualified_teachers": [25, 14], "key_teachers": [6, 3], "pe_teachers": [3, 2],
    ...      "art_teachers": [2, 1], "teaching_space_m2": [2500, 1500],
    ...      "sports_space_m2": [4000, 2400], "equipment_value_yuan": [1_100_000, 660_000],
    ...      "multimedia_rooms": [12, 7], "max_class_pupils": [45, 40]},
    ...     index=["S1", "S2"])
    >>> result = county_audit(schools)
    >>> cv = result.cv.set_index("indicator")
    >>> round(float(cv.loc["qualified_teachers_per_100_pupils", "cv"]), 4)
    0.0331
    >>> result.passed
    True
    """
    std = load_audit_standards() if standards is None else standards
    clean = _read_schools(schools, level_column=level_column, columns=columns, what="county_audit")
    audited = _school_audit(clean, std)
    q = std["quality"]
    method = q["cv_method"]
    weighted = method["weighting"] == "pupils"
    ddof = int(method["ddof"])
    rows = []
    for level in LEVELS:
        part = audited[audited["level"] == level]
        if part.empty:
            continue
        for name in INDICATORS:
            x = part[name].to_numpy(float)
            p = part["pupils"].to_numpy(float)
            cv = coefficient_of_variation(x, p if weighted else None, ddof=ddof)
            mean = float((p * x).sum() / p.sum()) if weighted else float(x.mean())
            limit = float(q["cv_limit"][level])
            rows.append(
                {
                    "level": level,
                    "indicator": name,
                    "indicator_zh": INDICATOR_NAMES_ZH[name],
                    "schools": len(part),
                    "pupils": float(p.sum()),
                    "mean": mean,
                    "sd": cv * mean if math.isfinite(cv) else math.nan,
                    "cv": cv,
                    "cv_limit": limit,
                    "cv_ok": bool(math.isfinite(cv) and cv <= limit + _REL_TOL),
                    "standard": float(q["indicators"][name][level]),
                    "schools_meeting_standard": int(part[f"{name}_met"].sum()),
                }
            )
    cv_table = pd.DataFrame(rows)

    unchecked: list[str] = []
    if "max_class_pupils" not in clean:
        unchecked.append(
            "class sizes (班额): the school table has no 'max_class_pupils' column (pupils in each "
            "school's largest class)"
        )
        warnings.warn(
            "county_audit: class sizes are not checked (no 'max_class_pupils' column: pupils in "
            "each school's largest class); the verdict is None unless something else fails. "
            "Add the column, or name yours with columns={'max_class_pupils': ...}.",
            InputWarning,
            stacklevel=2,
        )
    level_rows = []
    for level in LEVELS:
        part = audited[audited["level"] == level]
        if part.empty:
            continue
        resource_ok = bool(part["meets_resource_rule"].all())
        cv_ok = bool(cv_table.loc[cv_table["level"] == level, "cv_ok"].all())
        size_ok = bool(part["school_size_ok"].all())
        class_ok = part["class_size_ok"].all(skipna=False)  # NA when unknown
        known = resource_ok and cv_ok and size_ok
        passed: Any = False if not known else class_ok
        level_rows.append(
            {
                "level": level,
                "schools": len(part),
                "schools_meeting_resource_rule": int(part["meets_resource_rule"].sum()),
                "all_meet_resource_rule": resource_ok,
                "all_cv_ok": cv_ok,
                "all_school_sizes_ok": size_ok,
                "all_class_sizes_ok": class_ok,
                "passed": passed,
            }
        )
    levels = pd.DataFrame(level_rows).set_index("level")
    for col in ("all_class_sizes_ok", "passed"):
        levels[col] = levels[col].astype("boolean")
    verdicts = levels["passed"]
    if (verdicts == False).any():  # noqa: E712 (nullable boolean)
        county: bool | None = False
    elif verdicts.isna().any():
        county = None
    else:
        county = True
    return CountyAudit(
        schools=audited,
        cv=cv_table,
        levels=levels,
        passed=county,
        unchecked=tuple(unchecked),
        standards=copy.deepcopy(dict(std)),
    )
