"""Reconciliation speed: a generated zone with N movements and N customs items.

Run: `python tests/benchmarks/reconcile_speed.py [N]` (default 1,000,000), with
FTZ_TEST_DATABASE_URL set to run on PostgreSQL (otherwise a SQLite file). Prints the time of
a full run (read from the database to findings written) by phase, its peak memory, an
incremental run after 1 % of lots changed, and the same core (current versions, the match
both ways, per-lot balance) as DuckDB SQL over the same data.
"""

import csv
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

MOVES = (
    "movement_ref,movement_type,occurred_at,lot_ref,hs_code,quantity,unit,customs_ref,origin_country,"
    "destination_country"
)
ITEMS = (
    "declaration_ref,item_no,version,direction,lodged_at,zone_code,operator_code,lot_ref,hs_code,quantity,unit,"
    "origin_country,destination_country"
)
OPERATORS = [f"OPB{n:02d}" for n in range(10)]


def generate(folder: Path, n: int, seed: int = 11) -> None:
    """Per lot: an admission and two removals on both sides; 1 % of lots carry an anomaly."""
    rng = random.Random(seed)
    lots = n // 3
    writers = {op: csv.writer((folder / f"movements_{op}.csv").open("w", newline="")) for op in OPERATORS}
    for w in writers.values():
        w.writerow(MOVES.split(","))
    customs = csv.writer((folder / "customs.csv").open("w", newline=""))
    customs.writerow(ITEMS.split(","))
    for lot in range(lots):
        op = OPERATORS[lot % len(OPERATORS)]
        ref, qty = f"LOT{lot:07d}", rng.randint(1_000, 90_000)
        day = 1 + lot % 20
        parts = (qty // 3, qty // 3)
        broken = lot % 100 == 7
        writers[op].writerow(
            [
                f"M{lot}A",
                "ADMISSION",
                f"2026-09-{day:02d}T08:00:00",
                ref,
                "8112920000",
                qty,
                "KGM",
                f"AD{lot}",
                "KR",
                "",
            ]
        )
        customs.writerow(
            [
                f"AD{lot}",
                1,
                1,
                "ADMISSION",
                f"2026-09-{day:02d}T07:00:00",
                "ZB",
                op,
                ref,
                "81129200",
                qty + (qty // 10 if broken else 0),
                "KGM",
                "KR",
                "",
            ]
        )
        for k, part in enumerate(parts):
            writers[op].writerow(
                [
                    f"M{lot}R{k}",
                    "REMOVAL",
                    f"2026-10-{day + k:02d}T08:00:00",
                    ref,
                    "8112920000",
                    part,
                    "KGM",
                    f"RE{lot}{k}",
                    "",
                    "DE",
                ]
            )
            customs.writerow(
                [
                    f"RE{lot}{k}",
                    1,
                    1,
                    "REMOVAL",
                    f"2026-10-{day + k:02d}T07:00:00",
                    "ZB",
                    op,
                    ref,
                    "81129200",
                    part,
                    "KGM",
                    "",
                    "DE",
                ]
            )
    with (folder / "changes.csv").open("w", newline="") as f:  # a later day's removals, 1 % of lots
        w = csv.writer(f)
        w.writerow(MOVES.split(","))
        for lot in range(0, lots, 100):
            if OPERATORS[lot % len(OPERATORS)] == OPERATORS[0]:
                w.writerow(
                    [
                        f"M{lot}X",
                        "REMOVAL",
                        "2026-10-28T08:00:00",
                        f"LOT{lot:07d}",
                        "8112920000",
                        1,
                        "KGM",
                        f"REX{lot}",
                        "",
                        "DE",
                    ]
                )


def load(url: str, folder: Path) -> None:
    from sqlmodel import Session

    from ftz.database import get_engine
    from ftz.ingest import service
    from ftz.ingest.lists import ensure_shipped
    from ftz.migrations import upgrade
    from ftz.zones import service as zones
    from ftz.zones.models import OperatorBase, ZoneBase

    engine = get_engine(url)
    upgrade(engine)
    ensure_shipped(engine)
    with Session(engine) as s:
        zones.create_zone(s, zone_in=ZoneBase(code="ZB", name="bench", country="AE", timezone=""))
        for op in OPERATORS:
            zones.create_operator(s, operator_in=OperatorBase(code=op, name=op), zone_code="ZB")
        s.commit()
    service.import_customs(engine, source=folder / "customs.csv", filename="customs.csv", sent_by="bench")
    for op in OPERATORS:
        path = folder / f"movements_{op}.csv"
        service.import_movements(engine, source=path, filename=path.name, operator_code=op, sent_by="bench")


def timed_run(url: str, full: bool) -> None:
    """One run in this process, its phases timed (printed as one line)."""
    import pandas as pd

    from ftz.database import get_engine
    from ftz.discrepancies import service
    from reconciliation.engine import reconcile

    engine = get_engine(url)
    phases = {}
    original_read, original_reconcile = service.read_inputs, service.reconcile

    def read(*args, **kwargs):
        start = time.perf_counter()
        out = original_read(*args, **kwargs)
        phases["read"] = time.perf_counter() - start
        return out

    def engine_call(inputs):
        start = time.perf_counter()
        out = original_reconcile(inputs)
        phases["engine"] = phases.get("engine", 0) + time.perf_counter() - start
        return out

    service.read_inputs, service.reconcile = read, engine_call
    start = time.perf_counter()
    record = service.run(engine, full=full)
    total = time.perf_counter() - start
    phases["write"] = total - phases["read"] - phases["engine"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    found = sum(record.counts.values())
    print(
        f"{'full' if full else 'incremental':<12} {total:7.1f} s  (read {phases['read']:.1f}, engine "
        f"{phases['engine']:.1f}, write {phases['write']:.1f})  lots {record.lots:,}  findings {found:,}  "
        f"peak {peak:,.0f} MB",
        flush=True,
    )
    del pd, reconcile


def duckdb_core(url: str) -> None:
    """Current versions, the match both ways and per-lot balances, as an analyst would write them."""
    import duckdb

    from ftz.database import get_engine
    from ftz.ledger.service import customs_frame, movements_frame

    engine = get_engine(url)
    moves, entries = movements_frame(engine), customs_frame(engine, current_only=False)
    start = time.perf_counter()
    con = duckdb.connect()
    con.register("movement", moves)
    con.register("entry", entries)
    con.execute("""
        CREATE TEMP TABLE cur AS
        SELECT * FROM entry QUALIFY row_number() OVER (PARTITION BY declaration_ref, item_no ORDER BY version DESC) = 1;
        CREATE TEMP TABLE ours AS SELECT operator_id, movement_type AS direction, customs_ref AS declaration, lot_ref,
            sum(quantity) AS q FROM movement WHERE movement_type IN ('ADMISSION', 'REMOVAL') GROUP BY ALL;
        CREATE TEMP TABLE theirs AS SELECT operator_id, direction, declaration_ref AS declaration, lot_ref,
            sum(quantity) AS q FROM cur WHERE status = 'ACCEPTED' GROUP BY ALL;
    """)
    matched = con.execute("""
        SELECT count(*) FILTER (WHERE o.q IS NULL), count(*) FILTER (WHERE t.q IS NULL),
               count(*) FILTER (WHERE abs(o.q - t.q) > 0.005 * greatest(o.q, t.q))
        FROM ours o FULL OUTER JOIN theirs t USING (operator_id, direction, declaration, lot_ref)
    """).fetchone()
    negative = con.execute("""
        SELECT count(*) FROM (SELECT operator_id, lot_ref, sum(CASE movement_type WHEN 'ADMISSION' THEN quantity
            WHEN 'PRODUCE' THEN quantity WHEN 'ADJUST' THEN quantity WHEN 'OWNERSHIP' THEN 0 WHEN 'COUNT' THEN 0
            ELSE -quantity END) OVER (PARTITION BY operator_id, lot_ref ORDER BY occurred_at, id) AS balance
            FROM movement) WHERE balance < 0
    """).fetchone()
    elapsed = time.perf_counter() - start
    print(
        f"duckdb core  {elapsed:7.1f} s  (customs-only {matched[0]:,}, operator-only {matched[1]:,}, "
        f"quantity {matched[2]:,}, negative balances {negative[0]:,}; frames already in memory)",
        flush=True,
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = os.environ.get("FTZ_TEST_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
        os.environ["FTZ_DATA_DIR"] = str(folder / "data")
        if url.startswith("postgresql"):
            from sqlalchemy import create_engine, text

            eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
            with eng.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            eng.dispose()
        generate(folder, n)
        start = time.perf_counter()
        load(url, folder)
        loaded = time.perf_counter() - start
        print(f"{n:,} movements and {n:,} customs items on {url.split(':')[0]}, loaded in {loaded:.0f} s", flush=True)
        timed_run(url, full=True)
        from ftz.database import get_engine
        from ftz.ingest import service as ingest

        ingest.import_movements(
            get_engine(url),
            source=folder / "changes.csv",
            filename="changes.csv",
            operator_code=OPERATORS[0],
            sent_by="bench",
        )
        timed_run(url, full=False)
        duckdb_core(url)


if __name__ == "__main__":
    main()
