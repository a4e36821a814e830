"""Removals as events: each time goods left a lot, once, with its moment (contract section 9).

A removal is the customs removal item in force that covers it, dated by its ``lodged_at``;
an operator REMOVAL that no customs item covers is a removal of its own, dated by its
``occurred_at``. A customs item that names no lot takes the lot of the operator record it was
matched to. Destructions under customs supervision are not removals.
"""

import numpy as np
import pandas as pd

from reconciliation.frames import among
from reconciliation.matching import DESTRUCTION

LOT = ["operator_id", "lot_ref"]
EVENT = [
    "source", "operator_id", "zone_id", "lot_ref", "customs_ref", "item_no", "movement_ref", "at",
    "destination_country", "procedure", "licence_ref", "quantity", "unit", "hs_code", "control_code",
    "destination_zone",
]  # fmt: skip


def lotted_entries(entries: pd.DataFrame, matched: pd.DataFrame) -> pd.DataFrame:
    """Customs items in force with their lot: their own, or (for an item naming none, or another
    lot than the operator's record it was matched to) the lot of that record, that item alone
    (not every lot of its declaration: one declaration may cover goods of several lots), so that
    what the item declares (a control code, a subheading) marks the goods it covers; unmatched
    lotless items keep no lot."""
    moved = matched["c_lot"].notna() & (matched["side"] == "both") if "c_lot" in matched.columns else None
    if moved is not None and moved.any():
        elsewhere = entries["lot_ref"].isin(matched.loc[moved, "c_lot"]) & entries["declaration_ref"].isin(
            matched.loc[moved, "declaration"]
        )  # (a first cut on the references alone: the items the label below may move)
    else:
        elsewhere = pd.Series(False, index=entries.index)
    relabel = entries["lot_ref"].isna() | elsewhere
    if not relabel.any():
        return entries
    both = matched.loc[(matched["side"] == "both") & matched["c_items"].notna(), ["lot_ref", "c_items"]]
    items = both.assign(c_items=both["c_items"].str.split(",")).explode("c_items").drop_duplicates("c_items")
    some = entries[relabel]
    label = some["declaration_ref"] + "/" + some["item_no"].astype(str) + "v" + some["version"].astype(str)
    matched_lot = label.map(items.set_index("c_items")["lot_ref"]).astype("object")  # (all missing: floats)
    linked = some.assign(lot_ref=matched_lot.fillna(some["lot_ref"].astype("object")))
    return pd.concat([entries[~relabel], linked], ignore_index=True)


def removal_events(moves: pd.DataFrame, lotted: pd.DataFrame, matched: pd.DataFrame) -> pd.DataFrame:
    """Every removal once: customs removal items in force, and operator removals no customs
    item covers (no ``customs_ref``, or one matched to nothing)."""
    # rows and columns taken at once: the frames are wide, an event reads few of their columns
    kept = [c for c in EVENT if c in lotted.columns and c != "customs_ref"]
    wanted = (lotted["direction"] == "REMOVAL") & (lotted["procedure"] != DESTRUCTION)
    items = lotted.loc[wanted, [*kept, "declaration_ref", "lodged_at"]]
    customs = items[kept].assign(source="customs", customs_ref=items["declaration_ref"], at=items["lodged_at"])
    read = [c for c in moves if c in {*EVENT, "occurred_at", "removal_kind"}]
    # which removals are uncovered is decided on their keys; the wide rows taken for those only
    removals = np.flatnonzero((moves["movement_type"] == "REMOVAL").to_numpy(dtype=bool))
    uncovered = _uncovered(moves[[*LOT, "customs_ref"]].iloc[removals], matched)
    own = moves[read].iloc[removals[uncovered]]
    operator = own.assign(
        source="operator",
        item_no=pd.NA,
        at=own["occurred_at"],
        procedure=own.get("removal_kind"),
        licence_ref=None,
    )
    frames = [frame.reindex(columns=EVENT) for frame in (customs, operator) if len(frame)]
    if not frames:
        return pd.DataFrame(columns=EVENT)
    out = pd.concat(frames, ignore_index=True)
    return out.assign(at=pd.to_datetime(out["at"], utc=True))


def _uncovered(removals: pd.DataFrame, matched: pd.DataFrame) -> np.ndarray:
    """Whether each operator REMOVAL is matched to no customs item. ``matched`` (``match`` of
    these movements) holds every declared removal's key once: on a ``both`` row when an item
    covers it, else on an ``operator`` row, which are few; so only the removals that name the
    declaration of such a row are looked up, and a removal naming no declaration or lot never
    had a key."""
    loose = matched.loc[(matched["side"] == "operator") & (matched["direction"] == "REMOVAL"), [*LOT, "declaration"]]
    keyless = (removals["customs_ref"].isna() | removals["lot_ref"].isna()).to_numpy()
    if loose.empty:  # every declared removal covered (many runs): none looked up
        return keyless
    loose = loose.drop_duplicates().rename(columns={"declaration": "customs_ref"}).assign(_loose=True)
    maybe = among(removals["customs_ref"], loose["customs_ref"]).to_numpy()
    keyed = removals.loc[maybe, [*LOT, "customs_ref"]].merge(loose, on=[*LOT, "customs_ref"], how="left")
    out = keyless.copy()
    out[maybe] |= keyed["_loose"].notna().to_numpy()
    return out


def records(events: pd.DataFrame) -> pd.Series:
    """How the evidence names each removal's record: its customs item, or the operator's record
    (built for the few rows that become findings, not for every removal)."""
    customs = "customs " + events["customs_ref"].astype(str) + "/" + events["item_no"].astype(str)
    operator = "operator's records " + events["movement_ref"].astype(str)
    return customs.where(events["source"] == "customs", operator)


def moments(events: pd.DataFrame, moves: pd.DataFrame) -> pd.DataFrame:
    """Every date a removal's records give it (``event``: the row of ``events``; ``at``): its own
    moment, and for a customs item each operator REMOVAL booked under its declaration and lot
    (the operator may book goods out after customs lodged them)."""
    own = pd.DataFrame({"event": events.index, "at": events["at"]})
    customs = events.loc[events["source"] == "customs", [*LOT, "customs_ref"]].reset_index(names="event")
    booked = moves.loc[moves["movement_type"] == "REMOVAL", [*LOT, "customs_ref", "occurred_at"]]
    later = customs.merge(booked, on=[*LOT, "customs_ref"])[["event", "occurred_at"]].rename(
        columns={"occurred_at": "at"}
    )
    both = pd.concat([own, later], ignore_index=True) if len(later) else own
    return both.assign(at=pd.to_datetime(both["at"], utc=True))


def abroad(events: pd.DataFrame, zones: pd.DataFrame) -> pd.Series:
    """Removals to a country other than their zone's own (a transfer to a zone ftz knows goes to
    that zone's country, whatever destination_country says); a removal naming no destination is
    not known to leave."""
    country = events["zone_id"].map(zones.drop_duplicates("zone_id").set_index("zone_id")["country"])
    destination = events["destination_country"]
    if "code" in zones.columns and events["destination_zone"].notna().any():  # a transfer goes to its zone's country
        receiving = events["destination_zone"].map(zones.drop_duplicates("code").set_index("code")["country"])
        destination = receiving.where(receiving.notna(), destination)
    return destination.notna() & (destination != "") & (destination != country)
