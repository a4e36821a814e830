"""Engines, sessions and the column types every table shares (UTC times, exact quantities)."""

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import BigInteger, DateTime, Engine, any_, bindparam, create_engine, event, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session

from ftz.config import get_settings

# Quantities and values are stored as integer millionths: SQLite has no exact decimal
# type, and integers sum exactly on both databases and load fastest.
SCALE = 1_000_000
# Record ids are 32-bit integers on PostgreSQL: anything larger names no record.
MAX_ID = 2**31 - 1


class Quantity(TypeDecorator[Decimal]):
    """A Decimal with six places, stored as a BIGINT of millionths."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect) -> int | None:
        if value is None:
            return None
        return int((Decimal(value) * SCALE).to_integral_exact())

    def process_result_value(self, value: int | None, dialect) -> Decimal | None:
        if value is None:
            return None
        return from_millionths(value)


def from_millionths(value: int) -> Decimal:
    """An integer of millionths as a Decimal without trailing zeros (1000, not 1E+3)."""
    exact = Decimal(int(value)).scaleb(-6)
    return exact.quantize(Decimal(1)) if exact == exact.to_integral_value() else exact.normalize()


class UTCDateTime(TypeDecorator[datetime]):
    """A time-zone-aware UTC datetime on every database (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def ids_in(column: str, ids: Iterable[int]) -> str:
    """``column IN (…)`` with ``ids`` written into the SQL: integers only, so nothing to escape
    (no id: a clause no row meets)."""
    return f"{column} IN ({', '.join(str(int(i)) for i in ids) or 'NULL'})"


def of_marker(column: str, marker: dict) -> str:
    """``column`` among the ids a run's marker names (its highest id, not its gaps): a run whose
    parts are read one after another reads the same records in each."""
    return f"{column} <= {int(marker['max'])}" + (
        f" AND NOT {ids_in(column, marker['gaps'])}" if marker["gaps"] else ""
    )


def among(dialect: str, column, values: list):
    """``column IN values`` with the values as one parameter (an array on PostgreSQL, a JSON
    text on SQLite, whose rows each meet ``column``'s index): one statement, compiled once,
    whatever the count, where a list would be written out value by value."""
    if dialect == "postgresql":
        return column == any_(bindparam("among", list(values), type_=postgresql.ARRAY(column.type)))
    rows = func.json_each(bindparam("among", json.dumps(list(values), default=int))).table_valued("value")
    return column.in_(select(rows.c.value))


# PostgreSQL settings, for the rest of a transaction, that make each key of a scope (a few
# thousand lots or declarations) a walk along an index. Costing pages as if read from disk, the
# planner would scan the whole ledger and hash it instead: at 1M rows, 0.75 s for what the
# lookups do in 0.16 s, and growing with the ledger where the lookups grow with the scope.
# (Its estimates, that large, would also have the plan compiled to machine code: hence no JIT.)
INDEX_LOOKUPS = tuple(
    f"SET LOCAL {name} = off" for name in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin", "jit")
)


def utcnow() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default: the configured database), created once per URL."""
    return _engine(url or get_settings().database_url)


@lru_cache
def _engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers work during an import; foreign keys are off by default in SQLite; a
    # writer waits for the write lock up to the busy timeout (imports and runs hold it briefly).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(get_settings().sqlite_busy_timeout_ms)}")
    cursor.close()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
