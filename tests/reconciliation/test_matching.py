"""Customs items that name no lot, held against the operator's lots of their declaration."""

from reconciliation.engine import reconcile
from tests.reconciliation.builders import Ledger


def _kinds(ledger: Ledger) -> list[tuple[str, str | None]]:
    found = reconcile(ledger.inputs())
    return sorted(zip(found["kind"], found["lot_ref"], strict=True))


def test_one_item_without_a_lot_covering_two_lots_raises_nothing():
    ledger = Ledger().declare("ADMISSION", "AD-1", None, 1000, 1, hs="08109000", origin_country="KR")
    ledger.move("ADMISSION", "LOT-A", 600, 1, customs_ref="AD-1").move("ADMISSION", "LOT-B", 400, 1, customs_ref="AD-1")
    assert _kinds(ledger) == []


def test_two_items_without_a_lot_covering_one_lot_raise_nothing():
    ledger = Ledger().declare("ADMISSION", "AD-1", None, 600, 1, hs="08109000", origin_country="KR")
    ledger.declare("ADMISSION", "AD-1", None, 400, 1, item=2, hs="08109000", origin_country="KR")
    ledger.move("ADMISSION", "LOT-A", 1000, 1, customs_ref="AD-1")
    assert _kinds(ledger) == []


def test_a_removal_item_without_a_lot_covering_two_lots_raises_nothing():
    ledger = Ledger().admit("LOT-A", 600).admit("LOT-B", 400)
    ledger.declare("REMOVAL", "RE-1", None, 1000, 10, hs="08109000", destination_country="DE", procedure="RE_EXPORT")
    for lot, qty in (("LOT-A", 600), ("LOT-B", 400)):
        ledger.move("REMOVAL", lot, qty, 10, customs_ref="RE-1", destination_country="DE")
    assert _kinds(ledger) == []


def test_lots_adding_up_within_tolerance_raise_nothing():
    ledger = Ledger().declare("ADMISSION", "AD-1", None, 1000, 1, hs="08109000", origin_country="KR")
    ledger.move("ADMISSION", "LOT-A", 600, 1, customs_ref="AD-1")
    ledger.move("ADMISSION", "LOT-B", 400.3, 1, customs_ref="AD-1")
    assert _kinds(ledger) == []


def test_lots_falling_short_of_the_item_are_still_a_discrepancy():
    ledger = Ledger().declare("ADMISSION", "AD-1", None, 1000, 1, hs="08109000", origin_country="KR")
    ledger.move("ADMISSION", "LOT-A", 600, 1, customs_ref="AD-1").move("ADMISSION", "LOT-B", 300, 1, customs_ref="AD-1")
    assert _kinds(ledger) != []


def test_an_item_without_a_lot_paired_exactly_keeps_its_own_lot():
    """Two items and two lots of equal quantities pair one to one: the strategic item marks its own lot."""
    ledger = Ledger().declare("ADMISSION", "AD-1", None, 600, 1, hs="81129200", origin_country="KR")
    ledger.declare("ADMISSION", "AD-1", None, 400, 1, item=2, hs="81129900", origin_country="KR")
    ledger.move("ADMISSION", "LOT-A", 600, 1, customs_ref="AD-1", hs="8112920000")
    ledger.move("ADMISSION", "LOT-B", 400, 1, customs_ref="AD-1", hs="8112990000")
    ledger.remove("LOT-A", 600, to="DE").remove("LOT-B", 400, to="DE")
    found = reconcile(ledger.inputs())
    assert set(found.loc[found["strategic"], "lot_ref"]) == {"LOT-A"}
