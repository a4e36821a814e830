"""Reconciliation speed: a generated zone with N movements and N customs items.

Run: `python tests/benchmarks/reconcile_speed.py [N]` (default 1,000,000), with
FTZ_TEST_DATABASE_URL set to run on PostgreSQL (otherwise a SQLite file). Prints the load
time, then, each in a process of its own: a full run (read from the database to findings
written) by phase with its peak memory, making the ledger's copy where there is none, then the
same full run again (reading the copy), the same full run on a local two-worker Dask cluster,
an incremental run after 1 % of lots changed, a full run over that changed ledger, and the
same core (current versions, the match both ways, per-lot balance) as DuckDB SQL over the
same data; last, the full run against the core and the incremental run against the full
runs, as the targets put them. `--steps` picks some of them;
`--folder` keeps the data (a SQLite database there is reused: e.g. load 10M once, run twice;
`--loaded` says a PostgreSQL database holds it already).
"""

import argparse
import csv
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
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
    """The generated files imported as users would, timed (in a process of its own: on Linux a
    process started from a large one inherits its peak memory, and every step starts from this one)."""
    from sqlmodel import Session

    from ftz.database import get_engine
    from ftz.ingest import service
    from ftz.ingest.lists import ensure_shipped
    from ftz.migrations import upgrade
    from ftz.zones import service as zones
    from ftz.zones.models import OperatorBase, ZoneBase

    start = time.perf_counter()
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
    print(f"loaded in {time.perf_counter() - start:.0f} s", flush=True)


def changes(url: str, folder: Path) -> None:
    """A later day's removals, 1 % of lots, imported as the operator would."""
    from ftz.database import get_engine
    from ftz.ingest import service as ingest

    start = time.perf_counter()
    ingest.import_movements(get_engine(url), source=folder / "changes.csv", filename="changes.csv",
                            operator_code=OPERATORS[0], sent_by="bench")  # fmt: skip
    print(f"changes imported in {time.perf_counter() - start:.1f} s", flush=True)


def timed_run(url: str, how: str) -> None:
    """One run (``full``, ``incremental`` or ``dask``: full on a local two-worker cluster), its
    phases timed, printed as one line. Called in a process of its own, so that its peak memory
    is the run's alone (and, for ``dask``, the largest worker's). A full run over a ledger with
    no copy yet makes one (``copy``): the next reads it, and the uploads since from the database."""
    from ftz.database import get_engine
    from ftz.discrepancies import partitions, service
    from ftz.ledger import snapshot

    engine = get_engine(url)
    described = snapshot.folder(engine) / "snapshot.json"
    fresh_copy = not described.exists()
    phases = {"read": 0.0, "engine": 0.0, "copy": 0.0, "scope": 0.0}
    reads = (partitions.read_inputs, service.read_inputs)

    def timed(phase, original):
        def call(*args, **kwargs):
            start = time.perf_counter()
            out = original(*args, **kwargs)
            phases[phase] += time.perf_counter() - start
            return out

        return call

    partitions.read_inputs, service.read_inputs = (timed("read", f) for f in reads)
    partitions.reconcile = timed("engine", partitions.reconcile)
    partitions.ledger_copy = timed("copy", partitions.ledger_copy)
    service._changed_scope = timed("scope", service._changed_scope)  # an incremental run's closure
    start = time.perf_counter()
    with sampled_memory() as together:
        record = service.run(engine, full=how != "incremental", workers=2 if how == "dask" else 0)
    total = time.perf_counter() - start
    label = f"{how} (makes the copy)" if fresh_copy and described.exists() else how
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    found = sum(record.counts.values())
    if how == "dask":  # the partitions were read and reconciled in the workers (children of this process)
        workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        detail = f"(2 worker processes; largest worker peak {workers:,.0f} MB)"
    else:
        some = "".join(f"{name} {phases[name]:.1f}, " for name in ("copy", "scope") if phases[name])
        detail = (f"({some}read {phases['read']:.1f}, engine {phases['engine']:.1f}, "
                  f"plan and write {total - sum(phases.values()):.1f})")  # fmt: skip
    # with its children (SQLite's bulk readers, a local cluster's workers), sampled every 100 ms
    memory = f"peak {peak:,.0f} MB, with its child processes {together[0]:,.0f} MB"
    print(f"{label:<20} {total:7.1f} s  {detail}  lots {record.lots:,}  findings {found:,}  {memory}", flush=True)


@contextmanager
def sampled_memory() -> Iterator[list[float]]:
    """The highest memory (resident, in MB) this process and its children held together, sampled
    every 100 ms while the block runs (a child's own peak, on Linux, counts the parent it was
    started from: only sampling tells what they held at once)."""
    import psutil

    highest, done = [0.0], threading.Event()

    def sample() -> None:
        me = psutil.Process()
        while not done.wait(0.1):
            total = 0
            for process in [me, *me.children(recursive=True)]:
                with suppress(psutil.Error):  # a child that ended meanwhile
                    total += process.memory_info().rss
            highest[0] = max(highest[0], total / 2**20)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield highest
    finally:
        done.set()
        sampler.join()


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
        f"{'duckdb core':<20} {elapsed:7.1f} s  (customs-only {matched[0]:,}, operator-only {matched[1]:,}, "
        f"quantity {matched[2]:,}, negative balances {negative[0]:,}; frames already in memory)",
        flush=True,
    )


def in_child(url: str, how: str, folder: Path) -> float:
    """``timed_run`` (or the DuckDB core) in a fresh process of this script; its seconds."""
    env = os.environ | {"FTZ_DATA_DIR": str(folder / "data")}
    done = subprocess.run([sys.executable, __file__, "--child", how, url, str(folder)], check=True, env=env,
                          stdout=subprocess.PIPE, text=True)  # fmt: skip
    print(done.stdout, end="", flush=True)
    return float(re.search(r"\s([\d,.]+) s\b", done.stdout.splitlines()[-1]).group(1).replace(",", ""))


def compared(seconds: dict[str, float]) -> None:
    """The targets of issue 18, from this run's figures."""
    full, core = seconds.get("full"), seconds.get("core")
    if full and core:
        print(f"full run (the second): {full / core:.1f} times the DuckDB core (target: at most 3)")
    if full and "incremental" in seconds:
        print(f"incremental run: {100 * seconds['incremental'] / full:.0f} % of the full run (the second) "
              "(target: at most 10 %)")  # fmt: skip
    if "full after" in seconds and "incremental" in seconds:
        print(f"incremental run: {100 * seconds['incremental'] / seconds['full after']:.0f} % of a full run over "
              "the same changed ledger (which first adds the day's uploads to the copy)")  # fmt: skip


def fresh(url: str) -> None:
    """An empty PostgreSQL schema for the benchmark (SQLite starts from a new file)."""
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with eng.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        eng.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--steps", default="full,dask,incremental,core",
                        help="which of full, dask, incremental, core to run (comma-separated)")  # fmt: skip
    parser.add_argument("--folder", type=Path, help="keep the data here (a SQLite database already there is reused)")
    parser.add_argument("--loaded", action="store_true",
                        help="the PostgreSQL database already holds the --folder's data")  # fmt: skip
    parser.add_argument("--child", nargs=3, metavar=("HOW", "URL", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        how, url, folder = args.child
        if how in ("load", "changes"):
            (load if how == "load" else changes)(url, Path(folder))
        else:
            duckdb_core(url) if how == "core" else timed_run(url, how)
        return
    steps = args.steps.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        os.environ["FTZ_DATA_DIR"] = str(folder / "data")
        os.environ.setdefault("FTZ_UPLOAD_MAX_ROWS", str(2 * args.n + 1))  # the customs file holds 2N rows' worth
        url = os.environ.get("FTZ_TEST_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
        if not args.loaded and (url.startswith("postgresql") or not (folder / "bench.db").exists()):
            fresh(url)
            generate(folder, args.n)
            print(f"{args.n:,} movements and {args.n:,} customs items on {url.split(':')[0]}: ", end="", flush=True)
            in_child(url, "load", folder)
        seconds = {}
        if "full" in steps:
            in_child(url, "full", folder)  # with no copy of the ledger yet: it makes one
            seconds["full"] = in_child(url, "full", folder)  # again, reading the copy
        if "dask" in steps:
            seconds["dask"] = in_child(url, "dask", folder)
        if "incremental" in steps:
            in_child(url, "changes", folder)
            seconds["incremental"] = in_child(url, "incremental", folder)
            # the full run over the same changed ledger: it brings the copy up to date first
            seconds["full after"] = in_child(url, "full", folder)
        if "core" in steps:
            seconds["core"] = in_child(url, "core", folder)
        compared(seconds)


if __name__ == "__main__":
    main()
