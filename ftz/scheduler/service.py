"""Starting and stopping the scheduler: its job store, one job per zone, and what a start catches up."""

import logging
import signal
import threading
from datetime import UTC

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, select
from sqlmodel import Session

from ftz.database import utcnow
from ftz.discrepancies import service as runs
from ftz.discrepancies.models import Run, RunOutcome
from ftz.scheduler.jobs import nightly
from ftz.scheduler.schedule import grace, night, zone_trigger
from ftz.zones import service as zones

log = logging.getLogger("ftz.scheduler")
SYNC_MINUTES = 5  # how soon a new zone gets its job, and a dead process's run is found
MAX_ATTEMPTS = 3  # a night whose run keeps dying (out of memory, say) is not tried forever


def job_id(zone_code: str) -> str:
    return f"nightly:{zone_code}"


def create(engine: Engine) -> BackgroundScheduler:
    """A scheduler whose nightly jobs live in the application database (table apscheduler_jobs)."""
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine), "memory": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(4)},
        timezone=UTC,
    )
    scheduler.add_listener(_missed, EVENT_JOB_MISSED)
    return scheduler


def start(engine: Engine) -> BackgroundScheduler:
    """Start scheduling: make each zone's job, mark runs whose process died and run their
    night again; nights missed while down are run once by the job store's own catch-up
    (coalesced, within the misfire grace time)."""
    scheduler = create(engine)
    scheduler.start(paused=True)  # no job fires before the jobs are what the settings say
    maintain(scheduler, engine)
    scheduler.add_job(
        maintain, "interval", args=[scheduler, engine], minutes=SYNC_MINUTES, id="maintain", jobstore="memory",
        replace_existing=True, coalesce=True, max_instances=1, misfire_grace_time=None,
    )  # fmt: skip
    scheduler.resume()
    for job in scheduler.get_jobs(jobstore="default"):
        log.info("job %s: next run %s", job.id, job.next_run_time.isoformat() if job.next_run_time else "paused")
    log.info("scheduler started")
    return scheduler


def maintain(scheduler: BackgroundScheduler, engine: Engine) -> None:
    """At start and every few minutes: one job per zone; when no run is working, runs left
    RUNNING by a dead process marked ABANDONED and their night run again."""
    sync(scheduler, engine)
    runs.mark_abandoned(engine)
    for zone_code in _unfinished_nights(engine):
        log.warning("zone %s: the night's run did not finish (abandoned, or due as a scheduler stopped); "
                    "running it now", zone_code)  # fmt: skip
        scheduler.modify_job(job_id(zone_code), next_run_time=utcnow())


def sync(scheduler: BackgroundScheduler, engine: Engine) -> None:
    """One nightly job per registered zone. A job whose schedule is unchanged is kept as
    stored, so that a night missed while no scheduler was up still comes due."""
    with Session(engine) as session:
        wanted = {zone.code: zone_trigger(zone.timezone) for zone in zones.get_all_zones(session)}
    stored = {job.id: job for job in scheduler.get_jobs(jobstore="default")}
    options = {"coalesce": True, "max_instances": 1, "misfire_grace_time": int(grace().total_seconds())}
    for code, cron in wanted.items():
        job = stored.get(job_id(code))
        if job is not None and _same(job.trigger, cron) and job.func is nightly:
            if any(getattr(job, key) != value for key, value in options.items()):
                scheduler.modify_job(job.id, **options)
            continue
        scheduler.add_job(nightly, cron, args=[code], id=job_id(code), name=f"reconcile zone {code}",
                          replace_existing=True, **options)  # fmt: skip
        log.info("zone %s: nightly job %s (%s)", code, "rescheduled" if job else "added", cron)
    for gone in set(stored) - {job_id(code) for code in wanted}:
        scheduler.remove_job(gone)


def _same(a, b) -> bool:
    return str(a) == str(b) and str(a.timezone) == str(b.timezone)


def _unfinished_nights(engine: Engine) -> list[str]:
    """Zones already on the schedule whose latest night (within the grace time) has no run
    but abandoned ones (fewer than MAX_ATTEMPTS): its process died, or a stop came just as the
    night fell due."""
    now = utcnow()
    found = []
    with Session(engine) as session:
        for zone in zones.get_all_zones(session):
            slot = night(zone_trigger(zone.timezone), now)
            if slot is None:
                continue
            scheduled = select(Run.outcome, Run.scheduled_for).where(
                Run.zone_code == zone.code, Run.scheduled_for.is_not(None), Run.scheduled_for <= slot
            )
            rows = session.execute(scheduled).all()
            tonight = [outcome for outcome, at in rows if at == slot]
            if not rows or set(tonight) - {RunOutcome.ABANDONED}:
                continue
            if len(tonight) >= MAX_ATTEMPTS:
                log.error("zone %s: the night of %s was abandoned %d times; not trying it again",
                          zone.code, slot.isoformat(), len(tonight))  # fmt: skip
                continue
            found.append(zone.code)
    return found


def _missed(event: JobExecutionEvent) -> None:
    log.error("job %s missed its run of %s: later than the grace time (FTZ_MISFIRE_GRACE_HOURS)",
              event.job_id, event.scheduled_run_time)  # fmt: skip


def run_in_foreground(engine: Engine) -> None:
    """``ftz scheduler``: schedule until SIGTERM or SIGINT, then let a run in progress finish."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    scheduler = start(engine)
    log.info("scheduler started")
    while not stop.wait(1):  # a timed wait lets the signal handler run promptly
        pass
    log.info("scheduler stopping; a run in progress is let finish")
    scheduler.shutdown(wait=True)
