"""The denied-party list in force, screening a name against it, and what a run re-screens."""

from functools import lru_cache

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select, text

from ftz.auth.scope import Caller, Permission
from ftz.config import get_settings
from ftz.errors import InvalidInput
from ftz.ledger.scope import of_registers
from ftz.parties.models import DeniedParty
from ftz.reference.models import ListKind, ReferenceVersion
from ftz.reference.service import version_in_force
from reconciliation import parties as matching

COLUMNS = [*matching.PARTY_COLUMNS, "content_hash"]
_LOWEST = 50  # the lowest ``parties_threshold`` a zone may set (ftz.config)
MAX_QUERY = 500  # characters of a searched name: past that it is refused, not screened


def get_all(engine: Engine, *, version: int | None = None) -> pd.DataFrame:
    """The entries of the parties list in force (or of another version); empty when none is loaded."""
    version = version or version_in_force(engine, ListKind.PARTIES)
    if version is None:
        return pd.DataFrame(columns=COLUMNS)
    return _entries(*_key(engine, version)).copy()


def threshold(zone_code: str | None) -> float:
    """The name similarity threshold of a zone (its ``parties_threshold``, else the default)."""
    zone = get_settings().zone(zone_code or "")
    return matching.THRESHOLD if zone.parties_threshold is None else zone.parties_threshold


def screen(engine: Engine, *, caller: Caller, name: str, zone_code: str | None = None, limit: int = 50) -> dict:
    """The entries of the list in force that ``name`` matches, best first, with what matched
    (customs' own work: never shown to an operator)."""
    caller.require(Permission.REVIEW)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name: give a name to screen")
    if len(name) > MAX_QUERY:
        raise InvalidInput(f"name: at most {MAX_QUERY} characters ({len(name):,} given)")
    version = version_in_force(engine, ListKind.PARTIES)
    entries = get_all(engine, version=version)
    result = {"name": name, "normalised": matching.normalise(name), "list_version": version, "matches": []}
    if entries.empty:
        return result
    built = _index(*_key(engine, version))
    hits = matching.screen(pd.Series([name]), entries, threshold=threshold(zone_code), built=built)
    hits = hits.sort_values(["score", "entry"], ascending=[False, True]).head(limit)
    for hit in hits.to_dict("records"):
        entry = entries.iloc[int(hit["entry"])]
        result["matches"].append(
            {
                "score": int(hit["score"]),
                "matched": hit["matched"],
                "matched_words": hit["matched_words"],
                "entry": _entry(entry),
            }
        )
    return result


def _entry(entry: pd.Series) -> dict:
    """An entry as the API and the page show it."""
    out = {name: _text(entry[name]) for name in ("entry_id", "name", "aliases", "kind", "countries", "reference")}
    return out | {"list": _text(entry["list_name"]), "listed_on": _text(entry["listed_on"])}


def names_scope(engine: Engine, lots: pd.DataFrame, declarations: set[str]) -> tuple[pd.DataFrame, set[str]]:
    """What an incremental run must add to its scope for DENIED_PARTY: the lot and declaration
    of every open finding of the scope's operators (a finding follows its name's latest record,
    which may lie outside the scope: seen again, it must be the same finding), and every lot and
    declaration whose records carry a name (as matching reads it) that a record of the scope
    carries for the same operator (a finding lists every record of its name)."""
    operators = set(lots["operator_id"].astype(int))
    if not operators:
        return lots.iloc[:0], set()
    keys = set(zip(lots["operator_id"].astype(int), lots["lot_ref"], strict=True))
    held_lots, held_declarations = _open_findings(engine, operators)
    keys, declarations = keys | held_lots, declarations | held_declarations
    if version_in_force(engine, ListKind.PARTIES) is None and not held_lots and not held_declarations:
        return lots.iloc[:0], set()  # no list, no finding: no name ties lots together
    records = _named_records(engine, operators)
    records["words"] = records["name"].map(matching.normalise)
    records = records[records["words"] != ""]
    triples = zip(records["operator_id"], records["lot_ref"], records["ref"], strict=True)
    inside = np.array([(o, lot) in keys or ref in declarations for o, lot, ref in triples], dtype=bool)
    wanted = set(zip(records.loc[inside, "operator_id"], records.loc[inside, "words"], strict=True))
    wanted = {(o, w) for o, w in wanted if w in _listed(engine, {w for _, w in wanted})}
    pairs = zip(records["operator_id"], records["words"], strict=True)
    tied = records.loc[np.array([(o, w) in wanted for o, w in pairs], dtype=bool)]
    extra_lots = held_lots | {
        (int(o), lot) for o, lot in zip(tied["operator_id"], tied["lot_ref"], strict=True) if isinstance(lot, str)
    }
    extra_declarations = held_declarations | set(tied.loc[tied["lot_ref"].isna(), "ref"].dropna())
    if not extra_lots and not extra_declarations:
        return lots.iloc[:0], set()
    found, tied_declarations = of_registers(engine, lots=extra_lots)
    return found, tied_declarations | extra_declarations


def _listed(engine: Engine, names: set[str]) -> set[str]:
    """Which of ``names`` (as matching reads them) match an entry of the list in force: only
    their records tie lots together (with no list loaded, none do)."""
    version = version_in_force(engine, ListKind.PARTIES)
    if version is None or not names:
        return set()
    frame = pd.Series(sorted(names))
    # the lowest threshold a zone may set: a superset of what any zone's run matches
    built = _index(*_key(engine, version))
    hits = matching.screen(frame, get_all(engine, version=version), threshold=_LOWEST, built=built)
    return set(frame.loc[hits["index"].unique()])


def _open_findings(engine: Engine, operators: set[int]) -> tuple[set[tuple[int, str]], set[str]]:
    """The lots and declarations of the operators' DENIED_PARTY findings not closed."""
    ids = ",".join(str(int(o)) for o in sorted(operators))  # integers only: safe to inline
    query = (
        "SELECT operator_id, lot_ref, customs_ref FROM discrepancy WHERE kind = 'DENIED_PARTY' "
        f"AND status != 'CLOSED' AND operator_id IN ({ids})"
    )
    with engine.connect() as conn:
        rows = conn.execute(text(query)).all()
    return {(int(o), lot) for o, lot, _ in rows if lot}, {ref for _, _, ref in rows if ref}


def _named_records(engine: Engine, operators: set[int]) -> pd.DataFrame:
    """The operators' records that carry a screened name: operator_id, lot_ref, ref, name."""
    if not operators:
        return pd.DataFrame(columns=["operator_id", "lot_ref", "ref", "name"])
    ids = ",".join(str(int(o)) for o in sorted(operators))  # integers only: safe to inline
    query = (
        f"SELECT operator_id, lot_ref, customs_ref AS ref, counterparty AS name FROM movement "
        f"WHERE counterparty IS NOT NULL AND operator_id IN ({ids}) "
        f"UNION ALL SELECT operator_id, lot_ref, declaration_ref, consignor FROM customs_entry "
        f"WHERE consignor IS NOT NULL AND operator_id IN ({ids}) "
        f"UNION ALL SELECT operator_id, lot_ref, declaration_ref, consignee FROM customs_entry "
        f"WHERE consignee IS NOT NULL AND operator_id IN ({ids})"
    )
    with engine.connect() as conn:
        return pd.read_sql(text(query), conn)


def warm(engine: Engine) -> None:
    """Build the matching index of the list in force ahead of the first search (about a second
    for 30,000 entries), so that no auditor waits for it."""
    version = version_in_force(engine, ListKind.PARTIES)
    if version is not None:
        _index(*_key(engine, version))


def _key(engine: Engine, version: int) -> tuple[str, int, str]:
    """What names a loaded version for the caches: database, id and file hash (ids of a
    database emptied and loaded again may come back with another list)."""
    with engine.connect() as conn:
        digest = conn.execute(select(ReferenceVersion.sha256).where(ReferenceVersion.id == version)).scalar()
    return engine.url.render_as_string(hide_password=False), version, digest or ""


@lru_cache(maxsize=4)
def _entries(url: str, version: int, digest: str) -> pd.DataFrame:
    # A version never changes once loaded, so it can be kept for the life of the process.
    from ftz.database import get_engine

    columns = [getattr(DeniedParty, c) for c in COLUMNS]
    with get_engine(url).connect() as conn:
        rows = conn.execute(select(*columns).where(DeniedParty.version_id == version).order_by(DeniedParty.id))
        frame = pd.DataFrame(rows.fetchall(), columns=COLUMNS)
    frame["listed_on"] = frame["listed_on"].map(lambda d: d.isoformat() if d is not None else None)
    return frame


@lru_cache(maxsize=2)
def _index(url: str, version: int, digest: str) -> matching.Index:
    """The list's matching index, built once per version (the page's searches reuse it)."""
    return matching.index(_entries(url, version, digest))


def _text(value) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
