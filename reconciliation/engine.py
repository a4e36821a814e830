"""A reconciliation: ledger and customs frames in, discrepancies out, each explained and scored.

``reconcile`` is pure: it reads only the frames it is given, so the same call runs on one
machine or on a partition of zones or operators.
"""

import hashlib
from dataclasses import dataclass, field

import pandas as pd

from reconciliation import codes, destinations, extended, rules, transfers
from reconciliation.concealment import TERM_COLUMNS
from reconciliation.export_controls import LICENCE_COLUMNS
from reconciliation.frames import ENTRY_COLUMNS, MOVEMENT_COLUMNS, among, checked, read
from reconciliation.holds import HOLD_COLUMNS
from reconciliation.kinds import UNANCHORED
from reconciliation.ledger import current, current_entries, item_numbers
from reconciliation.matching import match, match_timed
from reconciliation.parties import PARTY_COLUMNS, to_denied
from reconciliation.parties import THRESHOLD as PARTY_THRESHOLD
from reconciliation.profiles import profile_severity
from reconciliation.quantities import Tolerances
from reconciliation.removals import lotted_entries
from reconciliation.risk import score
from reconciliation.rules import RECORD_COLUMNS, record_names
from reconciliation.strategic import correlate, strategic_status

LOT = ["operator_id", "lot_ref"]
# The rule families ``reconcile`` evaluates (see ``reconciliation.kinds``): a run closes only
# findings of these, never those another family raised.
SOURCES = ("reconciliation", "licences", "holds", "descriptions", "profiles", "transfers", "screening")


def _empty_frame(*columns: str):
    """A factory of empty frames with ``columns``: the default of inputs older callers do not give."""
    return lambda: pd.DataFrame(columns=list(columns))


@dataclass
class Inputs:
    """Everything a run reads. Quantities are int64 millionths; times are UTC."""

    movements: pd.DataFrame  # every stored movement, corrections and corrected alike
    entries: pd.DataFrame  # every version of every customs item
    counts: pd.DataFrame  # customs inspections: operator_id, lot_ref, occurred_at, quantity, unit, count_ref
    controls: pd.DataFrame  # hs_code, control_code, strength
    destinations: pd.DataFrame  # country, tier, reason
    zones: pd.DataFrame  # zone_id, country, and timezone (IANA; UTC where not given)
    tolerances: Tolerances = field(default_factory=Tolerances)
    # every version of every licence (the highest is in force), the whole register whatever the scope
    licences: pd.DataFrame = field(default_factory=_empty_frame(*LICENCE_COLUMNS))
    # hold_id, operator_id, lot_ref, starts_at, released_at, placed_by
    holds: pd.DataFrame = field(default_factory=_empty_frame(*HOLD_COLUMNS))
    terms: pd.DataFrame = field(default_factory=_empty_frame(*TERM_COLUMNS))  # the strategic terms list in force
    # aeo: the operator's AEO certificate, or null
    operators: pd.DataFrame = field(default_factory=_empty_frame("operator_id", "code", "aeo"))
    # the denied-party list in force (reconciliation.parties.PARTY_COLUMNS, content_hash); empty: none loaded
    parties: pd.DataFrame = field(default_factory=_empty_frame(*PARTY_COLUMNS))
    parties_threshold: float = PARTY_THRESHOLD  # the zone's name similarity threshold (0-100)
    # the run's moment, for what is overdue (a transfer's transit time); None: the latest record's
    now: pd.Timestamp | None = None
    # the zones whose findings are reported (the others' records only tell what ties to them,
    # e.g. where goods were transferred from); None: every zone's
    judged: frozenset[int] | None = None
    profiles: list = field(default_factory=list)  # the risk profiles in force, as plain data (contract section 8)


def reconcile(inputs: Inputs) -> pd.DataFrame:
    """Every discrepancy the data supports, one row each, with strategic status, risk and evidence."""
    # only the columns a rule reads (or a finding takes by its name): the rest would be carried
    # through every take and merge of the records' rows
    moves = current(read(checked(inputs.movements, MOVEMENT_COLUMNS, "movements"), "movements", rules.FINDING))
    all_entries = read(checked(inputs.entries, ENTRY_COLUMNS, "entries"), "entries", rules.FINDING)
    moves, all_entries = codes.numbered(moves, all_entries)  # lots and declarations hashed once, for every rule
    items = item_numbers(all_entries)
    entries = current_entries(all_entries, items)
    if moves.empty and entries.empty:
        return _empty()
    matched, crossed = match_timed(moves, entries)
    running = rules.running_balances(_customs_time(_ledger_columns(moves), matched, crossed))
    lotted = lotted_entries(entries, matched)
    links = transfers.edges(moves, lotted)  # lots carried on in another zone after a transfer
    found = [
        *rules.unmatched(matched),
        *rules.matched_differences(matched, inputs.tolerances),
        rules.negative_balances(running, inputs.tolerances),
        rules.count_differences(running, _counts(moves, inputs.counts), inputs.tolerances),
        rules.processing_losses(moves, inputs.tolerances),
        rules.examined_classifications(inputs.counts),
        rules.write_offs(running, entries, inputs.tolerances),
        destinations.intended_changes(moves, lotted, inputs.zones, links),
        destinations.amended(all_entries, matched, items),
    ]
    status = _lot_status(moves, lotted, inputs.controls, links)
    found.append(_strategic_reclassified(moves, entries, status, inputs.controls))
    found += transfers.findings(moves, lotted, inputs.zones, _now(inputs, moves, entries), inputs.tolerances)
    more, denied = extended.findings(moves, lotted, matched, status, inputs)
    found += more
    found = [f for f in found if len(f)]
    if not found:
        return _empty()
    findings = pd.concat(found, ignore_index=True)
    if inputs.judged is not None:
        findings = _of_zones(findings, moves, entries, inputs.judged)
        if findings.empty:
            return _empty()
    if "facts" not in findings.columns:  # what a second-edition rule adds to its evidence
        findings["facts"] = None
    # only the statuses a finding can meet (its lot, or none) merged: not every lot's texts hashed
    meets = status["lot_ref"].isna() | among(status["lot_ref"], findings["lot_ref"])
    findings = findings.merge(status[meets], on=LOT, how="left")
    findings = _unlotted_status(findings, entries, inputs.controls)
    findings = _strategic_inputs(findings, moves, status)
    findings = transfers.with_route(findings, links, moves, entries, inputs.operators)
    findings["fingerprint"] = _fingerprints(findings)
    findings = findings.drop_duplicates("fingerprint")
    findings["to_denied"] = to_denied(findings, denied)  # strategic goods to a denied party: CRITICAL
    return profile_severity(score(findings, inputs.destinations, inputs.operators)).reset_index(drop=True)


def lot_status(movements: pd.DataFrame, entries: pd.DataFrame, controls: pd.DataFrame) -> pd.DataFrame:
    """Strategic status of every lot of the given records (movements as stored, every customs
    item version): the one definition the engine, the lot pages and the exports share."""
    moves = current(checked(movements, MOVEMENT_COLUMNS, "movements"))
    items = current_entries(checked(entries, ENTRY_COLUMNS, "entries"))
    if moves.empty and items.empty:
        return pd.DataFrame(columns=[*LOT, "strategic", "basis", "control_codes", "may_be_controlled", "may_be_codes",
                                     "inherited_from"])  # fmt: skip
    lotted = lotted_entries(items, match(moves, items))
    return _lot_status(moves, lotted, controls, transfers.edges(moves, lotted))


def _of_zones(findings: pd.DataFrame, moves: pd.DataFrame, entries: pd.DataFrame, zones: frozenset[int]):
    """The findings on operators of ``zones``."""
    own = pd.concat([moves[["operator_id", "zone_id"]], entries[["operator_id", "zone_id"]]])
    operators = set(own.loc[own["zone_id"].isin(zones), "operator_id"])
    return findings[findings["operator_id"].isin(operators)].reset_index(drop=True)


def _now(inputs: Inputs, moves: pd.DataFrame, entries: pd.DataFrame) -> pd.Timestamp:
    """The run's moment: given, or (for a call on records alone) the latest record's."""
    if inputs.now is not None:
        moment = pd.Timestamp(inputs.now)
        return moment.tz_convert("UTC") if moment.tzinfo else moment.tz_localize("UTC")
    return max(moves["occurred_at"].max(), entries["lodged_at"].max())


# What the book balance rules read of a movement (besides the finding's own columns).
BALANCE_COLUMNS = {
    "id", "operator_id", "zone_id", "lot_ref", "movement_ref", "movement_type", "occurred_at", "quantity", "unit",
    "customs_ref", "process_ref", codes.LOT,
}  # fmt: skip


def _ledger_columns(moves: pd.DataFrame) -> pd.DataFrame:
    """``moves`` with only what the balance rules read (and any column a finding takes by its
    name): they sort and merge every column they are given."""
    return moves[[c for c in moves.columns if c in BALANCE_COLUMNS or c in rules.FINDING]]


def _customs_time(moves: pd.DataFrame, matched: pd.DataFrame, crossed: pd.Series | None = None) -> pd.DataFrame:
    """Movements dated, for the book balance, when the goods crossed: an admission or removal
    the operator booked after customs lodged it counts from the customs time (the late
    booking is a LATE_RECORD finding of its own, not also a negative balance). ``crossed``:
    each movement's matched ``c_at`` as ``match_timed`` found it; None: looked up here."""
    if crossed is not None:
        earlier = crossed.notna() & (crossed < moves["occurred_at"])
        return moves.assign(occurred_at=moves["occurred_at"].where(~earlier, crossed))
    both = matched.loc[matched["side"] == "both", ["operator_id", "direction", "declaration", "lot_ref", "c_at"]]
    # only the keys and the time are merged: the movements' other columns stay where they are
    keys = ["operator_id", "movement_type", "customs_ref", "lot_ref"]
    keyed = moves[[*keys, "occurred_at"]].merge(
        both, left_on=keys, right_on=["operator_id", "direction", "declaration", "lot_ref"], how="left"
    )
    earlier = keyed["c_at"].notna() & (keyed["c_at"] < keyed["occurred_at"])
    occurred = keyed["occurred_at"].where(~earlier, keyed["c_at"])
    return moves.assign(occurred_at=occurred.set_axis(moves.index))


def _counts(moves: pd.DataFrame, inspections: pd.DataFrame) -> pd.DataFrame:
    """The operator's COUNT rows and customs' inspection counts, in one shape."""
    own = moves[moves["movement_type"] == "COUNT"]
    own = own.assign(count_ref=own["movement_ref"])[
        ["operator_id", "lot_ref", "occurred_at", "quantity", "unit", "count_ref", "zone_id"]
    ]
    # (inspections read without their zone have it missing: their lot's zone is taken)
    both = pd.concat([own, inspections.reindex(columns=own.columns)], ignore_index=True) if len(inspections) else own
    return both.assign(
        occurred_at=pd.to_datetime(both["occurred_at"], utc=True), quantity=both["quantity"].astype("int64")
    )


def _lot_status(moves: pd.DataFrame, lotted: pd.DataFrame, controls: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Strategic status of every lot, from both sides' records (``lotted``: customs items in
    force, those without a lot taking the lot they were matched to), carried on across zones
    along ``links``."""
    read = [*LOT, "hs_code", "control_code", *(c for c in [codes.LOT] if c in moves and c in lotted)]
    goods = pd.concat([moves[read], lotted.loc[lotted["lot_ref"].notna(), read]])
    processing = moves.loc[moves["movement_type"].isin(["CONSUME", "PRODUCE"]), [*LOT, "process_ref", "movement_type"]]
    return strategic_status(goods, processing, controls, links)


def _strategic_reclassified(
    moves: pd.DataFrame, entries: pd.DataFrame, status: pd.DataFrame, controls: pd.DataFrame
) -> pd.DataFrame:
    """A lot strategic at admission that leaves, unprocessed, under a code that is not."""
    own = status[status["strategic"]]
    if own.empty:  # no strategic lot (many runs)
        return pd.DataFrame(columns=rules.FINDING)
    # only records of a strategic lot can pair (a first cut on the lot's reference alone, before
    # the admissions' names are built)
    of_own = moves["lot_ref"].isin(pd.unique(own["lot_ref"]))
    admitted = moves.loc[
        moves["movement_type"].isin(["ADMISSION", "PRODUCE"]) & of_own, [*LOT, "hs_code", *RECORD_COLUMNS]
    ]
    admitted = admitted.drop_duplicates(LOT)  # the first admission of each lot: the only one named
    admitted = admitted.assign(hs6=admitted["hs_code"].str.slice(0, 6), admitted_by=record_names(admitted))
    admitted = admitted[[*LOT, "hs6", "admitted_by"]]
    removals = moves[(moves["movement_type"] == "REMOVAL") & of_own]
    candidates = removals.merge(admitted, on=LOT).merge(own[[*LOT, "control_codes"]], on=LOT)
    candidates = candidates[candidates["hs_code"].str.slice(0, 6) != candidates["hs6"]]
    flagged = correlate(candidates.assign(control_code=None), controls)
    controlled = flagged[flagged["strength"] == "CONTROLLED"][[*LOT, "hs_code"]].drop_duplicates()
    hidden = candidates.merge(controlled, on=[*LOT, "hs_code"], how="left", indicator=True)
    hidden = hidden[hidden["_merge"] == "left_only"]
    return rules._finding(
        hidden,
        "CLASSIFICATION_MISMATCH",
        customs_ref=hidden["customs_ref"],
        expected=hidden["hs6"],
        found=hidden["hs_code"].str.slice(0, 6),
        destination=hidden["destination_country"],
        records=hidden["movement_ref"],
        expected_from="admission " + hidden["admitted_by"],
        found_from="removal " + record_names(hidden),
        detail="a strategic lot admitted under one code (expected) leaves, unprocessed, under a non-strategic one"
        " (found)",
    )


def _unlotted_status(findings: pd.DataFrame, entries: pd.DataFrame, controls: pd.DataFrame) -> pd.DataFrame:
    """A customs item never booked by the operator may name no lot: judge it by its own codes
    (the declaration's items that name no lot, not those of its lots, which their lots judge)."""
    missing = findings["strategic"].isna()
    if missing.any():
        lotless = entries["lot_ref"].isna()
        items = entries[lotless | ~entries["declaration_ref"].isin(entries.loc[lotless, "declaration_ref"])]
        items = items.assign(lot_ref="#" + items["declaration_ref"])
        goods = items[["operator_id", "lot_ref", "hs_code", "control_code"]]
        own = strategic_status(
            goods, pd.DataFrame(columns=["operator_id", "process_ref", "lot_ref", "movement_type"]), controls
        )
        own = (
            own.assign(customs_ref=own["lot_ref"].str.slice(1))
            .drop(columns="lot_ref")
            .drop_duplicates(["operator_id", "customs_ref"])
        )
        fill = findings.loc[missing, ["operator_id", "customs_ref"]].merge(
            own, on=["operator_id", "customs_ref"], how="left"
        )
        for column in ("strategic", "basis", "control_codes", "may_be_controlled", "may_be_codes", "inherited_from"):
            findings.loc[missing, column] = fill[column].to_numpy()
    findings["strategic"] = findings["strategic"].fillna(False).astype(bool)
    findings["may_be_controlled"] = findings["may_be_controlled"].fillna(False).astype(bool)
    for column in ("basis", "control_codes", "may_be_codes", "inherited_from"):
        findings[column] = findings[column].fillna("")
    return findings


def _strategic_inputs(findings: pd.DataFrame, moves: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    """A processing loss concerns strategic goods when any of the process's inputs is strategic."""
    consumed = moves.loc[moves["movement_type"] == "CONSUME", ["operator_id", "process_ref", "lot_ref"]]
    inputs = consumed.merge(status[status["strategic"]], on=LOT)
    if inputs.empty:
        return findings
    per_process = inputs.groupby(["operator_id", "process_ref"]).agg(
        input_codes=("control_codes", lambda codes: ",".join(sorted(set(",".join(codes).split(","))))),
        input_lots=("lot_ref", lambda lots: ",".join(sorted(set(lots)))),
    )
    keyed = findings.join(per_process, on=["operator_id", "process_ref"])
    hit = (findings["kind"] == "PROCESSING_LOSS") & keyed["input_codes"].notna()
    findings.loc[hit, "strategic"] = True
    findings.loc[hit, "basis"] = "INHERITED"
    findings.loc[hit, "control_codes"] = keyed.loc[hit, "input_codes"]
    findings.loc[hit, "inherited_from"] = keyed.loc[hit, "input_lots"]
    return findings


def _fingerprints(findings: pd.DataFrame) -> pd.Series:
    """The same finding seen again gets the same fingerprint, whatever else changed."""
    parts = findings[["kind", "operator_id", "lot_ref", "customs_ref", "process_ref", "extra"]]
    floating = findings["kind"].isin(UNANCHORED)  # kinds whose identity is their ``extra``, not their records
    parts = parts.assign(lot_ref=parts["lot_ref"].where(~floating), customs_ref=parts["customs_ref"].where(~floating))
    texts = [parts[c].astype("object").where(parts[c].notna(), "").astype(str) for c in parts]
    joined = texts[0].str.cat(texts[1:], sep="|")
    return joined.map(lambda text: hashlib.sha256(text.encode()).hexdigest()[:32])


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[*rules.FINDING, "facts", "fingerprint", "strategic", "severity", "risk_score", "components"]
    )
