"""When each zone's nightly run fires: crontab lines read as cron reads them, and the night a run is for."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from ftz.config import get_settings
from ftz.errors import InvalidInput

# Cron numbers weekdays from Sunday (0 and 7); APScheduler 3 from Monday. Names mean the same
# to both, so cron's numbers are turned into names before APScheduler reads them.
CRON_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_RANGE = re.compile(r"^(\*|\d)(?:-(\d))?(?:/(\d+))?$")


def trigger(expression: str, timezone: str) -> CronTrigger:
    """A cron trigger from a crontab line (a sixth field in front gives seconds), in ``timezone``."""
    fields = expression.split()
    if len(fields) not in (5, 6):
        raise InvalidInput(
            f'FTZ_SCHEDULE "{expression}" is not a crontab line: minute hour day month weekday '
            "(a sixth field in front gives seconds)"
        )
    second = fields.pop(0) if len(fields) == 6 else "0"
    minute, hour, day, month, weekday = fields
    if day != "*" and weekday != "*":
        # cron runs on either; APScheduler 3 only on both: refused rather than read otherwise
        raise InvalidInput(f'FTZ_SCHEDULE "{expression}": restrict the day of the month or the weekday, not both')
    try:
        return CronTrigger(
            second=second, minute=minute, hour=hour, day=day, month=month, day_of_week=_weekdays(weekday),
            timezone=_zone(timezone),
        )  # fmt: skip
    except ValueError as exc:
        raise InvalidInput(f'FTZ_SCHEDULE "{expression}": {exc}') from None


def _weekdays(field: str) -> str:
    """Cron's weekday field in names: "1-5" is "mon,tue,wed,thu,fri", "0" and "7" are "sun"."""
    if field == "*":
        return "*"
    names = []
    for part in field.split(","):
        match = _RANGE.match(part)
        if match is None:
            names.append(part.lower())  # names already, or something APScheduler will refuse
            continue
        first, last, step = match.groups()
        low = 0 if first == "*" else int(first)
        high = 6 if first == "*" else int(last) if last else (6 if step else low)
        if high > 7 or low > high:
            raise InvalidInput(f'FTZ_SCHEDULE weekday "{part}" is not a cron weekday or range (0 to 7, Sunday is 0)')
        names += [CRON_DAYS[day] for day in range(low, high + 1, int(step or 1))]
    return ",".join(dict.fromkeys(names))


def _zone(name: str):
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f'"{name}" is not an IANA time zone') from None


def zone_trigger(zone_timezone: str) -> CronTrigger:
    """A zone's nightly trigger: FTZ_SCHEDULE in FTZ_SCHEDULE_TIMEZONE, else in the zone's own time zone."""
    settings = get_settings()
    return trigger(settings.schedule, settings.schedule_timezone or zone_timezone or "UTC")


def grace() -> timedelta:
    """How late a night's run may still start (FTZ_MISFIRE_GRACE_HOURS)."""
    return timedelta(hours=get_settings().misfire_grace_hours)


def night(cron: CronTrigger, now: datetime) -> datetime | None:
    """The latest time ``cron`` fired at or before ``now`` and within the grace time, in UTC:
    the night a run starting now is for (however many nights before it were missed)."""
    fired: list[datetime] = []
    moment = cron.get_next_fire_time(None, now - grace())
    while moment is not None and moment <= now:
        fired.append(moment)
        # stepped on in UTC: in local time, the hour a clock goes back would never be left
        after = moment.astimezone(UTC) + timedelta(seconds=1)
        moment = cron.get_next_fire_time(moment, after)
        if moment is not None and moment.astimezone(UTC) < after:
            moment = cron.get_next_fire_time(None, after)
    if not fired:
        return None
    # The hour a clock goes back is lived twice: a time in it fires twice, for one night.
    if len(fired) > 1 and fired[-1].replace(tzinfo=None) == fired[-2].replace(tzinfo=None):
        return fired[-2].astimezone(UTC)
    return fired[-1].astimezone(UTC)
