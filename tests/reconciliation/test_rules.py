"""Each rule on the smallest ledger that shows it, and the near miss that must not trigger it."""

from reconciliation.engine import reconcile
from tests.reconciliation.builders import Ledger


def kinds(ledger: Ledger) -> list[tuple[str, str | None]]:
    found = reconcile(ledger.inputs())
    return sorted(zip(found["kind"], found["lot_ref"], strict=True))


def test_a_consistent_ledger_raises_nothing():
    ledger = Ledger().admit("L1", 1000).remove("L1", 400, day=5).remove("L1", 600, day=9).count("L1", 0, day=12)
    assert kinds(ledger) == []


def test_unrecorded_admission_and_its_near_miss():
    ledger = Ledger().declare("ADMISSION", "AD1", "L1", 100, 1)
    assert kinds(ledger) == [("UNRECORDED_ADMISSION", "L1")]
    assert kinds(Ledger().admit("L1", 100)) == []


def test_undeclared_admission():
    assert kinds(Ledger().move("ADMISSION", "L1", 100, 1, customs_ref="NOPE")) == [("UNDECLARED_ADMISSION", "L1")]


def test_undeclared_removal():
    ledger = Ledger().admit("L1", 100).move("REMOVAL", "L1", 100, 5, customs_ref="NOPE", destination_country="DE")
    assert kinds(ledger) == [("UNDECLARED_REMOVAL", "L1")]


def test_unrecorded_removal():
    ledger = Ledger().admit("L1", 100).declare("REMOVAL", "RE1", "L1", 100, 5, destination_country="DE")
    assert kinds(ledger) == [("UNRECORDED_REMOVAL", "L1")]


def test_quantity_mismatch_beyond_half_a_percent_but_not_within():
    ledger = Ledger().declare("ADMISSION", "AD1", "L1", 1000, 1).move("ADMISSION", "L1", 990, 1, customs_ref="AD1")
    assert kinds(ledger) == [("QUANTITY_MISMATCH", "L1")]
    near = Ledger().declare("ADMISSION", "AD1", "L1", 1000, 1).move("ADMISSION", "L1", 996, 1, customs_ref="AD1")
    assert kinds(near) == []


def test_tonnes_against_kilograms_are_the_same_quantity():
    ledger = (
        Ledger()
        .declare("ADMISSION", "AD1", "L1", 1.0005, 1, unit="TNE")
        .move("ADMISSION", "L1", 1000.5, 1, customs_ref="AD1")
    )
    assert kinds(ledger) == []


def test_pieces_must_match_exactly():
    ledger = (
        Ledger()
        .declare("ADMISSION", "AD1", "L1", 60, 1, unit="NAR")
        .move("ADMISSION", "L1", 59, 1, unit="NAR", customs_ref="AD1")
    )
    assert kinds(ledger) == [("QUANTITY_MISMATCH", "L1")]


def test_classification_mismatch_between_the_two_sides():
    ledger = (
        Ledger()
        .declare("ADMISSION", "AD1", "L1", 100, 1, hs="72085100")
        .move("ADMISSION", "L1", 100, 1, customs_ref="AD1", hs="7208520000")
    )
    assert kinds(ledger) == [("CLASSIFICATION_MISMATCH", "L1")]
    same_subheading = (
        Ledger()
        .declare("ADMISSION", "AD1", "L1", 100, 1, hs="72085100")
        .move("ADMISSION", "L1", 100, 1, customs_ref="AD1", hs="7208519000")
    )
    assert kinds(same_subheading) == []


def test_a_strategic_lot_leaving_under_an_ordinary_code_is_a_classification_mismatch():
    ledger = Ledger().admit("V1", 500, hs="8112920000").remove("V1", 500, hs="0810900000", licence="EL-1")
    found = reconcile(ledger.inputs())
    assert list(found["kind"]) == ["CLASSIFICATION_MISMATCH"] and bool(found["strategic"].iloc[0])
    assert found["severity"].iloc[0] in ("HIGH", "CRITICAL")


def test_destination_change_between_operator_and_customs():
    ledger = Ledger().admit("L1", 100)
    ledger.declare("REMOVAL", "RE1", "L1", 100, 5, destination_country="KP")
    ledger.move("REMOVAL", "L1", 100, 5, customs_ref="RE1", destination_country="DE")
    assert kinds(ledger) == [("DESTINATION_CHANGE", "L1")]


def test_intended_destination_changed_but_home_use_in_the_zone_is_no_change():
    moved = Ledger().admit("L1", 100, intended_destination="OM").remove("L1", 100, to="IR")
    assert kinds(moved) == [("DESTINATION_CHANGE", "L1")]
    home = Ledger().admit("L1", 100, intended_destination="OM").remove("L1", 100, to="AE")
    assert kinds(home) == []


def test_destination_changed_between_versions_of_a_declaration():
    ledger = Ledger().admit("L1", 100).remove("L1", 100, to="DE", ref="RE1")
    ledger.declare("REMOVAL", "RE1", "L1", 100, 11, version=2, destination_country="IR")
    found = kinds(ledger)
    assert ("DESTINATION_CHANGE", "L1") in found and len(found) == 1


def test_negative_balance_when_more_leaves_than_entered():
    assert kinds(Ledger().admit("L1", 100).remove("L1", 150)) == [("NEGATIVE_BALANCE", "L1")]
    assert kinds(Ledger().admit("L1", 100).remove("L1", 100.2)) == []  # within the 0.5 kg rounding


def test_stock_shortage_and_overage_at_a_count():
    assert kinds(Ledger().admit("L1", 100).count("L1", 80, day=3)) == [("STOCK_SHORTAGE", "L1")]
    assert kinds(Ledger().admit("L1", 100).count("L1", 120, day=3)) == [("STOCK_OVERAGE", "L1")]
    assert kinds(Ledger().admit("L1", 100).count("L1", 100.3, day=3)) == []


def test_a_count_of_a_lot_nothing_was_booked_on_finds_goods_beyond_a_balance_of_nothing():
    found = reconcile(Ledger().count("L9", 500, day=5).inputs())
    assert list(zip(found["kind"], found["lot_ref"], found["expected"], found["found"], strict=True)) == [
        ("STOCK_OVERAGE", "L9", 0, 500_000_000)
    ]


def test_a_count_is_held_against_the_balance_at_its_own_time():
    ledger = Ledger().admit("L1", 100).count("L1", 100, day=3).remove("L1", 60, day=5).count("L1", 40, day=6)
    assert kinds(ledger) == []


def test_processing_loss_beyond_two_percent():
    ledger = Ledger().admit("A", 1000).admit("B", 200)
    ledger.move("CONSUME", "A", 1000, 3, process_ref="P1").move("CONSUME", "B", 200, 3, process_ref="P1")
    ledger.move("PRODUCE", "C", 1100, 4, process_ref="P1")
    assert kinds(ledger) == [("PROCESSING_LOSS", "A")]  # named by its largest input
    ledger.move("PRODUCE", "W", 90, 4, process_ref="P1").move("DESTROY", "W", 90, 5)
    assert kinds(ledger) == []


def test_late_record_beyond_five_days():
    ledger = Ledger().declare("ADMISSION", "AD1", "L1", 100, 1).move("ADMISSION", "L1", 100, 9, customs_ref="AD1")
    assert kinds(ledger) == [("LATE_RECORD", "L1")]
    timely = Ledger().declare("ADMISSION", "AD1", "L1", 100, 1).move("ADMISSION", "L1", 100, 4, customs_ref="AD1")
    assert kinds(timely) == []


def test_a_part_booked_long_after_the_declaration_is_late_though_the_first_part_was_not():
    ledger = Ledger().declare("ADMISSION", "AD1", "L1", 100, 1)
    ledger.move("ADMISSION", "L1", 50, 1, customs_ref="AD1").move("ADMISSION", "L1", 50, 9, customs_ref="AD1")
    assert kinds(ledger) == [("LATE_RECORD", "L1")]


def test_a_customs_item_without_lot_matches_by_declaration_heading_and_quantity():
    ledger = (
        Ledger()
        .declare("ADMISSION", "AD1", None, 100, 1, item=1)
        .declare("ADMISSION", "AD1", None, 50, 1, item=2, hs="72085100")
    )
    ledger.move("ADMISSION", "L1", 100, 1, customs_ref="AD1").move(
        "ADMISSION", "L2", 50, 1, customs_ref="AD1", hs="7208510000"
    )
    assert kinds(ledger) == []


def test_goods_declared_without_lot_under_another_heading_are_a_classification_mismatch():
    ledger = Ledger().declare("ADMISSION", "AD1", None, 100, 1, hs="28441000")  # uranium compounds, no lot
    ledger.move("ADMISSION", "L1", 100, 1, customs_ref="AD1")  # booked as fruit under the same declaration
    assert kinds(ledger) == [("CLASSIFICATION_MISMATCH", "L1")]


def test_an_item_naming_another_lot_is_not_paired_across_headings():
    ledger = Ledger().declare("ADMISSION", "AD1", "L2", 100, 1, hs="28441000")
    ledger.move("ADMISSION", "L1", 100, 1, customs_ref="AD1")
    assert sorted(kinds(ledger)) == [("UNDECLARED_ADMISSION", "L1"), ("UNRECORDED_ADMISSION", "L2")]


def test_an_invalidated_declaration_never_matches():
    ledger = (
        Ledger()
        .declare("ADMISSION", "AD1", "L1", 100, 1, status="INVALIDATED")
        .move("ADMISSION", "L1", 100, 1, customs_ref="AD1")
    )
    assert kinds(ledger) == [("UNDECLARED_ADMISSION", "L1")]


def test_strategic_findings_are_never_below_high():
    found = reconcile(Ledger().declare("ADMISSION", "AD1", "V1", 1, 1, hs="81129200").inputs())
    assert bool(found["strategic"].iloc[0]) and found["severity"].iloc[0] in ("HIGH", "CRITICAL")
    assert dict(found["components"].iloc[0])["strategic goods"] == 35


def test_a_processing_loss_is_named_by_the_lot_that_gave_the_most_in_all():
    ledger = Ledger().admit("A", 120).admit("B", 100)
    ledger.move("CONSUME", "A", 60, 3, process_ref="P1").move("CONSUME", "A", 60, 3, process_ref="P1")
    ledger.move("CONSUME", "B", 100, 3, process_ref="P1").move("PRODUCE", "OUT", 100, 4, process_ref="P1")
    assert kinds(ledger) == [("PROCESSING_LOSS", "A")]  # A gave 120 in two batches, B 100 at once


def test_waste_produced_as_a_lot_and_destroyed_under_the_process_counts_once():
    ledger = Ledger().admit("S", 100).move("CONSUME", "S", 100, 3, process_ref="P")
    ledger.move("PRODUCE", "O", 70, 4, process_ref="P").move("PRODUCE", "W", 15, 4, process_ref="P")
    ledger.move("DESTROY", "W", 15, 5, process_ref="P")
    assert kinds(ledger) == [("PROCESSING_LOSS", "S")]  # 85 of 100 accounted for, not 100


def test_a_customs_item_naming_another_lot_marks_the_goods_it_was_matched_to():
    # customs declared vanadium (1C202) for lot X-1; the operator booked the same goods as lot X
    ledger = Ledger().declare("ADMISSION", "AD1", "X-1", 100, 1, hs="81129200", origin_country="KR")
    ledger.move("ADMISSION", "X", 100, 1, customs_ref="AD1", hs="8112990000")
    found = reconcile(ledger.inputs())
    mismatch = found[found["kind"] == "CLASSIFICATION_MISMATCH"]
    assert list(mismatch["lot_ref"]) == ["X"] and bool(mismatch["strategic"].item())
    assert mismatch["severity"].item() in ("HIGH", "CRITICAL")


def test_an_unrecorded_item_without_lot_is_judged_by_its_own_goods_not_its_declarations_other_lots():
    ledger = Ledger().declare("ADMISSION", "AD1", None, 50, 1, item=1, hs="08109000")  # fruit, never booked
    ledger.declare("ADMISSION", "AD1", "L2", 10, 1, item=2, hs="81129200")  # vanadium, booked as lot L2
    ledger.move("ADMISSION", "L2", 10, 1, customs_ref="AD1", hs="8112920000")
    found = reconcile(ledger.inputs())
    unrecorded = found[found["kind"] == "UNRECORDED_ADMISSION"]
    assert len(unrecorded) == 1 and not bool(unrecorded["strategic"].item())
