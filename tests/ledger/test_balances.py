"""Book balances, from movements imported the way operators send them."""

from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session, select

from ftz.auth.scope import SYSTEM
from ftz.discrepancies import service
from ftz.discrepancies.models import Discrepancy
from ftz.ledger import lots
from ftz.ledger.service import get_lot_balances
from tests.helpers import admission, customs_item, import_customs, import_movements, removal, write_csv


def balance(engine, lot: str = "LOT1", as_of: datetime | None = None) -> tuple[Decimal, str]:
    frame = get_lot_balances(engine, as_of=as_of)
    row = frame[frame["lot_ref"] == lot].iloc[0]
    return row["balance"], row["unit"]


def test_balance_is_moves_in_minus_moves_out(zone_with_operators, tmp_path):
    rows = [
        admission(quantity="1000"),
        removal("R1", quantity="250.5"),
        admission("C1", movement_type="CONSUME", quantity="100", process_ref="P1", occurred_at="2026-09-21"),
        admission("D1", movement_type="DESTROY", quantity="9.5", occurred_at="2026-09-22"),
        admission("A1", movement_type="ADJUST", quantity="-40", note="spillage", occurred_at="2026-09-23"),
        admission("O1", movement_type="OWNERSHIP", quantity="600", counterparty="Buyer", occurred_at="2026-09-24"),
        admission("K1", movement_type="COUNT", quantity="600", occurred_at="2026-09-25"),
    ]
    import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows))
    assert balance(zone_with_operators) == (Decimal("600"), "KGM")


def test_quantities_in_other_units_of_the_dimension_are_converted_exactly(zone_with_operators, tmp_path):
    rows = [admission(quantity="2"), removal(quantity="0.000333", unit="TNE"), removal("R2", quantity="1", unit="GRM")]
    import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows))
    assert balance(zone_with_operators) == (Decimal("1.666"), "KGM")


def test_a_correction_replaces_what_it_corrects(zone_with_operators, tmp_path):
    import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [admission(quantity="10000"), removal()]))
    import_movements(
        zone_with_operators, write_csv(tmp_path / "b.csv", [admission("M1b", quantity="1000", corrects_ref="M1")])
    )
    assert balance(zone_with_operators) == (Decimal("600"), "KGM")


def test_balance_at_a_moment_counts_only_what_happened_before(zone_with_operators, tmp_path):
    import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [admission(quantity="1000"), removal()]))
    assert balance(zone_with_operators, as_of=datetime(2026, 9, 10, tzinfo=UTC)) == (Decimal("1000"), "KGM")


def test_more_out_than_in_is_a_negative_balance(zone_with_operators, tmp_path):
    import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [admission(quantity="100"), removal()]))
    assert balance(zone_with_operators) == (Decimal("-300"), "KGM")


def test_only_the_latest_accepted_version_of_a_customs_item_is_in_force(zone_with_operators, tmp_path):
    from ftz.ledger.service import customs_frame
    from tests.helpers import customs_item, import_customs

    rows = [
        customs_item("D1"),
        customs_item("D1", version="2", quantity="1.0004"),
        customs_item("D2", lot_ref="LOT2"),
        customs_item("D2", version="2", lot_ref="LOT2", status="INVALIDATED"),
        customs_item("D3", lot_ref="LOT3", status="INVALIDATED"),
    ]
    assert import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", rows)).accepted
    in_force = customs_frame(zone_with_operators)
    assert in_force[["declaration_ref", "version", "quantity"]].values.tolist() == [["D1", 2, 1_000_400]]
    assert len(customs_frame(zone_with_operators, current_only=False)) == 5


def test_the_lot_page_and_the_engine_agree_on_strategic_status_from_an_item_that_names_no_lot(
    zone_with_operators, tmp_path
):
    """Customs declares the control code on an item without a lot: matched by declaration and
    heading, it makes the operator's lot strategic, on the lot page as in a run."""
    rows = [admission(hs_code="0810.90", quantity="1000"), removal(hs_code="0810.90", quantity="1000")]
    import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows))
    items = [
        customs_item(lot_ref="", hs_code="08109000", quantity="1000", unit="KGM", control_code="1C350"),
        customs_item("26AE0002", direction="REMOVAL", lot_ref="LOT1", hs_code="08109000", quantity="900",
                     unit="KGM", origin_country="", destination_country="DE", lodged_at="2026-09-20T07:00:00"),
    ]  # fmt: skip
    assert import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", items)).accepted
    page = lots.get_history(zone_with_operators, caller=SYSTEM, operator_code="OP001", lot_ref="LOT1")
    assert page.lot.strategic and page.lot.control_codes == ["1C350"]
    service.run(zone_with_operators)
    with Session(zone_with_operators) as session:
        finding = session.execute(select(Discrepancy)).scalars().first()
    assert finding is not None and finding.strategic and finding.control_codes == "1C350"
