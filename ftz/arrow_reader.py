"""A child process of ``ftz.arrow``: one query read from a SQLite file through ADBC's SQLite
driver, written to standard output as an Arrow IPC stream.

It runs alone in its process because ADBC's driver carries its own copy of SQLite: beside the
application's connections, in one process, the two copies would not see each other's file
locks. Here it is one more reader of the database, like any other process. It imports nothing
of ftz, so that it starts in a fraction of a second.
"""

import json
import sys

import adbc_driver_sqlite.dbapi as driver
import pyarrow as pa

# The driver infers a column's type from its first batch of rows and fails if a later batch
# disagrees (a text column NULL in every early row): one batch holds the whole result.
_ONE_BATCH = {"adbc.sqlite.query.batch_rows": str(2**30)}


def main() -> None:
    """Read the request (database, query, temporary tables as Arrow files) from standard input."""
    request = json.loads(sys.stdin.read())
    conn = driver.connect(request["database"])
    try:
        cursor = conn.cursor()
        cursor.adbc_statement.set_options(**_ONE_BATCH)
        for name, path in request["tables"].items():
            with pa.memory_map(path) as source:
                cursor.adbc_ingest(name, pa.ipc.open_file(source).read_all(), mode="create", temporary=True)
        cursor.execute(request["query"])
        reader = cursor.fetch_record_batch()
        with pa.ipc.new_stream(sys.stdout.buffer, reader.schema) as stream:
            for batch in reader:
                stream.write_batch(batch)
        cursor.close()
    finally:
        conn.close()


if __name__ == "__main__":
    main()
