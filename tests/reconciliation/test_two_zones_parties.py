"""The two-zone sample (tests/fixtures/two-zones) screened against its parties.csv: every planted
DENIED_PARTY is found on its lot family, with the planted strategic flag, and no clean family
raises one (names sharing only generic words with listed ones, listed names written another way)."""

from pathlib import Path

import pandas as pd
import pytest

from reconciliation.engine import reconcile
from tests.reconciliation.sample import load

FOLDER = Path(__file__).parents[1] / "fixtures" / "two-zones"
KIND = "DENIED_PARTY"


@pytest.fixture(scope="module")
def findings() -> pd.DataFrame:
    found = reconcile(load(FOLDER))
    family = pd.read_csv(FOLDER / "lot_family.csv", dtype=str).set_index("lot_ref")["root_lot"]
    return found[found["kind"] == KIND].assign(family=found["lot_ref"].map(family))


def planted() -> pd.DataFrame:
    expected = pd.read_csv(FOLDER / "expected.csv", dtype=str)
    return expected[expected["kind"] == KIND].assign(strategic=expected["strategic"] == "true")


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
