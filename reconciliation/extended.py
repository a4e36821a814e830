"""The second edition's rule families over one zone's prepared frames: licences
(UNLICENSED_STRATEGIC_REMOVAL), holds (REMOVAL_UNDER_HOLD) and descriptions
(CONCEALMENT_SUSPECTED). Records that agree with each other can still describe a proliferation.
"""

import numpy as np
import pandas as pd

from reconciliation.concealment import concealed
from reconciliation.export_controls import unlicensed_removals
from reconciliation.holds import removals_under_hold
from reconciliation.parties import NO_REMOVALS, denied_parties
from reconciliation.profiles import findings as profile_hits
from reconciliation.removals import moments, removal_events
from reconciliation.rules import item_names
from reconciliation.strategic import strategic_status

LOT = ["operator_id", "lot_ref"]
_NO_PROCESSING = pd.DataFrame(columns=["operator_id", "process_ref", "lot_ref", "movement_type"])


def findings(
    moves: pd.DataFrame,
    lotted: pd.DataFrame,
    matched: pd.DataFrame,
    status: pd.DataFrame,
    inputs,
) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    """The families' findings (``inputs``: the engine's ``Inputs``), and the removals to a
    denied party (``parties.removals_to``; none without a parties list)."""
    events = _with_status(removal_events(moves, lotted, matched), lotted, status, inputs.controls)
    found = [unlicensed_removals(events, inputs.zones, inputs.licences, inputs.operators)]
    if len(inputs.holds):  # most runs: no hold at all in the zone
        found.append(removals_under_hold(events, moments(events, moves), inputs.holds))
    if len(inputs.terms):
        goods = pd.concat([moves[[*LOT, "hs_code"]], lotted[[*LOT, "hs_code"]]], ignore_index=True)
        removals = events[[*LOT, "destination_country", "at"]]
        found.append(concealed(_texts(moves, lotted), goods, removals, status, inputs))
    if inputs.profiles:  # RISK_PROFILE_HIT: customs items in force against the profiles in force
        found.append(profile_hits(lotted, status, inputs))
    denied = NO_REMOVALS
    if len(inputs.parties):  # screening (DENIED_PARTY): only once a parties list is loaded
        parties, denied = denied_parties(moves, lotted, inputs)
        found.append(parties)
    return found, denied


def _with_status(events: pd.DataFrame, lotted: pd.DataFrame, status: pd.DataFrame, controls) -> pd.DataFrame:
    """Removals with their goods' ``strategic`` status and ``control_codes``: their lot's, or for
    a customs item that names no lot and matched none, its declaration's own codes."""
    columns = ["strategic", "control_codes"]
    out = _marked(events, status)
    loose = out["lot_ref"].isna()
    if loose.any():
        out = out.astype({"strategic": "object"})  # (a declaration's own codes may find no status)
        items = lotted[lotted["lot_ref"].isna()]
        goods = items.assign(lot_ref="#" + items["declaration_ref"])[[*LOT, "hs_code", "control_code"]]
        own = strategic_status(goods, _NO_PROCESSING, controls).assign(customs_ref=lambda f: f["lot_ref"].str[1:])
        fill = out.loc[loose, ["operator_id", "customs_ref"]].merge(
            own[["operator_id", "customs_ref", *columns]], on=["operator_id", "customs_ref"], how="left"
        )
        for column in columns:
            out.loc[loose, column] = fill[column].to_numpy()
    return out.assign(
        strategic=out["strategic"].fillna(False).astype(bool), control_codes=out["control_codes"].fillna("")
    )


def _marked(events: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    """``events`` with their lot's ``strategic`` and ``control_codes`` (False and "" where its lot
    has no status): only the lots a status marks are merged, not every event's lot texts."""
    marked = status.loc[status["strategic"] | (status["control_codes"] != ""), [*LOT, "strategic", "control_codes"]]
    hit = events["lot_ref"].isin(marked["lot_ref"]).to_numpy(dtype=bool)
    strategic = np.zeros(len(events), dtype=bool)
    codes = pd.Series("", index=events.index, dtype=status["control_codes"].dtype)
    if hit.any():
        found = events.loc[hit, LOT].merge(marked, on=LOT, how="left")
        strategic[hit] = found["strategic"].fillna(False).astype(bool).to_numpy()
        codes[hit] = found["control_codes"].fillna("").to_numpy()
    return events.assign(strategic=strategic, control_codes=codes)


def _texts(moves: pd.DataFrame, lotted: pd.DataFrame) -> pd.DataFrame:
    """Every description in force, either side, with its lot, record and moment (only records
    that describe their goods: the rest name no term, and their records are not built)."""
    own = moves[(moves["movement_type"] != "COUNT") & _described(moves)]
    theirs = lotted[lotted["lot_ref"].notna() & _described(lotted)]
    columns = ["operator_id", "zone_id", "lot_ref", "customs_ref", "record", "at", "description"]
    return pd.concat(
        [
            own.assign(record="operator's records " + own["movement_ref"], at=own["occurred_at"])[columns],
            theirs.assign(
                customs_ref=theirs["declaration_ref"],
                record=item_names(theirs),
                at=theirs["lodged_at"],
            )[columns],
        ],
        ignore_index=True,
    )


def _described(records: pd.DataFrame) -> pd.Series:
    """Whether each record has a description (not missing, not empty)."""
    return records["description"].notna() & (records["description"] != "")
