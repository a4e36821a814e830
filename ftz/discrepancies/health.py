"""How the reconciliation is doing: the last successful run and its age, the next ones
scheduled, and the figures /metrics exports. Customs-wide, never one caller's view."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from ftz.config import get_settings
from ftz.database import utcnow
from ftz.discrepancies.models import Discrepancy, Run, RunOutcome, Status
from ftz.scheduler.models import apscheduler_jobs
from ftz.zones.models import Zone


@dataclass
class Freshness:
    """When reconciliation last succeeded, and whether that (or any zone's own) is too long ago."""

    last: Run | None
    age: timedelta | None
    stale: bool
    behind: list[str] = field(default_factory=list)  # zones not reconciled successfully within the limit

    @property
    def message(self) -> str:
        hours = get_settings().stale_run_hours
        zones = f"; zones not reconciled for over {hours:g} hours: {', '.join(self.behind)}" if self.behind else ""
        if self.last is None:
            return "No reconciliation has succeeded yet: discrepancies are not being found"
        when = self.last.finished_at.strftime("%Y-%m-%d %H:%M UTC")
        text = f"Last successful reconciliation: run {self.last.id}, finished {when} ({_ago(self.age)} ago)"
        if self.age > timedelta(hours=hours):
            return f"{text}: older than {hours:g} hours, discrepancies may be out of date{zones}"
        return text + zones


def freshness(session: Session, *, now: datetime | None = None, zones: set[str] | None = None) -> Freshness:
    """The last successful run, its age, and the zones (of ``zones``, if given) whose last
    success (a run of the zone, or of every zone) is older than FTZ_STALE_RUN_HOURS."""
    now = now or utcnow()
    limit = timedelta(hours=get_settings().stale_run_hours)
    behind = []
    for zone in session.execute(select(Zone).order_by(Zone.code)).scalars():
        if zones is not None and zone.code not in zones:
            continue
        zone_last = _last_success(session, zone)
        if zone_last is None or now - zone_last.finished_at > limit:
            behind.append(zone.code)
    last = _last_success(session, None)
    if last is None:
        return Freshness(None, None, True, behind)
    age = now - last.finished_at
    return Freshness(last, age, age > limit or bool(behind), behind)


def _last_success(session: Session, zone: Zone | None) -> Run | None:
    """The last successful run of a zone (its own, or one over every zone started once the
    zone was registered); without a zone, of any scope."""
    query = select(Run).where(Run.outcome == RunOutcome.SUCCEEDED)
    if zone is not None:
        over_all = Run.zone_code.is_(None) & (Run.started_at >= zone.created_at)
        query = query.where(over_all | (Run.zone_code == zone.code))
    return session.execute(query.order_by(Run.finished_at.desc()).limit(1)).scalar_one_or_none()


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
    zone_last_success: dict[str, datetime]  # zone code -> its last success (its own run, or one of all zones)


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
        zone_last_success={
            zone.code: last.finished_at
            for zone in session.execute(select(Zone).order_by(Zone.code)).scalars()
            if (last := _last_success(session, zone)) is not None
        },
    )


def _ago(age: timedelta | None) -> str:
    seconds = int(age.total_seconds()) if age else 0
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
