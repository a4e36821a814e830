"""The issue's cases through the import path: strategic goods written off the books, with and
without customs, raise WRITE_OFF (HIGH or above); a supervised destruction raises nothing."""

import pytest
from sqlmodel import Session, select

from ftz.discrepancies import service
from ftz.discrepancies.models import Discrepancy
from tests.helpers import admission, customs_item, import_customs, import_movements, write_csv


def found(engine) -> list[tuple[str, str, bool, str]]:
    with Session(engine) as session:
        rows = session.execute(select(Discrepancy).order_by(Discrepancy.lot_ref)).scalars()
        return [(d.kind, d.lot_ref, d.strategic, d.severity) for d in rows]


def admitted(lot: str, ref: str, hs: str, quantity: str) -> tuple[dict, dict]:
    """An admission booked and declared, consistently."""
    return (
        admission(f"IN-{lot}", lot=lot, customs_ref=ref, hs_code=hs, quantity=quantity, description=""),
        customs_item(ref, lot_ref=lot, hs_code=hs.replace(".", ""), quantity=quantity, unit="KGM"),
    )


def test_uranium_adjusted_to_nothing_and_thionyl_chloride_destroyed_unseen_are_write_offs(
    zone_with_operators, tmp_path
):
    uranium, uranium_item = admitted("U1", "26AE0000001", "2844.10", "500")
    thionyl, thionyl_item = admitted("T1", "26AE0000002", "2812.17", "800")
    assert import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", [uranium_item, thionyl_item])).accepted
    rows = [
        uranium,
        thionyl,
        admission("A1", lot="U1", movement_type="ADJUST", quantity="-500", note="spillage", customs_ref="",
                  occurred_at="2026-09-05", hs_code="2844.10"),
        admission("K1", lot="U1", movement_type="COUNT", quantity="0", customs_ref="", occurred_at="2026-09-06",
                  hs_code="2844.10"),
        admission("D1", lot="T1", movement_type="DESTROY", quantity="800", customs_ref="", occurred_at="2026-09-07",
                  hs_code="2812.17"),
    ]  # fmt: skip
    assert import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows)).accepted
    service.run(zone_with_operators, full=True)
    result = found(zone_with_operators)
    assert [(kind, lot, strategic) for kind, lot, strategic, _ in result] == [
        ("WRITE_OFF", "T1", True),
        ("WRITE_OFF", "U1", True),
    ]
    assert {severity for *_, severity in result} <= {"HIGH", "CRITICAL"}


@pytest.mark.parametrize("country", ["AE", ""])  # a destruction goes nowhere: its destination may be left empty
def test_a_destruction_under_a_customs_destruction_item_raises_nothing(zone_with_operators, tmp_path, country):
    thionyl, thionyl_item = admitted("T1", "26AE0000002", "2812.17", "800")
    destruction = customs_item("26DX0000001", direction="REMOVAL", procedure="DESTRUCTION", lot_ref="T1",
                               hs_code="28121700", quantity="800", unit="KGM", origin_country="",
                               destination_country=country, lodged_at="2026-09-07T07:00:00")  # fmt: skip
    assert import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", [thionyl_item, destruction])).accepted
    destroyed = admission("D1", lot="T1", movement_type="DESTROY", quantity="800", customs_ref="26DX0000001",
                          occurred_at="2026-09-07T09:00:00", hs_code="2812.17")  # fmt: skip
    assert import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", [thionyl, destroyed])).accepted
    service.run(zone_with_operators, full=True)
    assert found(zone_with_operators) == []


def test_destruction_is_a_procedure_of_removals_only(zone_with_operators, tmp_path):
    item = customs_item("26AE0000009", procedure="DESTRUCTION")
    report = import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", [item]))
    assert not report.accepted
    assert [str(e) for e in report.errors] == [
        "row 2, procedure: DESTRUCTION is the procedure of a removal (direction REMOVAL)"
    ]
