"""Strategic goods leaving to a denied party are CRITICAL whatever the finding (contract section
9): the removal's consignee or counterparty, or the end user of its licence, is on the list."""

from dataclasses import replace

import pandas as pd

from ftz.profiles.schemas import parse
from reconciliation.engine import reconcile
from reconciliation.parties import PARTY_COLUMNS
from tests.reconciliation.builders import Ledger, t

VANADIUM = "8112920000"  # CONTROLLED 1C202 in the builders' controls list
PARTIES = pd.DataFrame([{"entry_id": "E1", "name": "Volgatek Special Alloys JSC"}], columns=PARTY_COLUMNS)
DENIED, OTHER = "Volgatek Special Alloys", "Hanseatic Metals GmbH"


def severity(ledger: Ledger, kind: str, end_user: str | None = None) -> str:
    ledger.aeo[1] = "AEO-AE-1"  # an AEO operator: its strategic findings score below CRITICAL by themselves
    inputs = ledger.inputs()
    found = reconcile(replace(inputs, parties=PARTIES, licences=inputs.licences.assign(end_user=end_user)))
    return found.loc[found["kind"] == kind, "severity"].item()


def unlicensed_to(consignee: str | None = None, field: str = "consignee", **removal) -> Ledger:
    """Vanadium removed to DE with no licence_ref, the customs item's ``field`` naming ``consignee``."""
    ledger = Ledger().admit("V1", 500, hs=VANADIUM).remove("V1", 500, hs=VANADIUM, **removal)
    ledger.entries[-1][field] = consignee
    return ledger


def test_strategic_goods_to_a_denied_consignee_are_critical():
    assert severity(unlicensed_to(DENIED), "UNLICENSED_STRATEGIC_REMOVAL") == "CRITICAL"


def test_the_same_goods_to_another_consignee_stay_high():
    assert severity(unlicensed_to(OTHER), "UNLICENSED_STRATEGIC_REMOVAL") == "HIGH"


def test_a_denied_consignor_is_not_where_the_goods_go():
    ledger = unlicensed_to(DENIED, field="consignor")
    assert severity(ledger, "UNLICENSED_STRATEGIC_REMOVAL") == "HIGH"
    assert severity(ledger, "DENIED_PARTY") == "CRITICAL"  # the name itself is still found, on strategic goods


def test_an_operator_removal_to_a_denied_counterparty_is_critical():
    ledger = Ledger().admit("V1", 500, hs=VANADIUM).remove("V1", 500, hs=VANADIUM, counterparty=DENIED)
    assert severity(ledger, "UNLICENSED_STRATEGIC_REMOVAL") == "CRITICAL"


def test_a_licence_whose_end_user_is_denied_makes_its_removals_critical():
    ledger = Ledger().admit("V1", 500, hs=VANADIUM).licence("EL-1")
    ledger.remove("V1", 500, hs=VANADIUM, licence="EL-1", to="FR")  # the licence covers DE only
    assert severity(ledger, "UNLICENSED_STRATEGIC_REMOVAL", end_user=DENIED) == "CRITICAL"
    assert severity(ledger, "UNLICENSED_STRATEGIC_REMOVAL", end_user=OTHER) == "HIGH"


def test_goods_that_are_not_strategic_are_not_raised_for_a_denied_consignee():
    ledger = Ledger().admit("L1", 100).hold("L1", t(5)).remove("L1", 100)
    ledger.entries[-1]["consignee"] = DENIED
    assert severity(ledger, "REMOVAL_UNDER_HOLD") != "CRITICAL"


def test_a_profile_hit_on_strategic_goods_to_a_denied_consignee_is_critical_whatever_the_profile_says():
    profile = "- {code: RP-1, title: t, severity: MEDIUM, channel: YELLOW, when: {direction: REMOVAL}}"
    ledger = unlicensed_to(DENIED)
    ledger.aeo[1] = "AEO-AE-1"
    inputs = replace(ledger.inputs(), parties=PARTIES, profiles=[p.plain() for p in parse(profile)])
    found = reconcile(inputs)
    assert found.loc[found["kind"] == "RISK_PROFILE_HIT", "severity"].item() == "CRITICAL"
    found = reconcile(replace(inputs, parties=PARTIES.assign(name="Nobody Listed Here")))
    assert found.loc[found["kind"] == "RISK_PROFILE_HIT", "severity"].item() == "HIGH"
