"""Import speed: N generated movements into SQLite and PostgreSQL, against pandas.read_csv alone.

Run: `make bench`, or `python tests/benchmarks/import_speed.py [N]` with FTZ_TEST_DATABASE_URL
set for PostgreSQL. Prints rows per second and peak memory (RSS of a fresh process) per backend.
"""

import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

HEADER = [
    "movement_ref", "movement_type", "occurred_at", "lot_ref", "hs_code", "description", "quantity", "unit",
    "customs_ref", "origin_country", "destination_country", "intended_destination", "removal_kind",
    "counterparty", "control_code", "process_ref", "value", "currency", "corrects_ref", "note",
]  # fmt: skip


def generate(path: Path, rows: int) -> None:
    """Admissions and removals over about a third as many lots, as a zone's year might hold."""
    rng = random.Random(7)
    goods = [("8112920000", "vanadium, unwrought", "KGM"), ("9026200000", "pressure transducers", "NAR"),
             ("0810909000", "fresh fruit, other", "KGM"), ("2710124100", "motor spirit", "LTR")]  # fmt: skip
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(rows):
            lot = i // 3
            hs, text, unit = goods[lot % len(goods)]
            day = 1 + lot % 28
            if i % 3 == 0:
                row = [f"M{i:08d}", "ADMISSION", f"2026-09-{day:02d}T08:{i % 60:02d}:00", f"LOT{lot:07d}", hs, text,
                       f"{rng.randint(100, 99999)}.{rng.randint(0, 999):03d}", unit, f"26AE{lot:08d}", "KR", "", "",
                       "", "Supplier", "", "", "12500.00", "USD", "", ""]  # fmt: skip
            else:
                row = [f"M{i:08d}", "REMOVAL", f"2026-10-{day:02d}T09:{i % 60:02d}:00", f"LOT{lot:07d}", hs, text,
                       f"{rng.randint(1, 99)}.5", unit, f"26RE{i:08d}", "", "DE", "", "RE_EXPORT", "Buyer", "", "",
                       "", "", "", ""]  # fmt: skip
            writer.writerow(row)


CHILD = """
import resource, sys, time
from pathlib import Path
from ftz.database import get_engine
from ftz.migrations import upgrade
from ftz.ingest.lists import ensure_shipped
from ftz.ingest import service
from ftz.zones import service as zones
from ftz.zones.models import ZoneBase, OperatorBase
from sqlmodel import Session
url, path = sys.argv[1], Path(sys.argv[2])
engine = get_engine(url)
upgrade(engine)
ensure_shipped(engine)
with Session(engine) as s:
    zones.create_zone(s, zone_in=ZoneBase(code="ZB", name="bench", country="AE", timezone=""))
    zones.create_operator(s, operator_in=OperatorBase(code="OPB", name="bench"), zone_code="ZB")
    s.commit()
start = time.perf_counter()
report = service.import_movements(engine, source=path, filename=path.name, operator_code="OPB", sent_by="bench")
elapsed = time.perf_counter() - start
assert report.accepted and report.rows_new == report.rows_total, report.errors[:3]
print(elapsed, report.rows_total, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

PANDAS = """
import resource, sys, time
import pandas as pd
start = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
print(time.perf_counter() - start, len(frame), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measure(script: str, *args: str, env: dict | None = None) -> tuple[float, int, float]:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env)
    if out.returncode:
        raise SystemExit(out.stderr)
    elapsed, rows, rss_kb = out.stdout.split()
    return float(elapsed), int(rows), int(rss_kb) / 1024


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "movements.csv"
        generate(path, rows)
        size = path.stat().st_size / 1024**2
        print(f"{rows:,} movements, {size:.0f} MB CSV, {os.cpu_count()} cores")
        base, _, base_mb = measure(PANDAS, str(path))
        print(f"pandas.read_csv alone      {base:6.2f} s  {rows / base:>9,.0f} rows/s  peak {base_mb:5.0f} MB")
        targets = [("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}")]
        if os.environ.get("FTZ_TEST_DATABASE_URL"):
            targets.append(("PostgreSQL", os.environ["FTZ_TEST_DATABASE_URL"]))
        for name, url in targets:
            if name == "PostgreSQL":
                reset_postgres(url)
            env = os.environ | {"FTZ_DATA_DIR": str(Path(tmp) / "data")}
            elapsed, done, peak = measure(CHILD, url, str(path), env=env)
            print(
                f"ftz import into {name:<10} {elapsed:6.2f} s  {done / elapsed:>9,.0f} rows/s  "
                f"peak {peak:5.0f} MB  {elapsed / base:4.1f}x read_csv"
            )
        if targets[-1][0] == "PostgreSQL":
            reset_postgres(targets[-1][1])


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
