"""The engine's input types: frames read through Arrow are taken as they are, others converted."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from reconciliation.engine import reconcile
from reconciliation.frames import ENTRY_COLUMNS, MOVEMENT_COLUMNS, TEXT, checked, concatenated
from tests.reconciliation.builders import Ledger


def ledger() -> Ledger:
    """A ledger with a finding of each common family: quantities, balances, destinations."""
    return (
        Ledger()
        .admit("L1", 100)
        .declare("ADMISSION", "AD-L2", "L2", 110, 1)
        .move("ADMISSION", "L2", 100, 1, customs_ref="AD-L2")
        .remove("L1", 60, day=5)
        .move("REMOVAL", "L1", 70, 6, customs_ref="RX", destination_country="IR")
    )


def as_read(frame: pd.DataFrame, columns: list[str], unit: str) -> pd.DataFrame:
    """``frame`` as a read through Arrow gives it: typed, times of ``unit``."""
    typed = checked(frame, columns, "movements" if "movement_ref" in columns else "entries")
    times = [c for c in typed.columns if isinstance(typed[c].dtype, pd.DatetimeTZDtype)]
    return typed.astype({c: f"datetime64[{unit}, UTC]" for c in times})


def numbers(values: pd.Series) -> np.ndarray:
    """The integers a numeric or time column holds (times as their ticks)."""
    return values.array.asi8 if isinstance(values.dtype, pd.DatetimeTZDtype) else values.to_numpy()


def test_a_typed_frame_is_taken_as_it_is():
    frame = as_read(ledger().inputs().movements, MOVEMENT_COLUMNS, "us")
    out = checked(frame, MOVEMENT_COLUMNS, "movements")
    for column in ("occurred_at", "quantity", "operator_id"):
        assert np.shares_memory(numbers(out[column]), numbers(frame[column]))  # not converted, not copied
    pd.testing.assert_frame_equal(out, frame)


def test_other_types_are_converted_and_the_callers_frame_is_left_alone():
    moves = ledger().inputs().movements
    frame = moves.assign(occurred_at=moves["occurred_at"].dt.tz_localize(None), quantity=moves["quantity"] * 1.0)
    before = frame.copy()
    out = checked(frame, MOVEMENT_COLUMNS, "movements")
    assert out["lot_ref"].dtype == TEXT and out["customs_ref"].dtype == TEXT
    assert out["customs_ref"].isna().sum() == frame["customs_ref"].isna().sum()  # missing stays NaN, not "None"
    assert str(out["occurred_at"].dtype).endswith(", UTC]") and out["quantity"].dtype == "int64"
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize("unit", ["us", "ns"])
def test_typed_frames_of_either_time_unit_give_the_same_findings(unit):
    inputs = ledger().inputs()
    typed = replace(
        inputs,
        movements=as_read(inputs.movements, MOVEMENT_COLUMNS, unit),
        entries=as_read(inputs.entries, ENTRY_COLUMNS, unit),
    )
    expected, found = reconcile(inputs), reconcile(typed)
    assert sorted(found["kind"]) == sorted(expected["kind"]) and len(found) >= 3
    columns = ["kind", "lot_ref", "customs_ref", "expected", "found", "records", "fingerprint"]
    pd.testing.assert_frame_equal(found[columns], expected[columns])


def test_concatenated_joins_texts_and_integers_as_pandas_adds_them():
    refs = pd.Series(["AD1", None, "AD3"], dtype="str", index=[7, 3, 5])
    items, versions = pd.Series([1, 2, 3], index=refs.index), pd.Series([1, 1, 2], index=refs.index)
    expected = refs + "/" + items.astype(str) + "v" + versions.astype(str)
    pd.testing.assert_series_equal(concatenated(refs, "/", items, "v", versions), expected)
    objects = refs.astype("object")
    pd.testing.assert_series_equal(
        concatenated(objects, "/", items), objects + "/" + items.astype(str), check_dtype=False
    )
    assert concatenated(refs, "/", items).isna().tolist() == [False, True, False]
    assert np.array_equal(concatenated(refs.iloc[:0], "/", items.iloc[:0]).to_numpy(), np.array([], dtype=object))
