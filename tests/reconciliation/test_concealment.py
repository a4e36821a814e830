"""CONCEALMENT_SUSPECTED: a description names controlled goods the declared codes do not."""

import pandas as pd

from reconciliation.engine import reconcile
from tests.reconciliation.builders import Ledger

KIND = "CONCEALMENT_SUSPECTED"
FRUIT = "0810900000"


def concealed(ledger: Ledger) -> pd.DataFrame:
    found = reconcile(ledger.inputs())
    return found[found["kind"] == KIND].reset_index(drop=True)


def fruit(description: str, hs: str = FRUIT, to: str = "IR") -> Ledger:
    """Fruit admitted and removed, the customs admission describing it as ``description``."""
    ledger = Ledger().declare("ADMISSION", "AD-1", "F1", 20_000, 1, hs=hs[:8], description=description)
    ledger.move("ADMISSION", "F1", 20_000, 1, customs_ref="AD-1", hs=hs, description="fresh fruit")
    return ledger.remove("F1", 20_000, hs=hs, to=to, licence="EL-1")


def test_a_controlled_substance_named_under_fruit_is_suspected_with_the_words_and_codes():
    found = concealed(fruit("fresh fruit, natural Uranium  Oxide"))
    assert list(found["lot_ref"]) == ["F1"] and found["customs_ref"][0] == "AD-1"
    assert (found["expected"][0], found["found"][0]) == ("284410 (0C001)", "081090")
    assert found["facts"][0]["words"] == "Uranium  Oxide"
    assert found["facts"][0]["points_to"] == {"hs_code": "284410", "control_code": "0C001"}


def test_suspected_strategic_goods_are_not_marked_strategic_but_take_the_floors():
    found = concealed(fruit("fresh fruit, natural uranium oxide"))
    assert not bool(found["strategic"][0]) and found["severity"][0] == "CRITICAL"  # to IR, embargoed
    assert ["strategic goods named in a description", 20] in found["components"][0]
    elsewhere = concealed(fruit("fresh fruit, natural uranium oxide", to="DE"))
    assert elsewhere["severity"][0] == "HIGH"


def test_a_word_that_merely_contains_the_term_is_no_match():
    assert concealed(fruit("fresh fruit, uraniumoxide-free packaging")).empty


def test_goods_declared_under_a_strategic_subheading_are_not_concealed():
    assert concealed(fruit("thionyl chloride, technical grade", hs="2812170000")).empty


def test_goods_under_a_subheading_that_may_be_controlled_are_not_concealed():
    assert concealed(fruit("pressure gauges and uranium oxide", hs="9026200000")).empty


def test_a_declared_control_code_makes_the_goods_strategic_not_concealed():
    ledger = fruit("uranium oxide")
    ledger.movements[0]["control_code"] = "0C001"
    assert concealed(ledger).empty


def test_a_term_pointing_to_goods_the_controls_list_does_not_control_is_no_match():
    assert concealed(fruit("dried dates")).empty


def test_a_description_on_the_operators_side_counts_too():
    ledger = Ledger().admit("F1", 100, description="THIONYL CHLORIDE 99.5%").remove("F1", 100, to="DE")
    found = concealed(ledger)
    assert len(found) == 1 and found["facts"][0]["words"] == "THIONYL CHLORIDE"


def test_one_finding_per_lot_however_many_records_name_it():
    ledger = Ledger().admit("F1", 100, description="thionyl chloride")
    ledger.remove("F1", 50, day=10, description="thionyl chloride").remove("F1", 50, day=11, description="fruit")
    assert len(concealed(ledger)) == 1


def test_goods_made_from_strategic_inputs_and_described_as_controlled_are_suspected():
    """Strategic only by inheritance: what the product's records declare is innocent, not what they describe."""
    ledger = Ledger().admit("V1", 500, hs="8112920000").move("CONSUME", "V1", 500, 3, process_ref="P1")
    ledger.move("PRODUCE", "A1", 500, 4, process_ref="P1", hs="7601200000")
    found = concealed(ledger.remove("A1", 500, hs="7601200000", description="aluminium ingots, uranium oxide"))
    assert list(found["lot_ref"]) == ["A1"] and bool(found["strategic"][0])
