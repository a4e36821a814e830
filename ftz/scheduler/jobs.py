"""The scheduler's jobs: module-level functions, so that the job store can name them."""

import logging

from sqlmodel import Session

from ftz.config import get_settings
from ftz.database import get_engine, utcnow
from ftz.discrepancies import service as runs
from ftz.discrepancies.lock import RunInProgress
from ftz.errors import FtzError
from ftz.scheduler.schedule import night, zone_trigger
from ftz.zones import service as zones

log = logging.getLogger("ftz.scheduler")


def nightly(zone_code: str) -> None:
    """Reconcile a zone for the night just passed, unless another scheduler has done it already.

    Waits for a run in progress (up to the time limit): nights of several zones may fall at
    the same moment, and a manual run may be working."""
    engine = get_engine()
    try:
        with Session(engine) as session:
            zone = zones.get_zone_or_raise(session, code=zone_code)
        slot = night(zone_trigger(zone.timezone), utcnow()) or utcnow().replace(microsecond=0)
        wait = get_settings().run_time_limit_minutes * 60 + 60
        record = runs.run(engine, zone_code=zone_code, started_by="scheduler", wait=wait, scheduled_for=slot)
    except runs.AlreadyRun as exc:
        log.info("nothing to do: %s", exc)
    except RunInProgress as exc:
        log.error("the night's run of zone %s did not start: %s", zone_code, exc)
    except FtzError as exc:
        log.error("the night's run of zone %s did not succeed: %s", zone_code, exc)
    except Exception:
        # the run is marked FAILED with its error; the next night tries again
        log.exception("the night's run of zone %s failed", zone_code)
    else:
        log.info("zone %s reconciled for the night of %s: run %s", zone_code, slot.isoformat(), record.id)
