"""Writing a run's findings: new ones inserted, those seen again refreshed, those gone closed."""

import json
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, insert, select, update
from sqlmodel import Session

from ftz.database import from_millionths, utcnow
from ftz.discrepancies.models import Discrepancy, ReportFinding, Run, Status
from ftz.reference import service as reference
from ftz.reference.models import ListKind
from reconciliation.risk import destination_tiers

# The stored columns a finding's facts fill: a finding seen again whose facts are all equal
# needs no more than its last_seen_run moved on.
FACTS = ("kind", "zone_id", "operator_id", "lot_ref", "customs_ref", "process_ref", "strategic", "control_codes",
         "severity", "risk_score", "evidence")  # fmt: skip


@dataclass
class Changes:
    """What a run writes, worked out from reads alone, before the write lock is taken."""

    added: list[dict] = field(default_factory=list)  # new findings
    refreshed: list[dict] = field(default_factory=list)  # seen again with other facts, or reopened
    seen: list[int] = field(default_factory=list)  # seen again unchanged, or outside the scope
    gone: list[int] = field(default_factory=list)  # open, and no longer supported
    counts: dict[str, int] = field(default_factory=dict)  # findings by kind


def plan(
    session: Session,
    record: Run,
    findings: pd.DataFrame,
    zone_id: int | None,
    scope: tuple | None = None,
    *,
    engine: Engine,
    kinds: list[str],
) -> Changes:
    """Which findings are new, which are seen again (changed or not), which are gone, within the
    run's scope (an incremental run speaks only for the lots it recomputed, and only for the
    ``kinds`` its rules raise). Reads only."""
    columns = (Discrepancy.id, Discrepancy.fingerprint, Discrepancy.status, Discrepancy.closed_run,
               *(getattr(Discrepancy, name) for name in FACTS))  # fmt: skip
    query = select(*columns).where(Discrepancy.status != Status.CLOSED, Discrepancy.kind.in_(kinds))
    if zone_id is not None:
        query = query.where(Discrepancy.zone_id == zone_id)
    known = {row.fingerprint: row for row in session.execute(query)}
    changes = Changes(counts={str(k): int(v) for k, v in findings["kind"].value_counts().items()})
    if scope is not None:
        lots, declarations = scope
        keys = set(zip(lots["operator_id"], lots["lot_ref"], strict=True))
        inside = {f for f, d in known.items() if (d.operator_id, d.lot_ref) in keys or d.customs_ref in declarations}
        # their records did not change, so they are still supported
        changes.seen = [d.id for f, d in known.items() if f not in inside]
        known = {f: d for f, d in known.items() if f in inside}
    # closed ones that come back: reopened if a run had closed them; an auditor's closing stays
    wanted = list(findings["fingerprint"])
    closed = {}
    for chunk in range(0, len(wanted), 10_000):
        back = select(*columns).where(
            Discrepancy.status == Status.CLOSED, Discrepancy.fingerprint.in_(wanted[chunk : chunk + 10_000])
        )
        closed |= {row.fingerprint: row for row in session.execute(back)}
    tiers, hs = _lookups(engine)
    for row in findings.to_dict("records"):
        values = _values(row, tiers, hs, record.reference_versions)
        existing = known.get(row["fingerprint"]) or closed.get(row["fingerprint"])
        if existing is None:
            changes.added.append(values | {"first_seen_run": record.id, "last_seen_run": record.id})
            continue
        reopened = existing.status == Status.CLOSED and existing.closed_run is not None  # a run's closing, undone
        if not reopened and all(values[name] == getattr(existing, name) for name in FACTS):
            changes.seen.append(existing.id)
            continue
        # facts refresh; the status an auditor set stays, unless a run had closed it
        values |= {"id": existing.id, "last_seen_run": record.id}
        if reopened:
            values |= {"status": Status.OPEN, "closed_run": None, "close_reason": None}
        changes.refreshed.append(values)
    supported = set(findings["fingerprint"])
    changes.gone = [d.id for f, d in known.items() if f not in supported and d.status == Status.OPEN]
    return changes


def apply(session: Session, record: Run, changes: Changes) -> None:
    """Write what ``plan`` worked out, in bulk statements (a run may touch tens of thousands of
    findings): the only part of a run that holds the database's write lock."""
    now = utcnow()
    for chunk in range(0, len(changes.added), 5_000):
        rows = [v | {"created_at": now, "updated_at": now} for v in changes.added[chunk : chunk + 5_000]]
        session.execute(insert(Discrepancy), rows)
    for group in _by_keys(changes.refreshed):
        session.execute(update(Discrepancy), [v | {"updated_at": now} for v in group])
    for chunk in range(0, len(changes.seen), 10_000):
        session.execute(
            update(Discrepancy)
            .where(Discrepancy.id.in_(changes.seen[chunk : chunk + 10_000]))
            .values(last_seen_run=record.id)
            .execution_options(synchronize_session=False)
        )
    for chunk in range(0, len(changes.gone), 10_000):
        session.execute(
            update(Discrepancy)
            # an auditor's decision taken since the plan stays
            .where(Discrepancy.id.in_(changes.gone[chunk : chunk + 10_000]), Discrepancy.status == Status.OPEN)
            .values(
                status=Status.CLOSED,
                closed_run=record.id,
                updated_at=now,
                close_reason=f"no longer supported by the data (run {record.id})",
            )
            .execution_options(synchronize_session=False)
        )
    record.new += len(changes.added)
    record.seen_again += len(changes.refreshed) + len(changes.seen)
    record.closed += len(changes.gone)
    record.counts = changes.counts


def write_report(session: Session, record: Run, findings: pd.DataFrame, *, engine: Engine) -> None:
    """Keep a run as of a past moment as a report, apart from the live discrepancies."""
    tiers, hs = _lookups(engine)
    now = utcnow()
    rows = []
    for row in findings.to_dict("records"):
        values = _values(row, tiers, hs, record.reference_versions)
        del values["fingerprint"]
        rows.append(values | {"run_id": record.id, "created_at": now})
    for chunk in range(0, len(rows), 5_000):
        session.execute(insert(ReportFinding), rows[chunk : chunk + 5_000])
    record.new = len(rows)
    record.counts = {str(k): int(v) for k, v in findings["kind"].value_counts().items()}


def _lookups(engine: Engine) -> tuple[dict, dict]:
    """What the evidence names beside codes: each country's tier and reasons, each subheading's text."""
    tiers = destination_tiers(reference.destinations(engine)).to_dict("index")
    return tiers, reference.hs_nomenclature(engine).set_index("code")["description"].to_dict()


def _by_keys(rows: list[dict]) -> list[list[dict]]:
    """Rows grouped by their set of keys: a bulk update sets the same columns on every row."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())


def _values(row: dict, tiers: dict, hs: dict, versions: dict) -> dict:
    """The stored columns of a finding, with its evidence written for an auditor."""
    destination = row.get("destination")
    destination = destination if isinstance(destination, str) else None
    evidence = {
        "rule": row["detail"],
        "expected": _quantity(row["expected"]),
        "found": _quantity(row["found"]),
        "tolerance": _quantity(row["tolerance"]),
        "unit": row["unit"] if isinstance(row["unit"], str) else None,
        "records": row["records"] if isinstance(row["records"], str) else None,
        "expected_from": _text(row.get("expected_from")),
        "found_from": _text(row.get("found_from")),
        "strategic": {
            "basis": row["basis"],
            "control_codes": row["control_codes"],
            "inherited_from": row["inherited_from"],
            "may_be_controlled": row["may_be_codes"],
            "controls_version": versions.get(ListKind.CONTROLS),
        },
        "destination": {
            "country": destination,
            "tier": tiers.get(destination, {}).get("tier"),
            "reasons": tiers.get(destination, {}).get("reasons"),
            "list_version": versions.get(ListKind.DESTINATIONS),
        },
        "risk": {"score": int(row["risk_score"]), "components": row["components"]},
    }
    facts = row.get("facts")
    if isinstance(facts, dict):  # a second-edition rule's own evidence: the licence, the hold, the words
        evidence |= facts
    for side in ("expected", "found"):
        code = evidence[side]
        if isinstance(code, str) and row["kind"] == "CLASSIFICATION_MISMATCH":
            evidence[f"{side}_description"] = hs.get(code[:6])
    return {
        "fingerprint": row["fingerprint"],
        "kind": row["kind"],
        "zone_id": int(row["zone_id"]),
        "operator_id": int(row["operator_id"]),
        "lot_ref": _text(row["lot_ref"]),
        "customs_ref": _text(row["customs_ref"]),
        "process_ref": _text(row["process_ref"]),
        "strategic": bool(row["strategic"]),
        "control_codes": row["control_codes"],
        "severity": row["severity"],
        "risk_score": int(row["risk_score"]),
        "evidence": json.loads(json.dumps(evidence, default=str)),
    }


def _quantity(value):
    """Millionths as a decimal text; other values (codes, times) as they are."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(from_millionths(round(value)))
    return str(value)


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None
