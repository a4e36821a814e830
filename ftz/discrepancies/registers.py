"""What a run reads besides the ledger and the reference lists: the licence register, the holds,
the operators' AEO certificates and the zones' time zones; and how an incremental run knows
which of them, or of the strategic terms a description may name, changed since the previous run.

Licences are only ever added (a new version is a new row) and holds are placed once and
released once, so the previous run's ``seen`` marker keeps, like it does for uploads, the
highest id of each with the ids missing below it (inserts still in flight), and for holds the
ids that were not yet released. A hold added or released since, a licence version added since,
or an operator whose AEO certificate differs from the marker's, is a change.
"""

import pandas as pd
from sqlalchemy import Engine, bindparam, text

from ftz.database import ids_in
from ftz.ledger.scope import of_descriptions, of_registers
from ftz.reference import service as reference
from reconciliation.terms import find_terms

_GAPS = 10_000  # missing ids kept per table, as for uploads


def licences(engine: Engine) -> pd.DataFrame:
    """Every version of every licence (the engine takes the highest, in force for removals of
    any date: a run as of a past moment too), quantities in millionths: the whole register
    whatever the run's scope (a licence's holder is judged across zones)."""
    query = (
        "SELECT licence_ref, version, status, holder_id, issued_at, valid_until, control_codes, "
        "destination_countries, quantity, unit, end_user FROM licence"
    )
    with engine.connect() as conn:
        frame = pd.read_sql(text(query), conn)
    frame["quantity"] = pd.array(frame["quantity"], dtype="Int64")
    return frame


def holds(
    engine: Engine,
    *,
    zone_id: int | None = None,
    lots: pd.DataFrame | None = None,
    as_of: pd.Timestamp | None = None,
    operators: tuple[int, ...] | None = None,
) -> pd.DataFrame:
    """The holds (of a zone's operators, of ``operators``, of a scope's lots), as the engine reads
    them. As of a past moment, like the ledger's records, by their own times, not by when they
    were entered: holds started by then, a release after it not yet made."""
    where = ["o.zone_id = :zone"] if zone_id is not None else []
    if operators is not None:
        where.append(ids_in("h.operator_id", operators))
    query = (
        "SELECT h.id AS hold_id, h.operator_id, h.lot_ref, h.starts_at, h.released_at, h.placed_by "
        "FROM hold h JOIN operator o ON o.id = h.operator_id" + (f" WHERE {' AND '.join(where)}" if where else "")
    )
    with engine.connect() as conn:
        frame = pd.read_sql(text(query), conn, params={"zone": zone_id})
    for column in ("starts_at", "released_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    if as_of is not None:
        frame = frame[frame["starts_at"] <= as_of]
        frame = frame.assign(released_at=frame["released_at"].where(frame["released_at"] <= as_of))
    if lots is not None:
        frame = frame.merge(lots[["operator_id", "lot_ref"]], on=["operator_id", "lot_ref"])
    return frame.reset_index(drop=True)


def operators(engine: Engine) -> pd.DataFrame:
    """Every operator's id, code, name (screened for denied parties) and AEO certificate (null when it holds none)."""
    with engine.connect() as conn:
        return pd.read_sql(text("SELECT id AS operator_id, code, aeo, name FROM operator"), conn)


def zones(engine: Engine) -> pd.DataFrame:
    """Every zone's id, country and time zone (licence dates are days of the zone's local time)."""
    with engine.connect() as conn:
        return pd.read_sql(text("SELECT id AS zone_id, code, country, timezone FROM zone"), conn)


def marker(engine: Engine) -> dict:
    """What of the registers a run can see, for the next run to tell what changed since."""
    with engine.connect() as conn:
        out = {name: seen_ids(conn, table) for name, table in (("holds", "hold"), ("licences", "licence"))}
        out["holds"]["open"] = sorted(conn.execute(text("SELECT id FROM hold WHERE released_at IS NULL")).scalars())
        aeo = conn.execute(text("SELECT id, aeo FROM operator WHERE aeo IS NOT NULL")).all()
    out["aeo"] = {str(operator_id): cert for operator_id, cert in aeo}
    return out


def changed(engine: Engine, seen: dict) -> tuple[pd.DataFrame, set[str]]:
    """The scope the registers' changes since ``seen`` (a previous run's marker) touch. A marker
    from before the registers existed reads as empty registers."""
    empty = {"max": 0, "gaps": [], "open": []}
    with engine.connect() as conn:
        new_holds = new_ids(conn, "hold", seen.get("holds", empty))
        was_open = sorted(seen.get("holds", empty).get("open", []))
        released = set(_of_ids(conn, "SELECT id FROM hold WHERE released_at IS NOT NULL AND id IN :ids", was_open))
        held = _of_ids(conn, "SELECT operator_id, lot_ref FROM hold WHERE id IN :ids", sorted(new_holds | released))
        lots = {(int(o), lot) for o, lot in held}
        before = seen.get("licences", empty)
        new_licences = sorted(new_ids(conn, "licence", before))
        refs = set(_of_ids(conn, "SELECT licence_ref FROM licence WHERE id IN :ids", new_licences))
        aeo = {str(o): cert for o, cert in conn.execute(text("SELECT id, aeo FROM operator WHERE aeo IS NOT NULL"))}
    was = seen.get("aeo", {})
    operators = {int(o) for o in set(was) | set(aeo) if was.get(o) != aeo.get(o)}
    first_licence = bool(refs) and before["max"] == 0 and not before["gaps"]
    if not (lots or refs or operators):
        return _nothing()
    return of_registers(engine, lots=lots, licence_refs=refs, any_licence=first_licence, operators=operators)


def _nothing() -> tuple[pd.DataFrame, set[str]]:
    """A scope of no lot and no declaration."""
    return pd.DataFrame(columns=["operator_id", "lot_ref"]).astype({"operator_id": "int64"}), set()


def _of_ids(conn, query: str, ids: list[int]) -> list:
    """The rows of ``query`` (whose ``:ids`` is a list) for ``ids``, a thousand at a time."""
    statement = text(query).bindparams(bindparam("ids", expanding=True))
    rows = []
    for start in range(0, len(ids), 1_000):
        rows += conn.execute(statement, {"ids": ids[start : start + 1_000]}).all()
    return [row if len(row) > 1 else row[0] for row in rows]


def seen_ids(conn, table: str) -> dict:
    """A marker of the rows of ``table`` a run can see: the highest id, and the missing ones
    below it (rows of transactions still in flight, or rolled back for good)."""
    low, top, count = conn.execute(text(f"SELECT min(id), max(id), count(*) FROM {table}")).one()
    if count == 0 or (low >= 1 and count == top):  # every id from 1 up: no gap, no need to read them
        return {"max": top or 0, "gaps": []}
    ids = set(conn.execute(text(f"SELECT id FROM {table}")).scalars())
    top = max(ids, default=0)
    return {"max": top, "gaps": sorted(set(range(1, top + 1)) - ids)[-_GAPS:]}


def new_ids(conn, table: str, seen: dict) -> set[int]:
    """The ids of ``table`` above the marker's top, and those missing below it then."""
    gaps = seen.get("gaps", [])
    low = min(gaps, default=seen.get("max", 0) + 1)
    ids = set(conn.execute(text(f"SELECT id FROM {table} WHERE id >= :low"), {"low": low}).scalars())
    return {i for i in ids if i > seen.get("max", 0)} | (ids & set(gaps))


def descriptions_changed(
    engine: Engine, *, before: dict, after: dict, prefixes: set[str]
) -> tuple[pd.DataFrame, set[str]]:
    """The scope whose descriptions name a term a change of lists can change: a term one terms
    version holds and the other not, or a term pointing to goods whose controls rows changed
    (``prefixes``: a term counts only while its HS code is CONTROLLED)."""
    terms = reference.terms_touched(engine, before=before, after=after)
    if prefixes:
        current = reference.terms_in_force(engine)
        codes = current["hs_code"].astype(str)
        related = codes.map(lambda code: any(code.startswith(p) or p.startswith(code) for p in prefixes))
        terms = pd.concat([terms, current[related]], ignore_index=True)
    if terms.empty:
        return _nothing()
    return of_descriptions(engine, named=lambda texts: _names(texts, terms))


def _names(texts: pd.Series, terms: pd.DataFrame) -> pd.Series:
    """Whether each text names one of ``terms`` (as the concealment rule reads them), by text."""
    found = find_terms(texts.reset_index(drop=True), terms.reset_index(drop=True))
    hit = pd.Series(False, index=range(len(texts)))
    hit[found["index"].unique()] = True
    return pd.Series(hit.to_numpy(), index=texts.to_numpy())
