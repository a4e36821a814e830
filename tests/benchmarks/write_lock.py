"""How long SQLite's write lock is held by an import, a re-sent file and full runs.

Run: `python tests/benchmarks/write_lock.py [N]` (default 100,000). A probe thread takes the
write lock (BEGIN IMMEDIATE) every 50 ms; the longest it waited during each step is about how
long the step held the lock. Prints, per step, its time and the probe's longest wait.
"""

import os
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[2]))

from import_speed import generate


def probed(path: Path, step: Callable[[], object]) -> tuple[float, float]:
    """The step's time and the longest the probe waited for the write lock meanwhile."""
    longest, done = 0.0, threading.Event()

    def probe() -> None:
        nonlocal longest
        conn = sqlite3.connect(path, timeout=600, isolation_level=None)
        while not done.is_set():
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            longest = max(longest, time.perf_counter() - start)
            time.sleep(0.05)
        conn.close()

    thread = threading.Thread(target=probe)
    start = time.perf_counter()
    thread.start()
    step()
    elapsed = time.perf_counter() - start
    done.set()
    thread.join()
    return elapsed, longest


def main(rows: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ftz-lock-"))
    database = folder / "ftz.db"
    os.environ["FTZ_DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["FTZ_DATA_DIR"] = str(folder / "data")
    from sqlmodel import Session

    from ftz.database import get_engine
    from ftz.discrepancies import service as runs
    from ftz.ingest import service
    from ftz.ingest.lists import ensure_shipped
    from ftz.migrations import upgrade
    from ftz.zones import service as zones
    from ftz.zones.models import OperatorBase, ZoneBase

    engine = get_engine(os.environ["FTZ_DATABASE_URL"])
    upgrade(engine)
    ensure_shipped(engine)
    with Session(engine) as session:
        zones.create_zone(session, zone_in=ZoneBase(code="ZB", name="bench", country="AE", timezone=""))
        zones.create_operator(session, operator_in=OperatorBase(code="OPB", name="bench"), zone_code="ZB")
        session.commit()
    movements = folder / "movements.csv"
    generate(movements, rows)

    def load() -> None:
        service.import_movements(engine, source=movements, filename=movements.name, operator_code="OPB",
                                 sent_by="bench")  # fmt: skip

    steps = [
        (f"import of {rows:,} rows", load),
        ("the same file re-sent", load),
        ("first full run", lambda: runs.run(engine, full=True)),
        ("full run, findings seen again", lambda: runs.run(engine, full=True)),
    ]
    for name, step in steps:
        elapsed, held = probed(database, step)
        print(f"{name:32} {elapsed:6.1f} s, write lock held about {held:4.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
