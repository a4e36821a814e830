"""The two-zone sample with its profiles.yaml: every planted RISK_PROFILE_HIT is found on its lot
family at its profile's severity (raised to the strategic floors), and no clean family is hit."""

import pandas as pd
import pytest

from tests.reconciliation.sample import TWO_ZONES, load, two_zones_findings, two_zones_planted

KIND = "RISK_PROFILE_HIT"
RANK = {"LOW": 0, "MEDIUM": 1, "HIGH": 2, "CRITICAL": 3}


@pytest.fixture(scope="module")
def hits() -> pd.DataFrame:
    hits = two_zones_findings(KIND)
    return hits.assign(profile=hits["facts"].map(lambda f: f["profile"]))


def planted() -> pd.DataFrame:
    return two_zones_planted(KIND)


def test_every_planted_profile_hit_is_found_on_its_family(hits):
    expected = planted()
    assert len(expected) == 12
    assert sorted(set(expected["lot_ref"]) - set(hits["family"])) == []


def test_no_clean_family_is_hit(hits):
    extra = hits[~hits["family"].isin(set(planted()["lot_ref"]))]
    assert extra[["lot_ref", "customs_ref"]].to_dict("records") == []


def test_each_hit_has_its_profiles_severity_raised_to_the_floors(hits):
    for row in hits.itertuples():
        floor = (
            "CRITICAL" if row.strategic and row.destination_tier == "EMBARGOED" else "HIGH" if row.strategic else "LOW"
        )
        assert row.severity == max(row.profile["severity"], floor, key=RANK.get), row.lot_ref


def test_the_strategic_flag_is_the_planted_one(hits):
    flags = hits.groupby("family")["strategic"].any()
    for row in planted().itertuples():
        assert bool(flags[row.lot_ref]) == row.strategic, row.lot_ref


def test_the_evidence_names_the_profile_and_every_condition_that_held(hits):
    conditions = {p["code"]: p["when"] for p in load(TWO_ZONES).profiles}
    for row in hits.itertuples():
        assert row.expected == "profile " + row.profile["code"]
        assert len(row.facts["conditions"]) == len(conditions[row.profile["code"]]), row.lot_ref
