"""Running a reconciliation and keeping its findings; reading and exporting them."""

import json
import logging
from dataclasses import replace
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, insert, select, text, update
from sqlmodel import Session

from ftz.audit import service as audit
from ftz.config import ZoneSettings, get_settings
from ftz.database import from_millionths, utcnow
from ftz.discrepancies.models import Discrepancy, Run, RunOutcome, Status
from ftz.ledger.scope import changed
from ftz.ledger.service import customs_frame, movements_frame
from ftz.reference import service as reference
from ftz.reference.models import ListKind
from ftz.zones import service as zones
from reconciliation.engine import Inputs, reconcile
from reconciliation.quantities import Tolerances
from reconciliation.risk import destination_tiers

log = logging.getLogger("ftz.runs")
COUNT_COLUMNS = ["count_id", "operator_id", "lot_ref", "occurred_at", "quantity", "unit", "count_ref"]


def run(
    engine: Engine,
    *,
    as_of: datetime | None = None,
    zone_code: str | None = None,
    full: bool = False,
    started_by: str = "system",
) -> Run:
    """Reconcile (a zone, or all) as of a moment, and record the findings in one transaction.

    Incremental unless ``full``: after a successful run of the same scope with the same lists,
    only the lots (and declarations) touched since, and all that a finding ties to them, are
    recomputed."""
    return execute(engine, start(engine, as_of=as_of, zone_code=zone_code, full=full, started_by=started_by))


def start(
    engine: Engine,
    *,
    as_of: datetime | None = None,
    zone_code: str | None = None,
    full: bool = False,
    started_by: str = "system",
) -> Run:
    """Record a run as RUNNING (visible while it works); ``execute`` does the work."""
    zone_code = zone_code.strip().upper() if zone_code else None
    zone_id = _zone_id(engine, zone_code)
    versions = {kind.value: reference.version_in_force(engine, kind) for kind in ListKind}
    with Session(engine, expire_on_commit=False) as session:
        record = Run(as_of=as_of, zone_code=zone_code, full=full or as_of is not None, reference_versions=versions)
        session.add(record)
        session.flush()
        details = {"as_of": as_of, "full": full}
        audit.record(session, actor=started_by, action="run.started", subject=f"run:{record.id}", zone_id=zone_id,
                     details=details)  # fmt: skip
        session.commit()
    return record


def execute(engine: Engine, record: Run) -> Run:
    """Do the work of a started run; on failure the run is marked FAILED and findings stay as they were."""
    try:
        zone_id = _zone_id(engine, record.zone_code)
        previous = None if record.full else _previous(engine, record.zone_code, record.reference_versions)
        record.full = previous is None
        record.seen = _visible(engine)  # before reading: what commits meanwhile is read again next time
        scope = _changed_scope(engine, previous.seen) if previous is not None else None
        inputs = read_inputs(engine, as_of=record.as_of, zone_id=zone_id, scope=scope)
        record.lots = int(inputs.movements[["operator_id", "lot_ref"]].drop_duplicates().shape[0])
        findings = pd.concat([reconcile(part) for part in by_zone(engine, inputs)], ignore_index=True)
        with Session(engine, expire_on_commit=False) as session:
            _record(session, record, findings, zone_id, scope)
            audit.record(session, actor="system", action="run.succeeded", subject=f"run:{record.id}",
                         zone_id=zone_id, details={"new": record.new, "closed": record.closed})  # fmt: skip
            session.commit()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        with Session(engine, expire_on_commit=False) as session:
            session.execute(
                update(Run)
                .where(Run.id == record.id)
                .values(outcome=RunOutcome.FAILED, finished_at=utcnow(), error=error)
            )
            audit.record(session, actor="system", action="run.failed", subject=f"run:{record.id}",
                         details={"error": error})  # fmt: skip
            session.commit()
        record.outcome, record.error = RunOutcome.FAILED, error
        raise
    return record


def execute_in_background(engine: Engine, record: Run) -> None:
    """``execute`` for a background task: a failure is on the run (FAILED, with its error) and in the log."""
    try:
        execute(engine, record)
    except Exception:
        log.exception("run %s failed", record.id)


def read_inputs(
    engine: Engine, *, as_of: datetime | None = None, zone_id: int | None = None, scope: tuple | None = None
) -> Inputs:
    """Everything the engine needs (of a scope of lots and declarations, if given), from the
    ledger and the reference lists in force."""
    moves = movements_frame(engine, scope=scope)
    entries = customs_frame(engine, current_only=False, scope=scope)
    if zone_id is not None:
        moves, entries = moves[moves["zone_id"] == zone_id], entries[entries["zone_id"] == zone_id]
    if as_of is not None:
        moment = pd.Timestamp(as_of)
        moves, entries = moves[moves["occurred_at"] <= moment], entries[entries["lodged_at"] <= moment]
    with engine.connect() as conn:
        zone_frame = pd.read_sql(text("SELECT id AS zone_id, country FROM zone"), conn)
        counts = pd.read_sql(
            text(
                "SELECT id AS count_id, operator_id, lot_ref, counted_at AS occurred_at, quantity, unit, "
                "'inspection ' || id AS count_ref FROM stock_count"
            ),
            conn,
        )
    counts["occurred_at"] = pd.to_datetime(counts["occurred_at"], utc=True, format="ISO8601")
    if scope is not None:
        keys = pd.MultiIndex.from_frame(scope[0][["operator_id", "lot_ref"]])
        counts = counts[pd.MultiIndex.from_frame(counts[["operator_id", "lot_ref"]]).isin(keys)]
    return Inputs(
        movements=moves,
        entries=entries,
        counts=counts[COUNT_COLUMNS],
        controls=reference.controls(engine),
        destinations=reference.destinations(engine),
        zones=zone_frame,
    )


def by_zone(engine: Engine, inputs: Inputs) -> list[Inputs]:
    """The inputs split by zone, each with the zone's tolerances: zones never share records."""
    settings = get_settings()
    with engine.connect() as conn:
        codes = dict(conn.execute(text("SELECT id, code FROM zone")).all())
    parts = []
    for zone_id in sorted(set(inputs.movements["zone_id"]) | set(inputs.entries["zone_id"])):
        operators = set(inputs.movements.loc[inputs.movements["zone_id"] == zone_id, "operator_id"])
        parts.append(
            replace(
                inputs,
                movements=inputs.movements[inputs.movements["zone_id"] == zone_id],
                entries=inputs.entries[inputs.entries["zone_id"] == zone_id],
                counts=inputs.counts[inputs.counts["operator_id"].isin(operators)],
                tolerances=tolerances(settings.zone(codes.get(zone_id, ""))),
            )
        )
    return parts or [inputs]


def tolerances(zone: ZoneSettings) -> Tolerances:
    """The engine's tolerances for a zone: the defaults, with the zone's overrides on top."""
    default = Tolerances()
    return Tolerances(
        relative=default.relative | (zone.quantity_relative or {}),
        absolute=default.absolute | (zone.quantity_absolute or {}),
        recording_delay_days=default.recording_delay_days
        if zone.recording_delay_days is None
        else zone.recording_delay_days,
        processing_loss=default.processing_loss if zone.processing_loss is None else zone.processing_loss,
    )


def get_all(session: Session, *, include_closed: bool = False) -> list[Discrepancy]:
    """Discrepancies, highest risk first."""
    query = select(Discrepancy).order_by(Discrepancy.risk_score.desc(), Discrepancy.id)
    if not include_closed:
        query = query.where(Discrepancy.status != Status.CLOSED)
    return list(session.execute(query).scalars())


def get_all_runs(session: Session) -> list[Run]:
    return list(session.execute(select(Run).order_by(Run.id.desc())).scalars())


def _zone_id(engine: Engine, zone_code: str | None) -> int | None:
    if not zone_code:
        return None
    with Session(engine) as session:
        return zones.get_zone_or_raise(session, code=zone_code.strip().upper()).id


def _previous(engine: Engine, zone_code: str | None, versions: dict) -> Run | None:
    """The last successful run an incremental run can build on: same scope, same lists, now."""
    with Session(engine, expire_on_commit=False) as session:
        last = session.execute(
            select(Run)
            .where(Run.outcome == RunOutcome.SUCCEEDED, Run.as_of.is_(None))
            .where(Run.zone_code.is_(None) if zone_code is None else Run.zone_code == zone_code)
            .order_by(Run.id.desc())
            .limit(1)
        ).scalar_one_or_none()
    if last is None or last.reference_versions != versions or not last.seen:
        return None
    if last.seen.get("settings") != _settings_key():
        return None  # tolerances changed: every lot is judged anew
    return last


def _settings_key() -> str:
    zones_settings = {code: zone.model_dump() for code, zone in sorted(get_settings().zones.items())}
    return json.dumps(zones_settings, sort_keys=True)


def _visible(engine: Engine) -> dict:
    """The upload and inspection ids this run can see: the highest, and the missing ones below it."""
    seen = {}
    with engine.connect() as conn:
        for name, table in (("uploads", "upload"), ("counts", "stock_count")):
            ids = {row[0] for row in conn.execute(text(f"SELECT id FROM {table}"))}
            top = max(ids, default=0)
            # ids never seen below the top: imports still in flight (or rolled back for good)
            seen[name] = {"max": top, "gaps": sorted(set(range(1, top + 1)) - ids)[-10_000:]}
    seen["settings"] = _settings_key()
    return seen


def _changed_scope(engine: Engine, seen: dict) -> tuple[pd.DataFrame, set[str]]:
    """The lots and declarations changed since the run that saw ``seen``, closed under what
    ties lots together in a finding."""
    new = {}
    with engine.connect() as conn:
        for name, table in (("uploads", "upload"), ("counts", "stock_count")):
            # ids above the last run's top, and those that were missing below it (imports then in flight)
            gaps = seen[name]["gaps"]
            low = min(gaps, default=seen[name]["max"] + 1)
            ids = set(conn.execute(text(f"SELECT id FROM {table} WHERE id >= :low"), {"low": low}).scalars())
            new[name] = {i for i in ids if i > seen[name]["max"]} | (ids & set(gaps))
    return changed(engine, uploads=new["uploads"], counts=new["counts"])


def _record(
    session: Session, record: Run, findings: pd.DataFrame, zone_id: int | None, scope: tuple | None = None
) -> None:
    """Insert new findings, refresh those seen again, close those the data no longer supports
    (within the run's scope: an incremental run speaks only for the lots it recomputed).

    Written with bulk statements: a run may touch tens of thousands of findings."""
    columns = (
        Discrepancy.id,
        Discrepancy.fingerprint,
        Discrepancy.status,
        Discrepancy.operator_id,
        Discrepancy.closed_run,
    )
    query = select(*columns, Discrepancy.lot_ref, Discrepancy.customs_ref).where(Discrepancy.status != Status.CLOSED)
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
    bind = session.get_bind()
    tiers = destination_tiers(reference.destinations(bind)).to_dict("index")
    hs = reference.hs_nomenclature(bind).set_index("code")["description"].to_dict()
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
    record.outcome, record.finished_at = RunOutcome.SUCCEEDED, utcnow()
    session.add(record)


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
