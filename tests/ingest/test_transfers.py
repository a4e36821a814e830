"""Customs entries and movements that link zones: destination_zone and previous_ref checked,
stored, and an unknown previous declaration kept with a warning."""

from sqlmodel import Session, select

from ftz.discrepancies.models import Discrepancy
from ftz.ledger.models import CustomsEntry, Movement
from ftz.zones import service as zones
from ftz.zones.models import Zone, ZoneBase
from tests.helpers import (
    admission,
    count,
    customs_item,
    import_customs,
    import_movements,
    messages,
    removal,
    write_csv,
)  # fmt: skip


def _second_zone(engine) -> None:
    with Session(engine) as session:
        zones.create_zone(session, zone_in=ZoneBase(code="ZFY", name="Zone Y", country="OM", timezone=""))
        session.commit()


def transfer(ref: str = "26AE0002", **fields: str) -> dict[str, str]:
    """A TRANSFER removal out of ZFX to ZFY."""
    row = customs_item(ref, direction="REMOVAL", procedure="TRANSFER", destination_country="OM",
                       destination_zone="ZFY", origin_country="")  # fmt: skip
    return row | fields


def test_a_transfer_and_its_arrival_are_stored_with_their_links(zone_with_operators, tmp_path):
    _second_zone(zone_with_operators)
    rows = [customs_item(), transfer(destination_zone="zfy"), customs_item("26OM0001", zone_code="ZFX",
            previous_ref="26AE0002", lot_ref="LOT9")]  # fmt: skip
    report = import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", rows))
    assert report.accepted and report.warnings == []
    with Session(zone_with_operators) as session:
        items = {e.declaration_ref: e for e in session.exec(select(CustomsEntry))}
    assert items["26AE0002"].destination_zone == "ZFY" and items["26OM0001"].previous_ref == "26AE0002"


def test_a_transfer_to_a_zone_ftz_does_not_know_is_kept_with_a_warning(zone_with_operators, tmp_path):
    rows = [customs_item(), transfer(destination_zone="ZQQ")]
    report = import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", rows), create_missing=True)
    assert report.accepted and report.rows_new == 2
    assert [(w.row, w.column) for w in report.warnings] == [(3, "destination_zone")]
    assert '"ZQQ" is not a zone ftz knows' in report.warnings[0].message
    assert count(zone_with_operators, Zone) == 1  # --create-missing registers no receiving zone


def test_goods_transferred_to_a_zone_ftz_does_not_know_are_awaited_nowhere(zone_with_operators, tmp_path):
    from ftz.discrepancies import service as runs

    _second_zone(zone_with_operators)
    rows = [customs_item(), transfer("26AE0002", destination_zone="ZFY", quantity="0.5"),
            transfer("26AE0003", destination_zone="ZQQ", quantity="0.5")]  # fmt: skip
    assert import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", rows)).accepted
    runs.run(zone_with_operators)  # months after the transfers: both are overdue
    with Session(zone_with_operators) as session:
        awaited = session.exec(select(Discrepancy.customs_ref).where(Discrepancy.kind == "TRANSFER_NOT_ARRIVED"))
        assert awaited.all() == ["26AE0002"]


def test_a_transfer_to_its_own_zone_is_a_row_error(zone_with_operators, tmp_path):
    report = import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", [transfer(destination_zone="ZFX")]))
    assert messages(report) == ["row 2, destination_zone: a transfer goes to another zone than its own (zone_code)"]


def test_a_previous_ref_on_a_removal_is_a_row_error(zone_with_operators, tmp_path):
    _second_zone(zone_with_operators)
    report = import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", [transfer(previous_ref="26AE0001")]))
    assert messages(report) == ["row 2, previous_ref: only an admission (direction ADMISSION) continues a declaration"]


def test_a_previous_ref_naming_no_known_declaration_is_kept_with_a_warning(zone_with_operators, tmp_path):
    report = import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", [customs_item(previous_ref="99XX1")]))
    assert report.accepted and report.rows_new == 1
    assert [(w.row, w.column) for w in report.warnings] == [(2, "previous_ref")]
    assert "99XX1" in report.warnings[0].message


def test_a_previous_ref_naming_a_declaration_stored_earlier_raises_no_warning(zone_with_operators, tmp_path):
    _second_zone(zone_with_operators)
    import_customs(zone_with_operators, write_csv(tmp_path / "a.csv", [customs_item(), transfer()]))
    later = import_customs(zone_with_operators, write_csv(tmp_path / "b.csv", [customs_item("26AE0003",
                           previous_ref="26AE0002", lot_ref="LOT9")]))  # fmt: skip
    assert later.accepted and later.warnings == []


def test_an_operator_admission_may_name_the_transfer_it_continues(zone_with_operators, tmp_path):
    rows = [admission(previous_ref="26AE0002"), removal()]
    assert import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows)).accepted
    with Session(zone_with_operators) as session:
        moves = {m.movement_ref: m.previous_ref for m in session.exec(select(Movement))}
    assert moves == {"M1": "26AE0002", "M2": None}


def test_an_operator_removal_naming_a_previous_ref_is_a_row_error(zone_with_operators, tmp_path):
    report = import_movements(
        zone_with_operators, write_csv(tmp_path / "m.csv", [admission(), removal(previous_ref="X")])
    )
    assert messages(report) == ["row 3, previous_ref: only an ADMISSION continues a transfer from another zone"]
