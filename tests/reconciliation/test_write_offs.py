"""WRITE_OFF (contract section 9): goods that leave the books without leaving the zone under a
declaration, and the write-offs that are not one."""

from reconciliation.engine import reconcile
from tests.reconciliation.builders import Ledger

VANADIUM = "8112920000"  # 811292 is CONTROLLED (1C202) in the builders' controls list


def findings(ledger: Ledger):
    return reconcile(ledger.inputs())


def kinds(ledger: Ledger) -> list[tuple[str, str]]:
    found = findings(ledger)
    return sorted(zip(found["kind"], found["lot_ref"], strict=True))


def test_strategic_goods_adjusted_to_nothing_and_counted_at_zero_are_a_high_write_off():
    ledger = Ledger().admit("L1", 500, hs=VANADIUM).move("ADJUST", "L1", -500, 5, hs=VANADIUM, note="spillage")
    found = findings(ledger.count("L1", 0, day=6))
    assert list(found["kind"]) == ["WRITE_OFF"]
    assert bool(found["strategic"].iloc[0]) and found["severity"].iloc[0] in ("HIGH", "CRITICAL")


def test_the_write_off_names_the_movement_and_the_balance_before_and_after():
    ledger = Ledger().admit("L1", 500).move("ADJUST", "L1", -200, 5, ref="ADJ-7", note="spillage")
    row = findings(ledger).iloc[0]
    assert (row["records"], row["expected"], row["found"]) == ("ADJ-7", 500_000_000, 300_000_000)


def test_a_negative_adjustment_within_the_quantity_tolerance_is_no_write_off():
    ledger = Ledger().admit("L1", 1000).move("ADJUST", "L1", -0.4, 5, note="rounding")
    assert kinds(ledger) == []


def test_a_positive_adjustment_is_no_write_off():
    ledger = Ledger().admit("L1", 1000).move("ADJUST", "L1", 3, 5, note="found on the shelf")
    assert kinds(ledger) == []


def test_goods_destroyed_with_no_customs_involvement_are_a_write_off():
    ledger = Ledger().admit("L1", 800).move("DESTROY", "L1", 800, 5)
    assert kinds(ledger) == [("WRITE_OFF", "L1")]


def test_a_destruction_under_a_customs_destruction_item_raises_nothing():
    ledger = Ledger().admit("L1", 800).declare("REMOVAL", "DX1", "L1", 800, 5, procedure="DESTRUCTION",
                                                destination_country="AE")  # fmt: skip
    assert kinds(ledger.move("DESTROY", "L1", 800, 5, customs_ref="DX1")) == []


def test_a_destroy_naming_a_declaration_that_is_not_a_destruction_is_a_write_off():
    ledger = Ledger().admit("L1", 800, ref="AD1").move("DESTROY", "L1", 800, 5, customs_ref="AD1")
    assert kinds(ledger) == [("WRITE_OFF", "L1")]


def test_a_customs_destruction_the_operator_never_booked_is_an_unrecorded_removal():
    ledger = Ledger().admit("L1", 800).declare("REMOVAL", "DX1", "L1", 800, 5, procedure="DESTRUCTION",
                                                destination_country="AE")  # fmt: skip
    assert kinds(ledger) == [("UNRECORDED_REMOVAL", "L1")]


def test_destroyed_process_waste_raises_nothing():
    ledger = (
        Ledger()
        .admit("IN", 1000)
        .move("CONSUME", "IN", 1000, 3, process_ref="P1")
        .move("PRODUCE", "OUT", 900, 3, process_ref="P1")
        .move("PRODUCE", "WASTE", 100, 3, process_ref="P1")
        .move("DESTROY", "WASTE", 100, 4)
    )
    assert kinds(ledger) == []


def test_waste_of_a_consumed_input_destroyed_under_its_process_raises_nothing():
    ledger = (
        Ledger()
        .admit("IN", 1000)
        .move("CONSUME", "IN", 950, 3, process_ref="P1")
        .move("PRODUCE", "OUT", 950, 3, process_ref="P1")
        .move("DESTROY", "IN", 50, 4, process_ref="P1")
    )
    assert kinds(ledger) == []


def test_a_destroy_naming_a_process_that_never_ran_is_a_write_off():
    ledger = Ledger().admit("L1", 1000).move("DESTROY", "L1", 400, 5, process_ref="PGHOST")
    assert kinds(ledger) == [("WRITE_OFF", "L1")]


def test_a_destroy_of_a_lot_a_process_never_touched_is_a_write_off_and_not_its_waste():
    ledger = (
        Ledger()
        .admit("IN", 1000)
        .admit("OTHER", 1000)
        .move("CONSUME", "IN", 1000, 3, process_ref="P2")
        .move("PRODUCE", "OUT", 500, 3, process_ref="P2")
        .move("DESTROY", "OTHER", 1000, 4, process_ref="P2")
    )
    assert kinds(ledger) == [("PROCESSING_LOSS", "IN"), ("WRITE_OFF", "OTHER")]
