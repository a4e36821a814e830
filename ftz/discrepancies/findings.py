"""Writing a run's findings: new ones inserted, those seen again refreshed, those gone closed."""

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionDtype
from pandas.api.types import is_object_dtype
from psycopg.types.json import Json
from sqlalchemy import Engine, Text, cast, insert, select, update
from sqlmodel import Session

from ftz.database import among, from_millionths, utcnow
from ftz.discrepancies.models import Discrepancy, ReportFinding, Run, Status
from ftz.reference import service as reference
from ftz.reference.models import ListKind
from reconciliation.risk import destination_tiers

# The stored columns a finding's facts fill: a finding seen again whose facts are all equal
# needs no more than its last_seen_run moved on.
FACTS = ("kind", "zone_id", "operator_id", "lot_ref", "customs_ref", "process_ref", "strategic", "control_codes",
         "severity", "risk_score", "evidence")  # fmt: skip
# What a plan reads of a stored finding; the evidence as the text it is stored as, which
# needs no parsing to be found equal (SQLite keeps JSON as text, PostgreSQL's json type too).
_STORED = (Discrepancy.id, Discrepancy.fingerprint, Discrepancy.status, Discrepancy.closed_run,
           *(getattr(Discrepancy, name) for name in FACTS if name != "evidence"),
           cast(Discrepancy.evidence, Text).label("evidence"))  # fmt: skip
_CHUNK = 10_000  # findings per statement
# One encoder for every finding's evidence (``json.dumps`` with an argument builds one per call).
_ENCODER = json.JSONEncoder(default=str)
# Values ``to_dict`` leaves as they are (it boxes numpy scalars and pd.NA into Python's own).
_PLAIN = frozenset({str, int, float, bool, type(None), dict, list, tuple})


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
    where = [Discrepancy.status != Status.CLOSED, Discrepancy.kind.in_(kinds)]
    dialect = session.get_bind().dialect.name
    if zone_id is not None:
        where.append(Discrepancy.zone_id == zone_id)
    changes = Changes(counts={str(k): int(v) for k, v in findings["kind"].value_counts().items()})
    if scope is None:
        known = {row.fingerprint: row for row in session.execute(select(*_STORED).where(*where))}
    else:  # the facts of the findings inside the scope only: those outside are not compared
        placed = (Discrepancy.id, Discrepancy.kind, Discrepancy.operator_id, Discrepancy.lot_ref,
                  Discrepancy.customs_ref)  # fmt: skip
        everyone = session.execute(select(*placed).where(*where)).all()
        inside = _inside(everyone, scope)
        # their records did not change, so they are still supported, and counted as a full run would
        outside = [d for d in everyone if d.id not in inside]
        changes.seen = [d.id for d in outside]
        for kind, count in Counter(d.kind for d in outside).items():
            changes.counts[str(kind)] = changes.counts.get(str(kind), 0) + count
        ids, known = sorted(inside), {}
        for chunk in range(0, len(ids), _CHUNK):
            query = select(*_STORED).where(among(dialect, Discrepancy.id, ids[chunk : chunk + _CHUNK]))
            known |= {row.fingerprint: row for row in session.execute(query)}
    # closed ones that come back: reopened if a run had closed them; an auditor's closing stays
    wanted = findings["fingerprint"].tolist()
    closed = {}
    for chunk in range(0, len(wanted), _CHUNK):
        named = among(dialect, Discrepancy.fingerprint, wanted[chunk : chunk + _CHUNK])
        back = select(*_STORED).where(Discrepancy.status == Status.CLOSED, named)
        closed |= {row.fingerprint: row for row in session.execute(back)}
    tiers, hs = _lookups(engine, findings)
    for row in _records(findings):
        values = _values(row, tiers, hs, record.reference_versions, decoded=False)
        existing = known.get(row["fingerprint"]) or closed.get(row["fingerprint"])
        if existing is None:
            changes.added.append(_decoded(values) | {"first_seen_run": record.id, "last_seen_run": record.id})
            continue
        reopened = existing.status == Status.CLOSED and existing.closed_run is not None  # a run's closing, undone
        if not reopened and _same(values, existing):
            changes.seen.append(existing.id)
            continue
        # facts refresh; the status an auditor set stays, unless a run had closed it
        values = _decoded(values) | {"id": existing.id, "last_seen_run": record.id}
        if reopened:
            values |= {"status": Status.OPEN, "closed_run": None, "close_reason": None}
        changes.refreshed.append(values)
    supported = set(findings["fingerprint"])
    changes.gone = [d.id for f, d in known.items() if f not in supported and d.status == Status.OPEN]
    return changes


def _records(frame: pd.DataFrame) -> list[dict]:
    """``frame.to_dict("records")``, faster: text columns are taken as NumPy arrays (Arrow-backed
    text is slow to walk value by value), and a column of plain Python values (most of a run's
    findings) as it is; only one holding NumPy scalars or ``pd.NA`` is boxed value by value."""
    columns = frame.columns.tolist()
    values = [series.to_numpy() if isinstance(series.dtype, pd.StringDtype) else series for _, series in frame.items()]
    rows = [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]
    for name, dtype in frame.dtypes.items():
        if not is_object_dtype(dtype) and not isinstance(dtype, ExtensionDtype):
            continue  # NumPy columns come out as Python values already
        if all(type(row[name]) in _PLAIN for row in rows):
            continue
        for row in rows:
            row[name] = _native(row[name])
    return rows


def _native(value):
    """A NumPy scalar, or ``pd.NA``, as the Python value ``to_dict`` gives for it; any other value as it is."""
    if value is pd.NA:
        return None
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value)
    if isinstance(value, np.timedelta64):
        return pd.Timedelta(value)
    return value.item() if isinstance(value, np.generic) else value


def _inside(known: Iterable, scope: tuple) -> set[int]:
    """The ids of the stored findings on a lot or declaration of an incremental run's scope."""
    lots, declarations = scope
    keys = set(zip(lots["operator_id"].tolist(), lots["lot_ref"].tolist(), strict=True))
    return {d.id for d in known if (d.operator_id, d.lot_ref) in keys or d.customs_ref in declarations}


def _same(values: dict, stored) -> bool:
    """Whether a finding's facts equal those stored. The evidence is compared as the text it is
    stored as first (the same text is the same evidence), parsed only when the texts differ."""
    if any(values[name] != getattr(stored, name) for name in FACTS if name != "evidence"):
        return False
    return values["evidence"] == stored.evidence or json.loads(values["evidence"]) == json.loads(stored.evidence)


def _decoded(values: dict) -> dict:
    """``values`` with its evidence as the JSON object it is written as."""
    return values | {"evidence": json.loads(values["evidence"])}


def apply(session: Session, record: Run, changes: Changes) -> None:
    """Write what ``plan`` worked out, in bulk statements (a run may touch tens of thousands of
    findings): the only part of a run that holds the database's write lock."""
    now, dialect = utcnow(), session.get_bind().dialect.name
    for chunk in range(0, len(changes.added), 5_000):
        rows = [v | {"created_at": now, "updated_at": now} for v in changes.added[chunk : chunk + 5_000]]
        if dialect == "postgresql":
            _copy(session, rows)
        else:
            session.connection().execute(insert(Discrepancy.__table__), rows)
    for group in _by_keys(changes.refreshed):
        session.execute(update(Discrepancy), [v | {"updated_at": now} for v in group])
    for chunk in range(0, len(changes.seen), _CHUNK):
        session.execute(
            update(Discrepancy)
            .where(among(dialect, Discrepancy.id, changes.seen[chunk : chunk + _CHUNK]))
            .values(last_seen_run=record.id)
            .execution_options(synchronize_session=False)
        )
    for chunk in range(0, len(changes.gone), _CHUNK):
        session.execute(
            update(Discrepancy)
            # an auditor's decision taken since the plan stays
            .where(
                among(dialect, Discrepancy.id, changes.gone[chunk : chunk + _CHUNK]),
                Discrepancy.status == Status.OPEN,
            )
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


def _copy(session: Session, rows: list[dict]) -> None:
    """New findings written by COPY: the driver's bulk insert sends one INSERT per row, two or
    three times slower (0.5 s for 3,334 findings, against 0.2-0.3 s)."""
    columns = [*rows[0], "status"]
    statement = f"COPY {Discrepancy.__tablename__} ({', '.join(columns)}) FROM STDIN"
    connection = session.connection().connection.driver_connection
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([*(Json(row[c]) if c == "evidence" else row[c] for c in columns[:-1]), Status.OPEN])


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


def _lookups(engine: Engine, findings: pd.DataFrame | None = None) -> tuple[dict, dict]:
    """What the evidence names beside codes: each country's tier and reasons, each subheading's
    text (read only if one of ``findings``, when given, is a classification mismatch)."""
    tiers = destination_tiers(reference.destinations(engine)).to_dict("index")
    if findings is not None and not (findings["kind"] == "CLASSIFICATION_MISMATCH").any():
        return tiers, {}
    return tiers, reference.hs_nomenclature(engine).set_index("code")["description"].to_dict()


def _by_keys(rows: list[dict]) -> list[list[dict]]:
    """Rows grouped by their set of keys: a bulk update sets the same columns on every row."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())


def _values(row: dict, tiers: dict, hs: dict, versions: dict, *, decoded: bool = True) -> dict:
    """The stored columns of a finding, with its evidence written for an auditor (as its JSON
    text unless ``decoded``)."""
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
    text = _ENCODER.encode(evidence)
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
        "evidence": json.loads(text) if decoded else text,
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
