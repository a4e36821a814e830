"""Operator admissions and removals held against the customs items in force.

Both sides are summed per (operator, direction, declaration, lot), so that many removals
may draw on one lot and one declaration may cover many lots, then joined in one outer
merge. Customs items that name no lot (or another lot) are matched afterwards to the
operator's unmatched records of the same declaration and HS heading, the nearest quantity
first, one to one; then an item naming no lot to what is left of its declaration whatever the
heading, so that goods declared under another heading are a classification mismatch.
"""

import numpy as np
import pandas as pd

from reconciliation import codes
from reconciliation.frames import concatenated
from reconciliation.quantities import to_base

KEY = ["operator_id", "direction", "declaration", "lot_ref"]


# A destruction under customs supervision is declared as a removal of procedure DESTRUCTION
# and matched to the operator's DESTROY, never to a removal: its own direction here.
DESTRUCTION = "DESTRUCTION"


def match(movements: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """Every operator record and customs item, matched where they can be: ``side`` is
    ``both``, ``operator`` (no customs item) or ``customs`` (no operator record)."""
    return match_timed(movements, entries)[0]


def match_timed(movements: pd.DataFrame, entries: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series | None]:
    """``match``, and for each movement (by position) the ``c_at`` of the customs item matched
    to it (NaT: none): what the book balance dates a late booking by, found by the positions
    the matching already knows instead of merging the movements on the key's texts again.
    None where the sides were merged as they are (the key does not fit one integer)."""
    declared = _declared(movements)
    ours, theirs = _coded(_operator_rows(movements, declared), _customs_rows(entries))
    (ours, at_sums), theirs = _operator_sums(ours), _customs_sums(theirs)
    lotless = theirs[theirs["lot_ref"].isna()].sort_values(CODED, kind="stable")  # in key order
    matched, left, right, paired = _joined(ours, theirs[theirs["lot_ref"].notna()])  # in key order too
    right = pd.concat([right, lotless.drop(columns=CODED[1:])], ignore_index=True)
    second, left, right, taken = _by_heading(left, right)
    out = pd.concat(
        [
            matched.assign(side="both"),
            second.assign(side="both"),
            left.assign(side="operator"),
            right.assign(side="customs"),
        ],
        ignore_index=True,
    )
    out["zone_id"] = out["zone_id"].fillna(out["c_zone_id"])
    out = out.drop(columns="c_zone_id")
    if paired is None:
        return out, None
    # each sums row of ours: the row of ``out`` it was paired into (-1: none)
    pair = np.full(len(ours), -1, dtype="int64")
    pair[paired[0]] = np.arange(len(matched))
    pair[paired[1][taken]] = len(matched) + np.arange(len(taken))
    # each movement: its row of ours (an operator record of a key with no missing part), then
    # its pair; a DESTROY is matched to a destruction, which dates no book balance
    at_rows = np.full(len(movements), -1, dtype="int64")
    at_rows[declared] = np.append(pair, -1)[at_sums]  # a row left out (-1) reads the -1 appended
    at_rows[(movements["movement_type"] == "DESTROY").to_numpy(dtype=bool)] = -1
    c_at = out["c_at"].array.take(at_rows, allow_fill=True)
    return out, pd.Series(c_at, index=movements.index, name="c_at")


# The columns the sums read (the ``Inputs`` frames are wider, and merges carry every column).
OPERATOR_COLUMNS = [
    "id", "operator_id", "movement_type", "customs_ref", "lot_ref", "quantity", "unit", "hs_code",
    "destination_country", "occurred_at", "zone_id", "movement_ref",
]  # fmt: skip
CUSTOMS_COLUMNS = [
    "operator_id", "direction", "procedure", "declaration_ref", "item_no", "version", "lot_ref", "hs_code",
    "quantity", "unit", "destination_country", "lodged_at", "zone_id",
]  # fmt: skip
# The key with its text parts as integers (``_coded``): what the sums group on and the sides merge on.
CODED = ["operator_id", "_direction", "_declaration", "_lot"]


def _operator_rows(movements: pd.DataFrame, declared: np.ndarray) -> pd.DataFrame:
    """The operator records that meet customs items (``declared``), with their key and quantity
    in base units."""
    rows = movements.loc[declared, _with_numbers(movements, OPERATOR_COLUMNS)]
    direction = rows["movement_type"].where(rows["movement_type"] != "DESTROY", DESTRUCTION)
    base, dims = to_base(rows["quantity"], rows["unit"])
    return rows.assign(
        direction=direction, declaration=rows["customs_ref"], qty=base, dimension=dims,
        hs6=rows["hs_code"].str.slice(0, 6), lot_key=rows["lot_ref"],
    )  # fmt: skip


def _declared(movements: pd.DataFrame) -> np.ndarray:
    """Whether each movement is an operator record that can meet a customs item."""
    wanted = movements["movement_type"].isin(["ADMISSION", "REMOVAL", "DESTROY"]) & movements["customs_ref"].notna()
    return wanted.to_numpy(dtype=bool)


def _customs_rows(entries: pd.DataFrame) -> pd.DataFrame:
    """The customs items, with their key (an item naming no lot keyed by itself) in base units."""
    base, dims = to_base(entries["quantity"], entries["unit"])
    rows = entries[_with_numbers(entries, CUSTOMS_COLUMNS)].assign(
        direction=entries["direction"].where(entries["procedure"] != DESTRUCTION, DESTRUCTION),
        qty=base,
        dimension=dims,
        hs6=entries["hs_code"].str.slice(0, 6),
        declaration=entries["declaration_ref"],
        item=concatenated(entries["declaration_ref"], "/", entries["item_no"], "v", entries["version"]),
    )
    lotless = rows["lot_ref"].isna()  # (the keys of items naming a lot are their lots: no texts built)
    return rows.assign(
        lot_key=rows["lot_ref"].fillna("#" + rows.loc[lotless, "item"]) if lotless.any() else rows["lot_ref"]
    )


def _with_numbers(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """``columns``, and the lot and declaration numbers where ``frame`` carries them."""
    return [*columns, *(c for c in (codes.LOT, codes.DECLARATION) if c in frame.columns)]


def _coded(ours: pd.DataFrame, theirs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both sides' rows with ``CODED``: each text part of the key numbered over both sides in
    sorted order (a missing value last), so that grouping and merging on the numbers puts rows
    in the order the texts would, at the cost of integers."""
    for column, code in zip(["direction", "declaration", "lot_key"], CODED[1:], strict=True):
        numbers = _given(ours, theirs, column)
        if numbers is None:  # not numbered for the run: the texts ranked here
            numbers = codes.ranks(ours[column], theirs[column])
        numbers = np.where(numbers < 0, numbers.max(initial=-1) + 1, numbers)
        ours, theirs = ours.assign(**{code: numbers[: len(ours)]}), theirs.assign(**{code: numbers[len(ours) :]})
    return ours, theirs


def _given(ours: pd.DataFrame, theirs: pd.DataFrame, column: str) -> np.ndarray | None:
    """Both sides' ``column`` as the run numbered it (``reconciliation.codes``), if it did: the
    declarations, and the lots where every customs item names its own (an item naming none is
    keyed by a text of its own, which the run did not number)."""
    if column == "declaration":
        numbers = [codes.declaration_numbers(ours), codes.declaration_numbers(theirs)]
    elif column == "lot_key" and theirs["lot_ref"].notna().all():
        numbers = [codes.lot_numbers(ours), codes.lot_numbers(theirs)]
    else:
        return None
    return None if any(n is None for n in numbers) else np.concatenate(numbers)


def _operator_sums(rows: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Per key (a key with a missing part left out), the operator's quantity and first details;
    and each row's row of the sums (-1: left out)."""
    keyed = rows[["direction", "declaration", "lot_ref"]].notna().all(axis=1).to_numpy()
    rows = rows[keyed]
    sums = {
        "o_qty": ("qty", "sum"),
        "o_dimension": ("dimension", "first"),
        "o_hs": ("hs6", "first"),
        "o_destination": ("destination_country", "first"),
        "o_at": ("occurred_at", "max"),  # the latest booking: any of them may be late
        "zone_id": ("zone_id", "first"),
    }
    out, where = _per_group(rows, [*KEY, *CODED[1:]], sums, ["occurred_at", "id"], ("movement_ref", "o_refs"))
    at = np.full(len(keyed), -1, dtype="int64")
    at[keyed] = where
    return out, at


def _customs_sums(rows: pd.DataFrame) -> pd.DataFrame:
    """Per key, the customs quantity and first details (the lot may be missing)."""
    sums = {
        "lot_ref": ("lot_ref", "first"),
        "c_qty": ("qty", "sum"),
        "c_dimension": ("dimension", "first"),
        "c_hs": ("hs6", "first"),
        "c_destination": ("destination_country", "first"),
        "c_at": ("lodged_at", "min"),
        "c_zone_id": ("zone_id", "first"),
    }
    keys = ["operator_id", "direction", "declaration", *CODED[1:]]
    return _per_group(rows, keys, sums, [], ("item", "c_items"))[0]


def _per_group(
    rows: pd.DataFrame, keys: list[str], sums: dict, by: list[str], refs: tuple[str, str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per key of ``CODED`` (in no particular order: the merge orders them): its ``keys``,
    ``sums`` (name: (column, how)) as a groupby of the rows sorted ``by`` gives them (``first``:
    the first value present), and ``refs`` (column, name): the column's values joined with
    commas in row order. A key of one row (most keys) is that row as it is: only the others
    are grouped. Also each row's row of the result."""
    group = _numbered(rows, CODED)
    single = np.bincount(group, minlength=1)[group] == 1
    column, name = refs
    pick = slice(None) if single.all() else single  # every key of one row: no row taken
    ones = rows.loc[pick, keys].assign(**{n: rows.loc[pick, c] for n, (c, _) in sums.items()})
    ones = ones.assign(**{name: rows.loc[pick, column]})
    where = np.empty(len(rows), dtype="int64")
    where[single] = np.arange(len(ones))
    if single.all():
        return ones.reset_index(drop=True), where
    # the groups of several rows come out of the groupby in the order of their numbers
    where[~single] = len(ones) + np.unique(group[~single], return_inverse=True)[1].reshape(-1)
    several = rows[~single].assign(_group=group[~single])
    grouped = (several.sort_values(by) if by else several).groupby("_group")
    merged = grouped.agg(**{k: (k, "first") for k in keys}, **sums)
    merged[name] = several.groupby("_group")[column].agg(",".join)
    return pd.concat([ones, merged], ignore_index=True), where


def _numbered(rows: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Each row's group of its integer ``columns`` (the operator and non-negative codes), as
    one int64 key where the columns' ranges fit in one (else as pandas numbers them)."""
    key, span = _digits(rows[columns[0]].to_numpy())
    for column in columns[1:]:
        values = rows[column].to_numpy()
        width = int(values.max()) + 1 if len(values) else 1
        key, span = key * width + values, span * width
    if span >= 2**62:  # too many combinations for one integer
        return rows.groupby(columns, sort=False).ngroup().to_numpy()
    return pd.factorize(key)[0]


def _joined(ours: pd.DataFrame, theirs: pd.DataFrame) -> tuple:
    """The rows of ``_outer(ours, theirs)`` found on both sides (``KEY``, then the other
    columns of ours and of theirs), on ours alone and on theirs alone (each side's columns less
    ``CODED``): as that merge splits them, in key order and in its types (an integer column that
    the merge fills for the other side's rows is a float one), each taken once from its side
    instead of from the merged whole. Last, the rows of ours the first two were taken from
    (None where merged as they are)."""
    keys = _packed(ours, theirs)
    if keys is None:  # too many combinations for one integer: merged as they are
        merged = _outer(ours, theirs)
        mine, other = ours.columns.drop(CODED[1:]), theirs.columns.drop(CODED[1:])
        return (merged[merged["_merge"] == "both"].drop(columns="_merge"),
                merged.loc[merged["_merge"] == "left_only", mine].reset_index(drop=True),
                merged.loc[merged["_merge"] == "right_only", other], None)  # fmt: skip
    union = np.sort(np.concatenate(keys))  # the outer merge's rows, in key order
    union = union[np.append(True, union[1:] != union[:-1])[: len(union)]]  # (np.union1d hashes first: slower)
    at_ours, at_theirs = (pd.Index(k).get_indexer(union) for k in keys)
    both, only_ours, only_theirs = (at_ours >= 0) & (at_theirs >= 0), at_theirs < 0, at_ours < 0
    mine = [c for c in ours.columns if c not in KEY and c not in CODED]
    other = [c for c in theirs.columns if c not in KEY and c not in CODED]
    ours, theirs = _filled(ours, mine, only_theirs.any()), _filled(theirs, other, only_ours.any())
    matched = pd.concat(
        [ours[[*KEY, *mine]].iloc[at_ours[both]].reset_index(drop=True),
         theirs[other].iloc[at_theirs[both]].reset_index(drop=True)],
        axis=1,
    )  # fmt: skip
    left = ours[[*KEY, *mine]].iloc[at_ours[only_ours]].reset_index(drop=True)
    right = theirs.iloc[at_theirs[only_theirs]].drop(columns=CODED[1:]).reset_index(drop=True)
    return matched, left, right, (at_ours[both], at_ours[only_ours])


def _packed(ours: pd.DataFrame, theirs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray] | None:
    """Each side's ``CODED`` key as one int64, in the same order as the key's columns (the
    operator ranked over both sides, each code a digit): None where the key's range does not fit."""
    packed, span = _digits(np.concatenate([ours["operator_id"].to_numpy(), theirs["operator_id"].to_numpy()]))
    for code in CODED[1:]:
        values = np.concatenate([ours[code].to_numpy(), theirs[code].to_numpy()]).astype("int64")
        width = int(values.max(initial=0)) + 1
        packed, span = packed * width + values, span * width
    if span >= 2**62:
        return None
    return packed[: len(ours)], packed[len(ours) :]


def _digits(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Values (operator ids) as the first digit of a packed key, in their order, and the
    digit's range: integers as they are less the least where their range is no wider than
    their count (ids are dense: no hashing), else ranked."""
    if values.dtype.kind == "i" and len(values):
        low, high = int(values.min()), int(values.max())
        if high - low < len(values):
            return values.astype("int64") - low, high - low + 1
    ranked = pd.factorize(values, sort=True)[0].astype("int64")
    return ranked, max(int(ranked.max(initial=0)) + 1, 1)


def _filled(frame: pd.DataFrame, columns: list[str], missing: bool) -> pd.DataFrame:
    """``frame`` with ``columns`` in the types an outer merge gives them when the other side
    has rows they are missing for (``missing``): integers as floats, booleans as objects."""
    if not missing:
        return frame
    types = {c: "float64" if frame[c].dtype.kind in "iu" else "object" for c in columns if frame[c].dtype.kind in "iub"}
    return frame.astype(types) if types else frame


def _outer(ours: pd.DataFrame, theirs: pd.DataFrame) -> pd.DataFrame:
    """``ours.merge(theirs, on=KEY, how="outer", indicator=True)``, merged on ``CODED``: the same
    rows in the same (key) order, a missing value meeting a missing one, for integer merges."""
    text = KEY[1:]
    merged = ours.drop(columns=text).merge(theirs.drop(columns=text), on=CODED, how="outer", indicator=True)
    for column, code in zip(text, CODED[1:], strict=True):
        # each number's text as the sides hold it (a number stands for one text, or for none)
        named = pd.concat([ours[[code, column]], theirs[[code, column]]]).drop_duplicates(code)
        at = pd.Index(named[code]).get_indexer(merged.pop(code))
        merged[column] = pd.Series(named[column].array.take(at, allow_fill=True), index=merged.index)
    rest = [c for c in [*ours.columns, *theirs.columns] if c not in KEY and c not in CODED]
    return merged[[*KEY, *rest, "_merge"]]


def _by_heading(left: pd.DataFrame, right: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Pair unmatched records of one declaration by HS heading and nearest quantity, one to one;
    then a customs item naming no lot with what is left of its declaration, whatever the heading
    (its records disagree on the goods: a classification mismatch, not two unmatched records).
    Returns the pairs, what is left of each side, and the rows of ``left`` paired, in order."""
    keys = ["operator_id", "direction", "declaration"]
    first = _paired(left.assign(heading=left["o_hs"].str.slice(0, 4)),
                    right.assign(heading=right["c_hs"].str.slice(0, 4)), [*keys, "heading"])  # fmt: skip
    rest_left, rest_right = left.drop(index=first["o_index"]), right.drop(index=first["c_index"])
    second = _paired(rest_left, rest_right[rest_right["lot_ref"].isna()], keys)
    taken = pd.concat([first, second], ignore_index=True) if len(second) else first
    pairs = taken.drop(columns=["heading", "o_index", "c_index", "gap"], errors="ignore")
    other = pairs["c_lot"].where(pairs["c_lot"] != pairs["lot_ref"])  # the item named another lot, or none
    # kept only where an item named another lot: a column of the whole match is carried by every rule
    pairs = pairs.assign(c_lot=other) if other.notna().any() else pairs.drop(columns="c_lot")
    return (pairs, rest_left.drop(index=second["o_index"]), rest_right.drop(index=second["c_index"]),
            taken["o_index"].to_numpy(dtype="int64"))  # fmt: skip


def _paired(left: pd.DataFrame, right: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Records of ``left`` and ``right`` with equal ``keys`` paired one to one, nearest quantity
    first (``o_index``, ``c_index``: their rows)."""
    ours = left.assign(o_index=left.index)
    theirs = right.assign(c_index=right.index).rename(columns={"lot_ref": "c_lot"})  # the item's own lot, if any
    pairs = ours.merge(theirs, on=keys)
    # stable: of equal gaps, key order decides, never the other rows of the frame
    pairs = pairs.assign(gap=(pairs["o_qty"] - pairs["c_qty"]).abs()).sort_values("gap", kind="stable")
    chosen = []
    # Greedy by smallest gap; each pass takes the best remaining pair of every record.
    while not pairs.empty:
        best = pairs.drop_duplicates("o_index").drop_duplicates("c_index")
        chosen.append(best)
        pairs = pairs[~pairs["o_index"].isin(best["o_index"]) & ~pairs["c_index"].isin(best["c_index"])]
    return pd.concat(chosen) if chosen else pairs
