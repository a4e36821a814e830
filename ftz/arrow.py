"""Reading query results as Arrow tables, in the types the engine uses.

A run reads millions of rows: pandas' row-by-row type inference was most of its read time.
On PostgreSQL the ADBC driver hands over columns (binary COPY), which arrive as int64, UTC
times and Arrow-backed strings. ADBC's SQLite driver carries its own copy of SQLite, and two
copies in one process do not see each other's file locks (closing one deleted the other's
write-ahead log): a bulk read of SQLite runs it in a child process (``ftz.arrow_reader``), a
separate reader like any other; a small one goes through the standard library's driver, a
batch of rows at a time into Arrow arrays, without a process to start.
"""

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine

from ftz.database import INDEX_LOOKUPS

_BATCH = 100_000  # SQLite rows turned into Arrow arrays at a time: bounds the Python objects alive


@contextmanager
def connect(engine: Engine) -> Iterator:
    """An ADBC (DB-API) connection to the PostgreSQL database of ``engine``."""
    import adbc_driver_postgresql.dbapi as driver

    conn = driver.connect(engine.url.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        yield conn
    finally:
        conn.close()


def read(
    engine: Engine,
    query: str,
    *,
    integers: Iterable[str] = (),
    times: Iterable[str] = (),
    tables: dict[str, pa.Table] | None = None,
    order_by: str | None = None,
    bulk: bool = False,
    lookups: bool = False,
) -> pd.DataFrame:
    """The rows of ``query`` as a frame: ``integers`` as int64, ``times`` as UTC times, every
    other column as text, in the order of column ``order_by`` if given (sorted in Arrow: the
    databases would sort by a temporary B-tree). ``tables`` are loaded first as temporary tables
    the query may join. ``bulk``: a large read (SQLite: worth starting a reader process for).
    ``lookups``: on PostgreSQL, the joins with ``tables`` made lookups along the indexes.
    The query takes no parameters: callers put only integers they made themselves into it."""
    table = read_table(engine, query, integers=integers, times=times, tables=tables, bulk=bulk, lookups=lookups)
    return frame(sorted_by(table, order_by) if order_by else table)


def sorted_by(table: pa.Table, column: str) -> pa.Table:
    """``table`` in the order of ``column``: as it is when it is so already (a table read in
    insertion order usually is), sorted otherwise (by the indices of one column, then one take:
    several times faster than sorting the table)."""
    values = table[column]
    if len(values) < 2 or pc.all(pc.greater_equal(values[1:], values[:-1])).as_py():
        return table
    return table.take(pc.sort_indices(values))


def frame(table: pa.Table) -> pd.DataFrame:
    """``table`` as a frame. Text goes over as large strings: pandas keeps its strings so and
    would convert each column itself, four times slower than Arrow's cast."""
    large = [pa.field(f.name, pa.large_string()) if pa.types.is_string(f.type) else f for f in table.schema]
    return table.cast(pa.schema(large)).to_pandas()


def read_table(
    engine: Engine,
    query: str,
    *,
    integers: Iterable[str] = (),
    times: Iterable[str] = (),
    tables: dict[str, pa.Table] | None = None,
    bulk: bool = False,
    lookups: bool = False,
) -> pa.Table:
    """The rows of ``query`` as an Arrow table in the engine's types (as ``read``), unsorted."""
    integers, times = set(integers), set(times)
    if engine.dialect.name == "sqlite":
        table = (_sqlite_bulk if bulk else _sqlite)(engine, query, tables or {}, integers)
    else:
        with connect(engine) as conn:
            cursor = conn.cursor()
            for setting in INDEX_LOOKUPS if lookups else ():  # a scope's rows: looked up by key
                cursor.execute(setting)
            for name, scope in (tables or {}).items():
                cursor.adbc_ingest(name, scope, mode="create", temporary=True)
                cursor.execute(f"ANALYZE {name}")  # a fresh table has no statistics to plan joins with
            cursor.execute(query)
            table = cursor.fetch_arrow_table()
            cursor.close()
    return typed(table, integers=integers, times=times)


def _sqlite(engine: Engine, query: str, tables: dict[str, pa.Table], integers: set[str]) -> pa.Table:
    """The rows of ``query`` read through the application's own SQLite driver, column by column."""
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        try:
            for name, scope in tables.items():
                raw.execute(f"CREATE TEMPORARY TABLE {name} ({', '.join(scope.column_names)})")
                raw.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * scope.num_columns)})",
                                zip(*(c.to_pylist() for c in scope.columns), strict=True))  # fmt: skip
            cursor = raw.execute(query)
            names = [d[0] for d in cursor.description]
            types = [pa.int64() if n in integers else pa.string() for n in names]
            batches = []
            while rows := cursor.fetchmany(_BATCH):
                columns = zip(*rows, strict=True)
                batches.append(pa.record_batch([pa.array(c, t) for c, t in zip(columns, types, strict=True)], names))
            cursor.close()
        finally:
            for name in tables:
                raw.execute(f"DROP TABLE IF EXISTS {name}")
            raw.commit()  # the driver opened a transaction for the inserts: the drops must not roll back
    schema = pa.schema(list(zip(names, types, strict=True)))
    return pa.Table.from_batches(batches, schema=schema)


def _sqlite_bulk(engine: Engine, query: str, tables: dict[str, pa.Table], _integers: set[str]) -> pa.Table:
    """The rows of ``query`` read by ADBC's SQLite driver in a child process (``ftz.arrow_reader``)."""
    with tempfile.TemporaryDirectory(prefix="ftz-read-") as folder:
        paths = {}
        for name, table in tables.items():
            paths[name] = str(Path(folder) / f"{name}.arrow")
            with pa.OSFile(paths[name], "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
        request = json.dumps({"database": engine.url.database, "query": query, "tables": paths})
        with (Path(folder) / "errors").open("w+b") as errors:  # a file: a long error never blocks the child
            child = subprocess.Popen([sys.executable, "-m", "ftz.arrow_reader"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=errors)  # fmt: skip
            table = None
            try:
                child.stdin.write(request.encode())
                child.stdin.close()
                table = pa.ipc.open_stream(child.stdout).read_all()
            except (pa.ArrowInvalid, OSError):
                pass  # the child failed before writing a whole stream: its error says why
            finally:
                if table is None and child.poll() is None:
                    child.kill()  # stopped midway (an error, an interrupt): the child goes too
                child.wait()
                child.stdout.close()
            errors.seek(0)
            error = errors.read().decode(errors="replace").strip()
        if child.returncode != 0 or table is None:
            raise RuntimeError(f"reading the database failed: {error.splitlines()[-1] if error else child.returncode}")
    return table


def typed(table: pa.Table, *, integers: set[str], times: set[str]) -> pa.Table:
    """``table`` with its columns in the engine's types, whatever the driver inferred."""
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if name in times:
            column = _utc(column)
        elif name in integers:
            column = column.cast(pa.int64())
        elif not pa.types.is_string(column.type):
            column = column.cast(pa.string())  # SQLite: a text column with no value at all reads as int64
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _utc(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Times as microseconds in UTC: SQLite keeps UTC as text without an offset."""
    if pa.types.is_timestamp(column.type):
        if column.type.tz is None:
            return column.cast(pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC"))
        return column.cast(pa.timestamp("us", tz="UTC"))
    if pa.types.is_integer(column.type):  # no value at all: SQLite's inference says int64
        return pa.nulls(len(column), pa.timestamp("us", tz="UTC"))
    return pc.cast(column.cast(pa.string()), pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC"))
