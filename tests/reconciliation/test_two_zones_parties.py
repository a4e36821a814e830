"""The two-zone sample (tests/fixtures/two-zones) screened against its parties.csv: every planted
DENIED_PARTY is found on its lot family, with the planted strategic flag, and no clean family
raises one (names sharing only generic words with listed ones, listed names written another way)."""

import pandas as pd
import pytest

from tests.reconciliation.sample import two_zones_findings, two_zones_planted

KIND = "DENIED_PARTY"


@pytest.fixture(scope="module")
def findings() -> pd.DataFrame:
    return two_zones_findings(KIND)


def planted() -> pd.DataFrame:
    return two_zones_planted(KIND)


def test_every_planted_denied_party_is_found_on_its_family(findings):
    expected = planted()
    assert len(expected) >= 10
    missing = sorted(set(expected["lot_ref"]) - set(findings["family"]))
    assert missing == []


def test_no_clean_family_raises_a_denied_party(findings):
    extra = findings[~findings["family"].isin(set(planted()["lot_ref"]))]
    assert extra[["lot_ref", "customs_ref", "expected", "found"]].to_dict("records") == []


def test_the_strategic_flag_is_the_planted_one_and_strategic_ones_are_critical(findings):
    flags = findings.groupby("family")["strategic"].first()
    for row in planted().itertuples():
        assert bool(flags[row.lot_ref]) == row.strategic, row.lot_ref
    assert set(findings.loc[findings["strategic"], "severity"]) == {"CRITICAL"}
