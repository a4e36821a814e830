"""The floor under an incremental run on SQLite: the ledger lookups and writes its changed lots
need, timed as bare SQL (the standard library's driver, no SQLAlchemy, no pandas), so that the
run's own phases can be read against what the database alone takes.

Run after `python tests/benchmarks/reconcile_speed.py N --folder DIR --steps incremental`:
`python tests/benchmarks/incremental_floor.py DIR/bench.db`. The changed lots are those of the
last movements upload (the benchmark's day of changes). Each figure is the best of three.
"""

import json
import sqlite3
import sys
import time

PAIRS = "(SELECT json_extract(value, '$[0]') AS k0, json_extract(value, '$[1]') AS k1 FROM json_each(?))"
ONE_ROUND = {  # what one round of the scope's closure looks up, key by key (ftz.ledger.scope._ties)
    "movements of the lots": f"SELECT m.operator_id, m.customs_ref, m.process_ref, m.corrects_ref, m.previous_ref "
    f"FROM movement m JOIN {PAIRS} k ON m.operator_id = k.k0 AND m.lot_ref = k.k1",
    "customs items of the lots": f"SELECT c.declaration_ref, c.licence_ref, c.previous_ref "
    f"FROM customs_entry c JOIN {PAIRS} k ON c.operator_id = k.k0 AND c.lot_ref = k.k1",
}
BY_DECLARATION = {
    "movements of their declarations": "SELECT operator_id, lot_ref FROM movement "
    "WHERE customs_ref IN (SELECT value FROM json_each(?))",
    "customs items of their declarations": "SELECT operator_id, lot_ref, licence_ref, previous_ref FROM customs_entry "
    "WHERE declaration_ref IN (SELECT value FROM json_each(?))",
}
READ = {  # what the run then reads of its scope, every column
    "read: movements of the lots": f"SELECT m.* FROM movement m JOIN {PAIRS} k "
    "ON m.operator_id = k.k0 AND m.lot_ref = k.k1",
    "read: customs items of the lots": f"SELECT c.* FROM customs_entry c JOIN {PAIRS} k "
    "ON c.operator_id = k.k0 AND c.lot_ref = k.k1",
}


def best(db: sqlite3.Connection, sql: str, parameter: str) -> tuple[float, int]:
    """The best of three times of one statement, and the rows it gave."""
    times, rows = [], 0
    for _ in range(3):
        start = time.perf_counter()
        rows = len(db.execute(sql, (parameter,)).fetchall())
        times.append(time.perf_counter() - start)
    return min(times), rows


def inserted(db: sqlite3.Connection, count: int) -> float:
    """Writing ``count`` findings shaped like a stored one, in one statement, rolled back."""
    row = db.execute("SELECT * FROM discrepancy LIMIT 1").fetchone()
    if row is None:
        return 0.0
    marks = ",".join("?" * len(row))
    db.execute("CREATE TEMP TABLE written AS SELECT * FROM discrepancy WHERE 0")
    start = time.perf_counter()
    db.executemany(f"INSERT INTO written VALUES ({marks})", [row] * count)
    return time.perf_counter() - start


def main() -> None:
    db = sqlite3.connect(sys.argv[1])
    last = db.execute("SELECT max(upload_id) FROM movement").fetchone()[0]
    lots = db.execute("SELECT DISTINCT operator_id, lot_ref FROM movement WHERE upload_id = ?", (last,)).fetchall()
    of_lots = (
        f"SELECT DISTINCT m.customs_ref FROM movement m JOIN {PAIRS} k "
        "ON m.operator_id = k.k0 AND m.lot_ref = k.k1 WHERE m.customs_ref IS NOT NULL"
    )
    declarations = [r[0] for r in db.execute(of_lots, (json.dumps(lots),))]
    print(f"{len(lots):,} changed lots, {len(declarations):,} of their declarations")
    total = 0.0
    for queries, keys in ((ONE_ROUND, json.dumps(lots)), (BY_DECLARATION, json.dumps(declarations)), (READ, None)):
        for label, sql in queries.items():
            seconds, rows = best(db, sql, keys or json.dumps(lots))
            total += seconds
            print(f"  {label:<40} {seconds * 1000:6.1f} ms  {rows:>8,} rows")
    seconds = inserted(db, len(lots))
    total += seconds
    print(f"  {'write: one finding per lot':<40} {seconds * 1000:6.1f} ms  {len(lots):>8,} rows")
    print(f"bare SQL of one closure round, the read and the writes: {total:.2f} s")


if __name__ == "__main__":
    main()
