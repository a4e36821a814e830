"""The two-zone sample (tests/fixtures/two-zones) across its zones: every planted transfer not
arrived and destination change is found on its lot family, on the lot the act happened on, and
no clean family raises anything of these kinds or a mismatch between what left and what arrived."""

import pandas as pd
import pytest

from tests.reconciliation.sample import TWO_ZONES, two_zones_findings, two_zones_planted

KINDS = ("TRANSFER_NOT_ARRIVED", "DESTINATION_CHANGE")
# what a transfer that arrives complete and as the same goods must not raise either
QUIET = ("QUANTITY_MISMATCH", "CLASSIFICATION_MISMATCH")


@pytest.fixture(scope="module")
def findings() -> pd.DataFrame:
    return two_zones_findings(*KINDS, *QUIET)


def planted() -> pd.DataFrame:
    return two_zones_planted(*KINDS)


def test_every_planted_transfer_not_arrived_and_destination_change_is_found_on_its_act_lot(findings):
    expected = planted()
    assert len(expected) == 24
    found = set(zip(findings["family"], findings["kind"], findings["lot_ref"], strict=True))
    missing = [row for row in zip(expected["lot_ref"], expected["kind"], expected["act_lot"], strict=True)
               if row not in found]  # fmt: skip
    assert missing == []


def test_a_destination_bound_in_one_zone_is_judged_in_the_next_against_the_first_admission(findings):
    cross = planted()
    cross = cross[(cross["kind"] == "DESTINATION_CHANGE") & (cross["lot_ref"] != cross["act_lot"])]
    assert len(cross) >= 6
    items = pd.read_csv(TWO_ZONES / "customs.csv", dtype=str)
    first = items[items["direction"] == "ADMISSION"].drop_duplicates("lot_ref").set_index("lot_ref")["declaration_ref"]
    changes = findings[findings["kind"] == "DESTINATION_CHANGE"].set_index("lot_ref")["expected_from"]
    for row in cross.itertuples():
        assert f"admission {first[row.lot_ref]} " in changes[row.act_lot], row.act_lot


def test_no_clean_family_raises_any_of_these_kinds(findings):
    expected = set(zip(planted()["lot_ref"], planted()["kind"], strict=True))
    extra = findings[[(f, k) not in expected for f, k in zip(findings["family"], findings["kind"], strict=True)]]
    assert extra[["kind", "lot_ref", "customs_ref"]].to_dict("records") == []


def test_the_strategic_flag_is_the_planted_one(findings):
    flags = findings.groupby(["family", "kind"])["strategic"].first()
    for row in planted().itertuples():
        assert bool(flags[(row.lot_ref, row.kind)]) == row.strategic, (row.lot_ref, row.kind)
