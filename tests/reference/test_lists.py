"""Reference lists: shipped, versioned, replaceable by customs, and used at import."""

from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.cli.main import app
from ftz.ingest import lists
from ftz.reference import service as reference
from ftz.reference.models import ControlCorrelation, ReferenceVersion
from tests.helpers import admission, customs_item, import_customs, import_movements, messages, write_csv

runner = CliRunner()
CONTROL_ROW = {
    "hs_code": "2812.17", "control_code": "1C350", "regime": "CWC", "strength": "CONTROLLED",
    "description": "thionyl chloride", "source": "CWC Annex on Chemicals, Schedule 3", "source_date": "1993-01-13",
}  # fmt: skip


def in_force(engine) -> dict[str, ReferenceVersion]:
    with Session(engine) as session:
        return {v.kind: v for v in reference.get_all_in_force(session)}


def test_the_shipped_lists_are_in_force_on_a_fresh_database_and_every_row_names_its_source(engine):
    versions = in_force(engine)
    assert set(versions) == {"hs", "controls", "destinations", "terms"}
    assert versions["hs"].rows == 6936 and "HS 2022" in versions["hs"].source
    controls = reference.controls(engine)
    assert len(controls) == versions["controls"].rows > 100
    assert controls["source"].str.len().gt(10).all() and controls["source_date"].notna().all()
    assert set(controls["strength"]) == {"CONTROLLED", "MAY_BE_CONTROLLED"}
    assert reference.destinations(engine)["source"].str.len().gt(10).all()


def test_a_new_version_is_put_in_force_and_the_old_one_is_kept(engine, tmp_path):
    before = in_force(engine)["controls"]
    report = lists.load(
        engine,
        kind="controls",
        path=write_csv(tmp_path / "c.csv", [CONTROL_ROW]),
        source="National list 2026/7",
        loaded_by="t",
    )
    assert not report.errors and report.version.rows == 1
    assert in_force(engine)["controls"].id == report.version.id
    assert reference.controls(engine)["control_code"].tolist() == ["1C350"]
    with Session(engine) as session:
        kept = session.execute(select(ControlCorrelation).where(ControlCorrelation.version_id == before.id)).all()
    assert len(kept) == before.rows


def test_a_bad_list_is_refused_row_by_row_and_loads_nothing(engine, tmp_path):
    rows = [
        CONTROL_ROW | {"hs_code": "28121"},
        CONTROL_ROW | {"control_code": "X1", "strength": "MAYBE", "source": ""},
        CONTROL_ROW,
    ]
    count_before = len(in_force(engine))
    report = lists.load(engine, kind="controls", path=write_csv(tmp_path / "c.csv", rows), source="x", loaded_by="t")
    assert messages(report) == [
        'row 2, hs_code: "28121" is not an HS code of 6 to 10 digits',
        'row 3, strength: "MAYBE" is not one of CONTROLLED, MAY_BE_CONTROLLED',
        "row 3, source: missing (required on every row)",
    ]
    assert len(reference.controls(engine)) > 1 and len(in_force(engine)) == count_before


def test_a_doubled_destination_row_is_refused(engine, tmp_path):
    row = {
        "country": "KP",
        "tier": "EMBARGOED",
        "reason": "UN arms embargo",
        "source": "UNSCR 1718",
        "source_date": "2006-10-14",
    }
    report = lists.load(
        engine, kind="destinations", path=write_csv(tmp_path / "d.csv", [row, row]), source="x", loaded_by="t"
    )
    assert messages(report) == ["row 3, country: the same country and reason as an earlier row"]


def test_hs_codes_are_accepted_in_every_form_the_contract_allows(zone_with_operators, tmp_path):
    rows = [
        admission("M1", lot="L1", hs_code="811292"),
        admission("M2", lot="L2", hs_code="8112.92"),
        admission("M3", lot="L3", hs_code="8112 92 00"),
        admission("M4", lot="L4", hs_code="8112920010"),
    ]
    assert import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows)).accepted


def test_a_code_that_is_no_hs_subheading_is_a_row_error(zone_with_operators, tmp_path):
    report = import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", [admission(hs_code="0101.10")]))
    assert messages(report) == [
        'row 2, hs_code: "010110" is not in the HS nomenclature in force (no subheading 010110)'
    ]
    report = import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", [customs_item(hs_code="99999999")]))
    assert messages(report) == [
        'row 2, hs_code: "99999999" is not in the HS nomenclature in force (no subheading 999999)'
    ]


def test_a_zone_may_accept_unknown_codes_with_a_warning(zone_with_operators, tmp_path, monkeypatch):
    from ftz.config import get_settings

    monkeypatch.setenv("FTZ_ZONES", '{"ZFX": {"accept_unknown_hs": true}}')
    get_settings.cache_clear()
    report = import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", [admission(hs_code="0101.10")]))
    assert report.accepted and report.rows_new == 1
    assert [str(w) for w in report.warnings] == [
        'row 2, hs_code: "010110" is not in the HS nomenclature in force (no subheading 010110)'
    ]


def test_lots_show_the_hs_description_and_strategic_basis(zone_with_operators, tmp_path):
    rows = [admission("M1", lot="L1", hs_code="2812.17", control_code=""), admission("M2", lot="L2", hs_code="0810.90")]
    import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows))
    result = runner.invoke(app, ["lots", "--operator", "OP001"])
    assert result.exit_code == 0, result.stderr
    l1, l2 = (line for line in result.stdout.splitlines() if line.startswith("OP001"))
    assert "CORRELATED 1C350" in l1 and "Thionyl" in l1
    assert "CORRELATED" not in l2 and "Fruit" in l2


def test_reference_show_and_load_from_the_command_line(engine, tmp_path):
    result = runner.invoke(app, ["reference", "show"])
    assert result.exit_code == 0 and [line.split()[0] for line in result.stdout.splitlines()[1:]] == [
        "controls", "destinations", "hs", "terms",
    ]  # fmt: skip
    path = write_csv(tmp_path / "c.csv", [CONTROL_ROW])
    result = runner.invoke(app, ["reference", "load", "controls", str(path), "--source", "National list 2026/7"])
    assert result.exit_code == 0 and "rows from National list 2026/7" in result.stdout
    bad = write_csv(tmp_path / "bad.csv", [CONTROL_ROW | {"source_date": "soon"}])
    result = runner.invoke(app, ["reference", "load", "controls", str(bad)])
    assert (
        result.exit_code == 1 and result.stdout == 'row 2, source_date: "soon" is not an ISO 8601 date or date-time\n'
    )


def test_destination_tiers_cover_the_un_arms_embargoes(engine):
    tiers = reference.destinations(engine).groupby("country")["tier"].agg(set)
    assert all("EMBARGOED" in tiers.get(country, set()) for country in ("KP", "LY", "SS"))
