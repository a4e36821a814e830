"""Each side of a finding names the record its value comes from; only quantities carry a unit."""

from reconciliation.engine import reconcile
from tests.reconciliation.builders import Ledger

VANADIUM = "8112920000"  # CONTROLLED (1C202) in the builders' controls list


def only(ledger: Ledger) -> dict:
    found = reconcile(ledger.inputs())
    assert len(found) == 1, list(found["kind"])
    return found.iloc[0].to_dict()


def test_a_strategic_lot_leaving_under_another_code_names_its_admission_and_its_removal():
    ledger = (
        Ledger()
        .admit("L1", 100, ref="AD-7", hs=VANADIUM)
        .remove("L1", 100, ref="RE-9", hs="0810900000", licence="EL-1")
    )
    row = only(ledger)
    assert row["kind"] == "CLASSIFICATION_MISMATCH"
    assert row["expected"] == "811292" and row["expected_from"].startswith("admission AD-7")
    assert row["found_from"].startswith("removal RE-9")


def test_an_intended_destination_comes_from_the_admission_not_the_removal():
    ledger = Ledger().admit("L1", 100, ref="AD-7", intended_destination="OM").remove("L1", 100, ref="RE-9", to="RU")
    row = only(ledger)
    assert (row["kind"], row["expected"], row["found"]) == ("DESTINATION_CHANGE", "OM", "RU")
    assert row["expected_from"].startswith("admission AD-7") and row["found_from"].startswith("removal RE-9")
    assert row["unit"] is None


def test_a_destination_changed_between_versions_names_the_later_customs_version():
    ledger = Ledger().admit("L1", 100).declare("REMOVAL", "RE-9", "L1", 100, 10, destination_country="DE")
    ledger.declare("REMOVAL", "RE-9", "L1", 100, 11, version=2, destination_country="IR")
    row = only(ledger.move("REMOVAL", "L1", 100, 11, customs_ref="RE-9", destination_country="IR"))
    assert (row["expected"], row["found"], row["expected_from"]) == ("DE", "IR", "customs RE-9/1 version 1")
    assert row["found_from"] == "customs RE-9/1 version 2 (the later version)"


def test_a_quantity_mismatch_names_the_customs_item_and_the_operators_records():
    ledger = Ledger().declare("ADMISSION", "AD1", "L1", 1000, 1).move("ADMISSION", "L1", 900, 1, customs_ref="AD1",
                                                                      ref="M-1")  # fmt: skip
    row = only(ledger)
    assert (row["expected_from"], row["found_from"], row["unit"]) == (
        "customs AD1/1v1",
        "operator's records M-1",
        "KGM",
    )
