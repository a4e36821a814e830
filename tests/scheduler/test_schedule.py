"""Crontab lines read as cron reads them, in the zone's time zone, and the night a late run is for."""

from datetime import UTC, datetime, timedelta

import pytest

from ftz.errors import InvalidInput
from ftz.scheduler.schedule import night, trigger, zone_trigger


def fires(expression: str, start: datetime, count: int, timezone: str = "UTC") -> list[datetime]:
    cron, moments, moment = trigger(expression, timezone), [], None
    for _ in range(count):
        moment = cron.get_next_fire_time(moment, moment + timedelta(seconds=1) if moment else start)
        moments.append(moment)
    return moments


def test_weekdays_are_numbered_from_sunday_as_in_cron():
    monday = datetime(2026, 11, 23, tzinfo=UTC)
    assert [m.strftime("%a") for m in fires("0 2 * * 0", monday, 2)] == ["Sun", "Sun"]
    assert [m.strftime("%a") for m in fires("0 2 * * 7", monday, 1)] == ["Sun"]
    assert [m.strftime("%a") for m in fires("0 2 * * 1-5", monday, 6)] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon"]
    assert [m.strftime("%a") for m in fires("0 2 * * */3", monday, 3)] == ["Wed", "Sat", "Sun"]


def test_the_default_night_is_two_in_the_morning_in_the_zone_s_own_time_zone():
    moment = zone_trigger("Asia/Dubai").get_next_fire_time(None, datetime(2026, 11, 24, 12, tzinfo=UTC))
    assert moment.astimezone(UTC) == datetime(2026, 11, 24, 22, tzinfo=UTC)  # 02:00 in Dubai, UTC+4


def test_a_sixth_field_in_front_gives_seconds():
    start = datetime(2026, 11, 24, 10, 0, 0, tzinfo=UTC)
    assert fires("*/20 * * * * *", start, 3) == [start + timedelta(seconds=s) for s in (0, 20, 40)]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 2 * *", "is not a crontab line"),
        ("0 25 * * *", 'FTZ_SCHEDULE "0 25 \\* \\* \\*"'),
        ("0 2 * * 8", "is not a cron weekday"),
    ],
)
def test_a_bad_schedule_is_refused_with_the_setting_named(expression, message):
    with pytest.raises(InvalidInput, match=message):
        trigger(expression, "UTC")


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(InvalidInput, match='"Mars/Olympus" is not an IANA time zone'):
        trigger("0 2 * * *", "Mars/Olympus")


def test_a_run_started_late_is_for_the_latest_night_within_the_grace_time():
    cron = trigger("0 2 * * *", "UTC")
    assert night(cron, datetime(2026, 11, 24, 9, 30, tzinfo=UTC)) == datetime(2026, 11, 24, 2, tzinfo=UTC)
    # just after the time: that same night
    assert night(cron, datetime(2026, 11, 24, 2, 0, 1, tzinfo=UTC)) == datetime(2026, 11, 24, 2, tzinfo=UTC)
    # past the grace time (23 hours by default) there is no night to run any more
    assert night(cron, datetime(2026, 11, 25, 1, 30, tzinfo=UTC)) is None


def test_the_night_the_clock_goes_back_is_one_night_though_its_hour_fires_twice():
    cron = trigger("0 2 * * *", "Europe/Paris")  # 02:00 is lived twice on 31 October 2027
    first = datetime(2027, 10, 31, 0, tzinfo=UTC)  # 02:00 summer time
    assert night(cron, datetime(2027, 10, 31, 0, 30, tzinfo=UTC)) == first
    assert night(cron, datetime(2027, 10, 31, 1, 30, tzinfo=UTC)) == first  # after the second 02:00
    assert night(cron, datetime(2027, 11, 1, 1, 30, tzinfo=UTC)) == datetime(2027, 11, 1, 1, tzinfo=UTC)


def test_a_schedule_restricting_both_day_and_weekday_is_refused():
    # cron runs on either, APScheduler 3 only on both: no reading would be safe
    with pytest.raises(InvalidInput, match="the day of the month or the weekday, not both"):
        trigger("0 2 1 * 1", "UTC")
