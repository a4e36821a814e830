"""The two-zone sample (tests/fixtures/two-zones): every planted unlicensed removal, concealment
and removal under hold is found on its lot family (also after a transfer between the zones), and
no clean family raises any of the three."""

import pandas as pd
import pytest

from tests.reconciliation.sample import two_zones_findings, two_zones_planted

KINDS = ("UNLICENSED_STRATEGIC_REMOVAL", "CONCEALMENT_SUSPECTED", "REMOVAL_UNDER_HOLD")


@pytest.fixture(scope="module")
def findings() -> pd.DataFrame:
    return two_zones_findings(*KINDS)


def planted() -> pd.DataFrame:
    return two_zones_planted(*KINDS)


def test_every_planted_case_is_found_on_its_family(findings):
    expected = planted()
    # every planted case, those acted on after a transfer to the other zone included: the goods'
    # strategic status follows them there
    assert len(expected) == 36
    found = set(zip(findings["family"], findings["kind"], strict=True))
    missing = [(lot, kind) for lot, kind in zip(expected["lot_ref"], expected["kind"], strict=True)
               if (lot, kind) not in found]  # fmt: skip
    assert missing == []


def test_no_clean_family_raises_any_of_the_three_kinds(findings):
    expected = set(zip(planted()["lot_ref"], planted()["kind"], strict=True))
    extra = findings[[(f, k) not in expected for f, k in zip(findings["family"], findings["kind"], strict=True)]]
    assert extra[["kind", "lot_ref", "customs_ref"]].to_dict("records") == []


def test_the_strategic_flag_is_the_planted_one(findings):
    flags = findings.groupby(["family", "kind"])["strategic"].first()
    for row in planted().itertuples():
        if (row.lot_ref, row.kind) in flags.index:
            assert bool(flags[(row.lot_ref, row.kind)]) == row.strategic, (row.lot_ref, row.kind)
