"""DESTINATION_CHANGE beyond the operator-vs-customs comparison at removal: goods admitted in
transit for one country and removed abroad to another, and a removal declaration whose
destination changed between its versions (contract section 4; across zones, section 9).
"""

import numpy as np
import pandas as pd

from reconciliation import rules, transfers
from reconciliation.rules import RECORD_COLUMNS, item_names, record_names

LOT = ["operator_id", "lot_ref"]


def intended_changes(
    moves: pd.DataFrame, lotted: pd.DataFrame, zones: pd.DataFrame, links: pd.DataFrame
) -> pd.DataFrame:
    """Goods admitted in transit for one country, removed abroad to another. Release for home
    use in the zone's own country is not a change. Across zones (``links``) the first
    admission's intended destination binds the removal from the last zone, and a transfer to a
    zone ftz knows is no removal abroad."""
    intended = _intended(moves, lotted)
    if intended.empty:  # no destination intended (many runs): no change of it
        return pd.DataFrame(columns=rules.FINDING)
    intended = transfers.carried_destinations(intended, links)
    # only removals of a lot with an intended destination can pair (a first cut on the lot's reference alone)
    removals = moves[
        (moves["movement_type"] == "REMOVAL")
        & moves["destination_country"].notna()
        & moves["lot_ref"].isin(intended["lot_ref"])
    ]
    onward = transfers.to_known_zones(lotted, zones).assign(_transfer=True)
    removals = removals.merge(onward, on=["operator_id", "customs_ref"], how="left")
    removals = removals[removals["_transfer"].isna()].drop(columns="_transfer")
    pairs = removals.drop(columns="intended_destination").merge(intended, on=LOT).merge(zones, on="zone_id", how="left")
    changed = pairs[
        (pairs["destination_country"] != pairs["intended_destination"])
        & (pairs["destination_country"] != pairs["country"])
    ]
    return rules._finding(
        changed,
        "DESTINATION_CHANGE",
        customs_ref=changed["customs_ref"],
        expected=changed["intended_destination"],
        found=changed["destination_country"],
        destination=changed["destination_country"],
        records=changed["movement_ref"],
        expected_from="admission " + changed["admitted_by"] + " (intended destination)",
        found_from="removal " + record_names(changed),
        detail="admitted in transit for one country (expected), removed to another (found)",
    )


def _intended(moves: pd.DataFrame, lotted: pd.DataFrame) -> pd.DataFrame:
    """Per lot the intended destination of its first admission that names one: the operator's,
    else the customs admission item's (either side may declare goods in transit)."""
    own = moves.loc[(moves["movement_type"] == "ADMISSION") & moves["intended_destination"].notna(),
                    [*LOT, "intended_destination", *RECORD_COLUMNS]]  # fmt: skip
    theirs = lotted.loc[
        (lotted["direction"] == "ADMISSION") & lotted["intended_destination"].notna() & lotted["lot_ref"].notna()
    ].sort_values("lodged_at", kind="stable")
    columns = [*LOT, "intended_destination", "admitted_by"]
    return pd.concat(
        [
            own.assign(admitted_by=record_names(own))[columns],
            theirs.assign(admitted_by=item_names(theirs))[columns],
        ],
        ignore_index=True,
    ).drop_duplicates(LOT)


def amended(all_entries: pd.DataFrame, matched: pd.DataFrame, items: np.ndarray | None = None) -> pd.DataFrame:
    """A declaration item whose destination (a removal's ``destination_country``, an admission's
    ``intended_destination``) a later version changed from the first's, even if a still later
    one changed it back; the last version that differs is named (``items``:
    ``item_numbers(all_entries)``, or None: compared as texts)."""
    wanted = all_entries["direction"].isin(["REMOVAL", "ADMISSION"]) & (all_entries["status"] == "ACCEPTED")
    versions = all_entries.loc[wanted, ["declaration_ref", "item_no", "version"]]
    # Only an item of two versions or more can have changed: the rest are not carried further
    # (decided on the key columns, the wide rows taken for those items only). The order is that
    # of sorting them all by version (as the items come out in it).
    if items is None:
        several = versions.duplicated(["declaration_ref", "item_no"], keep=False).to_numpy()
    else:
        several = pd.Series(items[wanted.to_numpy(dtype=bool)]).duplicated(keep=False).to_numpy()
    if not several.any():  # no item amended (many runs)
        return pd.DataFrame(columns=rules.FINDING)
    order = np.argsort(versions["version"].to_numpy(), kind="quicksort")
    rows = all_entries.iloc[np.flatnonzero(wanted.to_numpy(dtype=bool))[order[several[order]]]]
    going = rows["destination_country"].where(rows["direction"] == "REMOVAL", rows["intended_destination"])
    rows = rows.assign(going=going.astype("object")).dropna(subset=["going"])
    per_item = rows.groupby(["declaration_ref", "item_no"])
    rows = rows.assign(first=per_item["going"].transform("first"), first_version=per_item["version"].transform("first"))
    items = rows[rows["going"] != rows["first"]].drop_duplicates(["declaration_ref", "item_no"], keep="last")
    # an item without a lot takes the lot of the operator record it was matched to
    both = matched[(matched["side"] == "both") & matched["declaration"].isin(items["declaration_ref"])]
    lots = both[["operator_id", "declaration", "lot_ref"]].drop_duplicates(["operator_id", "declaration"])
    items = items.merge(lots.rename(columns={"lot_ref": "matched_lot"}), left_on=["operator_id", "declaration_ref"],
                        right_on=["operator_id", "declaration"], how="left")  # fmt: skip
    return rules._finding(
        items,
        "DESTINATION_CHANGE",
        lot_ref=items["lot_ref"].fillna(items["matched_lot"]),
        customs_ref=items["declaration_ref"],
        expected=items["first"],
        found=items["going"],
        destination=items["going"],
        records=items["declaration_ref"] + "/" + items["item_no"].astype(str),
        expected_from=item_names(items) + " version " + items["first_version"].astype(str),
        found_from=item_names(items) + " version " + items["version"].astype(str) + " (the later version)",
        detail="a later version of the declaration (found) names another destination than the first (expected)",
    )
