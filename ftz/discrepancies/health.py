"""How the reconciliation is doing: the last successful run and its age, the next ones
scheduled, and the figures /metrics exports. Customs-wide, never one caller's view."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from ftz.config import get_settings
from ftz.database import utcnow
from ftz.discrepancies.models import Discrepancy, Run, RunOutcome, Status
from ftz.scheduler.models import apscheduler_jobs


@dataclass
class Freshness:
    """When reconciliation last succeeded, and whether that is too long ago."""

    last: Run | None
    age: timedelta | None
    stale: bool

    @property
    def message(self) -> str:
        if self.last is None:
            return "No reconciliation has succeeded yet: discrepancies are not being found"
        when = self.last.finished_at.strftime("%Y-%m-%d %H:%M UTC")
        text = f"Last successful reconciliation: run {self.last.id}, finished {when} ({_ago(self.age)} ago)"
        if self.stale:
            hours = get_settings().stale_run_hours
            return f"{text}: older than {hours:g} hours, discrepancies may be out of date"
        return text


def freshness(session: Session, *, now: datetime | None = None) -> Freshness:
    """The last successful run, its age, and whether it is older than FTZ_STALE_RUN_HOURS."""
    now = now or utcnow()
    last = session.execute(
        select(Run).where(Run.outcome == RunOutcome.SUCCEEDED).order_by(Run.finished_at.desc()).limit(1)
    ).scalar_one_or_none()
    if last is None:
        return Freshness(None, None, True)
    age = now - last.finished_at
    return Freshness(last, age, age > timedelta(hours=get_settings().stale_run_hours))


def scheduled(session: Session) -> list[tuple[str, datetime]]:
    """The scheduler's jobs and their next run, soonest first (empty when no scheduler ever ran)."""
    rows = session.execute(
        select(apscheduler_jobs.c.id, apscheduler_jobs.c.next_run_time).order_by(apscheduler_jobs.c.next_run_time)
    )
    return [(job, datetime.fromtimestamp(at, UTC)) for job, at in rows if at is not None]


@dataclass
class Figures:
    """What /metrics exports, read from the database (so every process reports the same)."""

    runs: dict[str, int]  # by outcome
    durations: list[tuple[str, float]]  # (outcome, seconds) of every finished run
    open_findings: dict[tuple[str, str], int]  # (kind, severity) -> open discrepancies
    last_success: datetime | None
    last_finish: datetime | None
    running: int


def figures(session: Session) -> Figures:
    """Run counts and durations, open findings per kind, the last success."""
    runs = dict(session.execute(select(Run.outcome, func.count()).group_by(Run.outcome)).all())
    finished = session.execute(
        select(Run.outcome, Run.started_at, Run.finished_at).where(Run.finished_at.is_not(None))
    ).all()
    findings = session.execute(
        select(Discrepancy.kind, Discrepancy.severity, func.count())
        .where(Discrepancy.status != Status.CLOSED)
        .group_by(Discrepancy.kind, Discrepancy.severity)
    ).all()
    successes = [f for o, _, f in finished if o == RunOutcome.SUCCEEDED]
    return Figures(
        runs={str(k): int(v) for k, v in runs.items()},
        durations=[(o, max((f - s).total_seconds(), 0.0)) for o, s, f in finished],
        open_findings={(k, s): int(n) for k, s, n in findings},
        last_success=max(successes, default=None),
        last_finish=max((f for _, _, f in finished), default=None),
        running=int(runs.get(RunOutcome.RUNNING, 0)),
    )


def _ago(age: timedelta | None) -> str:
    seconds = int(age.total_seconds()) if age else 0
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
