"""The 优质均衡 school audit (accessibility.audit), on tiny tables worked out by hand.

Standards used below (教督〔2017〕6号 第六条), primary / junior:
qualified teachers 4.2 / 5.3 per 100 pupils; key teachers 1 / 1; PE+art teachers 0.9 / 0.9;
teaching space 4.5 / 5.8 m2 per pupil; sports space 7.5 / 10.2 m2; equipment 2000 / 2500 yuan;
multimedia rooms 2.3 / 2.4 per 100 pupils. Rule: >= 6 met and the rest >= 85 %; CV <= 0.50 / 0.45.
"""

from __future__ import annotations

import doctest
import math
import re
import tomllib
import warnings
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import accessibility.audit as audit
from accessibility.audit import (
    INDICATOR_NAMES_ZH,
    INDICATORS,
    coefficient_of_variation,
    county_audit,
    load_audit_standards,
    school_audit,
    school_indicators,
)
from accessibility.errors import (
    ConfigError,
    DuplicateIdError,
    EmptyLayerError,
    InvalidValueError,
    MissingColumnError,
)
from accessibility.validate import InputWarning

STANDARD = {
    "primary": {
        "qualified": 4.2,
        "key": 1.0,
        "pe_art": 0.9,
        "teach": 4.5,
        "sport": 7.5,
        "equip": 2000.0,
        "mm": 2.3,
    },
    "junior": {
        "qualified": 5.3,
        "key": 1.0,
        "pe_art": 0.9,
        "teach": 5.8,
        "sport": 10.2,
        "equip": 2500.0,
        "mm": 2.4,
    },
}


def school(level: str, pupils: int, **values: float) -> dict:
    """A school meeting every standard of its level exactly (resources = standard x pupils)."""
    s = STANDARD[level]
    row = {
        "level": level,
        "pupils": pupils,
        "qualified_teachers": s["qualified"] * pupils / 100,
        "key_teachers": s["key"] * pupils / 100,
        "pe_teachers": s["pe_art"] * pupils / 100,
        "art_teachers": 0.0,
        "teaching_space_m2": s["teach"] * pupils,
        "sports_space_m2": s["sport"] * pupils,
        "equipment_value_yuan": s["equip"] * pupils,
        "multimedia_rooms": s["mm"] * pupils / 100,
        "max_class_pupils": 40,
    }
    row.update(values)
    return row


def table(*rows: dict, ids: list[str] | None = None) -> pd.DataFrame:
    ids = ids or [f"S{i}" for i in range(1, len(rows) + 1)]
    return pd.DataFrame(list(rows), index=pd.Index(ids, name="school"))


# --- the seven indicators ----------------------------------------------------------------------


def test_indicators_by_hand():
    schools = table(
        {
            "level": "primary",
            "pupils": 250,
            "qualified_teachers": 12,
            "key_teachers": 3,
            "pe_teachers": 1,
            "art_teachers": 2,
            "teaching_space_m2": 1200,
            "sports_space_m2": 2000,
            "equipment_value_yuan": 600_000,
            "multimedia_rooms": 6,
        },
        {
            "level": "初中",
            "pupils": 800,
            "qualified_teachers": 40,
            "key_teachers": 8,
            "pe_teachers": 4,
            "art_teachers": 3,
            "teaching_space_m2": 4800,
            "sports_space_m2": 8000,
            "equipment_value_yuan": 2_000_000,
            "multimedia_rooms": 20,
        },
    )
    got = school_indicators(schools)
    assert list(got.columns) == ["level", *INDICATORS]
    assert got["level"].tolist() == ["primary", "junior"]  # 初中 -> junior
    # primary, 250 pupils: 100*12/250 = 4.8; 100*3/250 = 1.2; 100*(1+2)/250 = 1.2;
    # 1200/250 = 4.8 m2; 2000/250 = 8.0 m2; 600000/250 = 2400 yuan; 100*6/250 = 2.4 rooms
    assert got.loc["S1", list(INDICATORS)].astype(float).tolist() == pytest.approx(
        [4.8, 1.2, 1.2, 4.8, 8.0, 2400.0, 2.4]
    )
    # junior, 800 pupils: 100*40/800 = 5.0; 100*8/800 = 1.0; 100*(4+3)/800 = 0.875;
    # 4800/800 = 6.0 m2; 8000/800 = 10.0 m2; 2e6/800 = 2500 yuan; 100*20/800 = 2.5 rooms
    assert got.loc["S2", list(INDICATORS)].astype(float).tolist() == pytest.approx(
        [5.0, 1.0, 0.875, 6.0, 10.0, 2500.0, 2.5]
    )


def test_every_indicator_has_an_official_chinese_name():
    assert set(INDICATOR_NAMES_ZH) == set(INDICATORS)
    assert INDICATOR_NAMES_ZH["multimedia_rooms_per_100_pupils"] == "每百名学生拥有网络多媒体教室数"
    std = load_audit_standards()["quality"]["indicators"]
    assert set(std) == set(INDICATORS)
    assert all(std[name]["name_zh"] == INDICATOR_NAMES_ZH[name] for name in INDICATORS)


def test_results_are_aligned_to_the_callers_index_and_input_is_untouched():
    schools = table(
        school("junior", 600), school("primary", 300), school("primary", 200), ids=["z", "a", "m"]
    )
    before = schools.copy(deep=True)
    for result in (
        school_indicators(schools),
        school_audit(schools),
        county_audit(schools).schools,
    ):
        assert list(result.index) == ["z", "a", "m"]
        assert result.index.name == "school"
    pd.testing.assert_frame_equal(schools, before)


# --- the per-school rule: >= 6 met, the rest >= 85 % -------------------------------------------


def test_junior_school_by_hand_fails_the_six_of_seven_rule():
    # the junior school of test_indicators_by_hand: 5.0 < 5.3 (share 5.0/5.3 = 0.9434),
    # 0.875 < 0.9 (0.9722), 10.0 < 10.2 (0.9804); the other four met -> 4 met < 6 -> fails
    schools = table(
        {
            "level": "junior",
            "pupils": 800,
            "qualified_teachers": 40,
            "key_teachers": 8,
            "pe_teachers": 4,
            "art_teachers": 3,
            "teaching_space_m2": 4800,
            "sports_space_m2": 8000,
            "equipment_value_yuan": 2_000_000,
            "multimedia_rooms": 20,
        }
    )
    row = school_audit(schools).loc["S1"]
    assert row["qualified_teachers_per_100_pupils_share_of_standard"] == pytest.approx(5.0 / 5.3)
    assert row["pe_art_teachers_per_100_pupils_share_of_standard"] == pytest.approx(0.875 / 0.9)
    assert row["sports_space_m2_per_pupil_share_of_standard"] == pytest.approx(10.0 / 10.2)
    assert not row["qualified_teachers_per_100_pupils_met"]
    assert row["key_teachers_per_100_pupils_met"]  # 1.0 >= 1.0: "达到1人以上" includes 1
    assert int(row["indicators_met"]) == 4
    assert row["lowest_share_of_standard"] == pytest.approx(5.0 / 5.3)
    assert not row["meets_resource_rule"]


@pytest.mark.parametrize(
    ("sports_m2", "met", "passes"),
    [
        (3000, 7, True),  # 3000/400 = 7.5 m2 = the standard: all seven met
        (2550, 6, True),  # 2550/400 = 6.375 = 0.85 * 7.5 exactly: "不能低于85%" -> passes
        (2549, 6, False),  # 2549/400 = 6.3725 = 0.8497 * 7.5: below 85 % -> fails
        (0, 6, False),  # no sports ground at all: share 0 -> fails although six are met
    ],
)
def test_the_85_percent_rule_at_its_edge(sports_m2, met, passes):
    row = school_audit(table(school("primary", 400, sports_space_m2=sports_m2))).loc["S1"]
    assert int(row["indicators_met"]) == met
    assert bool(row["meets_resource_rule"]) is passes


def test_five_met_fails_even_if_the_other_two_are_above_85_percent():
    # primary, 400 pupils: sports 2900/400 = 7.25 m2 (0.967), equipment 780000/400 = 1950 (0.975)
    row = school_audit(
        table(school("primary", 400, sports_space_m2=2900, equipment_value_yuan=780_000))
    ).loc["S1"]
    assert int(row["indicators_met"]) == 5
    assert row["lowest_share_of_standard"] == pytest.approx(7.25 / 7.5)
    assert not row["meets_resource_rule"]


def test_a_value_equal_to_the_standard_up_to_float_rounding_is_met():
    # 100 * 21 / 500 = 4.2 (computes as 4.2000000000000002 or 4.1999999999999993)
    row = school_audit(table(school("primary", 500, qualified_teachers=21))).loc["S1"]
    assert row["qualified_teachers_per_100_pupils_met"]
    assert int(row["indicators_met"]) == 7


# --- the coefficient of variation (差异系数) ------------------------------------------------------


def test_weighted_cv_by_hand():
    # A: 100 pupils, x = 2; B: 300 pupils, x = 4.  mean = (100*2 + 300*4) / 400 = 3.5
    # variance = 0.25 * (2 - 3.5)^2 + 0.75 * (4 - 3.5)^2 = 0.5625 + 0.1875 = 0.75
    # sd = sqrt(0.75) = 0.8660254; CV = 0.8660254 / 3.5 = 0.2474358
    assert coefficient_of_variation([2.0, 4.0], [100, 300]) == pytest.approx(math.sqrt(0.75) / 3.5)


def test_weighted_cv_reproduces_the_published_worked_example():
    # "县域义务教育校际均衡指标计算方法（以生均图书册数为例）": 5 primary schools, pupils
    # 45/37/89/76/55 (302), books 279/137/935/160/402 (1913); county books per pupil
    # 1913/302 = 6.33; terms 0.003 + 0.85 + 5.13 + 4.50 + 0.17 = 10.65; sqrt = 3.26;
    # CV = 3.26 / 6.33 = 0.52 (0.5153 unrounded)
    pupils = np.array([45, 37, 89, 76, 55])
    books = np.array([279, 137, 935, 160, 402])
    cv = coefficient_of_variation(books / pupils, pupils)
    assert cv == pytest.approx(math.sqrt(10.652786702918453) / (1913 / 302))
    assert round(cv, 2) == 0.52


def test_unweighted_cv_matches_numpy():
    x = np.array([3.1, 4.7, 2.2, 9.0, 5.5])
    assert coefficient_of_variation(x) == pytest.approx(np.std(x) / np.mean(x))
    assert coefficient_of_variation(x, ddof=1) == pytest.approx(np.std(x, ddof=1) / np.mean(x))
    # equal weights give the unweighted CV
    assert coefficient_of_variation(x, np.full(5, 7.0)) == pytest.approx(np.std(x) / np.mean(x))


def test_cv_edge_cases():
    assert coefficient_of_variation([5.0]) == 0.0
    assert math.isnan(coefficient_of_variation([0.0, 0.0], [1, 2]))
    with pytest.raises(InvalidValueError, match="ddof=1"):
        coefficient_of_variation([1.0, 2.0], [1, 1], ddof=1)
    with pytest.raises(InvalidValueError, match="2 values but 3 weights"):
        coefficient_of_variation([1.0, 2.0], [1, 1, 1])
    with pytest.raises(InvalidValueError, match="non-negative"):
        coefficient_of_variation([1.0, 2.0], [1, -1])
    with pytest.raises(InvalidValueError, match="no values"):
        coefficient_of_variation([])


def test_county_cv_is_pupil_weighted_by_default():
    # equipment per pupil: A 100 pupils x 2000 yuan, B 300 pupils x 4000 yuan
    # mean = (200000 + 1200000) / 400 = 3500; var = 0.25*1500^2 + 0.75*500^2 = 750000
    # CV = sqrt(750000) / 3500 = 0.2474 (unweighted it would be 1000/3000 = 0.3333)
    schools = table(
        school("primary", 100, equipment_value_yuan=200_000),
        school("primary", 300, equipment_value_yuan=1_200_000),
    )
    cv = county_audit(schools).cv.set_index("indicator")
    row = cv.loc["equipment_yuan_per_pupil"]
    assert row["mean"] == pytest.approx(3500.0)
    assert row["sd"] == pytest.approx(math.sqrt(750_000))
    assert row["cv"] == pytest.approx(math.sqrt(750_000) / 3500)
    assert row["cv_limit"] == 0.5 and row["cv_ok"]
    assert row["indicator_zh"] == "生均教学仪器设备值"
    # every other indicator is equal across the two schools: CV 0
    assert cv.drop("equipment_yuan_per_pupil")["cv"].abs().max() == pytest.approx(0.0, abs=1e-12)

    unweighted = load_audit_standards({"quality": {"cv_method": {"weighting": "none"}}})
    row = (
        county_audit(schools, standards=unweighted)
        .cv.set_index("indicator")
        .loc["equipment_yuan_per_pupil"]
    )
    assert row["cv"] == pytest.approx(1000 / 3000)


def test_cv_limit_is_per_level_and_fails_the_county():
    # equal pupils, equipment 2600 and 7400 yuan per pupil: CV = 2400 / 5000 = 0.48
    # (every school meets the standard: 2600 >= 2500 >= 2000)
    # primary: 0.48 <= 0.50 passes; junior: 0.48 > 0.45 fails
    primary = table(
        school("primary", 100, equipment_value_yuan=260_000),
        school("primary", 100, equipment_value_yuan=740_000),
    )
    junior = table(
        school("junior", 100, equipment_value_yuan=260_000),
        school("junior", 100, equipment_value_yuan=740_000),
    )
    p = county_audit(primary)
    j = county_audit(junior)
    for result, ok in ((p, True), (j, False)):
        row = result.cv.set_index("indicator").loc["equipment_yuan_per_pupil"]
        assert row["cv"] == pytest.approx(0.48)
        assert bool(row["cv_ok"]) is ok
        assert bool(result.schools["meets_resource_rule"].all())
        assert result.passed is ok
    assert not j.levels.loc["junior", "all_cv_ok"]
    assert j.levels.loc["junior", "all_meet_resource_rule"]


def test_a_cv_that_cannot_be_computed_fails():
    # no school has a multimedia room: the mean is 0, the CV undefined (NaN) -> not within limit
    schools = table(
        school("primary", 300, multimedia_rooms=0), school("primary", 200, multimedia_rooms=0)
    )
    result = county_audit(schools)
    row = result.cv.set_index("indicator").loc["multimedia_rooms_per_100_pupils"]
    assert math.isnan(row["cv"]) and not row["cv_ok"]
    assert result.passed is False


def test_county_verdict_per_level():
    # a good primary school and a junior school failing the six-of-seven rule
    schools = table(
        school("primary", 300),
        school("junior", 400, qualified_teachers=10, key_teachers=2),  # 2.5 < 5.3, 0.5 < 1
    )
    result = county_audit(schools)
    assert result.levels.loc["primary", "passed"]
    assert not result.levels.loc["junior", "passed"]
    assert result.levels.loc["junior", "schools_meeting_resource_rule"] == 0
    assert result.passed is False
    assert set(result.cv["level"]) == {"primary", "junior"}
    assert len(result.cv) == 14  # 7 indicators x 2 levels


# --- caps ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "pupils", "school_type", "school_pupils", "cap", "ok"),
    [
        ("primary", 2000, None, None, 2000, True),  # "不超过2000人": 2000 is allowed
        ("primary", 2001, None, None, 2000, False),
        ("junior", 2001, None, None, 2000, False),
        # the primary part of a nine-year school: cap 2500 on the whole school's 2400 pupils
        ("primary", 1500, "九年一贯制", 2400, 2500, True),
        ("junior", 900, "nine_year", 2600, 2500, False),
    ],
)
def test_school_size_cap(level, pupils, school_type, school_pupils, cap, ok):
    extra = {}
    if school_type is not None:
        extra = {"school_type": school_type, "school_pupils": school_pupils}
    row = school_audit(table(school(level, pupils, **extra))).loc["S1"]
    assert row["school_size_cap"] == cap
    assert bool(row["school_size_ok"]) is ok


@pytest.mark.parametrize(
    ("level", "largest_class", "ok"),
    [("primary", 45, True), ("primary", 46, False), ("junior", 50, True), ("junior", 51, False)],
)
def test_class_size_cap(level, largest_class, ok):
    schools = table(school(level, 500, max_class_pupils=largest_class, classes=12))
    row = school_audit(schools).loc["S1"]
    assert row["class_size_cap"] == {"primary": 45, "junior": 50}[level]
    assert bool(row["class_size_ok"]) is ok
    assert row["mean_class_pupils"] == pytest.approx(500 / 12)
    assert county_audit(schools).passed is ok


def test_unknown_class_sizes_leave_the_verdict_open():
    schools = table(school("primary", 300)).drop(columns="max_class_pupils")
    with pytest.warns(InputWarning, match="max_class_pupils"):
        result = county_audit(schools)
    assert result.schools["class_size_ok"].isna().all()
    assert result.passed is None
    assert any("max_class_pupils" in u for u in result.unchecked)
    # ... unless something checked already fails
    failing = table(school("primary", 2500)).drop(columns="max_class_pupils")
    with pytest.warns(InputWarning):
        assert county_audit(failing).passed is False


def test_a_fully_compliant_county_passes_without_warnings():
    schools = table(school("primary", 300), school("primary", 500), school("junior", 700))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = county_audit(schools)
    assert result.passed is True
    assert result.unchecked == ()
    assert result.levels["passed"].all()


# --- bad input -------------------------------------------------------------------------------


def test_missing_column_lists_the_expected_columns_and_suggests():
    schools = table(school("primary", 300)).rename(columns={"pupils": "pupil"})
    with pytest.raises(MissingColumnError) as err:
        school_audit(schools)
    msg = str(err.value)
    assert "'pupils'" in msg and "Did you mean 'pupil'?" in msg
    assert "multimedia_rooms" in msg  # the expected columns are listed
    assert isinstance(err.value, KeyError)


def test_columns_mapping_renames_inputs():
    names = {"pupils": "在校生数", "multimedia_rooms": "网络多媒体教室"}
    schools = table(school("primary", 300)).rename(columns={k: v for k, v in names.items()})
    got = school_indicators(schools, columns=names)
    assert got.loc["S1", "multimedia_rooms_per_100_pupils"] == pytest.approx(2.3)
    renamed_level = table(school("primary", 300)).rename(columns={"level": "学段"})
    assert school_indicators(renamed_level, level_column="学段").loc["S1", "level"] == "primary"
    with pytest.raises(InvalidValueError, match="Did you mean 'pupils'"):
        school_indicators(schools, columns={"pupil": "在校生数"})


def test_zero_pupils_negative_missing_and_bad_values_are_reported_together():
    schools = table(
        school("primary", 300),
        school("primary", 0),
        school("junior", 300, sports_space_m2=-5),
        {**school("junior", 300), "level": "senior"},
        school("junior", 300, key_teachers=np.nan),
        school("primary", 300, equipment_value_yuan="约50万"),
    )
    with pytest.raises(InvalidValueError) as err:
        school_audit(schools)
    msg = str(err.value)
    assert "5 problem(s)" in msg
    assert "'pupils' is 0 for 1 school(s): 'S2'" in msg
    assert "negative" in msg and "'S3'=-5.0" in msg
    assert "not a school level" in msg and "'S4'='senior'" in msg
    assert "missing value" in msg and "'S5'" in msg
    assert "not numbers" in msg and "约50万" in msg


def test_empty_and_duplicate_ids_are_refused():
    with pytest.raises(EmptyLayerError):
        school_audit(table(school("primary", 300)).iloc[:0])
    with pytest.raises(DuplicateIdError, match="'S1'"):
        school_audit(table(school("primary", 300), school("primary", 200), ids=["S1", "S1"]))


def test_unknown_school_type_is_refused_with_a_hint():
    with pytest.raises(InvalidValueError, match="Did you mean 'nine_year'"):
        school_audit(table(school("primary", 300, school_type="nine_years", school_pupils=300)))


# --- the standards file ------------------------------------------------------------------------


def _tables_with_numbers(node: dict, where: str = ""):
    numeric = [
        k
        for k, v in node.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and k != "schema"
    ]
    if numeric:
        yield where, node
    for key, value in node.items():
        if isinstance(value, dict):
            yield from _tables_with_numbers(value, f"{where}.{key}" if where else key)


def test_every_threshold_in_the_toml_has_a_source_and_a_verified_flag():
    text = resources.files("accessibility.standards").joinpath("school_audit.toml")
    data = tomllib.loads(text.read_text(encoding="utf-8"))
    found = list(_tables_with_numbers(data))
    assert len(found) >= 7 + 5  # the seven indicators, rule, CV limit/method, caps, basic CV
    for where, node in found:
        assert isinstance(node.get("source"), str) and len(node["source"]) > 10, where
        assert isinstance(node.get("verified"), bool), where
        if not node["verified"]:
            assert node.get("note"), f"{where}: an unverified value must say why (note)"
    assert data["quality"]["cv_limit"]["primary"] == 0.5
    assert data["quality"]["cv_limit"]["junior"] == 0.45


def test_overrides_from_a_dict_and_a_file(tmp_path):
    std = load_audit_standards({"quality": {"cv_limit": {"junior": 0.5}}})
    assert std["quality"]["cv_limit"]["junior"] == 0.5
    assert std["quality"]["cv_limit"]["verified"] is False
    assert std["quality"]["cv_limit"]["source"].startswith("override (overrides mapping)")
    assert load_audit_standards()["quality"]["cv_limit"]["junior"] == 0.45  # nothing leaked

    path = tmp_path / "province.toml"
    path.write_text(
        '[quality.school_size_cap]\nnine_year = 3000\nsource = "省级细则 第3条"\nverified = true\n',
        encoding="utf-8",
    )
    std = load_audit_standards(path)
    cap = std["quality"]["school_size_cap"]
    assert cap["nine_year"] == 3000 and cap["source"] == "省级细则 第3条" and cap["verified"]
    row = school_audit(
        table(school("primary", 1500, school_type="nine_year", school_pupils=2800)), standards=std
    ).loc["S1"]
    assert row["school_size_cap"] == 3000 and row["school_size_ok"]


def test_bad_overrides_are_config_errors():
    with pytest.raises(ConfigError, match="Did you mean 'cv_limit'"):
        load_audit_standards({"quality": {"cv_limits": {"primary": 0.4}}})
    with pytest.raises(ConfigError, match="should be a float"):
        load_audit_standards({"quality": {"cv_limit": {"primary": "0.4"}}})
    with pytest.raises(ConfigError, match="weighting"):
        load_audit_standards({"quality": {"cv_method": {"weighting": "pupil"}}})
    with pytest.raises(ConfigError, match="whole number of pupils"):
        load_audit_standards({"quality": {"class_size_cap": {"junior": 50.5}}})
    with pytest.raises(ConfigError, match="not found"):
        load_audit_standards("/nonexistent/audit.toml")


# --- docstring examples ------------------------------------------------------------------------


def test_docstring_examples_run():
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(audit, audit.__name__) if t.examples]
    assert len(tests) >= 5
    for test in tests:
        runner.run(test)
    assert runner.failures == 0


# --- docs/audit.md ---------------------------------------------------------------------------

DOC = Path(__file__).resolve().parents[1] / "docs" / "audit.md"


def test_doc_examples_run_and_show_what_they_compute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = "\n" + DOC.read_text(encoding="utf-8")
    namespace: dict = {"__name__": "docs_audit"}
    ran = 0
    for m in re.finditer(r"(?P<before>[^\n]*)\n```python\n(?P<code>.*?)\n```", text, re.S):
        if "<!-- not-run -->" in m.group("before"):
            continue
        exec(compile(m.group("code"), "docs/audit.md", "exec"), namespace)
        ran += 1
    assert ran >= 3
    assert namespace["per_school"]["indicators_met"].tolist() == [7, 4, 6, 7, 0]
    assert namespace["per_school"]["meets_resource_rule"].tolist() == [
        True,
        False,
        True,
        True,
        False,
    ]
    assert namespace["result"].passed is False
    assert namespace["mine"]["quality"]["school_size_cap"]["nine_year"] == 3000


def test_doc_threshold_table_matches_the_standards_file():
    text = DOC.read_text(encoding="utf-8")
    std = load_audit_standards()["quality"]["indicators"]
    for name in INDICATORS:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{name}` |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == INDICATOR_NAMES_ZH[name]
        assert float(cells[3]) == std[name]["primary"], name
        assert float(cells[4]) == std[name]["junior"], name
        assert (cells[6] == "yes") is std[name]["verified"], name
