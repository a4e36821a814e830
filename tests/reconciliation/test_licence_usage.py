"""How much of a licence the removals citing it used, in time order and in the licence's unit."""

import pandas as pd
import pytest

from reconciliation.licences import usage


def removals(*rows: tuple[str, str, int, float, str]) -> pd.DataFrame:
    """(declaration, licence, day of September, quantity, unit) per removal."""
    return pd.DataFrame(
        [
            (ref, 1, pd.Timestamp(f"2026-09-{day:02d}T08:00Z"), licence, round(qty * 1_000_000), unit, 1, "L1", "DE")
            for ref, licence, day, qty, unit in rows
        ],
        columns=["declaration_ref", "item_no", "lodged_at", "licence_ref", "quantity", "unit", "operator_id",
                 "lot_ref", "destination_country"],
    )  # fmt: skip


def licences(*rows: tuple[str, float | None, str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        [(ref, None if qty is None else round(qty * 1_000_000), unit) for ref, qty, unit in rows],
        columns=["licence_ref", "quantity", "unit"],
    )


def test_removals_draw_a_licence_down_in_time_order_converted_to_its_unit():
    out = usage(
        removals(("RE-2", "EL-1", 12, 600, "KGM"), ("RE-1", "EL-1", 10, 0.3, "TNE"), ("RE-3", "EL-1", 14, 200, "KGM")),
        licences(("EL-1", 1, "TNE")),
    )
    assert list(out["declaration_ref"]) == ["RE-1", "RE-2", "RE-3"]
    assert list(out["used"]) == [300_000, 600_000, 200_000]
    assert list(out["cumulative"]) == [300_000, 900_000, 1_100_000]
    assert list(out["exhausted"]) == [False, False, True]


def test_exactly_the_licensed_quantity_is_not_exhausted():
    out = usage(removals(("RE-1", "EL-1", 10, 1000, "KGM")), licences(("EL-1", 1, "TNE")))
    assert list(out["exhausted"]) == [False]


def test_a_removal_in_another_dimension_cannot_be_weighed_and_uses_nothing():
    out = usage(removals(("RE-1", "EL-1", 10, 5, "LTR"), ("RE-2", "EL-1", 11, 5, "KGM")), licences(("EL-1", 6, "KGM")))
    assert out["used"].isna().tolist() == [True, False] and list(out["cumulative"]) == [0, 5_000_000]


def test_a_licence_without_a_quantity_is_never_exhausted():
    out = usage(removals(("RE-1", "EL-1", 10, 5, "KGM")), licences(("EL-1", None, None)))
    assert out["used"].isna().all() and not out["exhausted"].any()


def test_each_licence_is_counted_on_its_own_and_removals_of_unknown_licences_are_left_out():
    out = usage(
        removals(("RE-1", "EL-1", 10, 5, "KGM"), ("RE-2", "EL-2", 11, 5, "KGM"), ("RE-3", "EL-9", 11, 5, "KGM")),
        licences(("EL-1", 4, "KGM"), ("EL-2", 6, "KGM")),
    )
    assert dict(zip(out["licence_ref"], out["exhausted"], strict=True)) == {"EL-1": True, "EL-2": False}


def test_no_removals_gives_the_columns_typed():
    out = usage(removals(), licences(("EL-1", 1, "KGM")))
    assert out.empty and out["cumulative"].dtype == "int64" and out["exhausted"].dtype == bool


def test_a_missing_column_is_named():
    with pytest.raises(ValueError, match="licences: missing column"):
        usage(removals(), pd.DataFrame(columns=["licence_ref"]))
