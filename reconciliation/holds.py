"""REMOVAL_UNDER_HOLD (contract section 9): goods removed from a lot customs held.

A hold runs from ``starts_at`` (inclusive) to ``released_at`` (exclusive; open while not
released) and covers the lot it names, not lots later made from it. A removal (see
``reconciliation.removals``: a customs removal item, or an operator removal no customs item
covers) is under the hold when a record of it is dated inside that span: the customs item's
``lodged_at``, or the ``occurred_at`` of the operator's removal under that declaration (goods
declared before the hold and taken out after it still left a held lot). One finding per hold
and removal, dated by its customs item where it has one. Consuming a held lot in processing,
or destroying it under customs supervision, is not a removal.
"""

import pandas as pd

from reconciliation.quantities import BASE, to_base
from reconciliation.removals import records
from reconciliation.rules import _finding

KIND = "REMOVAL_UNDER_HOLD"
_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
HOLD_COLUMNS = ["hold_id", "operator_id", "lot_ref", "starts_at", "released_at", "placed_by"]


def removals_under_hold(events: pd.DataFrame, dates: pd.DataFrame, holds: pd.DataFrame) -> pd.DataFrame:
    """Findings for removals dated within a hold of their lot (``dates``: ``removals.moments``)."""
    missing = [c for c in HOLD_COLUMNS if c not in holds.columns]
    if missing:
        raise ValueError(f"holds: missing column(s) {', '.join(missing)}")
    if holds.empty or events.empty:
        return pd.DataFrame()
    spans = holds[HOLD_COLUMNS].assign(
        starts_at=pd.to_datetime(holds["starts_at"], utc=True),
        released_at=pd.to_datetime(holds["released_at"], utc=True),
        operator_id=holds["operator_id"].astype("int64"),
    )
    lotted = events[events["lot_ref"].notna()]
    pairs = dates.merge(lotted[["operator_id", "lot_ref"]], left_on="event", right_index=True).merge(
        spans, on=["operator_id", "lot_ref"]
    )
    inside = (pairs["at"] >= pairs["starts_at"]) & (pairs["released_at"].isna() | (pairs["at"] < pairs["released_at"]))
    held = pairs.loc[inside, ["event", *HOLD_COLUMNS]].drop_duplicates(["event", "hold_id"])
    hit = lotted.drop(columns=["operator_id", "lot_ref"]).merge(held, left_index=True, right_on="event")
    hit = hit.reset_index(drop=True)
    hit = hit.assign(record=records(hit))
    quantity, dimension = to_base(hit["quantity"].astype("int64"), hit["unit"])
    reference = hit["record"].str.split(" ").str[-1]
    held = "hold " + hit["hold_id"].astype(str)
    until = hit["released_at"].dt.strftime(_FORMAT).astype("object").fillna("its release (still in force)")
    out = _finding(
        hit,
        KIND,
        extra=held + " " + reference,
        customs_ref=hit["customs_ref"],
        expected=0,
        found=quantity,
        unit=dimension.map(BASE),
        destination=hit["destination_country"],
        records=reference,
        expected_from=held + " placed by " + hit["placed_by"].fillna("?") + ": nothing may leave the lot from "
        + hit["starts_at"].dt.strftime(_FORMAT) + " until " + until,
        found_from=hit["record"] + ", removed at " + hit["at"].dt.strftime(_FORMAT),
        detail="goods (found) left a held lot while the hold was in force (expected: nothing)",
    )  # fmt: skip
    return out.assign(facts=_facts(hit))


def _moment(value: pd.Timestamp) -> str:
    """A UTC moment as the evidence writes it."""
    return value.strftime(_FORMAT)


def _facts(hit: pd.DataFrame) -> list[dict]:
    """Per finding, the hold as the page shows it to an auditor."""
    return [
        {
            "hold": {
                "id": int(row["hold_id"]),
                "starts_at": _moment(row["starts_at"]),
                "released_at": None if pd.isna(row["released_at"]) else _moment(row["released_at"]),
                "placed_by": row["placed_by"],
            },
            "removal": {"record": row["record"], "at": _moment(row["at"])},
        }
        for row in hit.to_dict("records")
    ]
