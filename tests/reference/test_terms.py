"""The strategic terms list: shipped (derived from the controls list), versioned, replaceable."""

import csv
import importlib.util
import sqlite3
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.cli.main import app
from ftz.config import get_settings
from ftz.ingest import lists
from ftz.reference import service as reference
from ftz.reference.models import ReferenceVersion, StrategicTerm
from tests.helpers import messages, write_csv

runner = CliRunner()
SHIPPED = Path(__file__).parents[2] / "fixtures" / "reference"
TERM = {"term": "thionyl chloride", "hs_code": "2812.17", "control_code": "1C350", "source": "National list 2026/7"}


def in_force(engine) -> dict[str, ReferenceVersion]:
    with Session(engine) as session:
        return {v.kind: v for v in reference.get_all_in_force(session)}


def load(engine, path: Path, source: str = "National list 2026/7") -> lists.LoadReport:
    return lists.load(engine, kind="terms", path=path, source=source, loaded_by="t")


def rows_of(frame) -> set[tuple[str, str, str]]:
    return set(frame[["term", "hs_code", "control_code"]].itertuples(index=False, name=None))


def test_the_shipped_terms_are_in_force_on_a_fresh_database(engine):
    version = in_force(engine)["terms"]
    terms = reference.terms_in_force(engine)
    assert list(terms.columns) == ["term", "hs_code", "control_code"]
    assert len(terms) == version.rows > 100 and "derived" in version.source
    assert {("thionyl chloride", "281217", "1C350"), ("uranium oxide", "284410", "0C001")} <= rows_of(terms)
    assert {"trimethyl phosphite", "dimethyl methylphosphonate", "sodium cyanide", "gas centrifuge"} <= set(
        terms["term"]
    )


def test_every_shipped_term_points_to_goods_the_shipped_controls_list_correlates_controlled(engine):
    controls = reference.controls(engine)
    controlled = controls.loc[controls["strength"] == "CONTROLLED", ["hs_code", "control_code"]]
    pointed = reference.terms_in_force(engine)[["hs_code", "control_code"]].drop_duplicates()
    unsupported = pointed.merge(controlled, how="left", indicator=True).query("_merge == 'left_only'")
    assert unsupported.empty
    # specification-dependent goods are no terms: their name alone does not make them controlled
    assert {"hydrogen fluoride", "maraging steel"}.isdisjoint(reference.terms_in_force(engine)["term"])


def test_the_shipped_terms_file_is_what_its_script_derives_from_the_shipped_controls_list():
    spec = importlib.util.spec_from_file_location("derive_terms", SHIPPED / "derive_terms.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    controls = script.read_controls(SHIPPED / "controls.csv")
    assert script.problems(controls) == []
    with (SHIPPED / "terms.csv").open(encoding="utf-8", newline="") as file:
        assert list(csv.DictReader(file)) == script.derive(controls)


def test_a_fresh_database_gets_the_terms_list_at_upgrade_and_an_older_one_at_its_next(tmp_path, monkeypatch):
    database = tmp_path / "new.db"
    monkeypatch.setenv("FTZ_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("FTZ_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["db", "upgrade"])
        assert result.exit_code == 0 and "loaded the shipped terms list: 123 rows" in result.stdout
        assert "terms" not in runner.invoke(app, ["db", "upgrade"]).stdout  # loaded once
        with sqlite3.connect(database) as conn:  # as a database upgraded before terms were shipped
            conn.execute("DELETE FROM strategic_term")
            conn.execute("DELETE FROM reference_version WHERE kind = 'terms'")
        result = runner.invoke(app, ["db", "upgrade"])
        loaded = result.stdout.splitlines()[1:]
        assert len(loaded) == 1 and loaded[0].startswith("loaded the shipped terms list: 123 rows")
    finally:
        get_settings.cache_clear()


def test_a_terms_file_is_loaded_as_a_new_version_in_force_and_the_old_one_is_kept(engine, tmp_path):
    shipped = in_force(engine)["terms"]
    rows = [TERM, TERM | {"term": "Uranium oxide", "hs_code": "284410", "control_code": "0C001"}]
    report = load(engine, write_csv(tmp_path / "t.csv", rows))
    assert not report.errors and report.version.rows == 2 and report.version.source == "National list 2026/7"
    assert in_force(engine)["terms"].id == report.version.id
    assert rows_of(reference.terms_in_force(engine)) == {
        ("thionyl chloride", "281217", "1C350"),
        ("Uranium oxide", "284410", "0C001"),
    }
    assert len(reference.terms_in_force(engine, version=shipped.id)) == shipped.rows
    with Session(engine) as session:
        stored = session.execute(select(StrategicTerm).where(StrategicTerm.version_id == report.version.id)).scalars()
        assert {t.source for t in stored} == {"National list 2026/7"}


def test_a_bad_terms_file_is_refused_row_by_row_and_nothing_is_stored(engine, tmp_path):
    rows = [
        TERM,
        TERM | {"term": "", "hs_code": "28121"},
        TERM | {"term": "--", "control_code": "X" * 33, "source": ""},
        TERM | {"term": "Thionyl-Chloride"},
    ]
    before, terms = in_force(engine)["terms"], reference.terms_in_force(engine)
    report = load(engine, write_csv(tmp_path / "t.csv", rows))
    assert messages(report) == [
        "row 3, term: missing (required on every row)",
        'row 3, hs_code: "28121" is not an HS code of 6 to 10 digits',
        "row 4, term: has no letter or digit: it names nothing",
        "row 4, control_code: is longer than 32 characters",
        "row 4, source: missing (required on every row)",
        "row 5, term: the same term and hs_code and control_code as an earlier row",
    ]
    assert report.version is None and in_force(engine)["terms"].id == before.id
    assert rows_of(reference.terms_in_force(engine)) == rows_of(terms)
    with Session(engine) as session:
        assert session.execute(select(StrategicTerm).where(StrategicTerm.version_id > before.id)).first() is None


def test_an_unknown_column_is_named_on_the_header_row(engine, tmp_path):
    report = load(engine, write_csv(tmp_path / "t.csv", [TERM | {"strength": "CONTROLLED"}]))
    assert messages(report) == [
        "row 1, strength: unknown column (the columns are: term, hs_code, control_code, source)"
    ]


def test_terms_are_loaded_and_shown_from_the_command_line(engine, tmp_path):
    path = write_csv(tmp_path / "t.csv", [TERM])
    result = runner.invoke(app, ["reference", "load", "terms", str(path), "--source", "National list 2026/7"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("terms list version ") and "1 rows from National list 2026/7" in result.stdout
    shown = runner.invoke(app, ["reference", "show"]).stdout.splitlines()
    assert [line.split()[0] for line in shown[1:]] == ["controls", "destinations", "hs", "terms"]
    assert "National list 2026/7" in shown[-1]
    bad = write_csv(tmp_path / "bad.csv", [TERM | {"hs_code": "fruit"}])
    result = runner.invoke(app, ["reference", "load", "terms", str(bad), "--source", "x"])
    assert result.exit_code == 1 and result.stdout == 'row 2, hs_code: "fruit" is not an HS code of 6 to 10 digits\n'


@pytest.mark.parametrize("change", ["added", "removed"])
def test_a_new_terms_version_touches_the_terms_it_adds_or_removes(engine, tmp_path, change):
    first = load(engine, write_csv(tmp_path / "a.csv", [TERM])).version.id
    rows = [TERM, TERM | {"term": "sodium cyanide", "hs_code": "283711"}]
    second = load(engine, write_csv(tmp_path / "b.csv", rows)).version.id
    before, after = {"terms": first}, {"terms": second}
    if change == "removed":
        before, after = after, before
    assert rows_of(reference.terms_touched(engine, before=before, after=after)) == {
        ("sodium cyanide", "283711", "1C350")
    }
    assert reference.terms_touched(engine, before=after, after=after).empty
