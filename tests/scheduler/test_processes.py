"""The scheduler as an administrator runs it: processes that race, die and come back, and nights missed."""

import logging
import signal
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.cli.main import app
from ftz.config import get_settings
from ftz.discrepancies import service
from ftz.discrepancies.models import Discrepancy, Run
from ftz.scheduler import service as schedule
from tests.helpers import import_customs, import_movements
from tests.scheduler.conftest import Process, daily_at, wait_for

SAMPLE = Path(__file__).parents[1] / "fixtures" / "zone-sample"
SCHEDULER = ["-m", "ftz.cli.main", "scheduler"]
runner = CliRunner()

# A scheduler whose run stops inside its writing transaction (findings written, not committed),
# for the test to kill it there: the worst moment to lose a process.
PAUSED_SCHEDULER = """
import logging, time
from ftz.discrepancies import findings
write = findings.apply
def paused(*args, **kwargs):
    write(*args, **kwargs)
    logging.getLogger("test").warning("paused inside the write")
    time.sleep(600)
findings.apply = paused
from ftz.cli.main import app
app(["scheduler"])
"""


def nightly_at(moment: datetime) -> dict[str, str]:
    return {"FTZ_SCHEDULE": daily_at(moment), "FTZ_SCHEDULE_TIMEZONE": "UTC"}


@pytest.fixture
def zone(engine):
    """The sample zone's customs entries and its first operator's movements."""
    assert runner.invoke(app, ["zone", "add", "ZFX", "--name", "Sample", "--country", "AE"]).exit_code == 0
    for code in ("OP001", "OP002", "OP003"):
        assert runner.invoke(app, ["operator", "add", code, "--zone", "ZFX", "--name", code]).exit_code == 0
    assert import_customs(engine, SAMPLE / "customs.csv").accepted
    assert import_movements(engine, SAMPLE / "movements_OP001.csv", "OP001").accepted
    return engine


def runs(engine) -> list[Run]:
    with Session(engine) as session:
        return list(session.execute(select(Run).order_by(Run.id)).scalars())


def findings(engine) -> list[tuple]:
    with Session(engine) as session:
        rows = session.execute(select(Discrepancy).order_by(Discrepancy.id)).scalars()
        return [(d.id, d.fingerprint, d.status, d.last_seen_run, d.operator_id) for d in rows]


def started_before(process: Process, moment: datetime) -> None:
    left = (moment - datetime.now(UTC)).total_seconds() - 1
    process.wait_until_said("scheduler started", timeout=max(left, 0.5))


def test_two_schedulers_firing_the_same_night_make_one_run(zone, processes, soon):
    processes += [Process(SCHEDULER, nightly_at(soon)), Process(SCHEDULER, nightly_at(soon))]
    for process in processes:
        started_before(process, soon)
    # They share the job store: the second fires too and finds the night done, unless it woke
    # after the first had moved the shared job on to the next night (a machine under load)
    fired = lambda p: p.said("reconciled for the night") or p.said("nothing to do")  # noqa: E731
    wait_for(lambda: any(fired(p) for p in processes), 60, f"a scheduler to fire: {[p.lines for p in processes]}")
    settled = time.monotonic() + 10
    wait_for(lambda: all(fired(p) for p in processes) or time.monotonic() > settled, 30, "the other scheduler")
    for process in processes:
        process.stop()
    assert [(r.outcome, r.scheduled_for, r.started_by) for r in runs(zone)] == [("SUCCEEDED", soon, "scheduler")]
    assert sum(p.said("reconciled for the night") for p in processes) == 1
    other = next(p for p in processes if not p.said("reconciled for the night"))
    assert not any(line.get("level") == "ERROR" for line in other.lines), other.lines
    assert other.said("was done by run 1 (SUCCEEDED") or not other.said("nothing to do")


def test_a_run_killed_mid_way_leaves_the_findings_before_it_and_is_run_again(zone, processes, soon):
    service.run(zone)
    before = findings(zone)
    assert import_movements(zone, SAMPLE / "movements_OP002.csv", "OP002").accepted
    killed = Process(["-c", PAUSED_SCHEDULER], nightly_at(soon))
    processes.append(killed)
    started_before(killed, soon)
    killed.wait_until_said("paused inside the write", timeout=60)
    killed.stop(signal.SIGKILL)
    assert findings(zone) == before
    assert [r.outcome for r in runs(zone)] == ["SUCCEEDED", "RUNNING"]

    again = Process(SCHEDULER, nightly_at(soon))
    processes.append(again)
    again.wait_until_said("reconciled for the night", timeout=60)
    again.stop()
    assert again.said("marked ABANDONED")
    assert [(r.outcome, r.scheduled_for) for r in runs(zone)] == [
        ("SUCCEEDED", None), ("ABANDONED", soon), ("SUCCEEDED", soon)
    ]  # fmt: skip
    found_before, found_after = ({row[1] for row in rows} for rows in (before, findings(zone)))
    assert found_after != found_before  # the second file's findings, which the killed run never committed
    check = service.run(zone, full=True)
    assert (check.new, check.closed) == (0, 0)  # the run again found all there was


def test_a_missed_week_gives_one_catch_up_run(zone, monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    last_night = (datetime.now(UTC) - timedelta(hours=1)).replace(second=0, microsecond=0)
    monkeypatch.setenv("FTZ_SCHEDULE", f"{last_night.minute} {last_night.hour} * * *")
    monkeypatch.setenv("FTZ_SCHEDULE_TIMEZONE", "UTC")
    # a grace time longer than the week: every missed night is still due, and coalescing makes them one
    monkeypatch.setenv("FTZ_MISFIRE_GRACE_HOURS", str(8 * 24))
    get_settings.cache_clear()
    # The scheduler was last up a week ago: its stored job is still due for the night a week back.
    down = schedule.create(zone)
    down.start(paused=True)
    schedule.sync(down, zone)
    down.shutdown()
    store = SQLAlchemyJobStore(engine=zone)
    store.start(down, "default")
    job = store.lookup_job(schedule.job_id("ZFX"))
    job._modify(next_run_time=last_night - timedelta(days=7))
    store.update_job(job)

    scheduler = schedule.start(zone)
    try:
        wait_for(lambda: any(r.finished_at for r in runs(zone)), 60, "the catch-up run")
        job = scheduler.get_job(schedule.job_id("ZFX"))
    finally:
        scheduler.shutdown()
    assert [(r.outcome, r.scheduled_for) for r in runs(zone)] == [("SUCCEEDED", last_night)]
    assert job.next_run_time == last_night + timedelta(days=1)  # nothing more is due
    # the job itself ran once: the seven nights before were not each tried and found done
    assert [r for r in caplog.records if r.getMessage().startswith("nothing to do")] == []
    assert len([r for r in caplog.records if r.getMessage().startswith("Running job")]) == 1


def test_the_web_process_with_its_scheduler_runs_the_night_and_its_metrics_show_it(zone, processes, soon):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve = Process(["-m", "ftz.cli.main", "serve", "--port", str(port), "--with-scheduler"], nightly_at(soon))
    processes.append(serve)
    started_before(serve, soon)
    serve.wait_until_said("reconciled for the night", timeout=60)
    metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    serve.stop()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(metrics)
        for s in family.samples
    }
    assert samples[("ftz_runs_total", (("outcome", "SUCCEEDED"),))] == 1
    assert samples[("ftz_run_duration_seconds_count", (("outcome", "SUCCEEDED"),))] == 1
    assert 0 <= samples[("ftz_last_successful_run_age_seconds", ())] < 60
    with Session(zone) as session:
        stored = len(session.execute(select(Discrepancy)).all())
    exported = sum(v for (name, _), v in samples.items() if name == "ftz_discrepancies_open")
    assert exported == stored > 0


def test_a_run_whose_dead_process_still_held_the_lock_is_found_and_run_again_once_the_lock_is_free(zone, monkeypatch):
    last_night = (datetime.now(UTC) - timedelta(hours=1)).replace(second=0, microsecond=0)
    monkeypatch.setenv("FTZ_SCHEDULE", f"{last_night.minute} {last_night.hour} * * *")
    monkeypatch.setenv("FTZ_SCHEDULE_TIMEZONE", "UTC")
    get_settings.cache_clear()
    service.run(zone, zone_code="ZFX", started_by="scheduler", scheduled_for=last_night - timedelta(days=1))
    dead = service.start(zone, zone_code="ZFX", started_by="scheduler", scheduled_for=last_night)
    # The process died, but the database has not noticed yet: the lock is still held.
    scheduler = schedule.start(zone)
    try:
        assert [r.outcome for r in runs(zone)] == ["SUCCEEDED", "RUNNING"]
        dead.lock.release()  # the server ends the dead session
        schedule.maintain(scheduler, zone)  # what the scheduler does every few minutes
        wait_for(lambda: len(runs(zone)) == 3 and runs(zone)[-1].finished_at, 60, "the night run again")
    finally:
        scheduler.shutdown()
    outcomes = [(r.outcome, r.scheduled_for) for r in runs(zone)][1:]
    assert outcomes == [("ABANDONED", last_night), ("SUCCEEDED", last_night)]
