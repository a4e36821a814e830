"""DESTINATION_CHANGE (contract section 4): an intended destination declared by customs alone
binds the removal as the operator's does (the admission's intended destination, a column of
both sides), and a destination moved between versions of a declaration item, admissions too."""

import pandas as pd

from reconciliation.engine import reconcile
from tests.reconciliation.builders import Ledger


def changes(ledger: Ledger) -> pd.DataFrame:
    found = reconcile(ledger.inputs())
    return found[found["kind"] == "DESTINATION_CHANGE"].reset_index(drop=True)


def declared_by_customs(intended: str, to: str) -> Ledger:
    """Goods admitted with only the customs admission item naming where they are heading."""
    ledger = Ledger().admit("L1", 100)
    ledger.entries[-1]["intended_destination"] = intended
    return ledger.remove("L1", 100, to=to)


def test_goods_in_transit_declared_to_customs_for_one_country_and_removed_to_another():
    found = changes(declared_by_customs("JO", to="IQ"))
    assert (found["lot_ref"][0], found["expected"][0], found["found"][0]) == ("L1", "JO", "IQ")
    assert found["expected_from"][0] == "admission customs AD-L1/1 (intended destination)"


def test_removed_to_the_country_customs_was_told_is_no_change():
    assert changes(declared_by_customs("JO", to="JO")).empty


def test_the_operators_own_intended_destination_is_read_first():
    ledger = Ledger().admit("L1", 100, intended_destination="IQ")
    ledger.entries[-1]["intended_destination"] = "JO"
    assert changes(ledger.remove("L1", 100, to="IQ")).empty


def test_a_destination_changed_and_changed_back_between_versions_still_moved():
    ledger = Ledger().admit("L1", 100).remove("L1", 100, to="IQ", ref="RE1")
    ledger.declare("REMOVAL", "RE1", "L1", 100, 11, version=2, destination_country="PK", procedure="RE_EXPORT")
    ledger.declare("REMOVAL", "RE1", "L1", 100, 12, version=3, destination_country="IQ", procedure="RE_EXPORT")
    found = changes(ledger)
    assert list(zip(found["expected"], found["found"], found["found_from"], strict=True)) == [
        ("IQ", "PK", "customs RE1/1 version 2 (the later version)")
    ]


def test_an_admissions_intended_destination_amended_in_a_later_version_is_a_change():
    ledger = Ledger().admit("L1", 100, ref="AD1")
    ledger.entries[-1]["intended_destination"] = "PK"
    ledger.declare("ADMISSION", "AD1", "L1", 100, 2, version=2, intended_destination="IQ")
    found = changes(ledger)
    assert list(zip(found["customs_ref"], found["expected"], found["found"], strict=True)) == [("AD1", "PK", "IQ")]
