"""An authorised economic operator's findings score lower; strategic findings keep their floors."""

from reconciliation.engine import reconcile
from tests.reconciliation.builders import Ledger


def first(ledger: Ledger) -> dict:
    return reconcile(ledger.inputs()).iloc[0].to_dict()


def test_an_aeo_operators_finding_scores_lower_by_the_documented_weight():
    plain = Ledger().admit("L1", 100).move("REMOVAL", "L1", 100, 5, customs_ref="NOPE", destination_country="DE")
    certified = Ledger().admit("L1", 100).move("REMOVAL", "L1", 100, 5, customs_ref="NOPE", destination_country="DE")
    certified.aeo[1] = "AE-AEO-2025-0117"
    before, after = first(plain), first(certified)
    assert after["risk_score"] == before["risk_score"] - 10
    assert ["AEO operator", -10] in after["components"] and ["AEO operator", -10] not in before["components"]


def test_an_aeo_operators_strategic_finding_keeps_the_floor():
    ledger = Ledger().admit("V1", 100, hs="8112920000").move("REMOVAL", "V1", 100, 5, customs_ref="NOPE")
    ledger.aeo[1] = "AE-AEO-2025-0117"
    found = reconcile(ledger.inputs())
    removal = found[found["kind"] == "UNDECLARED_REMOVAL"].iloc[0]
    assert removal["severity"] in ("HIGH", "CRITICAL") and ["AEO operator", -10] in removal["components"]
