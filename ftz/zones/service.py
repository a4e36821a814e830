"""Registering zones and operators, and finding them by code."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import pycountry
import tzdata
from sqlmodel import Session, select

from ftz.audit import service as audit
from ftz.errors import AlreadyExists, InvalidInput, NotFound
from ftz.zones.models import Operator, OperatorBase, Zone, ZoneBase


def default_timezone(country: str) -> str:
    """The first IANA time zone listed for a country (UTC where none is)."""
    return next(iter(timezones_of(country)), "UTC")


def other_clocks(country: str, timezone: str) -> list[str]:
    """The country's time zones that keep another time than ``timezone`` in some part of the
    year, one for each other time (a zone registered without a time zone takes the country's
    first: it may be the wrong one)."""
    moments = [datetime(datetime.now(UTC).year, month, 15, 12, tzinfo=UTC) for month in (1, 7)]

    def offsets(name: str) -> tuple:
        return tuple(moment.astimezone(ZoneInfo(name)).utcoffset() for moment in moments)

    seen = {offsets(timezone)}
    others = []
    for name in timezones_of(country):
        if (kept := offsets(name)) not in seen:
            seen.add(kept)
            others.append(name)
    return others


def timezones_of(country: str) -> list[str]:
    """The IANA time zones listed for a country, in the tz database's order."""
    table = Path(tzdata.__file__).parent / "zoneinfo" / "zone.tab"
    rows = (line.split("\t") for line in table.read_text().splitlines() if not line.startswith("#"))
    return [fields[2] for fields in rows if len(fields) >= 3 and fields[0] == country]


def get_zone(session: Session, *, code: str) -> Zone | None:
    return session.exec(select(Zone).where(Zone.code == code)).first()


def get_zone_or_raise(session: Session, *, code: str) -> Zone:
    zone = get_zone(session, code=code)
    if zone is None:
        raise NotFound(f"zone {code} is not registered (ftz zone add {code} …)")
    return zone


def create_zone(session: Session, *, zone_in: ZoneBase, actor: str = "system") -> Zone:
    """Register a zone; its code, country and time zone are checked first."""
    code = zone_in.code.strip().upper()
    if not code:
        raise InvalidInput("a zone needs a code")
    country = zone_in.country.strip().upper()
    if pycountry.countries.get(alpha_2=country) is None:
        raise InvalidInput(f'"{zone_in.country}" is not an ISO 3166-1 alpha-2 country code')
    timezone = zone_in.timezone or default_timezone(country)
    if timezone not in available_timezones():
        raise InvalidInput(f'"{timezone}" is not an IANA time zone (e.g. Asia/Dubai)')
    if get_zone(session, code=code):
        raise AlreadyExists(f"zone {code} is already registered")
    zone = Zone(code=code, name=zone_in.name.strip() or code, country=country, timezone=timezone)
    session.add(zone)
    session.flush()
    audit.record(session, actor=actor, action="zone.registered", subject=f"zone:{code}", zone_id=zone.id,
                 details={"name": zone.name, "country": country, "timezone": timezone})  # fmt: skip
    return zone


def get_zone_code(session: Session, *, zone_id: int) -> str:
    """The code of a zone known by id."""
    return session.get(Zone, zone_id).code


def get_operator(session: Session, *, code: str) -> Operator | None:
    return session.exec(select(Operator).where(Operator.code == code)).first()


def get_operator_or_raise(session: Session, *, code: str) -> Operator:
    operator = get_operator(session, code=code)
    if operator is None:
        raise NotFound(f"operator {code} is not registered (ftz operator add {code} --zone …)")
    return operator


def create_operator(session: Session, *, operator_in: OperatorBase, zone_code: str, actor: str = "system") -> Operator:
    """Register an operator in an existing zone."""
    code = operator_in.code.strip().upper()
    if not code:
        raise InvalidInput("an operator needs a code")
    zone = get_zone_or_raise(session, code=zone_code.strip().upper())
    if get_operator(session, code=code):
        raise AlreadyExists(f"operator {code} is already registered")
    aeo = _certificate(operator_in.aeo)
    operator = Operator(code=code, name=operator_in.name.strip() or code, zone_id=zone.id, aeo=aeo)
    session.add(operator)
    session.flush()
    audit.record(session, actor=actor, action="operator.registered", subject=f"operator:{code}",
                 operator_id=operator.id, zone_id=zone.id, details={"name": operator.name, "aeo": aeo})  # fmt: skip
    return operator


def update_operator(session: Session, *, code: str, aeo: str | None, actor: str = "system") -> Operator:
    """Record an operator's AEO (or C-TPAT) certificate, or (``aeo`` None) that it holds none."""
    operator = get_operator_or_raise(session, code=code.strip().upper())
    certificate = _certificate(aeo)
    if certificate == operator.aeo:
        return operator  # nothing changes, so nothing to audit
    before, operator.aeo = operator.aeo, certificate
    session.add(operator)
    session.flush()
    audit.record(session, actor=actor, action="operator.aeo_changed", subject=f"operator:{operator.code}",
                 operator_id=operator.id, zone_id=operator.zone_id,
                 details={"from": before, "to": certificate})  # fmt: skip
    return operator


def _certificate(aeo: str | None) -> str | None:
    """An AEO certificate reference as stored: trimmed, one line, at most 64 characters."""
    if aeo is None:
        return None
    text = aeo.strip()
    if not text:
        raise InvalidInput("an AEO certificate reference cannot be empty (to remove one: --no-aeo)")
    if len(text) > 64 or not text.isprintable():
        raise InvalidInput("an AEO certificate reference is one line of at most 64 characters")
    return text


def get_all_operators(session: Session) -> list[Operator]:
    return list(session.exec(select(Operator).order_by(Operator.code)))


def get_all_zones(session: Session) -> list[Zone]:
    return list(session.exec(select(Zone).order_by(Zone.code)))


def moment(session: Session, *, value: str, zone_codes: list[str] | None = None, day_start: bool = False) -> datetime:
    """A date or date-time typed by a person (CLI, API, pages), read like a file value: one
    without offset is local time in the zone (``zone_codes``, or every zone when none is named),
    and a bare date is the end of that day (with ``day_start``, its beginning: a hold placed or
    released on a day). Zones of differing local times need an offset."""
    try:
        return _moment(session, value, zone_codes, day_start)
    except OverflowError:  # year 1 or 9999 pushed past the calendar by an offset or a day
        raise InvalidInput(f'"{value}" lies outside the dates ftz can keep') from None


def _moment(session: Session, value: str, zone_codes: list[str] | None, day_start: bool) -> datetime:
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f'"{value}" is not an ISO 8601 date or date-time') from None
    if re.fullmatch(r"\d{4}-?\d{2}-?\d{2}", text) and not day_start:  # a bare date: the whole day
        parsed = parsed + timedelta(days=1) - timedelta(microseconds=1)
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    query = select(Zone.code, Zone.timezone)
    if zone_codes:
        query = query.where(Zone.code.in_([c.strip().upper() for c in zone_codes]))
    zones = dict(session.exec(query).all()) or {"": "UTC"}
    # zones of different time zones at the same offset then (Dubai, Muscat) agree on the moment
    moments = {tz: _local(value, parsed, tz) for tz in set(zones.values())}
    if len(set(moments.values())) > 1:
        named = ", ".join(f"{code} ({tz})" for code, tz in sorted(zones.items()))
        raise InvalidInput(f'"{value}" names no offset and the zones keep different local times ({named}): '
                           "give an offset (e.g. +04:00) or one zone")  # fmt: skip
    return moments.popitem()[1]


def _local(value: str, parsed: datetime, timezone: str) -> datetime:
    """``parsed`` (naive) as local time in ``timezone``, in UTC."""
    local = parsed.replace(tzinfo=ZoneInfo(timezone))
    if local.astimezone(UTC).astimezone(local.tzinfo).replace(tzinfo=None) != parsed:
        raise InvalidInput(f'"{value}" does not exist in the zone\'s local time (a clock change): give an offset')
    return local.astimezone(UTC)
