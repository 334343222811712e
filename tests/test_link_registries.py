"""Reading the registry dumps: ROR schema v1 and v2, the Funder Registry RDF/XML, the GeoNames table."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from test_link_common import FUNDERS_EXCERPT, ROR_EXCERPT, SHARED_DATA

from pmkg.errors import InputError
from pmkg.link.funders import read_funders
from pmkg.link.geonames import GEONAMES_COUNTRIES
from pmkg.link.ror import geonames_countries, parse_record, read_ror

ROR_DUMP = SHARED_DATA / "ror" / "ror-records-subset-v2.9.jsonl.gz"


def _records() -> dict:
    return {r.identifier: r for r in read_ror(ROR_EXCERPT)}


def test_ror_v2_record():
    nsfc = _records()["01h0zpd94"]
    assert nsfc.name == "National Natural Science Foundation of China"
    assert "NSFC" in nsfc.acronyms and "National Natural Science Foundation of the PRC" in nsfc.names
    assert nsfc.country == "CN" and nsfc.wikidata == ["Q4501917"] and "501100001809" in nsfc.fundref
    assert {"funder", "government"} == nsfc.types and nsfc.iri == "https://ror.org/01h0zpd94"


def test_ror_v1_record():
    bgi = _records()["045pn2j94"]
    assert bgi.name == "BGI Group (China)" and bgi.names["Beijing Genomics Institute"] == "alias"
    assert bgi.acronyms == ["BGI"] and bgi.country == "CN" and bgi.wikidata == ["Q795900"]
    assert bgi.types == {"company"}
    sibs = _records()["011rf9d86"]
    assert "034t30j35" in sibs.parents


def test_ror_gz_and_json_array(tmp_path: Path):
    lines = ROR_EXCERPT.read_text(encoding="utf-8").splitlines()
    gz = tmp_path / "x.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    array = tmp_path / "x.json"
    array.write_text(json.dumps([json.loads(x)["record"] for x in lines]), encoding="utf-8")
    assert [r.identifier for r in read_ror(gz)] == [r.identifier for r in read_ror(array)] == list(_records())


def test_ror_malformed_line_names_file_and_line(tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(ROR_EXCERPT.read_text(encoding="utf-8").splitlines()[0] + "\n{not json\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        list(read_ror(bad))
    assert exc.value.lines()[0].startswith(f"{bad}:2: not JSON")
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text('{"id": "https://ror.org/x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 1 is not a ROR v1 or v2 record"):
        list(read_ror(wrong))
    with pytest.raises(InputError, match="does not exist"):
        list(read_ror(tmp_path / "missing.jsonl"))
    with pytest.raises(ValueError):
        parse_record({"record": 3})


def test_funder_registry_excerpt():
    funders = {r.identifier: r for r in read_funders(FUNDERS_EXCERPT)}
    nsfc = funders["10.13039/501100001809"]
    assert nsfc.name == "National Natural Science Foundation of China"
    assert nsfc.acronyms == ["NSFC"] and nsfc.names["National Science Foundation of China"] == "alias"
    assert nsfc.country == "CN" and nsfc.iri == "http://dx.doi.org/10.13039/501100001809"
    assert "government" in nsfc.types and nsfc.status == "active"
    assert funders["10.13039/501100010897"].parents == ["10.13039/501100001809"]  # skos:broader
    assert funders["10.13039/100000001"].country == "US"
    assert funders["10.13039/501100008982"].country == "LK"


def test_funder_registry_bad_file(tmp_path: Path):
    bad = tmp_path / "bad.rdf"
    bad.write_text("<rdf:RDF", encoding="utf-8")
    with pytest.raises(InputError, match="is not readable RDF/XML"):
        read_funders(bad)
    with pytest.raises(InputError, match="does not exist"):
        read_funders(tmp_path / "none.rdf")


@pytest.mark.skipif(not ROR_DUMP.is_file(), reason="../shared/data not present")
def test_geonames_table_is_the_one_the_ror_dump_gives():
    assert geonames_countries(ROR_DUMP) == GEONAMES_COUNTRIES
