"""Customs items that name no lot, held against the operator's lots of their declaration."""

from reconciliation.engine import reconcile
from tests.reconciliation.builders import Ledger


def test_an_item_without_a_lot_paired_exactly_keeps_its_own_lot():
    """Two items and two lots of equal quantities pair one to one: the strategic item marks its own lot."""
    ledger = Ledger().declare("ADMISSION", "AD-1", None, 600, 1, hs="81129200", origin_country="KR")
    ledger.declare("ADMISSION", "AD-1", None, 400, 1, item=2, hs="81129900", origin_country="KR")
    ledger.move("ADMISSION", "LOT-A", 600, 1, customs_ref="AD-1", hs="8112920000")
    ledger.move("ADMISSION", "LOT-B", 400, 1, customs_ref="AD-1", hs="8112990000")
    ledger.remove("LOT-A", 600, to="DE").remove("LOT-B", 400, to="DE")
    found = reconcile(ledger.inputs())
    assert set(found.loc[found["strategic"], "lot_ref"]) == {"LOT-A"}


def test_a_strategic_lot_beside_another_under_one_removal_item_is_still_raised():
    """One removal item naming no lot cannot hide the strategic lot it was not paired with."""
    ledger = Ledger().admit("LOT-A", 600).admit("LOT-B", 400, control_code="1C202")
    ledger.declare("REMOVAL", "RE-1", None, 1000, 10, hs="08109000", destination_country="DE", procedure="RE_EXPORT")
    for lot, qty in (("LOT-A", 600), ("LOT-B", 400)):
        ledger.move("REMOVAL", lot, qty, 10, customs_ref="RE-1", destination_country="DE")
    found = reconcile(ledger.inputs())
    assert "LOT-B" in set(found.loc[found["strategic"], "lot_ref"])
