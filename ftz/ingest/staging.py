"""A temporary table per import, bulk-loaded (COPY on PostgreSQL), where cross-row checks run in SQL."""

import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, text

# SQL types of staging columns, by the kind of values they hold.
_SQL = {
    "text": "TEXT",
    "int": "BIGINT",
    "time": {"postgresql": "TIMESTAMPTZ", "sqlite": "TEXT"},
}


def create(conn: Connection, table: str, columns: dict[str, str]) -> None:
    """Create the temporary table ``table`` with ``columns`` (name -> text, int or time)."""
    dialect = conn.dialect.name
    parts = []
    for name, kind in columns.items():
        sql = _SQL[kind]
        parts.append(f"{name} {sql[dialect] if isinstance(sql, dict) else sql}")
    # kept past the checks' transaction for the final write's: dropped by ``drop``
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {table} ({', '.join(parts)})")


def drop(conn: Connection, table: str) -> None:
    """Drop the staging table; a connection that cannot is discarded rather than pooled with it."""
    try:
        if conn.in_transaction():
            conn.rollback()
        with conn.begin():
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    except Exception:
        conn.invalidate()


def load(conn: Connection, table: str, frame: pd.DataFrame, columns: dict[str, str]) -> None:
    """Append ``frame``'s ``columns`` to the staging table, in bulk."""
    if frame.empty:
        return
    frame = frame[list(columns)]
    if conn.dialect.name == "postgresql":
        _copy(conn, table, frame, columns)
    else:
        _executemany(conn, table, frame, columns)


def index(conn: Connection, table: str, *column_sets: tuple[str, ...], analyze: tuple[str, ...] = ()) -> None:
    """Index the staging table once loaded, for the cross-row queries (which also filter on
    the ``analyze`` columns)."""
    for n, cols in enumerate(column_sets):
        # IF NOT EXISTS: the checks run again in the final write when another import came first
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS ix_{table}_{n} ON {table} ({', '.join(cols)})")
    if conn.dialect.name == "postgresql":
        # temporary tables get no statistics otherwise; the row count and the indexed columns'
        # are what the cross-row queries are planned from
        columns = ", ".join(dict.fromkeys([*(c for cols in column_sets for c in cols), *analyze]))
        conn.exec_driver_sql(f"ANALYZE {table} ({columns})")


def _copy(conn: Connection, table: str, frame: pd.DataFrame, columns: dict[str, str]) -> None:
    arrays = {}
    for name, kind in columns.items():
        values = frame[name]
        if kind == "int":
            arrays[name] = pa.array(values.astype("Int64"), type=pa.int64(), from_pandas=True)
        elif kind == "time":
            arrays[name] = pa.array(values, type=pa.timestamp("us", tz="UTC"), from_pandas=True)
        else:
            arrays[name] = pa.array(values, type=pa.string(), from_pandas=True)
    buffer = io.BytesIO()
    pacsv.write_csv(
        pa.table(arrays),
        buffer,
        write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed"),
    )
    names = ", ".join(columns)
    with (
        conn.connection.driver_connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)") as copy,
    ):
        copy.write(buffer.getbuffer())


def _executemany(conn: Connection, table: str, frame: pd.DataFrame, columns: dict[str, str]) -> None:
    prepared = {}
    for name, kind in columns.items():
        values = frame[name]
        if kind == "time":
            # The text SQLAlchemy's SQLite DateTime writes and reads: naive UTC.
            values = values.dt.strftime("%Y-%m-%d %H:%M:%S.%f")
        prepared[name] = values.astype("object").where(values.notna(), None)
    rows = pd.DataFrame(prepared).itertuples(index=False, name=None)
    marks = ", ".join("?" * len(columns))
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    finally:
        cursor.close()


def fetch(conn: Connection, sql: str, **params) -> pd.DataFrame:
    """Run a query and return its rows as a DataFrame."""
    result = conn.execute(text(sql), params)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
