"""Loading reference lists as new versions, and reading the versions in force."""

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, func, insert, select
from sqlmodel import Session

from ftz.audit import service as audit
from ftz.config import get_settings
from ftz.database import utcnow
from ftz.errors import InvalidInput
from ftz.ingest import blobs
from ftz.ingest.pipeline import RowError, open_reader, validate_file
from ftz.ingest.schema import row_errors
from ftz.reference.models import ControlCorrelation, DestinationRisk, HsCode, ListKind, ReferenceVersion
from ftz.reference.specs import SHIPPED, SPECS


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
    frame, errors = validate_file(SPECS[kind], open_reader(blob.path, SPECS[kind]))
    errors += _list_checks(kind, frame)
    report = LoadReport(kind, path.name, errors=sorted(errors, key=lambda e: e.row))
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


def get_all_in_force(session: Session) -> list[ReferenceVersion]:
    """The newest version of each kind of list."""
    newest = select(func.max(ReferenceVersion.id)).group_by(ReferenceVersion.kind)
    query = select(ReferenceVersion).where(ReferenceVersion.id.in_(newest)).order_by(ReferenceVersion.kind)
    return list(session.execute(query).scalars())


def get_all(session: Session, *, kind: str | None = None) -> list[ReferenceVersion]:
    """Every version, newest first."""
    query = select(ReferenceVersion).order_by(ReferenceVersion.id.desc())
    if kind:
        query = query.where(ReferenceVersion.kind == kind)
    return list(session.execute(query).scalars())


def version_in_force(engine: Engine, kind: str) -> int | None:
    """The id of the version of ``kind`` in force, or None when none was ever loaded."""
    with engine.connect() as conn:
        return conn.execute(select(func.max(ReferenceVersion.id)).where(ReferenceVersion.kind == kind)).scalar()


def hs_nomenclature(engine: Engine) -> pd.DataFrame:
    """The HS version in force: code, level, description (empty when none is loaded)."""
    version = version_in_force(engine, ListKind.HS)
    return _hs(engine.url.render_as_string(hide_password=False), version) if version else _EMPTY_HS


def controls(engine: Engine, *, version: int | None = None) -> pd.DataFrame:
    """The strategic correlation in force (or of another version), with its version id in every row."""
    return _frame(engine, ControlCorrelation, ListKind.CONTROLS, version)


def destinations(engine: Engine, *, version: int | None = None) -> pd.DataFrame:
    """The destination risk list in force (or of another version), with its version id in every row."""
    return _frame(engine, DestinationRisk, ListKind.DESTINATIONS, version)


def touched(engine: Engine, *, before: dict, after: dict) -> tuple[set[str], set[str]]:
    """What a change of list versions can change in a finding: the HS code prefixes whose
    control rows differ, and the countries whose destination risk differs. The HS nomenclature
    raises no finding: a new version of it touches nothing."""

    def differing(model, kind: str, columns: list[str]) -> set[str]:
        old, new = before.get(kind), after.get(kind)
        if old == new:
            return set()
        rows = [_frame(engine, model, kind, v)[columns] if v else pd.DataFrame(columns=columns) for v in (old, new)]
        sets = [set(frame.itertuples(index=False, name=None)) for frame in rows]
        return {row[0] for row in sets[0] ^ sets[1]}

    return (
        differing(ControlCorrelation, ListKind.CONTROLS, ["hs_code", "control_code", "strength"]),
        differing(DestinationRisk, ListKind.DESTINATIONS, ["country", "tier", "reason"]),
    )


_EMPTY_HS = pd.DataFrame({"code": pd.Series(dtype="str"), "level": [], "description": pd.Series(dtype="str")})


@lru_cache(maxsize=8)
def _hs(url: str, version: int) -> pd.DataFrame:
    # A version never changes once loaded, so it can be kept for the life of the process.
    from ftz.database import get_engine

    with get_engine(url).connect() as conn:
        rows = conn.execute(select(HsCode.code, HsCode.level, HsCode.description).where(HsCode.version_id == version))
        return pd.DataFrame(rows.fetchall(), columns=["code", "level", "description"])


def _frame(engine: Engine, model, kind: str, version: int | None = None) -> pd.DataFrame:
    version = version or version_in_force(engine, kind)
    columns = [c for c in model.__table__.columns if c.name != "id"]
    with engine.connect() as conn:
        rows = conn.execute(select(*columns).where(model.version_id == version)).fetchall()
    return pd.DataFrame(rows, columns=[c.name for c in columns])


def _list_checks(kind: ListKind, frame: pd.DataFrame) -> list[RowError]:
    """Rules across rows and fields of one list: keys unique, HS codes of their level."""
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
    else:
        out = frame[["country", "tier", "reason", "source"]].copy()
        out["source_date"] = frame["source_date"].dt.date
        model = DestinationRisk
    out["version_id"] = version_id
    records = out.astype("object").where(out.notna(), None).to_dict("records")
    return model, records
