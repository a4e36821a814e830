"""Writing a run's findings: new ones inserted, those seen again refreshed, those gone closed."""

import json

import pandas as pd
from sqlalchemy import Engine, insert, select, update
from sqlmodel import Session

from ftz.database import from_millionths, utcnow
from ftz.discrepancies.models import Discrepancy, ReportFinding, Run, Status
from ftz.reference import service as reference
from ftz.reference.models import ListKind
from reconciliation.risk import destination_tiers


def write(
    session: Session,
    record: Run,
    findings: pd.DataFrame,
    zone_id: int | None,
    scope: tuple | None = None,
    *,
    engine: Engine,
    kinds: list[str],
) -> None:
    """Insert new findings, refresh those seen again, close those the data no longer supports
    (within the run's scope: an incremental run speaks only for the lots it recomputed, and
    only for the ``kinds`` its rules raise).

    Written with bulk statements: a run may touch tens of thousands of findings."""
    columns = (
        Discrepancy.id,
        Discrepancy.fingerprint,
        Discrepancy.status,
        Discrepancy.operator_id,
        Discrepancy.closed_run,
    )
    query = select(*columns, Discrepancy.lot_ref, Discrepancy.customs_ref).where(
        Discrepancy.status != Status.CLOSED, Discrepancy.kind.in_(kinds)
    )
    if zone_id is not None:
        query = query.where(Discrepancy.zone_id == zone_id)
    known = {row.fingerprint: row for row in session.execute(query)}
    if scope is not None:
        lots, declarations = scope
        keys = set(zip(lots["operator_id"], lots["lot_ref"], strict=True))
        inside = {f for f, d in known.items() if (d.operator_id, d.lot_ref) in keys or d.customs_ref in declarations}
        carried = [d.id for f, d in known.items() if f not in inside]
        # their records did not change, so they are still supported: one statement for all
        for chunk in range(0, len(carried), 10_000):
            session.execute(
                update(Discrepancy)
                .where(Discrepancy.id.in_(carried[chunk : chunk + 10_000]))
                .values(last_seen_run=record.id)
                .execution_options(synchronize_session=False)
            )
        record.seen_again += len(carried)
        known = {f: d for f, d in known.items() if f in inside}
    # closed ones that come back: reopened if a run had closed them; an auditor's closing stays
    wanted = list(findings["fingerprint"])
    closed = {}
    for chunk in range(0, len(wanted), 10_000):
        back = select(*columns).where(
            Discrepancy.status == Status.CLOSED, Discrepancy.fingerprint.in_(wanted[chunk : chunk + 10_000])
        )
        closed |= {row.fingerprint: row for row in session.execute(back)}
    now = utcnow()
    tiers, hs = _lookups(engine)
    added, refreshed = [], []
    for row in findings.to_dict("records"):
        values = _values(row, tiers, hs, record.reference_versions)
        existing = known.get(row["fingerprint"]) or closed.get(row["fingerprint"])
        if existing is None:
            added.append(values | {"first_seen_run": record.id, "last_seen_run": record.id, "created_at": now})
            continue
        # facts refresh; the status an auditor set stays, unless a run had closed it
        values |= {"id": existing.id, "last_seen_run": record.id}
        if existing.status == Status.CLOSED and existing.closed_run is not None:  # a run's closing, undone
            values |= {"status": Status.OPEN, "closed_run": None, "close_reason": None}
        refreshed.append(values)
    seen = set(findings["fingerprint"])
    gone = [d.id for f, d in known.items() if f not in seen and d.status == Status.OPEN]
    for chunk in range(0, len(added), 5_000):
        session.execute(insert(Discrepancy), [v | {"updated_at": now} for v in added[chunk : chunk + 5_000]])
    for group in _by_keys(refreshed):
        session.execute(update(Discrepancy), [v | {"updated_at": now} for v in group])
    for chunk in range(0, len(gone), 10_000):
        session.execute(
            update(Discrepancy)
            .where(Discrepancy.id.in_(gone[chunk : chunk + 10_000]))
            .values(
                status=Status.CLOSED,
                closed_run=record.id,
                updated_at=now,
                close_reason=f"no longer supported by the data (run {record.id})",
            )
            .execution_options(synchronize_session=False)
        )
    record.new += len(added)
    record.seen_again += len(refreshed)
    record.closed += len(gone)
    record.counts = {str(k): int(v) for k, v in findings["kind"].value_counts().items()}


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
