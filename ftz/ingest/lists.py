"""Loading reference lists (HS nomenclature, strategic correlation, destination risk, strategic
terms) as new versions: every row checked like an upload's, all or nothing."""

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, insert
from sqlmodel import Session

from ftz.audit import service as audit
from ftz.config import get_settings
from ftz.database import utcnow
from ftz.errors import InvalidInput
from ftz.ingest import blobs, parties_file
from ftz.ingest.list_specs import SHIPPED, SPECS
from ftz.ingest.pipeline import RowError, open_reader, validate_file
from ftz.ingest.schema import row_errors
from ftz.parties.models import DeniedParty
from ftz.reference.models import (
    ControlCorrelation,
    DestinationRisk,
    HsCode,
    ListKind,
    ReferenceVersion,
    StrategicTerm,
)
from ftz.reference.service import get_all_in_force
from reconciliation.parties import entry_hashes
from reconciliation.terms import words_of


@dataclass
class LoadReport:
    """A list load: the new version, or every row error (and then nothing stored)."""

    kind: str
    filename: str
    version: ReferenceVersion | None = None
    errors: list[RowError] = field(default_factory=list)


def load(engine: Engine, *, kind: str, path: Path, source: str, loaded_by: str) -> LoadReport:
    """Load a list file as a new version of ``kind``; on any invalid row store nothing."""
    kind = ListKind(kind)
    if not source.strip():
        raise InvalidInput("a reference list needs its source (--source)")
    settings = get_settings()
    blob = blobs.store_file(path, settings.data_dir, settings.upload_max_bytes)
    if kind == ListKind.PARTIES:  # three formats (contract section 7), read into one shape
        frame, errors = parties_file.read(blob.path, path.name)
    else:
        frame, errors = validate_file(SPECS[kind], open_reader(blob.path, SPECS[kind]))
    errors += _list_checks(kind, frame)
    order = {name: position for position, name in enumerate(SPECS[kind].names)}
    # by row, then in the order of the list's columns, as an upload's report is
    errors.sort(key=lambda e: (e.row, order.get(e.column, len(order))))
    report = LoadReport(kind, path.name, errors=errors)
    if report.errors:
        return report
    if frame.empty:
        raise InvalidInput(f"{path.name} has no rows: a list in force cannot be empty")
    with engine.begin() as conn:
        version_id = conn.execute(
            insert(ReferenceVersion)
            .values(
                kind=kind,
                source=source.strip()[:500],
                filename=path.name[:255],
                sha256=blob.sha256,
                rows=len(frame),
                loaded_by=loaded_by[:200],
                loaded_at=utcnow(),
            )
            .returning(ReferenceVersion.id)
        ).scalar_one()
        model, rows = _rows(kind, frame, version_id)
        conn.execute(insert(model), rows)
        audit.record(conn, actor=loaded_by, action="reference.loaded", subject=f"reference:{version_id}",
                     details={"kind": kind, "rows": len(frame), "sha256": blob.sha256, "source": source})  # fmt: skip
    with Session(engine) as session:
        report.version = session.get(ReferenceVersion, version_id)
    return report


def ensure_shipped(engine: Engine) -> list[ReferenceVersion]:
    """Load the lists ftz ships for every kind that has no version yet (a fresh database)."""
    loaded = []
    with Session(engine) as session:
        present = {v.kind for v in get_all_in_force(session)}
    for kind, (filename, source) in SHIPPED.items():
        if kind in present:
            continue
        path = get_settings().reference_dir / filename
        report = load(engine, kind=kind, path=path, source=source, loaded_by="ftz db upgrade")
        if report.errors:
            raise InvalidInput(f"the shipped list {filename} is invalid: {report.errors[0]}")
        loaded.append(report.version)
    return loaded


def _list_checks(kind: ListKind, frame: pd.DataFrame) -> list[RowError]:
    """Rules across rows and fields of one list: keys unique, HS codes of their level, terms
    that name something."""
    found: list[pd.DataFrame] = []
    if kind == ListKind.HS:
        level, code = frame["level"], frame["hscode"]
        known = level.notna() & code.notna()
        found.append(row_errors("level", known & ~level.isin([2, 4, 6, 8, 10]), "must be 2, 4, 6, 8 or 10"))
        found.append(
            row_errors(
                "hscode", known & (code.str.len() != level.astype("float")), "has not as many digits as its level"
            )
        )
        keys = ["hscode"]
    elif kind == ListKind.CONTROLS:
        keys = ["hs_code", "control_code"]
    elif kind == ListKind.PARTIES:
        if frame.empty or "entry_id" not in frame:
            return []
        keys = ["entry_id"]
    elif kind == ListKind.TERMS:
        # Terms are compared as the matcher reads them: "Thionyl-chloride" is "thionyl chloride".
        words = frame["term"].map(lambda term: " ".join(w for w, _, _ in words_of(term)), na_action="ignore")
        found.append(row_errors("term", words.eq("").fillna(False), "has no letter or digit: it names nothing"))
        frame = frame.assign(term=words.where(words != ""))
        keys = ["term", "hs_code", "control_code"]
    else:
        keys = ["country", "reason"]
    doubled = frame.duplicated(keys, keep="first") & frame[keys].notna().all(axis=1)
    found.append(row_errors(keys[0], doubled, "the same " + " and ".join(keys) + " as an earlier row"))
    errors = []
    for table in found:
        numbers = frame.loc[table["index"], "row_no"]
        errors += [RowError(int(n), c, m) for n, c, m in zip(numbers, table["column"], table["message"], strict=True)]
    return errors


def _rows(kind: ListKind, frame: pd.DataFrame, version_id: int) -> tuple[type, list[dict]]:
    if kind == ListKind.HS:
        out = pd.DataFrame(
            {"code": frame["hscode"], "level": frame["level"].astype(int), "description": frame["description"]}
        )
        out["section"] = frame["section"]
        model = HsCode
    elif kind == ListKind.CONTROLS:
        out = frame[["hs_code", "control_code", "regime", "strength", "description", "source"]].copy()
        out["source_date"] = frame["source_date"].dt.date
        model = ControlCorrelation
    elif kind == ListKind.TERMS:
        out = frame[["term", "hs_code", "control_code", "source"]].copy()
        model = StrategicTerm
    elif kind == ListKind.PARTIES:
        out = frame[["entry_id", "name", "aliases", "kind", "countries", "reference"]].copy()
        out["list_name"] = frame["list"]
        out["listed_on"] = pd.to_datetime(frame["listed_on"], format="%Y-%m-%d").dt.date
        out["content_hash"] = entry_hashes(out)
        model = DeniedParty
    else:
        out = frame[["country", "tier", "reason", "source"]].copy()
        out["source_date"] = frame["source_date"].dt.date
        model = DestinationRisk
    out["version_id"] = version_id
    records = out.astype("object").where(out.notna(), None).to_dict("records")
    return model, records
