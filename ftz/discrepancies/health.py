"""How the reconciliation is doing: the last successful run and its age, the next ones
scheduled, and the figures /metrics exports. Customs-wide, never one caller's view."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select, true
from sqlmodel import Session

from ftz.config import get_settings
from ftz.database import utcnow
from ftz.discrepancies.models import Discrepancy, Run, RunOutcome, Status
from ftz.jobstore import apscheduler_jobs
from ftz.zones.models import Zone

# A run that reconciled today's ledger: a run as of a past moment is a report, not a reconciliation.
LIVE_SUCCESS = (Run.outcome == RunOutcome.SUCCEEDED) & Run.as_of.is_(None)


@dataclass
class Freshness:
    """When reconciliation last succeeded, and whether that (or any zone's own) is too long ago."""

    last: Run | None
    age: timedelta | None
    behind: list[str] = field(default_factory=list)  # zones not reconciled successfully within the limit

    @property
    def stale(self) -> bool:
        limit = timedelta(hours=get_settings().stale_run_hours)
        return self.last is None or self.age > limit or bool(self.behind)

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
    """The last successful run (one covering ``zones``, if given), its age, and the zones (of
    ``zones``, if given) whose last success (a run of the zone, or of every zone) is older than
    FTZ_STALE_RUN_HOURS."""
    now = now or utcnow()
    limit = timedelta(hours=get_settings().stale_run_hours)
    behind = [
        code
        for code, last in zone_successes(session).items()
        if (zones is None or code in zones) and (last is None or now - last > limit)
    ]
    covers = true() if zones is None else or_(Run.zone_code.is_(None), Run.zone_code.in_(sorted(zones)))
    last = session.execute(
        select(Run).where(LIVE_SUCCESS, covers).order_by(Run.finished_at.desc()).limit(1)
    ).scalar_one_or_none()
    return Freshness(last, now - last.finished_at if last else None, behind)


def zone_successes(session: Session) -> dict[str, datetime | None]:
    """When each zone was last reconciled successfully: by a run of its own, or by a run over
    every zone started once the zone was registered (None: never)."""
    succeeded = LIVE_SUCCESS
    own = dict(
        session.execute(
            select(Run.zone_code, func.max(Run.finished_at))  # max keeps the column's UTC type
            .where(succeeded, Run.zone_code.is_not(None))
            .group_by(Run.zone_code)
        ).all()
    )
    everywhere = session.execute(
        select(Run.started_at, Run.finished_at)
        .where(succeeded, Run.zone_code.is_(None))
        .order_by(Run.finished_at.desc())
        .limit(1)
    ).first()
    found = {}
    for code, created in session.execute(select(Zone.code, Zone.created_at).order_by(Zone.code)):
        # the latest run over every zone started last too: if it predates the zone, all do
        covering = everywhere.finished_at if everywhere and everywhere.started_at >= created else None
        found[code] = max((t for t in (own.get(code), covering) if t is not None), default=None)
    return found


def scheduled(session: Session, *, zones: set[str] | None = None) -> list[tuple[str, datetime]]:
    """The scheduler's jobs and their next run, soonest first (empty when no scheduler ever ran);
    with ``zones``, only those zones' nightly jobs (``nightly:<ZONE>``)."""
    rows = session.execute(
        select(apscheduler_jobs.c.id, apscheduler_jobs.c.next_run_time).order_by(apscheduler_jobs.c.next_run_time)
    )
    return [
        (job, datetime.fromtimestamp(at, UTC))
        for job, at in rows
        if at is not None and (zones is None or job.removeprefix("nightly:") in zones)
    ]


@dataclass
class Figures:
    """What /metrics exports, read from the database (so every process reports the same)."""

    runs: dict[str, int]  # by outcome
    durations: list[tuple[str, float]]  # (outcome, seconds) of every finished run
    open_findings: dict[tuple[str, str], int]  # (kind, severity) -> open discrepancies
    last_success: datetime | None
    running: int
    zone_last_success: dict[str, datetime | None]  # see zone_successes


def figures(session: Session) -> Figures:
    """Run counts and durations, open findings per kind, the last success."""
    runs = dict(session.execute(select(Run.outcome, func.count()).group_by(Run.outcome)).all())
    finished = session.execute(
        select(Run.outcome, Run.started_at, Run.finished_at, Run.as_of).where(Run.finished_at.is_not(None))
    ).all()
    findings = session.execute(
        select(Discrepancy.kind, Discrepancy.severity, func.count())
        .where(Discrepancy.status != Status.CLOSED)
        .group_by(Discrepancy.kind, Discrepancy.severity)
    ).all()
    successes = [f for o, _, f, as_of in finished if o == RunOutcome.SUCCEEDED and as_of is None]
    return Figures(
        runs={str(k): int(v) for k, v in runs.items()},
        durations=[(o, max((f - s).total_seconds(), 0.0)) for o, s, f, _ in finished],
        open_findings={(k, s): int(n) for k, s, n in findings},
        last_success=max(successes, default=None),
        running=int(runs.get(RunOutcome.RUNNING, 0)),
        zone_last_success=zone_successes(session),
    )


def _ago(age: timedelta | None) -> str:
    seconds = int(age.total_seconds()) if age else 0
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
