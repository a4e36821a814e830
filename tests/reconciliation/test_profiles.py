"""The profile evaluator (contract section 8): the example profile hits the item it describes,
and each near miss, meeting every condition but one, does not."""

import time

import pandas as pd
import pytest

from ftz.profiles.schemas import parse
from reconciliation.profiles import channels, compile_pattern, hits, search

EXAMPLE = """
- code: RP-CWC-EMB
  title: CWC precursors to embargoed destinations
  severity: CRITICAL
  channel: RED
  valid_from: 2026-01-01
  valid_until: 2027-12-31
  when:
    direction: REMOVAL
    procedures: [RE_EXPORT, TRANSIT]
    hs_prefixes: ["2812", "2920"]
    strategic: true
    destination_tiers: [EMBARGOED, HIGH]
    destinations: [SY]
    origins: [CN]
    operators: [OP101]
    aeo: false
    description_pattern: "(?i)pesticide|fertili[sz]er"
    min_quantity: {value: 100, unit: KGM}
"""
DESTINATIONS = pd.DataFrame(
    [("SY", "EMBARGOED", "sanctions"), ("SY", "HIGH", "diversion"), ("TR", "ELEVATED", "transshipment")],
    columns=["country", "tier", "reason"],
)
ITEM = {
    "direction": "REMOVAL", "procedure": "RE_EXPORT", "hs_code": "28121990", "destination_country": "SY",
    "intended_destination": None, "origin_country": "CN", "operator_code": "OP101", "aeo": None,
    "description": "Organophosphate PESTICIDE intermediate", "quantity": 150_000_000, "unit": "KGM",
    "lodged_at": pd.Timestamp("2026-09-01T08:00:00Z"), "timezone": "Asia/Dubai", "strategic": True,
}  # fmt: skip
NEAR_MISSES = {
    "direction": {"direction": "ADMISSION"},
    "procedures": {"procedure": "HOME_USE"},
    "hs_prefixes": {"hs_code": "28131000"},
    "strategic": {"strategic": False},
    "destination_tiers": {"destination_country": "TR"},
    "destinations": {"destination_country": "IR"},
    "origins": {"origin_country": "IN"},
    "operators": {"operator_code": "OP102"},
    "aeo": {"aeo": "AE-AEO-2025-0001"},
    "description_pattern": {"description": "organophosphate intermediate"},
    "min_quantity": {"quantity": 99_999_999},
    "min_quantity in another dimension": {"unit": "LTR"},
    "valid_from (a local day)": {"lodged_at": pd.Timestamp("2025-12-31T19:59:00Z")},
    "valid_until (a local day)": {"lodged_at": pd.Timestamp("2027-12-31T20:00:00Z")},
}


def profiles(text: str = EXAMPLE) -> list[dict]:
    return [p.plain() for p in parse(text)]


def items(*changes: dict) -> pd.DataFrame:
    return pd.DataFrame([ITEM | change for change in changes])


def test_the_example_profile_hits_the_item_it_describes():
    found = hits(profiles(), items({}), DESTINATIONS)
    assert found[["row", "code", "severity", "channel"]].to_dict("records") == [
        {"row": 0, "code": "RP-CWC-EMB", "severity": "CRITICAL", "channel": "RED"}
    ]


def test_the_evidence_says_each_condition_that_held():
    held = hits(profiles(), items({}), DESTINATIONS)["held"][0]
    assert len(held) == 11
    assert "destination SY (tier EMBARGOED)" in held
    assert "operator holds no AEO certificate" in held
    assert "quantity 150 KGM (at least 100 KGM)" in held


@pytest.mark.parametrize("condition", list(NEAR_MISSES))
def test_a_near_miss_meeting_every_condition_but_one_is_not_hit(condition):
    assert hits(profiles(), items(NEAR_MISSES[condition]), DESTINATIONS).empty


def test_the_validity_days_are_inclusive_in_the_zones_local_time():
    first = pd.Timestamp("2025-12-31T20:00:00Z")  # 1 January 2026, 00:00 in Dubai
    last = pd.Timestamp("2027-12-31T19:59:00Z")  # 31 December 2027, 23:59 in Dubai
    assert len(hits(profiles(), items({"lodged_at": first}, {"lodged_at": last}), DESTINATIONS)) == 2


def test_min_quantity_converts_within_the_dimension():
    assert len(hits(profiles(), items({"quantity": 100_000, "unit": "TNE"}), DESTINATIONS)) == 1
    assert hits(profiles(), items({"quantity": 99_000_000, "unit": "GRM"}), DESTINATIONS).empty


def test_a_list_means_any_of_its_values():
    found = hits(profiles(), items({"procedure": "TRANSIT", "hs_code": "29209000"}), DESTINATIONS)
    assert list(found["code"]) == ["RP-CWC-EMB"]


def test_an_item_takes_the_highest_channel_of_its_hits_else_green():
    text = (
        EXAMPLE
        + """
- code: RP-ANY-SY
  title: anything to Syria
  severity: LOW
  channel: YELLOW
  when: {destinations: [SY]}
"""
    )
    batch = items({}, {"direction": "ADMISSION"}, {"destination_country": "DE"})
    out = channels(hits(profiles(text), batch, DESTINATIONS), batch.index)
    assert out["channel"].tolist() == ["RED", "YELLOW", "GREEN"]
    assert out["profiles"].tolist() == [["RP-CWC-EMB", "RP-ANY-SY"], ["RP-ANY-SY"], []]


def test_a_search_past_its_time_limit_stops_and_does_not_meet_the_pattern():
    start = time.monotonic()
    assert search(compile_pattern("(a+)+$"), "a" * 60 + "!", seconds=0.05) is False
    assert time.monotonic() - start < 2
