"""Fixtures: a migrated database per backend (SQLite always, PostgreSQL when configured), emptied per test."""

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session

from ftz.config import get_settings
from ftz.database import get_engine
from ftz.ingest import lists
from ftz.migrations import upgrade
from ftz.zones import service as zones
from ftz.zones.models import OperatorBase, ZoneBase

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("FTZ_TEST_DATABASE_URL") else [])
TABLES = [
    "examination", "selectivity", "profile_version",
    "report_finding", "question", "hold", "licence", "discrepancy_note", "discrepancy", "run", "movement",
    "customs_entry", "stock_count", "upload", "api_token", "login_session", "login_attempt", "auditor_zone",
    "user_account", "audit_event", "operator", "zone", "apscheduler_jobs",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _no_log_handler_left() -> Iterator[None]:
    """A command that sets up logging (``ftz reconcile``) leaves no handler writing to the next
    test's standard error: each test reads its own output."""
    root = logging.getLogger()
    level = root.level
    yield
    for handler in [h for h in root.handlers if getattr(h, "ftz", False)]:
        root.removeHandler(handler)
    root.setLevel(level)


def _url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'ftz.db'}"
    url = os.environ["FTZ_TEST_DATABASE_URL"]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _database_of(url, worker) if worker else url


def _database_of(url: str, worker: str) -> str:
    """A database of the worker's own beside the given one (made once): parallel workers
    (pytest -n) never empty each other's tables."""
    server, _, name = url.rpartition("/")
    own = f"{name}_{worker}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own}).first() is None:
            conn.execute(text(f'CREATE DATABASE "{own}"'))
    engine.dispose()
    return f"{server}/{own}"


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database URL whose schema was built by the migrations (from nothing, once per run)."""
    url = _url(request.param, tmp_path_factory)
    if request.param == "postgresql":
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(get_engine(url))
    # Imports check HS codes against the nomenclature in force: load what ftz ships, as
    # `ftz db upgrade` does on a fresh database. Tests keep these lists (they are not emptied).
    lists.ensure_shipped(get_engine(url))
    return url


@pytest.fixture
def settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings read afresh, with uploaded files kept in this test's own folder."""
    monkeypatch.setenv("FTZ_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def engine(migrated_url: str, settings_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The test database, empty, and configured as the application's database."""
    monkeypatch.setenv("FTZ_DATABASE_URL", migrated_url)
    get_settings.cache_clear()
    engine = get_engine(migrated_url)
    _empty(engine)
    yield engine
    _empty(engine)


def _empty(engine: Engine) -> None:
    """Remove every record a test may have made; the reference lists shipped stay."""
    with engine.begin() as conn:
        shipped = "SELECT id FROM reference_version WHERE loaded_by = 'ftz db upgrade'"
        for table in ("hs_code", "control_correlation", "destination_risk", "strategic_term", "denied_party"):
            conn.execute(text(f"DELETE FROM {table} WHERE version_id NOT IN ({shipped})"))
        conn.execute(text(f"DELETE FROM reference_version WHERE id NOT IN ({shipped})"))
        if engine.dialect.name == "postgresql":
            # the ledger and the audit trail refuse TRUNCATE: lifted for this transaction only
            guarded = ("movement", "customs_entry", "stock_count", "upload", "audit_event")
            for table in guarded:
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
            for table in guarded:
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        else:
            with sqlite_triggers_off(conn):
                for table in TABLES:
                    conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text("UPDATE audit_head SET seq = 0, hash = :genesis, signature = NULL"), {"genesis": "0" * 64})
        conn.execute(text("UPDATE run_lease SET holder = NULL, expires_at = NULL"))


@contextmanager
def sqlite_triggers_off(conn) -> Iterator[None]:
    """Every trigger (the audit trail's and the ledger's append-only ones among them) lifted
    for a moment, to empty the tables or tamper with them as the database's owner could."""
    triggers = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
    for name, _ in triggers:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    for _, sql in triggers:
        conn.exec_driver_sql(sql)


@pytest.fixture
def zone_with_operators(engine: Engine) -> Engine:
    """Zone ZFX (Asia/Dubai) with operators OP001 to OP003, registered as the CLI does."""
    with Session(engine) as session:
        zones.create_zone(session, zone_in=ZoneBase(code="ZFX", name="Sample zone", country="AE", timezone=""))
        for code in ("OP001", "OP002", "OP003"):
            zones.create_operator(
                session, operator_in=OperatorBase(code=code, name=f"Operator {code}"), zone_code="ZFX"
            )
        session.commit()
    return engine
