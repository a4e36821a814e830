"""The denied-party list: loaded with `ftz reference load parties` in the three formats of contract
section 7, versioned, and refused whole with a one-line reason when malformed."""

from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.cli.main import app
from ftz.parties import service as parties
from ftz.reference.models import ReferenceVersion
from tests.helpers import write_csv

runner = CliRunner()
DEMO = Path(__file__).parents[2] / "fixtures" / "reference" / "parties-un-sc-demo.xml"
SAMPLE = Path(__file__).parents[1] / "fixtures" / "two-zones" / "parties.csv"
OPENSANCTIONS = (
    "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,emails,program_ids,"
    "dataset,first_seen,last_seen,last_change\n"
    'NK-abc,Company,Korea Ryonbong General Corporation,"Lyongaksan General Trading Corporation;Ryonbong",,kp,,,'
    "UN 1718,,,,UN Security Council,2017-09-22T10:00:00,2026-11-30T00:00:00,2026-11-30T00:00:00\n"
    "NK-def,Person,Yun Ho-jin,Yun Ho-chin,1944-10-13,kp,,,,,,,UN Security Council,2009-07-17T00:00:00,,\n"
)


def load(path: Path, source: str = "test list 2026-12-01"):
    return runner.invoke(app, ["reference", "load", "parties", str(path), "--source", source])


def versions(engine) -> list[ReferenceVersion]:
    with Session(engine) as session:
        return list(session.exec(select(ReferenceVersion).where(ReferenceVersion.kind == "parties")))


def test_a_fresh_database_holds_no_parties_list(engine):
    assert versions(engine) == []
    assert parties.get_all(engine).empty


def test_the_shipped_un_list_loads_with_its_individuals_entities_and_aliases(engine):
    result = load(DEMO, "UN SC Consolidated List, demonstration extract")
    assert result.exit_code == 0, result.output
    assert "parties list version" in result.stdout and "6 rows" in result.stdout
    entries = parties.get_all(engine).set_index("entry_id")
    komid = entries.loc["KPe.001"]
    assert (komid["name"], komid["kind"], komid["listed_on"]) == (
        "KOREA MINING DEVELOPMENT TRADING CORPORATION",
        "ENTITY",
        "2009-04-24",
    )
    assert komid["aliases"] == "KOMID;CHANGGWANG SINYONG CORPORATION"
    assert komid["list_name"] == "UN Security Council (DPRK)" and komid["reference"] == "KPe.001"
    yun = entries.loc["KPi.001"]
    assert (yun["name"], yun["kind"], yun["aliases"]) == ("YUN HO-JIN", "PERSON", "Yun Ho-chin")


def test_the_ftz_csv_loads_every_column(engine):
    assert load(SAMPLE).exit_code == 0
    entries = parties.get_all(engine).set_index("entry_id")
    assert len(entries) == 36
    row = entries.loc["SPL-031"]
    assert (row["name"], row["aliases"], row["kind"], row["countries"]) == (
        "KARIMI, Hossein Ali",
        "Hossein A. Karimi",
        "PERSON",
        "IR",
    )
    assert (row["list_name"], row["reference"], row["listed_on"]) == (
        "SAMPLE-CONSOLIDATED",
        "SPC/031/2025",
        "2018-02-18",
    )


def test_opensanctions_targets_simple_csv_loads(engine, tmp_path):
    path = tmp_path / "targets.simple.csv"
    path.write_text(OPENSANCTIONS, encoding="utf-8")
    assert load(path, "OpenSanctions 20261201").exit_code == 0
    entries = parties.get_all(engine).set_index("entry_id")
    assert entries.loc["NK-abc", "aliases"] == "Lyongaksan General Trading Corporation;Ryonbong"
    assert (entries.loc["NK-def", "kind"], entries.loc["NK-abc", "kind"]) == ("PERSON", "ENTITY")
    assert (entries.loc["NK-abc", "list_name"], entries.loc["NK-abc", "listed_on"]) == (
        "UN Security Council",
        "2017-09-22",
    )


def test_a_new_version_replaces_the_one_in_force(engine, tmp_path):
    load(DEMO)
    load(write_csv(tmp_path / "p.csv", [{"entry_id": "X1", "name": "Acme Rockets"}]))
    assert [v.rows for v in versions(engine)] == [6, 1]
    assert parties.get_all(engine)["entry_id"].tolist() == ["X1"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("<CONSOLIDATED_LIST><ENTITIES><ENTITY>", "broken XML at line 1, column 37"),
        ('<?xml version="1.0"?>\n<sdnList><sdnEntry/></sdnList>', "the root element is <sdnList>"),
        (
            "<CONSOLIDATED_LIST><ENTITIES><ENTITY><REFERENCE_NUMBER>KPe.9</REFERENCE_NUMBER></ENTITY>"
            "</ENTITIES></CONSOLIDATED_LIST>",
            "ENTITY #1 (KPe.9) has no name",
        ),
    ],
)
def test_a_malformed_xml_file_is_refused_whole_with_the_place_named(engine, tmp_path, content, reason):
    path = tmp_path / "list.xml"
    path.write_text(content, encoding="utf-8")
    result = load(path)
    assert result.exit_code != 0
    assert reason in result.output and len(result.output.strip().splitlines()) == 1
    assert versions(engine) == []


def test_a_csv_without_name_or_with_an_entry_without_a_name_is_refused_with_rows_named(engine, tmp_path):
    result = load(write_csv(tmp_path / "a.csv", [{"entry_id": "X1", "alias": "Acme"}]))
    assert result.exit_code != 0 and "row 1, name: required column is missing" in result.output
    rows = [{"entry_id": "X1", "name": "Acme"}, {"entry_id": "X2", "name": ""}, {"entry_id": "X1", "name": "Again"}]
    result = load(write_csv(tmp_path / "b.csv", rows))
    assert "row 3, name: missing" in result.output
    assert "row 4, entry_id: the same entry_id as an earlier row" in result.output
    assert versions(engine) == []


def test_an_opensanctions_row_without_a_name_is_refused(engine, tmp_path):
    path = tmp_path / "targets.simple.csv"
    path.write_text(OPENSANCTIONS.replace("Yun Ho-jin", ""), encoding="utf-8")
    result = load(path)
    assert result.exit_code != 0 and "row 3, name: required value is missing" in result.output
    assert versions(engine) == []
