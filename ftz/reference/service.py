"""Reading the reference lists in force (loading them is ``ftz.ingest.lists``)."""

from functools import lru_cache

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from ftz.reference.models import (
    ControlCorrelation,
    DestinationRisk,
    HsCode,
    ListKind,
    ReferenceVersion,
    StrategicTerm,
)

TERM_COLUMNS = ["term", "hs_code", "control_code"]


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


def terms_in_force(engine: Engine, *, version: int | None = None) -> pd.DataFrame:
    """The strategic terms in force (or of another version): term, hs_code, control_code; empty when none is loaded."""
    version = version or version_in_force(engine, ListKind.TERMS)
    if version is None:
        return _no_terms()
    return _frame(engine, StrategicTerm, ListKind.TERMS, version)[TERM_COLUMNS]


def terms_touched(engine: Engine, *, before: dict, after: dict) -> pd.DataFrame:
    """The terms (term, hs_code, control_code) that one of two versions of the terms list holds
    and the other does not: the descriptions naming them are those a new version can change."""
    old, new = before.get(ListKind.TERMS), after.get(ListKind.TERMS)
    if old == new:
        return _no_terms()
    frames = [terms_in_force(engine, version=v) if v else _no_terms() for v in (old, new)]
    return pd.concat(frames, ignore_index=True).drop_duplicates(keep=False, ignore_index=True)


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


def _no_terms() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype="str") for column in TERM_COLUMNS})


def _frame(engine: Engine, model, kind: str, version: int | None = None) -> pd.DataFrame:
    version = version or version_in_force(engine, kind)
    columns = [c for c in model.__table__.columns if c.name != "id"]
    with engine.connect() as conn:
        # in the list's own order: the database's order of an unsorted read may change between
        # two reads, and with it the order in which a country's reasons are joined in evidence
        rows = conn.execute(select(*columns).where(model.version_id == version).order_by(model.id)).fetchall()
    return pd.DataFrame(rows, columns=[c.name for c in columns])
