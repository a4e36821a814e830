"""REMOVAL_UNDER_HOLD: a removal of the held lot within [start, release), and the near misses."""

import pandas as pd

from reconciliation.engine import reconcile
from tests.reconciliation.builders import Ledger, t

KIND = "REMOVAL_UNDER_HOLD"


def under_hold(ledger: Ledger) -> pd.DataFrame:
    found = reconcile(ledger.inputs())
    return found[found["kind"] == KIND].reset_index(drop=True)


def test_a_removal_while_the_hold_is_in_force_names_the_hold_and_who_placed_it():
    found = under_hold(Ledger().admit("L1", 100).hold("L1", t(5)).remove("L1", 100, day=10))
    assert list(found["lot_ref"]) == ["L1"] and found["customs_ref"][0] == "RE-L1-10"
    assert found["facts"][0]["hold"] == {
        "id": 1, "starts_at": "2026-09-05T08:00:00Z", "released_at": None, "placed_by": "auditor1",
    }  # fmt: skip
    assert "placed by auditor1" in found["expected_from"][0]
    assert (found["expected"][0], found["found"][0], found["unit"][0]) == (0, 100_000_000, "KGM")


def test_a_hold_released_before_the_removal_raises_nothing():
    assert under_hold(Ledger().admit("L1", 100).hold("L1", t(5), t(8)).remove("L1", 100, day=10)).empty


def test_a_removal_at_exactly_the_release_moment_raises_nothing():
    # the customs item is lodged at 07:00 on the 10th: the removal's moment
    assert under_hold(Ledger().admit("L1", 100).hold("L1", t(5), t(10, 7)).remove("L1", 100, day=10)).empty


def test_a_removal_at_exactly_the_start_of_the_hold_is_a_finding():
    assert len(under_hold(Ledger().admit("L1", 100).hold("L1", t(10, 7)).remove("L1", 100, day=10))) == 1


def test_a_removal_before_the_hold_raises_nothing():
    # customs lodged at 07:00, the operator booked it out at 08:00: both before the hold
    assert under_hold(Ledger().admit("L1", 100).hold("L1", t(10, 9)).remove("L1", 100, day=10)).empty


def test_goods_declared_before_the_hold_and_booked_out_after_it_left_a_held_lot():
    ledger = Ledger().admit("L1", 100).hold("L1", t(10, 12))
    ledger.declare("REMOVAL", "RE-1", "L1", 100, 10, destination_country="DE", procedure="RE_EXPORT")
    found = under_hold(ledger.move("REMOVAL", "L1", 100, 11, customs_ref="RE-1", destination_country="DE"))
    assert list(found["customs_ref"]) == ["RE-1"] and found["facts"][0]["removal"]["at"] == "2026-09-10T07:00:00Z"


def test_an_operator_removal_no_customs_item_covers_counts_at_its_own_time():
    ledger = Ledger().admit("L1", 100).hold("L1", t(5)).move("REMOVAL", "L1", 100, 10, destination_country="DE")
    found = under_hold(ledger)
    assert len(found) == 1 and found["found_from"][0].startswith("operator's records M")


def test_a_lot_made_from_the_held_lot_is_not_held():
    ledger = Ledger().admit("L1", 100).move("CONSUME", "L1", 100, 3, process_ref="P1")
    ledger.move("PRODUCE", "L2", 100, 4, process_ref="P1").hold("L1", t(5)).remove("L2", 100, day=10)
    assert under_hold(ledger).empty


def test_a_hold_on_another_lot_or_operator_raises_nothing():
    ledger = Ledger().admit("L1", 100).hold("L9", t(5)).remove("L1", 100, day=10)
    ledger.holds.append(ledger.holds[0] | {"hold_id": 2, "operator_id": 2, "lot_ref": "L1"})
    assert under_hold(ledger).empty


def test_each_removal_under_the_hold_is_its_own_finding():
    ledger = Ledger().admit("L1", 100).hold("L1", t(5)).remove("L1", 40, day=10).remove("L1", 60, day=11)
    assert sorted(under_hold(ledger)["customs_ref"]) == ["RE-L1-10", "RE-L1-11"]


def test_a_strategic_removal_under_hold_is_at_least_high():
    ledger = Ledger().admit("V1", 100, hs="8112920000").hold("V1", t(5))
    found = under_hold(ledger.remove("V1", 100, day=10, hs="8112920000", licence="EL-1"))
    assert bool(found["strategic"][0]) and found["severity"][0] in ("HIGH", "CRITICAL")
