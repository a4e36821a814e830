"""`ftz runs`: when reconciliation last succeeded, a warning past a day, what is scheduled next."""

from datetime import UTC, timedelta

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from ftz.cli.main import app
from ftz.database import utcnow
from ftz.discrepancies import partitions, service
from ftz.discrepancies.models import Run
from ftz.scheduler import service as schedule
from tests.discrepancies.test_runs import two_lots

runner = CliRunner()


def test_runs_lists_the_last_success_and_no_warning_when_it_is_recent(engine, tmp_path):
    two_lots(engine, tmp_path)
    service.run(engine, started_by="cli:ana")
    result = runner.invoke(app, ["runs", "--check"])
    assert result.exit_code == 0, result.output
    first, *_, last = result.stdout.splitlines()
    assert first.startswith("Last successful reconciliation: run 1, finished ") and "WARNING" not in result.stdout
    assert "SUCCEEDED" in last and "cli:ana" in last and "2 (2 new, 0 closed)" in last


def test_runs_warns_when_the_last_success_is_over_a_day_old_and_check_fails(engine, tmp_path):
    two_lots(engine, tmp_path)
    service.run(engine)
    with engine.begin() as conn:
        conn.execute(update(Run).values(finished_at=utcnow() - timedelta(days=2)))
    listed = runner.invoke(app, ["runs"])
    assert listed.exit_code == 0
    assert listed.stdout.startswith("WARNING: Last successful reconciliation: run 1")
    assert "(2 days ago): older than 24 hours" in listed.stdout
    checked = runner.invoke(app, ["runs", "--check"])
    assert checked.exit_code == 1 and "older than 24 hours" in checked.stderr


def test_runs_warns_when_nothing_ever_succeeded(engine):
    result = runner.invoke(app, ["runs", "--check"])
    assert result.exit_code == 1
    assert result.stdout.startswith("WARNING: No reconciliation has succeeded yet")


def test_runs_shows_the_next_scheduled_night_of_each_zone(engine, tmp_path):
    two_lots(engine, tmp_path)  # zone ZFX, registered in Asia/Dubai (from its country)
    scheduler = schedule.create(engine)
    scheduler.start(paused=True)
    schedule.sync(scheduler, engine)
    at = scheduler.get_job(schedule.job_id("ZFX")).next_run_time
    scheduler.shutdown()
    assert (at.hour, at.minute, str(at.tzinfo)) == (2, 0, "Asia/Dubai")
    result = runner.invoke(app, ["runs"])
    assert f"next: nightly:ZFX at {at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" in result.stdout


def test_runs_warns_about_a_zone_whose_own_runs_keep_failing_while_another_s_succeed(engine, tmp_path, monkeypatch):
    two_lots(engine, tmp_path)  # zone ZFX
    assert runner.invoke(app, ["zone", "add", "ZFY", "--name", "Y", "--country", "AE"]).exit_code == 0
    service.run(engine, zone_code="ZFX")
    monkeypatch.setattr(partitions, "reconcile", lambda _inputs: (_ for _ in ()).throw(RuntimeError("disk full")))
    with pytest.raises(RuntimeError):
        service.run(engine, zone_code="ZFY")
    result = runner.invoke(app, ["runs", "--check"])
    assert result.exit_code == 1
    assert result.stdout.startswith("WARNING: Last successful reconciliation: run 1")
    assert "zones not reconciled for over 24 hours: ZFY" in result.stdout.splitlines()[0]
