"""The engine's shortcuts (integer keys, narrow cuts) find what the plain way finds."""

import pandas as pd
import pytest

from reconciliation import codes, ledger, matching, rules
from reconciliation.engine import reconcile
from reconciliation.frames import ENTRY_COLUMNS, MOVEMENT_COLUMNS, checked
from reconciliation.ledger import current, current_entries
from reconciliation.rules import running_balances
from tests.reconciliation.builders import Ledger


def kinds(ledger: Ledger) -> list[tuple[str, str | None]]:
    found = reconcile(ledger.inputs())
    return sorted(zip(found["kind"], found["lot_ref"], strict=True))


def _mixed() -> Ledger:
    """Pairs on both sides, records one side lacks, an item naming no lot, two operators."""
    ledger = Ledger().admit("L1", 100).admit("L2", 50, day=2).remove("L1", 40, day=5)
    ledger.move("ADMISSION", "L3", 10, 3, customs_ref="NOPE")  # no customs item
    ledger.declare("REMOVAL", "RE9", "L2", 20, 6, destination_country="DE")  # no operator record
    ledger.declare("ADMISSION", "AD4", None, 30, 4).move("ADMISSION", "L4", 30, 4, customs_ref="AD4")
    ledger.admit("L1", 70, day=3, ref="AD-OTHER", operator_id=2)
    return ledger


def test_matching_is_the_same_when_the_key_does_not_fit_one_integer(monkeypatch):
    inputs = _mixed().inputs()
    moves = current(checked(inputs.movements, MOVEMENT_COLUMNS, "movements"))
    entries = current_entries(checked(inputs.entries, ENTRY_COLUMNS, "entries"))
    packed = matching.match(moves, entries)
    monkeypatch.setattr(matching, "_packed", lambda ours, theirs: None)
    pd.testing.assert_frame_equal(packed, matching.match(moves, entries))
    assert sorted(packed["side"]) == ["both"] * 5 + ["customs", "operator"]


@pytest.mark.parametrize("path", ["lots ranked", "sorted as texts"])
@pytest.mark.parametrize("order", ["as booked", "shuffled"])
def test_each_lot_of_each_operator_keeps_its_own_running_balance(order, path, monkeypatch):
    if path == "sorted as texts":
        monkeypatch.setattr(rules, "_lot_order", lambda rows, lots: None)
    ledger = Ledger().move("ADMISSION", "L1", 100, 1).move("ADMISSION", "L1", 7, 1, operator_id=2)
    ledger.move("REMOVAL", "L2", 5, 2).move("REMOVAL", "L1", 30, 3).move("ADJUST", "L1", -2, 4, operator_id=2)
    movements = ledger.inputs().movements
    if order == "shuffled":
        movements = movements.sample(frac=1, random_state=3)
    running = running_balances(checked(movements, MOVEMENT_COLUMNS, "movements"))
    got = list(zip(running["operator_id"], running["lot_ref"], running["balance"] // 1_000_000, strict=True))
    assert got == [(1, "L1", 100), (1, "L1", 70), (1, "L2", -5), (2, "L1", 7), (2, "L1", 5)]


@pytest.mark.parametrize("key", ["packed", "too wide to pack"])
def test_a_later_record_of_a_pair_counts_from_when_customs_lodged_it(key, monkeypatch):
    if key == "too wide to pack":  # the matching merges the texts, and the times are looked up again
        monkeypatch.setattr(matching, "_packed", lambda ours, theirs: None)
    # customs admitted 100 on day 2; the operator booked 10 on day 1 and the other 90 only on
    # day 9 (a late record): the 50 removed on day 5 came out of the 100, not out of 10
    ledger = Ledger().declare("ADMISSION", "AD1", "L1", 100, 2)
    ledger.move("ADMISSION", "L1", 10, 1, customs_ref="AD1").move("ADMISSION", "L1", 90, 9, customs_ref="AD1")
    assert kinds(ledger.remove("L1", 50, day=5)) == [("LATE_RECORD", "L1")]  # no negative balance
    booked_once = Ledger().declare("ADMISSION", "AD1", "L1", 100, 2)
    booked_once.move("ADMISSION", "L1", 100, 9, customs_ref="AD1").remove("L1", 50, day=5)
    assert kinds(booked_once) == [("LATE_RECORD", "L1")]


def test_versions_of_items_numbered_too_far_apart_for_one_integer_are_compared_as_texts():
    def amended(item: int) -> Ledger:
        found = Ledger().admit("L1", 100).admit("L2", 100)
        for lot, ref, status in (("L1", "RE1", "ACCEPTED"), ("L2", "RE2", "INVALIDATED")):
            found.declare("REMOVAL", ref, lot, 100, 10, item=item, destination_country="DE", procedure="RE_EXPORT")
            found.move("REMOVAL", lot, 100, 10, customs_ref=ref, destination_country="DE")
            found.declare("REMOVAL", ref, lot, 100, 11, item=item, version=2, destination_country="IR", status=status)
        return found

    assert ledger.item_numbers(amended(2**61).inputs().entries) is None
    # RE1 changed its destination in force; RE2's amendment was invalidated: no removal in force
    expected = [("DESTINATION_CHANGE", "L1"), ("UNDECLARED_REMOVAL", "L2")]
    assert kinds(amended(1)) == expected
    assert kinds(amended(2**61)) == expected


@pytest.mark.parametrize("items", ["each naming its lot", "one naming none"])
def test_a_run_finds_the_same_without_its_lot_and_declaration_numbers(items, monkeypatch):
    # an item naming no lot keys the matching by its own text, which the run did not number
    booked = _mixed() if items == "one naming none" else Ledger().admit("L1", 100).admit("L2", 50, day=2)
    if items == "each naming its lot":
        booked.move("ADMISSION", "L3", 10, 3, customs_ref="NOPE").admit("L1", 70, day=3, ref="AD-OTHER", operator_id=2)
    inputs = booked.remove("L4", 30, day=6, ref="RE4").inputs()
    numbered = reconcile(inputs)
    monkeypatch.setattr(codes, "numbered", lambda moves, entries: (moves, entries))
    pd.testing.assert_frame_equal(numbered, reconcile(inputs))
    found = {"each naming its lot": ("NEGATIVE_BALANCE", "L4"), "one naming none": ("UNRECORDED_REMOVAL", "L2")}
    assert sorted(zip(numbered["kind"], numbered["lot_ref"], strict=True)) == sorted(
        [("UNDECLARED_ADMISSION", "L3"), found[items]]
    )


@pytest.mark.parametrize("path", ["lots ranked", "sorted as texts"])
def test_a_lot_is_weighed_in_the_unit_it_was_first_booked_in(path, monkeypatch):
    if path == "sorted as texts":
        monkeypatch.setattr(rules, "_lot_order", lambda rows, lots: None)
    ledger = Ledger().move("ADMISSION", "L1", 2, 2, unit="TNE").move("ADMISSION", "L1", 500, 1, unit="KGM")
    ledger.move("REMOVAL", "L1", 1, 3, unit="TNE").move("ADMISSION", "L2", 7, 1, unit="LTR")
    movements = ledger.inputs().movements
    running = running_balances(checked(movements, MOVEMENT_COLUMNS, "movements"))
    got = list(zip(running["lot_ref"], running["lot_unit"], running["balance"] // 1_000_000, strict=True))
    assert got == [("L1", "KGM", 500), ("L1", "KGM", 2500), ("L1", "KGM", 1500), ("L2", "LTR", 7)]
