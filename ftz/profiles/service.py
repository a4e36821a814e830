"""Risk profiles: loading a new version of the set in force, and reading it (the backtest, which
runs the engine, is ``ftz.discrepancies.backtest``)."""

import hashlib
import json
from collections import Counter

from sqlalchemy import Engine, bindparam, func, select, text
from sqlmodel import Session

from ftz.audit import service as audit
from ftz.auth.scope import Caller, Permission
from ftz.profiles.models import ProfileVersion
from ftz.profiles.schemas import parse
from reconciliation.profiles import KIND


def create(session: Session, *, caller: Caller, text: str | bytes, filename: str) -> ProfileVersion:
    """Load a profile file as the new version in force, all or nothing (``ProfileFileError``
    naming every problem by profile and field); audited."""
    caller.require(Permission.ADMINISTER)
    profiles = parse(text)
    raw = text.decode() if isinstance(text, bytes) else text
    latest = session.execute(select(func.max(ProfileVersion.version))).scalar_one_or_none() or 0
    version = ProfileVersion(
        version=latest + 1, filename=filename[:255], sha256=hashlib.sha256(raw.encode()).hexdigest(),
        loaded_by=caller.name, profiles=[p.plain() | {"version": latest + 1} for p in profiles], source=raw,
    )  # fmt: skip
    session.add(version)
    session.flush()
    audit.record(session, actor=caller.name, action="profiles.loaded", subject=f"profiles:{version.version}",
                 details={"filename": filename, "sha256": version.sha256,
                          "codes": [p.code for p in profiles]})  # fmt: skip
    return version


def get(session: Session, *, caller: Caller) -> ProfileVersion | None:
    """The version in force (the latest loaded), or None before any load."""
    caller.require(Permission.REVIEW)
    return session.execute(select(ProfileVersion).order_by(ProfileVersion.version.desc()).limit(1)).scalar_one_or_none()


def get_all(session: Session, *, caller: Caller) -> list[ProfileVersion]:
    """Every version loaded, newest first, with who loaded it."""
    caller.require(Permission.REVIEW)
    return list(session.execute(select(ProfileVersion).order_by(ProfileVersion.version.desc())).scalars())


def in_force(engine: Engine) -> tuple[int | None, list[dict]]:
    """The version in force and its profiles as the engine reads them (none before any load)."""
    with Session(engine) as session:
        latest = session.execute(
            select(ProfileVersion.version, ProfileVersion.profiles).order_by(ProfileVersion.version.desc()).limit(1)
        ).first()
    return (latest[0], list(latest[1])) if latest else (None, [])


def version_in_force(engine: Engine) -> int | None:
    """The number of the version in force, for an incremental run to tell that it changed."""
    with engine.connect() as conn:
        return conn.execute(select(func.max(ProfileVersion.__table__.c.version))).scalar_one_or_none()


def hit_counts(session: Session, *, caller: Caller) -> dict[str, int]:
    """Per profile code, the RISK_PROFILE_HIT findings not closed (of the caller's zones). Read by
    table name: the findings belong to the runs, a layer above the profiles."""
    caller.require(Permission.REVIEW)
    query = "SELECT evidence FROM discrepancy WHERE kind = :kind AND status <> 'CLOSED'"
    params: dict = {"kind": KIND}
    if not caller.sees_everything:
        query += " AND zone_id IN :zones"
        params["zones"] = sorted(caller.zone_ids or ()) or [-1]
    statement = text(query).bindparams(bindparam("zones", expanding=True)) if "zones" in params else text(query)
    evidence = session.execute(statement, params).scalars()
    return dict(Counter(_code(e) for e in evidence))


def _code(evidence) -> str | None:
    data = json.loads(evidence) if isinstance(evidence, str) else evidence or {}
    return (data.get("profile") or {}).get("code")
