"""Queue page speed: the auditors' queue with N findings in the database (default 1,000,000).

Run: `python tests/benchmarks/queue_speed.py [N]` with FTZ_TEST_DATABASE_URL set to a
PostgreSQL database it may empty (otherwise a SQLite file). Prints the server time of the
queue page (the HTML the browser gets), first page and later pages, with and without
filters: the median and the slowest of 20 requests each.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

KINDS = ["QUANTITY_MISMATCH", "UNDECLARED_REMOVAL", "STOCK_SHORTAGE", "LATE_RECORD", "DESTINATION_CHANGE"]
PASSWORD = "benchmark-password"


def fill(url: str, n: int) -> None:
    """Zones, operators, one run and N findings, written in bulk (the engine is not what is measured)."""
    from sqlalchemy import insert, text
    from sqlmodel import Session

    from ftz.auth import service as accounts
    from ftz.database import get_engine, utcnow
    from ftz.discrepancies.models import Run
    from ftz.ingest.lists import ensure_shipped
    from ftz.migrations import upgrade
    from ftz.zones import service as zones
    from ftz.zones.models import OperatorBase, ZoneBase

    engine = get_engine(url)
    upgrade(engine)
    ensure_shipped(engine)
    with Session(engine) as s:
        for z in ("ZQA", "ZQB"):
            zones.create_zone(s, zone_in=ZoneBase(code=z, name=z, country="AE", timezone=""))
            for k in range(5):
                zones.create_operator(s, operator_in=OperatorBase(code=f"{z}OP{k}", name=z), zone_code=z)
        accounts.create(s, name="auditor", role="AUDITOR", password=PASSWORD, zone_codes=["ZQA"], actor="bench")
        s.commit()
    with engine.begin() as conn:
        conn.execute(
            insert(Run.__table__).values(
                outcome="SUCCEEDED",
                full=True,
                started_at=utcnow(),
                counts={},
                reference_versions={},
                seen={},
                new=0,
                seen_again=0,
                closed=0,
            )
        )
        rows = []
        for i in range(n):
            rows.append({
                "f": f"{i:064x}", "k": KINDS[i % len(KINDS)], "z": 1 + (i % 2), "o": 1 + (i % 10),
                "l": f"LOT{i:08d}", "s": i % 7 == 0, "sev": ["LOW", "MEDIUM", "HIGH", "CRITICAL"][i % 4],
                "r": (i * 7919) % 101, "st": "CLOSED" if i % 10 == 9 else "OPEN",
            })  # fmt: skip
            if len(rows) == 50_000 or i == n - 1:
                conn.execute(
                    text(
                        "INSERT INTO discrepancy (fingerprint, kind, zone_id, operator_id, lot_ref, strategic, "
                        "control_codes, severity, risk_score, evidence, status, first_seen_run, last_seen_run, "
                        "created_at, updated_at) VALUES (:f, :k, :z, :o, :l, :s, '', :sev, :r, '{}', :st, 1, 1, "
                        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    ),
                    rows,
                )
                rows = []
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE discrepancy"))


def timed(client, path: str, repeat: int = 20) -> tuple[float, float, object]:
    times, response = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text[:300]
    return statistics.median(times), max(times), response


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("FTZ_TEST_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.db'}"
        os.environ["FTZ_DATABASE_URL"], os.environ["FTZ_DATA_DIR"] = url, str(Path(tmp) / "data")
        if url.startswith("postgresql"):
            from import_speed import reset_postgres

            reset_postgres(url)
        start = time.perf_counter()
        fill(url, n)
        print(f"{n:,} findings on {url.split(':')[0]}, written in {time.perf_counter() - start:.0f} s", flush=True)
        from fastapi.testclient import TestClient

        from ftz.app import create_app

        with TestClient(create_app()) as client:
            client.post("/api/v1/session", json={"name": "auditor", "password": PASSWORD})
            first = "/discrepancies"
            median, worst, page = timed(client, first)
            print(f"queue, first page           median {median:6.1f} ms  slowest {worst:6.1f} ms")
            cursor = page.text.split("cursor=")[1].split('"')[0]
            median, worst, _ = timed(client, f"/discrepancies?cursor={cursor}")
            print(f"queue, next page            median {median:6.1f} ms  slowest {worst:6.1f} ms")
            for label, query in [
                ("kind", "kind=STOCK_SHORTAGE"),
                ("strategic, severity", "strategic=yes&severity=HIGH"),
                ("operator", "operator=ZQAOP2"),
                ("status ESCALATED (rare)", "status=ESCALATED"),
            ]:
                median, worst, _ = timed(client, f"/discrepancies?{query}")
                print(f"queue, {label:<20} median {median:6.1f} ms  slowest {worst:6.1f} ms")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
