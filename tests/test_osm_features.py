"""OSM facilities and places mapped as areas: closed ways and multipolygon relations are read (as a
point inside the area); features that cannot be read are counted in an InputWarning, never dropped
silently (reliability issue #15, item 8)."""

from __future__ import annotations

import warnings

import pytest
import shapely

from accessibility.osm import read_osm_places, read_osm_pois
from accessibility.validate import InputWarning

# a hospital mapped as a multipolygon relation over an untagged closed way, a school mapped as a
# closed way, a clinic node; a hospital relation whose member is outside the extract, a school
# campus mapped as a type=site relation, a way whose nodes are all outside the extract, and a
# village mapped twice (node and boundary relation around it).
OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="49.000" lon="11.000"/>
  <node id="2" lat="49.000" lon="11.010"/>
  <node id="3" lat="49.010" lon="11.010"/>
  <node id="4" lat="49.010" lon="11.000"/>
  <node id="5" lat="49.020" lon="11.020"/>
  <node id="6" lat="49.020" lon="11.030"/>
  <node id="7" lat="49.030" lon="11.030"/>
  <node id="8" lat="49.030" lon="11.020"/>
  <node id="9" lat="49.040" lon="11.040"><tag k="amenity" v="clinic"/><tag k="name" v="Clinic"/></node>
  <node id="30" lat="48.900" lon="10.900"/>
  <node id="31" lat="48.900" lon="11.100"/>
  <node id="32" lat="49.100" lon="11.100"/>
  <node id="33" lat="49.100" lon="10.900"/>
  <node id="34" lat="49.050" lon="11.050">
    <tag k="place" v="village"/><tag k="name" v="Dorf"/></node>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/></way>
  <way id="11"><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="8"/><nd ref="5"/>
    <tag k="amenity" v="school"/><tag k="name" v="School"/></way>
  <way id="12"><nd ref="97"/><nd ref="98"/><tag k="amenity" v="school"/></way>
  <way id="13"><nd ref="30"/><nd ref="31"/><nd ref="32"/><nd ref="33"/><nd ref="30"/></way>
  <relation id="20"><member type="way" ref="10" role="outer"/>
    <tag k="type" v="multipolygon"/><tag k="amenity" v="hospital"/><tag k="name" v="Hospital"/>
  </relation>
  <relation id="21"><member type="way" ref="99" role="outer"/>
    <tag k="type" v="multipolygon"/><tag k="amenity" v="hospital"/><tag k="name" v="Broken"/>
  </relation>
  <relation id="22"><member type="way" ref="11" role=""/>
    <tag k="type" v="site"/><tag k="amenity" v="school"/><tag k="name" v="Campus"/></relation>
  <relation id="23"><member type="way" ref="13" role="outer"/>
    <member type="node" ref="34" role="label"/>
    <tag k="type" v="boundary"/><tag k="boundary" v="administrative"/>
    <tag k="place" v="village"/><tag k="name" v="Dorf"/></relation>
  <relation id="24"><member type="way" ref="13" role="outer"/>
    <tag k="type" v="multipolygon"/><tag k="place" v="hamlet"/><tag k="name" v="Weiler"/>
  </relation>
</osm>
"""


@pytest.fixture
def osm_file(tmp_path):
    path = tmp_path / "facilities.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    return path


def test_multipolygon_relations_and_closed_ways_are_read(osm_file):
    with pytest.warns(InputWarning) as record:
        pois = read_osm_pois(osm_file, {"amenity": ["hospital", "school", "clinic"]})
    assert sorted(pois.index) == ["n9", "r20", "w11"]
    hospital = pois.loc["r20"]
    assert hospital["amenity"] == "hospital" and hospital["name"] == "Hospital"
    area = shapely.box(11.0, 49.0, 11.01, 49.01)
    assert area.contains(hospital.geometry)  # a point inside the assembled area
    assert shapely.box(11.02, 49.02, 11.03, 49.03).contains(pois.loc["w11"].geometry)
    msg = " ".join(str(w.message) for w in record)
    assert "3 OSM feature(s)" in msg
    assert "r21" in msg and "missing from the extract" in msg
    assert "r22" in msg and "type=site" in msg
    assert "w12" in msg and "no node" in msg


def test_a_place_mapped_as_node_and_boundary_is_read_once(osm_file):
    with pytest.warns(InputWarning, match="same name.*r23"):
        places = read_osm_places(osm_file)
    assert sorted(places.index) == ["n34", "r24"]  # the boundary duplicates node 34: skipped
    assert places.loc["r24", "place"] == "hamlet"


def test_nothing_skipped_means_no_warning(tmp_path):
    path = tmp_path / "one.osm"
    path.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" lat="49" lon="11"><tag k="amenity" v="clinic"/></node></osm>',
        encoding="utf-8",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(read_osm_pois(path, {"amenity": True}).index) == ["n1"]


@pytest.mark.shared_data
def test_real_extract_relations_are_read_or_reported(shared_data):
    import re

    import osmium

    path = shared_data / "osm" / "imperial-county.osm.pbf"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    kinds = ("city", "town", "village", "hamlet")
    relations = {
        f"r{r.id}"
        for r in osmium.FileProcessor(str(path), osmium.osm.RELATION)
        if r.tags.get("place") in kinds
    }
    if not relations:
        pytest.skip("the extract has no place relation")
    with pytest.warns(InputWarning) as record:
        places = read_osm_places(path, places=kinds)
    msg = " ".join(str(w.message) for w in record)
    n_skipped = int(re.search(r"(\d+) OSM feature\(s\)", msg).group(1))
    read = relations & set(places.index)
    assert len(read) + n_skipped == len(relations)  # every relation is read or counted
    # the city boundaries around the city nodes are the same places: read once
    assert (places["name"] == "El Centro").sum() == 1
    assert "same name" in msg


@pytest.mark.parametrize("value", ["school", False, 3])
def test_a_tag_value_that_is_not_true_or_a_list_is_an_error(osm_file, value):
    from accessibility.errors import InvalidValueError

    # a bare string would be read letter by letter ({"s", "c", "h", ...}) and match nothing
    with pytest.raises(InvalidValueError, match=r"give True .* or a list of values"):
        read_osm_pois(osm_file, {"amenity": value})
