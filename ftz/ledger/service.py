"""Reading the ledger: movements as they stand after corrections, and lots' book balances."""

import logging
from collections.abc import Iterable
from datetime import datetime

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, bindparam, text

from ftz import arrow
from ftz.database import from_millionths, ids_in, of_marker
from ftz.ledger import snapshot
from ftz.ledger.scope import family, lookups_pay
from ftz.ledger.snapshot import Snapshot
from ftz.reference import service as reference
from ftz.reference.models import ListKind
from reconciliation.engine import lot_status
from reconciliation.ledger import book_balances, current, current_entries

log = logging.getLogger("ftz.runs")

_COLUMNS = (
    "m.id, m.operator_id, {zone}m.movement_ref, m.movement_type, m.occurred_at, m.lot_ref, m.hs_code, "
    "m.quantity, m.unit, m.customs_ref, m.destination_country, m.intended_destination, m.removal_kind, "
    "m.control_code, m.process_ref, m.corrects_ref, m.recorded_at, m.upload_id, m.description, m.counterparty, "
    "m.previous_ref"
)
_MOVEMENT_COLUMNS = _COLUMNS.format(zone="o.zone_id, ")
_INTEGERS = ("id", "operator_id", "zone_id", "quantity", "item_no", "version", "upload_id")
_TIMES = ("occurred_at", "recorded_at", "lodged_at")
_ENTRY_COLUMNS = (
    "id, declaration_ref, item_no, version, direction, procedure, status, lodged_at, zone_id, operator_id, "
    "lot_ref, hs_code, quantity, unit, destination_country, intended_destination, control_code, upload_id, "
    "description, licence_ref, consignor, consignee, origin_country, destination_zone, previous_ref"
)


# each table's rows as the copy of the ledger keeps them (no zone: an operator's zone is read
# at each run), to which a read adds its conditions
_ROWS = {
    "movement": f"SELECT {_COLUMNS.format(zone='')} FROM movement m",
    "customs_entry": f"SELECT {_ENTRY_COLUMNS} FROM customs_entry c",
}
_UPLOAD = {"movement": "m.upload_id", "customs_entry": "c.upload_id"}
_OPERATOR = {"movement": "m.operator_id", "customs_entry": "c.operator_id"}

SCOPE_LOTS = "ftz_scope_lot"
SCOPE_DECLARATIONS = "ftz_scope_declaration"


def movements_frame(
    engine: Engine,
    *,
    operator_id: int | None = None,
    zone_id: int | None = None,
    operators: Iterable[int] | None = None,
    scope: tuple | None = None,
    bulk: bool = False,
    uploads: dict | None = None,
    copy: Snapshot | None = None,
) -> pd.DataFrame:
    """Stored movements as the engine reads them (quantities in millionths): all, one zone's,
    one operator's, those of ``operators``, or those of a ``scope`` of lots (operator_id, lot_ref)
    and declarations; with ``uploads`` (a run's marker: highest id and gaps), only those of the
    uploads it names. The filters are the database's work, not pandas'. ``bulk``: a large read.
    With ``copy`` (a snapshot of the marker's uploads), ``operators``' rows are read from it."""
    rows = snapshot.rows(copy, "movement", operators) if copy is not None and operators is not None else None
    if rows is not None:
        with engine.connect() as conn:  # a few rows: the pool's connection, not a new Arrow driver connection
            ids, zone_ids = zip(*conn.execute(text("SELECT id, zone_id FROM operator")).all(), strict=True)
        zone = pc.take(pa.array(zone_ids, pa.int64()), pc.index_in(rows["operator_id"], pa.array(ids, pa.int64())))
        rows = rows.add_column(rows.schema.get_field_index("operator_id") + 1, "zone_id", zone)
        return arrow.frame(arrow.sorted_by(rows, "id"))
    conditions = _filters({"m.operator_id": operator_id, "o.zone_id": zone_id}, operators, "m.operator_id")
    conditions = _of_uploads(conditions, uploads, "m.upload_id")
    join = f"JOIN {SCOPE_LOTS} s ON s.operator_id = m.operator_id AND s.lot_ref = m.lot_ref" if scope else ""
    query = f"SELECT {_MOVEMENT_COLUMNS} FROM movement m JOIN operator o ON o.id = m.operator_id {join} {conditions}"
    return arrow.read(
        engine, query, integers=_INTEGERS, times=_TIMES, tables=_scope_tables(scope), order_by="id", bulk=bulk,
        lookups=_lookups(engine, scope),
    )  # fmt: skip


def customs_frame(
    engine: Engine,
    *,
    current_only: bool = True,
    zone_id: int | None = None,
    operator_id: int | None = None,
    operators: Iterable[int] | None = None,
    declarations: Iterable[str] | None = None,
    scope: tuple | None = None,
    bulk: bool = False,
    uploads: dict | None = None,
    copy: Snapshot | None = None,
) -> pd.DataFrame:
    """Customs items (by default only those in force; of one zone or operator, of ``operators``,
    of some declarations, or with ``scope`` only its declarations and lots) with quantities in
    millionths; with ``uploads``, only those of the uploads it names. ``bulk``: a large read.
    With ``copy`` (a snapshot of the marker's uploads), ``operators``' rows are read from it."""
    rows = snapshot.rows(copy, "customs_entry", operators) if copy is not None and operators is not None else None
    if rows is not None:
        frame = arrow.frame(arrow.sorted_by(rows, "id"))
        return current_entries(frame) if current_only else frame
    conditions = _filters({"c.zone_id": zone_id, "c.operator_id": operator_id}, operators, "c.operator_id")
    conditions = _of_uploads(conditions, uploads, "c.upload_id")
    if declarations is not None:
        scope = (pd.DataFrame({"operator_id": [], "lot_ref": []}), set(declarations))
        conditions += (" AND " if conditions else "WHERE ") + (
            f"c.declaration_ref IN (SELECT declaration_ref FROM {SCOPE_DECLARATIONS})"
        )
    elif scope:
        # two indexed lookups, not one OR that would scan every item
        conditions += (" AND " if conditions else "WHERE ") + (
            f"c.id IN (SELECT e.id FROM {SCOPE_DECLARATIONS} d JOIN customs_entry e "
            f"ON e.declaration_ref = d.declaration_ref UNION SELECT e.id FROM {SCOPE_LOTS} s JOIN customs_entry e "
            "ON e.operator_id = s.operator_id AND e.lot_ref = s.lot_ref)"
        )
    query = f"SELECT {_ENTRY_COLUMNS} FROM customs_entry c {conditions}"
    frame = arrow.read(
        engine, query, integers=_INTEGERS, times=_TIMES, tables=_scope_tables(scope), order_by="id", bulk=bulk,
        lookups=_lookups(engine, scope),
    )  # fmt: skip
    return current_entries(frame) if current_only else frame


def _filters(values: dict[str, int | None], operators: Iterable[int] | None, column: str) -> str:
    """A WHERE clause of equalities for the ids given (None: no condition), and ``column`` among
    ``operators`` if given. Ids are written into the query as integers, never as text."""
    clauses = [f"{name} = {int(value)}" for name, value in values.items() if value is not None]
    if operators is not None:
        clauses.append(ids_in(column, operators))
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


def _of_uploads(conditions: str, uploads: dict | None, column: str) -> str:
    """``conditions`` and, given a run's marker of uploads, ``column`` among those it names:
    a run whose partitions are read one after another reads the same ledger in each."""
    if uploads is None:
        return conditions
    return (f"{conditions} AND " if conditions else "WHERE ") + of_marker(column, uploads)


def _lookups(engine: Engine, scope: tuple | None) -> bool:
    """Whether a scope's rows are best looked up key by key along the indexes (``lookups_pay``)."""
    if not scope or engine.dialect.name != "postgresql":
        return False
    with engine.connect() as conn:
        return lookups_pay(conn, len(scope[0]) + len(scope[1]))


def _scope_tables(scope: tuple | None) -> dict[str, pa.Table]:
    """A scope's lots and declarations as temporary tables for the reads to join."""
    if not scope:
        return {}
    lots, declarations = scope
    return {
        SCOPE_LOTS: pa.table(
            {
                "operator_id": pa.array(lots["operator_id"].astype("int64"), pa.int64()),
                "lot_ref": pa.array(lots["lot_ref"].astype("object"), pa.string()),
            }
        ),
        SCOPE_DECLARATIONS: pa.table({"declaration_ref": pa.array(sorted(declarations), pa.string())}),
    }


def ledger_copy(
    engine: Engine, *, uploads: dict, chunks: list[tuple[int, ...]], ties: set[tuple[int, int]] | None = None
) -> Snapshot:
    """A snapshot of the ledger holding exactly the uploads of a run's marker: the copy kept
    if it holds them already, else a new one made of the copy's rows and those of the uploads
    since, read from the database a chunk of operators at a time (``chunks``: every operator,
    in groups small enough to hold at once). A new copy keeps the operator ``ties`` of its rows."""
    wanted = snapshot.fingerprints(engine, uploads)
    kept = snapshot.load(engine, wanted)
    if kept is not None and not snapshot.intact(kept):
        log.error("the ledger's copy %s was changed or lost since it was written: made again", kept.name)
        kept = None
    if kept is not None and kept.uploads == set(wanted):
        return kept
    since = sorted(set(wanted) - kept.uploads) if kept is not None else None

    def parts():
        for chunk in chunks:
            part = {}
            for table in snapshot.TABLES:
                new = _rows(engine, table, chunk, uploads, since)
                old = snapshot.rows(kept, table, chunk) if kept is not None else None
                part[table] = pa.concat_tables([old.cast(new.schema), new]) if old is not None else new
            yield part

    return snapshot.write(engine, wanted, parts(), ties=ties)


def kept_copy(engine: Engine, *, uploads: dict) -> tuple[Snapshot, list[int]] | None:
    """The ledger's copy a run with this marker of ``uploads`` can build on (its description
    genuine, each upload it holds still in the database), and the marker's uploads it lacks."""
    kept = snapshot.load(engine, wanted := snapshot.fingerprints(engine, uploads))
    return None if kept is None else (kept, sorted(set(wanted) - kept.uploads))


def _rows(engine: Engine, table: str, operators: tuple[int, ...], uploads: dict, since: list[int] | None) -> pa.Table:
    """``table``'s rows of ``operators`` in the uploads of a marker, or only in those ``since``."""
    conditions = _of_uploads(_filters({}, operators, _OPERATOR[table]), uploads, _UPLOAD[table])
    if since is not None:
        conditions += f" AND {ids_in(_UPLOAD[table], since)}"
    return arrow.read_table(engine, f"{_ROWS[table]} {conditions}", integers=_INTEGERS, times=_TIMES,
                            bulk=since is None)  # fmt: skip


def lot_keys(
    engine: Engine, *, operator_ids: list[int], after: tuple[int, str] | None = None, limit: int = 500
) -> list[tuple[int, str]]:
    """The next ``limit`` lots of the given operators after ``after``, in (operator, lot) order:
    a page's keys, read along the (operator, lot) index."""
    if not operator_ids:
        return []
    query = "SELECT DISTINCT operator_id, lot_ref FROM movement WHERE operator_id IN :operators"
    params: dict = {"operators": list(operator_ids), "limit": limit}
    if after is not None:
        query += " AND (operator_id > :o OR (operator_id = :o AND lot_ref > :l))"
        params |= {"o": after[0], "l": after[1]}
    statement = text(query + " ORDER BY operator_id, lot_ref LIMIT :limit").bindparams(
        bindparam("operators", expanding=True)
    )
    with engine.connect() as conn:
        return [(int(o), lot) for o, lot in conn.execute(statement, params)]


def get_lot_balances(
    engine: Engine,
    *,
    operator_id: int | None = None,
    lot_ref: str | None = None,
    lots: list[tuple[int, str]] | None = None,
    as_of: datetime | None = None,
) -> pd.DataFrame:
    """Each lot's book balance (a Decimal in the lot's unit) at ``as_of`` (default: now), with
    its HS code and description, and its strategic status with the basis and list version:
    every lot, one operator's, or given lots (reading only the lots and declarations tied to them)."""
    if lot_ref is not None and operator_id is not None:
        lots = [(operator_id, lot_ref)]
    if lots is not None:
        scope = family(engine, lots=lots)
        moves = movements_frame(engine, scope=scope)
        entries = customs_frame(engine, current_only=False, scope=scope)
    else:
        moves = movements_frame(engine, operator_id=operator_id)
        entries = customs_frame(engine, current_only=False, operator_id=operator_id)
    balances = book_balances(current(moves), pd.Timestamp(as_of) if as_of else None)
    if lots is not None:
        wanted = pd.MultiIndex.from_tuples(lots, names=["operator_id", "lot_ref"])
        balances = balances[pd.MultiIndex.from_frame(balances[["operator_id", "lot_ref"]]).isin(wanted)]
    balances["balance"] = [from_millionths(v) for v in balances["balance"]]
    first = current(moves).sort_values(["occurred_at", "id"]).drop_duplicates(["operator_id", "lot_ref"])
    balances = balances.merge(first[["operator_id", "lot_ref", "hs_code"]], on=["operator_id", "lot_ref"], how="left")
    hs = reference.hs_nomenclature(engine)
    balances["hs_description"] = balances["hs_code"].str.slice(0, 6).map(hs.set_index("code")["description"]).fillna("")
    status = lot_status(moves, entries, reference.controls(engine))
    status["controls_version"] = reference.version_in_force(engine, ListKind.CONTROLS)
    return balances.merge(status, on=["operator_id", "lot_ref"], how="left")
