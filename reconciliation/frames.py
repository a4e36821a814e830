"""The frames ``reconcile`` reads, in the types its rules expect: integers int64, times UTC,
texts Arrow-backed strings with NaN where missing. Frames read through Arrow arrive so and
are taken as they are; others (object columns, naive times) are converted once.
"""

from datetime import UTC

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Text columns as the rules read them: Arrow-backed strings, NaN where missing.
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)
TIMES = {"occurred_at", "lodged_at", "recorded_at"}
NUMBERS = {"id", "operator_id", "zone_id", "quantity", "item_no", "version"}
MOVEMENT_COLUMNS = [
    "id", "operator_id", "zone_id", "movement_ref", "movement_type", "occurred_at", "lot_ref", "hs_code", "quantity",
    "unit", "customs_ref", "destination_country", "intended_destination", "control_code", "process_ref", "corrects_ref",
]  # fmt: skip
ENTRY_COLUMNS = [
    "id", "declaration_ref", "item_no", "version", "direction", "procedure", "status", "lodged_at", "zone_id",
    "operator_id", "lot_ref", "hs_code", "quantity", "unit", "destination_country", "control_code",
]  # fmt: skip
# Read by the second edition's rules; a frame without them (older callers) reads as all empty.
OPTIONAL = {
    "movements": ["description", "removal_kind", "counterparty", "previous_ref"],
    "entries": [
        *("description", "licence_ref", "consignor", "consignee", "origin_country", "intended_destination"),
        *("destination_zone", "previous_ref"),
    ],
}


def checked(frame: pd.DataFrame, columns: list[str], name: str) -> pd.DataFrame:
    """``frame`` with the columns a rule reads, in the types it expects; a missing column is
    named up front rather than failing deep inside a rule."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)}")
    # A shallow copy: pandas copies on write, so replacing a column never touches the caller's.
    out = frame.copy(deep=False)
    optional = [c for c in OPTIONAL.get(name, []) if c not in frame.columns]
    out = out.assign(**dict.fromkeys(optional)) if optional else out
    for column in [*columns, *OPTIONAL.get(name, [])]:
        values = out[column]
        typed = _typed(values, column)
        if typed is not values:
            out[column] = typed
    return out


def read(frame: pd.DataFrame, name: str, also: list[str]) -> pd.DataFrame:
    """``frame`` (``checked``) with only the columns the rules read of ``name``, and ``also``."""
    columns = {*(MOVEMENT_COLUMNS if name == "movements" else ENTRY_COLUMNS), *OPTIONAL.get(name, []), *also}
    if all(c in columns for c in frame.columns):
        return frame
    return frame[[c for c in frame.columns if c in columns]]


def _typed(values: pd.Series, column: str) -> pd.Series:
    """``values`` in the type the rules expect for ``column``: as given (no conversion) when
    already so, as frames read through Arrow arrive."""
    if column in TIMES:
        if isinstance(values.dtype, pd.DatetimeTZDtype) and values.dtype.tz is UTC:
            return values  # any unit: us as Arrow gives it, or ns
        return pd.to_datetime(values, utc=True)
    if column in NUMBERS:
        return values if values.dtype == "int64" else values.astype("int64")
    if values.dtype == TEXT:
        return values
    return values.astype("object").where(values.notna()).astype("str")


def concatenated(*parts: pd.Series | str) -> pd.Series:
    """The texts of ``parts`` (columns and constants) joined row by row, missing where a column
    is: ``a + "/" + b.astype(str)`` in one Arrow pass for text and int64 columns, instead of one
    new column per ``+``."""
    columns = [p for p in parts if isinstance(p, pd.Series)]
    if not all(c.dtype == TEXT or c.dtype == "int64" for c in columns):  # other types: as pandas adds them
        texts = [p.astype(str) if isinstance(p, pd.Series) and p.dtype == "int64" else p for p in parts]
        out = texts[0]
        for text in texts[1:]:
            out = out + text
        return out
    arrays = [
        pa.scalar(p, pa.large_string())
        if isinstance(p, str)
        else pa.array(p.array)
        if p.dtype == TEXT
        else pc.cast(pa.array(p.to_numpy()), pa.large_string())
        for p in parts
    ]
    joined = pc.binary_join_element_wise(*arrays, pa.scalar("", pa.large_string()))
    return pd.Series(pd.array(joined, dtype=TEXT), index=columns[0].index)


def among(column: pd.Series, values: pd.Series) -> pd.Series:
    """``column.isin(values)``, for text columns with Arrow's hashing: pandas reads the values
    one by one in Python, which costs more than the lookup itself once they are thousands."""
    if column.dtype != TEXT or values.dtype != TEXT:
        return column.isin(values)
    wanted = arrow_texts(values).combine_chunks()
    found = pc.is_in(arrow_texts(column), value_set=wanted, skip_nulls=False)  # a missing value meets a missing one
    return pd.Series(found.to_numpy(), index=column.index, name=column.name)


def arrow_texts(column: pd.Series) -> pa.ChunkedArray:
    """``column``'s texts as Arrow large strings (no copy for an Arrow-backed text column)."""
    if column.dtype == TEXT:
        data = pa.array(column.array)
    else:
        data = pa.array(column.astype("object"), from_pandas=True, type=pa.large_string())
    data = pa.chunked_array([data]) if isinstance(data, pa.Array) else data
    return data if data.type == pa.large_string() else data.cast(pa.large_string())
