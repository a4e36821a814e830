"""Book balances: what a lot should hold, from its movements alone.

Stock never changes in place: each movement takes a quantity from one location to
another (the outside world, the zone, production, scrap), so a lot's balance is always
the sum of what came in minus what went out. Quantities are int64 millionths of a unit.
"""

from fractions import Fraction

import numpy as np
import pandas as pd

from reconciliation import codes
from reconciliation.quantities import scaled
from reconciliation.units import factor

# The sign of each movement type for the lot's balance: +1 into the zone (from outside or
# from production), -1 out of it (outside, production, scrap). An ownership transfer moves
# nothing and a count records what was found, not a move; ADJUST carries its own sign.
EFFECT = {
    "ADMISSION": 1,
    "PRODUCE": 1,
    "REMOVAL": -1,
    "CONSUME": -1,
    "DESTROY": -1,
    "ADJUST": 1,
    "OWNERSHIP": 0,
    "COUNT": 0,
}


def signs(types: pd.Series) -> pd.Series:
    """Each movement type's ``EFFECT`` (int64), looked up once per distinct type; an unknown or
    missing type fails as a lookup of it would."""
    codes, uniques = pd.factorize(types, use_na_sentinel=False)
    effect = pd.Series(uniques, dtype="object").map(EFFECT).astype("int64").to_numpy()
    return pd.Series(effect[codes], index=types.index, name=types.name)


def current(movements: pd.DataFrame) -> pd.DataFrame:
    """Movements without those superseded by a later correction (``corrects_ref``)."""
    corrections = movements.loc[movements["corrects_ref"].notna(), ["operator_id", "corrects_ref", "id"]]
    if corrections.empty:  # nothing corrected (most runs): every movement stands, no merge
        return movements.copy(deep=False)  # (a frame of its own, as a selection would be)
    latest = (
        corrections.groupby(["operator_id", "corrects_ref"], as_index=False)["id"]
        .max()
        .rename(columns={"corrects_ref": "movement_ref", "id": "corrected_by"})
    )
    merged = movements[["operator_id", "movement_ref", "id"]].merge(
        latest, on=["operator_id", "movement_ref"], how="left"
    )
    superseded = merged["corrected_by"].notna() & (merged["corrected_by"] > merged["id"])
    return movements.loc[~superseded.to_numpy()]


def in_lot_unit(
    movements: pd.DataFrame, lots: np.ndarray | None = None, order: np.ndarray | None = None
) -> pd.DataFrame:
    """Each movement with ``lot_unit`` (the unit its lot was first booked in) and
    ``lot_quantity`` (its quantity converted to that unit, exactly, rounded to a millionth).
    ``lots``: each movement's lot numbered (-1: none) where the caller has them already, and
    ``order``: the positions that sort the movements by operator, lot, time and id."""
    if lots is not None and order is not None:
        units = _first_units(movements, lots, order)
    else:
        lot = ["operator_id", "lot_ref"]
        ordered = movements[[*lot, "occurred_at", "id", "unit"]].set_axis(range(len(movements)))
        if lots is not None:  # grouped on the numbers (a missing lot none, as a missing text is)
            ordered = ordered.assign(lot_ref=np.where(lots < 0, np.nan, lots))
        ordered = ordered.sort_values(["occurred_at", "id"])
        # each row given its lot's first unit where it stands, then put back in the movements'
        # order by position: one grouping on the lot, no merge on it
        units = ordered.groupby(lot)["unit"].transform("first").sort_index()
    out = movements.reset_index(drop=True).assign(lot_unit=units.rename("lot_unit"))
    out["lot_quantity"] = out["quantity"].astype("int64")
    other = out["unit"] != out["lot_unit"]
    if other.any():
        pairs = out.loc[other, ["unit", "lot_unit"]].drop_duplicates()
        ratios = {(u, lu): Fraction(factor(u, lu)) for u, lu in pairs.itertuples(index=False)}
        keys = zip(out.loc[other, "unit"], out.loc[other, "lot_unit"], strict=True)
        ratio = pd.Series([ratios[k] for k in keys], index=out.index[other], dtype="object")
        out.loc[other, "lot_quantity"] = scaled(out.loc[other, "quantity"], ratio)
    return out


def _first_units(movements: pd.DataFrame, lots: np.ndarray, order: np.ndarray) -> pd.Series:
    """Each movement's lot's first unit present (missing where the lot is): the rows in
    ``order`` hold each lot together, earliest first, so its first unit is its block's first."""
    units, names = pd.factorize(movements["unit"])  # (-1: missing)
    operator, lot, unit = movements["operator_id"].to_numpy()[order], lots[order], units[order]
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = (operator[1:] != operator[:-1]) | (lot[1:] != lot[:-1])
    block = np.cumsum(starts) - 1
    present = unit >= 0
    blocks, units_present = block[present], unit[present]
    firsts = np.ones(len(blocks), dtype=bool)
    firsts[1:] = blocks[1:] != blocks[:-1]
    first = np.full(int(block[-1]) + 1 if len(block) else 0, -1, dtype="int64")
    first[blocks[firsts]] = units_present[firsts]
    taken = np.empty(len(order), dtype="int64")
    taken[order] = np.where(lot < 0, -1, first[block])
    return pd.Series(names.array.take(taken, allow_fill=True), name="unit")


def book_balances(movements: pd.DataFrame, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per lot: its unit, balance (millionths), movements counted, first and last movement time,
    from ``movements`` as they stand after corrections (see ``current``)."""
    rows = movements
    if as_of is not None:
        rows = rows[rows["occurred_at"] <= as_of]
    rows = in_lot_unit(rows)
    rows["signed"] = rows["lot_quantity"] * signs(rows["movement_type"])
    grouped = rows.groupby(["operator_id", "lot_ref"], as_index=False)
    return grouped.agg(
        unit=("lot_unit", "first"),
        balance=("signed", "sum"),
        movements=("id", "count"),
        first_at=("occurred_at", "min"),
        last_at=("occurred_at", "max"),
    )


def current_entries(entries: pd.DataFrame, items: np.ndarray | None = None) -> pd.DataFrame:
    """The customs items in force: each item's highest version, if that version is ACCEPTED.

    Every version stays in the ledger; an amendment (a higher version) replaces the lower
    ones, and an item whose latest version is INVALIDATED is not in force at all. ``items``:
    ``item_numbers(entries)`` where the caller has them already.
    """
    # decided on the few columns it reads (rows numbered by position), then the wide frame taken once
    narrow = entries[["declaration_ref", "item_no", "version", "status"]].reset_index(drop=True)
    item = item_numbers(narrow) if items is None else items
    if item is None:  # too many items for one integer: as the texts sort and compare
        latest = narrow.sort_values("version").drop_duplicates(["declaration_ref", "item_no"], keep="last")
        kept = np.sort(latest.index[latest["status"] == "ACCEPTED"])
    else:
        # the rows in the order ``sort_values("version")`` gives them, each item's last there kept
        order = np.argsort(narrow["version"].to_numpy(), kind="quicksort")
        latest = order[~pd.Series(item[order]).duplicated(keep="last").to_numpy()]
        kept = np.sort(latest[(narrow["status"] == "ACCEPTED").to_numpy(dtype=bool)[latest]])
    out = entries if len(kept) == len(entries) else entries.iloc[kept]  # all in force: no copy
    return out if out.index.is_monotonic_increasing else out.sort_index()


def item_numbers(entries: pd.DataFrame) -> np.ndarray | None:
    """Each customs item version's item (declaration and item number) as one int64, equal where
    the item is (a missing declaration equal to another): the texts hashed once, no row taken.
    None where the items' range does not fit one integer."""
    given = codes.declaration_numbers(entries)  # numbered for the run, or hashed here
    declarations = (pd.factorize(entries["declaration_ref"])[0] if given is None else given).astype("int64") + 1
    numbers = entries["item_no"].to_numpy(dtype="int64")
    if not len(numbers):
        return declarations
    low, span = int(numbers.min()), int(numbers.max()) - int(numbers.min()) + 1
    if span * (int(declarations.max()) + 1) >= 2**62:
        return None
    return declarations * span + (numbers - low)
