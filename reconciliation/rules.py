"""The discrepancy rules (contract section 4), each a function from prepared frames to findings.

Every rule returns rows with the same columns (``FINDING``); quantities are millionths of
the dimension's base unit. The README's "Reconciliation rules" section states each rule and
its tolerance in an auditor's words.
"""

import numpy as np
import pandas as pd

from reconciliation import codes
from reconciliation.kinds import QUANTITIES
from reconciliation.ledger import in_lot_unit, signs
from reconciliation.matching import DESTRUCTION
from reconciliation.quantities import BASE, Tolerances, to_base

FINDING = [
    "kind", "operator_id", "zone_id", "lot_ref", "customs_ref", "process_ref", "extra",
    "expected", "found", "tolerance", "unit", "destination", "records", "detail", "expected_from", "found_from",
]  # fmt: skip


def _finding(frame: pd.DataFrame, kind: str, **columns) -> pd.DataFrame:
    """Rows of ``kind`` in the FINDING shape. ``expected_from`` and ``found_from`` name the
    record each side's value comes from; only quantities carry a unit."""
    values = {name: columns.get(name, frame.get(name)) for name in FINDING[1:]}
    if kind not in QUANTITIES:
        values["unit"] = None
    # one frame built from all the columns at once: a column set at a time costs a copy each
    return pd.DataFrame({"kind": kind, **values}, index=frame.index)


def unmatched(matched: pd.DataFrame) -> list[pd.DataFrame]:
    """Records one side has and the other lacks."""
    ours = matched[matched["side"] == "operator"]
    theirs = matched[matched["side"] == "customs"]
    found = []
    for frame, direction, kind, side in (
        (ours, "ADMISSION", "UNDECLARED_ADMISSION", "o"),
        (ours, "REMOVAL", "UNDECLARED_REMOVAL", "o"),
        (theirs, "ADMISSION", "UNRECORDED_ADMISSION", "c"),
        (theirs, "REMOVAL", "UNRECORDED_REMOVAL", "c"),
        (theirs, DESTRUCTION, "UNRECORDED_REMOVAL", "c"),  # a destruction declared, never booked
    ):
        rows = frame[frame["direction"] == direction]
        quantity = rows[f"{side}_qty"]
        expected, found_qty = (0, quantity) if side == "o" else (quantity, 0)
        found.append(
            _finding(
                rows,
                kind,
                customs_ref=rows["declaration"],
                expected=expected,
                found=found_qty,
                unit=rows[f"{side}_dimension"].map(BASE),
                destination=rows[f"{side}_destination"],
                records=rows["o_refs"] if side == "o" else rows["c_items"],
                expected_from="no customs item" if side == "o" else "customs " + rows["c_items"],
                found_from="operator's records " + rows["o_refs"] if side == "o" else "no operator record",
                detail="no customs item covers these operator records"
                if side == "o"
                else "the operator has no record of this customs item",
            )
        )
    return found


# What ``matched_differences`` compares of a matched pair.
COMPARED = [
    "direction", "o_qty", "c_qty", "o_dimension", "c_dimension", "o_hs", "c_hs", "o_destination", "c_destination",
    "o_at", "c_at",
]  # fmt: skip


def matched_differences(matched: pd.DataFrame, tolerances: Tolerances) -> list[pd.DataFrame]:
    """Quantity, HS subheading, destination and recording delay of matched pairs."""
    # the pairs are judged on the columns compared, every row's at once (most rows are pairs:
    # comparing the others too costs less than taking the pairs' rows first); the wide rows are
    # taken for the pairs flagged only
    paired = (matched["side"] == "both").to_numpy(dtype=bool)
    both = matched[COMPARED]
    quantity = (both["o_dimension"] != both["c_dimension"]).to_numpy(dtype=bool, copy=True)
    gap = (both["c_qty"] != both["o_qty"]).to_numpy(dtype=bool)  # (equal quantities are within any tolerance)
    if gap.any():
        some = both[gap]
        quantity[gap] |= tolerances.exceeded(some["c_qty"], some["o_qty"], some["o_dimension"]).to_numpy(dtype=bool)
    removal = (both["direction"] == "REMOVAL") & both["o_destination"].notna() & both["c_destination"].notna()
    delay = (both["o_at"] - both["c_at"]).dt.total_seconds() / 86400
    quantity, hs, moved, late = (
        matched.loc[both.index[np.asarray(flagged, dtype=bool) & paired]]
        for flagged in (
            quantity,
            both["o_hs"] != both["c_hs"],
            removal & (both["o_destination"] != both["c_destination"]),
            delay > tolerances.recording_delay_days,
        )
    )
    return [
        _finding(
            quantity,
            "QUANTITY_MISMATCH",
            customs_ref=quantity["declaration"],
            expected=quantity["c_qty"],
            found=quantity["o_qty"],
            tolerance=tolerances.allowance(quantity["c_qty"], quantity["o_qty"], quantity["o_dimension"]),
            unit=quantity["o_dimension"].map(BASE),
            destination=quantity["c_destination"],
            **_pair_names(quantity),
            detail="customs declared (expected) and the operator booked (found) different quantities",
        ),
        _finding(
            hs,
            "CLASSIFICATION_MISMATCH",
            customs_ref=hs["declaration"],
            expected=hs["c_hs"],
            found=hs["o_hs"],
            destination=hs["c_destination"],
            **_pair_names(hs),
            detail="customs (expected) and the operator (found) give different HS subheadings",
        ),
        _finding(
            moved,
            "DESTINATION_CHANGE",
            customs_ref=moved["declaration"],
            expected=moved["c_destination"],
            found=moved["o_destination"],
            destination=moved["c_destination"],
            **_pair_names(moved),
            detail="customs (expected) and the operator (found) name different destinations for the removal",
        ),
        _finding(
            late,
            "LATE_RECORD",
            customs_ref=late["declaration"],
            expected=late["c_at"].astype(str),
            found=late["o_at"].astype(str),
            tolerance=f"{tolerances.recording_delay_days:g} days",
            **_pair_names(late),
            detail="the operator booked the movement long after customs lodged the declaration",
        ),
    ]


def _pair_names(pairs: pd.DataFrame) -> dict[str, pd.Series]:
    """The records of matched pairs and where each side's value comes from (built for the
    pairs a rule flags only: the texts of every pair would cost more than the rules)."""
    return {
        "records": pairs["o_refs"] + " | " + pairs["c_items"],
        "expected_from": "customs " + pairs["c_items"],
        "found_from": "operator's records " + pairs["o_refs"],
    }


def examined_classifications(counts: pd.DataFrame) -> pd.DataFrame:
    """Goods an examination found under another HS subheading (first 6 digits) than the customs
    item declared. ``counts``: customs' inspection counts, those of an examination carrying
    ``examination_id``, ``declaration_ref``, ``item_no``, ``declared_hs``, ``found_hs`` and ``zone_id``."""
    if "found_hs" not in counts.columns or counts.empty:
        return pd.DataFrame(columns=FINDING)
    found = counts[counts["found_hs"].notna() & counts["declared_hs"].notna()]
    found = found[found["found_hs"].astype(str).str.slice(0, 6) != found["declared_hs"].astype(str).str.slice(0, 6)]
    item = found["declaration_ref"].astype(str) + "/" + found["item_no"].astype("Int64").astype(str)
    exam = "examination " + found["examination_id"].astype("Int64").astype(str)
    return _finding(
        found,
        "CLASSIFICATION_MISMATCH",
        customs_ref=found["declaration_ref"],
        extra=exam,
        expected=found["declared_hs"].astype(str).str.slice(0, 6),
        found=found["found_hs"].astype(str).str.slice(0, 6),
        records=item + " | " + exam,
        expected_from="customs " + item + " (declared)",
        found_from=exam + " (goods found)",
        detail="the goods an examination found (found) belong to another HS subheading than the one declared"
        " (expected)",
    )


def running_balances(movements: pd.DataFrame) -> pd.DataFrame:
    """Every movement with the lot's balance just after it, in the lot's unit."""
    rows = movements[movements["movement_type"] != "COUNT"]
    lots = codes.lot_numbers(rows)  # as the run ranked them, or the texts ranked here, for both uses
    lots = pd.factorize(rows["lot_ref"], sort=True)[0] if lots is None else lots
    order = _lot_order(rows, lots)  # (what ``in_lot_unit`` reads the lots' first units by, too)
    rows = in_lot_unit(rows, lots, order)
    rows = rows.assign(signed=rows["lot_quantity"] * signs(rows["movement_type"]))
    rows = rows.sort_values(["operator_id", "lot_ref", "occurred_at", "id"]) if order is None else rows.take(order)
    rows["balance"] = _lot_sums(rows)
    return rows


def _lot_order(rows: pd.DataFrame, lots: np.ndarray) -> np.ndarray | None:
    """The positions that sort ``rows`` by operator, lot, time and id as ``sort_values`` does (a
    stable sort on each column's rank, a missing lot last): the lots by their rank in sorted
    order (``lots``, -1: none), the numbers and times as they are. None where a time is missing
    or not UTC."""
    at = rows["occurred_at"]
    if not isinstance(at.dtype, pd.DatetimeTZDtype) or at.isna().any():
        return None
    if rows["operator_id"].dtype != "int64" or rows["id"].dtype != "int64":
        return None
    lots = np.where(lots < 0, lots.max(initial=-1) + 1, lots)
    return np.lexsort((rows["id"].to_numpy(), at.array.asi8, lots, rows["operator_id"].to_numpy()))


def _lot_sums(rows: pd.DataFrame) -> pd.Series:
    """The running sum of ``signed`` within each lot of ``rows`` sorted by lot: a lot's rows are
    consecutive, so one running sum less its value before the lot's first row (int64 wraps
    alike both ways, so the difference is exact) instead of grouping on the texts again."""
    plain = rows["signed"].dtype == "int64" and not rows["lot_ref"].isna().any()
    if rows.empty or not plain:  # a lot missing is left out, as a groupby leaves it
        return rows.groupby(["operator_id", "lot_ref"])["signed"].cumsum()
    operator, lot = rows["operator_id"].to_numpy(), rows["lot_ref"].array
    starts = np.ones(len(rows), dtype=bool)
    starts[1:] = (operator[1:] != operator[:-1]) | np.asarray(lot[1:] != lot[:-1], dtype=bool)
    signed = rows["signed"].to_numpy(dtype="int64")
    total = np.cumsum(signed)
    before = (total - signed)[starts]  # the running sum before each lot's first row
    sums = total - np.repeat(before, np.diff(np.append(np.flatnonzero(starts), len(rows))))
    return pd.Series(sums, index=rows.index, name="signed")


def negative_balances(running: pd.DataFrame, tolerances: Tolerances) -> pd.DataFrame:
    """Lots out of which more went, at some moment, than had come in."""
    balance, dimension = to_base(running["balance"], running["lot_unit"])
    zero = pd.Series(0, index=running.index)
    below = running[(balance < 0) & tolerances.exceeded(zero, balance, dimension)]
    worst = below.sort_values("balance", kind="stable").drop_duplicates(["operator_id", "lot_ref"])
    return _finding(
        worst,
        "NEGATIVE_BALANCE",
        expected=0,
        found=worst["balance"],
        unit=worst["lot_unit"],
        records=worst["movement_ref"],
        expected_from="nothing may leave a lot beyond what entered it",
        found_from="book balance after " + worst["movement_ref"],
        detail="the lot's book balance fell below zero (found: the lowest balance, after the record named)",
    )


def count_differences(running: pd.DataFrame, counts: pd.DataFrame, tolerances: Tolerances) -> pd.DataFrame:
    """Counts (the operator's COUNT rows and customs' inspections) against the book balance then."""
    if counts.empty:  # no count at all (most runs): the lots' texts need not be hashed
        return pd.DataFrame(columns=FINDING)
    lots = running[["operator_id", "lot_ref", "lot_unit", "zone_id"]].drop_duplicates(["operator_id", "lot_ref"])
    # a count of a lot nothing was booked on finds goods beside a book balance of nothing
    counts = counts.rename(columns={"zone_id": "count_zone"}).merge(lots, on=["operator_id", "lot_ref"], how="left")
    counts = counts.assign(lot_unit=counts["lot_unit"].fillna(counts["unit"]),
                           zone_id=counts["zone_id"].fillna(counts["count_zone"]))  # fmt: skip
    counts = counts[counts["zone_id"].notna()]
    if counts.empty:
        return pd.DataFrame(columns=FINDING)
    counts = counts.assign(occurred_at=pd.to_datetime(counts["occurred_at"], utc=True).astype("datetime64[us, UTC]"))
    book = running[["operator_id", "lot_ref", "occurred_at", "balance"]]
    # stable: of movements at the same moment, the last recorded gives the balance then, whatever
    # other operators' rows the frame holds
    book = book.assign(occurred_at=book["occurred_at"].astype("datetime64[us, UTC]"))
    book = book.sort_values("occurred_at", kind="stable")
    counts = counts.sort_values("occurred_at", kind="stable")
    at = pd.merge_asof(counts, book, on="occurred_at", by=["operator_id", "lot_ref"], direction="backward")
    at["balance"] = at["balance"].fillna(0).astype("int64")
    expected, dimension = to_base(at["balance"], at["lot_unit"])
    found, _ = to_base(at["quantity"], at["unit"])
    at = at.assign(expected=expected, found=found, dimension=dimension, base=dimension.map(BASE))
    differs = at[tolerances.exceeded(at["expected"], at["found"], at["dimension"])]
    frames = []
    for kind, rows in (
        ("STOCK_SHORTAGE", differs[differs["found"] < differs["expected"]]),
        ("STOCK_OVERAGE", differs[differs["found"] > differs["expected"]]),
    ):
        frames.append(
            _finding(
                rows,
                kind,
                extra=rows["count_ref"],
                tolerance=tolerances.allowance(rows["expected"], rows["found"], rows["dimension"]),
                unit=rows["base"],
                records=rows["count_ref"],
                expected_from="book balance at the count",
                found_from="count " + rows["count_ref"],
                detail="a count (found) differs from the book balance at that moment (expected)",
            )
        )
    return pd.concat(frames, ignore_index=True)


def processing_losses(movements: pd.DataFrame, tolerances: Tolerances) -> pd.DataFrame:
    """Processes whose outputs and declared waste do not account for their inputs."""
    rows = movements[
        movements["movement_type"].isin(["CONSUME", "PRODUCE", "DESTROY"]) & movements["process_ref"].notna()
    ]
    if rows.empty:  # no processing at all (many runs)
        return pd.DataFrame(columns=FINDING)
    # waste a process produced as a lot and then destroyed is counted once, as produced; a
    # destruction is the process's waste only from a lot it consumed (else a WRITE_OFF)
    key, made = ["operator_id", "process_ref"], ["operator_id", "process_ref", "lot_ref"]
    for step in ("PRODUCE", "CONSUME"):
        done = rows.loc[rows["movement_type"] == step, made].drop_duplicates().assign(**{step: True})
        rows = rows.merge(done, on=made, how="left")
    waste = rows["CONSUME"].notna() & rows["PRODUCE"].isna()
    rows = rows[(rows["movement_type"] != "DESTROY") | waste].drop(columns=["PRODUCE", "CONSUME"])
    base, dims = to_base(rows["quantity"], rows["unit"])
    rows = rows.assign(qty=base, dimension=dims)
    rows = rows.assign(
        side=rows["movement_type"].map({"CONSUME": "inputs", "PRODUCE": "outputs", "DESTROY": "outputs"})
    )
    single = rows.groupby(key)["dimension"].nunique() == 1  # mixed units cannot be weighed against each other
    sums = rows.pivot_table(index=key, columns="side", values="qty", aggfunc="sum", fill_value=0)
    sums = sums.reindex(columns=["inputs", "outputs"], fill_value=0)[single]
    lost = sums[(sums["inputs"] - sums["outputs"]) > tolerances.processing_loss * sums["inputs"]].reset_index()
    # the largest input lot (all it gave the process) names the finding; of equal ones, the first recorded
    consumed = (
        rows[rows["movement_type"] == "CONSUME"]
        .groupby(made, as_index=False, sort=False)
        .agg(qty=("qty", "sum"), id=("id", "min"), zone_id=("zone_id", "first"), dimension=("dimension", "first"))
    )
    inputs = consumed.sort_values(["qty", "id"], ascending=[False, True])
    largest = inputs.drop_duplicates(key)[[*key, "lot_ref", "zone_id", "dimension"]]
    lost = lost.merge(largest, on=key, how="left")
    refs = rows.groupby(key)["movement_ref"].agg(",".join).rename("records").reset_index()
    lost = lost.merge(refs, on=key, how="left")
    return _finding(
        lost,
        "PROCESSING_LOSS",
        expected=lost["inputs"],
        found=lost["outputs"],
        tolerance=tolerances.processing_loss * lost["inputs"],
        unit=lost["dimension"].map(BASE),
        expected_from="inputs consumed by " + lost["process_ref"],
        found_from="outputs and waste of " + lost["process_ref"],
        detail="inputs consumed (expected) against outputs produced and waste destroyed (found)",
    )


def write_offs(running: pd.DataFrame, entries: pd.DataFrame, tolerances: Tolerances) -> pd.DataFrame:
    """Goods that left the books without leaving the zone under a declaration: a negative
    ADJUST beyond the quantity tolerance of the lot's balance, or a DESTROY of goods not
    produced by processing whose ``customs_ref`` names no customs item of procedure DESTRUCTION."""
    lot = ["operator_id", "lot_ref"]
    produced = running.loc[running["movement_type"] == "PRODUCE", lot].drop_duplicates()
    # a destruction under a process_ref is that process's waste only if the process consumed
    # or produced the lot; under any other (or a made-up) process it writes the goods off
    step = ["operator_id", "process_ref", "lot_ref"]
    processed = running.loc[
        running["movement_type"].isin(["CONSUME", "PRODUCE"]) & running["process_ref"].notna(), step
    ]
    supervised = entries.loc[entries["procedure"] == DESTRUCTION, ["operator_id", "declaration_ref"]]
    supervised = supervised.drop_duplicates().rename(columns={"declaration_ref": "customs_ref"})
    rows = running[running["movement_type"].isin(["ADJUST", "DESTROY"]) & (running["lot_quantity"] != 0)]
    if rows.empty:  # nothing written off or destroyed (many runs)
        return pd.DataFrame(columns=FINDING)
    rows = rows.merge(produced.assign(produced=True), on=lot, how="left")
    rows = rows.merge(processed.drop_duplicates().assign(processed=True), on=step, how="left")
    rows = rows.merge(supervised.assign(supervised=True), on=["operator_id", "customs_ref"], how="left")
    before, dimension = to_base(rows["balance"] - rows["signed"], rows["lot_unit"])
    after, _ = to_base(rows["balance"], rows["lot_unit"])
    adjusted = (rows["movement_type"] == "ADJUST") & (rows["signed"] < 0)
    adjusted &= tolerances.exceeded(before, after, dimension)
    destroyed = (rows["movement_type"] == "DESTROY") & rows["processed"].isna()
    destroyed &= rows["produced"].isna() & rows["supervised"].isna()
    hit = adjusted | destroyed
    rows = rows.assign(before=before, after=after, base=dimension.map(BASE))[hit]
    return _finding(
        rows,
        "WRITE_OFF",
        extra=rows["movement_ref"],
        expected=rows["before"],
        found=rows["after"],
        tolerance=tolerances.allowance(rows["before"], rows["after"], dimension[hit]).where(
            rows["movement_type"] == "ADJUST"
        ),
        unit=rows["base"],
        records=rows["movement_ref"],
        expected_from="book balance before " + rows["movement_ref"],
        found_from="book balance after " + rows["movement_ref"],
        detail="the lot's book balance before (expected) and after (found) goods were written off with no"
        " declaration taking them out of the zone",
    )


RECORD_COLUMNS = ["movement_ref", "customs_ref"]  # what ``record_names`` reads


def item_names(items: pd.DataFrame) -> pd.Series:
    """A customs item as an auditor looks it up: "customs" and its declaration and item number."""
    return "customs " + items["declaration_ref"] + "/" + items["item_no"].astype(str)


def record_names(moves: pd.DataFrame) -> pd.Series:
    """An operator record as an auditor looks it up: its declaration, and its own reference."""
    own = moves["movement_ref"].astype("object")
    declared = moves["customs_ref"].astype("object")
    return (declared + " (" + own + ")").where(declared.notna(), own)
