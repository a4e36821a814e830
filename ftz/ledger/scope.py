"""What an incremental run must recompute: the lots touched by uploads and inspections it has
not seen, and every lot or declaration a finding on them could also involve.

Findings tie lots together through declarations (a customs item without a lot may match any
lot of its declaration), through processing (inputs and outputs share losses and strategic
status), through corrections (a correction may move a record off another lot), through
licences (a licence is used up by its holder's removals of every lot that cite it) and through
transfers between zones (an admission naming a transfer as ``previous_ref`` carries on its
goods' status and destination, and tells whether they arrived). The scope is closed under all
five, so that recomputing it alone gives the same findings as
recomputing everything. The closure looks the ledger up by index, round by round from what the
previous round added, so that its cost follows the size of the change, not of the ledger.
"""

import json
from collections.abc import Callable, Iterable

import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, func, literal_column, select, text
from sqlalchemy.dialects import postgresql

from ftz.database import INDEX_LOOKUPS, among
from ftz.ledger.models import CustomsEntry, Movement, StockCount

Lot = tuple[int, str]
M, C = Movement.__table__.c, CustomsEntry.__table__.c
_LEDGER = (Movement.__table__, CustomsEntry.__table__)  # the tables a scope's lots and declarations are in
_ROWS_PER_KEY = 50  # lookups pay below one key of a scope per this many rows of the ledger


def changed(engine: Engine, *, uploads: Iterable[int], counts: Iterable[int]) -> tuple[pd.DataFrame, set[str]]:
    """The scope (lots as operator_id, lot_ref; declarations) of the given new uploads and
    inspections, closed under what ties lots together in a finding."""
    uploads, counts = sorted(uploads), sorted(counts)
    with engine.connect() as conn:
        new_lots = _lots(conn, select(M.operator_id, M.lot_ref), M.upload_id, uploads)
        new_lots |= _lots(conn, select(C.operator_id, C.lot_ref), C.upload_id, uploads)
        new_lots |= _lots(conn, select(StockCount.operator_id, StockCount.lot_ref), StockCount.id, counts)
        new_declarations = _values(conn, select(C.declaration_ref), C.upload_id, uploads)
        return _closed(conn, new_lots, new_declarations)


def of_goods(engine: Engine, *, hs_prefixes: set[str], countries: set[str]) -> tuple[pd.DataFrame, set[str]]:
    """The lots whose records name goods under one of ``hs_prefixes`` or a destination among
    ``countries`` (what a new reference list version can change), closed like ``changed``."""
    if not hs_prefixes and not countries:
        return _closed_empty()
    lots: set[Lot] = set()
    with engine.connect() as conn:
        for table in (M, C):
            columns = select(table.operator_id, table.lot_ref).where(table.lot_ref.is_not(None))
            for prefix in sorted(hs_prefixes):
                lots |= {(int(o), lot) for o, lot in conn.execute(columns.where(table.hs_code.startswith(prefix)))}
            for column in (table.destination_country, table.intended_destination):
                if countries:
                    lots |= _lots(conn, columns, column, countries)
        return _closed(conn, lots, set())


def of_registers(
    engine: Engine,
    *,
    lots: Iterable[Lot] = (),
    licence_refs: Iterable[str] = (),
    any_licence: bool = False,
    operators: Iterable[int] = (),
) -> tuple[pd.DataFrame, set[str]]:
    """What a change of the registers touches, closed like ``changed``: the lots given (holds
    placed or released), the lots and declarations whose customs items cite one of
    ``licence_refs`` (or, with ``any_licence``, any licence: the register's first licence makes
    every cited licence_ref checkable), and every lot of ``operators`` (an AEO certificate
    granted or withdrawn changes the score of all their findings)."""
    found = set(lots)
    with engine.connect() as conn:
        citing = select(C.operator_id, C.lot_ref).where(C.lot_ref.is_not(None))
        declared = select(C.declaration_ref)
        if any_licence:
            found |= {(int(o), lot) for o, lot in conn.execute(citing.where(C.licence_ref.is_not(None)))}
            declarations = {row[0] for row in conn.execute(declared.where(C.licence_ref.is_not(None)))}
        else:
            found |= _lots(conn, citing, C.licence_ref, set(licence_refs))
            declarations = _values(conn, declared, C.licence_ref, set(licence_refs))
        for table in (M, C):
            found |= _lots(conn, select(table.operator_id, table.lot_ref), table.operator_id, set(operators))
        return _closed(conn, found, declarations)


def of_descriptions(engine: Engine, *, named: Callable[[pd.Series], pd.Series]) -> tuple[pd.DataFrame, set[str]]:
    """The lots (and declarations of customs items without a lot) with a record whose description
    ``named`` says names a changed term, closed like ``changed``. Every distinct description is
    read once: this runs only when the terms or controls list changes."""
    with engine.connect() as conn:
        rows = []
        for table, key in ((M, M.customs_ref), (C, C.declaration_ref)):
            query = select(table.operator_id, table.lot_ref, key, table.description).where(
                table.description.is_not(None)
            )
            rows += conn.execute(query).all()
        frame = pd.DataFrame(rows, columns=["operator_id", "lot_ref", "declaration_ref", "description"])
        if frame.empty:
            return _closed_empty()
        hit = frame[frame["description"].map(named(frame["description"].drop_duplicates()).to_dict())]
        lots = {
            (int(o), lot) for o, lot in zip(hit["operator_id"], hit["lot_ref"], strict=True) if isinstance(lot, str)
        }
        declarations = set(hit.loc[hit["lot_ref"].isna(), "declaration_ref"].dropna())
        return _closed(conn, lots, declarations)


def _closed_empty() -> tuple[pd.DataFrame, set[str]]:
    return pd.DataFrame(columns=["operator_id", "lot_ref"]).astype({"operator_id": "int64"}), set()


def family(engine: Engine, *, lots: Iterable[Lot]) -> tuple[pd.DataFrame, set[str]]:
    """The given lots with every lot and declaration tied to them (processing, declarations,
    corrections): all that a lot's balance and strategic status read, and no more."""
    with engine.connect() as conn:
        return _closed(conn, set(lots), set(), licences=False)


def closed(engine: Engine, *, lots: Iterable[Lot], declarations: Iterable[str]) -> tuple[pd.DataFrame, set[str]]:
    """The given lots and declarations with all that ties to them in a finding."""
    with engine.connect() as conn:
        return _closed(conn, set(lots), set(declarations))


def _closed(
    conn: Connection, new_lots: set[Lot], new_declarations: set[str], *, licences: bool = True
) -> tuple[pd.DataFrame, set[str]]:
    """Lots and declarations, closed round by round under what ties them together (without
    ``licences``, not through the licences their removals cite: a lot's own status reads none)."""
    lots: set[Lot] = set()
    declarations: set[str] = set()
    if lookups_pay(conn, len(new_lots) + len(new_declarations)):
        for setting in INDEX_LOOKUPS:  # every lookup below walks an index
            conn.exec_driver_sql(setting)
    transfers = _transfers(conn) if new_lots or new_declarations else set()
    while new_lots or new_declarations:
        lots |= new_lots
        declarations |= new_declarations
        found_lots, found_declarations = _ties(conn, new_lots, new_declarations, licences=licences,
                                               transfers=transfers)  # fmt: skip
        new_lots, new_declarations = found_lots - lots, found_declarations - declarations
    frame = pd.DataFrame(sorted(lots), columns=["operator_id", "lot_ref"]).astype({"operator_id": "int64"})
    return frame, declarations


def lookups_pay(conn: Connection, keys: int) -> bool:
    """Whether looking up ``keys`` lots or declarations along the indexes (``INDEX_LOOKUPS``)
    costs less than hashing the ledger: on PostgreSQL, while they are few next to its rows (at
    1M + 1M rows a scope's row took about 7 µs that way, hashing the ledger 0.4 µs a row). The
    ledger is append-only: its highest ids count its rows, read along the primary keys."""
    if conn.dialect.name != "postgresql" or keys == 0:
        return False
    rows = conn.execute(text(f"SELECT {' + '.join(f'(SELECT coalesce(max(id), 0) FROM {t.name})' for t in _LEDGER)}"))
    return keys * _ROWS_PER_KEY <= rows.scalar_one()


def _transfers(conn: Connection) -> set[str]:
    """The tables (``movement``, ``customs_entry``) with a record naming a ``previous_ref``: a
    look along its index, that spares a closure looking up the declarations in a table without."""
    return {
        table.name
        for table in _LEDGER
        if conn.execute(select(table.c.id).where(table.c.previous_ref.is_not(None)).limit(1)).first()
    }


def _ties(
    conn: Connection, lots: set[Lot], declarations: set[str], *, licences: bool = True, transfers: set[str]
) -> tuple[set[Lot], set[str]]:
    """What the given lots and declarations tie to, one step out (``transfers``: the tables
    with a record naming a previous declaration)."""
    lot_key = (M.operator_id, M.lot_ref)
    rows = _rows(conn, select(M.operator_id, M.customs_ref, M.process_ref, M.corrects_ref, M.previous_ref), lot_key,
                 lots)  # fmt: skip
    found_declarations = {r.customs_ref for r in rows if r.customs_ref}
    items = _rows(conn, select(C.declaration_ref, C.licence_ref, C.previous_ref), (C.operator_id, C.lot_ref), lots)
    found_declarations |= {r.declaration_ref for r in items if r.declaration_ref}
    found = _lots(conn, select(M.operator_id, M.lot_ref), M.customs_ref, declarations)
    theirs = _rows(conn, select(C.operator_id, C.lot_ref, C.licence_ref, C.previous_ref), C.declaration_ref,
                   declarations)  # fmt: skip
    found |= {(int(r.operator_id), r.lot_ref) for r in theirs if r.lot_ref}
    # transfers: back to the declaration the goods arrived under, on to the admissions naming one
    found_declarations |= {r.previous_ref for r in [*rows, *items, *theirs] if r.previous_ref}
    if "customs_entry" in transfers:
        found_declarations |= _values(conn, select(C.declaration_ref), C.previous_ref, declarations)
    if "movement" in transfers:
        found |= _lots(conn, select(M.operator_id, M.lot_ref), M.previous_ref, declarations)
    processes = {(r.operator_id, r.process_ref) for r in rows if r.process_ref}
    found |= _lots(conn, select(M.operator_id, M.lot_ref), (M.operator_id, M.process_ref), processes)
    corrected = {(r.operator_id, r.corrects_ref) for r in rows if r.corrects_ref}
    found |= _lots(conn, select(M.operator_id, M.lot_ref), (M.operator_id, M.movement_ref), corrected)
    if licences:  # the other removals drawing on the same licences
        cited = {r.licence_ref for r in [*items, *theirs] if r.licence_ref}
        found_declarations |= _values(conn, select(C.declaration_ref), C.licence_ref, cited)
    return found, found_declarations


def _rows(conn: Connection, query, key, values: Iterable) -> list:
    """The rows of ``query`` whose ``key`` (a column, or a pair of columns) is one of
    ``values``, in one statement whatever their count: the values travel as one parameter
    (``among``; a pair's as a JSON text the statement joins as a table on SQLite, as arrays
    unnested on PostgreSQL), so that the statement is compiled once and each value is a lookup
    along the index on ``key``, where a list would be written out value by value."""
    values = list(dict.fromkeys(values))  # distinct: joined, a value given twice would give its rows twice
    if not values:
        return []
    if not isinstance(key, tuple):
        return conn.execute(query.where(among(conn.dialect.name, key, values))).all()
    keys = _pairs(conn, values, tuple(column.type for column in key))
    return conn.execute(query.where(*(column == keys.c[f"k{i}"] for i, column in enumerate(key)))).all()


def _pairs(conn: Connection, values: list, types: tuple):
    """``values`` (tuples of ``len(types)``) as a table of columns ``k0``, ``k1``…"""
    names = [f"k{i}" for i in range(len(types))]
    if conn.dialect.name == "postgresql":
        columns = list(zip(*values, strict=True))
        arrays = [
            bindparam(name, list(c), type_=postgresql.ARRAY(t))
            for name, c, t in zip(names, columns, types, strict=True)
        ]
        return func.unnest(*arrays).table_valued(*names).render_derived()
    rows = func.json_each(bindparam("keys", json.dumps(values, default=int))).table_valued("value")
    return select(
        *(func.json_extract(rows.c.value, literal_column(f"'$[{i}]'")).label(name) for i, name in enumerate(names))
    ).subquery()


def _lots(conn: Connection, query, key, values: Iterable) -> set[Lot]:
    return {(int(operator_id), lot_ref) for operator_id, lot_ref in _rows(conn, query, key, values) if lot_ref}


def _values(conn: Connection, query, key, values: Iterable) -> set[str]:
    return {row[0] for row in _rows(conn, query, key, values) if row[0]}
