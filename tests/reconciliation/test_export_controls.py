"""UNLICENSED_STRATEGIC_REMOVAL: each reason on the smallest ledger that shows it, and its near miss."""

import pandas as pd

from reconciliation.engine import reconcile
from tests.reconciliation.builders import Ledger, t

VANADIUM = "8112920000"  # CONTROLLED 1C202 in the builders' controls list
KIND = "UNLICENSED_STRATEGIC_REMOVAL"


def unlicensed(ledger: Ledger) -> pd.DataFrame:
    found = reconcile(ledger.inputs())
    return found[found["kind"] == KIND].reset_index(drop=True)


def reasons(ledger: Ledger) -> list[list[str]]:
    return [facts["reasons"] for facts in unlicensed(ledger)["facts"]]


def strategic(**licence) -> Ledger:
    """Vanadium admitted and removed to DE on 10 September under licence EL-1."""
    return Ledger().admit("V1", 500, hs=VANADIUM).licence("EL-1", **licence)


def test_a_strategic_removal_abroad_without_a_licence_ref_is_a_finding_even_with_an_empty_register():
    found = unlicensed(Ledger().admit("V1", 500, hs=VANADIUM).remove("V1", 500, hs=VANADIUM))
    assert list(found["lot_ref"]) == ["V1"] and found["facts"][0]["reasons"] == ["no_licence"]
    assert (found["expected"][0], found["found"][0]) == ("a licence", "none")
    assert bool(found["strategic"][0]) and found["severity"][0] in ("HIGH", "CRITICAL")


def test_with_an_empty_register_any_licence_ref_is_taken_on_trust():
    assert reasons(Ledger().admit("V1", 500, hs=VANADIUM).remove("V1", 500, hs=VANADIUM, licence="EL-9")) == []


def test_a_valid_licence_covering_the_removal_raises_nothing():
    assert reasons(strategic().remove("V1", 500, hs=VANADIUM, licence="EL-1")) == []


def test_an_unknown_licence_once_the_register_holds_any():
    found = unlicensed(strategic().remove("V1", 500, hs=VANADIUM, licence="EL-9"))
    assert found["facts"][0]["reasons"] == ["unknown"] and found["found"][0] == "EL-9"


def test_a_licence_not_valid_in_its_latest_version():
    ledger = strategic().remove("V1", 500, hs=VANADIUM, licence="EL-1")
    ledger.licence("EL-1", version=2, status="REVOKED")
    found = unlicensed(ledger)
    assert found["facts"][0]["reasons"] == ["not_valid"] and found["found"][0] == "REVOKED"
    assert found["facts"][0]["licence"]["version"] == 2


def test_a_licence_valid_again_in_its_latest_version_covers_the_removal():
    ledger = strategic(status="SUSPENDED").remove("V1", 500, hs=VANADIUM, licence="EL-1")
    assert reasons(ledger.licence("EL-1", version=2)) == []


def test_licence_dates_are_days_of_the_zones_local_time():
    # the zone keeps Asia/Dubai (UTC+4): 19:59 UTC on the 9th is still the 9th there, 20:00 is the 10th
    on_last_day = strategic(valid_until="2026-09-09").remove("V1", 500, 9, hs=VANADIUM, licence="EL-1", hour=20)
    assert reasons(on_last_day) == []  # customs lodged at 19:00 UTC, 23:00 local on the 9th
    next_day = strategic(valid_until="2026-09-09").remove("V1", 500, 9, hs=VANADIUM, licence="EL-1", hour=21)
    found = unlicensed(next_day)
    assert found["facts"][0]["reasons"] == ["dates"]
    assert (found["expected"][0], found["found"][0]) == ("2026-09-01 to 2026-09-09", "2026-09-10")


def test_a_licence_before_its_first_day():
    assert reasons(strategic(issued_at="2026-09-11").remove("V1", 500, hs=VANADIUM, licence="EL-1")) == [["dates"]]


def test_a_licence_of_another_holder():
    found = unlicensed(strategic(holder_id=2).remove("V1", 500, hs=VANADIUM, licence="EL-1"))
    assert found["facts"][0]["reasons"] == ["holder"] and (found["expected"][0], found["found"][0]) == ("OP2", "OP1")


def test_a_licence_not_naming_the_destination():
    found = unlicensed(strategic(destination_countries="GB;IN").remove("V1", 500, hs=VANADIUM, licence="EL-1"))
    assert found["facts"][0]["reasons"] == ["destination"] and found["found"][0] == "DE"
    assert reasons(strategic(destination_countries="gb; de").remove("V1", 500, hs=VANADIUM, licence="EL-1")) == []


def test_a_licence_not_covering_the_goods_control_code_and_a_star_covering_any():
    found = unlicensed(strategic(control_codes="1C350").remove("V1", 500, hs=VANADIUM, licence="EL-1"))
    assert found["facts"][0]["reasons"] == ["control_code"] and found["found"][0] == "1C202"
    assert reasons(strategic(control_codes="*").remove("V1", 500, hs=VANADIUM, licence="EL-1")) == []


def test_every_control_code_of_the_goods_must_be_covered():
    ledger = Ledger().admit("V1", 500, hs=VANADIUM, control_code="1C350").licence("EL-1")
    found = unlicensed(ledger.remove("V1", 500, hs=VANADIUM, licence="EL-1"))
    assert found["facts"][0]["reasons"] == ["control_code"] and found["found"][0] == "1C350"


def test_a_licence_for_an_entry_covers_its_sub_items_and_not_the_reverse():
    ledger = Ledger().admit("V1", 500, hs=VANADIUM, control_code="1C202.a").licence("EL-1", control_codes="1C202")
    assert reasons(ledger.remove("V1", 500, hs=VANADIUM, licence="EL-1")) == []
    narrow = Ledger().admit("V1", 500, hs=VANADIUM).licence("EL-1", control_codes="1C202.a")
    found = unlicensed(narrow.remove("V1", 500, hs=VANADIUM, licence="EL-1"))
    assert found["facts"][0]["reasons"] == ["control_code"] and found["found"][0] == "1C202"


def test_a_licence_used_up_by_earlier_removals_in_its_unit():
    ledger = strategic(quantity=1_000_000, unit="TNE").remove("V1", 600, day=10, hs=VANADIUM, licence="EL-1")
    found = unlicensed(ledger.remove("V1", 500, day=12, ref="RE-2", hs=VANADIUM, licence="EL-1"))
    assert list(found["customs_ref"]) == ["RE-2"] and found["facts"][0]["reasons"] == ["used_up"]
    assert (found["expected"][0], found["found"][0]) == ("1 TNE", "1.1 TNE")


def test_a_licence_used_exactly_to_its_quantity_is_not_used_up():
    ledger = strategic(quantity=1_000_000, unit="TNE").remove("V1", 600, day=10, hs=VANADIUM, licence="EL-1")
    assert reasons(ledger.remove("V1", 400, day=12, ref="RE-2", hs=VANADIUM, licence="EL-1")) == []


def test_every_failed_condition_is_named_the_first_as_expected_and_found():
    ledger = strategic(status="SUSPENDED", destination_countries="GB").remove("V1", 500, hs=VANADIUM, licence="EL-1")
    found = unlicensed(ledger)
    assert found["facts"][0]["reasons"] == ["not_valid", "destination"]
    assert found["found"][0] == "SUSPENDED" and "does not cover DE" in found["detail"][0]


def test_release_for_home_use_in_the_zones_country_is_no_finding():
    ledger = Ledger().admit("V1", 500, hs=VANADIUM).remove("V1", 500, hs=VANADIUM, to="AE", procedure="HOME_USE")
    assert reasons(ledger) == []


def test_goods_that_only_may_be_controlled_need_no_licence():
    assert reasons(Ledger().admit("P1", 10, hs="9026200000").remove("P1", 10, hs="9026200000")) == []


def test_inherited_strategic_status_counts():
    ledger = Ledger().admit("V1", 500, hs=VANADIUM).move("CONSUME", "V1", 500, 3, process_ref="P1")
    ledger.move("PRODUCE", "A1", 500, 4, process_ref="P1", hs="7601200000")
    found = unlicensed(ledger.move("ADMISSION", "X", 1, 4).remove("A1", 500, hs="7601200000"))
    assert list(found["lot_ref"]) == ["A1"] and found["basis"][0] == "INHERITED"


def test_a_transfer_to_a_zone_in_another_country_is_a_removal_abroad():
    ledger = Ledger().admit("V1", 500, hs=VANADIUM).remove("V1", 500, hs=VANADIUM, to="OM", procedure="TRANSFER")
    assert reasons(ledger) == [["no_licence"]]


def test_an_operator_removal_no_customs_item_covers_is_an_undeclared_removal_only():
    ledger = Ledger().admit("V1", 500, hs=VANADIUM)
    ledger.move("REMOVAL", "V1", 500, 10, hs=VANADIUM, customs_ref="NOPE", destination_country="DE")
    found = reconcile(ledger.inputs())
    assert list(found["kind"]) == ["UNDECLARED_REMOVAL"] and found["severity"][0] in ("HIGH", "CRITICAL")


def test_strategic_goods_to_an_embargoed_destination_are_critical():
    found = unlicensed(Ledger().admit("T1", 5000, hs="2812170000").remove("T1", 5000, hs="2812170000", to="SY"))
    assert found["severity"][0] == "CRITICAL" and found["control_codes"][0] == "1C350"


def test_a_finding_keeps_its_identity_when_its_reason_changes():
    before = unlicensed(strategic(status="SUSPENDED").remove("V1", 500, hs=VANADIUM, licence="EL-1"))
    after = unlicensed(strategic(holder_id=2).remove("V1", 500, hs=VANADIUM, licence="EL-1"))
    assert list(before["fingerprint"]) == list(after["fingerprint"])


def test_the_removal_moment_is_the_customs_lodging_not_the_operators_booking():
    ledger = strategic(valid_until="2026-09-10").declare(
        "REMOVAL", "RE-1", "V1", 500, 10, hs="81129200", destination_country="DE", licence_ref="EL-1",
        procedure="RE_EXPORT",
    )  # fmt: skip
    ledger.move("REMOVAL", "V1", 500, 12, customs_ref="RE-1", hs=VANADIUM, destination_country="DE")
    assert reasons(ledger) == []
    assert t(12) > t(10)
