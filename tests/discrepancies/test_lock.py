"""One run at a time, whoever starts it; runs that die, fail or overrun leave the findings as they were."""

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.cli.main import app
from ftz.config import get_settings
from ftz.database import get_engine
from ftz.discrepancies import partitions, service
from ftz.discrepancies.lock import RunInProgress, RunLock
from ftz.discrepancies.models import Discrepancy, Run, RunLease
from ftz.migrations import upgrade
from tests.conftest import BACKENDS
from tests.discrepancies.test_runs import two_lots

runner = CliRunner()


def findings(engine) -> list[tuple]:
    with Session(engine) as session:
        rows = session.execute(select(Discrepancy).order_by(Discrepancy.id)).scalars()
        return [(d.id, d.fingerprint, d.status, d.last_seen_run) for d in rows]


def runs(engine) -> list[Run]:
    with Session(engine) as session:
        return list(session.execute(select(Run).order_by(Run.id)).scalars())


def test_a_run_while_another_holds_the_lock_is_refused_naming_it(engine, tmp_path):
    two_lots(engine, tmp_path)
    started = service.start(engine, started_by="aud.a")
    try:
        with pytest.raises(RunInProgress, match=rf"run {started.run.id}, started .* by aud.a on "):
            service.run(engine)
    finally:
        service.execute(engine, started)
    assert [r.outcome for r in runs(engine)] == ["SUCCEEDED"]


def test_the_command_line_reports_a_run_in_progress_or_waits_for_it(engine, tmp_path):
    two_lots(engine, tmp_path)
    lock = RunLock(engine).acquire()
    busy = runner.invoke(app, ["reconcile"])
    assert busy.exit_code == 1 and "a reconciliation is in progress" in busy.stderr
    threading.Timer(1.5, lock.release).start()
    waited = runner.invoke(app, ["reconcile", "--wait", "1"])
    assert waited.exit_code == 0, waited.output
    assert waited.stdout.startswith("run 1 (full, 2 lots)")


def test_a_second_lock_waits_until_the_first_is_released(engine):
    first = RunLock(engine).acquire()
    threading.Timer(1.0, first.release).start()
    second = RunLock(engine).acquire(wait=10)
    assert second.held()
    with pytest.raises(RunInProgress):
        RunLock(engine).acquire()
    second.release()
    RunLock(engine).acquire().release()


def test_a_lock_holder_killed_frees_the_lock(engine):
    """PostgreSQL frees the advisory lock with the session; SQLite's lease of a dead local process is free."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK],
        env=os.environ | {"FTZ_RUN_LEASE_SECONDS": "3600"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunInProgress):
            RunLock(engine).acquire()
    finally:
        holder.kill()
        holder.wait()
    lock = RunLock(engine).acquire(wait=10)
    assert lock.held()
    lock.release()


HOLD_LOCK = """
import time
from ftz.database import get_engine
from ftz.discrepancies.lock import RunLock
lock = RunLock(get_engine()).acquire()
print("held", flush=True)
time.sleep(600)
"""


@pytest.fixture
def sqlite_engine(tmp_path, settings_env):
    """A database of its own on SQLite, whose lock is a lease row."""
    engine = get_engine(f"sqlite:///{tmp_path / 'lease.db'}")
    upgrade(engine)
    return engine


def test_an_expired_lease_of_another_machine_is_taken_and_a_live_one_is_not(sqlite_engine):
    engine, now = sqlite_engine, datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(update(RunLease).values(holder="other-host:123:ab", expires_at=now + timedelta(minutes=5)))
    with pytest.raises(RunInProgress):
        RunLock(engine).acquire()
    with engine.begin() as conn:
        conn.execute(update(RunLease).values(expires_at=now - timedelta(seconds=1)))
    lock = RunLock(engine).acquire()
    assert lock.held()
    lock.release()


def test_a_run_left_running_by_a_dead_process_is_marked_abandoned_by_the_next(engine, tmp_path):
    two_lots(engine, tmp_path)
    service.run(engine)
    before = findings(engine)
    dead = service.start(engine)
    dead.lock.release()  # as if its process had been killed: the lock goes, the run stays RUNNING
    assert service.mark_abandoned(engine) == [dead.run.id]
    assert findings(engine) == before
    service.run(engine)
    outcomes = [(r.outcome, r.error is not None) for r in runs(engine)]
    assert outcomes == [("SUCCEEDED", False), ("ABANDONED", True), ("SUCCEEDED", False)]


def test_a_run_past_its_time_limit_is_stopped_and_marked(engine, tmp_path, monkeypatch):
    two_lots(engine, tmp_path)
    service.run(engine)
    before = findings(engine)
    monkeypatch.setenv("FTZ_RUN_TIME_LIMIT_MINUTES", "0")
    get_settings.cache_clear()
    with pytest.raises(service.TimedOut, match="past its time limit of 0 minutes"):
        service.run(engine, full=True)
    last = runs(engine)[-1]
    assert last.outcome == "TIMED_OUT" and "time limit" in last.error and last.finished_at is not None
    assert findings(engine) == before
    with RunLock(engine).acquire() as lock:  # the lock was given back
        assert lock.held()


# SQLite cancels no statement (the limit is checked between steps): PostgreSQL only
@pytest.mark.parametrize("migrated_url", [b for b in BACKENDS if b == "postgresql"], indirect=True)
def test_a_write_of_new_findings_the_database_cancels_at_the_time_limit_marks_the_run_timed_out(
    engine, tmp_path, monkeypatch
):
    two_lots(engine, tmp_path)
    monkeypatch.setenv("FTZ_RUN_TIME_LIMIT_MINUTES", "0.05")  # 3 s
    get_settings.cache_clear()
    with engine.connect() as auditor:  # new findings (written by COPY) wait for this lock to go
        auditor.execute(text("LOCK TABLE discrepancy IN SHARE MODE"))
        with pytest.raises(service.TimedOut, match="past its time limit"):
            service.run(engine, full=True)
    last = runs(engine)[-1]
    assert last.outcome == "TIMED_OUT" and findings(engine) == []


def test_a_failed_night_is_retried_by_the_next_night_not_again_for_the_same(engine, tmp_path, monkeypatch):
    two_lots(engine, tmp_path)
    night = datetime(2026, 11, 23, 2, tzinfo=UTC)
    monkeypatch.setattr(partitions, "reconcile", lambda _inputs: (_ for _ in ()).throw(RuntimeError("disk full")))
    with pytest.raises(RuntimeError):
        service.run(engine, zone_code="ZFX", started_by="scheduler", scheduled_for=night)
    monkeypatch.undo()
    with pytest.raises(service.AlreadyRun, match="was done by run 1 \\(FAILED"):
        service.run(engine, zone_code="ZFX", started_by="scheduler", scheduled_for=night)
    service.run(engine, zone_code="ZFX", started_by="scheduler", scheduled_for=night + timedelta(days=1))
    assert [(r.outcome, r.scheduled_for.day) for r in runs(engine)] == [("FAILED", 23), ("SUCCEEDED", 24)]


def test_the_database_keeps_one_run_per_zone_and_night(engine, tmp_path):
    two_lots(engine, tmp_path)
    night = datetime(2026, 11, 23, 2, tzinfo=UTC)
    service.run(engine, zone_code="ZFX", scheduled_for=night)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO run (started_at, zone_code, "full", outcome, counts, new, seen_again, closed, '
                'reference_versions, seen, started_by, scheduled_for) SELECT started_at, zone_code, "full", '
                "'SUCCEEDED', counts, 0, 0, 0, reference_versions, seen, 'x', scheduled_for FROM run"
            )
        )
