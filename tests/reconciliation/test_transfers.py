"""Goods transferred between zones: not arrived, arrived short or as other goods, and what
follows them (strategic status, the first admission's intended destination); near misses raise nothing."""

from dataclasses import replace

import pandas as pd

from reconciliation.engine import reconcile
from tests.reconciliation.builders import Ledger, t

ZONES = pd.DataFrame(
    [(1, "ZFX", "AE", "Asia/Dubai"), (2, "ZFY", "OM", "Asia/Muscat"), (3, "ZFZ", "BH", "Asia/Bahrain")],
    columns=["zone_id", "code", "country", "timezone"],
)
SENDER = {"operator_id": 1, "zone_id": 1}
RECEIVER = {"operator_id": 2, "zone_id": 2}
FRUIT = "0810900000"


def sent(ledger: Ledger | None = None, qty: float = 500, hs: str = FRUIT, **admission) -> Ledger:
    """Lot A1 admitted in ZFX on 1 September, transferred to ZFY under TR-1 on 5 September at 07:00 UTC."""
    ledger = (ledger or Ledger()).admit("A1", qty, hs=hs, **admission)
    ledger.declare("REMOVAL", "TR-1", "A1", qty, 5, hs=hs[:8], procedure="TRANSFER", destination_country="OM",
                   destination_zone="ZFY")  # fmt: skip
    return ledger.move("REMOVAL", "A1", qty, 5, customs_ref="TR-1", hs=hs, destination_country="OM",
                       removal_kind="TRANSFER")  # fmt: skip


def arrive(ledger: Ledger, ref: str, qty: float, day: int, hour: int = 7, unit: str = "KGM", hs: str = FRUIT,
           lot: str = "B1", previous: str = "TR-1", who: dict = RECEIVER) -> Ledger:  # fmt: skip
    """An admission in the receiving zone naming the transfer, booked and declared alike."""
    ledger.declare("ADMISSION", ref, lot, qty, day, hour=hour, hs=hs[:8], unit=unit, origin_country="AE",
                   previous_ref=previous, **who)  # fmt: skip
    return ledger.move("ADMISSION", lot, qty, day, hour=hour, customs_ref=ref, hs=hs, unit=unit, **who)


def run(ledger: Ledger, now: pd.Timestamp = t(30), zones: pd.DataFrame = ZONES) -> pd.DataFrame:
    """The ledger reconciled in three zones as of ``now``, with the transfer columns it was given."""
    inputs = ledger.inputs()
    movements = pd.DataFrame(ledger.movements).reindex(columns=[*inputs.movements.columns, "previous_ref"])
    entries = pd.DataFrame(ledger.entries).reindex(
        columns=[*inputs.entries.columns, "destination_zone", "previous_ref"]
    )
    return reconcile(replace(inputs, movements=movements, entries=entries, zones=zones, now=now))


def kinds(found: pd.DataFrame) -> list[tuple[str, str, str]]:
    return sorted(zip(found["kind"], found["lot_ref"], found["customs_ref"].fillna(""), strict=True))


def test_a_transfer_never_admitted_in_the_next_zone_is_not_arrived_on_the_sending_lot():
    found = run(sent())
    assert kinds(found) == [("TRANSFER_NOT_ARRIVED", "A1", "TR-1")]
    row = found.iloc[0]
    assert row["operator_id"] == 1 and row["expected"] == 500_000_000 and row["found"] == 0


def test_arrived_complete_on_the_last_day_of_the_transit_time_raises_nothing():
    assert kinds(run(arrive(sent(), "AD-B1", 500, 15, hour=7))) == []


def test_arrived_an_hour_after_the_transit_time_is_not_arrived():
    found = run(arrive(sent(), "AD-B1", 500, 15, hour=8))
    assert kinds(found) == [("TRANSFER_NOT_ARRIVED", "A1", "TR-1")]
    assert "late" in found.iloc[0]["found_from"]


def test_before_the_transit_time_is_over_nothing_is_missing_yet():
    assert kinds(run(sent(), now=t(15, 6))) == []
    assert kinds(run(sent(), now=t(15, 8))) == [("TRANSFER_NOT_ARRIVED", "A1", "TR-1")]


def test_the_transit_time_is_the_sending_zones_setting():
    found = run(sent(), now=t(8, 8), zones=ZONES.assign(transit_days=[3, 10, 10]))
    assert kinds(found) == [("TRANSFER_NOT_ARRIVED", "A1", "TR-1")]


def test_an_admission_in_another_zone_than_the_destination_is_no_arrival():
    ledger = arrive(sent(), "AD-C1", 500, 6, lot="C1", who={"operator_id": 3, "zone_id": 3})
    assert ("TRANSFER_NOT_ARRIVED", "A1", "TR-1") in kinds(run(ledger))


def test_partial_arrivals_summing_to_the_whole_raise_nothing():
    ledger = arrive(arrive(sent(), "AD-B1a", 300, 6), "AD-B1b", 200, 7)
    assert kinds(run(ledger)) == []


def test_partial_arrivals_short_of_the_whole_are_a_quantity_mismatch_on_the_sending_lot():
    found = run(arrive(arrive(sent(), "AD-B1a", 300, 6), "AD-B1b", 150, 7))
    assert kinds(found) == [("QUANTITY_MISMATCH", "A1", "TR-1")]
    assert (found.iloc[0]["expected"], found.iloc[0]["found"]) == (500_000_000, 450_000_000)


def test_an_arrival_in_another_unit_of_the_same_dimension_is_converted():
    assert kinds(run(arrive(sent(), "AD-B1", 0.5, 6, unit="TNE"))) == []


def test_an_arrival_under_another_subheading_is_a_classification_mismatch_on_the_receiving_lot():
    found = run(arrive(sent(), "AD-B1", 500, 6, hs="0804100000"))
    assert kinds(found) == [("CLASSIFICATION_MISMATCH", "B1", "AD-B1")]
    assert (found.iloc[0]["expected"], found.iloc[0]["found"]) == ("081090", "080410")


def test_the_first_admissions_intended_destination_binds_the_removal_from_the_next_zone():
    ledger = arrive(sent(intended_destination="JO"), "AD-B1", 500, 6)
    ledger.remove("B1", 500, day=12, to="IR", **RECEIVER)
    ledger.entries[-1] |= RECEIVER
    found = run(ledger)
    assert kinds(found) == [("DESTINATION_CHANGE", "B1", "RE-B1-12")]
    assert (found.iloc[0]["expected"], found.iloc[0]["found"]) == ("JO", "IR")


def test_leaving_the_last_zone_for_the_intended_destination_or_its_home_market_is_no_change():
    for country in ("JO", "OM"):
        ledger = arrive(sent(intended_destination="JO"), "AD-B1", 500, 6)
        ledger.remove("B1", 500, day=12, to=country, procedure="HOME_USE" if country == "OM" else "RE_EXPORT",
                      **RECEIVER)  # fmt: skip
        ledger.entries[-1] |= RECEIVER
        assert kinds(run(ledger)) == [], country


def test_the_intended_destination_follows_a_chain_of_transfers():
    ledger = arrive(sent(intended_destination="JO"), "AD-B1", 500, 6)
    ledger.declare("REMOVAL", "TR-2", "B1", 500, 8, procedure="TRANSFER", destination_country="BH",
                   destination_zone="ZFZ", **RECEIVER)  # fmt: skip
    ledger.move("REMOVAL", "B1", 500, 8, customs_ref="TR-2", destination_country="BH", removal_kind="TRANSFER",
                **RECEIVER)  # fmt: skip
    zone3 = {"operator_id": 3, "zone_id": 3}
    arrive(ledger, "AD-C1", 500, 9, lot="C1", previous="TR-2", who=zone3)
    ledger.remove("C1", 500, day=12, to="SY", **zone3)
    ledger.entries[-1] |= zone3
    assert kinds(run(ledger)) == [("DESTINATION_CHANGE", "C1", "RE-C1-12")]


def test_strategic_status_follows_the_goods_into_the_next_zone():
    # declared 1C202 in ZFX only; in ZFY the goods carry no code of their own
    ledger = arrive(sent(control_code="1C202"), "AD-B1", 500, 6)
    ledger.remove("B1", 500, day=12, to="DE", **RECEIVER)
    ledger.entries[-1] |= RECEIVER
    found = run(ledger)
    unlicensed = found[(found["kind"] == "UNLICENSED_STRATEGIC_REMOVAL") & (found["lot_ref"] == "B1")]
    assert len(unlicensed) == 1
    row = unlicensed.iloc[0]
    assert bool(row["strategic"]) and "INHERITED" in row["basis"] and row["inherited_from"] == "A1"
    assert "1C202" in row["control_codes"]


def test_a_transfer_to_a_zone_in_another_country_is_a_removal_abroad_for_the_licence_rule():
    found = run(arrive(sent(control_code="1C202"), "AD-B1", 500, 6))
    assert ("UNLICENSED_STRATEGIC_REMOVAL", "A1", "TR-1") in kinds(found)


def test_a_transfer_to_a_known_zone_abroad_needs_a_licence_whatever_country_it_names():
    ledger = Ledger().admit("A1", 500, hs=FRUIT, control_code="1C202")
    ledger.declare("REMOVAL", "TR-1", "A1", 500, 5, hs=FRUIT[:8], procedure="TRANSFER", destination_country="AE",
                   destination_zone="ZFY")  # fmt: skip
    ledger.move("REMOVAL", "A1", 500, 5, customs_ref="TR-1", hs=FRUIT, destination_country="AE",
                removal_kind="TRANSFER")  # fmt: skip
    found = run(arrive(ledger, "AD-B1", 500, 6))
    assert ("UNLICENSED_STRATEGIC_REMOVAL", "A1", "TR-1") in kinds(found)


def _through_three_zones(**admission) -> Ledger:
    """A1 in ZFX transferred to ZFY (B1), then to ZFZ (C1), exported from there to DE."""
    ledger = arrive(sent(**admission), "AD-B1", 500, 6)
    ledger.declare("REMOVAL", "TR-2", "B1", 500, 8, procedure="TRANSFER", destination_country="BH",
                   destination_zone="ZFZ", **RECEIVER)  # fmt: skip
    ledger.move("REMOVAL", "B1", 500, 8, customs_ref="TR-2", destination_country="BH", removal_kind="TRANSFER",
                **RECEIVER)  # fmt: skip
    zone3 = {"operator_id": 3, "zone_id": 3}
    arrive(ledger, "AD-C1", 500, 9, lot="C1", previous="TR-2", who=zone3)
    ledger.remove("C1", 500, day=12, to="DE", **zone3)
    ledger.entries[-1] |= zone3
    return ledger


def components(found: pd.DataFrame, lot: str, kind: str) -> dict[str, int]:
    row = found[(found["lot_ref"] == lot) & (found["kind"] == kind)].iloc[0]
    return dict(row["components"])


def test_strategic_goods_through_three_zones_by_other_owners_add_route_points():
    found = run(_through_three_zones(control_code="1C202"))
    points = components(found, "C1", "UNLICENSED_STRATEGIC_REMOVAL")
    assert points["route through three or more zones"] == 10 and points["owner changed on the way"] == 10


def test_goods_through_two_zones_of_one_owner_add_no_route_points():
    ledger = arrive(sent(control_code="1C202"), "AD-B1", 500, 6)
    ledger.remove("B1", 500, day=12, to="DE", **RECEIVER)
    ledger.entries[-1] |= RECEIVER
    inputs = ledger.inputs()
    same_owner = pd.DataFrame([(1, "OP1", None, "Acme FZE"), (2, "OP2", None, "ACME FZE ")],
                              columns=["operator_id", "code", "aeo", "name"])  # fmt: skip
    movements = pd.DataFrame(ledger.movements).reindex(columns=[*inputs.movements.columns, "previous_ref"])
    entries = pd.DataFrame(ledger.entries).reindex(
        columns=[*inputs.entries.columns, "destination_zone", "previous_ref"]
    )
    found = reconcile(replace(inputs, movements=movements, entries=entries, zones=ZONES, now=t(30),
                              operators=same_owner))  # fmt: skip
    points = components(found, "B1", "UNLICENSED_STRATEGIC_REMOVAL")
    assert "route through three or more zones" not in points and "owner changed on the way" not in points


def test_goods_that_are_not_strategic_add_no_route_points():
    found = run(_through_three_zones(intended_destination="JO"))  # a destination change on C1, not strategic
    assert list(found["kind"]) == ["DESTINATION_CHANGE"]
    assert all(
        name not in dict(c) for c in found["components"] for name in ("route through three or more zones",
                                                                      "owner changed on the way")
    )  # fmt: skip
