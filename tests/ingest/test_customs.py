"""Importing customs entries: versions kept, zones and operators resolved, conflicts refused."""

from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session, select

from ftz.ingest import service as ingest
from ftz.ledger.models import CustomsEntry
from ftz.zones.models import Operator, Zone
from tests.helpers import (
    admission,
    count,
    customs_item,
    import_customs,
    import_movements,
    messages,
    removal,
    stored,
    write_csv,
)


def test_customs_items_are_stored_with_their_zone_and_operator(zone_with_operators, tmp_path):
    report = import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", [customs_item()]))
    assert report.accepted and report.rows_new == 1
    with Session(zone_with_operators) as session:
        entry = session.exec(select(CustomsEntry)).one()
        operator = session.exec(select(Operator).where(Operator.code == "OP001")).one()
    assert (entry.version, entry.status, entry.operator_id) == (1, "ACCEPTED", operator.id)
    assert entry.quantity == Decimal("1.0005") and entry.unit == "TNE"
    assert entry.lodged_at == datetime(2026, 9, 1, 3, 0, tzinfo=UTC)


def test_an_item_lodged_ahead_of_today_is_kept_with_a_warning(zone_with_operators, tmp_path):
    report = import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", [customs_item(lodged_at="2099-01-05")]))
    assert report.accepted and report.rows_new == 1
    assert [(w.row, w.column) for w in report.warnings] == [(2, "lodged_at")]


def test_an_amendment_is_a_new_version_and_both_are_kept(zone_with_operators, tmp_path):
    import_customs(zone_with_operators, write_csv(tmp_path / "a.csv", [customs_item()]))
    amended = customs_item(version="2", quantity="1.0004")
    assert import_customs(zone_with_operators, write_csv(tmp_path / "b.csv", [amended])).rows_new == 1
    with Session(zone_with_operators) as session:
        versions = {e.version: e.quantity for e in session.exec(select(CustomsEntry))}
    assert versions == {1: Decimal("1.0005"), 2: Decimal("1.0004")}


def test_changing_a_recorded_version_is_refused(zone_with_operators, tmp_path):
    import_customs(zone_with_operators, write_csv(tmp_path / "a.csv", [customs_item()]))
    report = import_customs(zone_with_operators, write_csv(tmp_path / "b.csv", [customs_item(quantity="2")]))
    assert messages(report) == [
        "row 2, version: declaration 26AE0001 item 1 version 1 is already recorded with other content; "
        "send the change as version 2"
    ]


def test_resending_identical_entries_changes_nothing(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "a.csv", [customs_item(), customs_item(item="2", lot_ref="LOT2")])
    import_customs(zone_with_operators, path)
    again = import_customs(zone_with_operators, path)
    assert again.accepted and again.rows_new == 0 and again.rows_unchanged == 2


def test_unknown_zones_and_operators_are_row_errors(zone_with_operators, tmp_path):
    rows = [customs_item(zone_code="ZZZ"), customs_item(item="2", operator_code="OP404")]
    report = import_customs(zone_with_operators, write_csv(tmp_path / "a.csv", rows))
    hint = " (register it first, or import the file with ftz import customs --create-missing)"
    assert messages(report) == [
        'row 2, zone_code: "ZZZ" is not a registered zone' + hint,
        'row 3, operator_code: "OP404" is not a registered operator' + hint,
    ]
    assert stored(zone_with_operators) == (0, 0)


def test_create_missing_registers_zones_and_operators_with_the_entries(zone_with_operators, tmp_path):
    rows = [customs_item(zone_code="ZNEW", operator_code="OP900")]
    assert import_customs(zone_with_operators, write_csv(tmp_path / "a.csv", rows), create_missing=True).accepted
    assert count(zone_with_operators, Zone) == 2 and count(zone_with_operators, Operator) == 4


def test_a_zone_created_from_customs_items_is_in_the_country_they_release_goods_for_home_use(engine, tmp_path):
    from ftz.discrepancies import service as runs
    from ftz.discrepancies.models import Discrepancy

    transit = dict(zone_code="ZNEW", operator_code="OP900", intended_destination="GB", quantity="1000", unit="KGM")
    home = dict(transit, direction="REMOVAL", procedure="HOME_USE", destination_country="AE", origin_country="",
                intended_destination="", lodged_at="2026-09-20T07:00:00")  # fmt: skip
    rows = [customs_item(**transit), customs_item("26RE0001", **home)]
    report, created = ingest.import_customs(engine, source=write_csv(tmp_path / "c.csv", rows), filename="c.csv",
                                            sent_by="test", create_missing=True)  # fmt: skip
    assert report.accepted and "zone ZNEW in AE (where its items release goods for home use)" in created
    moves = [
        admission(customs_ref="26AE0001", quantity="1000", intended_destination="GB"),
        removal(customs_ref="26RE0001", quantity="1000", destination_country="AE", removal_kind="HOME_USE"),
    ]
    assert import_movements(engine, write_csv(tmp_path / "m.csv", moves), operator="OP900").accepted
    runs.run(engine)
    with Session(engine) as session:
        assert session.exec(select(Zone.country).where(Zone.code == "ZNEW")).one() == "AE"
        # released for home use in the zone's own country: no change of the intended destination
        assert session.exec(select(Discrepancy.kind)).all() == []


def test_create_missing_registers_nothing_when_the_file_is_refused(zone_with_operators, tmp_path):
    rows = [customs_item(zone_code="ZNEW", operator_code="OP900", quantity="0")]
    report = import_customs(zone_with_operators, write_csv(tmp_path / "a.csv", rows), create_missing=True)
    assert messages(report) == ["row 2, quantity: must be greater than 0"]
    assert count(zone_with_operators, Zone) == 1 and count(zone_with_operators, Operator) == 3


def test_direction_decides_the_required_country(zone_with_operators, tmp_path):
    rows = [customs_item(origin_country=""), customs_item(item="2", direction="REMOVAL", origin_country="")]
    report = import_customs(zone_with_operators, write_csv(tmp_path / "a.csv", rows))
    assert messages(report) == [
        "row 2, origin_country: missing (required for ADMISSION)",
        "row 3, destination_country: missing (required for REMOVAL)",
    ]


def test_the_same_item_twice_in_a_file_is_refused(zone_with_operators, tmp_path):
    report = import_customs(zone_with_operators, write_csv(tmp_path / "a.csv", [customs_item(), customs_item()]))
    assert messages(report) == ["row 3, declaration_ref: declaration 26AE0001 item 1 version 1 is also on row 2"]


def test_the_sample_zone_imports_without_a_single_error(zone_with_operators):
    from pathlib import Path

    from tests.helpers import import_movements

    sample = Path(__file__).parents[1] / "fixtures" / "zone-sample"
    assert import_customs(zone_with_operators, sample / "customs.csv").rows_new == 892
    for operator, rows in (("OP001", 359), ("OP002", 390), ("OP003", 329)):
        report = import_movements(zone_with_operators, sample / f"movements_{operator}.csv", operator)
        assert report.accepted and report.rows_new == rows, report.errors[:5]
