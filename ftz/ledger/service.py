"""Reading the ledger: movements as they stand after corrections, and lots' book balances."""

from contextlib import contextmanager
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, bindparam, text

from ftz.database import from_millionths
from ftz.ledger.scope import family
from ftz.reference import service as reference
from ftz.reference.models import ListKind
from reconciliation.engine import lot_status
from reconciliation.ledger import book_balances, current, current_entries

_COLUMNS = (
    "m.id, m.operator_id, o.zone_id, m.movement_ref, m.movement_type, m.occurred_at, m.lot_ref, m.hs_code, "
    "m.quantity, m.unit, m.customs_ref, m.destination_country, m.intended_destination, m.removal_kind, "
    "m.control_code, m.process_ref, m.corrects_ref, m.recorded_at, m.upload_id, m.description, m.counterparty, "
    "m.previous_ref"
)


_ENTRY_COLUMNS = (
    "id, declaration_ref, item_no, version, direction, procedure, status, lodged_at, zone_id, operator_id, "
    "lot_ref, hs_code, quantity, unit, destination_country, intended_destination, control_code, upload_id, "
    "description, licence_ref, consignor, consignee, origin_country, destination_zone, previous_ref"
)


SCOPE_LOTS = "ftz_scope_lot"
SCOPE_DECLARATIONS = "ftz_scope_declaration"


def movements_frame(
    engine: Engine,
    *,
    operator_id: int | None = None,
    zone_id: int | None = None,
    lot_ref: str | None = None,
    scope: tuple | None = None,
) -> pd.DataFrame:
    """Stored movements as the engine reads them (quantities in millionths): all, one zone's,
    one operator's (or one of its lots), or those of a ``scope`` of lots (operator_id, lot_ref)
    and declarations. The filters are the database's work, not pandas'."""
    conditions, params = _filters(
        {"m.operator_id": operator_id, "o.zone_id": zone_id, "m.lot_ref": lot_ref if operator_id is not None else None}
    )
    join = f"JOIN {SCOPE_LOTS} s ON s.operator_id = m.operator_id AND s.lot_ref = m.lot_ref" if scope else ""
    query = f"SELECT {_COLUMNS} FROM movement m JOIN operator o ON o.id = m.operator_id {join} {conditions}"
    query += " ORDER BY m.id"
    with engine.connect() as conn, conn.begin(), _scope_tables(conn, scope):
        frame = pd.read_sql(text(query), conn, params=params)
    for column in ("occurred_at", "recorded_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    frame["quantity"] = frame["quantity"].astype("int64")
    return frame


def customs_frame(
    engine: Engine,
    *,
    current_only: bool = True,
    zone_id: int | None = None,
    operator_id: int | None = None,
    declarations: list[str] | None = None,
    scope: tuple | None = None,
) -> pd.DataFrame:
    """Customs items (by default only those in force; of one zone or operator, of some
    declarations, or with ``scope`` only its declarations and lots) with quantities in millionths."""
    conditions, params = _filters({"c.zone_id": zone_id, "c.operator_id": operator_id})
    if declarations is not None:
        conditions += (" AND " if conditions else "WHERE ") + "c.declaration_ref IN :declarations"
        params["declarations"] = list(declarations) or [""]
    if scope:
        # two indexed lookups, not one OR that would scan every item
        conditions += (" AND " if conditions else "WHERE ") + (
            f"c.id IN (SELECT e.id FROM {SCOPE_DECLARATIONS} d JOIN customs_entry e "
            f"ON e.declaration_ref = d.declaration_ref UNION SELECT e.id FROM {SCOPE_LOTS} s JOIN customs_entry e "
            "ON e.operator_id = s.operator_id AND e.lot_ref = s.lot_ref)"
        )
    query = text(f"SELECT {_ENTRY_COLUMNS} FROM customs_entry c {conditions} ORDER BY c.id")
    if declarations is not None:
        query = query.bindparams(bindparam("declarations", expanding=True))
    with engine.connect() as conn, conn.begin(), _scope_tables(conn, scope):
        frame = pd.read_sql(query, conn, params=params)
    frame["lodged_at"] = pd.to_datetime(frame["lodged_at"], utc=True, format="ISO8601")
    return current_entries(frame) if current_only else frame


def _filters(values: dict[str, object]) -> tuple[str, dict]:
    """A WHERE clause of equalities for the values given (None: no condition)."""
    given = {column: value for column, value in values.items() if value is not None}
    params = {f"p{n}": value for n, value in enumerate(given.values())}
    clause = " AND ".join(f"{column} = :p{n}" for n, column in enumerate(given))
    return (f"WHERE {clause}" if clause else ""), params


@contextmanager
def _scope_tables(conn, scope: tuple | None):
    """Temporary tables holding a scope's lots and declarations, for the reads to join."""
    if not scope:
        yield
        return
    lots, declarations = scope
    suffix = " ON COMMIT DROP" if conn.dialect.name == "postgresql" else ""
    # Keyed, so that the joins look lots up instead of scanning the scope for every movement.
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {SCOPE_LOTS} (operator_id BIGINT, lot_ref TEXT, PRIMARY KEY (operator_id, lot_ref))"
        + suffix
    )
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {SCOPE_DECLARATIONS} (declaration_ref TEXT PRIMARY KEY){suffix}")
    _fill(conn, SCOPE_LOTS, [(int(o), str(lot)) for o, lot in zip(lots["operator_id"], lots["lot_ref"], strict=True)])
    _fill(conn, SCOPE_DECLARATIONS, [(d,) for d in declarations])
    try:
        yield
    finally:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"DROP TABLE {SCOPE_LOTS}")
            conn.exec_driver_sql(f"DROP TABLE {SCOPE_DECLARATIONS}")


def _fill(conn, table: str, rows: list[tuple]) -> None:
    """Bulk-load ``rows`` into a temporary table (COPY on PostgreSQL)."""
    if not rows:
        return
    driver = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        driver.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)


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
