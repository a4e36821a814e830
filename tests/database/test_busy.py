"""Logins and reads go on, without a single 500, while a large import and a large run are under
way: on SQLite they hold the database's one write lock only for their final write."""

import csv
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from ftz.app import create_app
from ftz.auth import service as accounts
from ftz.config import get_settings
from ftz.discrepancies import service as runs
from tests.helpers import MOVEMENT_HEADER, import_movements

ROWS = 60_000
PASSWORD = "correct horse battery staple"


@pytest.fixture
def busy(zone_with_operators: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A database whose writers give up after two seconds waiting for the write lock (30 by
    default): an import or run holding the lock longer fails a login at once."""
    engine = zone_with_operators
    monkeypatch.setenv("FTZ_SQLITE_BUSY_TIMEOUT_MS", "2000")
    get_settings.cache_clear()
    engine.dispose()  # new connections take the shorter timeout
    with Session(engine) as session:
        accounts.create(session, name="aud.busy", role="AUDITOR", password=PASSWORD, actor="test")
        session.commit()
    yield engine
    engine.dispose()


def _movements(path: Path) -> Path:
    """Admissions of ROWS lots, which no customs item declares: a finding per lot once reconciled."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(MOVEMENT_HEADER)
        for i in range(ROWS):
            writer.writerow([f"M{i:07d}", "ADMISSION", f"2026-09-{1 + i % 28:02d}T08:00:00", f"LOT{i:07d}",
                             "8112.92", "vanadium", "1000", "KGM", f"26AE{i:07d}", "KR"] + [""] * 10)  # fmt: skip
    return path


def _meanwhile(work: Callable[[], object], client: TestClient, token: str) -> list[int]:
    """Log in and read, again and again, until ``work`` (in another thread) ends; the statuses."""
    failures: list[BaseException] = []

    def working() -> None:
        try:
            work()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=working)
    statuses = []
    thread.start()
    while thread.is_alive():
        statuses.append(client.post("/api/v1/session", json={"name": "aud.busy", "password": PASSWORD}).status_code)
        statuses.append(client.get("/api/v1/lots", headers={"Authorization": f"Bearer {token}"}).status_code)
    thread.join()
    assert not failures, failures
    return statuses


def test_logins_and_reads_go_on_during_a_large_import_and_a_large_run(busy: Engine, tmp_path: Path):
    with Session(busy) as session:
        _, token = accounts.create_token(session, user_name="aud.busy", scope="read", expires_days=None, actor="test")
        session.commit()
    path = _movements(tmp_path / "movements.csv")
    with TestClient(create_app()) as client:
        during_import = _meanwhile(lambda: import_movements(busy, path), client, token)
        runs.run(busy)  # the first run finds every lot; the next finds them all again, as nightly runs do
        during_run = _meanwhile(lambda: runs.run(busy, full=True), client, token)
    assert len(during_import) >= 4 and len(during_run) >= 4  # the work took long enough to be watched
    assert set(during_import) == {200} and set(during_run) == {200}
