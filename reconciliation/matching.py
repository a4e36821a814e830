"""Operator admissions and removals held against the customs items in force.

Both sides are summed per (operator, direction, declaration, lot), so that many removals
may draw on one lot and one declaration may cover many lots, then joined in one outer
merge. Customs items that name no lot (or another lot) are matched afterwards to the
operator's unmatched records of the same declaration and HS heading, the nearest quantity
first, one to one.
"""

import pandas as pd

from reconciliation.quantities import to_base

KEY = ["operator_id", "direction", "declaration", "lot_ref"]


# A destruction under customs supervision is declared as a removal of procedure DESTRUCTION
# and matched to the operator's DESTROY, never to a removal: its own direction here.
DESTRUCTION = "DESTRUCTION"


def operator_side(movements: pd.DataFrame) -> pd.DataFrame:
    """Current ADMISSION, REMOVAL and (declared) DESTROY movements summed per key, in base units."""
    rows = movements[
        movements["movement_type"].isin(["ADMISSION", "REMOVAL", "DESTROY"]) & movements["customs_ref"].notna()
    ]
    direction = rows["movement_type"].where(rows["movement_type"] != "DESTROY", DESTRUCTION)
    rows = rows.assign(direction=direction, declaration=rows["customs_ref"])
    base, dims = to_base(rows["quantity"], rows["unit"])
    rows = rows.assign(qty=base, dimension=dims, hs6=rows["hs_code"].str.slice(0, 6))
    return (
        rows.sort_values(["occurred_at", "id"])
        .groupby(KEY, as_index=False)
        .agg(
            o_qty=("qty", "sum"),
            o_dimension=("dimension", "first"),
            o_hs=("hs6", "first"),
            o_destination=("destination_country", "first"),
            o_at=("occurred_at", "min"),
            zone_id=("zone_id", "first"),
        )
        .merge(joined(rows, KEY, "movement_ref", "o_refs"), on=KEY, how="left")
    )


def customs_side(entries: pd.DataFrame) -> pd.DataFrame:
    """Customs items in force, summed per key (the lot may be missing), in base units."""
    base, dims = to_base(entries["quantity"], entries["unit"])
    rows = entries.assign(
        direction=entries["direction"].where(entries["procedure"] != DESTRUCTION, DESTRUCTION),
        qty=base,
        dimension=dims,
        hs6=entries["hs_code"].str.slice(0, 6),
        declaration=entries["declaration_ref"],
        item=entries["declaration_ref"] + "/" + entries["item_no"].astype(str) + "v" + entries["version"].astype(str),
    )
    rows = rows.assign(lot_key=rows["lot_ref"].fillna("#" + rows["item"]))
    grouped = rows.groupby(["operator_id", "direction", "declaration", "lot_key"], as_index=False, dropna=False).agg(
        lot_ref=("lot_ref", "first"),
        c_qty=("qty", "sum"),
        c_dimension=("dimension", "first"),
        c_hs=("hs6", "first"),
        c_destination=("destination_country", "first"),
        c_at=("lodged_at", "min"),
        c_zone_id=("zone_id", "first"),
    )
    keys = ["operator_id", "direction", "declaration", "lot_key"]
    grouped = grouped.merge(joined(rows, keys, "item", "c_items"), on=keys, how="left")
    return grouped.drop(columns="lot_key")


def joined(rows: pd.DataFrame, keys: list[str], column: str, name: str) -> pd.DataFrame:
    """Per key, the values of ``column`` joined with commas. Most keys hold one row, which
    needs no Python call; only the rest are joined group by group."""
    size = rows.groupby(keys, dropna=False)[column].transform("size")
    single = rows.loc[size == 1, [*keys, column]]
    several = rows[size > 1].groupby(keys, dropna=False, as_index=False)[column].agg(",".join)
    return pd.concat([single, several], ignore_index=True).rename(columns={column: name})


def match(movements: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """Every operator record and customs item, matched where they can be: ``side`` is
    ``both``, ``operator`` (no customs item) or ``customs`` (no operator record)."""
    ours = operator_side(movements)
    theirs = customs_side(entries)
    with_lot = theirs[theirs["lot_ref"].notna()]
    merged = ours.merge(with_lot, on=KEY, how="outer", indicator=True)
    matched = merged[merged["_merge"] == "both"]
    left = merged.loc[merged["_merge"] == "left_only", ours.columns].reset_index(drop=True)
    right = pd.concat(
        [merged.loc[merged["_merge"] == "right_only", theirs.columns], theirs[theirs["lot_ref"].isna()]],
        ignore_index=True,
    )
    second, left, right = _by_heading(left, right)
    out = pd.concat(
        [
            matched.drop(columns="_merge").assign(side="both"),
            second.assign(side="both"),
            left.assign(side="operator"),
            right.assign(side="customs"),
        ],
        ignore_index=True,
    )
    out["zone_id"] = out["zone_id"].fillna(out["c_zone_id"])
    return out.drop(columns="c_zone_id")


def _by_heading(left: pd.DataFrame, right: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Pair unmatched records of one declaration by HS heading and nearest quantity, one to one."""
    keys = ["operator_id", "direction", "declaration", "heading"]
    ours = left.assign(heading=left["o_hs"].str.slice(0, 4), o_index=left.index)
    theirs = right.assign(heading=right["c_hs"].str.slice(0, 4), c_index=right.index).drop(columns="lot_ref")
    pairs = ours.merge(theirs, on=keys)
    pairs = pairs.assign(gap=(pairs["o_qty"] - pairs["c_qty"]).abs()).sort_values("gap")
    chosen = []
    # Greedy by smallest gap; each pass takes the best remaining pair of every record.
    while not pairs.empty:
        best = pairs.drop_duplicates("o_index").drop_duplicates("c_index")
        chosen.append(best)
        pairs = pairs[~pairs["o_index"].isin(best["o_index"]) & ~pairs["c_index"].isin(best["c_index"])]
    taken = pd.concat(chosen) if chosen else pairs
    remaining_left = left.drop(index=taken["o_index"])
    remaining_right = right.drop(index=taken["c_index"])
    return taken.drop(columns=["heading", "o_index", "c_index", "gap"]), remaining_left, remaining_right
